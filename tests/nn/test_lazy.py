"""Lazy modules and uninitialized parameters against torch: printing and state_dict before the
first forward, materialization from the input's shape, class swap, initialisation as the regular
layer, loading state_dicts and dtype moves."""
import copy

import numpy as np
import pytest
import torch

import ember
from helpers import rand
from nn.test_parametrize import check_pair, copy_state

# (class name, constructor args, input shape, the regular layer's args)
LAZY = [
    ("LazyLinear", (3,), (2, 5), ("Linear", (5, 3))),
    ("LazyLinear", (3, False), (2, 4, 5), ("Linear", (5, 3, False))),
    ("LazyConv1d", (4, 3), (2, 3, 7), ("Conv1d", (3, 4, 3))),
    ("LazyConv2d", (4, 3), (2, 2, 6, 6), ("Conv2d", (2, 4, 3))),
    ("LazyConv2d", (4, 3, 2, 1, 1, 2), (2, 4, 6, 6), ("Conv2d", (4, 4, 3, 2, 1, 1, 2))),
    ("LazyConv3d", (2, 2), (1, 3, 4, 4, 4), ("Conv3d", (3, 2, 2))),
    ("LazyConvTranspose1d", (4, 3), (2, 3, 5), ("ConvTranspose1d", (3, 4, 3))),
    ("LazyConvTranspose2d", (4, 3, 2, 1, 1), (2, 2, 4, 4), ("ConvTranspose2d", (2, 4, 3, 2, 1, 1))),
    ("LazyConvTranspose3d", (2, 2), (1, 3, 3, 3, 3), ("ConvTranspose3d", (3, 2, 2))),
    ("LazyBatchNorm1d", (), (4, 3), ("BatchNorm1d", (3,))),
    ("LazyBatchNorm1d", (1e-3, 0.2, False), (4, 3, 5), ("BatchNorm1d", (3, 1e-3, 0.2, False))),
    ("LazyBatchNorm2d", (), (2, 3, 4, 4), ("BatchNorm2d", (3,))),
    ("LazyBatchNorm3d", (), (2, 3, 2, 2, 2), ("BatchNorm3d", (3,))),
    # NOTE: the lazy instance norms take the lazy batch norms' defaults (affine, running stats)
    ("LazyInstanceNorm1d", (), (2, 3, 5), ("InstanceNorm1d", (3, 1e-5, 0.1, True, True))),
    ("LazyInstanceNorm2d", (1e-3, 0.2, False), (2, 3, 4, 4),
     ("InstanceNorm2d", (3, 1e-3, 0.2, False, True))),
    ("LazyInstanceNorm3d", (), (2, 3, 2, 2, 2), ("InstanceNorm3d", (3, 1e-5, 0.1, True, True))),
]
IDS = [f"{c[0]}{i}" for i, c in enumerate(LAZY)]


def make(lib, name, args):
    return getattr(lib.nn, name)(*args)


def same_state_repr(e_mod, t_mod):
    es, ts = e_mod.state_dict(), t_mod.state_dict()
    assert list(es) == list(ts)
    assert [repr(v) for v in es.values()] == [repr(v) for v in ts.values()]


@pytest.mark.parametrize("name,args,xshape,regular", LAZY, ids=IDS)
def test_before_and_after_first_forward(name, args, xshape, regular):
    e_mod, t_mod = make(ember, name, args), make(torch, name, args)
    assert repr(e_mod) == repr(t_mod)
    same_state_repr(e_mod, t_mod)
    assert e_mod.has_uninitialized_params()
    assert isinstance(e_mod, ember.nn.modules.lazy.LazyModuleMixin)
    assert type(e_mod).cls_to_become.__name__ == regular[0]
    x = rand(*xshape)
    e_mod(ember.tensor(x)), t_mod(torch.tensor(x))
    assert type(e_mod).__name__ == type(t_mod).__name__ == regular[0]
    assert repr(e_mod) == repr(t_mod)
    assert not e_mod._forward_pre_hooks and not e_mod._load_state_dict_pre_hooks
    assert not hasattr(e_mod, "_initialize_hook")
    for (kt, vt), (ke, ve) in zip(t_mod.state_dict().items(), e_mod.state_dict().items()):
        assert ke == kt and tuple(ve.shape) == tuple(vt.shape) and str(ve.dtype)[6:] == str(
            vt.dtype)[6:]
    for p in e_mod.parameters():
        assert type(p) is ember.nn.Parameter and p.requires_grad


@pytest.mark.parametrize("name,args,xshape,regular", LAZY, ids=IDS)
def test_initialised_as_the_regular_layer(name, args, xshape, regular):
    ember.manual_seed(5)
    ref = make(ember, *regular)
    ember.manual_seed(5)
    lazy = make(ember, name, args)
    lazy.initialize_parameters(ember.tensor(rand(*xshape)))  # what the first forward does first
    assert list(ref.state_dict()) == list(lazy.state_dict())
    for (k, a), b in zip(ref.state_dict().items(), lazy.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)


@pytest.mark.filterwarnings("ignore:input's size at dim")  # (num_features stays 0, as torch's)
@pytest.mark.parametrize("name,args,xshape,regular", LAZY, ids=IDS)
def test_load_torch_state_then_forward(name, args, xshape, regular):
    t_mod = make(torch, name, args).double()
    e_mod = make(ember, name, args).double()
    t_mod(torch.tensor(rand(*xshape, dtype=np.float64)))  # torch's values, then loaded here
    copy_state(t_mod, e_mod)  # materializes the placeholders
    assert type(e_mod).__name__ == name and not e_mod.has_uninitialized_params()
    if "InstanceNorm" in name and e_mod.affine:
        # NOTE: as torch's, num_features stays 0 after loading, which an affine instance norm
        # refuses at the first forward
        x = rand(*xshape, dtype=np.float64)
        t_new = make(torch, name, args).double()
        t_new.load_state_dict(t_mod.state_dict())
        for mod, lib in ((t_new, torch), (e_mod, ember)):
            with pytest.raises(ValueError, match="num_features \\(0\\)"):
                mod(lib.tensor(x))
        return
    check_pair(t_mod, e_mod, rand(*xshape, dtype=np.float64), steps=2, tol=1e-10)
    assert type(e_mod).__name__ == regular[0]


def test_dtype_moves_keep_placeholders():
    for lib in (torch, ember):
        m = lib.nn.LazyBatchNorm1d().double()
        assert type(m.running_mean).__name__ == "UninitializedBuffer"
        assert m.weight.dtype == m.running_mean.dtype == lib.float64
        m(lib.randn(4, 3, dtype=lib.float64))
        assert m.weight.dtype == m.running_var.dtype == lib.float64
        assert m.num_batches_tracked.item() == 1
    m = ember.nn.LazyLinear(2, dtype=ember.float64)
    m(ember.randn(3, 4, dtype=ember.float64))
    assert m.weight.dtype == ember.float64


def test_load_state_dict_cases():
    for lib in (torch, ember):
        nn = lib.nn
        m = nn.LazyLinear(3)
        m.load_state_dict(nn.LazyLinear(3).state_dict())  # placeholders into placeholders
        assert m.has_uninitialized_params() and type(m).__name__ == "LazyLinear"
        m.load_state_dict(nn.Linear(4, 3).state_dict())
        assert tuple(m.weight.shape) == (3, 4) and m.in_features == 0
        m(lib.randn(2, 4))
        assert type(m).__name__ == "Linear" and m.in_features == 4
        with pytest.raises(RuntimeError, match="uninitialized parameter"):
            nn.Linear(4, 3).load_state_dict(nn.LazyLinear(3).state_dict())
        r = nn.LazyLinear(3).load_state_dict({}, strict=False)
        assert sorted(r.missing_keys) == ["bias", "weight"]
        with pytest.raises(RuntimeError, match="Unexpected key"):
            nn.LazyLinear(3, bias=False).load_state_dict(nn.LazyLinear(3).state_dict())


def test_errors_and_unbatched():
    for lib in (torch, ember):
        nn = lib.nn
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            nn.LazyConv2d(4, 3, groups=2)(lib.randn(2, 3, 5, 5))
        with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\)"):
            nn.LazyConv2d(4, 3)(lib.randn(5, 5))
        m = nn.LazyConv2d(4, 3)
        m(lib.randn(3, 5, 5))
        assert tuple(m.weight.shape) == (4, 3, 3, 3)
        with pytest.raises(ValueError, match="expected 4D input"):
            nn.LazyBatchNorm2d()(lib.randn(2, 3))
        with pytest.raises(ValueError, match="can't have uninitialized parameters"):
            nn.utils.spectral_norm(nn.LazyLinear(3))


def test_sequential_and_deepcopy():
    m = ember.nn.Sequential(ember.nn.LazyLinear(3), ember.nn.ReLU(), ember.nn.LazyLinear(2))
    c = copy.deepcopy(m)
    assert repr(c[0].weight) == "<UninitializedParameter>" and c[0].has_uninitialized_params()
    assert m(ember.randn(2, 7)).shape == (2, 2)
    assert repr(m) == repr(torch.nn.Sequential(torch.nn.Linear(7, 3), torch.nn.ReLU(),
                                               torch.nn.Linear(3, 2)))
    assert c[0].has_uninitialized_params()


def test_uninitialized_parameter_and_buffer():
    P = ember.nn.parameter
    p = P.UninitializedParameter()
    assert repr(p) == repr(torch.nn.parameter.UninitializedParameter())
    assert P.is_lazy(p) and isinstance(p, ember.nn.Parameter) and p.requires_grad
    with pytest.raises(RuntimeError, match="Can't access the shape"):
        p.shape
    with pytest.raises(RuntimeError, match="Can't share memory"):
        p.share_memory_()
    p.materialize((2, 3), dtype=ember.float64)
    assert type(p) is ember.nn.Parameter and p.shape == (2, 3) and p.dtype == ember.float64
    assert not P.is_lazy(p)
    b = P.UninitializedBuffer(persistent=False)
    assert repr(b) == "<UninitializedBuffer>" and not b.requires_grad and not b.persistent
    m = ember.nn.Module()
    m.buf = b
    assert "buf" in m._buffers and list(m.state_dict()) == []
    b.materialize((4,))
    assert type(b) is ember.Tensor and m.buf.shape == (4,)


def test_placeholders_refuse_ops_as_torch():
    for lib in (torch, ember):
        p, b = lib.nn.parameter.UninitializedParameter(), lib.nn.parameter.UninitializedBuffer()
        for t in (p, b):
            for op in (lambda t: t + 1, lambda t: t.numel(), lambda t: t.sum(),
                       lambda t: lib.nn.init.ones_(t), lambda t: t.detach()):
                with pytest.raises(ValueError, match="uninitialized parameter"):
                    op(t)
            # what modules need still works: attributes, dtype and device moves, requires_grad
            assert t.dtype == lib.float32 and t.device.type == "cpu" and t.is_floating_point()
            assert t.double().dtype == t.to(lib.float64).dtype == lib.float64
            assert tuple(t.size()) == (0,)
        assert p.requires_grad and not b.requires_grad
        b.requires_grad = True
        assert b.requires_grad
        with pytest.raises(RuntimeError, match="shape of an uninitialized"):
            p.shape
        m = lib.nn.LazyLinear(3).double()
        with pytest.raises(ValueError, match="uninitialized parameter"):
            lib.nn.functional.linear(lib.ones(1, 2, dtype=lib.float64), m.weight)
        m(lib.ones(1, 2, dtype=lib.float64))
        assert (m.weight + 1).shape == (3, 2)
