"""ember's main job: train a small CNN on real handwritten digits, evaluate it, save a checkpoint.

    python -m ember.demo [--epochs 12] [--batch-size 32] [--model cnn|mlp|lenet] [--out runs/demo]

The UCI digits (1,797 8x8 images) ship inside the package, so nothing is downloaded. The run prints
a progress bar (tqdm, when installed) with the loss and throughput, the test accuracy at the end,
and writes ``<out>/model.pt`` (loadable by ``ember.load`` and by ``torch.load``) and, when
matplotlib is installed, ``<out>/curves.png``.
"""
import argparse
import os
import time

import ember
from ember import nn
from ember.utils.data import DataLoader
from ember.vision.datasets import Digits


class DigitsCNN(nn.Module):
    """Two 3x3 convolutions, a max-pool and two linear layers: ~98% on the digits in seconds."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.MaxPool2d(2),                                   # 64 x 4 x 4
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 4 * 4, 128), nn.ReLU(),
            nn.Linear(128, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def build_model(name):
    if name == "cnn":
        return DigitsCNN()
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 256), nn.ReLU(), nn.Dropout(0.1),
                             nn.Linear(256, 10))
    if name == "lenet":
        from ember.vision.models import LeNet
        # LeNet expects 28x28: the 8x8 digits are upsampled in the model's input transform
        return nn.Sequential(nn.Upsample(size=(28, 28), mode="bilinear", align_corners=False),
                             LeNet(num_classes=10))
    raise ValueError(f"unknown model {name!r}: choose cnn, mlp or lenet")


def _progress(total, desc):
    try:
        from tqdm import tqdm
        return tqdm(total=total, desc=desc, unit="img", leave=False, dynamic_ncols=True)
    except ImportError:
        return None


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with ember.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(1) == labels).sum().item()
            total += len(labels)
    return correct / total


def train(args):
    ember.manual_seed(args.seed)
    train_set, test_set = Digits(train=True), Digits(train=False)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=args.workers)
    test_loader = DataLoader(test_set, batch_size=256)
    model = build_model(args.model)
    optimizer = ember.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    scheduler = ember.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr,
                                                    total_steps=args.epochs * len(train_loader))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"ember {ember.__version__}: training {args.model} ({n_params:,} parameters) on "
          f"{len(train_set)} digits, testing on {len(test_set)}")
    history = {"loss": [], "accuracy": []}
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        bar = _progress(len(train_set), f"epoch {epoch}/{args.epochs}")
        t0, seen, total_loss = time.perf_counter(), 0, 0.0
        for images, labels in train_loader:
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            seen += len(labels)
            total_loss += loss.item() * len(labels)
            if bar is not None:
                bar.update(len(labels))
                bar.set_postfix(loss=f"{loss.item():.3f}",
                                img_per_s=f"{seen / (time.perf_counter() - t0):.0f}")
        if bar is not None:
            bar.close()
        acc = evaluate(model, test_loader)
        history["loss"].append(total_loss / seen)
        history["accuracy"].append(acc)
        print(f"epoch {epoch:2d}  loss {total_loss / seen:.4f}  test accuracy {acc:.2%}  "
              f"({seen / (time.perf_counter() - t0):.0f} img/s)")
    elapsed = time.perf_counter() - start
    acc = history["accuracy"][-1]
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "model.pt")
    ember.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "accuracy": acc, "model_name": args.model}, path)
    print(f"test accuracy {acc:.2%} after {args.epochs} epochs in {elapsed:.1f} s; "
          f"checkpoint saved to {path}")
    _plot(history, args.out)
    return acc


def _plot(history, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    epochs = range(1, len(history["loss"]) + 1)
    a.plot(epochs, history["loss"], marker="o")
    a.set(xlabel="epoch", ylabel="training loss", title="Loss")
    b.plot(epochs, [100 * x for x in history["accuracy"]], marker="o", color="tab:green")
    b.set(xlabel="epoch", ylabel="test accuracy (%)", title="Accuracy")
    fig.tight_layout()
    path = os.path.join(out, "curves.png")
    fig.savefig(path, dpi=100)
    print(f"curves written to {path}")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m ember.demo", description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--model", default="cnn", choices=["cnn", "mlp", "lenet"])
    p.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=os.path.join("runs", "demo"), help="output folder")
    return train(p.parse_args(argv))


if __name__ == "__main__":
    main()
