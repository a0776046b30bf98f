"""Recurrent language-model training step, ember and torch side by side in one run.

The shape of pytorch/examples' word_language_model: vocabulary 10,000, embedding and hidden size
200, 2 layers, dropout 0.2, sequence 35, batch 20; ``nn.Embedding -> nn.Dropout -> nn.LSTM/GRU ->
nn.Dropout -> nn.Linear``, ``nn.CrossEntropyLoss``, ``clip_grad_norm_(0.25)``, ``optim.SGD(lr=20)``,
hidden state carried (detached) from batch to batch. Both libraries start from the same weights and
see the same (synthetic) token batches; with dropout off, the losses of the first steps are checked
to agree. Reported, for LSTM and GRU: the median time per training step and the ratio
ember/torch; then the recurrent layers alone (forward + backward of the 2-layer RNN on a
35 x 20 x 200 input), the part the fused primitive owns. Goal: ember/torch <= 1.0x. Each library
is timed in processes of its own (torch's OpenMP threads spin after each op and would slow ember
in the same process), the two taking turns for ``--rounds`` rounds so that machine noise hits
both alike.

Usage: python bench/rnn.py [--steps N] [--rounds R] [--modes LSTM GRU] [--threads T]
                           [--clock wall|cpu] [--profile]

On a busy machine wall-clock times of multi-threaded runs mostly measure the other processes;
``--threads 1 --clock cpu`` compares the CPU time each library's single thread spends per step.
"""
import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time

VOCAB, EMB, HID, LAYERS, DROPOUT = 10000, 200, 200, 2, 0.2
BPTT, BATCH, LR, CLIP = 35, 20, 20.0, 0.25


def model_class(lib):
    nn = lib.nn

    class RNNModel(nn.Module):
        """Encoder, recurrent module and decoder, as pytorch/examples/word_language_model."""

        def __init__(self, mode):
            super().__init__()
            self.drop = nn.Dropout(DROPOUT)
            self.encoder = nn.Embedding(VOCAB, EMB)
            self.rnn = getattr(nn, mode)(EMB, HID, LAYERS, dropout=DROPOUT)
            self.decoder = nn.Linear(HID, VOCAB)
            nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

        def forward(self, input, hidden):
            emb = self.drop(self.encoder(input))
            output, hidden = self.rnn(emb, hidden)
            return self.decoder(self.drop(output)).view(-1, VOCAB), hidden

    return RNNModel


def detach(h):
    return tuple(v.detach() for v in h) if isinstance(h, tuple) else h.detach()


def stepper(lib, mode, state, data, train=True):
    model = model_class(lib)(mode)
    model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    model.train(train)
    crit = lib.nn.CrossEntropyLoss()
    opt = lib.optim.SGD(model.parameters(), lr=LR)
    data = [(lib.tensor(x), lib.tensor(y)) for x, y in data]
    h0 = lib.zeros(LAYERS, BATCH, HID)
    hidden = [(h0, h0.clone()) if mode == "LSTM" else h0]
    i = [0]

    def step():
        x, y = data[i[0] % len(data)]
        i[0] += 1
        opt.zero_grad()
        out, h = model(x, detach(hidden[0]))
        hidden[0] = h
        loss = crit(out, y.view(-1))
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        opt.step()
        return loss
    return step


def layer_stepper(lib, mode, state):
    """Forward + backward of the recurrent layers alone."""
    rnn = getattr(lib.nn, mode)(EMB, HID, LAYERS, dropout=DROPOUT)
    rnn.load_state_dict({k[4:]: lib.tensor(v) for k, v in state.items() if k.startswith("rnn.")})
    x = lib.tensor(np.random.default_rng(1).standard_normal((BPTT, BATCH, EMB), np.float32),
                   requires_grad=True)

    def step():
        out, _ = rnn(x)
        out.sum().backward()
    return step


def batches(n=6, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.integers(0, VOCAB, (BPTT, BATCH)), rng.integers(0, VOCAB, (BPTT, BATCH)))
            for _ in range(n)]


CLOCK = [time.perf_counter]


def timed(step, n):
    clock = CLOCK[0]
    out = []
    for _ in range(n):
        t0 = clock()
        step()
        out.append(clock() - t0)
    return out


def worker(lib_name, mode, steps, rounds, state_path, threads, clock):
    """One library's step and layer timings, in a process of its own: ``{"step": [s, ...],
    "layers": [...]}``. NOTE: torch's OpenMP threads spin after each op; measured, an ember step
    right after a torch step took 59-65 ms against 51-53 alone (MNIST network), so the two must
    not share a process."""
    lib = __import__(lib_name)  # (before NumPy: ember shortens OpenBLAS's idle spin; see README)
    global np
    import numpy as np
    if lib_name == "torch":
        lib.set_num_threads(threads)
    if clock == "cpu":
        CLOCK[0] = time.process_time
    state = dict(np.load(state_path))
    out = {}
    for kind, make in (("step", lambda: stepper(lib, mode, state, batches())),
                       ("layers", lambda: layer_stepper(lib, mode, state))):
        step = make()
        timed(step, 3)
        out[kind] = timed(step, steps * rounds)
    return out


def race(mode, state_path, args):
    """Median ms per step and per layers' fwd+bwd: ``{(lib, kind): ms}``, each library in its
    own processes, taking turns for ``args.rounds`` rounds (a burst of load hits both)."""
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(args.threads)
    times = {}
    for _ in range(args.rounds):
        for lib in ("ember", "torch"):
            out = subprocess.run([sys.executable, __file__, "--worker", lib, mode, state_path,
                                  "--steps", str(args.steps), "--threads", str(args.threads),
                                  "--clock", args.clock], env=env, capture_output=True,
                                 text=True, check=True)
            for kind, ts in json.loads(out.stdout.strip().splitlines()[-1]).items():
                times.setdefault((lib, kind), []).extend(ts)
    return {k: statistics.median(v) * 1e3 for k, v in times.items()}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=10, help="steps per round and library")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--modes", nargs="+", default=["LSTM", "GRU"])
    p.add_argument("--threads", type=int, default=2, help="BLAS/torch threads (default 2)")
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="wall-clock time, or the process's CPU time (use with --threads 1)")
    p.add_argument("--profile", action="store_true", help="cProfile 20 ember steps")
    p.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        lib, mode, path = args.worker
        print(json.dumps(worker(lib, mode, args.steps, 1, path, args.threads, args.clock)))
        return
    if "numpy" not in sys.modules:  # BLAS reads its thread count when NumPy loads
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    global np
    import ember  # (before NumPy: ember shortens OpenBLAS's idle spin; see README)
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    how = f"{args.threads} thread{'s' * (args.threads > 1)}, {args.clock} clock"
    data = batches()
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes:
            torch.manual_seed(0)
            state = {k: v.detach().numpy().copy()
                     for k, v in model_class(torch)(mode).state_dict().items()}
            se = stepper(ember, mode, state, data, False)
            st = stepper(torch, mode, state, data, False)
            diffs = [abs(se().item() - st().item()) for _ in range(4)]
            print(f"{mode}: losses of the first 4 steps (dropout off) agree to {max(diffs):.1e}")
            if args.profile:
                step = stepper(ember, mode, state, data)
                timed(step, 3)
                prof = cProfile.Profile()
                prof.enable()
                timed(step, 20)
                prof.disable()
                pstats.Stats(prof).sort_stats("tottime").print_stats(20)
            path = os.path.join(tmp, f"{mode}.npz")
            np.savez(path, **state)
            r = race(mode, path, args)
            e, t = r["ember", "step"], r["torch", "step"]
            le, lt = r["ember", "layers"], r["torch", "layers"]
            print(f"{mode} training step ({how}, median ms): ember {e:.1f} | torch {t:.1f} | "
                  f"ember/torch {e / t:.2f}x (goal <= 1.0x)", flush=True)
            print(f"{mode} recurrent layers alone, fwd+bwd ({how}, median ms): ember {le:.1f} | "
                  f"torch {lt:.1f} | ember/torch {le / lt:.2f}x", flush=True)


if __name__ == "__main__":
    main()
