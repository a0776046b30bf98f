"""Primitive operations by family. Importing this package attaches every family's methods to Tensor."""
from ember._ops import convert, creation, elementwise, reduce, shape  # noqa: F401
