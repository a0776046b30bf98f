"""The layers of ``ember.nn``, one file per family as in PyTorch (``torch/nn/modules/``).

To add a family: write ``<family>.py`` with an ``__all__`` of its Module classes and add one line
``from ember.nn.modules.<family> import *`` below; ``nn`` exports it through ``__all__``.
"""
from ember.nn.modules.module import Module  # noqa: F401
from ember.nn.modules.container import *  # noqa: F401,F403
from ember.nn.modules.flatten import *  # noqa: F401,F403
from ember.nn.modules.linear import *  # noqa: F401,F403
from ember.nn.modules.activation import *  # noqa: F401,F403
from ember.nn.modules.dropout import *  # noqa: F401,F403
from ember.nn.modules.sparse import *  # noqa: F401,F403
from ember.nn.modules.normalization import *  # noqa: F401,F403
from ember.nn.modules.batchnorm import *  # noqa: F401,F403
from ember.nn.modules.instancenorm import *  # noqa: F401,F403
from ember.nn.modules.loss import *  # noqa: F401,F403
from ember.nn.modules.ctc import *  # noqa: F401,F403
from ember.nn.modules.conv import *  # noqa: F401,F403
from ember.nn.modules.rnn import *  # noqa: F401,F403
from ember.nn.modules.pooling import *  # noqa: F401,F403
from ember.nn.modules.upsampling import *  # noqa: F401,F403
from ember.nn.modules.pixelshuffle import *  # noqa: F401,F403
from ember.nn.modules.channel_dropout import *  # noqa: F401,F403
from ember.nn.modules.padding import *  # noqa: F401,F403
from ember.nn.modules.fold import *  # noqa: F401,F403
from ember.nn.modules.distance import *  # noqa: F401,F403
from ember.nn.modules.attention import *  # noqa: F401,F403
from ember.nn.modules.transformer import *  # noqa: F401,F403
from ember.nn.modules.lazy import *  # noqa: F401,F403
from ember.nn.modules.data_parallel import *  # noqa: F401,F403
from ember.nn.modules.extra import *  # noqa: F401,F403
from ember.nn.modules.adaptive import *  # noqa: F401,F403

# every Module class imported above (the families' __all__), in import order
__all__ = [_n for _n, _v in list(globals().items())
           if isinstance(_v, type) and issubclass(_v, Module) and not _n.startswith("_")]
