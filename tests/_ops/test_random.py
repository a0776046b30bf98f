import numpy as np
import pytest
import torch

import ember


def raises_same(fn, match=None):
    with pytest.raises(Exception) as t_exc:
        fn(torch)
    with pytest.raises(type(t_exc.value), match=match):
        fn(ember)


def vals(t):
    return t.detach().numpy().copy()


# ---- seeding and generators ----------------------------------------------------------------------
SAMPLERS = [
    lambda g: ember.rand(4, 3, generator=g),
    lambda g: ember.randn(5, generator=g),
    lambda g: ember.randint(0, 100, (6,), generator=g),
    lambda g: ember.randperm(10, generator=g),
    lambda g: ember.normal(ember.zeros(4), 2.0, generator=g),
    lambda g: ember.bernoulli(ember.full((8,), 0.5), generator=g),
    lambda g: ember.multinomial(ember.tensor([1.0, 2.0, 3.0]), 5, True, generator=g),
    lambda g: ember.multinomial(ember.tensor([1.0, 2.0, 3.0, 4.0]), 3, generator=g),
    lambda g: ember.empty(5).uniform_(-1, 1, generator=g),
    lambda g: ember.empty(5).normal_(generator=g),
    lambda g: ember.empty(5).exponential_(generator=g),
    lambda g: ember.empty(5).cauchy_(generator=g),
    lambda g: ember.empty(5).log_normal_(generator=g),
    lambda g: ember.empty(5).geometric_(0.3, generator=g),
    lambda g: ember.empty(5).random_(0, 10, generator=g),
    lambda g: ember.empty(5).bernoulli_(0.3, generator=g),
]


@pytest.mark.parametrize("k", range(len(SAMPLERS)))
def test_manual_seed_reproducible(k):
    fn = SAMPLERS[k]
    ember.manual_seed(123)
    a = vals(fn(None))
    ember.manual_seed(123)
    b = vals(fn(None))
    np.testing.assert_array_equal(a, b)
    g = ember.Generator().manual_seed(7)
    c = vals(fn(g))
    g.manual_seed(7)
    np.testing.assert_array_equal(c, vals(fn(g)))


def test_different_seeds_differ():
    ember.manual_seed(1)
    a = vals(ember.rand(10))
    ember.manual_seed(2)
    assert not np.array_equal(vals(ember.rand(10)), a)


def test_generator_api():
    g = ember.Generator()
    assert g.device == ember.device("cpu")
    assert g.initial_seed() == torch.Generator().initial_seed()
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    assert g.manual_seed(-1).initial_seed() == torch.Generator().manual_seed(-1).initial_seed()
    s = g.seed()
    assert g.initial_seed() == s and s >= 0
    st = g.get_state()
    assert st.dtype == ember.uint8
    a = vals(ember.randn(4, generator=g))
    assert g.set_state(st) is g
    np.testing.assert_array_equal(vals(ember.randn(4, generator=g)), a)
    # generators are independent of each other and of the default one
    g1, g2 = ember.Generator().manual_seed(1), ember.Generator().manual_seed(1)
    ember.rand(10)
    np.testing.assert_array_equal(vals(ember.rand(3, generator=g1)),
                                  vals(ember.rand(3, generator=g2)))


def test_generator_errors():
    raises_same(lambda lib: lib.Generator().manual_seed(1.5), match="manual_seed expected a long")
    raises_same(lambda lib: lib.Generator().manual_seed(2**64))
    raises_same(lambda lib: lib.Generator().set_state(lib.zeros(3)),
                match="RNG state must be a torch.ByteTensor")
    raises_same(lambda lib: lib.Generator().set_state(lib.zeros(3, dtype=lib.uint8)))


def test_module_seed_functions():
    assert ember.manual_seed(3) is ember.default_generator
    assert ember.initial_seed() == 3
    st = ember.get_rng_state()
    a = vals(ember.rand(5))
    ember.set_rng_state(st)
    np.testing.assert_array_equal(vals(ember.rand(5)), a)
    s = ember.seed()
    assert ember.initial_seed() == s
    ember.manual_seed(1.0)  # torch.manual_seed takes int(seed)
    assert ember.initial_seed() == 1


# ---- shapes, dtypes, ranges, statistics ----------------------------------------------------------
@pytest.mark.parametrize("fn", ["rand", "randn"])
def test_rand_randn_shapes_dtypes(fn):
    f = getattr(ember, fn)
    assert f(2, 3).shape == (2, 3) and f(2, 3).dtype == ember.float32
    assert f((2, 3)).shape == (2, 3) and f([4]).shape == (4,)
    assert f(size=(2, 1)).shape == (2, 1)
    assert f(()).shape == () and f(0, 3).shape == (0, 3)
    assert f(3, dtype=ember.float64).dtype == ember.float64
    assert f(3, dtype=ember.float16).dtype == ember.float16
    assert f(2, requires_grad=True).requires_grad
    assert f(ember.Size([2, 2])).shape == (2, 2)
    raises_same(lambda lib: getattr(lib, fn)(2, dtype=lib.int64))


def test_float32_drawn_directly():
    # float32 samples come out of the generator as float32 (no float64 detour)
    ember.manual_seed(0)
    a = ember.rand(1000)._data
    assert a.dtype == np.float32
    g = np.random.Generator(np.random.PCG64(0))
    np.testing.assert_array_equal(a, g.random(1000, dtype=np.float32))


def test_statistics():
    ember.manual_seed(0)
    u = vals(ember.rand(20000))
    assert u.min() >= 0 and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.std() - 0.2887) < 0.01
    n = vals(ember.randn(20000))
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1) < 0.03
    n = vals(ember.normal(3.0, 2.0, size=(20000,)))
    assert abs(n.mean() - 3) < 0.06 and abs(n.std() - 2) < 0.06
    x = vals(ember.empty(20000).uniform_(-2, 4))
    assert x.min() >= -2 and x.max() < 4 and abs(x.mean() - 1) < 0.06
    x = vals(ember.empty(20000, dtype=ember.float64).normal_(5, 0.5))
    assert abs(x.mean() - 5) < 0.02 and abs(x.std() - 0.5) < 0.02
    x = vals(ember.empty(20000).exponential_(2.0))
    assert x.min() >= 0 and abs(x.mean() - 0.5) < 0.02
    x = vals(ember.empty(20000).geometric_(0.25))
    assert x.min() >= 1 and abs(x.mean() - 4) < 0.15 and np.all(x == np.round(x))
    x = vals(ember.empty(20000).log_normal_(0, 0.5))
    assert x.min() > 0 and abs(np.log(x).mean()) < 0.02 and abs(np.log(x).std() - 0.5) < 0.02
    x = vals(ember.empty(20000).cauchy_(1.0, 2.0))
    assert abs(np.median(x) - 1.0) < 0.1


def test_randint():
    ember.manual_seed(0)
    x = ember.randint(10, (2000,))
    assert x.dtype == ember.int64 and x.shape == (2000,)
    v = vals(x)
    assert v.min() == 0 and v.max() == 9
    v = vals(ember.randint(-3, 4, (3, 500)))
    assert v.shape == (3, 500) and v.min() == -3 and v.max() == 3
    assert ember.randint(3, 10, size=(3,), dtype=ember.float32).dtype == ember.float32
    assert ember.randint(0, 2, (5,), dtype=ember.bool).dtype == ember.bool
    assert ember.randint(5, (0,)).shape == (0,)
    assert ember.randint(5, ember.Size([2])).shape == (2,)
    raises_same(lambda lib: lib.randint(10, 3, (3,)), match="expects 'from' to be less than 'to'")
    raises_same(lambda lib: lib.randint(10))
    raises_same(lambda lib: lib.randint(10, 3))
    raises_same(lambda lib: lib.randint(-5, 300, (3,), dtype=lib.uint8),
                match="from is out of bounds for unsigned char")


@pytest.mark.parametrize("args", [(0, 5, (2,)), (7, (3, 4)), (-3, 4, ()), (2, 3, (0, 2)),
                                  (-(1 << 63), (1 << 63) - 1, (3,))])
def test_randint_fast_path_draws_what_the_general_path_draws(args):
    ember.manual_seed(5)
    a = ember.randint(*args)                  # ints and a tuple of ints: the fast path
    ember.manual_seed(5)
    b = ember.randint(*args, generator=ember.default_generator, dtype=ember.int64)
    t = torch.randint(*args)
    assert a.dtype == b.dtype == ember.int64 and a.shape == t.shape and not a.requires_grad
    np.testing.assert_array_equal(vals(a), vals(b))


def test_randint_fast_path_errors():
    for fn in [lambda lib: lib.randint(0, 5, (-1,)), lambda lib: lib.randint(5, 5, (2,)),
               lambda lib: lib.randint(0, 1 << 63, (2,)), lambda lib: lib.randint(0.5, 3, (2,)),
               lambda lib: lib.randint(-(1 << 63) - 1, 0, (2,)),
               lambda lib: lib.randint(0, 5, (2.0,)), lambda lib: lib.randint(0, 5, 2),
               lambda lib: lib.randint(0, 5, (2,), requires_grad=True)]:
        raises_same(fn)
    raises_same(lambda lib: lib.randint(3, 1, (2,)), match="expects 'from' to be less than 'to'")


def test_randperm():
    for n in [0, 1, 5, 100]:
        p = ember.randperm(n)
        assert p.dtype == ember.int64
        assert sorted(p.tolist()) == list(range(n))
    assert ember.randperm(5, dtype=ember.float32).dtype == ember.float32
    raises_same(lambda lib: lib.randperm(-1))


def test_bernoulli():
    ember.manual_seed(0)
    p = ember.tensor([0.0, 1.0, 0.3, 0.9] * 5000)
    x = vals(ember.bernoulli(p)).reshape(-1, 4)
    assert set(np.unique(x)) <= {0.0, 1.0}
    np.testing.assert_allclose(x.mean(0), [0, 1, 0.3, 0.9], atol=0.02)
    assert ember.bernoulli(ember.full((3,), 0.5, dtype=ember.float64)).dtype == ember.float64
    x = vals(ember.bernoulli(ember.zeros(20000), 0.25))
    assert abs(x.mean() - 0.25) < 0.02
    x = vals(ember.ones(20000, dtype=ember.int64).bernoulli_(0.7))
    assert x.dtype == np.int64 and abs(x.mean() - 0.7) < 0.02
    x = vals(ember.empty(4).bernoulli_(ember.tensor([0.0, 1.0, 0.0, 1.0])))
    np.testing.assert_array_equal(x, [0, 1, 0, 1])
    raises_same(lambda lib: lib.bernoulli(lib.full((3,), 1.5)), match="Expected p_in >= 0")
    raises_same(lambda lib: lib.ones(3).bernoulli_(1.5), match="bernoulli_ expects p")
    raises_same(lambda lib: lib.bernoulli(lib.ones(3, dtype=lib.int64)))
    y = ember.bernoulli(ember.full((3,), 0.5, requires_grad=True))
    assert y.grad_fn.name() == "BernoulliBackward0"


def test_multinomial():
    ember.manual_seed(0)
    w = ember.tensor([0.0, 1.0, 3.0])
    x = vals(ember.multinomial(w, 20000, replacement=True))
    assert x.dtype == np.int64 and 0 not in x
    assert abs((x == 2).mean() - 0.75) < 0.02
    for _ in range(20):
        y = ember.multinomial(ember.tensor([1.0, 0.0, 2.0, 5.0, 1.0]), 4).tolist()
        assert len(set(y)) == 4 and 1 not in y
    rows = ember.multinomial(ember.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]), 6, True)
    assert rows.shape == (2, 6) and set(vals(rows)[0]) == {1} and set(vals(rows)[1]) == {0}
    # zero weights come last once the others are used up, as in PyTorch
    assert ember.multinomial(ember.tensor([0.0, 1.0, 0.0]), 3).tolist()[0] == 1
    # without replacement the first draw follows the weights
    first = [ember.multinomial(ember.tensor([1.0, 3.0]), 2).tolist()[0] for _ in range(2000)]
    assert abs(np.mean(first) - 0.75) < 0.04


@pytest.mark.parametrize("args", [
    ([0.0, 1, 2], 4, False), ([0.0, 1, 2], 0, False), ([0.0, 0], 1, False), ([-1.0, 2], 1, False),
    ([1.0, float("nan")], 1, False), ([[[1.0]]], 1, False), ([1, 2], 1, False)])
def test_multinomial_errors(args):
    data, n, rep = args
    raises_same(lambda lib: lib.multinomial(lib.tensor(data), n, rep))


def test_normal_forms():
    m = ember.zeros(2, 3)
    assert ember.normal(m, ember.ones(3)).shape == (2, 3)
    assert ember.normal(0.0, ember.ones(4, dtype=ember.float64)).dtype == ember.float64
    assert ember.normal(0.0, 1.0, (2,)).dtype == ember.float32
    assert ember.normal(0.0, 1.0, size=(2,), dtype=ember.float64).dtype == ember.float64
    assert ember.normal(ember.zeros(2, requires_grad=True), 1.0).grad_fn.name() == "NormalBackward1"
    raises_same(lambda lib: lib.normal(lib.zeros(2, 3), lib.ones(4)))
    raises_same(lambda lib: lib.normal(lib.zeros(2), -1.0), match="normal expects std >= 0.0")
    raises_same(lambda lib: lib.normal(0, 1))
    raises_same(lambda lib: lib.normal(lib.zeros(2, dtype=lib.int64), 1.0))


def test_normal_gradient_is_zero():
    for lib in (torch, ember):
        m = lib.zeros(3, requires_grad=True)
        lib.normal(m, 1.0).sum().backward()
        assert m.grad.tolist() == [0.0, 0.0, 0.0]


def test_like_functions():
    x = ember.ones(2, 3, dtype=ember.float64)
    assert ember.rand_like(x).dtype == ember.float64 and ember.rand_like(x).shape == (2, 3)
    assert ember.randn_like(x, dtype=ember.float32).dtype == ember.float32
    r = ember.randint_like(x, 5)
    assert r.dtype == ember.float64 and vals(r).max() < 5
    r = ember.randint_like(ember.ones(100, dtype=ember.int32), 3, 6)
    assert r.dtype == ember.int32 and vals(r).min() >= 3 and vals(r).max() <= 5
    raises_same(lambda lib: lib.rand_like(lib.ones(2, dtype=lib.int64)))
    raises_same(lambda lib: lib.randn_like(lib.ones(2, dtype=lib.int64)))


def test_random_():
    x = vals(ember.empty(1000).random_())
    assert x.min() >= 0 and x.max() <= 2**24 and np.all(x == np.round(x)) and x.max() > 1000
    x = vals(ember.empty(1000).random_(5))
    assert set(np.unique(x)) == {0, 1, 2, 3, 4}
    x = vals(ember.empty(1000, dtype=ember.int64).random_(2, 5))
    assert set(np.unique(x)) == {2, 3, 4}
    x = vals(ember.empty(1000, dtype=ember.uint8).random_())
    assert x.dtype == np.uint8 and x.max() > 200
    x = vals(ember.empty(100, dtype=ember.bool).random_())
    assert x.dtype == np.bool_ and x.any() and not x.all()
    raises_same(lambda lib: lib.ones(3).random_(5, 2), match="expects 'from' to be less than 'to'")


def test_inplace_errors_and_autograd():
    raises_same(lambda lib: lib.ones(2, dtype=lib.int64).uniform_())
    raises_same(lambda lib: lib.ones(2, dtype=lib.int64).normal_())
    raises_same(lambda lib: lib.ones(3).uniform_(2, 1), match="uniform_ expects to return")
    raises_same(lambda lib: lib.ones(3).normal_(0, -1), match="normal expects std >= 0.0")
    raises_same(lambda lib: lib.ones(3).exponential_(-1), match="exponential_ expects lambda > 0.0")
    raises_same(lambda lib: lib.ones(3).geometric_(0),
                match=r"geometric_ expects p to be in \(0, 1\)")
    raises_same(lambda lib: lib.ones(3).log_normal_(0, -1), match="log_normal_ expects std > 0.0")
    raises_same(lambda lib: lib.zeros(3, requires_grad=True).uniform_(),
                match="a leaf Variable that requires grad")
    w = ember.zeros(3, requires_grad=True)
    with ember.no_grad():
        assert w.uniform_() is w
    assert w.is_leaf and w.requires_grad and vals(w).min() >= 0
    v0 = w._version
    with ember.no_grad():
        w.normal_()
    assert w._version > v0
    assert ember.ones(3, dtype=ember.int64).geometric_(0.5).dtype == ember.int64


def test_poisson():
    ember.manual_seed(0)
    x = vals(ember.poisson(ember.full((20000,), 3.0)))
    assert x.dtype == np.float32 and abs(x.mean() - 3) < 0.06 and np.all(x == np.round(x))
    for rate in (ember.tensor(4.0), ember.tensor(4.0, dtype=ember.float64)):  # 0-d, as torch
        y = ember.poisson(rate)
        assert y.shape == () and y.dtype == rate.dtype and float(y) == round(float(y))


@pytest.mark.skipif(not ember.cuda.is_available() if hasattr(ember, "cuda") else True,
                    reason="no GPU")
def test_cuda_sampling():
    ember.manual_seed(0)
    a = ember.rand(5, device="cuda")
    ember.manual_seed(0)
    b = ember.rand(5, device="cuda")
    assert a.is_cuda and a.dtype == ember.float32
    np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())
    assert sorted(ember.randperm(7, device="cuda").cpu().tolist()) == list(range(7))
    x = ember.randint(0, 10, (100,), device="cuda").cpu().numpy()
    assert x.min() >= 0 and x.max() <= 9
    g = ember.Generator(device="cuda").manual_seed(3)
    assert ember.randn(3, device="cuda", generator=g).is_cuda
    with pytest.raises(RuntimeError, match="Expected a 'cpu' device type for generator"):
        ember.rand(2, generator=g)
