"""Primitive operations by family. Importing this package attaches every family's methods to Tensor;
each module's ``__all__`` is what ``ember`` exports from it."""
from ember._ops import (binary_math, compare, conv, convert, counting, creation,  # noqa: F401
                        decomp, distance, elementwise, histogram, index, inplace, join, linalg,
                        mask, pixel_shuffle, pool_api, random, rearrange, reduce, scan, scatter,
                        shape, slicing, softmax, sort, special_math, stats, structured, unary,
                        windows)

FAMILIES = (binary_math, compare, conv, convert, counting, creation, decomp, distance, elementwise,
            histogram, index, inplace, join, linalg, mask, pixel_shuffle, pool_api, random,
            rearrange, reduce, scan, scatter, shape, slicing, softmax, sort, special_math, stats,
            structured, unary, windows)
