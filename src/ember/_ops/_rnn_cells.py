"""The numeric kernels of the fused recurrent layers (``_ops/rnn.py``): forward and backward through
time of one layer in one direction, on raw arrays (NumPy or CuPy).

Layout. A sequence is *packed*: ``X`` is ``(N, I)``, step ``t`` owns the rows
``off_t : off_t + b_t`` (a padded ``(T, B, I)`` input is the special case ``b_t = B``). ``steps``
lists ``(off_t, b_t)`` in the order the layer processes them (``t`` descending for the reverse
direction). Batch sizes never grow along ``t``, so in a forward layer the previous step's rows
``[:b_t]`` are exactly the rows still running; a reverse layer adds rows that start at this step,
which take their state from ``h0`` (see :func:`_prev`).

Speed. The input projections are matrix products over many steps at once; the loop over time
does one ``(b, H) @ (H, G)`` product plus a few in-place ufuncs, writing into preallocated arrays
that are kept for backward. Sigmoids are computed as ``0.5 * tanh(0.5 x) + 0.5``, the inner 0.5
folded into the weights: one ``tanh`` over all the gates of a step (sigmoid and tanh gates
together), no overflow warnings. Backward through time reuses the saved activations (for the LSTM,
the factors its gate derivatives multiply by, computed after the forward loop is past them): per
step one product and a few ufuncs on small, cache-resident arrays; the gradients of the input and
of the weights are big matrix products (in ``rnn.py``). With two cores the loop runs on one while
the other does the big products in chunks of steps, ahead of the forward loop and behind the
backward one (:func:`_projected`, ``_parallel.Relay``).

Gate orders are PyTorch's: LSTM ``i, f, g, o``; GRU ``r, z, n`` with
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``.
"""
from ember._backend import xp_of
from ember._ops import _parallel


def _prev(last, init, b):
    """The state entering a step of ``b`` rows: the previous step's rows ``[:b]``, and for rows
    that start here (only in a reverse layer over a packed batch) their initial state."""
    n = last.shape[0]
    if n >= b:
        return last[:b]
    return xp_of(last).concatenate((last, init[n:b]))


def _gate_scale(xp, dt, H, sig):
    """(G,) per-row factors: 0.5 on the rows of sigmoid gates (the trick's inner 0.5), 1 else."""
    return xp.asarray(sum(([0.5 if s else 1.0] * H for s in sig), []), dtype=dt)


def _hidden_weight(w_hh, scale):
    """``(w_hh * scale[:, None]).T`` as a C-contiguous (P, G) array. NOTE: BLAS multiplies a few
    rows by a contiguous right operand about twice as fast as by a transposed one, which is what
    the per-step product spends its time on; one copy per forward pays for itself even at T = 1."""
    xp = xp_of(w_hh)
    out = xp.empty(w_hh.shape[::-1], w_hh.dtype)
    if scale is None:
        out[...] = w_hh.T
    else:
        xp.multiply(w_hh.T, scale, out=out)
    return out


def _in_proj(X, w_ih, b, out):
    """The input projections ``X @ w_ih.T + b`` of rows ``lo:hi``, into ``out``: a function of
    ``(lo, hi)``. NOTE: ``w_ih.T`` is copied to a contiguous array: OpenBLAS multiplies a chunk of
    20 rows by a transposed operand at half the speed (47 against 81 GFLOPS)."""
    xp = xp_of(X)
    wT = xp.ascontiguousarray(w_ih.T)

    def proj(lo, hi):
        o = out[lo:hi]
        xp.matmul(X[lo:hi], wT, out=o)
        if b is not None:
            o += b
    return proj


def _projected(proj, chunks, loop, after=None):
    """Drive ``loop(marks)``, the loop over time (a generator that yields ``marks[s]`` before
    step ``s`` where ``s in marks``), with the input projection ``proj(lo, hi)`` of each chunk
    ``(first step, lo, hi)`` done ahead of it: on a pool thread while the loop runs (several
    chunks), or here as one product (one chunk). ``after(j)``, when given, runs once the loop is
    past chunk ``j`` (on the pool thread too). A stack of layers drives its layers' parts itself
    (``rnn_stack.py``): each forward kernel takes the driver as ``drive``."""
    n = len(chunks)

    def task(i, slot):
        if i < n:
            proj(*chunks[i][1:])
        else:
            after(i - n)
    relay = _parallel.Relay(task, n if after is None else 2 * n, published=n)
    marks = {c[0]: i for i, c in enumerate(chunks)}

    def body():
        for i in loop(marks):
            if after is not None:
                relay.publish(n + i)  # the chunks before this one are done
            relay.need(i)
        relay.finish()
    return _parallel.overlap(body, relay) if n > 1 else body()


def drain(gen, each):
    """Run the generator ``gen`` to its end, calling ``each(v)`` on every value it yields; returns
    its return value (a backward kernel's, see :func:`rnn_backward`)."""
    while True:
        try:
            v = next(gen)
        except StopIteration as stop:
            return stop.value
        each(v)


def _t_order(lst, steps):
    """Per-step arrays (listed in processing order) concatenated in packed (time) order."""
    xp = xp_of(lst[0])
    if len(steps) > 1 and steps[0][0] > steps[-1][0]:
        lst = lst[::-1]
    return xp.concatenate(lst) if len(lst) > 1 else lst[0]


# ---- Elman RNN -----------------------------------------------------------------------------------
def rnn_forward(X, steps, h0, w_ih, w_hh, b_ih, b_hh, relu, chunks, drive=None):
    """h' = act(W_ih x + b_ih + W_hh h + b_hh). Returns (Y, saved); Y doubles as the activations.
    ``chunks``: see :func:`_projected`."""
    xp = xp_of(X)
    Y = xp.empty((X.shape[0], w_hh.shape[0]), X.dtype)
    proj = _in_proj(X, w_ih, None if b_ih is None else b_ih + b_hh, Y)
    tmp = xp.empty((h0.shape[0], Y.shape[1]), Y.dtype)
    whhT = _hidden_weight(w_hh, None)
    hps = []

    def loop(marks):
        last = h0
        for s, (off, b) in enumerate(steps):
            if s in marks:
                yield marks[s]
            hp = _prev(last, h0, b)
            hps.append(hp)
            t = tmp[:b]
            xp.matmul(hp, whhT, out=t)
            y = Y[off:off + b]
            y += t
            if relu:
                xp.maximum(y, 0, out=y)
            else:
                xp.tanh(y, out=y)
            last = y
    (drive or _projected)(proj, chunks, loop)
    return Y, (hps,)


def rnn_backward(saved, steps, Y, w_hh, gY, dh, relu, dG, marks):
    """The gradient w.r.t. the pre-activations, into ``dG`` (N, H); ``dh`` (B, H) enters holding
    the gradient of the final state and leaves holding that of ``h0``. A generator: after step
    ``k`` (an index into ``steps``) with ``k in marks`` it yields ``marks[k]``: the rows of ``dG``
    of steps ``k:`` are then final, and the rows of ``gY`` that the steps before ``k`` read may
    still be being written until it is resumed (see ``rnn.py``, ``rnn_stack.py``)."""
    xp = xp_of(Y)
    for k in range(len(steps) - 1, -1, -1):
        off, b = steps[k]
        sl = slice(off, off + b)
        d = dh[:b]
        if gY is not None:
            d += gY[sl]
        g, y = dG[sl], Y[sl]
        if relu:
            xp.multiply(d, y > 0, out=g)
        else:  # d (1 - y^2)
            xp.multiply(y, y, out=g)
            xp.subtract(1, g, out=g)
            g *= d
        xp.matmul(g, w_hh, out=d)
        if k in marks:
            yield marks[k]


# ---- LSTM ----------------------------------------------------------------------------------------
# Internally the gates are stored gate-major, ``(4, N, H)`` in the order o, i, f, g (the sigmoid
# gates first): every gate of a step is then one contiguous (b, H) block. NOTE: NumPy spends several
# times longer on a strided (b, H) slice of a (b, 4H) row than on a contiguous block, and at this
# size the call overhead is most of the cost of an elementwise op; the per-step product as four
# (b, P) @ (P, H) products (one batched matmul) is also faster in OpenBLAS than one
# (b, P) @ (P, 4H).
_LSTM_ORDER = (3, 0, 1, 2)  # PyTorch's gate index of each internal gate


def _gate_blocks(w, scale=None, transpose=False):
    """``w`` (4H, K) in PyTorch's gate order -> (4, H, K) in the internal order (a copy), each
    gate's rows multiplied by ``scale[k]`` when given; with ``transpose``, (4, K, H) C-contiguous
    (the right operands of the products), written so in the same single pass."""
    xp = xp_of(w)
    H = w.shape[0] // 4
    out = xp.empty((4,) + (w.shape[1:] + (H,) if transpose else (H,) + w.shape[1:]), w.dtype)
    for k, j in enumerate(_LSTM_ORDER):
        blk = w[j * H:(j + 1) * H]
        if transpose:
            blk = blk.T
        if scale is None or scale[k] == 1:
            out[k] = blk
        else:
            xp.multiply(blk, scale[k], out=out[k])
    return out


def _block(buf, b):
    """The first ``b`` rows of each gate of ``buf`` (4, B, K), as a contiguous (4, b, K) array."""
    if b == buf.shape[1]:
        return buf
    return buf.reshape(-1)[:4 * b * buf.shape[2]].reshape(4, b, buf.shape[2])


_SIG = (0.5, 0.5, 0.5, 1.0)  # the sigmoid trick's inner 0.5 on o, i, f (exact: a power of two)


def lstm_forward(X, steps, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, chunks, for_backward=True,
                 drive=None):
    """c' = f c + i g, h' = o tanh(c') (then W_hr h' with a projection). Returns (Y, C, saved).
    ``chunks``: see :func:`_projected`. With ``for_backward``, the gate activations are turned
    into the factors backward multiplies by (:func:`_lstm_factors`) once the loop is past them."""
    xp = xp_of(X)
    N, dt = X.shape[0], X.dtype
    H = c0.shape[1]
    B, P = h0.shape
    # the (4, I, H) and (4, P, H) right operands, contiguous (OpenBLAS multiplies 20 rows by a
    # transposed operand at 45 GFLOPS, by a contiguous one at 110), scaled for the sigmoid trick
    wx = _gate_blocks(w_ih, _SIG, transpose=True)
    bx = None if b_ih is None else _gate_blocks(b_ih + b_hh, _SIG)[:, None]
    G = xp.empty((4, N, H), dt)

    def proj(lo, hi):
        g = G[:, lo:hi]
        xp.matmul(X[lo:hi], wx, out=g)
        if bx is not None:
            g += bx
    whh = _gate_blocks(w_hh, _SIG, transpose=True)
    C = xp.empty((N, H), dt)
    TC = xp.empty((N, H), dt)
    R = xp.empty((N, H), dt) if w_hr is not None else None  # o * tanh(c) before projection
    Y = xp.empty((N, P), dt)
    tmp = xp.empty((4, B, H), dt)
    u_buf = xp.empty((B, H), dt)
    whrT = None if w_hr is None else _hidden_weight(w_hr, None)
    cps = []

    def loop(marks):
        hlast, clast = h0, c0
        for s, (off, b) in enumerate(steps):
            if s in marks:
                yield marks[s]
            sl = slice(off, off + b)
            hp, cp = _prev(hlast, h0, b), _prev(clast, c0, b)
            cps.append(cp)
            t = _block(tmp, b)
            xp.matmul(hp, whh, out=t)
            a = G[:, sl]
            a += t
            xp.tanh(a, out=a)
            sg = a[:3]  # sigmoid = 0.5 tanh(x / 2) + 0.5
            sg *= 0.5
            sg += 0.5
            c = C[sl]
            xp.multiply(a[2], cp, out=c)
            u = u_buf[:b]
            xp.multiply(a[1], a[3], out=u)
            c += u
            tc = TC[sl]
            xp.tanh(c, out=tc)
            if whrT is None:
                xp.multiply(a[0], tc, out=Y[sl])
            else:
                xp.multiply(a[0], tc, out=R[sl])
                xp.matmul(R[sl], whrT, out=Y[sl])
            hlast, clast = Y[sl], c
    Q, F = (xp.empty((N, H), dt), xp.empty((N, H), dt)) if for_backward else (None, None)

    def factors(j):
        first, lo, hi = chunks[j]
        last = chunks[j + 1][0] if j + 1 < len(chunks) else len(steps)
        _lstm_factors(G[:, lo:hi], TC[lo:hi], Q[lo:hi], F[lo:hi],
                      _prev_blocks(steps, first, last, lo, hi, C, c0, cps))
    (drive or _projected)(proj, chunks, loop, factors if for_backward else None)
    return Y, C, (G, Q, F, R, _prev_states(Y, h0, steps))


def _prev_blocks(steps, first, last, lo, hi, C, c0, cps):
    """``[(row - lo, rows, c)]``: the cell states entering steps ``first:last`` (rows ``lo:hi``
    of ``C``). Where every step has the whole batch, those of consecutive steps are one slice of
    ``C`` shifted by a step (and ``c0``): two blocks instead of one a step."""
    B, N = c0.shape[0], C.shape[0]
    if any(b != B for _, b in steps):  # packed, batch shrinking: step by step
        return [(off - lo, b, cps[k]) for k, (off, b) in enumerate(steps[first:last], first)]
    n = hi - lo
    if len(steps) < 2 or steps[0][0] < steps[1][0]:  # forward: step t's is step t - 1's
        return [(0, n, C[lo - B:hi - B])] if lo else [(0, B, c0), (B, n - B, C[:hi - B])]
    # reverse: step t's is step t + 1's, and the last step's is c0
    return [(0, n, C[lo + B:hi + B])] if hi < N else [(0, n - B, C[lo + B:]), (n - B, B, c0)]


def _lstm_factors(a, tc, q, f, c_prev):
    """Turn the activations ``a`` = (o, i, f, g) of some rows into the factors of backward:
    ``a`` = (tc o (1 - o), g i (1 - i), c_prev f (1 - f), i (1 - g^2)), ``q`` = o (1 - tc^2) and
    ``f`` = f; ``c_prev`` lists ``(row, rows, c)`` of each step."""
    xp = xp_of(a)
    o, i, fg, g = a
    u = xp.empty_like(o)
    f[...] = fg
    xp.multiply(tc, tc, out=q)  # q = o (1 - tc^2)
    xp.subtract(1, q, out=q)
    q *= o
    xp.subtract(1, o, out=u)  # o <- tc o (1 - o)
    o *= u
    o *= tc
    xp.subtract(1, fg, out=u)  # f <- c_prev f (1 - f)
    fg *= u
    for r, b, c in c_prev:
        fg[r:r + b] *= c
    xp.multiply(g, g, out=u)  # u = i (1 - g^2); i <- g i (1 - i); g <- u
    xp.subtract(1, u, out=u)
    u *= i
    xp.multiply(i, g, out=g)
    xp.subtract(1, i, out=i)
    i *= g
    g[...] = u


def _prev_states(Y, h0, steps):
    """Each step's previous hidden state, in the order of ``steps``."""
    out = []
    last = h0
    for off, b in steps:
        out.append(_prev(last, h0, b))
        last = Y[off:off + b]
    return out


def lstm_backward(saved, steps, w_hh, w_hr, gY, dh, dc, dG, marks):
    """The gradients w.r.t. the gate pre-activations (the same for the input and the hidden
    projection), into ``dG`` (4, N, H) gate-major (:func:`lstm_rows` gives PyTorch's layout);
    ``dh``/``dc`` enter holding the final states' gradients and leave holding ``h0``'s/``c0``'s.
    ``marks`` as in :func:`rnn_backward`. Returns (as a generator's return value) the gradient of
    W_hr (None without a projection)."""
    A, Q, F, R, _ = saved
    xp = xp_of(Q)
    _, N, H = A.shape
    B, dt = dc.shape[0], Q.dtype
    P = w_hh.shape[1]
    whh = _gate_blocks(w_hh)  # (4, H, P)
    DH = None if w_hr is None else xp.empty((N, w_hr.shape[0]), dt)
    tmp = xp.empty((4, B, P), dt)
    v_buf = xp.empty((B, H), dt)
    r_buf = None if w_hr is None else xp.empty((B, H), dt)
    for k in range(len(steps) - 1, -1, -1):
        off, b = steps[k]
        sl = slice(off, off + b)
        a = A[:, sl]
        d = dh[:b]
        if gY is not None:
            d += gY[sl]
        if w_hr is None:
            dr = d
        else:
            DH[sl] = d
            dr = r_buf[:b]
            xp.matmul(d, w_hr, out=dr)
        c, v, gt = dc[:b], v_buf[:b], dG[:, sl]
        xp.multiply(dr, a[0], out=gt[0])  # do = dr tanh(c) o (1 - o)
        xp.multiply(dr, Q[sl], out=v)  # dc += dr o (1 - tanh(c)^2)
        c += v
        xp.multiply(c, a[1:], out=gt[1:])  # di, df, dg: dc times their factors
        c *= F[sl]  # dc_prev
        t = _block(tmp, b)
        xp.matmul(gt, whh, out=t)  # dh_prev: the four gates' products, summed
        xp.add(t[0], t[1], out=d)
        d += t[2]
        d += t[3]
        if k in marks:
            yield marks[k]
    return None if w_hr is None else DH.T @ R  # h = W_hr r with r = o tanh(c)


def lstm_rows(dG, lo, hi):
    """Rows ``lo:hi`` of the gate-major ``dG`` (4, N, H) in PyTorch's layout (hi - lo, 4H)."""
    xp = xp_of(dG)
    H = dG.shape[2]
    out = xp.empty((hi - lo, 4, H), dG.dtype)
    for k, j in enumerate(_LSTM_ORDER):
        out[:, j] = dG[k, lo:hi]
    return out.reshape(hi - lo, 4 * H)


# ---- GRU -----------------------------------------------------------------------------------------
def gru_forward(X, steps, h0, w_ih, w_hh, b_ih, b_hh, chunks, drive=None):
    """r, z = sigmoid(...); n = tanh(W_in x + b_in + r (W_hn h + b_hn)); h' = n + z (h - n).
    Returns (Y, saved). ``chunks``: see :func:`_projected`."""
    xp = xp_of(X)
    N, dt = X.shape[0], X.dtype
    B, H = h0.shape
    H2 = 2 * H
    # the sigmoid trick's inner 0.5 of r and z folded into the weights and biases (exact)
    sc = _gate_scale(xp, dt, H, (1, 1, 0))
    XG = xp.empty((N, 3 * H), dt)
    proj = _in_proj(X, w_ih * sc[:, None], None if b_ih is None else b_ih * sc, XG)
    A = xp.empty((N, 3 * H), dt)  # W_hh h + b_hh of every step (scaled r, z; the n part as is)
    Y = xp.empty((N, H), dt)
    u_buf = xp.empty((B, H), dt)
    whhT = _hidden_weight(w_hh, sc)
    bhh = None if b_hh is None else b_hh * sc
    hps = []

    def loop(marks):
        last = h0
        for s, (off, b) in enumerate(steps):
            if s in marks:
                yield marks[s]
            sl = slice(off, off + b)
            hp = _prev(last, h0, b)
            hps.append(hp)
            a = A[sl]
            xp.matmul(hp, whhT, out=a)
            if bhh is not None:
                a += bhh
            rz = XG[sl, :H2]
            rz += a[:, :H2]
            xp.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            n = XG[sl, H2:]
            v = u_buf[:b]
            xp.multiply(rz[:, :H], a[:, H2:], out=v)
            n += v
            xp.tanh(n, out=n)
            y = Y[sl]
            xp.subtract(hp, n, out=y)
            y *= rz[:, H:]
            y += n
            last = y
    (drive or _projected)(proj, chunks, loop)
    return Y, (XG, A, hps)


def gru_backward(saved, steps, w_hh, gY, dh, dX, dA, marks):
    """Gradients w.r.t. the input projection and the hidden projection, into ``dX`` and ``dA``
    (N, 3, H); ``dh`` enters holding the final state's gradient and leaves holding ``h0``'s.
    ``marks`` as in :func:`rnn_backward`."""
    XG, A, hps = saved
    xp = xp_of(XG)
    N = XG.shape[0]
    H = XG.shape[1] // 3
    B = dh.shape[0]
    X3 = XG.reshape(N, 3, H)
    u_buf, v_buf = xp.empty((B, H), XG.dtype), xp.empty((B, H), XG.dtype)
    for k in range(len(steps) - 1, -1, -1):
        off, b = steps[k]
        sl = slice(off, off + b)
        x3 = X3[sl]
        r, z, n = x3[:, 0], x3[:, 1], x3[:, 2]
        d = dh[:b]
        if gY is not None:
            d += gY[sl]
        u, v, dx, da = u_buf[:b], v_buf[:b], dX[sl], dA[sl]
        # dn = d (1 - z)(1 - n^2); dz = d (h_prev - n) z (1 - z)
        xp.multiply(n, n, out=u)
        xp.subtract(1, u, out=u)
        xp.subtract(1, z, out=v)
        u *= v
        xp.multiply(d, u, out=dx[:, 2])
        xp.subtract(hps[k], n, out=u)
        u *= z
        u *= v
        xp.multiply(d, u, out=dx[:, 1])
        # dr = dn hn r (1 - r); the hidden side's n part is dn r
        xp.multiply(dx[:, 2], A[sl, 2 * H:], out=u)
        xp.subtract(1, r, out=v)
        v *= r
        xp.multiply(u, v, out=dx[:, 0])
        da[:, :2] = dx[:, :2]
        xp.multiply(dx[:, 2], r, out=da[:, 2])
        xp.multiply(d, z, out=u)  # the direct path h_prev -> z h_prev
        xp.matmul(da.reshape(b, 3 * H), w_hh, out=d)
        d += u
        if k in marks:
            yield marks[k]
