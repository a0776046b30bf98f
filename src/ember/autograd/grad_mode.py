"""Whether operations record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``,
``inference_mode``. Each works as a context manager and as a decorator (``@no_grad`` and
``@no_grad()`` both work, as in PyTorch)."""
import functools
import inspect
import threading


class _State(threading.local):
    """Grad mode and inference mode, per thread as in PyTorch: a thread starts with grad mode on,
    whatever another thread is in. NOTE: read by every op; a thread-local attribute costs ~35 ns
    more than a plain one, about 1% of an op's overhead, for threads that cannot switch off each
    other's graph."""

    def __init__(self):
        self.enabled = True
        self.inference = False


class _Anomaly:
    """Anomaly detection (``anomaly_mode.py``): one setting for all threads, as PyTorch's."""
    __slots__ = ("enabled", "check_nan")

    def __init__(self):
        self.enabled = False
        self.check_nan = True


STATE = _State()
ANOMALY = _Anomaly()


def is_grad_enabled():
    """True when operations record the graph for autograd."""
    return STATE.enabled


def is_inference_mode_enabled():
    """True inside ``inference_mode()``."""
    return STATE.inference


def _wrap_generator(make_ctx, fn):
    """Run each step of the generator ``fn`` inside a fresh context (PyTorch's ``_wrap_generator``):
    the mode must hold while the generator's body runs, not while the caller consumes it."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        gen = fn(*args, **kwargs)
        try:
            with make_ctx():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with make_ctx():
                        gen.close()
                    raise
                except BaseException as e:
                    with make_ctx():
                        response = gen.throw(e)
                else:
                    with make_ctx():
                        response = gen.send(request)
        except StopIteration as e:
            return e.value
    return wrapper


class _DecoratorContextManager:
    """Base for the mode switches: ``with`` support and use as a decorator. Each call of a decorated
    function enters a fresh :meth:`clone`, so recursion and nesting restore the right mode."""

    def __call__(self, fn):
        if inspect.isclass(fn):
            raise RuntimeError("Cannot decorate classes; it is ambiguous whether or not only the "
                               "constructor or all methods should have the context manager applied")
        make_ctx = self.clone
        if inspect.isgeneratorfunction(fn):
            return _wrap_generator(make_ctx, fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with make_ctx():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class _NoParamDecoratorContextManager(_DecoratorContextManager):
    """Allows the bare ``@no_grad`` form, without parentheses."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecoratorContextManager):
    """Turn graph recording off: results of operations do not require grad.

    Example::

        with ember.no_grad():
            y = model(x)      # y.requires_grad is False

        @ember.no_grad()
        def evaluate(x): ...
    """

    def __enter__(self):
        self.prev = STATE.enabled
        STATE.enabled = False

    def __exit__(self, *exc):
        STATE.enabled = self.prev
        return False


class enable_grad(_NoParamDecoratorContextManager):
    """Turn graph recording back on inside a ``no_grad`` block.

    Example::

        with ember.no_grad():
            with ember.enable_grad():
                y = x * 2     # recorded
    """

    def __enter__(self):
        self.prev = STATE.enabled
        STATE.enabled = True

    def __exit__(self, *exc):
        STATE.enabled = self.prev
        return False


class set_grad_enabled(_DecoratorContextManager):
    """Switch recording on (``mode=True``) or off. Acts at once, like PyTorch's, so it also works
    as a plain call (``ember.set_grad_enabled(False)``); as a context manager it restores the
    previous mode on exit.

    Args:
        mode (bool): whether to record operations.

    Example::

        with ember.set_grad_enabled(is_train):
            y = model(x)
    """

    def __init__(self, mode):
        self.prev = STATE.enabled
        self.mode = bool(mode)
        STATE.enabled = self.mode

    def __call__(self, fn):
        STATE.enabled = self.prev  # as a decorator, undo the switch that __init__ made
        return super().__call__(fn)

    def __enter__(self):
        STATE.enabled = self.mode

    def __exit__(self, *exc):
        STATE.enabled = self.prev
        return False

    def clone(self):
        return self.__class__(self.mode)

    def __repr__(self):
        return f"ember.autograd.grad_mode.set_grad_enabled(mode={self.mode})"


class inference_mode(_DecoratorContextManager):
    """Like ``no_grad`` for ember (which keeps no extra per-tensor bookkeeping that inference mode
    could skip); ``is_inference_mode_enabled()`` reports it. ``inference_mode(False)`` turns
    recording back on, as PyTorch's does.

    Args:
        mode (bool or function): whether to enable inference mode, or a function to decorate.

    Example::

        @ember.inference_mode
        def predict(x): ...
    """

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # bare ``@inference_mode``

    def __init__(self, mode=True):
        self.mode = mode

    def __enter__(self):
        self.prev = (STATE.enabled, STATE.inference)
        # NOTE: as PyTorch's InferenceMode guard: inference_mode(False) turns recording *on*
        STATE.enabled = not self.mode
        STATE.inference = bool(self.mode)

    def __exit__(self, *exc):
        STATE.enabled, STATE.inference = self.prev
        return False

    def clone(self):
        return self.__class__(self.mode)
