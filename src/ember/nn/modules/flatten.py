"""``Flatten`` and ``Unflatten``: reshape between a run of dims and a single dim."""
from ember.nn.modules.module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Flatten dims ``start_dim`` to ``end_dim`` into one (by default all but the batch dim).

    Args:
        start_dim (int): first dim to flatten. Default: 1.
        end_dim (int): last dim to flatten. Default: -1.

    Shape:
        - Input: :math:`(*, S_{start}, ..., S_{end}, *)`
        - Output: :math:`(*, \\prod_{i=start}^{end} S_i, *)`

    Example::

        nn.Flatten()(ember.zeros(32, 1, 5, 5)).shape    # ember.Size([32, 25])
    """

    __constants__ = ["start_dim", "end_dim"]

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dim ``dim`` into the shape ``unflattened_size``.

    Args:
        dim (int): the dim to unflatten.
        unflattened_size (tuple or list of ints): its new shape (one entry may be -1).

    Example::

        nn.Unflatten(1, (2, 5))(ember.zeros(2, 10)).shape    # ember.Size([2, 2, 5])
    """

    __constants__ = ["dim", "unflattened_size"]

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self._require_tuple_int(unflattened_size)
        self.dim = dim
        self.unflattened_size = unflattened_size

    def _require_tuple_int(self, input):
        if isinstance(input, (tuple, list)):
            for idx, elem in enumerate(input):
                if not isinstance(elem, int):
                    raise TypeError("unflattened_size must be tuple of ints, but found element of "
                                    f"type {type(elem).__name__} at pos {idx}")
            return
        raise TypeError("unflattened_size must be a tuple of ints, but found type "
                        f"{type(input).__name__}")

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
