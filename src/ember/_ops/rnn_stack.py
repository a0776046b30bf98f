"""The layers of a unidirectional multi-layer RNN / LSTM / GRU as ONE autograd node, run as a
wavefront on two cores.

Why: a layer's loop over time is many small NumPy calls, each step waiting for the one before,
so it keeps one core busy and leaves the other to the big products (``rnn.py``). Layer ``k + 1``
needs only layer ``k``'s outputs of a chunk of steps to run that chunk; so its loop follows layer
``k``'s one chunk behind, on the other core, while the input projections, the LSTM's backward
factors and the gradient products of every layer fill the gaps (``_parallel.run_tasks``).
Backward is the mirror: layer ``k``'s backward through time follows layer ``k + 1``'s, chunk
``j`` of its output gradient being chunk ``j`` of layer ``k + 1``'s input gradient (times the
dropout mask). Two threads running two loops: the GIL is released inside each NumPy call, so
two loops of small calls take ~0.6x the time of one after the other.

The results are those of :func:`rnn.rnn_layer` run layer by layer with ``F.dropout`` between:
the same kernels and chunks, the dropout masks drawn from the generator in the same order and
shape; only the weight gradients differ by rounding (here one product per gate over the whole
sequence, there a sum over chunks). Which thread ran what does not change any result.
"""
import numpy as np

from ember._backend import xp_of
from ember._ops import _parallel
from ember._ops import _rnn_cells as K
from ember._ops import rnn as R
from ember._tensor import wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node, _raise_modified

__all__ = []  # internal: ember.nn's RNN modules are the public API

_W = 5  # parameters per layer, in this order: w_ih, w_hh, b_ih, b_hh, w_hr (None where absent)

# NOTE: the wavefront pays where a step's product (B x P x 4H multiply-adds for an LSTM) is most of
# the step: two loops then spend their time in BLAS, outside the GIL. The elementwise work of a
# step grows as B x H, so that share grows with P (the hidden inputs), whatever the batch.
# Measured fwd+bwd of 2 layers against layer by layer, T = 35: P >= 384 all faster (LSTM 384, 400,
# 448, 512, 1024: 0.92, 0.92, 0.94, 0.88, 0.96; GRU 384, 512: 0.93, 0.86; RNN 512: 0.89); below,
# from 0.92 to 1.06 (LSTM 128, 200, 256, 320: 1.06, 0.99, 1.03, 1.03), the word-language-model
# benchmark's P = 200 among them.
_MIN_HIDDEN = 384


class _Layer:
    """One layer's arrays: input ``X`` (the previous layer's output after dropout), output ``Y``,
    cell states ``C``, the kernel's saved ``state``, the dropout mask ``keep`` of ``X`` and its
    ``scale``, the parameters ``arr``, and the forward kernel's parts (``proj``, ``loop``,
    ``after``: see ``_rnn_cells._projected``)."""
    __slots__ = ("X", "Y", "C", "state", "keep", "scale", "arr", "proj", "loop", "after")


def _by_priority(keys, fns, deps):
    """``run_tasks``' list from tasks named by ``keys`` (in priority order), ``fns[key]`` and
    ``deps[key]`` (keys; those not among ``keys`` are ignored: tasks that do not exist)."""
    index = {key: i for i, key in enumerate(keys)}
    return [(fns[key], [index[d] for d in deps[key] if d in index]) for key in keys]


def rnn_stack(mode, input, batch_sizes, hx, cx, weights, dropout):
    """All layers of a unidirectional RNN over a whole sequence, as a wavefront.

    Args:
        mode, input, batch_sizes: as in :func:`rnn.rnn_layer`.
        hx, cx: stacked initial states ``(L, B, P)`` / ``(L, B, H)``, or None for zeros.
        weights: per layer, ``(w_ih, w_hh, b_ih, b_hh, w_hr)`` (None where absent).
        dropout: the probability of dropout on each layer's input but the first's (0: none).

    Returns:
        ``(output, h_n, c_n)`` with ``h_n`` ``(L, B, P)`` and ``c_n`` ``(L, B, H)`` (None unless
        LSTM); or None where layer by layer is as fast (one layer, fewer than ``_MIN_HIDDEN``
        hidden inputs, no second core, short sequences, CuPy): the caller then runs
        :func:`rnn.rnn_layer` per layer.
    """
    x = input._data
    xp, dt = xp_of(x), x.dtype
    L = len(weights)
    if (xp is not np or L < 2 or weights[0][1].shape[1] < _MIN_HIDDEN
            or not _parallel.overlapping()):
        return None
    lead = x.shape[:-1]
    T, B = lead if batch_sizes is None else (len(batch_sizes), int(batch_sizes[0]))
    X = x.reshape(-1, x.shape[-1])
    N = X.shape[0]
    whh = weights[0][1]._data
    P, H = whh.shape[1], whh.shape[0] // R.GATES[mode]
    steps = R._steps(batch_sizes, T, B, False)
    chunks = R._chunks(steps, N, N * (max(X.shape[1], P) + P) * whh.shape[0], xp)
    if len(chunks) < 2:
        return None
    R.check_states(hx, cx, weights[0][1])
    inputs = (input, hx, cx) + tuple(t for w in weights for t in w)
    track = STATE.enabled and any(t is not None and t._rg for t in inputs)
    lstm = mode == "LSTM"
    from ember.nn._functional.dropout import keep_mask
    layers = []
    for k, w in enumerate(weights):
        lay = _Layer()
        lay.arr = [None if t is None else t._data for t in w]
        lay.keep = lay.scale = None
        if k == 0:
            lay.X = X
        elif dropout > 0:  # drawn now, in F.dropout's order and shape
            keep, lay.scale = keep_mask(lead + (P,), dropout, dt, input.device)
            lay.keep, lay.X = keep.reshape(N, P), xp.empty((N, P), dt)
        else:
            lay.X = layers[-1].Y
        h0 = xp.zeros((B, P), dt) if hx is None else hx._data[k]
        c0 = (xp.zeros((B, H), dt) if cx is None else cx._data[k]) if lstm else None
        parts = []
        lay.Y, lay.C, lay.state = R.layer_forward(mode, lay.X, steps, h0, c0, lay.arr, chunks,
                                                  track, drive=lambda *a: parts.append(a))
        lay.proj, _, lay.loop, *after = parts[0]
        lay.after = after[0] if after else None
        layers.append(lay)
    _forward(layers, chunks, dt)
    rows = R._final_rows(steps, False, xp)
    res = [layers[-1].Y.reshape(lead + (P,)), xp.stack([lay.Y[rows] for lay in layers])]
    if lstm:
        res.append(xp.stack([lay.C[rows] for lay in layers]))
    for lay in layers:  # the kernels' buffers and weight copies: not needed by backward
        lay.proj = lay.loop = lay.after = lay.C = None
    node = None
    if track:
        node = RnnStackBackward0()
        node.mode, node.steps, node.B, node.chunks, node.layers = mode, steps, B, chunks, layers
    return R.outputs(node, inputs, res, lstm)


def _forward(layers, chunks, dt):
    """Run the layers' loops over time chunk by chunk: ``("L", k, j)`` is layer ``k``'s loop
    over chunk ``j``, after its input projection ``("P", k, j)``, which follows layer ``k - 1``'s
    loop over the same chunk; ``("A", k, g)`` computes the LSTM's backward factors of the chunks
    of group ``g`` (:func:`_groups`) once the loop is past them."""
    xp = np
    marks = {c[0]: j for j, c in enumerate(chunks)}
    gens = []
    for lay in layers:
        gens.append(lay.loop(marks))
        next(gens[-1])  # to the start of chunk 0
    fns, deps = {}, {}

    def project(k, j):
        _, lo, hi = chunks[j]
        lay = layers[k]
        if lay.keep is not None:  # dropout of the layer below's output, as F.dropout computes it
            xk = lay.X[lo:hi]
            xp.multiply(layers[k - 1].Y[lo:hi], lay.keep[lo:hi], out=xk)
            xk *= dt.type(lay.scale)
        lay.proj(lo, hi)
    groups = _groups(chunks)
    for k, lay in enumerate(layers):
        for j in range(len(chunks)):
            fns["L", k, j] = lambda k=k: next(gens[k], None)
            deps["L", k, j] = [("P", k, j), ("L", k, j - 1)]
            fns["P", k, j] = lambda k=k, j=j: project(k, j)
            deps["P", k, j] = [("L", k - 1, j)]
        for g, js in enumerate(groups if lay.after is not None else ()):
            fns["A", k, g] = lambda f=lay.after, js=js: [f(j) for j in js]
            deps["A", k, g] = [("L", k, js[-1])]
    # the loop that is furthest behind first, then what loops wait for, then the rest
    keys = sorted(fns, key=lambda key: ("LPA".index(key[0]), key[2], key[1]))
    _parallel.run_tasks(_by_priority(keys, fns, deps))


# NOTE: rows per task of the work that is off the wavefront's path (the LSTM's backward factors):
# its chunks go in groups of at least this many rows. Elementwise work on a chunk's rows beside a
# loop over time took 2.3x its time alone (many calls, each waiting for the GIL); in a few big
# calls it does not.
_GROUP_ROWS = 256


def _groups(chunks):
    """Consecutive chunk indices in groups of at least ``_GROUP_ROWS`` rows (the last may have
    fewer)."""
    groups, cur, rows = [], [], 0
    for j, (_, lo, hi) in enumerate(chunks):
        cur.append(j)
        rows += hi - lo
        if rows >= _GROUP_ROWS:
            groups.append(cur)
            cur, rows = [], 0
    return groups + ([cur] if cur else [])


class RnnStackBackward0(Node):
    """Backward of the whole stack (:func:`rnn_stack`); inputs ``(x, hx, cx)`` then each layer's
    ``(w_ih, w_hh, b_ih, b_hh, w_hr)``, outputs ``(output, h_n[, c_n])``."""

    def _free(self):
        Node._free(self)
        self.layers = None

    def backward(self, gY, gh, gc=None):
        saved = self.saved_tensors  # checks that no input was modified in place since forward
        vc, version = self.out_version  # backward reads the output sequence (the h of each step)
        if vc[0] != version:
            _raise_modified(self, wrap(self.layers[-1].Y), version, vc[0], output=True)
        if STATE.enabled:  # create_graph=True: differentiate a composed recomputation instead
            return self._composed_backward(saved, (gY, gh, gc))
        need = [e is not None for e in self._next]
        wneed = [need[3 + _W * k:3 + _W * (k + 1)] for k in range(len(self.layers))]
        # layers below the lowest one with something to give a gradient to are left alone
        low = 0 if any(need[:3]) else next(k for k, w in enumerate(wneed) if any(w))
        grads = _backward(self.mode, self.steps, self.B, self.chunks, self.layers, gY, gh, gc,
                          need[0], wneed, low)
        dx, dh, dc, wgrads = grads
        out = [None] * len(need)
        if need[0]:
            out[0] = wrap(dx.reshape(saved[0]._data.shape))
        if need[1]:
            out[1] = wrap(np.stack(dh))
        if need[2]:
            out[2] = wrap(np.stack(dc))
        for k in range(low, len(self.layers)):
            for i in range(_W):
                if wneed[k][i]:
                    out[3 + _W * k + i] = wrap(wgrads[k][i])
        return tuple(out)

    def _composed_backward(self, saved, grads):
        from ember.autograd.engine import grad
        outs = composed_stack(self.mode, saved, self.layers, steps=self.steps, B=self.B)
        pairs = [(o, g) for o, g in zip(outs, grads) if o is not None and g is not None]
        which = [k for k, e in enumerate(self._next) if e is not None]
        res = grad([o for o, _ in pairs], [saved[k] for k in which], [g for _, g in pairs],
                   create_graph=True, allow_unused=True)
        out = [None] * len(self._next)
        for k, r in zip(which, res):
            out[k] = r
        return tuple(out)


def _backward(mode, steps, B, chunks, layers, gY, gh, gc, need_x, wneed, low):
    """Backward through time of layers ``low:`` (top first), as a wavefront: ``("B", k, j)`` is
    layer ``k``'s loop over chunk ``j`` (in the loop's order, from the last step), after
    ``("D", k + 1, j)``, the input gradient of the layer above over that chunk (the gradient of
    this layer's output). Once a layer's loop is done, ``("W", k, g)`` computes the weight
    gradients of its gate ``g`` and ``("X", h)`` half of the first layer's input gradient, each
    as products over the whole sequence: two products of a few hundred rows run side by side
    at full speed, two of a chunk's rows do not. Returns ``(dx, dh0s, dc0s, [per layer
    (w_ih, w_hh, b_ih, b_hh, w_hr)])``."""
    xp = np
    L = len(layers)
    N, P = layers[0].Y.shape
    dt = layers[0].Y.dtype
    gy = [None] * L
    gy[-1] = None if gY is None else gY._data.reshape(N, P)
    for k in range(low, L - 1):
        gy[k] = xp.empty((N, P), dt)
    rchunks = chunks[::-1]  # in the order the loop finishes them
    marks = {c[0]: j + 1 for j, c in enumerate(rchunks)}
    n = len(rchunks)
    dh, dc, gens, rows, gates = [None] * L, [None] * L, [None] * L, [None] * L, [None] * L
    HP, grads = [None] * L, [[None] * _W for _ in range(L)]
    for k in range(low, L):
        lay = layers[k]
        wih, whh = lay.arr[:2]
        dh[k], dc[k] = R._final_grads(mode, whh, B, None if gh is None else gh._data[k],
                                      None if gc is None else gc._data[k], xp, dt)
        bptt, rows[k], gates[k] = R._bptt(mode, lay.state, steps, lay.Y, whh, lay.arr[4], gy[k],
                                          dh[k], dc[k])
        gens[k] = bptt(marks)
        HP[k] = R._hidden_inputs(mode, lay.state, steps) if wneed[k][1] else None
        for i, w in enumerate((wih, whh, wih[:, 0], whh[:, 0])):
            if wneed[k][i]:
                grads[k][i] = xp.empty(w.shape, dt)
    dx = xp.empty((N, layers[0].X.shape[1]), dt) if need_x else None

    def loop(k, j):
        if j + 1 < n:
            next(gens[k])
        else:
            grads[k][4] = K.drain(gens[k], lambda v: None)

    def input_grad(k, j):  # the wavefront's link: chunk j of the gradient of layer k - 1's output
        _, lo, hi = rchunks[j]
        out = gy[k - 1][lo:hi]
        xp.matmul(rows[k](lo, hi)[0], layers[k].arr[0], out=out)
        if layers[k].keep is not None:  # dropout's backward, as its node computes it
            out *= layers[k].keep[lo:hi]
            out *= dt.type(layers[k].scale)

    def first_input_grad(lo, hi):
        xp.matmul(rows[0](lo, hi)[0], layers[0].arr[0], out=dx[lo:hi])

    def weight_grads(k, g):
        gx, gh_ = gates[k](g)
        H = gx.shape[1]
        w = grads[k]
        if w[0] is not None:
            xp.matmul(gx.T, layers[k].X, out=w[0][g * H:(g + 1) * H])
        if w[1] is not None:
            xp.matmul(gh_.T, HP[k], out=w[1][g * H:(g + 1) * H])
        if w[2] is not None:
            gx.sum(0, out=w[2][g * H:(g + 1) * H])
        if w[3] is not None:
            gh_.sum(0, out=w[3][g * H:(g + 1) * H])
    fns, deps = {}, {}
    for k in range(low, L):
        for j in range(n):
            fns["B", k, j] = lambda k=k, j=j: loop(k, j)
            deps["B", k, j] = [("B", k, j - 1), ("D", k + 1, j)]
            if k > low:
                fns["D", k, j] = lambda k=k, j=j: input_grad(k, j)
                deps["D", k, j] = [("B", k, j)]
        if any(wneed[k][:4]):
            for g in range(R.GATES[mode]):
                fns["W", k, g] = lambda k=k, g=g: weight_grads(k, g)
                deps["W", k, g] = [("B", k, n - 1)]
    if need_x:
        for h, (lo, hi) in enumerate(((0, N // 2), (N // 2, N))):
            fns["X", 0, h] = lambda lo=lo, hi=hi: first_input_grad(lo, hi)
            deps["X", 0, h] = [("B", 0, n - 1)]
    keys = sorted(fns, key=lambda key: ("BDWX".index(key[0]), key[2], key[1]))
    _parallel.run_tasks(_by_priority(keys, fns, deps))
    return dx, dh, dc, grads


def composed_stack(mode, saved, layers, *, steps, B):
    """The stack written with Tensor ops (slow; used for double backward): per layer
    :func:`rnn.composed_layer`, with the saved dropout masks between layers."""
    from ember._ops.join import stack
    x, hx, cx = saved[:3]
    hs, cs = [], []
    for k, lay in enumerate(layers):
        if lay.keep is not None:
            dt = x._data.dtype
            x = x * wrap((lay.keep.astype(dt) * dt.type(lay.scale)).reshape(x.shape))
        y, h, c = R.composed_layer(mode, x, None if hx is None else hx[k],
                                   None if cx is None else cx[k],
                                   *saved[3 + _W * k:3 + _W * (k + 1)], steps=steps, B=B)
        hs.append(h)
        cs.append(c)
        x = y
    return x, stack(hs), (stack(cs) if mode == "LSTM" else None)
