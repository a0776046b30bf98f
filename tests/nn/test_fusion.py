"""nn.utils.fuse_conv_bn_eval / fuse_linear_bn_eval (and their weight forms) against torch, and
the nn.UninitializedParameter / nn.UninitializedBuffer exports."""
import numpy as np
import pytest
import torch

import ember
from helpers import rand


def _copy(t_mod, e_mod):
    e_mod.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t_mod.state_dict().items()})


def _bn_stats(bn, n):
    with torch.no_grad():
        bn.running_mean.copy_(torch.from_numpy(rand(n)))
        bn.running_var.copy_(torch.from_numpy(rand(n, low=0.5, high=2.0)))
        if bn.affine:
            bn.weight.copy_(torch.from_numpy(rand(n)))
            bn.bias.copy_(torch.from_numpy(rand(n)))


@pytest.mark.parametrize("conv,bn,shape,transpose", [
    ("Conv2d(3, 4, 3, bias=False)", "BatchNorm2d(4)", (2, 3, 5, 5), False),
    ("Conv1d(2, 3, 2)", "BatchNorm1d(3, affine=False)", (2, 2, 6), False),
    ("ConvTranspose2d(3, 4, 2)", "BatchNorm2d(4)", (1, 3, 3, 3), True),
])
def test_fuse_conv_bn_eval(conv, bn, shape, transpose):
    tc, tb = eval("torch.nn." + conv).eval(), eval("torch.nn." + bn).eval()
    ec, eb = eval("ember.nn." + conv).eval(), eval("ember.nn." + bn).eval()
    _bn_stats(tb, tb.num_features)
    _copy(tc, ec)
    _copy(tb, eb)
    tf = torch.nn.utils.fuse_conv_bn_eval(tc, tb, transpose=transpose)
    ef = ember.nn.utils.fuse_conv_bn_eval(ec, eb, transpose=transpose)
    assert ef is not ec and type(ef) is type(ec) and ec.bias is (None if tc.bias is None else ec.bias)
    assert list(ef.state_dict()) == list(tf.state_dict())
    assert isinstance(ef.weight, ember.nn.Parameter)
    assert ef.bias.requires_grad == tf.bias.requires_grad
    for k, v in tf.state_dict().items():
        np.testing.assert_allclose(ef.state_dict()[k].detach().numpy(), v.numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=k)
    x = rand(*shape)
    np.testing.assert_allclose(ef(ember.tensor(x)).detach().numpy(),
                               eb(ec(ember.tensor(x))).detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("bias,features", [(True, 5), (False, 5), (True, 1)])
def test_fuse_linear_bn_eval(bias, features):
    tl, tb = torch.nn.Linear(3, 5, bias=bias).eval(), torch.nn.BatchNorm1d(features).eval()
    el, eb = ember.nn.Linear(3, 5, bias=bias).eval(), ember.nn.BatchNorm1d(features).eval()
    _bn_stats(tb, features)
    _copy(tl, el)
    _copy(tb, eb)
    tf, ef = torch.nn.utils.fuse_linear_bn_eval(tl, tb), ember.nn.utils.fuse_linear_bn_eval(el, eb)
    for k, v in tf.state_dict().items():
        np.testing.assert_allclose(ef.state_dict()[k].detach().numpy(), v.numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=k)


def test_fusion_errors():
    for lib in (torch, ember):
        with pytest.raises(AssertionError, match="Fusion only for eval!"):
            lib.nn.utils.fuse_conv_bn_eval(lib.nn.Conv2d(1, 2, 1), lib.nn.BatchNorm2d(2).eval())
        with pytest.raises(AssertionError, match="linear.out_features == bn.num_features"):
            lib.nn.utils.fuse_linear_bn_eval(lib.nn.Linear(2, 3).eval(),
                                             lib.nn.BatchNorm1d(2).eval())
        with pytest.raises(AssertionError, match="must not be None"):
            lib.nn.utils.fuse_conv_bn_eval(lib.nn.Conv2d(1, 2, 1).eval(), lib.nn.BatchNorm2d(
                2, track_running_stats=False).eval())


def test_fuse_weights_dtype():
    w, rm, rv = ember.randn(4, 3, 2, 2, dtype=ember.float64), ember.zeros(4), ember.ones(4)
    fw, fb = ember.nn.utils.fuse_conv_bn_weights(w, None, rm, rv, 1e-5, None, None)
    assert fw.dtype == ember.float64 and fb.dtype == ember.float64 and fb.shape == (4,)
    np.testing.assert_allclose(fw.detach().numpy(), w.numpy() / np.sqrt(1 + 1e-5), rtol=1e-6)


def test_uninitialized_exports():
    assert ember.nn.UninitializedParameter is ember.nn.parameter.UninitializedParameter
    assert ember.nn.UninitializedBuffer is ember.nn.parameter.UninitializedBuffer
    assert isinstance(ember.nn.LazyLinear(3).weight, ember.nn.UninitializedParameter)
    assert {"UninitializedParameter", "UninitializedBuffer"} <= set(ember.nn.__all__)
