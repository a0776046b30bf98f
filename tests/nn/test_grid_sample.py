"""F.affine_grid and F.grid_sample against torch: values and gradients w.r.t. theta, input and
grid, over modes, padding modes and align_corners."""
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import check_raises, compare, rand

MODES = ["bilinear", "nearest", "bicubic"]
PADS = ["zeros", "border", "reflection"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("align", [True, False])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (1, 1, 3, 1), (2, 1, 1, 1), (1, 2, 2, 3, 4),
                                  (2, 1, 3, 1, 2)])
def test_affine_grid(dtype, align, size):
    theta = rand(size[0], len(size) - 2, len(size) - 1, dtype=dtype, low=-2, high=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unit-size grids with align_corners=True warn
        compare(lambda lib, t: lib.nn.functional.affine_grid(t, size, align_corners=align), theta)


def test_affine_grid_warnings():
    theta = ember.tensor([[[1., 0, 0], [0, 1, 0]]])
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
        ember.nn.functional.affine_grid(theta, (1, 1, 2, 2))
    with pytest.warns(UserWarning, match="unit-size grids when align_corners=True"):
        ember.nn.functional.affine_grid(theta, [1, 1, 1, 2], align_corners=True)


def test_affine_grid_identity_values():
    theta = ember.tensor([[[1., 0, 0], [0, 1, 0]]])
    g = ember.nn.functional.affine_grid(theta, (1, 1, 2, 2), align_corners=True)
    assert g.tolist() == [[[[-1.0, -1.0], [1.0, -1.0]], [[-1.0, 1.0], [1.0, 1.0]]]]


@pytest.mark.parametrize("theta,size,match", [
    (rand(2, 2, 3, dtype=np.int64, high=3), [2, 3, 4, 5], "Expected theta to have floating point"),
    (rand(2, 2, 3), [2, 3, 4, 5, 6], "Expected a batch of 3D affine matrices of shape Nx3x4"),
    (rand(2, 3, 4), [2, 3, 4, 5], "Expected a batch of 2D affine matrices of shape Nx2x3"),
    (rand(2, 2, 3), [2, 3, 4], "affine_grid only supports 4D and 5D sizes"),
    (rand(2, 2, 3), [2, 3, 0, 5], "Expected non-zero, positive output size"),
    (rand(2, 2, 3), [3, 3, 4, 5], "Expected size for first two dimensions of batch2"),
])
def test_affine_grid_errors(theta, size, match):
    check_raises(lambda lib, t: lib.nn.functional.affine_grid(t, size, align_corners=False), theta,
                 match=match)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("pad", PADS)
@pytest.mark.parametrize("align", [True, False])
def test_grid_sample(dtype, mode, pad, align):
    x = rand(2, 3, 5, 4, dtype=dtype)
    grid = rand(2, 3, 6, 2, dtype=dtype, low=-1.4, high=1.4)  # some points outside the image
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else {}
    compare(lambda lib, a, g: lib.nn.functional.grid_sample(a, g, mode, pad, align), x, grid, **tol)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("pad", PADS)
@pytest.mark.parametrize("align", [True, False])
@pytest.mark.parametrize("shapes", [((1, 1, 1, 1), (1, 2, 3, 2)), ((1, 2, 1, 5), (1, 1, 4, 2)),
                                    ((3, 1, 4, 1), (3, 2, 1, 2)), ((1, 1, 3, 3), (1, 1, 1, 2))])
def test_grid_sample_odd_sizes(mode, pad, align, shapes):
    x = rand(*shapes[0], dtype=np.float64)
    grid = rand(*shapes[1], dtype=np.float64, low=-2.5, high=2.5)  # far outside: reflections
    compare(lambda lib, a, g: lib.nn.functional.grid_sample(a, g, mode, pad, align), x, grid)


@pytest.mark.parametrize("mode", MODES)
def test_grid_sample_gradient_of_one_input(mode):
    x, grid = rand(1, 2, 4, 4, dtype=np.float64), rand(1, 3, 3, 2, dtype=np.float64)
    compare(lambda lib, a, g: lib.nn.functional.grid_sample(a, g.detach(), mode,
                                                            align_corners=False), x, grid)
    compare(lambda lib, a, g: lib.nn.functional.grid_sample(a.detach(), g, mode,
                                                            align_corners=True), x, grid)


def test_grid_sample_identity_and_spatial_transformer():
    x = rand(2, 3, 4, 5, dtype=np.float64)
    for align in (True, False):
        theta = ember.tensor(np.tile(np.eye(2, 3), (2, 1, 1)))
        g = ember.nn.functional.affine_grid(theta, (2, 3, 4, 5), align_corners=align)
        y = ember.nn.functional.grid_sample(ember.tensor(x), g, align_corners=align)
        np.testing.assert_allclose(y.numpy(), x, rtol=1e-12, atol=1e-12)

    def stn(lib, a, t):
        g = lib.nn.functional.affine_grid(t, (2, 3, 3, 4), align_corners=False)
        return lib.nn.functional.grid_sample(a, g, "bilinear", "border", align_corners=False)
    compare(stn, x, rand(2, 2, 3, dtype=np.float64))


def test_grid_sample_empty_and_half():
    compare(lambda lib, a, g: lib.nn.functional.grid_sample(a, g, align_corners=False),
            rand(2, 0, 3, 3), rand(2, 2, 2, 2))
    compare(lambda lib, a, g: lib.nn.functional.grid_sample(a, g, align_corners=False),
            rand(2, 3, 3, 3), rand(2, 0, 2, 2))
    compare(lambda lib, a, g: lib.nn.functional.grid_sample(a, g, align_corners=False),
            rand(2, 3, 3, 3, dtype=np.float16), rand(2, 2, 2, 2, dtype=np.float16), grad=False,
            rtol=1e-2, atol=5e-3)  # torch rounds to half between steps


def test_grid_sample_warns_without_align_corners():
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
        ember.nn.functional.grid_sample(ember.randn(1, 1, 2, 2), ember.zeros(1, 1, 1, 2))


@pytest.mark.parametrize("x,grid,kw,match", [
    (rand(2, 3, 4, 5), rand(2, 3, 3, 2), dict(mode="foo"), "expected mode to be 'bilinear'"),
    (rand(2, 3, 4, 5), rand(2, 3, 3, 2), dict(padding_mode="foo"), "expected padding_mode"),
    (rand(2, 3, 4, 5), rand(2, 3, 3, 2, dtype=np.float64), {}, "expected scalar type Float"),
    (rand(2, 3, 4, 5), rand(1, 3, 3, 2), {}, "expected grid and input to have same batch size"),
    (rand(2, 3, 4, 5), rand(2, 3, 3, 3), {}, "expected grid to have size 2 in last dimension"),
    (rand(3, 4, 5), rand(3, 3, 2), {}, "expected grid to have size 1 in last dimension"),
    (rand(2, 3, 4, 5), rand(2, 3, 3, 1, 2), {}, "expected 4D input and grid with same number"),
    (rand(2, 3, 0, 5), rand(2, 3, 3, 2), {}, "expected input to have non-empty spatial"),
    (rand(2, 3, 4, 5, dtype=np.int64, high=3), rand(2, 3, 3, 2, dtype=np.int64, high=3), {},
     "not implemented for 'Long'"),
    (rand(1, 2, 3, 4, 5), rand(1, 2, 2, 2, 3), dict(mode="bicubic"),
     "bicubic interpolation only supports 4D input"),
])
def test_grid_sample_errors(x, grid, kw, match):
    check_raises(lambda lib, a, g: lib.nn.functional.grid_sample(a, g, align_corners=False, **kw),
                 x, grid, match=match)


def test_grid_sample_grad_fn_name_and_no_graph_without_grad():
    x, g = ember.randn(1, 1, 3, 3, requires_grad=True), ember.zeros(1, 2, 2, 2)
    y = ember.nn.functional.grid_sample(x, g, align_corners=False)
    assert type(y.grad_fn).__name__ == "GridSampler2DBackward0"
    with ember.no_grad():
        assert ember.nn.functional.grid_sample(x, g, align_corners=False).grad_fn is None


def _same_error(make):
    """``make(lib)`` raises the same exception type and message in both libraries."""
    out = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as exc:
            make(lib)
        out.append((type(exc.value).__name__, str(exc.value).replace("torch.", "ember.")))
    assert out[1] == out[0]


@pytest.mark.parametrize("x_shape, g_shape", [
    ((3, 5, 7), (4, 6, 2)),     # unbatched input: its first dim is compared as the batch
    ((3, 5, 7), (3, 6, 1)),     # not 4-D: PyTorch's volumetric sampler's message
    ((3, 5, 7), (3, 6, 2, 2)),
])
def test_grid_sample_non_4d_errors(x_shape, g_shape):
    _same_error(lambda L: L.nn.functional.grid_sample(
        L.zeros(x_shape), L.zeros(g_shape), align_corners=False))


def test_grid_sample_integer_grid_error():
    _same_error(lambda L: L.nn.functional.grid_sample(
        L.zeros(1, 2, 3, 3), L.zeros(1, 2, 2, 2, dtype=L.int64), align_corners=False))
    _same_error(lambda L: L.nn.functional.grid_sample(
        L.zeros(1, 2, 3, 3, dtype=L.int64), L.zeros(1, 2, 2, 2), align_corners=False))


@pytest.mark.parametrize("size", [(2, 3, 0, 7), [2, 3, 5], (2, 3, 4, 5, 6)])
def test_affine_grid_errors_show_the_size_as_given(size):
    _same_error(lambda L: L.nn.functional.affine_grid(L.zeros(2, 2, 3), size,
                                                      align_corners=False))
