"""nn.utils.prune against torch.nn.utils.prune: masks, pruned tensors, state_dict, gradients,
iterative and global pruning, remove(), errors; random methods by counts and seeds."""
import math

import numpy as np
import pytest
import torch
import torch.nn.utils.prune as TP

import ember
from ember.nn.utils import prune as EP

INF = float("inf")


def pair(make, *args, seed=0):
    """The same module in torch and ember (float64), with tie-free random parameters."""
    t_mod = make(torch)(*args).double()
    e_mod = make(ember)(*args).double()
    rng = np.random.default_rng(seed)
    for name, p in t_mod.named_parameters():
        v = rng.standard_normal(tuple(p.shape))
        with torch.no_grad():
            p.copy_(torch.tensor(v))
        getattr(e_mod, name).data = ember.tensor(v)
    return t_mod, e_mod


def linear():
    return pair(lambda lib: lib.nn.Linear, 6, 4)


def conv():
    return pair(lambda lib: lib.nn.Conv2d, 3, 5, 3)


def same(e, t):
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())


def same_pruning(t_mod, e_mod, name="weight"):
    """Same state_dict (keys, order, values), mask and pruned tensor; the mechanics as torch's."""
    ts, es = t_mod.state_dict(), e_mod.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        same(es[k], ts[k])
    same(getattr(e_mod, name), getattr(t_mod, name))
    assert isinstance(getattr(e_mod, name + "_orig"), ember.nn.Parameter)
    assert name not in e_mod._parameters and name + "_mask" in e_mod._buffers
    assert not isinstance(getattr(e_mod, name), ember.nn.Parameter)
    assert [type(h).__name__ for h in e_mod._forward_pre_hooks.values()] == \
        [type(h).__name__ for h in t_mod._forward_pre_hooks.values()]


def zeros(t):
    return int((t.detach().numpy() == 0).sum())


def test_exports():
    assert set(EP.__all__) >= {"BasePruningMethod", "PruningContainer", "Identity",
                               "RandomUnstructured", "L1Unstructured", "RandomStructured",
                               "LnStructured", "CustomFromMask", "identity", "random_unstructured",
                               "l1_unstructured", "random_structured", "ln_structured",
                               "global_unstructured", "custom_from_mask", "remove", "is_pruned"}
    assert all(hasattr(TP, n) for n in EP.__all__)
    assert ember.nn.utils.prune is EP


@pytest.mark.parametrize("amount,pruned", [(0, 0), (3, 3), (0.35, 8), (0.5, 12), (1.0, 24),
                                           (24, 24)])
def test_l1_unstructured(amount, pruned):
    t_mod, e_mod = linear()
    assert TP.l1_unstructured(t_mod, "weight", amount) is t_mod
    assert EP.l1_unstructured(e_mod, "weight", amount) is e_mod
    same_pruning(t_mod, e_mod)
    assert zeros(e_mod.weight_mask) == pruned
    if 0 < pruned < 24:  # the pruned entries are the smallest in magnitude
        w = np.abs(e_mod.weight_orig.detach().numpy())
        m = e_mod.weight_mask.numpy()
        assert w[m == 0].max() < w[m == 1].min()


@pytest.mark.parametrize("n", [1, 2, INF, -INF])
@pytest.mark.parametrize("dim", [0, 1, -1, 3])
@pytest.mark.parametrize("amount", [2, 0.4])
def test_ln_structured_conv(n, dim, amount):
    t_mod, e_mod = conv()
    TP.ln_structured(t_mod, "weight", amount, n=n, dim=dim)
    EP.ln_structured(e_mod, "weight", amount, n=n, dim=dim)
    same_pruning(t_mod, e_mod)
    m = e_mod.weight_mask.numpy()
    axes = tuple(d for d in range(4) if d != dim % 4)
    channels = m.sum(axis=axes)
    assert set(channels.tolist()) <= {0.0, m.size / m.shape[dim]}  # whole channels
    assert (channels == 0).sum() == (2 if amount == 2 else round(0.4 * m.shape[dim]))


@pytest.mark.parametrize("n", [1, 2, INF])
@pytest.mark.parametrize("dim", [0, 1])
def test_ln_structured_linear(n, dim):
    t_mod, e_mod = linear()
    TP.ln_structured(t_mod, "weight", 0.5, n=n, dim=dim)
    EP.ln_structured(e_mod, "weight", 0.5, n=n, dim=dim)
    same_pruning(t_mod, e_mod)
    assert zeros(e_mod.weight_mask) == 12


def test_custom_from_mask_and_identity():
    t_mod, e_mod = linear()
    mask = np.random.default_rng(1).random((4, 6)) > 0.5
    TP.custom_from_mask(t_mod, "weight", torch.tensor(mask))
    EP.custom_from_mask(e_mod, "weight", ember.tensor(mask))
    same_pruning(t_mod, e_mod)
    assert e_mod.weight_mask.dtype == ember.float64
    np.testing.assert_array_equal(e_mod.weight_mask.numpy(), mask)
    t_mod, e_mod = linear()
    TP.identity(t_mod, "bias")
    EP.identity(e_mod, "bias")
    same_pruning(t_mod, e_mod, "bias")
    assert zeros(e_mod.bias_mask) == 0


def test_importance_scores():
    t_mod, e_mod = conv()
    s = np.random.default_rng(2).standard_normal((5, 3, 3, 3))
    TP.l1_unstructured(t_mod, "weight", 20, importance_scores=torch.tensor(s))
    EP.l1_unstructured(e_mod, "weight", 20, importance_scores=ember.tensor(s))
    same_pruning(t_mod, e_mod)
    m = e_mod.weight_mask.numpy()
    assert np.abs(s)[m == 0].max() < np.abs(s)[m == 1].min()  # scores, not weights, decide
    TP.ln_structured(t_mod, "weight", 2, n=1, dim=0, importance_scores=torch.tensor(s))
    EP.ln_structured(e_mod, "weight", 2, n=1, dim=0, importance_scores=ember.tensor(s))
    same_pruning(t_mod, e_mod)


@pytest.mark.parametrize("steps", [
    [("l1", 5), ("l1", 0.3)],
    [("l1", 0.25), ("ln", 1, 0), ("l1", 4)],
    [("ln", 2, 1), ("l1", 10)],
    [("ln", 2, 1), ("ln", 0.5, 0), ("custom",)],
    [("custom",), ("l1", 2)],
])
def test_iterative(steps):
    t_mod, e_mod = conv()
    mask = np.random.default_rng(3).random((5, 3, 3, 3)) > 0.3
    for lib, prune, m in ((torch, TP, t_mod), (ember, EP, e_mod)):
        for step in steps:
            if step[0] == "l1":
                prune.l1_unstructured(m, "weight", step[1])
            elif step[0] == "ln":
                prune.ln_structured(m, "weight", step[1], n=2, dim=step[2])
            else:
                prune.custom_from_mask(m, "weight", lib.tensor(mask))
    same_pruning(t_mod, e_mod)
    (hook,) = e_mod._forward_pre_hooks.values()
    assert isinstance(hook, EP.PruningContainer) and len(hook) == len(steps)
    assert [type(h).__name__ for h in hook] == \
        [type(h).__name__ for h in next(iter(t_mod._forward_pre_hooks.values()))]


def test_iterative_l1_prunes_among_kept():
    t_mod, e_mod = linear()
    for prune, m in ((TP, t_mod), (EP, e_mod)):
        prune.l1_unstructured(m, "weight", 5)
        prune.l1_unstructured(m, "weight", 0.5)  # half of the 19 left: 10
    same_pruning(t_mod, e_mod)
    assert zeros(e_mod.weight_mask) == 15


@pytest.mark.parametrize("amount", [7, 0.3])
def test_global_unstructured(amount):
    (t1, e1), (t2, e2) = linear(), conv()
    s = np.random.default_rng(4).standard_normal(5)
    t_scores = {(t2, "bias"): torch.tensor(s)}
    e_scores = {(e2, "bias"): ember.tensor(s)}
    TP.l1_unstructured(t1, "weight", 3)  # an earlier mask is respected
    EP.l1_unstructured(e1, "weight", 3)
    TP.global_unstructured([(t1, "weight"), (t2, "weight"), (t2, "bias")], TP.L1Unstructured,
                           importance_scores=t_scores, amount=amount)
    assert EP.global_unstructured([(e1, "weight"), (e2, "weight"), (e2, "bias")],
                                  EP.L1Unstructured, importance_scores=e_scores,
                                  amount=amount) is None
    same_pruning(t1, e1)
    same_pruning(t2, e2)
    same_pruning(t2, e2, "bias")
    total = zeros(e1.weight_mask) + zeros(e2.weight_mask) + zeros(e2.bias_mask)
    # a float amount is a fraction of the entries still kept
    assert total == 3 + (amount if isinstance(amount, int) else round(amount * (164 - 3)))
    assert isinstance(e2._forward_pre_hooks[next(iter(e2._forward_pre_hooks))],
                      EP.CustomFromMask)


def test_gradients_reach_orig_through_mask():
    t_mod, e_mod = conv()
    for prune, m in ((TP, t_mod), (EP, e_mod)):
        prune.l1_unstructured(m, "weight", 0.4)
        prune.l1_unstructured(m, "bias", 2)
    x = np.random.default_rng(5).standard_normal((2, 3, 6, 6))
    for step in range(2):
        ot, oe = t_mod(torch.tensor(x)), e_mod(ember.tensor(x))
        np.testing.assert_allclose(oe.detach().numpy(), ot.detach().numpy(), rtol=1e-12,
                                   atol=1e-12)
        ot.square().sum().backward()
        oe.square().sum().backward()
        for k in ("weight_orig", "bias_orig"):
            gt, ge = getattr(t_mod, k).grad, getattr(e_mod, k).grad
            np.testing.assert_allclose(ge.numpy(), gt.numpy(), rtol=1e-10, atol=1e-10)
            mask = getattr(e_mod, k.replace("orig", "mask")).numpy()
            assert (ge.numpy()[mask == 0] == 0).all() and (ge.numpy()[mask == 1] != 0).all()
        # the pre-hook recomputes the pruned tensor from a changed _orig
        with torch.no_grad():
            t_mod.weight_orig.mul_(0.5)
        with ember.no_grad():
            e_mod.weight_orig.mul_(0.5)
    stale = e_mod.weight.detach().numpy().copy()
    t_mod(torch.tensor(x))
    e_mod(ember.tensor(x))
    same(e_mod.weight, t_mod.weight)
    same(e_mod.weight, e_mod.weight_orig * e_mod.weight_mask)
    np.testing.assert_array_equal(e_mod.weight.detach().numpy(), stale * 0.5)


def test_state_dict_load_from_torch():
    t_mod, e_mod = linear()
    TP.l1_unstructured(t_mod, "weight", 10)
    EP.identity(e_mod, "weight")
    e_mod.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    x = np.random.default_rng(6).standard_normal((3, 6))
    np.testing.assert_allclose(e_mod(ember.tensor(x)).detach().numpy(),
                               t_mod(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    assert zeros(e_mod.weight) == 10


def test_remove_and_is_pruned():
    t_net = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.ReLU()).double()
    e_net = ember.nn.Sequential(ember.nn.Linear(6, 4), ember.nn.ReLU()).double()
    e_net.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in
                           t_net.state_dict().items()})
    assert not EP.is_pruned(e_net)
    for prune, net in ((TP, t_net), (EP, e_net)):
        prune.l1_unstructured(net[0], "weight", 6)
        prune.ln_structured(net[0], "weight", 1, n=2, dim=0)
    assert EP.is_pruned(e_net) and TP.is_pruned(t_net)
    orig, pruned = e_net[0].weight_orig, zeros(e_net[0].weight_mask)
    assert pruned >= 6 + 1
    assert EP.remove(e_net[0], "weight") is e_net[0]
    TP.remove(t_net[0], "weight")
    assert not EP.is_pruned(e_net)
    assert list(e_net.state_dict()) == list(t_net.state_dict()) == ["0.bias", "0.weight"]
    assert e_net[0].weight is orig and isinstance(orig, ember.nn.Parameter)  # same Parameter
    same(e_net[0].weight, t_net[0].weight)
    assert zeros(e_net[0].weight) == pruned
    assert not e_net[0]._forward_pre_hooks and not e_net[0]._buffers
    for prune, net in ((TP, t_net), (EP, e_net)):
        with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
            prune.remove(net[0], "weight")


def test_prune_method_on_tensor():
    x = np.random.default_rng(7).standard_normal((4, 5))
    dm = (np.random.default_rng(8).random((4, 5)) > 0.2).astype(np.float64)
    same(EP.L1Unstructured(6).prune(ember.tensor(x)), TP.L1Unstructured(6).prune(torch.tensor(x)))
    same(EP.L1Unstructured(0.5).prune(ember.tensor(x), default_mask=ember.tensor(dm)),
         TP.L1Unstructured(0.5).prune(torch.tensor(x), default_mask=torch.tensor(dm)))
    same(EP.LnStructured(2, n=2, dim=1).prune(ember.tensor(x), importance_scores=ember.tensor(-x)),
         TP.LnStructured(2, n=2, dim=1).prune(torch.tensor(x), importance_scores=torch.tensor(-x)))


def test_ties():
    """ember's stable topk prunes the lowest indices among equal magnitudes first (torch leaves
    the choice among ties unspecified: only the count is compared)."""
    w = np.array([1.0, -1.0, 2.0, 1.0, 0.5, -1.0])
    t = TP.L1Unstructured(3).compute_mask(torch.tensor(w), torch.ones(6, dtype=torch.float64))
    e = EP.L1Unstructured(3).compute_mask(ember.tensor(w), ember.ones(6, dtype=ember.float64))
    assert zeros(e) == zeros(t) == 3
    np.testing.assert_array_equal(e.numpy(), [0, 0, 1, 1, 0, 1])


@pytest.mark.parametrize("call,exc", [
    (lambda P, lib, m: P.l1_unstructured(m, "weight", -1), ValueError),
    (lambda P, lib, m: P.l1_unstructured(m, "weight", 1.5), ValueError),
    (lambda P, lib, m: P.l1_unstructured(m, "weight", -0.1), ValueError),
    (lambda P, lib, m: P.l1_unstructured(m, "weight", "0.3"), TypeError),
    (lambda P, lib, m: P.random_unstructured(m, "weight", 25), ValueError),
    (lambda P, lib, m: P.l1_unstructured(m, "weight", 25), ValueError),
    (lambda P, lib, m: P.ln_structured(m, "weight", 5, n=1, dim=0), ValueError),
    (lambda P, lib, m: P.ln_structured(m, "bias", 1, n=1, dim=0), ValueError),
    (lambda P, lib, m: P.random_structured(m, "bias", 1, dim=0), ValueError),
    (lambda P, lib, m: P.ln_structured(m, "weight", 1, n=1, dim=2), IndexError),
    (lambda P, lib, m: P.random_structured(m, "weight", 1, dim=2), IndexError),
    (lambda P, lib, m: P.l1_unstructured(m, "weight", 1, importance_scores=lib.ones(3)),
     AssertionError),
    (lambda P, lib, m: P.custom_from_mask(m, "weight", lib.ones(3, 3)), AssertionError),
    (lambda P, lib, m: P.global_unstructured(m, P.L1Unstructured, amount=1), TypeError),
    (lambda P, lib, m: P.global_unstructured([(m, "weight")], P.L1Unstructured,
                                             importance_scores=[1], amount=1), TypeError),
    (lambda P, lib, m: P.global_unstructured([(m, "weight")], P.LnStructured, amount=1, n=1),
     TypeError),
    (lambda P, lib, m: P.remove(m, "bias"), ValueError),
    (lambda P, lib, m: P.l1_unstructured(m, "nope", 1), AttributeError),
])
def test_errors(call, exc):
    t_mod, e_mod = linear()
    for P, lib, m in ((TP, torch, t_mod), (EP, ember, e_mod)):
        with pytest.raises(exc):
            call(P, lib, m)
    # a failed first pruning puts the parameter back (re-registered: last, as in torch)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    assert set(e_mod.state_dict()) == {"weight", "bias"}
    assert isinstance(e_mod.weight, ember.nn.Parameter) and not EP.is_pruned(e_mod)


def test_container_errors():
    for P in (TP, EP):
        a, b = P.L1Unstructured(1), P.L1Unstructured(2)
        a._tensor_name, b._tensor_name = "weight", "bias"
        c = P.PruningContainer(a)
        with pytest.raises(ValueError, match="Can only add pruning methods"):
            c.add_pruning_method(b)
        with pytest.raises(TypeError, match="is not a BasePruningMethod subclass"):
            c.add_pruning_method(3)
        assert len(c) == 1 and c[0] is a and list(c) == [a]
        with pytest.raises(TypeError):
            P.BasePruningMethod()  # abstract


def test_failed_iteration_keeps_earlier_pruning():
    t_mod, e_mod = linear()
    for P, m in ((TP, t_mod), (EP, e_mod)):
        P.l1_unstructured(m, "weight", 4)
        with pytest.raises(ValueError):
            P.l1_unstructured(m, "weight", 30)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    same(e_mod.weight_mask, t_mod.weight_mask)
    assert zeros(e_mod.weight_mask) == 4


def _random_mask(fn):
    m = ember.nn.Conv2d(4, 6, 3)
    ember.manual_seed(1234)
    fn(m)
    return m.weight_mask.numpy().copy()


@pytest.mark.parametrize("amount,pruned", [(17, 17), (0.25, 54)])
def test_random_unstructured(amount, pruned):
    a = _random_mask(lambda m: EP.random_unstructured(m, "weight", amount))
    b = _random_mask(lambda m: EP.random_unstructured(m, "weight", amount))
    assert (a == 0).sum() == pruned and a.size == 216
    np.testing.assert_array_equal(a, b)  # reproducible under the seed
    m = ember.nn.Conv2d(4, 6, 3)
    ember.manual_seed(99)
    EP.random_unstructured(m, "weight", amount)
    assert (m.weight_mask.numpy() != a).any()  # another seed, another draw
    EP.random_unstructured(m, "weight", 10)  # among the kept ones
    assert zeros(m.weight_mask) == pruned + 10


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_random_structured(dim):
    fn = lambda m: EP.random_structured(m, "weight", 0.5, dim=dim)  # noqa: E731
    a, b = _random_mask(fn), _random_mask(fn)
    np.testing.assert_array_equal(a, b)
    axes = tuple(d for d in range(4) if d != dim % 4)
    channels = a.sum(axis=axes)
    n = a.shape[dim]
    assert set(channels.tolist()) == {0.0, a.size / n}  # whole channels
    assert (channels == 0).sum() == round(0.5 * n)
    draws = set()
    for seed in range(6):
        m = ember.nn.Conv2d(4, 6, 3)
        ember.manual_seed(seed)
        EP.random_structured(m, "weight", 0.5, dim=dim)
        draws.add(m.weight_mask.numpy().tobytes())
    assert len(draws) > 1  # the seed matters


def test_random_structured_then_l1_matches_torch_structure():
    """Random choice differs from torch's generator; the combination logic must not: prune with
    torch's random mask as a custom mask, then ln_structured."""
    t_mod, e_mod = conv()
    torch.manual_seed(0)
    TP.random_structured(t_mod, "weight", 2, dim=0)
    EP.custom_from_mask(e_mod, "weight", ember.tensor(t_mod.weight_mask.numpy()))
    TP.ln_structured(t_mod, "weight", 0.4, n=1, dim=0)
    EP.ln_structured(e_mod, "weight", 0.4, n=1, dim=0)
    same(e_mod.weight_mask, t_mod.weight_mask)
    assert zeros(e_mod.weight_mask.sum(dim=(1, 2, 3))) == 2 + math.floor(0.4 * 3 + 0.5)
