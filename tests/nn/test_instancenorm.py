"""F.instance_norm and nn.InstanceNorm1d/2d/3d against torch: values, gradients, running
statistics, eval mode, inputs without the batch dim, reprs, state_dicts and errors."""
import numpy as np
import pytest
import torch

import ember
from helpers import check_raises, compare, rand

SHAPES = {"InstanceNorm1d": (2, 3, 6), "InstanceNorm2d": (2, 3, 4, 5),
          "InstanceNorm3d": (2, 3, 2, 3, 4)}


@pytest.mark.parametrize("cls", list(SHAPES))
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("track", [False, True])
def test_modules_train_then_eval(cls, affine, track):
    x = rand(*SHAPES[cls])
    mods = {}

    def run(lib, t):
        m = mods.setdefault(lib.__name__, getattr(lib.nn, cls)(3, affine=affine,
                                                               track_running_stats=track))
        m.train()
        y = m(t)
        m.eval()
        return y, m(t * 2 + 1)
    compare(run, x)
    e, t = mods["ember"], mods["torch"]
    assert repr(e) == repr(t)
    assert sorted(e.state_dict()) == sorted(t.state_dict())
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(e.state_dict()[k].numpy(), v.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", list(SHAPES))
def test_an_input_without_the_batch_dim_is_one_sample(cls):
    compare(lambda lib, t: getattr(lib.nn, cls)(3, affine=True)(t), rand(*SHAPES[cls][1:]))


@pytest.mark.parametrize("momentum", [0.1, None])
def test_functional_with_running_stats(momentum):
    def run(lib, t, w, b):
        mean, var = lib.zeros(3), lib.ones(3)
        y = lib.nn.functional.instance_norm(t, mean, var, w, b, True,
                                            0.0 if momentum is None else momentum, 1e-3)
        return y, mean, var
    compare(run, rand(4, 3, 5), rand(3), rand(3))
    compare(lambda lib, t: lib.nn.functional.instance_norm(t, lib.zeros(2), lib.ones(2) * 2,
                                                           use_input_stats=False), rand(3, 2, 4))


def test_errors_and_warnings():
    check_raises(lambda lib, t: lib.nn.InstanceNorm2d(3)(t), rand(3, 4), match="expected 3D or 4D")
    check_raises(lambda lib, t: lib.nn.functional.instance_norm(t), rand(2, 3, 1, 1),
                 match="more than 1 spatial element")
    check_raises(lambda lib, t: lib.nn.InstanceNorm1d(4, affine=True)(t), rand(2, 3, 5),
                 match="to match num_features")
    check_raises(lambda lib, t: lib.nn.functional.instance_norm(t, use_input_stats=False),
                 rand(2, 3, 5), match="running_mean and running_var to be defined")
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="does not match num_features"):
            lib.nn.InstanceNorm1d(4)(lib.ones(2, 3, 5))


def test_old_checkpoints_with_unused_running_stats_are_refused():
    sd = {"running_mean": ember.zeros(3), "running_var": ember.ones(3)}
    sd = type("SD", (dict,), {})(sd)
    sd._metadata = {"": {}}  # no version: a pre-0.4 checkpoint
    with pytest.raises(RuntimeError, match="Unexpected running stats buffer"):
        ember.nn.InstanceNorm1d(3).load_state_dict(sd)


def test_running_statistics_of_another_dtype():
    def run(lib, t):
        mean, var = lib.zeros(3), lib.ones(3)  # float32 statistics, float64 input
        return lib.nn.functional.instance_norm(t, mean, var), mean, var
    compare(run, rand(2, 3, 5, dtype=np.float64))
