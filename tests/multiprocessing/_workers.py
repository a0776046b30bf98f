"""Functions the spawned test processes run (a module without torch, so they start fast)."""
import ember


def square_into(i, queue):
    queue.put((i, (ember.arange(3.0) * i).sum().item()))


def fail(i):
    if i == 1:
        raise ValueError("boom in child")


def exit_3(i):
    if i == 0:
        raise SystemExit(3)
