"""The main job: ``python -m ember.demo`` trains on the shipped digits to at least 97%."""
import torch

from ember.demo import main


def test_demo_reaches_97_percent_and_saves_a_torch_loadable_checkpoint(tmp_path, capsys):
    acc = main(["--out", str(tmp_path)])
    assert acc >= 0.97
    out = capsys.readouterr().out
    assert "test accuracy" in out and "checkpoint saved" in out
    ckpt = torch.load(tmp_path / "model.pt", weights_only=True)
    assert set(ckpt) == {"model", "optimizer", "accuracy", "model_name"}
    assert ckpt["model"]["features.0.weight"].shape == (32, 1, 3, 3)
