"""A character-level LSTM language model, trained on Python's own standard library sources (a real
text corpus on every machine, no download), then sampled. Written against PyTorch's API: it runs
unchanged with ``import torch`` in place of ``import ember as torch``.

    python examples/char_lstm.py [--steps 1000] [--hidden 128] [--layers 1] [--seq 64] [--batch 32]

The loss (cross-entropy in nats per character) starts near ln(vocabulary) ~ 4.5 and falls to about
1.4 within the default run (about a minute on two cores; on a machine busy with other work,
``OPENBLAS_NUM_THREADS=1`` keeps BLAS threads from waiting on each other).
"""
import argparse
import math
import os
import sysconfig
import time

import numpy as np

import ember as torch
import ember.nn as nn

# a few long, prose-heavy modules of the standard library (docstrings and code)
CORPUS_FILES = ["argparse.py", "textwrap.py", "difflib.py", "string.py", "shutil.py",
                "inspect.py", "pathlib.py", "calendar.py", "dataclasses.py", "enum.py"]


def load_corpus(max_chars):
    """The standard-library files that exist here, concatenated (ASCII only), and its alphabet."""
    root = sysconfig.get_paths()["stdlib"]
    parts = []
    for name in CORPUS_FILES:
        path = os.path.join(root, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="ignore") as f:
                parts.append(f.read())
    text = "".join(parts).encode("ascii", "ignore").decode()[:max_chars]
    if len(text) < 10000:
        raise SystemExit(f"found only {len(text)} characters of Python sources under {root}")
    chars = sorted(set(text))
    return text, chars


class CharLSTM(nn.Module):
    """Embedding -> LSTM -> Linear over the alphabet."""

    def __init__(self, vocab, hidden, layers, dropout):
        super().__init__()
        self.embed = nn.Embedding(vocab, 64)
        self.lstm = nn.LSTM(64, hidden, layers, batch_first=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


def progress(total):
    """tqdm's bar when it is installed, otherwise a line every 10% of the run."""
    try:
        from tqdm import tqdm
        return tqdm(total=total, ncols=80)
    except ImportError:
        class Plain:
            def __init__(self):
                self.n, self.post, self.t0 = 0, "", time.time()

            def update(self, k):
                self.n += k
                if self.n % max(total // 10, 1) == 0 or self.n == total:
                    print(f"step {self.n:5d}/{total}  {self.post}  ({time.time() - self.t0:.0f} s)",
                          flush=True)

            def set_postfix_str(self, s):
                self.post = s

            def close(self):
                pass
        return Plain()


@torch.no_grad()
def sample(model, chars, prompt, n, temperature=0.8):
    """Continue ``prompt`` by ``n`` characters drawn one at a time, carrying the LSTM state."""
    model.eval()
    index = {c: i for i, c in enumerate(chars)}
    x = torch.tensor([[index[c] for c in prompt if c in index]])
    logits, state = model(x)
    out = []
    for _ in range(n):
        probs = torch.softmax(logits[0, -1] / temperature, dim=-1)
        nxt = torch.multinomial(probs, 1)
        out.append(chars[nxt.item()])
        logits, state = model(nxt.view(1, 1), state)
    model.train()
    return prompt + "".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--seq", type=int, default=64)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--chars", type=int, default=400_000, help="corpus size cap")
    p.add_argument("--sample", type=int, default=300, help="characters to sample at the end")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    torch.manual_seed(args.seed)
    text, chars = load_corpus(args.chars)
    lut = np.zeros(128, np.int64)
    lut[[ord(c) for c in chars]] = np.arange(len(chars))
    data = torch.from_numpy(lut[np.frombuffer(text.encode(), np.uint8)])
    print(f"corpus: {len(text):,} characters of Python sources, alphabet of {len(chars)} "
          f"(uniform guess: loss {math.log(len(chars)):.2f})")

    model = CharLSTM(len(chars), args.hidden, args.layers, dropout=0.1)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params:,} parameters\n{model}")

    bar = progress(args.steps)
    avg = None
    for step in range(args.steps):
        starts = torch.randint(0, len(text) - args.seq - 1, (args.batch,))
        offsets = torch.arange(args.seq + 1)
        chunk = data[starts[:, None] + offsets[None, :]]      # (batch, seq + 1)
        x, y = chunk[:, :-1], chunk[:, 1:]
        logits, _ = model(x)
        loss = loss_fn(logits.reshape(-1, len(chars)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        avg = loss.item() if avg is None else 0.95 * avg + 0.05 * loss.item()
        bar.set_postfix_str(f"loss {avg:.3f}")
        bar.update(1)
    bar.close()
    print(f"final loss {avg:.3f} nats/char")
    print("--- sample ---")
    print(sample(model, chars, "def ", args.sample))


if __name__ == "__main__":
    main()
