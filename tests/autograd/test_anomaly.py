"""Anomaly detection: NaN gradients name the op, and the forward call is shown."""
import warnings

import pytest

QUIET = pytest.mark.filterwarnings("ignore:Error detected in", "ignore:Anomaly Detection")

@pytest.fixture(autouse=True)
def _off(lib):
    yield
    lib.autograd.set_detect_anomaly(False)


def _nan_division(lib):
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    y = x / x  # THE FORWARD LINE
    return y.sum()


def test_nan_names_the_op_and_shows_the_forward_call(lib):
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        mode = lib.autograd.detect_anomaly()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with mode:
            assert lib.is_anomaly_enabled()
            y = _nan_division(lib)
            with pytest.raises(RuntimeError, match=r"Function 'DivBackward0' returned nan values "
                                                   r"in its 1th output\."):
                y.backward()
    assert not lib.is_anomaly_enabled()
    shown = [str(w.message) for w in caught if "Error detected in DivBackward0" in str(w.message)]
    assert shown and "THE FORWARD LINE" in shown[0] and "_nan_division" in shown[0]


def test_without_anomaly_mode_nan_passes_silently(lib):
    y = _nan_division(lib)
    y.backward()


def test_check_nan_false(lib):
    with pytest.warns(UserWarning):
        mode = lib.autograd.detect_anomaly(check_nan=False)
    with mode:
        assert not lib.is_anomaly_check_nan_enabled()
        _nan_division(lib).backward()
    assert lib.is_anomaly_check_nan_enabled()


@QUIET
def test_set_detect_anomaly_call_and_context(lib):
    lib.autograd.set_detect_anomaly(True)
    assert lib.is_anomaly_enabled()
    with pytest.raises(RuntimeError, match="returned nan values"):
        _nan_division(lib).backward()
    lib.autograd.set_detect_anomaly(False)
    assert not lib.is_anomaly_enabled()
    with lib.autograd.set_detect_anomaly(True):
        assert lib.is_anomaly_enabled()
    assert not lib.is_anomaly_enabled()


def test_errors_in_backward_show_the_forward_call(lib):
    class Broken(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            raise ValueError("broken backward")

    x = lib.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with lib.autograd.detect_anomaly():
            y = Broken.apply(x)  # BROKEN CALL
            with pytest.raises(ValueError, match="broken backward"):
                y.sum().backward()
    shown = [str(w.message) for w in caught if "Error detected in BrokenBackward" in str(w.message)]
    assert shown and "BROKEN CALL" in shown[0]


@QUIET
def test_detect_anomaly_as_a_decorator():
    import ember

    @ember.autograd.detect_anomaly()
    def run():
        assert ember.is_anomaly_enabled()
        _nan_division(ember).backward()

    with pytest.raises(RuntimeError, match="DivBackward0"):
        run()
    assert not ember.is_anomaly_enabled()
