"""The RNN modules' surface against torch: parameter names and order, state_dicts in both
directions, initialisation, reprs, constructor and forward errors and warnings."""
import math
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import rand
from nn.test_module import same_error
from nn.trees import same_repr

CTORS = [  # (class, args, kwargs)
    ("RNN", (3, 4), {}), ("RNN", (3, 4, 2), {"nonlinearity": "relu", "bias": False}),
    ("RNN", (3, 4, 3, "relu"), {}),
    ("LSTM", (3, 4), {"bidirectional": True}), ("LSTM", (3, 5, 2), {"proj_size": 2}),
    ("LSTM", (3, 5), {"proj_size": 3, "bias": False, "bidirectional": True, "num_layers": 2}),
    ("GRU", (3, 4, 2), {"batch_first": True, "dropout": 0.25, "bidirectional": True}),
    ("RNNCell", (3, 4), {}), ("RNNCell", (3, 4), {"nonlinearity": "relu", "bias": False}),
    ("LSTMCell", (3, 4), {}), ("GRUCell", (3, 4), {"bias": False}),
]


def build(lib, cls, args, kw):
    return getattr(lib.nn, cls)(*args, **kw)


@pytest.mark.parametrize("cls,args,kw", CTORS)
def test_names_shapes_repr(cls, args, kw):
    t, e = build(torch, cls, args, kw), build(ember, cls, args, kw)
    same_repr(e, t)
    assert [(n, tuple(p.shape)) for n, p in e.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    assert list(e.state_dict()) == list(t.state_dict())
    if not cls.endswith("Cell"):
        assert e._flat_weights_names == t._flat_weights_names
        assert [[tuple(w.shape) for w in ws] for ws in e.all_weights] == \
            [[tuple(w.shape) for w in ws] for ws in t.all_weights]
        assert all(a is b for a, b in zip(e._flat_weights, e.parameters()))
        for name in ("mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first",
                     "dropout", "bidirectional", "proj_size"):
            assert getattr(e, name) == getattr(t, name), name


@pytest.mark.parametrize("cls,args,kw", CTORS)
def test_state_dict_both_ways(cls, args, kw):
    t, e = build(torch, cls, args, kw), build(ember, cls, args, kw)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    t2 = build(torch, cls, args, kw)
    t2.load_state_dict({k: torch.tensor(v.numpy()) for k, v in e.state_dict().items()})
    for m in (t, e, t2):
        m.eval()  # (no dropout)
    x = rand(2, 3) if cls.endswith("Cell") else rand(4, 2, 3)
    outs = [t(torch.tensor(x)), e(ember.tensor(x)), t2(torch.tensor(x))]
    flat = [o if not isinstance(o, tuple) else o[0] for o in outs]
    flat = [f if not isinstance(f, tuple) else f[0] for f in flat]
    np.testing.assert_allclose(flat[1].detach().numpy(), flat[0].detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(flat[2].detach().numpy(), flat[0].detach().numpy(), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("cls,args,kw", [c for c in CTORS if c[0] in ("LSTM", "GRUCell")])
def test_initialisation(cls, args, kw):
    e = build(ember, cls, args, kw)
    bound = 1 / math.sqrt(e.hidden_size)
    for p in e.parameters():
        v = p.detach().numpy()
        assert v.dtype == np.float32 and np.all(np.abs(v) <= bound) and v.std() > bound / 4


def test_dtype_device_kwargs_and_double():
    e = ember.nn.GRU(3, 4, dtype=ember.float64)
    assert all(p.dtype == ember.float64 for p in e.parameters())
    e = ember.nn.LSTM(3, 4).double()
    out, (h, c) = e(ember.tensor(rand(2, 1, 3, dtype=np.float64)))
    assert out.dtype == h.dtype == ember.float64
    assert all(p.dtype == ember.float64 for p in e._flat_weights)
    assert ember.nn.LSTMCell(2, 3, device="cpu").weight_ih.device.type == "cpu"


def test_constructor_errors():
    for args, kw in [((3, 4), {"dropout": 1.5}), ((3, 4), {"dropout": True}),
                     ((3, 4), {"bias": 1}), ((3, 4), {"batch_first": 0}),
                     ((3.0, 4), {}), ((0, 4), {}), ((3, 4.0), {}), ((3, 0), {}),
                     ((3, 4, 0), {}), ((3, 4), {"proj_size": -1}), ((3, 4), {"proj_size": 4})]:
        same_error(lambda lib: lib.nn.LSTM(*args, **kw))
    same_error(lambda lib: lib.nn.GRU(3, 4, proj_size=2))
    same_error(lambda lib: lib.nn.RNN(3, 4, proj_size=2))
    same_error(lambda lib: lib.nn.RNN(3, 4, nonlinearity="sigmoid"))
    same_error(lambda lib: lib.nn.RNNCell(3, 4, nonlinearity="foo")(lib.ones(2, 3)))


def test_dropout_warning():
    for lib in (torch, ember):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.nn.LSTM(3, 4, dropout=0.5)
        assert len(w) == 1 and "num_layers greater than 1" in str(w[0].message)
        assert "dropout=0.5 and num_layers=1" in str(w[0].message)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_forward_errors(cls):
    def m(lib, **kw):
        lib.manual_seed(0)
        return getattr(lib.nn, cls)(10, 20, 2, **kw)
    lstm = cls == "LSTM"

    def states(lib, *shape, dtype=None):
        h = lib.zeros(*shape, dtype=dtype)
        return (h, lib.zeros(*shape, dtype=dtype)) if lstm else h
    same_error(lambda lib: m(lib)(lib.zeros(5, 3, 5)))
    same_error(lambda lib: m(lib)(lib.zeros(3, 5, 3, 10)))
    same_error(lambda lib: m(lib)(lib.zeros(10)))
    same_error(lambda lib: m(lib)(lib.zeros(5, 3, 10, dtype=lib.float64)))
    same_error(lambda lib: m(lib)(lib.zeros(5, 3, 10), states(lib, 1, 3, 20)))
    same_error(lambda lib: m(lib)(lib.zeros(5, 3, 10), states(lib, 2, 4, 20)))
    same_error(lambda lib: m(lib)(lib.zeros(5, 3, 10), states(lib, 2, 20)))
    same_error(lambda lib: m(lib)(lib.zeros(5, 10), states(lib, 2, 3, 20)))
    same_error(lambda lib: m(lib, batch_first=True)(lib.zeros(5, 3, 10), states(lib, 2, 3, 20)))
    same_error(lambda lib: m(lib)(lib.zeros(0, 3, 10)))
    if lstm:  # (torch's float32 LSTM runs oneDNN, whose message is about its own dtypes)
        with pytest.raises(RuntimeError, match="same dtype"):
            m(ember)(ember.zeros(5, 3, 10), states(ember, 2, 3, 20, dtype=ember.float64))
    else:
        same_error(lambda lib: m(lib)(lib.zeros(5, 3, 10), states(lib, 2, 3, 20,
                                                                   dtype=lib.float64)))
    if lstm:
        same_error(lambda lib: m(lib)(lib.zeros(5, 3, 10),
                                      (lib.zeros(2, 3, 20), lib.zeros(2, 3, 19))))
        same_error(lambda lib: lib.nn.LSTM(10, 20, proj_size=5)(
            lib.zeros(5, 3, 10), (lib.zeros(1, 3, 20), lib.zeros(1, 3, 20))))


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_errors(cls):
    lstm = cls == "LSTMCell"

    def states(lib, *shape):
        return (lib.zeros(*shape), lib.zeros(*shape)) if lstm else lib.zeros(*shape)

    def c(lib):
        return getattr(lib.nn, cls)(10, 20)
    same_error(lambda lib: c(lib)(lib.zeros(3, 5)))
    same_error(lambda lib: c(lib)(lib.zeros(2, 3, 10)))
    same_error(lambda lib: c(lib)(lib.zeros(3, 10), states(lib, 2, 20)))
    same_error(lambda lib: c(lib)(lib.zeros(3, 10), states(lib, 3, 30)))
    same_error(lambda lib: c(lib)(lib.zeros(3, 10), states(lib, 20)))
    same_error(lambda lib: c(lib)(lib.zeros(10), states(lib, 3, 20)))
    same_error(lambda lib: c(lib)(lib.zeros(3, 10), states(lib, 1, 3, 20)))
    same_error(lambda lib: c(lib)(lib.zeros(3, 10, dtype=lib.float64)))
    same_error(lambda lib: c(lib)(lib.zeros(3, 10), (lib.zeros(3, 20, dtype=lib.float64),) * (
        1 + lstm) if lstm else lib.zeros(3, 20, dtype=lib.float64)))


def test_empty_batch():
    for cls in ("RNN", "LSTM", "GRU"):
        t, e = build(torch, cls, (3, 4, 2), {}), build(ember, cls, (3, 4, 2), {})
        to, eo = t(torch.zeros(5, 0, 3)), e(ember.zeros(5, 0, 3))
        assert tuple(eo[0].shape) == tuple(to[0].shape) == (5, 0, 4)


def test_deepcopy_and_pickle():
    import copy
    import pickle
    e = ember.nn.LSTM(3, 4, 2, proj_size=2)
    x = ember.tensor(rand(5, 2, 3))
    for e2 in (copy.deepcopy(e), pickle.loads(pickle.dumps(e))):
        np.testing.assert_array_equal(e2(x)[0].detach().numpy(), e(x)[0].detach().numpy())
        assert e2._flat_weights[0] is e2.weight_ih_l0


def test_reassigned_parameter_is_used():
    e = ember.nn.GRU(3, 4)
    x = ember.tensor(rand(4, 2, 3))
    before = e(x)[0].detach().numpy()
    e.weight_hh_l0 = ember.nn.Parameter(ember.zeros(12, 4))
    assert e._flat_weights[1] is e.weight_hh_l0
    assert not np.allclose(e(x)[0].detach().numpy(), before)


def test_grad_fn_is_one_node_per_layer():
    e = ember.nn.LSTM(3, 4)
    out, (h, c) = e(ember.tensor(rand(50, 2, 3)))
    node = out.grad_fn
    while type(node).__name__ != "RnnLayerBackward0":
        node = node.next_functions[0][0]
    assert len(node.next_functions) == 8
