"""Random number generators: :class:`Generator` (PCG64 on CPU, CuPy's cuRAND on a GPU), the default
generators, and seeding (``manual_seed``, ``seed``, RNG states).

Each generator exposes the few sampling primitives every sampling function is built from
(``random``, ``normal``, ``integers``, ``permutation``), on NumPy or CuPy arrays.
"""
import os

import numpy as np

from ember import _backend
from ember._tensor import Tensor, wrap

_DEFAULT_SEED = 67280421310721  # PyTorch's default initial seed
_U64 = 1 << 64
_MAGIC_CPU, _MAGIC_CUDA = b"EMB1", b"EMC1"


def _seed_value(seed):
    """PyTorch's seed rules: an int in [-2**63, 2**64); negative seeds wrap to unsigned."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
    seed = int(seed)
    if not -(1 << 63) <= seed < _U64:
        raise ValueError("Overflow when unpacking long long")
    return seed % _U64


class _CpuRng:
    """The sampling primitives every function is built from, on NumPy."""

    def __init__(self, seed):
        self.g = np.random.Generator(np.random.PCG64(seed))

    def random(self, size, dt):  # uniform [0, 1) of float32 or float64
        return self.g.random(size, dtype=dt)

    def normal(self, size, dt):
        return self.g.standard_normal(size, dtype=dt)

    def integers(self, low, high, size):  # [low, high) as int64
        n = high - low
        if n <= 1 << 32:
            # NOTE: floor(u * n) of a 53-bit uniform float is unbiased to ~2^-21 for ranges up to
            # 2^32 and costs a third of Generator.integers per call (data augmentation calls this
            # once per item)
            r = (self.g.random(size) * n).astype(np.int64)
            if low:
                r += low
            return r
        return self.g.integers(low, high, size, dtype=np.int64)

    def permutation(self, n):
        return self.g.permutation(n)

    def get_state(self):
        st = self.g.bit_generator.state
        return (st["state"]["state"].to_bytes(16, "little")
                + st["state"]["inc"].to_bytes(16, "little") + bytes([st["has_uint32"]]) + st["uinteger"].to_bytes(4, "little"))

    def set_state(self, b):
        self.g.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": int.from_bytes(b[:16], "little"),
                      "inc": int.from_bytes(b[16:32], "little")},
            "has_uint32": b[32], "uinteger": int.from_bytes(b[33:37], "little")}


class _CudaRng:
    """The same primitives on CuPy (for one GPU)."""

    def __init__(self, seed, index):
        cp = _backend.cupy()
        self.index = index
        with cp.cuda.Device(index):
            # NOTE: cuRAND takes a 64-bit seed; CuPy hashes larger ones itself
            self.g = cp.random.RandomState(seed % (1 << 63))

    def _on(self):
        return _backend.cupy().cuda.Device(self.index)

    def random(self, size, dt):
        with self._on():
            return self.g.random_sample(size, dtype=dt)

    def normal(self, size, dt):
        with self._on():
            return self.g.standard_normal(size, dtype=dt)

    def integers(self, low, high, size):
        with self._on():
            u = self.g.random_sample(size, dtype=np.float64)
            return (u * (high - low)).astype(np.int64) + low

    def permutation(self, n):
        with self._on():
            return self.g.permutation(n)


class Generator:
    """A source of random numbers with its own state.

    Args:
        device: ``'cpu'`` (default) or a CUDA device; sampling functions given ``generator=`` draw
            from it instead of the default generator.

    Example::

        g = ember.Generator().manual_seed(0)
        ember.rand(3, generator=g)
    """

    def __init__(self, device="cpu"):
        self.device = _backend.as_device(device)
        self._seed = _DEFAULT_SEED
        self._impl = None

    @property
    def _rng(self):
        if self._impl is None:
            if self.device.type == "cpu":
                self._impl = _CpuRng(self._seed)
            else:
                self._impl = _CudaRng(self._seed, self.device.index or 0)
        return self._impl

    def manual_seed(self, seed):
        """Seed this generator; returns it."""
        self._seed = _seed_value(seed)
        self._impl = None
        return self

    def seed(self):
        """Seed from the operating system's entropy; returns the seed."""
        s = int.from_bytes(os.urandom(8), "little") >> 1
        self.manual_seed(s)
        return s

    def initial_seed(self):
        """The seed this generator was last seeded with."""
        return self._seed

    def get_state(self):
        """The state as a uint8 tensor (for :meth:`set_state`)."""
        head = self._seed.to_bytes(8, "little")
        if self.device.type != "cpu":
            # NOTE: CuPy's cuRAND states cannot be read back: a CUDA state records the seed only
            raw = _MAGIC_CUDA + head
        else:
            raw = _MAGIC_CPU + head + self._rng.get_state()
        return wrap(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state):
        """Restore a state from :meth:`get_state`; returns this generator."""
        if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        raw = bytes(np.asarray(new_state._data if new_state.is_cpu else new_state._data.get()))
        magic = _MAGIC_CPU if self.device.type == "cpu" else _MAGIC_CUDA
        size = 49 if magic == _MAGIC_CPU else 12
        if len(raw) != size or raw[:4] != magic:
            raise RuntimeError(f"Expected a {'CPU' if magic == _MAGIC_CPU else 'CUDA'}"
                               f"GeneratorImplState of size {size} but found the input RNG state "
                               f"size to be {len(raw)}")
        self.manual_seed(int.from_bytes(raw[4:12], "little"))
        if magic == _MAGIC_CPU:
            self._rng.set_state(raw[12:])
        return self

    def __repr__(self):
        return f"<ember.Generator object at {hex(id(self))}>"


default_generator = Generator()
_cuda_generators = {}           # device index -> Generator, made on first use
_cuda_seed = [_DEFAULT_SEED]    # the seed CUDA generators start from


def cuda_generator(index=0):
    """The default generator of CUDA device ``index``."""
    g = _cuda_generators.get(index)
    if g is None:
        g = _cuda_generators[index] = Generator(f"cuda:{index}").manual_seed(_cuda_seed[0])
    return g


def cuda_manual_seed(seed, all_devices=False, index=0):
    seed = _seed_value(seed)
    if all_devices:
        _cuda_seed[0] = seed
        for g in _cuda_generators.values():
            g.manual_seed(seed)
    else:
        cuda_generator(index).manual_seed(seed)


def manual_seed(seed):
    """Seed every default generator (CPU and CUDA); returns the CPU one.

    Example::

        ember.manual_seed(0); a = ember.rand(2)
        ember.manual_seed(0); b = ember.rand(2)   # equal to a
    """
    seed = _seed_value(int(seed))
    cuda_manual_seed(seed, all_devices=True)
    return default_generator.manual_seed(seed)


def seed():
    """Seed the default generators from the operating system's entropy; returns the seed."""
    s = default_generator.seed()
    cuda_manual_seed(s, all_devices=True)
    return s


def initial_seed():
    """The seed of the default CPU generator."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default CPU generator's state as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restore the default CPU generator's state."""
    default_generator.set_state(new_state)


class fork_rng:
    """Context manager: random numbers drawn inside do not change the generators' states outside."""

    def __init__(self, devices=None, enabled=True, **_):
        self.enabled = enabled

    def __enter__(self):
        if self.enabled:
            self.cpu = default_generator.get_state()
            self.cuda = {i: g.get_state() for i, g in _cuda_generators.items()}

    def __exit__(self, *exc):
        if self.enabled:
            default_generator.set_state(self.cpu)
            for i, st in self.cuda.items():
                _cuda_generators[i].set_state(st)
