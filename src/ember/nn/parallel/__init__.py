"""``ember.nn.parallel``: ``DataParallel`` and ``data_parallel`` (see
``ember.nn.modules.data_parallel``)."""
from ember.nn.modules.data_parallel import DataParallel, data_parallel

__all__ = ["DataParallel", "data_parallel"]
