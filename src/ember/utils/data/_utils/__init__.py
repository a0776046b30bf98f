"""PyTorch's private module paths (``torch.utils.data._utils.collate.default_collate_fn_map`` is
the documented way to extend collation), kept so code that imports them runs unchanged."""
from ember.utils.data._utils import collate, worker  # noqa: F401
