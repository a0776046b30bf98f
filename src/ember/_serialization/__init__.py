"""The machinery behind :mod:`ember.serialization` (``ember.save`` / ``ember.load``).

- ``zipformat``: PyTorch's zip container, written record by record the way torch's writer (miniz)
  lays it out: stored entries, data aligned to 64 bytes, data descriptors, zip64 end records.
- ``pickler``: writes the ``data.pkl`` pickle (protocol 2) that names ``torch`` globals, without
  importing torch.
- ``unpickler``: the restricted unpickler that maps those globals to ember and refuses every other.
- ``safetensors_io``: ``.safetensors`` files through the ``safetensors`` package.
"""
