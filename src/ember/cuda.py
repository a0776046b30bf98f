"""``ember.cuda``: GPU queries, seeding and synchronisation, as in ``torch.cuda``.

Nothing here imports CuPy until a function needs a GPU, so ``import ember`` stays light; without
CuPy or a GPU, ``is_available()`` is False, ``device_count()`` is 0 and seeding only records the
seed (used if a GPU generator is ever made).
"""
from ember import _backend
from ember._ops import _generator as _random

_available = []  # the answer of is_available(), computed once


def is_available():
    """True when CuPy is installed and a CUDA device can be used."""
    if not _available:
        _available.append(_backend.cuda_is_available())
    return _available[0]


def _cp():
    if not is_available():
        raise RuntimeError("Torch not compiled with CUDA enabled: ember needs CuPy and a CUDA "
                           "device for this")
    return _backend.cupy()


def is_initialized():
    """True once a CUDA device has been used."""
    return _backend._cupy is not None


def device_count():
    """The number of CUDA devices (0 without a GPU)."""
    if not is_available():
        return 0
    return _backend.cupy().cuda.runtime.getDeviceCount()


def current_device():
    """The index of the current CUDA device."""
    return _cp().cuda.Device().id


def set_device(device):
    """Make ``device`` (an index, ``'cuda:1'`` or an ``ember.device``) the current CUDA device."""
    idx = _index(device)
    if idx is not None and idx >= 0:
        _cp().cuda.Device(idx).use()


def _index(device):
    if device is None:
        return None
    if isinstance(device, int):
        return device
    d = _backend.as_device(device)
    return d.index if d.index is not None else 0


def get_device_name(device=None):
    """The name of a CUDA device (the current one by default)."""
    cp = _cp()
    idx = _index(device)
    props = cp.cuda.runtime.getDeviceProperties(cp.cuda.Device().id if idx is None else idx)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else name


def get_device_capability(device=None):
    """``(major, minor)`` compute capability of a CUDA device."""
    cp = _cp()
    idx = _index(device)
    cc = cp.cuda.Device(cp.cuda.Device().id if idx is None else idx).compute_capability
    return int(cc[:-1]), int(cc[-1])


def synchronize(device=None):
    """Wait for all work queued on a CUDA device to finish (nothing to wait for without a GPU)."""
    if not is_initialized():
        return
    cp = _backend.cupy()
    idx = _index(device)
    with cp.cuda.Device(cp.cuda.Device().id if idx is None else idx):
        cp.cuda.Device().synchronize()


class device:
    """Context manager that makes ``device`` current inside its block."""

    def __init__(self, device):
        self.idx = _index(device)
        self.prev = None

    def __enter__(self):
        if self.idx is not None and self.idx >= 0 and is_available():
            self.prev = current_device()
            set_device(self.idx)

    def __exit__(self, *exc):
        if self.prev is not None:
            set_device(self.prev)
        return False


# ---- random numbers ------------------------------------------------------------------------------
def manual_seed(seed):
    """Seed the current CUDA device's generator (recorded only, without a GPU)."""
    idx = current_device() if is_initialized() else 0
    _random.cuda_manual_seed(int(seed), index=idx)


def manual_seed_all(seed):
    """Seed the generators of every CUDA device."""
    _random.cuda_manual_seed(int(seed), all_devices=True)


def seed():
    """Seed the current CUDA generator from the operating system's entropy."""
    return _random.cuda_generator(current_device() if is_initialized() else 0).seed()


def seed_all():
    """Seed every CUDA generator with one seed from the operating system's entropy."""
    s = _random.Generator().seed()
    manual_seed_all(s)


def initial_seed():
    """The seed of the current CUDA generator."""
    return _random.cuda_generator(current_device() if is_initialized() else 0).initial_seed()


def get_rng_state(device="cuda"):
    """The state of a CUDA generator as a uint8 tensor."""
    return _random.cuda_generator(_index(device) or 0).get_state()


def set_rng_state(new_state, device="cuda"):
    """Restore a CUDA generator's state."""
    _random.cuda_generator(_index(device) or 0).set_state(new_state)


# ---- memory --------------------------------------------------------------------------------------
def empty_cache():
    """Release the cached GPU memory CuPy's pool holds (no-op without a GPU)."""
    if is_initialized():
        _backend.cupy().get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None):
    """Bytes of GPU memory held by tensors (0 without a GPU)."""
    if not is_initialized():
        return 0
    return _backend.cupy().get_default_memory_pool().used_bytes()


def memory_reserved(device=None):
    """Bytes of GPU memory reserved by the allocator (0 without a GPU)."""
    if not is_initialized():
        return 0
    return _backend.cupy().get_default_memory_pool().total_bytes()


def __getattr__(name):
    if name == "amp":  # ``ember.cuda.amp.autocast`` / ``GradScaler``: PyTorch's older spelling
        from ember.amp import _cuda_compat
        return _cuda_compat
    raise AttributeError(f"module 'ember.cuda' has no attribute '{name}'")
