"""Fused recurrent layers: :func:`rnn_layer` runs one RNN / LSTM / GRU layer in one direction over
a whole sequence (padded ``(T, B, I)`` or packed ``(N, I)`` with ``batch_sizes``) as ONE autograd
node with outputs ``(output, h_n[, c_n])``.

Why a primitive: composed of Tensor ops, a layer records ~15 nodes per time step, and each op pays
Python and allocation overhead; fused, the input projections of all steps are one matrix product,
the loop over time is a product and a few in-place ufuncs per step, and backward through time reuses
the saved gate activations (kernels in ``_rnn_cells.py``).

Double backward: when ``create_graph=True`` reaches this node, backward recomputes the layer from
Tensor ops (:func:`composed_layer`) and differentiates that graph, so higher-order gradients work
(at the speed of composed ops).
"""
import numpy as np

from ember._backend import xp_of
from ember._ops import _parallel
from ember._ops import _rnn_cells as K
from ember._tensor import wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node, _raise_modified, connect

__all__ = []  # internal: ember.nn's RNN modules are the public API

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _steps(batch_sizes, T, B, reverse):
    """``[(offset, batch size)]`` of each time step in the packed layout, in processing order."""
    bs = [B] * T if batch_sizes is None else [int(b) for b in batch_sizes]
    steps, off = [], 0
    for b in bs:
        steps.append((off, b))
        off += b
    if reverse:
        steps.reverse()
    return steps


# NOTE: rows per chunk of the input projections and gradient products that overlap the loop over
# time; layers with less product work than _MIN_WORK multiply-adds keep them whole
_CHUNK_ROWS = 128
_MIN_WORK = 1 << 22


def _chunks(steps, N, work, xp):
    """``[(first step, lo, hi)]``: runs of consecutive steps (indices into ``steps``) and the rows
    ``lo:hi`` they own, for the products that run on a second core beside the loop over time
    (``_rnn_cells._projected``, :meth:`RnnLayerBackward0.backward`); one run when that does not
    pay."""
    if xp is not np or work < _MIN_WORK or N < 2 * _CHUNK_ROWS or not _parallel.overlapping():
        return [(0, 0, N)]
    # NOTE: runs are small at both ends and double up to _CHUNK_ROWS towards the middle: the
    # loop waits for the first projection and the last factors (forward), and both threads share
    # the last gradient products (backward)

    def ends(order):  # the step indices where runs start, growing from order[0]
        cuts, rows, want = [], 0, 1
        for s in order:
            rows += steps[s][1]
            if rows >= min(want, _CHUNK_ROWS):
                cuts.append(s)
                rows, want = 0, 2 * rows
        return cuts
    T = len(steps)
    mid = T // 2
    starts = [0] + [s + 1 for s in ends(range(T)) if s + 1 < mid]  # runs before the middle
    starts += sorted(s for s in ends(range(T - 1, -1, -1)) if s >= mid)  # and after it
    starts = sorted(set(starts))
    out = []
    for k, first in enumerate(starts):
        run = steps[first:starts[k + 1] if k + 1 < len(starts) else T]
        out.append((first, min(o for o, _ in run), max(o + n for o, n in run)))
    return out


def _final_rows(steps, reverse, xp):
    """Where each sequence's final state lies in the packed output: its row in its last step."""
    if reverse:  # the last step processed is t = 0, which holds every sequence
        off, b = steps[-1]
        return slice(off, off + b)
    B = steps[0][1]
    off, b = steps[-1]
    if b == B:
        return slice(off, off + B)
    idx = np.empty(B, np.int64)
    for k, (off, b) in enumerate(steps):
        nb = steps[k + 1][1] if k + 1 < len(steps) else 0
        idx[nb:b] = off + np.arange(nb, b)
    return xp.asarray(idx)


def dtype_error(a, b):
    """PyTorch's error for operands of different dtypes (from its matrix product)."""
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16"}

    def name(t):
        s = str(t.dtype).split(".")[-1]
        return names.get(s, s)
    return RuntimeError(f"mat1 and mat2 must have the same dtype, but got {name(a)} and {name(b)}")


def _final_grads(mode, whh, B, gh, gc, xp, dt):
    """The arrays backward through time starts from and leaves the initial states' gradients in:
    copies of the final states' gradients ``gh``/``gc`` (arrays, or None for zeros)."""
    P = whh.shape[1]
    dh = xp.zeros((B, P), dt) if gh is None else gh.astype(dt, order="C", copy=True)
    if mode != "LSTM":
        return dh, None
    H = whh.shape[0] // 4
    return dh, xp.zeros((B, H), dt) if gc is None else gc.astype(dt, order="C", copy=True)


def _bptt(mode, state, steps, Y, whh, w_hr, gy, dh, dc):
    """A layer's backward through time: ``(bptt, rows, gate)``, with ``bptt(marks)`` the kernel's
    generator (``_rnn_cells.rnn_backward``), ``rows(lo, hi)`` the gradients of rows ``lo:hi``
    w.r.t. the input projection and the hidden projection (both ``(hi - lo, G)``), and
    ``gate(j)`` those of PyTorch's gate ``j`` over all rows (both ``(N, H)``), once the loop is
    past them."""
    xp, dt = xp_of(Y), Y.dtype
    N = Y.shape[0]
    H = whh.shape[0] // GATES[mode]
    if mode == "LSTM":
        dG = xp.empty((4, N, H), dt)

        def rows(lo, hi):
            g = K.lstm_rows(dG, lo, hi)
            return g, g

        def gate(j):
            return dG[K._LSTM_ORDER.index(j)], dG[K._LSTM_ORDER.index(j)]

        def bptt(marks):
            return K.lstm_backward(state, steps, whh, w_hr, gy, dh, dc, dG, marks)
    elif mode == "GRU":
        dX, dA = xp.empty((N, 3, H), dt), xp.empty((N, 3, H), dt)

        def rows(lo, hi):
            return dX[lo:hi].reshape(-1, 3 * H), dA[lo:hi].reshape(-1, 3 * H)

        def gate(j):
            return dX[:, j], dA[:, j]

        def bptt(marks):
            return K.gru_backward(state, steps, whh, gy, dh, dX, dA, marks)
    else:
        dG = xp.empty((N, H), dt)

        def rows(lo, hi):
            return dG[lo:hi], dG[lo:hi]

        def gate(j):
            return dG, dG
        relu = mode == "RNN_RELU"

        def bptt(marks):
            return K.rnn_backward(state, steps, Y, whh, gy, dh, relu, dG, marks)
    return bptt, rows, gate


def _hidden_inputs(mode, state, steps):
    """The previous hidden state of every step, in packed (time) order: the right operand of the
    gradient of W_hh."""
    return K._t_order(state[{"LSTM": 4, "GRU": 2}.get(mode, 0)], steps)


def _weight_parts(gx, gh, X, HP, lo, hi, need):
    """Rows ``lo:hi``'s parts of the gradients of ``(w_ih, w_hh, b_ih, b_hh)`` (None where
    ``need`` says no)."""
    return (gx.T @ X[lo:hi] if need[0] else None, gh.T @ HP[lo:hi] if need[1] else None,
            gx.sum(0) if need[2] else None, gh.sum(0) if need[3] else None)


def _add_parts(sums, parts):
    for k, p in enumerate(parts):
        if p is not None:
            sums[k] = p if sums[k] is None else sums[k].__iadd__(p)


class RnnLayerBackward0(Node):
    """Backward through time of one fused layer; inputs ``(x, h0, c0, w_ih, w_hh, b_ih, b_hh,
    w_hr)`` (None where absent), outputs ``(output, h_n[, c_n])``."""

    def _free(self):
        Node._free(self)
        self.state = self.X = self.Y = None

    def backward(self, gY, gh, gc=None):
        saved = self.saved_tensors  # checks that no input was modified in place since forward
        vc, version = self.out_version  # backward reads the output sequence (the h of each step)
        if vc[0] != version:
            _raise_modified(self, wrap(self.Y), version, vc[0], output=True)
        if STATE.enabled:  # create_graph=True: differentiate a composed recomputation instead
            return self._composed_backward(saved, (gY, gh, gc))
        x, hx, cx, w_ih, w_hh, b_ih, b_hh, w_hr = saved
        mode, steps, X, Y, state = self.mode, self.steps, self.X, self.Y, self.state
        xp, dt = xp_of(X), X.dtype
        N, P = Y.shape
        gy = None if gY is None else gY._data.reshape(N, P)
        dh, dc = _final_grads(mode, w_hh._data, self.B, None if gh is None else gh._data,
                              None if gc is None else gc._data, xp, dt)
        wr = None if w_hr is None else w_hr._data
        bptt, rows, _ = _bptt(mode, state, steps, Y, w_hh._data, wr, gy, dh, dc)
        need = [e is not None for e in self._next]
        wih = w_ih._data
        HP = _hidden_inputs(mode, state, steps) if need[4] else None
        dx = xp.empty((N, wih.shape[1]), dt) if need[0] else None
        sums = [None] * 4  # of w_ih, w_hh, b_ih, b_hh
        chunks = self.chunks[::-1]  # in the order the loop finishes them

        def task(i, slot):
            _, lo, hi = chunks[i]
            gx, gh = rows(lo, hi)
            if need[0]:
                xp.matmul(gx, wih, out=dx[lo:hi])
            parts = _weight_parts(gx, gh, X, HP, lo, hi, need[3:7])
            relay.ordered(i, lambda: _add_parts(sums, parts))
        relay = _parallel.Relay(task, len(chunks))

        def body():
            res = K.drain(bptt({c[0]: i + 1 for i, c in enumerate(chunks)}), relay.publish)
            relay.finish()
            return res
        dW_hr = _parallel.overlap(body, relay) if len(chunks) > 1 else body()
        out = [None] * 8
        if need[0]:
            out[0] = wrap(dx.reshape(x._data.shape))
        if need[1]:
            out[1] = wrap(dh)
        if need[2]:
            out[2] = wrap(dc)
        for k in range(4):
            if need[3 + k]:
                out[3 + k] = wrap(sums[k])
        if need[7]:
            out[7] = wrap(dW_hr)
        return tuple(out)

    def _composed_backward(self, saved, grads):
        from ember.autograd.engine import grad
        outs = composed_layer(self.mode, *saved[:3], *saved[3:], steps=self.steps, B=self.B)
        pairs = [(o, g) for o, g in zip(outs, grads) if o is not None and g is not None]
        which = [k for k, e in enumerate(self._next) if e is not None]
        res = grad([o for o, _ in pairs], [saved[k] for k in which], [g for _, g in pairs],
                   create_graph=True, allow_unused=True)
        out = [None] * 8
        for k, r in zip(which, res):
            out[k] = r
        return tuple(out)


def check_states(hx, cx, w_hh):
    for s in (hx, cx):
        if s is not None and s._data.dtype != w_hh._data.dtype:
            raise dtype_error(s, w_hh)


def initial_states(mode, hx, cx, whh, B, xp, dt):
    """The arrays ``(h0, c0)`` a layer starts from (zeros where not given; ``c0`` None unless
    LSTM)."""
    h0 = xp.zeros((B, whh.shape[1]), dt) if hx is None else hx._data
    if mode != "LSTM":
        return h0, None
    return h0, xp.zeros((B, whh.shape[0] // 4), dt) if cx is None else cx._data


def layer_forward(mode, X, steps, h0, c0, arr, chunks, track, drive=None):
    """The forward kernel of ``mode`` on arrays: ``(Y, C, saved)`` (C None unless LSTM);
    ``arr`` = ``(w_ih, w_hh, b_ih, b_hh, w_hr)``; ``drive``: see ``_rnn_cells._projected``."""
    if mode == "LSTM":
        return K.lstm_forward(X, steps, h0, c0, *arr, chunks, for_backward=track, drive=drive)
    if mode == "GRU":
        Y, saved = K.gru_forward(X, steps, h0, *arr[:4], chunks, drive=drive)
    else:
        Y, saved = K.rnn_forward(X, steps, h0, *arr[:4], mode == "RNN_RELU", chunks, drive=drive)
    return Y, None, saved


def rnn_layer(mode, input, batch_sizes, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None,
              reverse=False):
    """One recurrent layer, one direction, over a whole sequence (the layers of a unidirectional
    stack run together: ``rnn_stack.py``).

    Args:
        mode: ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``.
        input: ``(T, B, I)`` time-major, or packed ``(N, I)`` when ``batch_sizes`` is given.
        batch_sizes: None, or the non-increasing batch size of each step (a packed sequence).
        hx, cx: initial states ``(B, P)`` and (LSTM) ``(B, H)``, or None for zeros.
        w_ih, w_hh, b_ih, b_hh, w_hr: the layer's parameters in PyTorch's layout.
        reverse: run from the last step to the first (the reverse direction).

    Returns:
        ``(output, h_n, c_n)``: output ``(T, B, P)`` (or ``(N, P)``), the final states ``(B, P)``
        and ``(B, H)`` (``c_n`` is None unless LSTM).
    """
    x = input._data
    xp, dt = xp_of(x), x.dtype
    check_states(hx, cx, w_hh)
    lead = x.shape[:-1]
    T, B = lead if batch_sizes is None else (len(batch_sizes), int(batch_sizes[0]))
    X = x.reshape(-1, x.shape[-1])
    whh = w_hh._data
    P = whh.shape[1]
    lstm = mode == "LSTM"
    h0, c0 = initial_states(mode, hx, cx, whh, B, xp, dt)
    steps = _steps(batch_sizes, T, B, reverse)
    arr = [None if t is None else t._data for t in (w_ih, w_hh, b_ih, b_hh, w_hr)]
    N = X.shape[0]
    chunks = _chunks(steps, N, N * (X.shape[1] + P) * whh.shape[0], xp)
    inputs = (input, hx, cx, w_ih, w_hh, b_ih, b_hh, w_hr)
    track = STATE.enabled and any(t is not None and t._rg for t in inputs)
    Y, C, state = layer_forward(mode, X, steps, h0, c0, arr, chunks, track)
    rows = _final_rows(steps, reverse, xp)
    hn = Y[rows]
    cn = C[rows] if lstm else None
    if type(rows) is slice:  # own memory, not a view of the output
        hn = hn.copy()
        cn = None if cn is None else cn.copy()
    res = [Y.reshape(lead + (P,)), hn] + ([cn] if lstm else [])
    node = None
    if track:
        node = RnnLayerBackward0()
        node.mode, node.steps, node.B, node.X, node.Y, node.state = mode, steps, B, X, Y, state
        node.chunks = chunks
    return outputs(node, inputs, res, lstm)


def outputs(node, inputs, res, lstm):
    """The Tensors of a recurrent primitive's result arrays ``res`` = ``(output, h_n[, c_n])``,
    recorded as outputs of ``node`` (None: not recorded) with ``inputs`` saved; ``(output, h_n,
    None)`` unless LSTM. Backward reads the output sequence (the states it started each step
    from): the node keeps its version to refuse in-place changes."""
    if node is None:
        return tuple(wrap(a) for a in res) + (() if lstm else (None,))
    node._n_out = len(res)
    connect(node, inputs)
    node.save_for_backward(*inputs)
    outs = []
    for i, a in enumerate(res):
        t = wrap(a)
        t._rg, t.grad_fn, t._oi = True, node, i
        outs.append(t)
    node.out_version = (outs[0]._vc, outs[0]._vc[0])
    return tuple(outs) + (() if lstm else (None,))


def composed_layer(mode, input, hx, cx, w_ih, w_hh, b_ih, b_hh, w_hr, *, steps, B):
    """The same layer written with Tensor ops (slow; used for double backward). ``steps`` and
    ``B`` as in :func:`rnn_layer`."""
    from ember._ops.join import cat
    x = input._data
    X = input.reshape(-1, x.shape[-1])
    xp, dt = xp_of(x), x.dtype
    P = w_hh.shape[1]
    H = w_hh.shape[0] // GATES[mode]
    h = wrap(xp.zeros((B, P), dt)) if hx is None else hx
    c = (wrap(xp.zeros((B, H), dt)) if cx is None else cx) if mode == "LSTM" else None
    xw = X.matmul(w_ih.t())
    if b_ih is not None:
        xw = xw + b_ih
    ys = {}
    for off, b in steps:
        hb = h if b == h.shape[0] else h[:b]
        gx = xw[off:off + b]
        gh = hb.matmul(w_hh.t())
        if b_hh is not None:
            gh = gh + b_hh
        if mode == "LSTM":
            i, f, g, o = (gx + gh).chunk(4, 1)
            cb = c if b == c.shape[0] else c[:b]
            cn = f.sigmoid() * cb + i.sigmoid() * g.tanh()
            hn = o.sigmoid() * cn.tanh()
            if w_hr is not None:
                hn = hn.matmul(w_hr.t())
            c = cn if b == B else cat([cn, c[b:]])
        elif mode == "GRU":
            xr, xz, xn = gx.chunk(3, 1)
            hr, hz, hh = gh.chunk(3, 1)
            r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
            n = (xn + r * hh).tanh()
            hn = n + z * (hb - n)
        else:
            pre = gx + gh
            hn = pre.relu() if mode == "RNN_RELU" else pre.tanh()
        ys[off] = hn
        h = hn if b == B else cat([hn, h[b:]])
    Y = cat([ys[k] for k in sorted(ys)]).reshape(x.shape[:-1] + (P,))
    return Y, h, c
