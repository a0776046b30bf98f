"""``einsum``: Einstein summation over operands, with its gradient written as einsums.

The equation is first made explicit: the ellipsis becomes letters of its own, the implicit output
(letters seen once, sorted, after the ellipsis) is spelled out, and size-1 dimensions are expanded
where another operand has the full size (PyTorch broadcasts them). The gradient of operand ``k`` is
then the einsum of the output gradient with the other operands, into ``k``'s subscripts:

- a letter repeated in ``k`` (a diagonal, ``'ii'``) gets a fresh letter tied to it by an identity
  matrix, so the gradient lands on the diagonal;
- a letter only ``k`` has (summed out, ``'ij->i'``) is left out and the gradient expanded over it.
"""
import string

import numpy as np

from ember._backend import xp_of
from ember._tensor import Tensor, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

_LETTERS = string.ascii_uppercase + string.ascii_lowercase


class EinsumBackward0(Node):
    def backward(self, g):
        ops = self.saved_tensors
        return tuple(None if self._next[k] is None else _grad_of(k, g, ops, self.subs, self.out)
                     for k in range(len(ops)))


def _grad_of(k, g, ops, subs, out):
    used = set("".join(subs)) | set(out)
    fresh = (c for c in _LETTERS if c not in used)
    terms, tensors = [out], [g]
    for j, (s, t) in enumerate(zip(subs, ops)):
        if j != k:
            terms.append(s)
            tensors.append(t)
    target, seen = [], set()
    shape = ops[k]._data.shape
    for c, n in zip(subs[k], shape):
        if c in seen:  # a diagonal: a fresh letter, tied to c by an identity matrix
            f = next(fresh)
            terms.append(c + f)
            tensors.append(wrap(xp_of(g._data).eye(n, dtype=g._data.dtype)))
            c = f
        seen.add(c)
        target.append(c)
    have = set("".join(terms))
    kept = "".join(c for c in target if c in have)
    r = einsum(",".join(terms) + "->" + kept, *tensors)
    if len(kept) != len(target):  # letters only operand k has: broadcast the gradient over them
        r = r.reshape(tuple(n if c in have else 1 for c, n in zip(target, shape))).expand(shape)
    return r


def _sublist_equation(args):
    """``einsum(a, [0, 1], b, [1, 2], [0, 2])`` -> ``('Ab,bC->AC'-like string, operands)``."""
    def term(sub):
        parts = []
        for s in sub:
            if s is Ellipsis:
                parts.append("...")
            elif isinstance(s, int) and 0 <= s < 52:
                parts.append(_LETTERS[s])
            else:
                raise ValueError(f"einsum(): expected subscript to be within the range [0, 52), "
                                 f"but got {s}")
        return "".join(parts)
    ops = args[0::2]
    subs = args[1::2]
    eq = ",".join(term(s) for s in subs[:len(ops)])
    if len(subs) == len(ops) - 1:  # the last item is the output sublist
        eq += "->" + term(ops[-1])
        ops = ops[:-1]
    return eq, tuple(ops)


def _split_term(term, k, ndim, what="operand"):
    """The letters of one term and whether (where) it has an ellipsis."""
    letters, ell, i = [], None, 0
    while i < len(term):
        c = term[i]
        if c == ".":
            if term[i:i + 3] != "..." or ell is not None:
                raise RuntimeError(f"einsum(): found '.' for {what} {k} that is not part of any "
                                   "ellipsis")
            ell = len(letters)
            i += 3
            continue
        if c not in _LETTERS:
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation "
                               "string, subscripts must be in [a-zA-Z]")
        letters.append(c)
        i += 1
    if ndim is not None:
        if ell is None and len(letters) != ndim:
            raise RuntimeError("einsum(): the number of subscripts in the equation "
                               f"({len(letters)}) does not match the number of dimensions ({ndim}) for operand {k} "
                               "and no ellipsis was given")
        if ell is not None and len(letters) > ndim:
            raise RuntimeError("einsum(): the number of subscripts in the equation "
                               f"({len(letters)}) is more than the number of dimensions ({ndim}) for operand {k}")
    return letters, ell


def _parse(eq, ops):
    """Explicit subscripts (one string per operand and the output) and each letter's size."""
    eq = eq.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(ops):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(ops):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    parsed = [_split_term(t, k, op._data.ndim) for k, (t, op) in enumerate(zip(terms, ops))]
    n_ell = max((op._data.ndim - len(ls) for (ls, e), op in zip(parsed, ops) if e is not None),
                default=0)
    used = set(lhs) | set(rhs)
    ell_letters = "".join([c for c in _LETTERS if c not in used][:n_ell])
    subs = []
    for (letters, e), op in zip(parsed, ops):
        if e is None:
            subs.append("".join(letters))
        else:
            m = op._data.ndim - len(letters)
            subs.append("".join(letters[:e]) + ell_letters[n_ell - m:] + "".join(letters[e:]))
    if arrow:
        letters, e = _split_term(rhs, 0, None, "output")
        out = "".join(letters) if e is None else (
            "".join(letters[:e]) + ell_letters + "".join(letters[e:]))
        for c in letters:
            if letters.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the "
                                   "output")
            if c not in lhs:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   "equation for any input operand")
    else:
        counts = {}
        for letters, _ in parsed:
            for c in letters:
                counts[c] = counts.get(c, 0) + 1
        out = ell_letters + "".join(sorted(c for c, n in counts.items() if n == 1))
    sizes = {}
    for k, (s, op) in enumerate(zip(subs, ops)):
        mine = {}
        for c, n in zip(s, op._data.shape):
            if c in mine and mine[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the "
                                   f"sizes don't match, {n} != {mine[c]}")
            mine[c] = n
            prev = sizes.get(c, 1)
            if n != 1 and prev != 1 and n != prev:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} which "
                                   f"does not broadcast with previously seen size {prev}")
            sizes[c] = max(prev, n) if n != 1 else prev
    return subs, out, sizes


def einsum(*args):
    """Sum of products of operands' elements over the indices an equation names.

    Args:
        equation: subscripts like ``'ij,jk->ik'``; ``...`` stands for broadcast dimensions and the
            output may be left implicit. The sublist form ``einsum(a, [0, 1], b, [1, 2])`` works
            too.
        operands: tensors (or one list of tensors) of the same dtype.

    Example::

        ember.einsum('bij,bjk->bik', x, y)    # batched matrix product
        ember.einsum('ii', m)                 # trace
    """
    if not args:
        raise RuntimeError("einsum(): must specify the equation string and at least one operand, "
                           "or at least one operand and its subscripts list")
    if isinstance(args[0], str):
        eq, ops = args[0], args[1:]
        if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
            ops = tuple(ops[0])
    else:
        eq, ops = _sublist_equation(args)
    for i, op in enumerate(ops):
        if not isinstance(op, Tensor):
            raise TypeError(f"einsum(): argument 'operands' (position {i + 2}) must be tuple of "
                            f"Tensors, not {type(op).__name__}")
    subs, out, sizes = _parse(eq, ops)
    dt = ops[0]._data.dtype
    for op in ops[1:]:
        if op._data.dtype != dt:
            from ember._ops.linalg import _sname
            raise RuntimeError(f"expected scalar type {_sname(ops[0]._data)} but found "
                               f"{_sname(op._data)}")
    # expand size-1 dims that broadcast against another operand (a view; the engine sums back)
    ops = tuple(op if all(sizes[c] == n for c, n in zip(s, op._data.shape))
                else op.expand(tuple(sizes[c] for c in s)) for s, op in zip(subs, ops))
    explicit = ",".join(subs) + "->" + out
    r = np.einsum(explicit, *[op._data for op in ops], optimize=len(ops) > 2 or (
        len(ops) == 2 and ops[0]._data.size * ops[1]._data.size > 4096))
    if isinstance(r, np.ndarray) and r.base is not None and len(ops) == 1:
        r = r.copy()  # np.einsum returns views for some single-operand equations
    if STATE.enabled and any(op._rg for op in ops):
        node = EinsumBackward0()
        node.subs, node.out = subs, out
        node.save_for_backward(*ops)
        return track(r, node, ops)
    return wrap(r)
