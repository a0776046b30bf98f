"""The model zoo against torchvision's published figures and against a torch twin.

torchvision cannot be installed beside torch 2.13 here, so the reference is twofold: the parameter
counts torchvision documents, and a twin of each model built by running ember's own zoo source with
``torch`` in place of ``ember`` (the zoo is torchvision's code, so the twin has torchvision's
structure): same state_dict keys, shapes and order, and, with the twin's weights loaded, the same
outputs."""
import importlib
import inspect
import types

import numpy as np
import pytest
import torch

import ember
from ember.vision import models

COUNTS = {"resnet18": 11_689_512, "resnet50": 25_557_032, "alexnet": 61_100_840,
          "vgg16": 138_357_544}


def _torch_twin_module(name):
    """Run a zoo module's source (``ember.vision.models.<name>``) with torch standing in for
    ember."""
    src = inspect.getsource(importlib.import_module("ember.vision.models." + name))
    src = src.replace("import ember\n", "import torch as ember\n")
    src = src.replace("from ember import nn\n", "from torch import nn\n")
    src = src.replace("from ember.vision.models._utils import no_pretrained\n",
                      "def no_pretrained(weights, name):\n    pass\n")
    twin = types.ModuleType("twin_" + name)
    exec(compile(src, twin.__name__, "exec"), twin.__dict__)
    return twin


def _count(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "alexnet", "vgg16"])
def test_parameter_counts_match_torchvision(name):
    assert _count(getattr(models, name)()) == COUNTS[name]


@pytest.mark.parametrize("name, mod", [
    ("resnet18", "resnet"), ("resnet101", "resnet"), ("vgg11_bn", "vgg"), ("alexnet", "alexnet")])
def test_state_dict_layout_matches_torch_twin(name, mod):
    kwargs = {"num_classes": 7}
    e = getattr(models, name)(**kwargs)
    t = getattr(_torch_twin_module(mod), name)(**kwargs)
    ek, tk = e.state_dict(), t.state_dict()
    assert list(ek) == list(tk)
    assert [tuple(v.shape) for v in ek.values()] == [tuple(v.shape) for v in tk.values()]
    assert [str(v.dtype).split(".")[-1] for v in ek.values()] == \
        [str(v.dtype).split(".")[-1] for v in tk.values()]


@pytest.mark.parametrize("name, mod, shape", [
    ("resnet18", "resnet", (2, 3, 32, 32)), ("resnet50", "resnet", (1, 3, 32, 32)),
    ("alexnet", "alexnet", (1, 3, 63, 63)), ("lenet", "lenet", (2, 1, 28, 28))])
def test_torch_weights_give_torch_outputs(name, mod, shape):
    twin = getattr(_torch_twin_module(mod), name)(num_classes=10).eval()
    model = getattr(models, name)(num_classes=10).eval()
    model.load_state_dict({k: ember.tensor(v.numpy()) for k, v in twin.state_dict().items()})
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        expected = twin(torch.from_numpy(x)).numpy()
    with ember.no_grad():
        got = model(ember.tensor(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_training_step_runs_and_updates_batch_norm():
    model = models.resnet18(num_classes=10)
    opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    x, y = ember.randn(4, 3, 32, 32), ember.randint(0, 10, (4,))
    loss = ember.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    assert model.bn1.num_batches_tracked.item() == 1
    assert model.fc.weight.grad is not None and np.isfinite(loss.item())


def test_pretrained_weights_are_refused_clearly():
    with pytest.raises(RuntimeError, match="cannot be downloaded"):
        models.resnet18(weights="IMAGENET1K_V1")
