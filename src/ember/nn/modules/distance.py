"""``PairwiseDistance`` and ``CosineSimilarity``, as ``torch.nn.modules.distance``."""
from ember.nn import functional as F
from ember.nn.modules.module import Module

__all__ = ["PairwiseDistance", "CosineSimilarity"]


class PairwiseDistance(Module):
    """The ``p``-norm distance ``||x1 - x2 + eps||_p`` along the last dim (``F.pairwise_distance``).

    Args:
        p (float): the norm's degree. Default: 2.
        eps (float): added to the difference (a finite gradient where the inputs are equal).
        keepdim (bool): keep the last dim (as size 1).

    Shape:
        - Input: ``(N, D)`` or ``(D,)``, two of them; Output: ``(N,)`` or ``()``.

    Example::

        nn.PairwiseDistance()(ember.randn(8, 3), ember.randn(8, 3)).shape    # [8]
    """

    __constants__ = ["norm", "eps", "keepdim"]

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """The cosine of the angle between ``x1`` and ``x2`` along ``dim`` (``F.cosine_similarity``).

    Args:
        dim (int): the dim to compare along. Default: 1.
        eps (float): the smallest norm used in the division. Default: 1e-8.

    Example::

        nn.CosineSimilarity(dim=1)(ember.randn(8, 3), ember.randn(8, 3)).shape    # [8]
    """

    __constants__ = ["dim", "eps"]

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)
