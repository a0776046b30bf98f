"""A checkpoint is never lost: a save killed half way leaves the previous file intact, a failed save
cleans up after itself; and damaged files (empty, cut short, bytes flipped, not a checkpoint) raise
one clear RuntimeError that names the file, never an error from deep inside zipfile or pickle."""
import io
import os
import signal
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import ember
from ember._serialization import zipformat
from ember.serialization import load, save


def state(seed, n=4):
    rng = np.random.default_rng(seed)
    return {f"layer{i}.weight": ember.tensor(rng.standard_normal((64, 64)).astype(np.float32))
            for i in range(n)}


def assert_state(loaded, seed):
    for k, v in state(seed).items():
        np.testing.assert_array_equal(loaded[k].numpy(), v.numpy())


def stray(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


# ---- atomic saves --------------------------------------------------------------------------------
def test_killed_mid_save_leaves_previous_checkpoint(tmp_path):
    path = tmp_path / "ckpt.pt"
    save(state(1), path)
    before = path.read_bytes()
    # The child saves a new state and stops for good after writing its second storage; the
    # parent kills it with SIGKILL right then, so the kill lands mid-write every time.
    child = textwrap.dedent(f"""
        import sys, time
        import numpy as np
        import ember
        from ember._serialization import zipformat
        from ember.serialization import save
        write = zipformat.ZipWriter.write_record
        def paused(self, name, data):
            write(self, name, data)
            if name == "data/1":
                self._f.flush()
                print("writing", flush=True)
                time.sleep(60)
        zipformat.ZipWriter.write_record = paused
        rng = np.random.default_rng(2)
        save({{f"layer{{i}}.weight": ember.tensor(rng.standard_normal((64, 64)).astype(np.float32))
              for i in range(4)}}, {str(path)!r})
        print("finished", flush=True)
    """)
    src = os.path.dirname(os.path.dirname(ember.__file__))  # this ember, installed or not
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True,
                            env=env)
    try:
        assert proc.stdout.readline().strip() == "writing"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert path.read_bytes() == before  # the previous checkpoint, untouched
    assert_state(load(path), 1)
    partial = stray(tmp_path)  # the killed save's temporary file, which never became ckpt.pt
    assert len(partial) == 1 and partial[0].startswith(".ckpt.pt.")
    with pytest.raises(RuntimeError, match="truncated or corrupt"):
        load(tmp_path / partial[0])
    save(state(3), path)  # the next save works and replaces the file
    assert_state(load(path), 3)


def test_successful_saves_leave_no_temporary_files(tmp_path):
    for seed in range(3):
        save(state(seed, n=2), tmp_path / "a.pt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pt"]
    np.testing.assert_array_equal(load(tmp_path / "a.pt")["layer1.weight"].numpy(),
                                  state(2, n=2)["layer1.weight"].numpy())


def test_failed_save_keeps_old_file_and_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    save(state(1), path)

    def disk_full(self, name, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zipformat.ZipWriter, "write_record", disk_full)
    with pytest.raises(OSError, match="No space"):
        save(state(2), path)
    monkeypatch.undo()
    assert_state(load(path), 1)
    assert stray(tmp_path) == []


def test_file_modes_and_symlinks(tmp_path):
    path = tmp_path / "private.pt"
    save({"a": 1}, path)
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    assert path.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777  # umask, like open()
    os.chmod(path, 0o600)
    save({"a": 2}, path)
    assert path.stat().st_mode & 0o777 == 0o600  # a private checkpoint stays private
    link = tmp_path / "latest.pt"
    link.symlink_to(path)
    save({"a": 3}, link)
    assert link.is_symlink() and load(path) == {"a": 3}


def test_missing_folder_is_clear(tmp_path):
    with pytest.raises(RuntimeError, match="Parent directory .* does not exist"):
        save({"a": 1}, tmp_path / "nope" / "x.pt")


# ---- damaged files -------------------------------------------------------------------------------
def small_checkpoint(path):
    save({"w": ember.tensor(np.arange(6, dtype=np.float32).reshape(2, 3)), "step": 7,
          "names": ["a", "b"]}, path)
    return path.read_bytes()


def assert_clear(path, *phrases):
    with pytest.raises(RuntimeError) as e:
        load(path)
    assert type(e.value) is RuntimeError
    msg = str(e.value)
    assert str(path) in msg, msg
    assert any(p in msg for p in phrases), msg
    return msg


def test_empty_file(tmp_path):
    (tmp_path / "e.pt").write_bytes(b"")
    assert_clear(tmp_path / "e.pt", "is empty")


def test_not_a_checkpoint(tmp_path):
    (tmp_path / "t.pt").write_text("hello, I am a text file\n")
    assert_clear(tmp_path / "t.pt", "is not a checkpoint")
    (tmp_path / "r.pt").write_bytes(np.random.default_rng(0).bytes(1000))
    assert_clear(tmp_path / "r.pt", "is not a checkpoint")
    with zipfile.ZipFile(tmp_path / "z.pt", "w") as z:
        z.writestr("notes/readme.txt", "not a checkpoint")
    assert_clear(tmp_path / "z.pt", "not a checkpoint")


@pytest.mark.parametrize("keep", [0.02, 0.3, 0.5, 0.9, 0.99])
def test_truncated_file(tmp_path, keep):
    data = small_checkpoint(tmp_path / "full.pt")
    path = tmp_path / "cut.pt"
    path.write_bytes(data[:int(len(data) * keep)])
    msg = assert_clear(path, "truncated or corrupt")
    if keep >= 0.3:
        assert "cut short" in msg


def test_every_cut_and_every_flipped_byte(tmp_path):
    """Every prefix of a file fails clearly; every single flipped byte either fails clearly or
    (padding, timestamps, records ember doesn't read) changes nothing that loads."""
    data = small_checkpoint(tmp_path / "full.pt")
    good = load(tmp_path / "full.pt")
    for n in range(len(data)):
        with pytest.raises(RuntimeError, match="truncated or corrupt|is empty|not a checkpoint"):
            load(io.BytesIO(data[:n]))
    harmless = 0
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0xFF
        try:
            out = load(io.BytesIO(bytes(bad)))
        except RuntimeError as e:
            assert "the file object" in str(e)
            continue
        np.testing.assert_array_equal(out["w"].numpy(), good["w"].numpy())
        assert out["step"] == 7 and out["names"] == ["a", "b"]
        harmless += 1
    assert harmless > 0  # e.g. the "Z" padding that aligns storages


def test_flipped_storage_byte_is_reported_as_changed(tmp_path):
    data = bytearray(small_checkpoint(tmp_path / "full.pt"))
    info = zipfile.ZipFile(tmp_path / "full.pt").getinfo("full/data/0")
    start = info.header_offset + 30 + len(info.filename) + int.from_bytes(
        data[info.header_offset + 28:info.header_offset + 30], "little")
    data[start + 5] ^= 0x01
    (tmp_path / "bad.pt").write_bytes(bytes(data))
    assert_clear(tmp_path / "bad.pt", "changed after it was written")


@pytest.mark.parametrize("data", [b"\x80", b"P", b"PK", b"\x80\x02", b"\x00" * 9, b"{}"])
def test_tiny_files(tmp_path, data):
    (tmp_path / "tiny.pt").write_bytes(data)
    assert_clear(tmp_path / "tiny.pt", "truncated or corrupt", "not a checkpoint")
