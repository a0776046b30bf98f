"""ember.save / ember.load against real PyTorch, both directions: files written by torch.save load
in ember with the same keys, order, values and sharing; files written by ember load in
torch.load(weights_only=True). Safety, atomic saves, corrupt files and safetensors are in
tests/serialization/."""
import collections
import io
import math
import pathlib
import zipfile

import numpy as np
import pytest
import torch

import ember
from ember.serialization import load, save

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
          "complex64", "complex128"]
SHAPES = [(), (0,), (2, 0, 3), (5,), (3, 4)]


def values(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return np.asarray(rng.random(shape) > 0.5)
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, 100, shape).astype(dtype)
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return np.asarray(a).astype(dtype)


def arr(t):
    """The values of an ember or torch tensor as a NumPy array."""
    return t.detach().numpy()


def same(e, t):
    """An ember tensor and a torch tensor hold the same values, shape and dtype."""
    assert isinstance(e, ember.Tensor) and isinstance(t, torch.Tensor)
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    np.testing.assert_array_equal(arr(e), arr(t))


def via_torch(obj, tmp_path):
    save(obj, tmp_path / "e.pt")
    return torch.load(tmp_path / "e.pt", weights_only=True)


def via_ember(obj, tmp_path):
    torch.save(obj, tmp_path / "t.pt")
    return load(tmp_path / "t.pt")


# ---- tensors of every dtype and shape ----------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_dtypes_and_shapes_both_ways(dtype, tmp_path):
    arrays = {f"s{i}": values(s, dtype, i) for i, s in enumerate(SHAPES)}
    back = via_torch({k: ember.tensor(a) for k, a in arrays.items()}, tmp_path)
    for k, a in arrays.items():
        assert back[k].dtype == getattr(torch, dtype) and back[k].shape == a.shape
        np.testing.assert_array_equal(back[k].numpy(), a)
    loaded = via_ember({k: torch.from_numpy(a.copy()) for k, a in arrays.items()}, tmp_path)
    for k, a in arrays.items():
        same(loaded[k], torch.from_numpy(a))
        assert loaded[k].device == ember.device("cpu")


def test_torch_state_dict_loads_with_same_keys_order_and_values(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    sd = model.state_dict()
    loaded = via_ember(sd, tmp_path)
    assert type(loaded) is collections.OrderedDict
    assert list(loaded) == list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for k in sd:
        same(loaded[k], sd[k])
        assert loaded[k].requires_grad is False
    assert loaded._metadata == sd._metadata  # the module versions torch keeps in the state_dict


def test_ember_state_dict_loads_in_torch(tmp_path):
    sd = collections.OrderedDict(
        [("fc.weight", ember.tensor(values((4, 3), "float32"))), ("fc.bias", ember.zeros(4)),
         ("bn.num_batches_tracked", ember.tensor(7))])
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("bn", {"version": 2})])
    back = via_torch(sd, tmp_path)
    assert type(back) is collections.OrderedDict and list(back) == list(sd)
    for k in sd:
        same(sd[k], back[k])
    assert back._metadata == sd._metadata


# ---- layout: views, sharing, non-contiguous ------------------------------------------------------
def test_noncontiguous_ember_tensors(tmp_path):
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    cases = {"t": ember.tensor(base).t(), "step": ember.tensor(base)[:, ::2],
             "expand": ember.tensor(np.arange(3.0)).expand(4, 3),
             "flip": ember.from_numpy(base[::-1]),  # negative strides: saved as its own copy
             "dtype_view": ember.from_numpy(base.view(np.int32)[1:])}
    back = via_torch(cases, tmp_path)
    for k, t in cases.items():
        same(t, back[k])
    again = load(tmp_path / "e.pt")
    for k, t in cases.items():
        np.testing.assert_array_equal(arr(again[k]), arr(t))


def test_noncontiguous_torch_tensors(tmp_path):
    x = torch.arange(24.0).reshape(4, 6)
    cases = {"t": x.t(), "step": x[1:, ::2], "expand": torch.arange(3.0).expand(4, 3),
             "offset": x[2], "col": x[:, 5]}
    loaded = via_ember(cases, tmp_path)
    for k, t in cases.items():
        same(loaded[k], t)
        assert loaded[k].stride() == t.stride()


def test_shared_storage_round_trip(tmp_path):
    x = ember.tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    obj = {"x": x, "row": x[1], "t": x.t(), "again": x}
    back = via_torch(obj, tmp_path)
    ptrs = {k: back[k].untyped_storage().data_ptr() for k in obj}
    assert len(set(ptrs.values())) == 1  # one storage in the file
    assert back["row"].storage_offset() == 4 and back["t"].stride() == (1, 4)
    assert back["again"] is back["x"]
    loaded = load(tmp_path / "e.pt")
    assert loaded["again"] is loaded["x"]
    loaded["x"]._data[1, 2] = 100.0  # memory is shared again after load
    assert loaded["row"][2].item() == 100.0 and loaded["t"][2, 1].item() == 100.0

    y = torch.arange(10.0)
    from_torch = via_ember({"y": y, "tail": y[4:], "pair": y.view(5, 2)}, tmp_path)
    from_torch["y"]._data[6] = -1.0
    assert from_torch["tail"][2].item() == -1.0 and from_torch["pair"][3, 0].item() == -1.0


def test_requires_grad_and_parameters(tmp_path):
    w = ember.tensor(values((2, 3), "float32"), requires_grad=True)
    back = via_torch({"w": w, "n": ember.ones(2)}, tmp_path)
    assert back["w"].requires_grad and not back["n"].requires_grad
    p = torch.nn.Parameter(torch.ones(2, 2))
    frozen = torch.nn.Parameter(torch.zeros(3), requires_grad=False)
    loaded = via_ember({"p": p, "frozen": frozen, "rg": torch.ones(2, requires_grad=True)}, tmp_path)
    assert loaded["rg"].requires_grad and loaded["p"].requires_grad
    assert not loaded["frozen"].requires_grad
    from ember.nn import Parameter
    assert isinstance(loaded["p"], Parameter) and isinstance(loaded["frozen"], Parameter)
    same(loaded["p"], p)
    back = via_torch({"p": loaded["p"], "frozen": loaded["frozen"]}, tmp_path)
    assert isinstance(back["p"], torch.nn.Parameter) and back["p"].requires_grad
    assert isinstance(back["frozen"], torch.nn.Parameter) and not back["frozen"].requires_grad


# ---- non-tensor values ---------------------------------------------------------------------------
PLAIN = {"none": None, "t": True, "f": False, "i": 3, "neg": -7, "big": 2**70, "neg_big": -2**40,
         "mid": 70000, "float": 0.1, "inf": math.inf, "str": "héllo ✓", "empty": "",
         "bytes": b"\x00ab",
         "nobytes": b"", "barr": bytearray(b"xy"), "set": {1, 2, 3}, "complex": 1.5 - 2j,
         "tuple": (1, (2, "x"), [3]), "list": [1, [2, [3, []]]], 3: "int key", (1, 2): "tuple key",
         "ordered": collections.OrderedDict([("b", 1), ("a", 2)])}


def test_plain_values_both_ways(tmp_path):
    back = via_torch(PLAIN, tmp_path)
    assert back == PLAIN and list(back) == list(PLAIN)
    assert type(back["ordered"]) is collections.OrderedDict and type(back["barr"]) is bytearray
    assert load(tmp_path / "e.pt") == PLAIN
    assert via_ember(PLAIN, tmp_path) == PLAIN
    nan = via_torch({"nan": math.nan}, tmp_path)["nan"]
    assert math.isnan(nan)


def test_dtypes_devices_and_sizes_as_values(tmp_path):
    obj = {"dt": ember.float16, "int": ember.int64, "dev": ember.device("cpu"),
           "cuda": ember.device("cuda", 1), "size": ember.Size([2, 3])}
    back = via_torch(obj, tmp_path)
    assert back == {"dt": torch.float16, "int": torch.int64, "dev": torch.device("cpu"),
                    "cuda": torch.device("cuda", 1), "size": torch.Size([2, 3])}
    loaded = via_ember(back, tmp_path)
    assert loaded == obj and type(loaded["size"]) is ember.Size


def test_numpy_scalars_are_saved_as_numbers(tmp_path):
    back = via_torch({"a": np.float32(1.5), "b": np.int64(3), "c": np.bool_(True)}, tmp_path)
    assert back == {"a": 1.5, "b": 3, "c": True} and type(back["b"]) is int


def test_optimizer_state_round_trip(tmp_path):
    state = {"state": {0: {"step": ember.tensor(3.0),
                           "exp_avg": ember.tensor(values((2, 3), "float32")),
                           "exp_avg_sq": ember.zeros(2, 3)},
                       1: {"step": ember.tensor(3.0), "momentum_buffer": None}},
             "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                               "amsgrad": False, "foreach": None, "maximize": False,
                               "params": [0, 1], "name": "all"}]}
    for back in (via_torch(state, tmp_path), load(tmp_path / "e.pt")):
        assert back["param_groups"] == state["param_groups"]
        assert list(back["state"]) == [0, 1] and back["state"][1]["momentum_buffer"] is None
        np.testing.assert_array_equal(arr(back["state"][0]["exp_avg"]),
                                      arr(state["state"][0]["exp_avg"]))
    # the layout of torch's Adam.state_dict() (building a real optimizer costs seconds of imports)
    sd = {"state": {0: {"step": torch.tensor(1.0), "exp_avg": torch.full((3,), 0.1),
                        "exp_avg_sq": torch.full((3,), 1e-3)}},
          "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0,
                            "amsgrad": False, "maximize": False, "foreach": None,
                            "capturable": False, "differentiable": False, "fused": None,
                            "decoupled_weight_decay": False, "params": [0]}]}
    loaded = via_ember(sd, tmp_path)
    assert loaded["param_groups"] == sd["param_groups"]
    for k, v in sd["state"][0].items():
        same(loaded["state"][0][k], v)


# ---- files, file objects, layout -----------------------------------------------------------------
def test_file_objects_and_paths(tmp_path):
    obj = {"x": ember.arange(5)}
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    np.testing.assert_array_equal(arr(load(buf)["x"]), np.arange(5))
    buf.seek(0)
    assert torch.equal(torch.load(buf, weights_only=True)["x"], torch.arange(5))

    tbuf = io.BytesIO()
    torch.save({"y": torch.ones(2)}, tbuf)

    class Pipe:  # readable, not seekable
        def __init__(self, data):
            self._b = io.BytesIO(data)

        def read(self, n=-1):
            return self._b.read(n)

    np.testing.assert_array_equal(arr(load(Pipe(tbuf.getvalue()))["y"]), np.ones(2))
    save(obj, str(tmp_path / "s.pt"))
    save(obj, pathlib.Path(tmp_path / "p.pt"))
    assert (tmp_path / "s.pt").read_bytes() == (tmp_path / "p.pt").read_bytes().replace(b"p/", b"s/")


def test_archive_layout_matches_torch(tmp_path):
    save({"a": ember.ones(3), "b": ember.zeros(2, dtype=ember.int64)}, tmp_path / "model.pt")
    torch.save({"a": torch.ones(3), "b": torch.zeros(2, dtype=torch.int64)}, tmp_path / "t.pt")
    ours = zipfile.ZipFile(tmp_path / "model.pt")
    theirs = zipfile.ZipFile(tmp_path / "t.pt")
    assert [n.split("/", 1)[1] for n in ours.namelist()] == \
        [n.split("/", 1)[1] for n in theirs.namelist()]
    assert ours.namelist()[0] == "model/data.pkl"
    for info in ours.infolist():
        assert info.compress_type == zipfile.ZIP_STORED
        if "/data/" in info.filename:  # storages start on 64-byte boundaries, as torch maps them
            raw = (tmp_path / "model.pt").read_bytes()
            start = info.header_offset + 30 + len(info.filename) + int.from_bytes(
                raw[info.header_offset + 28:info.header_offset + 30], "little")
            assert start % 64 == 0
    assert ours.read("model/version") == theirs.read("t/version")
    assert ours.read("model/byteorder") == b"little"
    mm = torch.load(tmp_path / "model.pt", weights_only=True, mmap=True)
    assert torch.equal(mm["a"], torch.ones(3))


def test_saves_are_deterministic(tmp_path):
    obj = {"w": ember.tensor(values((3, 3), "float64")), "n": [1, 2]}
    save(obj, tmp_path / "a.pt")
    save(obj, tmp_path / "b.pt")
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b.pt").read_bytes().replace(b"b/", b"a/")


def test_bfloat16_from_torch_loads_as_float32(tmp_path):
    t = torch.tensor([1.5, -2.25, 3e38, 1e-3]).to(torch.bfloat16)
    with pytest.warns(UserWarning, match="bfloat16"):
        loaded = via_ember({"bf": t, "view": t[1:]}, tmp_path)
    assert loaded["bf"].dtype == ember.float32
    np.testing.assert_array_equal(arr(loaded["bf"]), t.float().numpy())
    np.testing.assert_array_equal(arr(loaded["view"]), t[1:].float().numpy())


def test_unsavable_objects_raise_type_error_and_write_nothing(tmp_path):
    path = tmp_path / "x.pt"
    for bad in (object(), np.zeros(2), frozenset([1]), lambda: 0, {"k": [open]}):
        with pytest.raises(TypeError, match="ember.save can't save"):
            save(bad, path)
        assert not path.exists()
    with pytest.raises(TypeError, match="from_numpy"):
        save(np.zeros(2), path)
    with pytest.raises(TypeError, match="state_dict"):
        save(torch.nn.Linear(1, 1), path)


# ---- map_location --------------------------------------------------------------------------------
def _as_cuda_checkpoint(path):
    """Rewrite a CPU checkpoint so its storages say they were saved from 'cuda:0'."""
    with zipfile.ZipFile(path) as z:
        records = {n: z.read(n) for n in z.namelist()}
    pkl = [n for n in records if n.endswith("data.pkl")][0]
    records[pkl] = records[pkl].replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
    with zipfile.ZipFile(path, "w") as z:
        for n, data in records.items():
            z.writestr(n, data)


@pytest.mark.parametrize("map_location", [None, "cpu", ember.device("cpu"), torch.device("cpu"),
                                          {"cuda:0": "cpu"}, lambda s, loc: s,
                                          lambda s, loc: None, lambda s, loc: s.cpu()])
def test_map_location_forms(map_location, tmp_path):
    path = tmp_path / "c.pt"
    save({"a": ember.arange(4.0), "b": ember.ones(2)}, path)
    _as_cuda_checkpoint(path)
    assert torch.load(path, map_location="cpu", weights_only=True)["a"].tolist() == [0, 1, 2, 3]
    loaded = load(path, map_location=map_location)
    assert loaded["a"].device == ember.device("cpu")
    np.testing.assert_array_equal(arr(loaded["a"]), np.arange(4.0))


def test_map_location_callable_sees_saved_location(tmp_path):
    path = tmp_path / "c.pt"
    save({"a": ember.arange(4.0)}, path)
    _as_cuda_checkpoint(path)
    seen = []
    load(path, map_location=lambda storage, loc: seen.append((loc, storage.nbytes())) or storage)
    assert seen == [("cuda:0", 16)]
    with pytest.raises(TypeError, match="map_location"):
        load(path, map_location=lambda storage, loc: 3)


def test_map_location_cuda_without_gpu_is_clear(tmp_path):
    if ember._backend.cuda_is_available():
        pytest.skip("a GPU is present; covered by the CUDA test")
    save({"a": ember.ones(2)}, tmp_path / "x.pt")
    with pytest.raises(RuntimeError, match="CuPy|CUDA"):
        load(tmp_path / "x.pt", map_location="cuda:0")


@pytest.mark.skipif(not ember._backend.cuda_is_available(), reason="needs a GPU and CuPy")
def test_cuda_round_trip(tmp_path):
    x = ember.arange(6.0).to("cuda").reshape(2, 3)
    save({"x": x, "t": x.t()}, tmp_path / "g.pt")
    back = torch.load(tmp_path / "g.pt", map_location="cpu", weights_only=True)
    np.testing.assert_array_equal(back["t"].numpy(), np.arange(6.0).reshape(2, 3).T)
    loaded = load(tmp_path / "g.pt", map_location="cuda:0")
    assert loaded["x"].is_cuda and loaded["t"].is_cuda
    np.testing.assert_array_equal(loaded["t"].cpu().numpy(), np.arange(6.0).reshape(2, 3).T)
    assert load(tmp_path / "g.pt")["x"].device == ember.device("cpu")


# ---- models --------------------------------------------------------------------------------------
def test_torch_model_state_dict_into_ember_model(tmp_path):
    nn = pytest.importorskip("ember.nn")
    if not hasattr(nn, "Linear"):
        pytest.skip("ember.nn.Linear is not written yet")
    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    emodel = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    emodel.load_state_dict(via_ember(tmodel.state_dict(), tmp_path))
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(arr(emodel(ember.tensor(x))), arr(tmodel(torch.tensor(x))),
                               rtol=1e-5, atol=1e-6)
    tmodel2 = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    tmodel2.load_state_dict(via_torch(emodel.state_dict(), tmp_path))
    np.testing.assert_allclose(arr(tmodel2(torch.tensor(x))), arr(tmodel(torch.tensor(x))))


def test_mmap_load(tmp_path):
    x = torch.arange(12.0)
    torch.save({"x": x, "view": x[4:].view(2, 4), "i": torch.arange(3), "e": torch.zeros(0)},
               tmp_path / "m.pt")
    before = (tmp_path / "m.pt").read_bytes()
    loaded = load(tmp_path / "m.pt", mmap=True)
    assert loaded["x"].is_cpu and loaded["view"].shape == (2, 4)
    np.testing.assert_array_equal(arr(loaded["view"]), np.arange(4.0, 12.0).reshape(2, 4))
    loaded["x"]._data[5] = -1.0  # views share the mapping; the file itself never changes
    assert loaded["view"][0, 1].item() == -1.0
    assert (tmp_path / "m.pt").read_bytes() == before
    with pytest.raises(ValueError, match="needs a path"):
        load(io.BytesIO(before), mmap=True)


def test_ember_optimizer_resumes_from_checkpoint(tmp_path):
    optim = pytest.importorskip("ember.optim")
    from ember.nn import Parameter

    def run(steps, p, opt):
        for _ in range(steps):
            opt.zero_grad()
            (p * p * ember.arange(3.0)).sum().backward()
            opt.step()

    p = Parameter(ember.ones(3))
    opt = optim.Adam([p], lr=0.1)
    run(2, p, opt)
    save({"p": p, "opt": opt.state_dict()}, tmp_path / "ckpt.pt")
    run(2, p, opt)
    ckpt = load(tmp_path / "ckpt.pt")
    q = ckpt["p"]
    opt2 = optim.Adam([q], lr=0.1)
    opt2.load_state_dict(ckpt["opt"])
    run(2, q, opt2)
    np.testing.assert_array_equal(arr(q), arr(p))
    assert torch.load(tmp_path / "ckpt.pt", weights_only=True)["opt"]["param_groups"][0]["lr"] == 0.1


def test_load_then_save_keeps_sharing(tmp_path):
    x = torch.arange(8.0)
    torch.save({"x": x, "half": x[4:], "bf": torch.ones(4, dtype=torch.bfloat16)}, tmp_path / "a.pt")
    for mmap in (False, True):
        with pytest.warns(UserWarning, match="bfloat16"):
            loaded = load(tmp_path / "a.pt", mmap=mmap)
        save(loaded, tmp_path / "b.pt")
        with zipfile.ZipFile(tmp_path / "b.pt") as z:  # still two storages, not three
            assert sorted(n for n in z.namelist() if "/data/" in n) == ["b/data/0", "b/data/1"]
        back = torch.load(tmp_path / "b.pt", weights_only=True)
        assert back["half"].untyped_storage().data_ptr() == back["x"].untyped_storage().data_ptr()
        assert back["half"].storage_offset() == 4 and back["bf"].dtype == torch.float32


def test_tensors_with_python_attributes(tmp_path):
    import ember.nn  # noqa: F401

    t = torch.ones(2)
    t.note = "kept"
    p = torch.nn.Parameter(torch.zeros(3))
    p.tag = 7
    loaded = via_ember({"t": t, "p": p}, tmp_path)
    assert loaded["t"].note == "kept" and loaded["p"].tag == 7
    assert loaded["p"].requires_grad and isinstance(loaded["p"], ember.nn.Parameter)
    np.testing.assert_array_equal(arr(loaded["t"]), np.ones(2))


def test_module_state_dict_between_torch_and_ember(tmp_path):
    import ember.nn  # noqa: F401  (until ember/__init__ imports it)

    def affine(lib):
        class Affine(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.weight = lib.nn.Parameter(lib.zeros(2, 3))
                self.bias = lib.nn.Parameter(lib.zeros(2))
                self.register_buffer("scale", lib.ones(2))

            def forward(self, x):
                return (x @ self.weight.t() + self.bias) * self.scale
        return Affine()

    tm, em = affine(torch), affine(ember)
    with torch.no_grad():
        tm.weight.normal_()
        tm.bias.normal_()
        tm.scale.fill_(2.0)
    em.load_state_dict(via_ember(tm.state_dict(), tmp_path))
    x = values((4, 3), "float32")
    np.testing.assert_allclose(arr(em(ember.tensor(x))), arr(tm(torch.tensor(x))), rtol=1e-5,
                               atol=1e-6)
    em.scale._data[:] = 3.0
    tm.load_state_dict(via_torch(em.state_dict(), tmp_path))
    assert tm.scale.tolist() == [3.0, 3.0]
