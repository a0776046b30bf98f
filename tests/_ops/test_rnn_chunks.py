"""The fused recurrent layers with their products in chunks on a second thread (``_ops/rnn.py``,
``_parallel.Relay``): forced on for small shapes, against torch; and the Relay's own contract."""
import threading

import numpy as np
import pytest

import ember
from ember._ops import _parallel
from ember._ops import rnn as R
from ember._ops import rnn_stack
from helpers import rand
from nn.test_rnn import F32, F64, MODULES, check, pair, states
from nn.test_rnn_utils import packed_call


@pytest.fixture(params=["shared", "helper only"])
def chunked(monkeypatch, request):
    """Every layer in chunks of 2 rows beside a pool thread; with "helper only" this thread never
    takes a task, so the pool thread runs them all (which thread takes what is otherwise a matter
    of timing). Counts the tasks each thread ran: ``ran[slot]`` for the single layers' Relay,
    ``ran[thread name]`` for the unidirectional stacks' ``run_tasks`` (``rnn_stack.py``)."""
    monkeypatch.setattr(R, "_MIN_WORK", 0)
    monkeypatch.setattr(R, "_CHUNK_ROWS", 2)
    monkeypatch.setattr(rnn_stack, "_MIN_HIDDEN", 0)
    monkeypatch.setattr(_parallel, "overlapping", lambda: True)
    ran = {}
    run, take, run_tasks = _parallel.Relay._run, _parallel.Relay._take, _parallel.run_tasks

    def counted(self, i, slot):
        ran[slot] = ran.get(slot, 0) + 1
        return run(self, i, slot)
    monkeypatch.setattr(_parallel.Relay, "_run", counted)

    def counted_tasks(tasks):
        def wrapped(fn):
            def task():
                name = threading.current_thread().name
                ran[name] = ran.get(name, 0) + 1
                fn()
            return task
        run_tasks([(wrapped(fn), deps) for fn, deps in tasks])
    monkeypatch.setattr(_parallel, "run_tasks", counted_tasks)
    if request.param == "helper only":
        monkeypatch.setattr(_parallel.Relay, "_take",
                            lambda self, block, upto=None: take(self, block) if block else None)
        pool_run = _parallel.run

        def pool_first(fn, n):  # run_tasks' pool thread takes every task before this one starts
            if fn.__name__ != "worker":
                return pool_run(fn, n)
            pool_run(lambda i: fn(1) if i else None, 2)
            fn(0)
        monkeypatch.setattr(_parallel, "run", pool_first)
    return request.param, ran


def stack_tasks(ran):
    """Tasks the stacks ran, by thread: (this thread's, the pool threads')."""
    mine = ran.get(threading.current_thread().name, 0)
    pool = sum(v for k, v in ran.items() if isinstance(k, str)) - mine
    return mine, pool


@pytest.mark.parametrize("name", list(MODULES))
@pytest.mark.parametrize("bidirectional", [False, True])
def test_chunked_layers(chunked, name, bidirectional):
    cls, kw = MODULES[name]
    tm, em = pair(cls, 3, 4, 2, bidirectional=bidirectional, **kw)
    D = 2 if bidirectional else 1
    check(tm, em, rand(9, 2, 3, dtype=F64), states(name, 2, D, 2, 4, kw.get("proj_size")))
    mode, ran = chunked
    lstm = cls == "LSTM"
    if bidirectional:  # layer by layer
        assert ran.get(1, 0) > 0 if mode == "helper only" else ran.get(0, 0) > 0
        # layers x directions x 9 one-step runs x (projection, gradient products[, LSTM factors])
        assert sum(ran.values()) == 2 * D * 9 * (3 if lstm else 2)
        return
    mine, pool = stack_tasks(ran)
    if mode == "helper only":
        assert mine == 0
    # per layer and one-step run: forward loop and projection, backward loop; per one-step run:
    # the top layer's input gradient (the wavefront's link); per layer and gate: the weight
    # gradients; two halves of the input's gradient; per layer (all 18 rows in one group): the
    # LSTM's factors
    gates = {"LSTM": 4, "GRU": 3}.get(cls, 1)
    assert mine + pool == 2 * 9 * 3 + 9 + 2 * gates + 2 + (2 if lstm else 0)


@pytest.mark.parametrize("name", ["lstm", "gru", "rnn_relu"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_chunked_packed(chunked, name, bidirectional):
    cls, kw = MODULES[name]
    tm, em = pair(cls, 3, 4, 2, bidirectional=bidirectional, **kw)
    check(tm, em, rand(7, 4, 3, dtype=F64), call=packed_call([7, 2, 5, 1], False))


def test_chunked_float32_without_bias(chunked):
    tm, em = pair("LSTM", 3, 4, 2, bias=False, dtype=F32)
    check(tm, em, rand(8, 3, 3), dtype=F32)


def test_chunked_gradients_only_where_needed(chunked):
    em = ember.nn.GRU(3, 4)
    x = ember.tensor(rand(8, 2, 3))  # no grad: no input-gradient products
    out, _ = em(x)
    out.sum().backward()
    assert x.grad is None and em.weight_ih_l0.grad is not None


def test_chunks_grow_then_cover_the_rows(monkeypatch):
    monkeypatch.setattr(_parallel, "overlapping", lambda: True)
    monkeypatch.setattr(R, "_CHUNK_ROWS", 4)
    for reverse in (False, True):
        steps = R._steps([3, 3, 2, 2, 2, 1, 1], 7, 3, reverse)
        chunks = R._chunks(steps, 14, 1 << 30, np)
        assert [c[0] for c in chunks] == [0, 1, 4, 6]  # small at both ends, growing inwards
        rows = sorted(r for _, lo, hi in chunks for r in range(lo, hi))
        assert rows == list(range(14))
    assert R._chunks(steps, 14, 10, np) == [(0, 0, 14)]  # too little work: one chunk


def test_relay_orders_sums_and_reports_errors():
    seen, order = [], []

    def task(i, slot):
        seen.append(i)
        relay.ordered(i, lambda: order.append(i))
    relay = _parallel.Relay(task, 6)
    relay.publish(3)
    relay.finish()
    assert sorted(seen) == list(range(6)) and order == list(range(6))

    def bad(i, slot):
        if i == 2:
            raise ValueError("task 2")
    relay = _parallel.Relay(bad, 4, published=4)
    with pytest.raises(ValueError, match="task 2"):
        relay.finish()


def test_overlap_stops_the_helper_when_the_loop_fails():
    relay = _parallel.Relay(lambda i, slot: None, 3)

    def loop():
        raise KeyError("loop")
    before = threading.active_count()
    with pytest.raises(KeyError):
        _parallel.overlap(loop, relay)
    relay.helper()  # returns at once: the relay was aborted
    assert threading.active_count() <= before + 1  # (the pool's thread may have started)
