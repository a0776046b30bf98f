"""ember.multiprocessing: the re-exported API, sharing strategies and spawn (real processes,
started with 'spawn'), including a child's failure reaching the parent."""
import pytest
import torch.multiprocessing as tmp

import ember.multiprocessing as mp
from _workers import exit_3, fail, square_into


def test_namespace_and_strategies():
    for name in tmp.__all__:
        assert hasattr(mp, name), name
    assert mp.get_sharing_strategy() == tmp.get_sharing_strategy()
    assert mp.get_all_sharing_strategies() == tmp.get_all_sharing_strategies()
    mp.set_sharing_strategy("file_system")
    try:
        assert mp.get_sharing_strategy() == "file_system"
    finally:
        mp.set_sharing_strategy("file_descriptor")
    with pytest.raises(AssertionError):
        mp.set_sharing_strategy("bad")


def test_spawn_runs_every_rank():
    ctx = mp.get_context("spawn")
    q = ctx.SimpleQueue()
    assert mp.spawn(square_into, args=(q,), nprocs=2) is None
    got = sorted(q.get() for _ in range(2))
    assert got == [(0, 0.0), (1, 3.0)]


def test_spawn_raises_the_childs_error():
    with pytest.raises(mp.ProcessRaisedException, match="boom in child") as e:
        mp.spawn(fail, nprocs=2)
    assert e.value.error_index == 1


def test_spawn_without_join_and_exit_codes():
    context = mp.spawn(exit_3, nprocs=1, join=False)
    assert len(context.pids()) == 1
    with pytest.raises(mp.ProcessExitedException, match="exit code 3"):
        while not context.join(timeout=30):
            pass
