"""In-place operations through views of tensors that require grad (PyTorch's CopySlices): the root
base is rebased onto a node that routes the view's region through the in-place op, and views made
before a base changed are rebuilt from it."""
import numpy as np
import pytest

import ember
from helpers import compare, rand


def _grad(lib, f):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    f(lib, x).sum().backward()
    return x.grad.tolist()


def _in_place_on_a_slice(lib, x):
    a = x * 1
    a[0].mul_(2)
    return a


def _in_place_on_a_reshape(lib, x):
    a = x * 1
    a.reshape(3).mul_(3)
    return a


def _old_view_after_base_changes(lib, x):
    a = x * 1
    v = a[:2]
    a.mul_(2)
    return v


@pytest.mark.parametrize("case, expected", [
    (_in_place_on_a_slice, [2.0, 1.0, 1.0]),
    (_in_place_on_a_reshape, [3.0, 3.0, 3.0]),
    (_old_view_after_base_changes, [2.0, 2.0, 0.0]),
])
def test_in_place_through_views(lib, case, expected):
    assert _grad(lib, case) == expected


def _slice_mul_by_tensor(lib, x, w):
    a = x * 1
    a[1:, ::2].mul_(w[:2])
    return a * a


def _setitem_on_a_view(lib, x, w):
    b = x * 1
    v = b[1:]
    v[0] = w
    return b * b


def _transposed_view_add(lib, x, w):
    a = x * 3
    a.t()[0].add_(w[:3], alpha=2.0)
    return a.sin()


def _view_of_view(lib, x, w):
    a = x * 2
    a[1][1:].copy_(w[:3])
    return a.tanh()


def _saved_self_through_view(lib, x, w):
    a = x * 1
    a[0].exp_()  # exp saves its output, which is the view at its new version
    return a


@pytest.mark.parametrize("case", [_slice_mul_by_tensor, _setitem_on_a_view, _transposed_view_add,
                                  _view_of_view, _saved_self_through_view])
def test_view_writes_match_torch(case):
    compare(case, rand(3, 4, dtype=np.float64), rand(4, dtype=np.float64))


def test_saved_output_modified_through_a_view_is_caught(lib):
    x = lib.ones(3, 4, dtype=lib.float64, requires_grad=True)
    a = x.exp()
    a.t()[0].add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        a.sum().backward()


def test_double_backward_through_copy_slices():
    def f(lib, x):
        a = x * x
        a[1:].mul_(x[1:])
        (g,) = lib.autograd.grad(a.sum(), x, create_graph=True)
        return g
    compare(f, rand(4, dtype=np.float64))


@pytest.mark.parametrize("split", [lambda a: a.unbind(0), lambda a: a.split(1), lambda a: a.chunk(3)])
def test_outputs_of_multi_view_ops_refuse_in_place(lib, split):
    a = lib.ones(3, 2, requires_grad=True) + 0
    with pytest.raises(RuntimeError, match="Output 2 of .* is a view and is being modified inplace"):
        split(a)[2].sigmoid_()


def test_in_place_on_a_view_of_a_leaf_is_refused(lib):
    x = lib.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf Variable that requires grad"):
        x[0].mul_(2)
    with lib.no_grad():
        x[0].mul_(2)  # allowed when not recording (initialisation code does this)
    assert x.tolist() == [2.0, 1.0, 1.0]


def test_base_that_did_not_require_grad_picks_it_up(lib):
    w = lib.tensor([5.0], requires_grad=True)
    a = lib.zeros(3)
    a[1:2].mul_(0).add_(w)
    assert a.requires_grad
    a.sum().backward()
    assert w.grad.tolist() == [1.0]


def test_view_bookkeeping_costs_nothing_without_grad():
    a = ember.zeros(4)
    v = a[1:3]
    v.add_(1)
    assert a.grad_fn is None and not a.requires_grad
    assert a.tolist() == [0.0, 1.0, 1.0, 0.0]


def test_views_taken_under_no_grad_of_tensors_that_require_grad(lib):
    """PyTorch: such a view reports requires_grad (a leaf), passes no gradient on, and may be
    changed in place only under no_grad; detach() stays out of it."""
    b = lib.ones(3, requires_grad=True)
    with lib.no_grad():
        v, w, d = b[:2], b.view(3), b.detach()[:2]
        i = b.long()[:2]  # not floating: cannot require grad
    assert v.requires_grad and w.requires_grad and v.is_leaf and v.grad_fn is None
    assert not d.requires_grad and not i.requires_grad
    y = (v * 3).sum()
    assert y.requires_grad
    y.backward()
    assert v.grad is None and b.grad is None
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode and is being "
                                           "modified inplace with grad mode enabled"):
        v.mul_(2)
    with lib.no_grad():
        v.mul_(2)
    assert b.tolist() == [2.0, 2.0, 1.0]
