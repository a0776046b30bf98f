"""Containers, Identity, Flatten and Unflatten against torch: contents, names, reprs and errors."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
import ember.nn as enn
from nn.test_module import both, same_error
from nn.trees import E_LEAF, T_LEAF, assert_same_tensor, values


def leaf(lib, n_out=2, n_in=2, seed=0):
    return (T_LEAF if lib is torch else E_LEAF)(n_out, n_in, seed)


def layout(m):
    """What must match torch: repr, parameter names and module names."""
    return (repr(m).replace("torch.", "ember."), [n for n, _ in m.named_parameters()],
            [n for n, _ in m.named_modules()])


def same(fn):
    t, e = both(fn)
    assert e == t
    return e


# ---- Sequential ---------------------------------------------------------------------------------
def test_sequential_construction_and_forward():
    def fn(lib):
        nn = lib.nn
        a = nn.Sequential(leaf(lib, 3, 4, 0), nn.Identity(), leaf(lib, 2, 3, 1))
        b = nn.Sequential(OrderedDict([("first", leaf(lib, 3, 4, 0)), ("act", nn.Identity())]))
        return layout(a), layout(b), layout(nn.Sequential())
    same(fn)
    x = values((5, 4), 3)
    t = torch.nn.Sequential(leaf(torch, 3, 4, 0), torch.nn.Identity(), leaf(torch, 2, 3, 1))
    e = enn.Sequential(leaf(ember, 3, 4, 0), enn.Identity(), leaf(ember, 2, 3, 1))
    assert_same_tensor(e(ember.tensor(x)), t(torch.tensor(x)))


def test_sequential_indexing_and_slicing():
    def fn(lib):
        nn = lib.nn
        s = nn.Sequential(OrderedDict([("a", leaf(lib, seed=0)), ("b", nn.Identity()),
                                       ("c", nn.Flatten())]))
        out = [type(s[0]).__name__, type(s[-1]).__name__, len(s)]
        sl = s[1:]
        out += [type(sl).__name__, layout(sl), layout(s[::-1])]
        s[1] = nn.Flatten(0)
        out += [layout(s), [type(m).__name__ for m in s]]
        return out
    same(fn)
    same_error(lambda lib: lib.nn.Sequential(lib.nn.Identity())[1])
    same_error(lambda lib: lib.nn.Sequential(lib.nn.Identity())[-2])
    same_error(lambda lib: lib.nn.Sequential(lib.nn.Identity())["0"])


def test_sequential_mutation():
    def fn(lib):
        nn = lib.nn
        s = nn.Sequential(nn.Identity(), leaf(lib, seed=1))
        out = []
        assert s.append(nn.Flatten()) is s
        out.append(layout(s))
        s.insert(1, nn.Unflatten(1, (1, 2)))
        s.insert(-1, nn.Identity())
        out.append(layout(s))
        s.extend([nn.Identity(), leaf(lib, seed=2)])
        out.append(layout(s))
        popped = s.pop(0)
        out += [type(popped).__name__, layout(s)]
        del s[1]
        out.append(layout(s))
        del s[::2]
        out.append(layout(s))
        return out
    same(fn)
    same_error(lambda lib: lib.nn.Sequential().insert(2, lib.nn.Identity()))
    same_error(lambda lib: lib.nn.Sequential().insert(0, 3))


def test_sequential_operators():
    def fn(lib):
        nn = lib.nn
        a = nn.Sequential(nn.Identity(), leaf(lib, seed=0))
        b = nn.Sequential(nn.Flatten())
        out = [layout(a + b), layout(a * 2), layout(2 * b)]
        a += b
        out.append(layout(a))
        b *= 3
        out.append(layout(b))
        return out
    same(fn)
    same_error(lambda lib: lib.nn.Sequential() + lib.nn.ModuleList())
    same_error(lambda lib: lib.nn.Sequential() * 0)
    same_error(lambda lib: lib.nn.Sequential() * 1.5)
    assert "0" not in dir(enn.Sequential(enn.Identity()))


# ---- ModuleList ---------------------------------------------------------------------------------
def test_module_list():
    def fn(lib):
        nn = lib.nn
        shared = leaf(lib, seed=0)
        ml = nn.ModuleList([shared, shared, leaf(lib, seed=1), nn.Identity(), nn.Identity()])
        out = [layout(ml), len(ml), type(ml[-1]).__name__, layout(ml[1:4])]
        ml.append(nn.Flatten())
        ml.extend([nn.Identity()])
        ml.insert(0, nn.Flatten())
        ml += [leaf(lib, seed=2)]
        out.append(layout(ml))
        ml[2] = nn.Identity()
        out += [type(ml.pop(1)).__name__, layout(ml)]
        del ml[0:2]
        out.append(layout(ml))
        out += [layout(ml + nn.ModuleList([nn.Identity()])), layout(nn.ModuleList()),
                [type(m).__name__ for m in ml]]
        return out
    same(fn)
    same_error(lambda lib: lib.nn.ModuleList([lib.nn.Identity()])[3])
    same_error(lambda lib: lib.nn.ModuleList().extend(3))
    same_error(lambda lib: lib.nn.ModuleList([3]))


def test_module_list_nested_repr():
    def fn(lib):
        nn = lib.nn
        inner = nn.Sequential(leaf(lib, seed=0), nn.Identity())
        return repr(nn.ModuleList([inner, nn.Sequential(leaf(lib, seed=0), nn.Identity()),
                                   nn.Flatten()]))
    same(fn)


# ---- ModuleDict ---------------------------------------------------------------------------------
def test_module_dict():
    def fn(lib):
        nn = lib.nn
        md = nn.ModuleDict({"z": leaf(lib, seed=0), "a": nn.Identity()})
        out = [layout(md), list(md.keys()), len(md), "z" in md, "q" in md, list(md)]
        md.update([("m", nn.Flatten()), ("a", leaf(lib, seed=1))])
        md.update(OrderedDict([("k", nn.Identity())]))
        md["new"] = nn.Identity()
        out += [layout(md), [type(v).__name__ for v in md.values()],
                [k for k, _ in md.items()]]
        out += [type(md.pop("m")).__name__, layout(md)]
        del md["z"]
        out.append(layout(md))
        md.clear()
        out.append(layout(md))
        return out
    same(fn)
    same_error(lambda lib: lib.nn.ModuleDict(3))
    same_error(lambda lib: lib.nn.ModuleDict([("a", lib.nn.Identity(), 1)]))
    same_error(lambda lib: lib.nn.ModuleDict([3]))
    same_error(lambda lib: lib.nn.ModuleDict()["x"])


# ---- ParameterList / ParameterDict -------------------------------------------------------------
def test_parameter_list():
    def fn(lib):
        nn = lib.nn
        pl = nn.ParameterList([nn.Parameter(lib.ones(2, 3)), lib.zeros(4)])
        pl.append(lib.ones(1, dtype=lib.float64))
        pl.extend([nn.Parameter(lib.ones(2), requires_grad=False), "a string"])
        out = [repr(pl).replace("torch.", "ember."), len(pl),
               [n for n, _ in pl.named_parameters()],
               [type(p).__name__ for p in pl], [getattr(p, "requires_grad", None) for p in pl]]
        pl[0] = lib.full((2,), 3.0)
        out += [type(pl[0]).__name__, pl[0].tolist(), repr(pl[1:3]).replace("torch.", "ember."),
                [type(p).__name__ for p in pl[::2]]]
        return out
    same(fn)
    same_error(lambda lib: lib.nn.ParameterList(lib.ones(2)))
    same_error(lambda lib: lib.nn.ParameterList()[0])
    same_error(lambda lib: lib.nn.ParameterList()())


def test_parameter_list_in_module_state_dict():
    def fn(lib):
        m = lib.nn.Module()
        m.pl = lib.nn.ParameterList([lib.ones(2), lib.zeros(3)])
        return list(m.state_dict()), [n for n, _ in m.named_parameters()]
    same(fn)


def test_parameter_dict():
    def fn(lib):
        nn = lib.nn
        pd = nn.ParameterDict({"w": nn.Parameter(lib.ones(2, 2)), "b": lib.zeros(3)})
        out = [repr(pd).replace("torch.", "ember."), list(pd), list(pd.keys()), len(pd)]
        pd.update(OrderedDict([("z", lib.ones(1)), ("a", lib.ones(1, dtype=lib.float64))]))
        pd.update([("s", "str"), ("k", lib.ones(2))])
        pd["x"] = lib.ones(2)
        out += [repr(pd).replace("torch.", "ember."), [n for n, _ in pd.named_parameters()],
                list(reversed(pd)), "a" in pd, pd.get("nope", 5)]
        out += [type(pd.pop("x")).__name__, pd.popitem()[0], list(pd)]
        out += [type(pd.setdefault("new", lib.ones(1))).__name__, list(pd)]
        cp = pd.copy()
        out += [list(cp), cp["w"] is pd["w"], list(pd.fromkeys(["p", "q"]))]
        merged = pd | nn.ParameterDict({"m": lib.ones(1)})
        out.append(list(merged))
        pd |= nn.ParameterDict({"n": lib.ones(1)})
        del pd["w"]
        out.append(list(pd))
        pd.clear()
        out += [list(pd), len(pd), [v for v in pd.values()]]
        return out
    same(fn)
    same_error(lambda lib: lib.nn.ParameterDict()[3])
    same_error(lambda lib: lib.nn.ParameterDict(3))
    same_error(lambda lib: lib.nn.ParameterDict([("a",)]))
    same_error(lambda lib: lib.nn.ParameterDict()(1))
    same_error(lambda lib: lib.nn.ParameterDict()["missing"])


# ---- Identity, Flatten, Unflatten --------------------------------------------------------------
def test_identity():
    x = ember.ones(2)
    assert enn.Identity(54, unused=0.1)(x) is x
    same(lambda lib: repr(lib.nn.Identity(3, a=1)))


@pytest.mark.parametrize("shape,args", [((2, 3, 4), ()), ((2, 3, 4, 5), (1, 2)),
                                        ((2, 3, 4), (0, -1)), ((3,), (0,)), ((2, 3, 4), (-2,))])
def test_flatten(shape, args):
    x = values(shape, 0)
    t, e = torch.nn.Flatten(*args), enn.Flatten(*args)
    assert repr(e) == repr(t)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    ty, ey = t(tx), e(ex)
    assert_same_tensor(ey, ty)
    ty.sum().backward()
    ey.sum().backward()
    assert_same_tensor(ex.grad, tx.grad)


@pytest.mark.parametrize("dim,size", [(1, (2, 5)), (-1, [5, 2]), (0, (2, -1)), (1, (10,))])
def test_unflatten(dim, size):
    x = values((4, 10), 1)
    t, e = torch.nn.Unflatten(dim, size), enn.Unflatten(dim, size)
    assert repr(e) == repr(t)
    assert_same_tensor(e(ember.tensor(x)), t(torch.tensor(x)))


def test_unflatten_errors():
    same_error(lambda lib: lib.nn.Unflatten(1, 5))
    same_error(lambda lib: lib.nn.Unflatten(1, (2, 2.5)))


def test_flatten_in_sequential_state_dict_is_empty():
    same(lambda lib: list(lib.nn.Sequential(lib.nn.Flatten(), lib.nn.Unflatten(1, (2, 2)),
                                            lib.nn.Identity()).state_dict()))
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    same(lambda lib: lib.nn.Sequential(lib.nn.Unflatten(1, (2, 2)), lib.nn.Flatten())(
        lib.tensor(x)).tolist())
