"""Whether operations record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``,
``inference_mode``. Each works as a context manager and as a decorator."""
import copy
import functools


class _State:
    __slots__ = ("enabled", "anomaly", "anomaly_nan")

    def __init__(self):
        self.enabled = True
        self.anomaly = False
        self.anomaly_nan = True


# NOTE: one global flag, read by every op; PyTorch keeps it per thread, but ember's hot path reads an
# attribute of a module-level object, which is the cheapest check Python offers.
STATE = _State()


def is_grad_enabled():
    return STATE.enabled


class _Mode:
    """Base for the grad-mode switches: ``with`` support and use as ``@decorator`` or ``@decorator()``."""

    _target = True

    def __enter__(self):
        self._prev = STATE.enabled
        STATE.enabled = self._target

    def __exit__(self, *exc):
        STATE.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with copy.copy(self):  # a fresh copy per call, so recursion restores the right mode
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_Mode):
    """Turn graph recording off: results of operations do not require grad.

    Example::

        with ember.no_grad():
            y = model(x)      # y.requires_grad is False
    """

    _target = False

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        return self(fn) if callable(fn) else self  # bare ``@no_grad`` without parentheses

    def __init__(self, fn=None):
        pass


class enable_grad(no_grad):
    """Turn graph recording back on inside a ``no_grad`` block."""

    _target = True


class inference_mode(no_grad):
    """Like ``no_grad`` (ember keeps no extra bookkeeping for inference tensors).
    ``inference_mode(False)`` leaves recording as it is."""

    def __init__(self, mode=True):
        self._target = False if (callable(mode) or mode) else STATE.enabled

    def __enter__(self):
        self._prev = STATE.enabled
        if self._target is False:
            STATE.enabled = False


class set_grad_enabled(_Mode):
    """``set_grad_enabled(mode)``: switch recording on or off. Acts at once, like PyTorch's, so it
    also works as a plain function call; as a context manager it restores the previous mode."""

    def __init__(self, mode):
        self._target = bool(mode)
        self._prev = STATE.enabled
        STATE.enabled = self._target

    def __enter__(self):
        pass

    def __call__(self, fn):
        STATE.enabled = self._prev  # as a decorator, undo the switch that __init__ made
        mode = self._target

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper
