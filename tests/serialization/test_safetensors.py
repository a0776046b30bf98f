""".safetensors files: written by ember, read by safetensors.torch, and the other way round."""
import io

import numpy as np
import pytest
import torch

import ember
from ember.serialization import load, load_safetensors, save, save_safetensors

safetensors = pytest.importorskip("safetensors")
import safetensors.torch  # noqa: E402

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def tensors():
    rng = np.random.default_rng(0)
    out = {}
    for i, d in enumerate(DTYPES):
        a = rng.standard_normal((2, 3)) * 10
        out[f"t.{d}"] = ember.tensor(a > 0 if d == "bool" else a.astype(d))
    out["scalar"] = ember.tensor(2.5)
    out["empty"] = ember.zeros(0, 4)
    out["noncontig"] = ember.tensor(np.arange(12.0).reshape(3, 4)).t()
    return out


def test_ember_file_loads_in_safetensors_torch(tmp_path):
    ts = tensors()
    save_safetensors(ts, tmp_path / "m.safetensors", metadata={"epoch": "3"})
    back = safetensors.torch.load_file(tmp_path / "m.safetensors")
    assert set(back) == set(ts)
    for k, t in ts.items():
        assert str(back[k].dtype) == str(t.dtype).replace("ember", "torch")
        np.testing.assert_array_equal(back[k].numpy(), t.numpy())
    with safetensors.safe_open(tmp_path / "m.safetensors", framework="pt") as f:
        assert f.metadata() == {"epoch": "3"}
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]  # no temporary file left


def test_safetensors_torch_file_loads_in_ember(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    sd = model.state_dict()
    sd = {k: v.contiguous() for k, v in sd.items()}
    safetensors.torch.save_file(sd, tmp_path / "t.safetensors")
    for loaded in (load_safetensors(tmp_path / "t.safetensors"),
                   load_safetensors(io.BytesIO((tmp_path / "t.safetensors").read_bytes())),
                   load(tmp_path / "t.safetensors")):  # ember.load recognises the content
        assert set(loaded) == set(sd)
        assert list(loaded) == list(safetensors.torch.load_file(tmp_path / "t.safetensors"))
        for k, v in sd.items():
            np.testing.assert_array_equal(loaded[k].numpy(), v.numpy())
            assert loaded[k].dtype == ember.float32
        loaded["0.bias"]._data[0] = 1.0  # writable, like any loaded tensor


def test_bfloat16_loads_as_float32(tmp_path):
    t = {"bf": torch.tensor([[1.5, -2.0], [3e38, 1e-3]]).to(torch.bfloat16), "f": torch.ones(2)}
    safetensors.torch.save_file(t, tmp_path / "b.safetensors")
    path = tmp_path / "b.safetensors"
    for source in (path, io.BytesIO(path.read_bytes())):
        with pytest.warns(UserWarning, match="bfloat16"):
            loaded = load_safetensors(source)
        assert loaded["bf"].dtype == ember.float32
        assert list(loaded) == list(safetensors.torch.load_file(tmp_path / "b.safetensors"))
        np.testing.assert_array_equal(loaded["bf"].numpy(), t["bf"].float().numpy())
        np.testing.assert_array_equal(loaded["f"].numpy(), np.ones(2, np.float32))


def test_file_objects(tmp_path):
    buf = io.BytesIO()
    save_safetensors({"a": ember.arange(3)}, buf)
    assert safetensors.torch.load(buf.getvalue())["a"].tolist() == [0, 1, 2]
    buf.seek(0)
    assert load(buf)["a"].tolist() == [0, 1, 2]


def test_save_keeps_torch_format_whatever_the_suffix(tmp_path):
    # NOTE: ember.save writes torch's format even to "x.safetensors", as torch.save does;
    # save_safetensors is the way to write safetensors. ember.load tells them apart by content.
    save({"a": ember.ones(2), "step": 3}, tmp_path / "x.safetensors")
    with open(tmp_path / "x.safetensors", "rb") as f:
        assert torch.load(f, weights_only=True)["step"] == 3
    assert load(tmp_path / "x.safetensors")["step"] == 3


def test_load_of_a_safetensors_path_matches_torch_load(tmp_path):
    t = {"w": torch.arange(6.0).reshape(2, 3), "i": torch.tensor([1, 2])}
    safetensors.torch.save_file(t, tmp_path / "m.safetensors")
    theirs = torch.load(tmp_path / "m.safetensors", map_location="cpu")  # torch reads it too
    ours = load(tmp_path / "m.safetensors", map_location="cpu")
    assert list(ours) == list(theirs)
    for k in t:
        np.testing.assert_array_equal(ours[k].numpy(), theirs[k].numpy())
    for bad in ({"cpu": "cpu"}, lambda s, loc: s):
        with pytest.raises(RuntimeError, match="map_location is not supported"):
            load(tmp_path / "m.safetensors", map_location=bad)


def test_errors(tmp_path):
    with pytest.raises(TypeError, match="only tensors"):
        save_safetensors({"a": ember.ones(1), "step": 3}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="names must be str"):
        save_safetensors({0: ember.ones(1)}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="metadata"):
        save_safetensors({"a": ember.ones(1)}, tmp_path / "x.safetensors", metadata={"e": 3})
    assert not (tmp_path / "x.safetensors").exists()


def test_damaged_safetensors_files_are_clear(tmp_path):
    save_safetensors({"a": ember.arange(6.0), "b": ember.ones(3)}, tmp_path / "m.safetensors")
    data = (tmp_path / "m.safetensors").read_bytes()
    for cut in (len(data) - 4, 40, 12):
        (tmp_path / "cut.safetensors").write_bytes(data[:cut])
        for call in (load_safetensors, load):
            with pytest.raises(RuntimeError, match="truncated or corrupt|not a checkpoint"):
                call(tmp_path / "cut.safetensors")
        with pytest.raises(RuntimeError, match="truncated or corrupt|not a checkpoint"):
            load(io.BytesIO(data[:cut]))
