"""``torch.utils.data._utils.worker``: see :mod:`ember.utils.data._worker`."""
from ember.utils.data._worker import WorkerInfo, get_worker_info  # noqa: F401
