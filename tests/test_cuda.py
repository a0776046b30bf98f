import subprocess
import sys

import numpy as np
import pytest

import ember
import ember.cuda

GPU = ember.cuda.is_available()


def test_import_does_not_load_cupy():
    code = "import ember, ember.cuda, sys; ember.cuda.manual_seed(1); print('cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_queries():
    assert isinstance(ember.cuda.is_available(), bool)
    n = ember.cuda.device_count()
    assert n >= 1 if GPU else n == 0
    ember.cuda.synchronize()
    ember.cuda.empty_cache()
    assert ember.cuda.memory_allocated() >= 0


def test_seeding_without_touching_gpu():
    ember.cuda.manual_seed(5)
    ember.cuda.manual_seed_all(6)
    assert ember.cuda.initial_seed() == 6
    ember.manual_seed(7)
    assert ember.cuda.initial_seed() == 7


@pytest.mark.skipif(GPU, reason="checks the no-GPU error")
def test_no_gpu_errors():
    with pytest.raises(RuntimeError):
        ember.cuda.current_device()
    with pytest.raises(RuntimeError):
        ember.ones(2).to("cuda")


@pytest.mark.skipif(not GPU, reason="no GPU")
def test_gpu_roundtrip_and_printing():
    x = ember.arange(6, dtype=ember.float32).reshape(2, 3).to("cuda")
    assert x.is_cuda and x.device == ember.device("cuda", 0)
    y = (x @ x.to("cpu").to("cuda").reshape(3, 2)).cpu()
    a = np.arange(6.0)
    np.testing.assert_allclose(y.numpy(), a.reshape(2, 3) @ a.reshape(3, 2))
    assert repr(ember.tensor([1.0, 2.0], device="cuda")) == "tensor([1., 2.], device='cuda:0')"
    assert ember.cuda.get_device_name()
    ember.cuda.synchronize()
