"""nn.Module and nn.Parameter against torch: registration, traversal, state_dict, hooks, to()."""
import copy
import pickle

import numpy as np
import pytest
import torch

import ember
import ember.nn as enn
from nn.trees import E_LEAF, T_LEAF, assert_same_tensor, build, nets, same_repr, values

LIBS = [torch, ember]


def both(fn):
    """``fn(lib)`` for torch and ember."""
    return fn(torch), fn(ember)


def raised(fn):
    with pytest.raises(Exception) as info:
        fn()
    return info.value


def same_error(fn):
    """``fn(lib)`` raises the same exception type and message (modulo 'torch.') in both."""
    t, e = raised(lambda: fn(torch)), raised(lambda: fn(ember))
    assert type(e) is type(t), (e, t)
    assert str(e).replace("ember.", "torch.") == str(t), (str(e), str(t))


# ---- Parameter ----------------------------------------------------------------------------------
def test_parameter_basics():
    x = ember.ones(2, 3)
    p = enn.Parameter(x)
    assert isinstance(p, ember.Tensor) and isinstance(p, enn.Parameter)
    assert p.requires_grad and p.is_leaf
    x.add_(1)  # shares memory and version counter
    assert p.tolist() == [[2.0] * 3] * 2 and p._version == x._version
    assert not enn.Parameter(x, requires_grad=False).requires_grad
    assert enn.Parameter().shape == (0,)
    assert type(p * 2) is ember.Tensor and type(p.detach()) is ember.Tensor
    with pytest.raises(RuntimeError, match="floating point"):
        enn.Parameter(ember.tensor([1, 2]))


@pytest.mark.parametrize("rg", [True, False])
def test_parameter_repr(rg):
    t, e = both(lambda lib: repr(lib.nn.Parameter(lib.ones(2, 2), requires_grad=rg)))
    assert e == t


def test_parameter_deepcopy_and_pickle():
    p = enn.Parameter(ember.tensor([1.0, 2.0]))
    p.grad = ember.ones(2)
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(q) is enn.Parameter and q.requires_grad and q.tolist() == [1.0, 2.0]
        q.data.add_(1)  # independent memory
    assert p.tolist() == [1.0, 2.0]
    assert copy.deepcopy(p).grad is None  # as torch
    frozen = pickle.loads(pickle.dumps(enn.Parameter(ember.ones(1), requires_grad=False)))
    assert type(frozen) is enn.Parameter and not frozen.requires_grad


def test_buffer_class():
    m = enn.Module()
    m.b = enn.Buffer(ember.ones(2), persistent=False)
    assert "b" in m._buffers and "b" in m._non_persistent_buffers_set
    assert isinstance(m.b, enn.Buffer) and not isinstance(ember.ones(1), enn.Buffer)
    assert list(m.state_dict()) == []


# ---- traversal ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [{}, {"prefix": "net"}, {"recurse": False},
                                {"remove_duplicate": False}])
def test_named_parameters_and_buffers(kw):
    t, e = nets()
    tp, ep = list(t.named_parameters(**kw)), list(e.named_parameters(**kw))
    assert [n for n, _ in ep] == [n for n, _ in tp]
    for (_, a), (_, b) in zip(ep, tp):
        assert isinstance(a, enn.Parameter)
        assert_same_tensor(a, b)
    assert [n for n, _ in e.named_buffers(**kw)] == [n for n, _ in t.named_buffers(**kw)]


def test_parameters_buffers_children_modules():
    t, e = nets()
    assert len(list(e.parameters())) == len(list(t.parameters()))
    assert len(list(e.parameters(recurse=False))) == len(list(t.parameters(recurse=False)))
    assert len(list(e.buffers())) == len(list(t.buffers()))
    assert [n for n, _ in e.named_children()] == [n for n, _ in t.named_children()]
    assert [type(m).__name__ for m in e.children()] == [type(m).__name__ for m in t.children()]
    assert [type(m).__name__ for m in e.modules()] == [type(m).__name__ for m in t.modules()]


@pytest.mark.parametrize("kw", [{}, {"prefix": "root"}, {"remove_duplicate": False}])
def test_named_modules(kw):
    t, e = nets()
    assert [n for n, _ in e.named_modules(**kw)] == [n for n, _ in t.named_modules(**kw)]
    memo = {e.blocks[0]}
    names = [n for n, _ in e.named_modules(memo=memo)]
    assert "blocks.0" not in names and "blocks.2" not in names and "blocks.1" in names


def test_get_submodule_parameter_buffer():
    t, e = nets()
    assert e.get_submodule("stem.fc") is e.stem.fc and e.get_submodule("") is e
    assert e.get_parameter("blocks.1.weight") is e.blocks[1].weight
    assert e.get_buffer("stem.fc.count") is e.stem.fc.count
    for target in ("stem.nope", "stem.fc.weight.x"):
        same_error(lambda lib: build(lib).get_submodule(target))
    same_error(lambda lib: build(lib).get_parameter("stem.fc.count"))
    same_error(lambda lib: build(lib).get_buffer("stem.fc.weight"))
    same_error(lambda lib: build(lib).get_parameter("stem.fc.nope"))


def test_set_submodule():
    def fn(lib):
        net = build(lib)
        net.set_submodule("stem.fc", lib.nn.Identity())
        net.set_submodule("stem.extra", lib.nn.Flatten())
        return [n for n, _ in net.named_modules()]
    t, e = both(fn)
    assert e == t
    same_error(lambda lib: build(lib).set_submodule("stem.extra", lib.nn.Identity(), strict=True))
    same_error(lambda lib: build(lib).set_submodule("", lib.nn.Identity()))


# ---- attribute registration ---------------------------------------------------------------------
def test_setattr_registers_and_moves_between_kinds():
    m = enn.Module()
    m.x = enn.Parameter(ember.ones(1))
    assert list(m._parameters) == ["x"]
    m.x = None  # allowed for a parameter name
    assert m._parameters["x"] is None and m.x is None
    m.sub = enn.Identity()
    m.sub = None
    assert m._modules["sub"] is None
    m.register_buffer("b", ember.ones(1))
    m.b = ember.zeros(2)  # assigning a tensor to a buffer name replaces the buffer
    assert m._buffers["b"].shape == (2,)
    m.plain = ember.ones(1)  # a plain tensor under a new name is an ordinary attribute
    assert "plain" not in m._buffers and "plain" in m.__dict__
    m.plain = enn.Parameter(ember.ones(1))
    assert "plain" in m._parameters and "plain" not in m.__dict__
    del m.plain, m.b, m.sub
    assert "plain" not in m._parameters and "b" not in m._buffers and "sub" not in m._modules
    assert "x" in dir(m)


@pytest.mark.parametrize("case", [
    lambda lib, m: setattr(m, "weight", lib.ones(2)),
    lambda lib, m: setattr(m, "fc", lib.ones(2)),
    lambda lib, m: setattr(m, "count", 3),
    lambda lib, m: m.register_parameter("bias", lib.ones(2)),
    lambda lib, m: m.register_parameter("a.b", None),
    lambda lib, m: m.register_parameter("", None),
    lambda lib, m: m.register_parameter(3, None),
    lambda lib, m: m.register_parameter("training", None),
    lambda lib, m: m.register_parameter("p", lib.nn.Parameter(lib.ones(2)) * 2),
    lambda lib, m: m.register_buffer("a.b", None),
    lambda lib, m: m.register_buffer("", None),
    lambda lib, m: m.register_buffer("weight", lib.ones(1)),
    lambda lib, m: m.register_buffer("x", [1.0]),
    lambda lib, m: m.add_module("a.b", lib.nn.Identity()),
    lambda lib, m: m.add_module("", lib.nn.Identity()),
    lambda lib, m: m.add_module("weight", lib.nn.Identity()),
    lambda lib, m: m.add_module("x", 3),
    lambda lib, m: m.add_module(1, lib.nn.Identity()),
    lambda lib, m: m.nope,
    lambda lib, m: delattr(m, "nope"),
    lambda lib, m: m.train("yes"),
    lambda lib, m: m.to(lib.int64),
])
def test_registration_errors(case):
    def fn(lib):
        m = T_LEAF(2, 2, 0) if lib is torch else E_LEAF(2, 2, 0)
        m.fc = lib.nn.Identity()
        case(lib, m)
    same_error(fn)


def test_forward_not_implemented():
    same_error(lambda lib: lib.nn.Module()(1))
    same_error(lambda lib: lib.nn.ModuleList()(1))


class _EarlyModule(enn.Module):
    def __init__(self, what):
        if what == "module":
            self.sub = enn.Identity()
        elif what == "param":
            self.p = enn.Parameter(ember.ones(1))
        else:
            self.register_buffer("b", ember.ones(1))


class _TorchEarlyModule(torch.nn.Module):
    def __init__(self, what):
        if what == "module":
            self.sub = torch.nn.Identity()
        elif what == "param":
            self.p = torch.nn.Parameter(torch.ones(1))
        else:
            self.register_buffer("b", torch.ones(1))


@pytest.mark.parametrize("what", ["module", "param", "buffer"])
def test_assign_before_init(what):
    same_error(lambda lib: (_TorchEarlyModule if lib is torch else _EarlyModule)(what))


def test_init_arguments():
    same_error(lambda lib: lib.nn.Module(3))
    same_error(lambda lib: lib.nn.Module(x=3))


# ---- repr ---------------------------------------------------------------------------------------
def test_repr_nested():
    t, e = nets()
    same_repr(e, t)
    def multi(lib):
        class Multi(lib.nn.Module):
            def extra_repr(self):
                return "a=1\nb=2"
        m = Multi()
        m.inner = Multi()
        m.seq = lib.nn.Sequential(Multi(), lib.nn.ModuleList([Multi(), Multi()]))
        return m
    t, e = both(multi)
    same_repr(e, t)
    same_repr(enn.Module(), torch.nn.Module())


# ---- state_dict ---------------------------------------------------------------------------------
def test_state_dict_keys_values_and_metadata():
    t, e = nets()
    ts, es = t.state_dict(), e.state_dict()
    assert type(es).__name__ == "OrderedDict"
    assert list(es) == list(ts)
    for k in ts:
        assert_same_tensor(es[k], ts[k])
        assert not es[k].requires_grad and type(es[k]) is ember.Tensor
    assert dict(es._metadata) == dict(ts._metadata)
    assert list(e.state_dict(prefix="m.")) == list(t.state_dict(prefix="m."))
    kv = e.state_dict(keep_vars=True)
    assert kv["scale"] is e.scale
    dest = {}
    assert e.state_dict(destination=dest) is dest and list(dest) == list(ts)


def test_state_dict_detached_alias():
    _, e = nets()
    sd = e.state_dict()
    sd["scale"].fill_(5.0)  # an alias of the parameter's memory, as in torch
    assert e.scale.item() == 5.0


def test_load_state_dict_roundtrip_keeps_parameter_objects():
    t, e = nets()
    source = E_NET_FRESH()
    with ember.no_grad():
        for p in source.parameters():
            p.mul_(3)
    w = e.stem.fc.weight
    result = e.load_state_dict(source.state_dict())
    assert e.stem.fc.weight is w
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (n, a), (_, b) in zip(e.state_dict().items(), source.state_dict().items()):
        assert np.array_equal(a.numpy(), b.numpy()), n
    assert w.requires_grad and w.grad_fn is None


def E_NET_FRESH():
    return build(ember)


def test_load_state_dict_from_torch_values():
    t, e = nets()
    with torch.no_grad():
        for p in t.parameters():
            p.add_(1)
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    for (n, a), (_, b) in zip(e.state_dict().items(), t.state_dict().items()):
        assert_same_tensor(a, b)


def _broken_state(lib, kind):
    net = build(lib)
    sd = net.state_dict()
    if kind in ("missing", "all"):
        del sd["stem.fc.weight"], sd["stats"]
    if kind in ("unexpected", "all"):
        sd["stem.fc.extra"] = lib.ones(1)
        sd["nothere.weight"] = lib.ones(1)
        sd["blocks.9.bias"] = lib.ones(1)
    if kind in ("size", "all"):
        sd["heads.b.weight"] = lib.ones(3, 4)
        sd["scale"] = lib.ones(1, 2)
    if kind == "not_tensor":
        sd["scale"] = [1.0]
    return net, sd


@pytest.mark.parametrize("kind", ["missing", "unexpected", "size", "all", "not_tensor"])
def test_load_state_dict_errors(kind):
    def strict(lib):
        net, sd = _broken_state(lib, kind)
        net.load_state_dict(sd)
    same_error(strict)
    if kind in ("missing", "unexpected"):
        def lenient(lib):
            net, sd = _broken_state(lib, kind)
            return net.load_state_dict(sd, strict=False)
        t, e = both(lenient)
        assert e == t and repr(e) == repr(t)
        assert e.missing_keys == t.missing_keys and e.unexpected_keys == t.unexpected_keys


def test_load_state_dict_sequential_message():
    def fn(lib):
        seq = lib.nn.Sequential(T_LEAF(4, 4, 0) if lib is torch else E_LEAF(4, 4, 0))
        seq.load_state_dict({"0.weight": lib.ones(3, 4), "0.bias": lib.ones(4), "1.weight":
                             lib.ones(1)})
    same_error(fn)
    e = raised(lambda: fn(ember))
    assert str(e).startswith("Error(s) in loading state_dict for Sequential:\n\tMissing key(s)")
    assert "size mismatch for 0.weight: copying a param with shape ember.Size([3, 4])" in str(e)


def test_load_state_dict_scalar_from_vector_and_type_error():
    m = enn.Module()
    m.s = enn.Parameter(ember.tensor(1.0))
    m.load_state_dict({"s": ember.tensor([4.0])})
    assert m.s.item() == 4.0
    same_error(lambda lib: lib.nn.Module().load_state_dict([1, 2]))


def test_load_state_dict_assign():
    m = E_LEAF(2, 2, 0)
    new_w = ember.ones(2, 2, dtype=ember.float64)
    m.load_state_dict({**m.state_dict(), "weight": new_w}, assign=True)
    assert isinstance(m.weight, enn.Parameter) and m.weight.dtype == ember.float64
    assert m.weight.requires_grad


def test_load_state_dict_casts_dtype_in_place():
    m = E_LEAF(2, 2, 0)
    m.load_state_dict({**m.state_dict(), "weight": ember.ones(2, 2, dtype=ember.float64)})
    assert m.weight.dtype == ember.float32 and m.weight.tolist() == [[1.0, 1.0]] * 2


def test_state_dict_overrides_and_hooks():
    class Versioned(enn.Module):
        _version = 2

        def __init__(self):
            super().__init__()
            self.w = enn.Parameter(ember.zeros(2))

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing,
                                  unexpected, errors):
            if local_metadata.get("version", 1) < 2:  # old checkpoints called it 'v'
                if prefix + "v" in state_dict:
                    state_dict[prefix + "w"] = state_dict.pop(prefix + "v")
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing,
                                          unexpected, errors)

        def get_extra_state(self):
            return {"note": "hi"}

        def set_extra_state(self, state):
            self.note = state["note"]

    seq = enn.Sequential(Versioned())
    sd = seq.state_dict()
    assert list(sd) == ["0.w", "0._extra_state"] and sd._metadata["0"] == {"version": 2}
    old = {"0.v": ember.ones(2), "0._extra_state": {"note": "old"}}
    seq.load_state_dict(old)
    assert seq[0].w.tolist() == [1.0, 1.0] and seq[0].note == "old"
    calls = []
    seq.register_state_dict_pre_hook(lambda m, prefix, keep: calls.append(("pre", prefix)))
    seq[0].register_state_dict_post_hook(lambda m, sd, prefix, meta: calls.append(("post", prefix)))
    seq[0].register_load_state_dict_pre_hook(lambda m, sd, prefix, *a:
                                             calls.append(("lpre", prefix)))
    h = seq.register_load_state_dict_post_hook(lambda m, keys: calls.append(("lpost", keys)))
    seq.load_state_dict(seq.state_dict())
    assert calls[:3] == [("pre", ""), ("post", "0."), ("lpre", "0.")]
    assert calls[3][0] == "lpost" and calls[3][1].missing_keys == []
    h.remove()
    seq.load_state_dict(seq.state_dict())
    assert [c[0] for c in calls[4:]] == ["pre", "post", "lpre"]


# ---- modes, grads, apply ------------------------------------------------------------------------
def test_train_eval_propagate():
    def fn(lib):
        net = build(lib)
        out = [m.training for m in net.modules()]
        assert net.eval() is net
        out += [m.training for m in net.modules()]
        net.stem.train()
        out += [m.training for m in net.modules()]
        return out
    t, e = both(fn)
    assert e == t


def test_zero_grad_requires_grad_apply():
    def fn(lib):
        net = build(lib)
        x = lib.tensor(values((2, 2, 3), 5))
        net(x).sum().backward()
        grads_before = [p.grad is not None for p in net.parameters()]
        net.zero_grad(set_to_none=False)
        zeros = [float(p.grad.abs().sum()) for p in net.parameters()]
        net.zero_grad()
        nones = [p.grad is None for p in net.parameters()]
        net.requires_grad_(False)
        frozen = [p.requires_grad for p in net.parameters()]
        order = []
        assert net.apply(lambda m: order.append(type(m).__name__)) is net
        return grads_before, zeros, nones, frozen, order
    t, e = both(fn)
    assert e == t


def test_forward_matches_torch_with_grads():
    t, e = nets()
    x = values((2, 2, 3), 5)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    ty, ey = t(tx), e(ex)
    assert_same_tensor(ey, ty, rtol=1e-5, atol=1e-5)
    ty.sum().backward()
    ey.sum().backward()
    assert_same_tensor(ex.grad, tx.grad, rtol=1e-5, atol=1e-5)
    for (n, a), (_, b) in zip(e.named_parameters(), t.named_parameters()):
        assert_same_tensor(a.grad, b.grad, rtol=1e-5, atol=1e-5)


# ---- conversions ---------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["to_dtype", "double", "to_kw", "to_tensor"])
def test_to_float64_converts_params_and_grads_in_place(how):
    _, e = nets()
    e(ember.tensor(values((2, 2, 3), 5))).sum().backward()
    params = list(e.parameters())
    conv = {"to_dtype": lambda m: m.to(ember.float64), "double": lambda m: m.double(),
            "to_kw": lambda m: m.to(device="cpu", dtype=ember.float64),
            "to_tensor": lambda m: m.to(ember.zeros(1, dtype=ember.float64))}[how]
    assert conv(e) is e
    assert all(a is b for a, b in zip(e.parameters(), params))  # the same Parameter objects
    for p in e.parameters():
        assert p.dtype == ember.float64 and p.grad.dtype == ember.float64
        assert isinstance(p, enn.Parameter) and p.requires_grad
    assert e.stats.dtype == ember.float64
    assert e.stem.fc.count.dtype == ember.int64  # integer buffers keep their dtype
    e.float()
    assert all(p.dtype == ember.float32 for p in e.parameters())
    e.half()
    assert e.scale.dtype == ember.float16
    e.type(ember.float32)
    assert e.scale.dtype == ember.float32 and e.cpu() is e


def test_to_empty_and_share_memory():
    _, e = nets()
    assert e.share_memory() is e
    e.to_empty(device="cpu")
    assert e.stem.fc.weight.shape == (4, 6)


def test_deepcopy_is_independent():
    t, e = nets()
    c = copy.deepcopy(e)
    assert [n for n, _ in c.named_parameters()] == [n for n, _ in e.named_parameters()]
    assert c.blocks[0] is c.blocks[2] and c.tied is c.blocks[1].bias  # sharing is kept
    with ember.no_grad():
        c.stem.fc.weight.fill_(0)
    assert e.stem.fc.weight.abs().sum().item() > 0
    x = ember.tensor(values((2, 2, 3), 5))
    c2 = copy.deepcopy(e)
    assert np.array_equal(c2(x).detach().numpy(), e(x).detach().numpy())


def test_pickle_module():
    seq = enn.Sequential(enn.Flatten(), enn.Identity())
    seq.register_buffer("b", ember.ones(2))
    seq.p = enn.Parameter(ember.ones(3))
    seq.eval()
    back = pickle.loads(pickle.dumps(seq))
    assert repr(back) == repr(seq) and not back.training
    assert isinstance(back.p, enn.Parameter) and back.b.tolist() == [1.0, 1.0]


# ---- hooks --------------------------------------------------------------------------------------
def _hook_trace(lib):
    log = []
    net = build(lib)
    fc = net.stem.fc
    fc.register_forward_pre_hook(lambda m, args: log.append("pre1"))
    fc.register_forward_pre_hook(lambda m, args: (log.append("pre0"), None)[1], prepend=True)
    fc.register_forward_pre_hook(lambda m, args: (args[0] * 2,))  # modifies the input
    fc.register_forward_hook(lambda m, args, out: log.append(("fwd", tuple(out.shape))))
    fc.register_forward_hook(lambda m, args, out: out + 1)  # modifies the output
    h = fc.register_forward_hook(lambda m, args, out: log.append("removed"))
    h.remove()
    net.register_forward_pre_hook(lambda m, args, kwargs: log.append(("kw", sorted(kwargs))),
                                  with_kwargs=True)
    net.register_forward_hook(lambda m, args, kwargs, out: log.append("post-kw"), with_kwargs=True)
    y = net(lib.tensor(values((2, 2, 3), 5)))
    return log, y


def test_forward_hooks_order_and_modification():
    (tl, ty), (el, ey) = both(_hook_trace)
    assert el == tl
    assert_same_tensor(ey, ty, rtol=1e-5, atol=1e-5)


def test_forward_hooks_with_kwargs_change_args():
    def fn(lib):
        class Add(lib.nn.Module):
            def forward(self, x, y=0):
                return x + y
        m = Add()
        m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] * 10,), {"y": 1}),
                                    with_kwargs=True)
        m.register_forward_hook(lambda mod, args, kwargs, out: out * kwargs["y"] + 100,
                                with_kwargs=True)
        return m(lib.tensor(2.0), y=5).item()
    t, e = both(fn)
    assert e == t
    def bad(lib):
        m = lib.nn.Identity()
        m.register_forward_pre_hook(lambda mod, args, kwargs: 3, with_kwargs=True)
        m(lib.ones(1))
    same_error(bad)


def test_forward_hook_always_call():
    def fn(lib):
        log = []
        class Boom(lib.nn.Module):
            def forward(self, x):
                raise ValueError("boom")
        m = Boom()
        m.register_forward_hook(lambda mod, args, out: log.append(("always", out)),
                                always_call=True)
        m.register_forward_hook(lambda mod, args, out: log.append("never"))
        with pytest.raises(ValueError):
            m(lib.ones(1))
        return log
    t, e = both(fn)
    assert e == t == [("always", None)]


def test_hook_handle_context_manager():
    m = enn.Identity()
    log = []
    with m.register_forward_hook(lambda mod, args, out: log.append(1)):
        m(ember.ones(1))
    m(ember.ones(1))
    assert log == [1] and not m._forward_hooks


def test_full_backward_hooks():
    def fn(lib):
        log = []
        class Mul(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.w = lib.nn.Parameter(lib.tensor([2.0, 3.0]))

            def forward(self, x, z):
                return x * self.w * z, x + 1
        m = Mul()
        m.register_full_backward_pre_hook(lambda mod, go: log.append(
            ("pre", [None if g is None else g.tolist() for g in go])))
        def hook(mod, gi, go):
            log.append(("hook", [None if g is None else g.tolist() for g in gi],
                        [None if g is None else g.tolist() for g in go]))
            return (gi[0] * 10, None)
        m.register_full_backward_hook(hook)
        x = lib.tensor([1.0, -1.0], requires_grad=True)
        z = lib.tensor([0.5, 0.5])
        a, b = m(x, z)
        (a.sum() + (b * 3).sum()).backward()
        return log, x.grad.tolist(), m.w.grad.tolist()
    t, e = both(fn)
    assert e == t


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
def test_full_backward_hook_inputs_without_grad():
    def fn(lib):
        log = []
        m = lib.nn.Module()
        m.w = lib.nn.Parameter(lib.tensor([2.0]))
        m.forward = lambda x: x * m.w
        type_m = m
        type_m.register_full_backward_hook(
            lambda mod, gi, go: log.append((gi, [g.tolist() for g in go])))
        m(lib.tensor([3.0])).sum().backward()
        return log, m.w.grad.tolist()
    t, e = both(fn)
    assert e == t


def test_backward_hook_kinds_cannot_mix():
    same_error(lambda lib: (lambda m: (m.register_full_backward_hook(lambda *a: None),
                                       m.register_backward_hook(lambda *a: None)))(
        lib.nn.Identity()))
    same_error(lambda lib: (lambda m: (m.register_backward_hook(lambda *a: None),
                                       m.register_full_backward_hook(lambda *a: None)))(
        lib.nn.Identity()))


def test_legacy_backward_hook_fires():
    def fn(lib):
        log = []
        class Sq(lib.nn.Module):
            def forward(self, x):
                return x * x
        m = Sq()
        m.register_backward_hook(lambda mod, gi, go: log.append(len(go)))
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        m(x).sum().backward()
        return log, x.grad.tolist()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, e = both(fn)
    assert e == t


def test_backward_hooks_order_in_nested_modules():
    def fn(lib):
        log = []
        def scale(seed):
            m = lib.nn.Module()
            m.w = lib.nn.Parameter(lib.tensor(values((3,), seed)))
            m.forward = lambda x: x * m.w
            return m
        seq = lib.nn.Sequential(scale(0), scale(1))
        for name, m in [("outer", seq), ("first", seq[0]), ("second", seq[1])]:
            m.register_full_backward_pre_hook(lambda mod, go, n=name: log.append(("pre", n)))
            m.register_full_backward_hook(
                lambda mod, gi, go, n=name: log.append(("hook", n, np.round(gi[0].tolist(), 5)
                                                        .tolist())))
        x = lib.tensor(values((3,), 2), requires_grad=True)
        seq(x).sum().backward()
        return log, np.round(x.grad.tolist(), 5).tolist()
    t, e = both(fn)
    assert e == t


def test_load_torch_checkpoint():
    serialization = pytest.importorskip("ember.serialization")
    import io
    t, e = nets()
    with torch.no_grad():
        for p in t.parameters():
            p.mul_(-2)
    buf = io.BytesIO()
    torch.save(t.state_dict(), buf)
    buf.seek(0)
    assert repr(e.load_state_dict(serialization.load(buf))) == "<All keys matched successfully>"
    for (_, a), (_, b) in zip(e.state_dict().items(), t.state_dict().items()):
        assert_same_tensor(a, b)


def test_nn_does_not_import_torch():
    import subprocess
    import sys
    code = ("import sys, ember.nn as nn, ember; nn.init.normal_(nn.Parameter(ember.empty(2, 2))); "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
