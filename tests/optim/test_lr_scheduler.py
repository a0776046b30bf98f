"""Every scheduler sets exactly PyTorch's learning rates (and momenta), step after step."""
import warnings

import pytest
import torch

import ember
import ember.optim  # noqa: F401

STEPS = 30


def make_opt(lib, cls="SGD", lrs=(0.1, 0.05), **kw):
    groups = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return getattr(lib.optim, cls)(groups, **kw)


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def run(lib, build, steps=STEPS, cls="SGD", opt_kw=None, epochs=None, metrics=None):
    """Build ``build(sched_module, opt)`` and record lrs, last lrs and momenta at every step."""
    opt = make_opt(lib, cls, **(opt_kw or {"momentum": 0.9} if cls == "SGD" else opt_kw or {}))
    sched = build(lib.optim.lr_scheduler, opt)
    scheds = sched if isinstance(sched, list) else [sched]
    rec = [([g["lr"] for g in opt.param_groups], _momenta(opt))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(steps):
            opt.step()
            for s in scheds:
                if metrics is not None:
                    s.step(metrics[i])
                elif epochs is not None:
                    s.step(epochs[i])
                else:
                    s.step()
            rec.append(([g["lr"] for g in opt.param_groups], _momenta(opt),
                        scheds[-1].get_last_lr()))
    return rec, opt, scheds


BUILDERS = {
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda e: 0.95 ** e),
    "LambdaLR-per-group": lambda m, o: m.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: e % 3]),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.9),
    "StepLR": lambda m, o: m.StepLR(o, step_size=4, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=6),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=12),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=20, power=2.0),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "CosineAnnealingLR-long": lambda m, o: m.CosineAnnealingLR(o, T_max=50),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                               eta_min=0.01),
    "CosineAnnealingWarmRestarts-1": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=4),
    "CyclicLR": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=4, step_size_down=3),
    "CyclicLR-triangular2": lambda m, o: m.CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=3,
                                                    mode="triangular2"),
    "CyclicLR-exp_range": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=5, mode="exp_range",
                                                  gamma=0.9, cycle_momentum=False),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=STEPS),
    "OneCycleLR-linear-3phase": lambda m, o: m.OneCycleLR(
        o, max_lr=[1.0, 0.5], epochs=3, steps_per_epoch=11, anneal_strategy="linear",
        three_phase=True, pct_start=0.25, div_factor=10.0, final_div_factor=100.0),
    "OneCycleLR-no-momentum": lambda m, o: m.OneCycleLR(o, 0.3, STEPS, cycle_momentum=False),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=10)],
        milestones=[5]),
    "SequentialLR-3": lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.5, total_iters=3), m.ExponentialLR(o, gamma=0.8),
            m.StepLR(o, 3)], milestones=[4, 12]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.1, total_iters=2), m.ExponentialLR(o, gamma=0.9)]),
    "two-at-once": lambda m, o: [m.LinearLR(o, start_factor=0.5, total_iters=4),
                                 m.MultiStepLR(o, milestones=[5, 9], gamma=0.5)],
    "warmup-then-cosine-chain": lambda m, o: [m.CosineAnnealingLR(o, T_max=12),
                                              m.LinearLR(o, start_factor=0.2, total_iters=6)],
}


@pytest.mark.parametrize("name", BUILDERS)
def test_lr_sequence_is_torchs(name):
    e, e_opt, _ = run(ember, BUILDERS[name])
    t, t_opt, _ = run(torch, BUILDERS[name])
    assert e == t  # exact: the same float operations in the same order
    assert e_opt.param_groups[0].keys() == t_opt.param_groups[0].keys()


def test_one_cycle_cycles_adam_betas():
    build = lambda m, o: m.OneCycleLR(o, max_lr=0.01, total_steps=STEPS, base_momentum=0.8)
    e = run(ember, build, cls="Adam")[0]
    assert e == run(torch, build, cls="Adam")[0]
    assert e[5][1][0] != e[0][1][0]


CLOSED_FORM = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5], gamma=0.5),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=4),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.2, total_iters=6),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.7),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=8, power=0.5),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=6, eta_min=0.01),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=3),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda e: 1 / (1 + e)),
}
EPOCHS = [1, 2, 5, 3, 3, 0, 9, 12, 4, 7, 20, 6]


@pytest.mark.parametrize("name", CLOSED_FORM)
def test_step_with_epoch_uses_the_closed_form(name):
    epochs = [e + 0.5 for e in EPOCHS] if "Restarts" in name else EPOCHS
    e = run(ember, CLOSED_FORM[name], len(epochs), epochs=epochs)[0]
    assert e == run(torch, CLOSED_FORM[name], len(epochs), epochs=epochs)[0]


METRICS = [5, 4, 4, 4, 4.1, 4, 3.9999, 3, 3, 3, 3, 3, 2.5, 2.6, 2.7, 2.8, 2.9, 3, 3, 3]


@pytest.mark.parametrize("kw", [
    dict(), dict(patience=2), dict(patience=1, factor=0.5, cooldown=2),
    dict(mode="max", patience=1), dict(threshold_mode="abs", threshold=0.5, patience=0),
    dict(mode="max", threshold_mode="abs", threshold=0.1, patience=1, factor=0.2),
    dict(patience=0, factor=0.5, min_lr=[0.02, 0.03]), dict(patience=0, min_lr=0.04, eps=1e-3),
])
def test_reduce_lr_on_plateau(kw):
    build = lambda m, o: m.ReduceLROnPlateau(o, **kw)
    e, _, (e_s,) = run(ember, build, len(METRICS), metrics=METRICS)
    t, _, (t_s,) = run(torch, build, len(METRICS), metrics=METRICS)
    assert e == t
    assert e_s.state_dict() == t_s.state_dict()


def _comparable(sd):
    return {k: v for k, v in sd.items() if k not in ("lr_lambdas", "_scale_fn_ref")}


@pytest.mark.parametrize("name", [n for n in BUILDERS if not n.startswith(("two", "warmup"))])
def test_state_dict_round_trip(name):
    build = BUILDERS[name]
    straight = run(ember, build, 20)[0]
    first, opt, (sched,) = run(ember, build, 10)
    sd = sched.state_dict()
    t_sd = run(torch, build, 10)[2][0].state_dict()
    if "_schedulers" not in sd:
        assert _comparable(sd) == _comparable(t_sd)
    # a fresh optimizer and scheduler (as in a new process), then load both states
    opt2 = make_opt(ember, **{"momentum": 0.9})
    sched2 = build(ember.optim.lr_scheduler, opt2)
    opt_sd = opt.state_dict()
    sched2.load_state_dict(sd)
    opt2.load_state_dict(opt_sd)
    rec = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(10):
            opt2.step()
            sched2.step()
            rec.append(([g["lr"] for g in opt2.param_groups], _momenta(opt2), sched2.get_last_lr()))
    assert first + rec == straight


def test_initial_lr_and_base_lrs():
    for lib in (torch, ember):
        opt = make_opt(lib)
        s = lib.optim.lr_scheduler.StepLR(opt, 2)
        assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
        assert s.base_lrs == [0.1, 0.05] and s.last_epoch == 0 and s.get_last_lr() == [0.1, 0.05]


def test_warns_when_scheduler_steps_before_optimizer():
    for lib in (torch, ember):
        s = lib.optim.lr_scheduler.StepLR(make_opt(lib), 2)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            s.step()
        with pytest.warns(UserWarning, match="get_last_lr"):
            s.get_lr()


def _raises_same(make):
    with pytest.raises(Exception) as t_exc:
        make(torch.optim.lr_scheduler, make_opt(torch, momentum=0.9))
    with pytest.raises(type(t_exc.value)) as e_exc:
        make(ember.optim.lr_scheduler, make_opt(ember, momentum=0.9))
    assert str(e_exc.value) == str(t_exc.value)


@pytest.mark.parametrize("make", [
    lambda m, o: m.StepLR(object(), 3),
    lambda m, o: m.StepLR(o, 3, last_epoch=4),
    lambda m, o: m.LambdaLR(o, [lambda e: 1.0]),
    lambda m, o: m.MultiplicativeLR(o, 0.9),
    lambda m, o: m.ConstantLR(o, factor=1.5),
    lambda m, o: m.LinearLR(o, start_factor=0),
    lambda m, o: m.LinearLR(o, end_factor=2),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2).step(-1),
    lambda m, o: m.CyclicLR(o, 0.1, 1.0, mode="zigzag"),
    lambda m, o: m.CyclicLR(o, [0.1], 1.0),
    lambda m, o: m.OneCycleLR(o, 1.0),
    lambda m, o: m.OneCycleLR(o, 1.0, total_steps=0),
    lambda m, o: m.OneCycleLR(o, 1.0, 10, pct_start=1.5),
    lambda m, o: m.OneCycleLR(o, 1.0, 10, anneal_strategy="exp"),
    lambda m, o: [s.step() for s in [m.OneCycleLR(o, 1.0, 2)] * 3],
    lambda m, o: m.ReduceLROnPlateau(o, factor=1.0),
    lambda m, o: m.ReduceLROnPlateau(o, mode="avg"),
    lambda m, o: m.ReduceLROnPlateau(o, threshold_mode="pct"),
    lambda m, o: m.ReduceLROnPlateau(o, min_lr=[0.1]),
    lambda m, o: m.SequentialLR(o, [], []),
    lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), m.StepLR(o, 3)], [1, 2]),
    lambda m, o: m.SequentialLR(o, [m.ReduceLROnPlateau(o)], []),
    lambda m, o: m.ChainedScheduler([]),
])
def test_errors_like_torch(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _raises_same(make)
