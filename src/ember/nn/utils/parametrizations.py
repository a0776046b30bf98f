"""Parametrizations built on :mod:`ember.nn.utils.parametrize`: ``orthogonal``, ``weight_norm``
and ``spectral_norm``, with PyTorch's state_dict keys (``parametrizations.weight.original0``
...)."""
from enum import Enum, auto

import numpy as np

import ember
from ember._tensor import Tensor, wrap
from ember.autograd.grad_mode import no_grad
from ember.nn._functional.activation import normalize
from ember.nn.modules.module import Module
from ember.nn.utils import parametrize
from ember.nn.utils.spectral_norm import _transposed_conv
from ember.nn.utils.weight_norm import _weight_norm, norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# ---- orthogonal ----------------------------------------------------------------------------------
def _geqrf(a):
    """LAPACK's QR in Householder form, as ``torch.geqrf``: (reflectors below R, tau)."""
    h, tau = np.linalg.qr(a._data, mode="raw")
    return wrap(np.ascontiguousarray(np.swapaxes(h, -1, -2))), wrap(tau)


def _householder_product(a, tau):
    """The first k columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T, v_i the i-th column of
    ``a`` below the diagonal with a 1 on it (``torch.linalg.householder_product``). A composition
    of Tensor ops, so it is differentiable."""
    n, k = a.shape[-2], a.shape[-1]
    eye = ember.eye(n, k, dtype=a.dtype)
    v = a.tril(-1) + eye
    q = eye.expand(*a.shape[:-2], n, k)
    for i in range(k - 1, -1, -1):
        vi = v[..., :, i:i + 1]
        q = q - tau[..., i, None, None] * (vi @ (vi.mT @ q))
    return q


def _is_orthogonal(q):
    n, k = q.size(-2), q.size(-1)
    eps = 10.0 * n * np.finfo(q._data.dtype).eps
    return ember.allclose(q.mH @ q, ember.eye(k, dtype=q.dtype), atol=eps)


def _make_orthogonal(a):
    """The Q of ``a = QR`` with diag(R) >= 0."""
    x, tau = _geqrf(a)
    return _householder_product(x, tau) * x.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            # a skew-symmetric A from the n k - k (k - 1) / 2 free entries (lower triangle)
            X = X.tril()
            if n != k:
                X = ember.cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = ember.linalg.matrix_exp(A)
            else:  # the Cayley retraction (I + A/2)(I - A/2)^-1
                Id = ember.eye(n, dtype=A.dtype)
                Q = ember.linalg.solve(Id - 0.5 * A, Id + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            # the signs on X's diagonal, not differentiated (hence int)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                                 f"Got a tensor of shape {Q.shape}.")
            Q_init = Q
            n, k = Q.size(-2), Q.size(-1)
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map != _OrthMaps.householder:
                    raise NotImplementedError("It is not possible to assign to the matrix "
                                              "exponential or the Cayley parametrizations when "
                                              "use_trivialization=False.")
                # reflectors with diag(R) > 0, so that -Q is not decomposed as (-Q)(-I)
                A, tau = _geqrf(Q)
                d = np.sign(np.diagonal(A._data, axis1=-2, axis2=-1))
                d = np.where(tau._data == 0, -d, d)
                idx = np.arange(min(n, k))
                A._data[..., idx, idx] = d
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:  # complete Q to an n x n orthogonal matrix
                N = ember.randn(*(Q.size()[:-2] + (n, n - k)), dtype=Q.dtype)
                Q = _make_orthogonal(ember.cat([Q, N], dim=-1))
            self.base = Q
            # -I: makes householder(zeros) the identity; the diagonal's signs are used there
            neg_id = ember.zeros_like(Q_init)
            neg_id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_id


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    r"""Constrain a matrix (or batch of matrices) to be orthogonal: ``module.<name>`` is computed
    from ``parametrizations.<name>.original`` by ``orthogonal_map``, so it stays orthogonal
    (:math:`Q^T Q = I` on the shorter side) whatever the optimizer does.

    Args:
        module (Module): the module holding the parameter or buffer.
        name (str): the tensor. Default: ``'weight'``.
        orthogonal_map (str, optional): ``'matrix_exp'`` (default for square matrices),
            ``'cayley'`` or ``'householder'`` (default otherwise).
        use_trivialization (bool): keep the starting point in the buffer
            ``parametrizations.<name>.base`` and map from there (dynamic trivialization).
            Default: ``True``.

    Example::

        >>> m = nn.utils.parametrizations.orthogonal(nn.Linear(20, 40))
        >>> Q = m.weight
        >>> ember.dist(Q.T @ Q, ember.eye(20)) < 1e-5
        tensor(True)
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError("Expected a matrix or batch of matrices. Got a tensor of "
                         f"{weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.size(-2) == weight.size(-1)
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


# ---- weight_norm ---------------------------------------------------------------------------------
class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    r"""Weight normalization as a parametrization: ``module.<name>`` is computed as
    :math:`g \, v / \|v\|` from ``parametrizations.<name>.original0`` (the magnitude ``g``) and
    ``original1`` (the direction ``v``). Loading a checkpoint of the hook-based
    :func:`ember.nn.utils.weight_norm` (``<name>_g``, ``<name>_v``) works too.

    Args:
        module (Module): the module holding the parameter.
        name (str): the parameter. Default: ``'weight'``.
        dim (int or None): the dimension kept by the norm; ``None``: one norm over the whole
            tensor. Default: 0.

    Example::

        >>> m = nn.utils.parametrizations.weight_norm(nn.Linear(20, 40))
        >>> m.parametrizations.weight.original0.size()
        ember.Size([40, 1])
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict, prefix, local_metadata, strict, missing_keys,
                                 unexpected_keys, error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


# ---- spectral_norm -------------------------------------------------------------------------------
class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, "
                             f"{ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.size()
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", normalize(v, dim=0, eps=self.eps))
            # start from a good estimate, so the first forward is already close to W / sigma
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        # NOTE: in place into the buffers, as PyTorch (out=); forward clones them before use
        with no_grad():
            for _ in range(n_power_iterations):
                normalize(ember.mv(weight_mat, self._v), dim=0, eps=self.eps, out=self._u)
                normalize(ember.mv(weight_mat.H, self._u), dim=0, eps=self.eps, out=self._v)

    def forward(self, weight):
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u = self._u.clone()
        v = self._v.clone()
        sigma = ember.vdot(u, ember.mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    r"""Spectral normalization as a parametrization: ``module.<name>`` is
    :math:`W / \sigma(W)`, :math:`\sigma` the largest singular value estimated by power iteration
    with the buffers ``parametrizations.<name>.0._u`` and ``._v`` (15 steps at registration, then
    ``n_power_iterations`` at each read in training mode).

    Args:
        module (Module): the module holding the parameter or buffer.
        name (str): the tensor. Default: ``'weight'``.
        n_power_iterations (int): power-iteration steps per read in training. Default: 1.
        eps (float): guards the normalization of u and v. Default: 1e-12.
        dim (int, optional): the output dimension: 1 for ConvTranspose, else 0 by default.

    Example::

        >>> m = nn.utils.parametrizations.spectral_norm(nn.Linear(20, 40))
        >>> m.parametrizations.weight.original.size()
        ember.Size([40, 20])
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if _transposed_conv(module) else 0
    parametrize.register_parametrization(module, name,
                                         _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
