"""Version counters: modifying in place a tensor that backward needs makes backward raise."""
import pytest

MODIFIED = "one of the variables needed for gradient computation has been modified by an inplace"


def test_versions_count_in_place_writes_and_are_shared_by_views(lib):
    x = lib.zeros(4)
    assert x._version == 0
    x.add_(1)
    assert x._version == 1
    v = x[1:3]
    r = x.reshape(2, 2)
    v.mul_(2)
    assert x._version == v._version == r._version == 2
    x[0] = 5.0
    assert v._version == 3
    y = x * 1  # a new tensor: its own counter
    assert y._version == 0


def test_modified_saved_input(lib):
    x = lib.ones(3, requires_grad=True)
    a = x * 1
    b = a * a  # saves a
    a.mul_(2)
    with pytest.raises(RuntimeError, match=MODIFIED):
        b.sum().backward()


def test_modified_saved_output(lib):
    x = lib.ones(3, requires_grad=True)
    b = x.exp()  # saves its output
    b.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED):
        (b * 1).sum().backward()


def test_modified_through_a_view_or_setitem(lib):
    x = lib.ones(2, 3, requires_grad=True)
    a = x * 1
    b = a * a
    a[0].add_(1)  # a view of a shares its counter
    with pytest.raises(RuntimeError, match=MODIFIED):
        b.sum().backward()
    a = x * 1
    b = a.reshape(6) * 2.0
    c = a.reshape(3, 2) * a.reshape(3, 2)  # saved views
    a[0, 0] = 3.0
    b.sum().backward()  # b's node saved no tensor: fine
    with pytest.raises(RuntimeError, match=MODIFIED):
        c.sum().backward()


def test_modified_through_detach(lib):
    x = lib.ones(3, requires_grad=True)
    a = x * 1
    b = a * a
    a.detach().add_(1)  # detach() shares memory and the version counter
    with pytest.raises(RuntimeError, match=MODIFIED):
        b.sum().backward()


def test_unsaved_tensors_may_be_modified(lib):
    x = lib.ones(3, requires_grad=True)
    a = x * 1
    b = a + 1  # AddBackward0 saves nothing
    a.mul_(2)
    b.sum().backward()
    assert x.grad.tolist() == [1.0] * 3


def test_in_place_on_a_leaf_that_requires_grad(lib):
    x = lib.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an "
                                           "in-place operation"):
        x.add_(1)
    with lib.no_grad():
        x.add_(1)  # allowed without recording (optimizer updates)
    assert x.tolist() == [2.0] * 3 and x._version == 1


def test_in_place_keeps_the_graph_correct(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    a = x * 3
    a.mul_(2)
    a.add_(1)
    a.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    x.grad = None
    b = x * 1
    b.exp_()  # saves its result, which is b at its new version
    b.sum().backward()
    assert [round(v, 4) for v in x.grad.tolist()] == [2.7183, 7.3891]


def test_dot_data_is_not_tracked(lib):
    p = lib.ones(2, requires_grad=True)
    q = p * p
    p.data.add_(1)  # PyTorch's escape hatch: not seen by autograd (MulBackward0 reads new values)
    q.sum().backward()
    assert p.grad.tolist() == [4.0, 4.0]
