"""F.batch_norm and BatchNorm1d/2d/3d against torch: values, gradients (first and second),
running statistics, buffers, state_dicts, reprs and errors."""
import copy

import numpy as np
import pytest
import torch

import ember
import ember.nn as enn
from helpers import compare, noncontig, positive, rand
from nn.test_module import same_error

F32, F64 = np.float32, np.float64
SHAPES = [(6, 3), (2, 3), (4, 3, 5), (3, 2, 4, 3), (2, 3, 2, 3, 2)]  # ((2, 3): tiny cells)


def gradcheck(fn, *arrays, second=False):
    """ember.autograd.gradcheck (and gradgradcheck) of ``fn(ember, *xs)`` in float64."""
    xs = tuple(ember.tensor(np.asarray(a), dtype=ember.float64, requires_grad=True)
               for a in arrays)
    f = lambda *t: fn(ember, *t)  # noqa: E731
    assert ember.autograd.gradcheck(f, xs)
    if second:
        assert ember.autograd.gradgradcheck(f, xs)


def double_backward(fn, *arrays, **kw):
    """Second derivatives against torch: the gradient of ``<fn(xs), u>`` made with
    create_graph=True, then backpropagated by ``compare``."""
    def first_grad(lib, *xs):
        out = fn(lib, *xs)
        u = lib.from_numpy(np.random.default_rng(2).standard_normal(tuple(out.shape))
                           .astype(str(out.dtype).split(".")[-1]))
        return lib.autograd.grad((out * u).sum(), xs, create_graph=True)
    compare(first_grad, *arrays, **kw)


def stats(c, dt):
    return rand(c, dtype=dt), positive(c, dtype=dt)


def bn(lib, x, rm, rv, w=None, b=None, **kw):
    """F.batch_norm on copies of the running stats; returns the output and the updated stats."""
    rm, rv = lib.tensor(rm), lib.tensor(rv)
    return lib.nn.functional.batch_norm(x, rm, rv, w, b, **kw), rm, rv


# ---- functional ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dt", [F32, F64])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_functional(shape, dt, training):
    c = shape[1]
    rm, rv = stats(c, dt)
    x, w, b = rand(*shape, dtype=dt), rand(c, dtype=dt), rand(c, dtype=dt)
    compare(lambda lib, x, w, b: bn(lib, x, rm, rv, w, b, training=training), x, w, b)
    compare(lambda lib, x: bn(lib, x, rm, rv, training=training, momentum=0.3, eps=1e-3), x)
    compare(lambda lib, x, w: bn(lib, x, rm, rv, w, None, training=training), x, w)
    compare(lambda lib, x, b: bn(lib, x, rm, rv, None, b, training=training), x, b)


@pytest.mark.parametrize("shape", [(5, 3), (4, 2, 3, 3)])
def test_batch_norm_no_running_stats_and_noncontig(shape):
    c = shape[1]
    x, w, b = rand(*shape), rand(c), rand(c)
    st = stats(c, F32)
    compare(lambda lib, x, w, b: lib.nn.functional.batch_norm(x, None, None, w, b, True), x, w, b)
    compare(lambda lib, x: bn(lib, x, *st, training=True), noncontig(x))
    compare(lambda lib, x: bn(lib, x, *st, training=False), noncontig(x))


def test_batch_norm_large_mean_float32():
    # two-pass statistics: no cancellation when the mean dwarfs the spread
    x = (rand(16, 4, 32) * 0.1 + 100).astype(F32)
    compare(lambda lib, x: lib.nn.functional.batch_norm(x, None, None, training=True), x,
            rtol=1e-3, atol=1e-3)


def test_batch_norm_only_params_need_grad_and_grad_fn_name():
    x, w, b = rand(4, 3, 2), rand(3), rand(3)
    st = stats(3, F32)
    compare(lambda lib, w, b: bn(lib, lib.tensor(x), *st, w, b, training=True), w, b)
    for training in (True, False):
        e = bn(ember, ember.tensor(x, requires_grad=True), *st, training=training)[0]
        t = bn(torch, torch.tensor(x, requires_grad=True), *st, training=training)[0]
        assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__
    assert bn(ember, ember.tensor(x), *st, training=True)[0].grad_fn is None


def test_batch_norm_empty_batch_and_half():
    st, st16 = stats(3, F32), stats(3, np.float16)
    compare(lambda lib, x: bn(lib, x, *st, training=True), rand(0, 3, 2), grad=False)
    compare(lambda lib, x: bn(lib, x, *st, training=False), rand(0, 3), grad=False)
    x = rand(4, 3, 5, dtype=np.float16)
    compare(lambda lib, x: bn(lib, x, *st, training=True), x, grad=False)
    compare(lambda lib, x: bn(lib, x, *st16, training=False), x, grad=False)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck_and_double_backward(training):
    rm, rv = stats(3, F64)
    x, w, b = rand(4, 3, 2, dtype=F64), rand(3, dtype=F64), rand(3, dtype=F64)
    fn = lambda lib, x, w, b: bn(lib, x, rm, rv, w, b, training=training)[0]  # noqa: E731
    gradcheck(fn, x, w, b, second=True)
    gradcheck(lambda lib, x: bn(lib, x, rm, rv, training=training)[0], x, second=True)
    double_backward(fn, x, w, b)
    fn32 = lambda lib, x, w, b: bn(lib, x, rm.astype(F32), rv.astype(F32), w, b,  # noqa: E731
                                   training=training)[0]
    double_backward(fn32, x.astype(F32), w.astype(F32), b.astype(F32), rtol=1e-4, atol=1e-4)
    double_backward(lambda lib, x: bn(lib, x, rm, rv, training=training)[0], x)


def test_batch_norm_saved_running_stats_modified():
    def fn(lib):
        x = lib.ones(4, 3).requires_grad_()
        rm, rv = lib.zeros(3), lib.ones(3)
        y = lib.nn.functional.batch_norm(x, rm, rv, training=False)
        rm.add_(1)
        y.sum().backward()
    same_error_type(fn)


def same_error_type(fn):
    with pytest.raises(Exception) as t:
        fn(torch)
    with pytest.raises(type(t.value)):
        fn(ember)


@pytest.mark.parametrize("case", [
    lambda lib, F, x: F.batch_norm(x, None, None, training=False),
    lambda lib, F, x: F.batch_norm(x, lib.zeros(3), None, training=False),
    lambda lib, F, x: F.batch_norm(x, lib.zeros(3), None, training=True),
    lambda lib, F, x: F.batch_norm(x, lib.zeros(4), lib.ones(3), training=True),
    lambda lib, F, x: F.batch_norm(x, lib.zeros(3), lib.ones(4), training=True),
    lambda lib, F, x: F.batch_norm(x, None, None, lib.ones(4), training=True),
    lambda lib, F, x: F.batch_norm(x, None, None, None, lib.ones(2), training=True),
    lambda lib, F, x: F.batch_norm(x, None, None, training=True, eps=0),
    lambda lib, F, x: F.batch_norm(x, lib.zeros(3), lib.ones(3), eps=-1.0),
    lambda lib, F, x: F.batch_norm(x, lib.zeros(3), lib.ones(3), momentum=None, training=True),
    lambda lib, F, x: F.batch_norm(x[:1, :, :1], None, None, training=True),
    lambda lib, F, x: F.batch_norm(x[:, 0, 0], None, None, training=True),
    lambda lib, F, x: F.batch_norm(x.double(), lib.zeros(3), lib.ones(3), training=True),
    lambda lib, F, x: F.batch_norm(x, lib.zeros(3).double(), lib.ones(3).double()),
    lambda lib, F, x: F.batch_norm(x.long(), None, None, training=True),
])
def test_batch_norm_errors(case):
    same_error(lambda lib: case(lib, lib.nn.functional, lib.ones(4, 3, 2)))


# ---- modules -------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (5, 3)), ("BatchNorm1d", (4, 3, 6)),
                                       ("BatchNorm2d", (4, 3, 3, 2)),
                                       ("BatchNorm3d", (2, 3, 2, 2, 3))])
@pytest.mark.parametrize("momentum", [0.1, None, 0.0])
@pytest.mark.parametrize("dt", [F32, F64])
def test_module_steps_then_eval(cls, shape, momentum, dt):
    """Three training steps then eval: outputs, input gradients, buffers and parameter grads."""
    xs = [rand(*shape, dtype=dt) * (i + 1) + i for i in range(4)]

    def fn(lib, *xs):
        m = getattr(lib.nn, cls)(shape[1], momentum=momentum, dtype=getattr(lib, np.dtype(dt).name))
        outs = [m(x) for x in xs[:3]]
        m.eval()
        outs.append(m(xs[3]))
        sum(o.sum() for o in outs).backward(retain_graph=True)
        return outs + [m.running_mean, m.running_var, m.num_batches_tracked, m.weight.grad,
                       m.bias.grad]
    compare(fn, *xs)


@pytest.mark.parametrize("kw", [dict(affine=False), dict(track_running_stats=False),
                                dict(affine=False, track_running_stats=False), dict(bias=False),
                                dict(eps=1e-2, momentum=0.5)])
def test_module_options(kw):
    x, x2 = rand(6, 4, 3), rand(5, 4, 3)

    def fn(lib, x, x2):
        m = lib.nn.BatchNorm1d(4, **kw)
        y = m(x)
        m.eval()
        buffers = [b for _, b in m.named_buffers()]
        return [y, m(x2)] + buffers + [p for _, p in m.named_parameters()]
    compare(fn, x, x2)


def test_module_eval_batch_of_one():
    x = rand(1, 3)
    compare(lambda lib, x: lib.nn.BatchNorm1d(3).eval()(x), x)
    same_error(lambda lib: lib.nn.BatchNorm1d(3)(lib.ones(1, 3)))
    same_error(lambda lib: lib.nn.BatchNorm2d(3)(lib.ones(1, 3, 1, 1)))


@pytest.mark.parametrize("cls,ndim", [("BatchNorm1d", 1), ("BatchNorm1d", 4), ("BatchNorm2d", 3),
                                      ("BatchNorm2d", 5), ("BatchNorm3d", 4)])
def test_module_input_dim_errors(cls, ndim):
    same_error(lambda lib: getattr(lib.nn, cls)(2)(lib.ones(*([2] * ndim))))


def test_module_channel_mismatch():
    same_error(lambda lib: lib.nn.BatchNorm1d(3)(lib.ones(2, 4)))


@pytest.mark.parametrize("kw", [{}, dict(momentum=None), dict(affine=False, eps=1e-3),
                                dict(track_running_stats=False), dict(bias=False)])
@pytest.mark.parametrize("cls", ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"])
def test_repr_and_state_dict_layout(cls, kw):
    t, e = getattr(torch.nn, cls)(5, **kw), getattr(enn, cls)(5, **kw)
    assert repr(e) == repr(t)
    ts, es = t.state_dict(), e.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        assert str(es[k].dtype).split(".")[-1] == str(ts[k].dtype).split(".")[-1]
        assert tuple(es[k].shape) == tuple(ts[k].shape)
        np.testing.assert_array_equal(es[k].numpy(), ts[k].numpy())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert es._metadata[""]["version"] == ts._metadata[""]["version"] == 2


def trained_torch_bn():
    t = torch.nn.BatchNorm2d(3)
    with torch.no_grad():
        t.weight.uniform_(0.5, 2)
        t.bias.uniform_(-1, 1)
    for _ in range(3):
        t(torch.randn(4, 3, 2, 2) * 2 + 1)
    return t


def to_ember(sd):
    out = type(sd)((k, ember.tensor(v.numpy())) for k, v in sd.items())
    if hasattr(sd, "_metadata"):
        out._metadata = copy.deepcopy(sd._metadata)
    return out


def test_load_torch_state_dict():
    t = trained_torch_bn().eval()
    e = enn.BatchNorm2d(3).eval()
    assert repr(e.load_state_dict(to_ember(t.state_dict()))) == "<All keys matched successfully>"
    assert e.num_batches_tracked.item() == 3 and e.num_batches_tracked.dtype == ember.long
    x = rand(2, 3, 2, 2)
    np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_load_old_version_without_num_batches_tracked():
    """A version-1 checkpoint has no num_batches_tracked: the module keeps its own (as torch);
    a version-2 one without it is missing a key."""
    trained = trained_torch_bn().state_dict()
    for version, strict_error in ((1, False), (None, False), (2, True)):
        def fn(lib):
            m = lib.nn.BatchNorm2d(3)
            m.num_batches_tracked.fill_(7)
            sd = to_ember(trained) if lib is ember else type(trained)(trained)
            sd._metadata = copy.deepcopy(trained._metadata)
            del sd["num_batches_tracked"]
            if version is None:
                del sd._metadata
            else:
                sd._metadata[""]["version"] = version
            m.load_state_dict(sd)
            return m.num_batches_tracked.item(), m.running_mean.tolist()
        if strict_error:
            same_error(fn)
        else:
            t, e = fn(torch), fn(ember)
            assert t[0] == e[0] == 7
            np.testing.assert_allclose(e[1], t[1], rtol=1e-6)


def test_reset_and_buffers_in_place():
    m = enn.BatchNorm1d(3)
    rm, nbt = m.running_mean, m.num_batches_tracked
    v0 = rm._version
    m(ember.tensor(rand(4, 3) + 3))
    assert rm is m.running_mean and rm._version > v0 and nbt.item() == 1
    assert (m.running_mean.numpy() > 0.2).all()
    with ember.no_grad():
        m.weight.fill_(2)
    m.reset_running_stats()
    assert m.running_mean.tolist() == [0, 0, 0] and m.running_var.tolist() == [1, 1, 1]
    assert m.num_batches_tracked.item() == 0 and m.weight.tolist() == [2, 2, 2]
    m.reset_parameters()
    assert m.weight.tolist() == [1, 1, 1]


def test_training_twice_before_backward():
    x1, x2 = rand(4, 3), rand(4, 3)

    def fn(lib, x1, x2):
        m = lib.nn.BatchNorm1d(3)
        return m(x1) * m(x2), m.running_mean, m.running_var
    compare(fn, x1, x2)
