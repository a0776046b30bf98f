"""The numeric kernels of the fused recurrent layers (``_ops/rnn.py``): forward and backward through
time of one layer in one direction, on raw arrays (NumPy or CuPy).

Layout. A sequence is *packed*: ``X`` is ``(N, I)``, step ``t`` owns the rows
``off_t : off_t + b_t`` (a padded ``(T, B, I)`` input is the special case ``b_t = B``). ``steps``
lists ``(off_t, b_t)`` in the order the layer processes them (``t`` descending for the reverse
direction). Batch sizes never grow along ``t``, so in a forward layer the previous step's rows
``[:b_t]`` are exactly the rows still running; a reverse layer adds rows that start at this step,
which take their state from ``h0`` (see :func:`_prev`).

Speed. The input projection of every step is one matrix product; the loop over time does one
``(b, H) @ (H, G)`` product plus a few in-place ufuncs, writing into preallocated arrays that are
kept for backward. Sigmoids are computed as ``0.5 * tanh(0.5 x) + 0.5``: one ``tanh`` over all
the gates of a step (sigmoid and tanh gates together), no overflow warnings. Backward precomputes
every elementwise derivative over the whole sequence at once (a handful of big ufuncs), so its loop
is a few multiplies and one product per step; the weight gradients are big matrix products at the
end.

Gate orders are PyTorch's: LSTM ``i, f, g, o``; GRU ``r, z, n`` with
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``.
"""
from ember._backend import xp_of


def _prev(last, init, b):
    """The state entering a step of ``b`` rows: the previous step's rows ``[:b]``, and for rows
    that start here (only in a reverse layer over a packed batch) their initial state."""
    n = last.shape[0]
    if n >= b:
        return last[:b]
    return xp_of(last).concatenate((last, init[n:b]))


def _consts(xp, dt, k, sig):
    """Per-gate scale and offset, shape (k, 1): 0.5 / 0.5 for sigmoid gates, 1 / 0 for tanh."""
    sc = xp.asarray([[0.5] if s else [1.0] for s in sig], dtype=dt)
    off = xp.asarray([[0.5] if s else [0.0] for s in sig], dtype=dt)
    return sc.reshape(k, 1), off.reshape(k, 1)


def _in_proj(X, w_ih, b):
    """All steps' input projections in one product: ``X @ w_ih.T + b``."""
    G = X @ w_ih.T
    if b is not None:
        G += b
    return G


def _t_order(lst, steps):
    """Per-step arrays (listed in processing order) concatenated in packed (time) order."""
    xp = xp_of(lst[0])
    if len(steps) > 1 and steps[0][0] > steps[-1][0]:
        lst = lst[::-1]
    return xp.concatenate(lst) if len(lst) > 1 else lst[0]


# ---- Elman RNN -----------------------------------------------------------------------------------
def rnn_forward(X, steps, h0, w_ih, w_hh, b_ih, b_hh, relu):
    """h' = act(W_ih x + b_ih + W_hh h + b_hh). Returns (Y, saved); Y doubles as the activations."""
    xp = xp_of(X)
    Y = _in_proj(X, w_ih, None if b_ih is None else b_ih + b_hh)
    tmp = xp.empty((h0.shape[0], Y.shape[1]), Y.dtype)
    whhT = w_hh.T
    last, hps = h0, []
    for off, b in steps:
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
    return Y, (hps,)


def rnn_backward(saved, steps, X, Y, w_ih, w_hh, gY, dh, relu):
    """Gradients w.r.t. the pre-activations (N, H); ``dh`` (B, H) enters holding the gradient of the
    final state and leaves holding that of ``h0``."""
    (hps,) = saved
    xp = xp_of(Y)
    if relu:
        K = (Y > 0).astype(Y.dtype)
    else:
        K = Y * Y
        xp.subtract(1, K, out=K)
    dG = xp.empty_like(Y)
    for off, b in reversed(steps):
        d = dh[:b]
        if gY is not None:
            d += gY[off:off + b]
        g = dG[off:off + b]
        xp.multiply(d, K[off:off + b], out=g)
        xp.matmul(g, w_hh, out=d)
    return dG, dG, _t_order(hps, steps)


# ---- LSTM ----------------------------------------------------------------------------------------
def lstm_forward(X, steps, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
    """c' = f c + i g, h' = o tanh(c') (then W_hr h' with a projection). Returns (Y, C, saved)."""
    xp = xp_of(X)
    N, dt = X.shape[0], X.dtype
    H = c0.shape[1]
    B, P = h0.shape
    sc, off_ = _consts(xp, dt, 4, (1, 1, 0, 1))
    G = _in_proj(X, w_ih, None if b_ih is None else b_ih + b_hh)
    G4 = G.reshape(N, 4, H)
    G4 *= sc  # the 0.5 of the sigmoid trick, for every step's input part at once
    C = xp.empty((N, H), dt)
    TC = xp.empty((N, H), dt)
    R = xp.empty((N, H), dt) if w_hr is not None else None
    Y = xp.empty((N, P), dt) if w_hr is not None else None
    if Y is None:
        Y = xp.empty((N, H), dt)
    tmp = xp.empty((B, 4 * H), dt)
    u_buf = xp.empty((B, H), dt)
    whhT = w_hh.T
    whrT = None if w_hr is None else w_hr.T
    hlast, clast, hps, cps = h0, c0, [], []
    for off, b in steps:
        sl = slice(off, off + b)
        hp, cp = _prev(hlast, h0, b), _prev(clast, c0, b)
        hps.append(hp)
        cps.append(cp)
        t = tmp[:b]
        xp.matmul(hp, whhT, out=t)
        t.reshape(b, 4, H).__imul__(sc)
        a = G[sl]
        a += t
        xp.tanh(a, out=a)
        a4 = G4[sl]
        a4 *= sc
        a4 += off_
        c = C[sl]
        xp.multiply(a4[:, 1], cp, out=c)
        u = u_buf[:b]
        xp.multiply(a4[:, 0], a4[:, 2], out=u)
        c += u
        tc = TC[sl]
        xp.tanh(c, out=tc)
        if whrT is None:
            xp.multiply(a4[:, 3], tc, out=Y[sl])
        else:
            xp.multiply(a4[:, 3], tc, out=R[sl])
            xp.matmul(R[sl], whrT, out=Y[sl])
        hlast, clast = Y[sl], c
    return Y, C, (G4, TC, R, hps, cps)


def lstm_backward(saved, steps, w_hh, w_hr, gY, dh, dc):
    """Gradients w.r.t. the gate pre-activations (N, 4H) (the same for the input and the hidden
    projection); ``dh``/``dc`` enter holding the final states' gradients and leave holding
    ``h0``'s/``c0``'s. Also returns the stacked previous states and, with a projection, the
    gradient of W_hr."""
    G4, TC, R, hps, cps = saved
    xp = xp_of(TC)
    N, _, H = G4.shape
    i, f, g, o = G4[:, 0], G4[:, 1], G4[:, 2], G4[:, 3]
    CP = _t_order(cps, steps)
    # the elementwise derivatives of every step, in a few ufuncs over the whole sequence:
    # dc += dr * Kc; do = dr * Ko; (di, df, dg) = dc * (Ki, Kf, Kg)
    Kc = TC * TC
    xp.subtract(1, Kc, out=Kc)
    Kc *= o
    Ko = 1 - o
    Ko *= o
    Ko *= TC
    K3 = xp.empty((N, 3, H), TC.dtype)
    xp.subtract(1, i, out=K3[:, 0])
    K3[:, 0] *= i
    K3[:, 0] *= g
    xp.subtract(1, f, out=K3[:, 1])
    K3[:, 1] *= f
    K3[:, 1] *= CP
    xp.multiply(g, g, out=K3[:, 2])
    xp.subtract(1, K3[:, 2], out=K3[:, 2])
    K3[:, 2] *= i
    dG = xp.empty((N, 4, H), TC.dtype)
    DH = None if w_hr is None else xp.empty((N, w_hr.shape[0]), TC.dtype)
    u_buf = xp.empty((dc.shape[0], H), TC.dtype)
    r_buf = None if w_hr is None else xp.empty((dc.shape[0], H), TC.dtype)
    for off, b in reversed(steps):
        sl = slice(off, off + b)
        d = dh[:b]
        if gY is not None:
            d += gY[sl]
        if w_hr is None:
            dr = d
        else:
            DH[sl] = d
            dr = r_buf[:b]
            xp.matmul(d, w_hr, out=dr)
        c = dc[:b]
        u = u_buf[:b]
        xp.multiply(dr, Kc[sl], out=u)
        c += u
        gt = dG[sl]
        xp.multiply(dr, Ko[sl], out=gt[:, 3])
        xp.multiply(c[:, None, :], K3[sl], out=gt[:, :3])
        c *= f[sl]
        xp.matmul(gt.reshape(b, 4 * H), w_hh, out=d)
    dW_hr = None
    if w_hr is not None:
        Rm = R  # h = W_hr r with r = o * tanh(c)
        dW_hr = DH.T @ Rm
    return dG.reshape(N, 4 * H), _t_order(hps, steps), dW_hr


# ---- GRU -----------------------------------------------------------------------------------------
def gru_forward(X, steps, h0, w_ih, w_hh, b_ih, b_hh):
    """r, z = sigmoid(...); n = tanh(W_in x + b_in + r (W_hn h + b_hn)); h' = n + z (h - n).
    Returns (Y, saved)."""
    xp = xp_of(X)
    N, dt = X.shape[0], X.dtype
    B, H = h0.shape
    XG = _in_proj(X, w_ih, b_ih)
    H2 = 2 * H
    XG[:, :H2] *= 0.5  # the 0.5 of the sigmoid trick, for every step's input part at once
    A = xp.empty((N, 3 * H), dt)  # W_hh h + b_hh of every step (its n part is needed backward)
    Y = xp.empty((N, H), dt)
    u_buf = xp.empty((B, H2), dt)
    whhT = w_hh.T
    last, hps = h0, []
    for off, b in steps:
        sl = slice(off, off + b)
        hp = _prev(last, h0, b)
        hps.append(hp)
        a = A[sl]
        xp.matmul(hp, whhT, out=a)
        if b_hh is not None:
            a += b_hh
        rz = XG[sl, :H2]
        u = u_buf[:b]
        xp.multiply(a[:, :H2], 0.5, out=u)
        rz += u
        xp.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        n = XG[sl, H2:]
        v = u[:, :H]
        xp.multiply(rz[:, :H], a[:, H2:], out=v)
        n += v
        xp.tanh(n, out=n)
        y = Y[sl]
        xp.subtract(hp, n, out=y)
        y *= rz[:, H:]
        y += n
        last = y
    return Y, (XG, A, hps)


def gru_backward(saved, steps, w_hh, gY, dh):
    """Gradients w.r.t. the input projection (N, 3H) and the hidden projection (N, 3H); ``dh``
    enters holding the final state's gradient and leaves holding ``h0``'s."""
    XG, A, hps = saved
    xp = xp_of(XG)
    N = XG.shape[0]
    H = XG.shape[1] // 3
    X3 = XG.reshape(N, 3, H)
    r, z, n = X3[:, 0], X3[:, 1], X3[:, 2]
    HP = _t_order(hps, steps)
    # per-step gradients are dh times these, computed over the whole sequence at once:
    # input side (dr, dz, dn) = dh * KX; hidden side (dr, dz, dhn) = dh * KA
    KX = xp.empty((N, 3, H), XG.dtype)
    Kn = KX[:, 2]
    xp.multiply(n, n, out=Kn)
    xp.subtract(1, Kn, out=Kn)
    Kn *= 1 - z
    Kz = KX[:, 1]
    xp.subtract(HP, n, out=Kz)
    Kz *= z
    Kz *= 1 - z
    Kr = KX[:, 0]
    xp.multiply(Kn, A[:, 2 * H:], out=Kr)
    Kr *= r
    Kr *= 1 - r
    KA = KX.copy()
    KA[:, 2] *= r
    dX = xp.empty((N, 3, H), XG.dtype)
    dA = xp.empty((N, 3, H), XG.dtype)
    u_buf = xp.empty((dh.shape[0], H), XG.dtype)
    for off, b in reversed(steps):
        sl = slice(off, off + b)
        d = dh[:b]
        if gY is not None:
            d += gY[sl]
        d3 = d[:, None, :]
        xp.multiply(d3, KX[sl], out=dX[sl])
        da = dA[sl]
        xp.multiply(d3, KA[sl], out=da)
        u = u_buf[:b]
        xp.multiply(d, z[sl], out=u)
        xp.matmul(da.reshape(b, 3 * H), w_hh, out=d)
        d += u
    return dX.reshape(N, 3 * H), dA.reshape(N, 3 * H), HP
