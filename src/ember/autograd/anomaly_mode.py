"""Anomaly detection: remember where each graph node was made, and stop at NaN gradients.

In anomaly mode ``graph.connect`` keeps the forward call stack on every new node, and the engine
(``engine._checked``) raises ``RuntimeError("Function 'DivBackward0' returned nan values in its 0th
output.")`` when a backward formula produces NaN, showing the forward stack as a warning.
"""
import functools
import warnings

from ember.autograd.grad_mode import ANOMALY

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "set_anomaly_enabled"]


def is_anomaly_enabled():
    """True when anomaly detection is on."""
    return ANOMALY.enabled


def is_anomaly_check_nan_enabled():
    """True when anomaly detection also raises on NaN gradients."""
    return ANOMALY.check_nan


def set_anomaly_enabled(enabled, check_nan=True):
    """Turn anomaly detection on or off (PyTorch's ``torch.set_anomaly_enabled``)."""
    ANOMALY.enabled = bool(enabled)
    ANOMALY.check_nan = bool(check_nan)


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly detection on.

    Backward then names the operation whose gradient is NaN and shows where it was called in the
    forward pass. Slow: for debugging only.

    Args:
        check_nan (bool): raise when a backward formula returns NaN (default True).

    Example::

        with ember.autograd.detect_anomaly():
            y = x / x             # x has a zero
            y.sum().backward()    # RuntimeError: Function 'DivBackward0' returned nan values ...
    """

    def __init__(self, check_nan=True):
        self.prev = ANOMALY.enabled
        self.check_nan = check_nan
        self.prev_check_nan = ANOMALY.check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and "
                      "should only be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        self.prev, self.prev_check_nan = ANOMALY.enabled, ANOMALY.check_nan
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)
        return False

    def __call__(self, fn):
        check_nan = self.check_nan

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # warned once, at decoration
                ctx = detect_anomaly(check_nan)
            with ctx:
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off; acts at once, so it works as a plain call, and as a context
    manager restores the previous setting on exit.

    Args:
        mode (bool): on (True) or off (False).
        check_nan (bool): raise when a backward formula returns NaN (default True).

    Example::

        ember.autograd.set_detect_anomaly(True)
    """

    def __init__(self, mode, check_nan=True):
        self.prev = ANOMALY.enabled
        self.prev_check_nan = ANOMALY.check_nan
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)
        return False
