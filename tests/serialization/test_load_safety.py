"""ember.load never runs code from a file: crafted checkpoints that would run a command (through
__reduce__, INST, EXT, STACK_GLOBAL ...) are refused, as raw pickles and inside a torch-style zip,
and a marker file proves the command never ran."""
import copyreg
import fractions
import io
import os
import pickle

import numpy as np
import pytest
import torch

import ember
from ember._serialization.zipformat import ZipWriter
from ember.serialization import add_safe_globals, clear_safe_globals, load, safe_globals, save


class Payload:
    """Unpickling this calls ``func(*args)``."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def command(marker):
    return f"touch {marker}"


def as_checkpoint(pkl):
    """A torch-style zip archive whose data.pkl is ``pkl``."""
    buf = io.BytesIO()
    w = ZipWriter(buf)
    w.write_record("data.pkl", pkl)
    w.write_record("version", b"3\n")
    w.finish()
    return buf.getvalue()


def payloads(marker):
    """(name, pickle bytes, refused global) triples that would create ``marker`` if run."""
    cmd = command(marker)
    py = f"__import__('os').system({cmd!r})"
    out = [
        ("os.system", pickle.dumps(Payload(os.system, cmd), protocol=2), os.system.__module__),
        ("eval", pickle.dumps(Payload(eval, py), protocol=2), "builtins.eval"),
        ("exec proto 4", pickle.dumps(Payload(exec, py), protocol=4), "builtins.exec"),
        ("nested in a state_dict", pickle.dumps(
            {"w": [1, 2], "opt": {"x": Payload(os.system, cmd)}}, protocol=2), "system"),
        # INST: protocol 0's "call module.name(args)"
        ("INST", b"\x80\x02(X" + len(cmd).to_bytes(4, "little") + cmd.encode() +
         b"ios\nsystem\n.", "os.system"),
        # GLOBAL + REDUCE by hand, with the module spelled as Python 2 did
        ("__builtin__", b"\x80\x02c__builtin__\neval\nX" + len(py).to_bytes(4, "little") +
         py.encode() + b"\x85R.", "builtins.eval"),
        ("__import__", pickle.dumps(Payload(__import__, "os"), protocol=2),
         "builtins.__import__"),
    ]
    return out


@pytest.mark.parametrize("wrap", ["raw pickle", "zip"])
def test_code_in_checkpoints_is_refused_and_never_runs(wrap, tmp_path):
    marker = tmp_path / "pwned"
    for name, pkl, refused in payloads(marker):
        path = tmp_path / "evil.pt"
        path.write_bytes(pkl if wrap == "raw pickle" else as_checkpoint(pkl))
        with pytest.raises(pickle.UnpicklingError, match="ember.load refused to load") as e:
            load(path)
        assert refused in str(e.value), name
        assert "only tensors, containers and numbers are allowed" in str(e.value)
        with pytest.raises(pickle.UnpicklingError):
            load(io.BytesIO(path.read_bytes()))
        assert not marker.exists(), f"{name} ran code"


def test_real_torch_refuses_the_same_files(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    path.write_bytes(as_checkpoint(payloads(marker)[0][1]))
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    assert not marker.exists()


def test_extension_registry_goes_through_the_allowlist(tmp_path):
    marker = tmp_path / "pwned"
    code = 0x7FFF0001
    copyreg.add_extension(os.system.__module__, "system", code)
    try:
        cmd = command(marker).encode()
        pkl = b"\x80\x02\x84" + code.to_bytes(4, "little") + b"X" + len(cmd).to_bytes(
            4, "little") + cmd + b"\x85R."
        for data in (pkl, as_checkpoint(pkl)):
            with pytest.raises(pickle.UnpicklingError, match="refused"):
                load(io.BytesIO(data))
    finally:
        copyreg.remove_extension(os.system.__module__, "system", code)
    assert not marker.exists()


def test_allowed_callables_refuse_dangerous_arguments():
    for pkl in (b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00xX\x05\x00\x00\x00rot13\x86R.",
                b"\x80\x02c__builtin__\nbytes\nJ\x00\x00\x00\x40\x85R.",  # bytes(2**30)
                b"\x80\x02X\x01\x00\x00\x00xQ."):  # a persistent id in a plain pickle
        with pytest.raises(pickle.UnpicklingError, match="refused"):
            load(io.BytesIO(pkl))


def test_plain_pickles_of_safe_data_load():
    data = {"a": [1, 2.5, None], "b": (True, "x"), "c": {1, 2}, "d": b"\x00\xff"}
    for protocol in (2, 3, 4, 5):
        assert load(io.BytesIO(pickle.dumps(data, protocol=protocol))) == data


def test_weights_only_false_allows_other_globals(tmp_path):
    pkl = pickle.dumps({"frac": fractions.Fraction(1, 3)}, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="'fractions.Fraction'"):
        load(io.BytesIO(pkl))
    assert load(io.BytesIO(pkl), weights_only=False) == {"frac": fractions.Fraction(1, 3)}
    # a torch checkpoint with a non-weights object: its tensors still load
    torch.save({"w": torch.ones(2), "frac": fractions.Fraction(2, 3)}, tmp_path / "t.pt")
    with pytest.raises(pickle.UnpicklingError, match="fractions.Fraction"):
        load(tmp_path / "t.pt")
    out = load(tmp_path / "t.pt", weights_only=False)
    assert out["frac"] == fractions.Fraction(2, 3)
    np.testing.assert_array_equal(out["w"].numpy(), np.ones(2))


def test_weights_only_false_still_needs_ember_equivalents_of_torch_globals(tmp_path):
    torch.save({"m": torch.nn.ReLU()}, tmp_path / "m.pt")
    with pytest.raises(pickle.UnpicklingError, match="torch.nn.modules.activation.ReLU"):
        load(tmp_path / "m.pt", weights_only=False)


def test_safe_globals_allowlist(tmp_path):
    pkl = pickle.dumps([fractions.Fraction(1, 3)], protocol=2)
    with safe_globals([fractions.Fraction]):
        assert load(io.BytesIO(pkl)) == [fractions.Fraction(1, 3)]
    with pytest.raises(pickle.UnpicklingError):
        load(io.BytesIO(pkl))
    add_safe_globals([(fractions.Fraction, "fractions.Fraction")])
    try:
        assert load(io.BytesIO(pkl)) == [fractions.Fraction(1, 3)]
    finally:
        clear_safe_globals()
    with pytest.raises(pickle.UnpicklingError):
        load(io.BytesIO(pkl))


def test_explicit_pickle_module_needs_weights_only_false(tmp_path):
    save({"a": 1}, tmp_path / "a.pt")
    with pytest.raises(RuntimeError, match="pickle_module"):
        load(tmp_path / "a.pt", pickle_module=pickle)
    assert load(tmp_path / "a.pt", pickle_module=pickle, weights_only=False) == {"a": 1}


def test_other_torch_formats_are_named(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="legacy format"):
        load(tmp_path / "legacy.pt")
    torch.jit.save(torch.jit.trace(torch.nn.Linear(2, 2), torch.ones(1, 2)), tmp_path / "ts.pt")
    with pytest.raises(RuntimeError, match="TorchScript"):
        load(tmp_path / "ts.pt")


def test_unsupported_torch_dtypes_are_named(tmp_path):
    torch.save({"u": torch.zeros(2, dtype=torch.uint16)}, tmp_path / "u.pt")
    with pytest.raises(RuntimeError, match="uint16"):
        load(tmp_path / "u.pt")
    save({"x": ember.ones(1)}, tmp_path / "ok.pt")  # and nothing is left half-registered
    assert load(tmp_path / "ok.pt")["x"].item() == 1.0


def test_the_payloads_are_real(tmp_path):
    """Control: plain pickle runs the first payload, so the refusals above are what stop it."""
    marker = tmp_path / "pwned"
    pickle.loads(payloads(marker)[0][1])
    assert marker.exists()
