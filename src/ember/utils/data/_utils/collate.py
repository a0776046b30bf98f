"""``torch.utils.data._utils.collate``: see :mod:`ember.utils.data._collate`."""
from ember.utils.data._collate import *  # noqa: F401,F403
from ember.utils.data._collate import default_collate_err_msg_format, np_str_obj_array_pattern  # noqa: F401
