"""ember.amp against torch.amp: GradScaler's scaled losses, unscaled gradients, skipped steps,
scale growth and backoff, state_dict and errors on the same training sequence; autocast's
state and errors."""
import warnings

import numpy as np
import pytest
import torch

import ember


def _run(lib, grads_scale, **kw):
    """A few SGD steps under a GradScaler, with the loss multiplied by each factor in turn
    (inf makes a step's gradients non-finite). Returns every observable along the way."""
    w = lib.nn.Parameter(lib.tensor([1.0, -2.0, 0.5]))
    opt = lib.optim.SGD([w], lr=0.1, momentum=0.9)
    scaler = lib.amp.GradScaler("cpu", **kw)
    seen = []
    for f in grads_scale:
        loss = (w * w * lib.tensor(f)).sum()
        scaled = scaler.scale(loss)
        scaled.backward()
        scaler.unscale_(opt)
        seen.append(w.grad.clone().numpy())
        ret = scaler.step(opt)
        scaler.update()
        seen += [ret, scaled.item(), w.detach().clone().numpy(), scaler.get_scale(),
                 scaler.state_dict()]
        opt.zero_grad()
    return seen


@pytest.mark.parametrize("kw", [{}, {"growth_interval": 2}, {"init_scale": 8.0,
                                                              "growth_interval": 1,
                                                              "growth_factor": 4.0,
                                                              "backoff_factor": 0.25}])
def test_grad_scaler_sequence(kw):
    seq = [1.0, float("inf"), 2.0, 0.5, float("nan"), 1.0, 3.0]
    e, t = _run(ember, seq, **kw), _run(torch, seq, **kw)
    assert len(e) == len(t)
    for a, b in zip(e, t):
        if isinstance(b, np.ndarray):
            np.testing.assert_allclose(a, b, rtol=1e-6, equal_nan=True)
        elif isinstance(b, float) and np.isnan(b):
            assert np.isnan(a)
        else:
            assert a == b


def test_grad_scaler_scale_structures_and_disabled():
    for lib in (ember, torch):
        s = lib.amp.GradScaler("cpu", init_scale=4.0)
        out = s.scale([lib.tensor(1.0), (lib.tensor([2.0]), lib.tensor(3.0))])
        assert isinstance(out, list) and isinstance(out[1], tuple)
        assert [float(out[0]), float(out[1][0][0]), float(out[1][1])] == [4.0, 8.0, 12.0]
        off = lib.amp.GradScaler("cpu", enabled=False)
        x = lib.tensor(2.0)
        assert off.scale(x) is x and off.get_scale() == 1.0 and off.state_dict() == {}
        assert not off.is_enabled()


def test_grad_scaler_state_dict_round_trip():
    t = torch.amp.GradScaler("cpu", growth_interval=3)
    e = ember.amp.GradScaler("cpu")
    e.load_state_dict(t.state_dict())
    assert e.state_dict() == t.state_dict()
    with pytest.raises(RuntimeError, match="empty"):
        e.load_state_dict({})


def _errors(lib):
    w = lib.nn.Parameter(lib.tensor([1.0]))
    opt = lib.optim.SGD([w], lr=0.1)
    out = []
    s = lib.amp.GradScaler("cpu")
    for call in (lambda: s.step(opt), lambda: s.unscale_(opt), lambda: s.update()):
        try:
            call()
        except Exception as exc:  # noqa: BLE001
            out.append((type(exc).__name__, str(exc)))
    s.scale((w * 2).sum()).backward()
    s.unscale_(opt)
    for call in (lambda: s.unscale_(opt), lambda: s.step(opt, closure=lambda: 0)):
        try:
            call()
        except Exception as exc:  # noqa: BLE001
            out.append((type(exc).__name__, str(exc)))
    s.step(opt)
    for call in (lambda: s.step(opt), lambda: s.unscale_(opt)):
        try:
            call()
        except Exception as exc:  # noqa: BLE001
            out.append((type(exc).__name__, str(exc)))
    for bad in ({"growth_factor": 1.0}, {"backoff_factor": 1.0}):
        try:
            lib.amp.GradScaler("cpu", **bad)
        except Exception as exc:  # noqa: BLE001
            out.append((type(exc).__name__, str(exc)))
    return out


def test_grad_scaler_errors_match_torch():
    assert _errors(ember) == _errors(torch)


def test_cuda_scaler_without_gpu_disables_with_a_warning():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    for lib in (ember, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            s = lib.amp.GradScaler("cuda")
        assert not s.is_enabled() and any("CUDA is not available" in str(x.message) for x in w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert not ember.cuda.amp.GradScaler().is_enabled()


def test_autocast_state():
    for lib in (ember, torch):
        assert not lib.is_autocast_enabled("cpu")
        with lib.autocast("cpu"):
            assert lib.is_autocast_enabled("cpu") and not lib.is_autocast_enabled()
            with lib.autocast("cpu", enabled=False):
                assert not lib.is_autocast_enabled("cpu")
            assert lib.is_autocast_enabled("cpu")
        assert not lib.is_autocast_enabled("cpu")

        @lib.autocast("cpu")
        def f():
            return lib.is_autocast_enabled("cpu")
        assert f() and not lib.is_autocast_enabled("cpu")
        with lib.amp.autocast("cpu", dtype=lib.float16):
            assert lib.get_autocast_dtype("cpu") == lib.float16
    with pytest.raises(RuntimeError, match="device type at start of device string: xyz"):
        ember.autocast("xyz")
    with ember.autocast("cpu"):  # ember computes in float32 (see ember.amp)
        assert (ember.ones(2, 2) @ ember.ones(2, 2)).dtype == ember.float32


def _warned(make):
    """(the result of make(), the warnings' (category name, message))."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = make()
    return r, [(x.category.__name__, str(x.message).replace("torch.", "ember."))
               for x in w]


def test_autocast_disabled_with_a_warning_as_torch():
    cases = [lambda L: L.amp.autocast("cpu", dtype=L.float32),
             lambda L: L.amp.autocast("cpu", dtype=L.float64)]
    if not ember.cuda.is_available():
        cases += [lambda L: L.amp.autocast("cuda"), lambda L: L.autocast("cuda")]
    for make in cases:
        outs = []
        for lib in (torch, ember):
            ctx, w = _warned(lambda: make(lib))
            with ctx:
                outs.append((w, lib.is_autocast_enabled(ctx.device)))
        assert outs[1] == outs[0]
        assert not outs[1][1]


def test_cuda_amp_spellings_are_deprecated():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    for name in ("autocast", "GradScaler"):
        outs = [_warned(lambda: getattr(lib.cuda.amp, name)())[1] for lib in (torch, ember)]
        assert outs[1] == outs[0]


@pytest.mark.parametrize("new", ["f64", "f32_1d", "grad"])
def test_grad_scaler_update_with_a_tensor(new):
    outs = []
    for lib in (torch, ember):
        s = lib.amp.GradScaler("cpu")
        p = lib.tensor([1.0], requires_grad=True)
        s.scale(p.sum()).backward()
        s.step(lib.optim.SGD([p], lr=0.1))
        value = {"f64": lambda: lib.tensor(8.0, dtype=lib.float64),
                 "f32_1d": lambda: lib.tensor([8.0]),
                 "grad": lambda: lib.tensor(8.0, requires_grad=True)}[new]()
        try:
            s.update(value)
            outs.append(("ok", s.get_scale(), s._scale.dtype == lib.float32))
        except Exception as exc:  # noqa: BLE001 (the exception type is what is compared)
            outs.append((type(exc).__name__,))
    assert outs[1] == outs[0]
