"""Primitive operations by family. Importing this package attaches every family's methods to Tensor;
each module's ``__all__`` is what ``ember`` exports from it."""
from ember._ops import (compare, convert, creation, elementwise, index, inplace, linalg,  # noqa: F401
                        random, reduce, shape, softmax, sort, unary)

FAMILIES = (compare, convert, creation, elementwise, index, inplace, linalg, random, reduce, shape,
            softmax, sort, unary)
