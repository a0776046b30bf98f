"""``ember.nn.functional``: the functional form of the layers (``F.relu``, ``F.linear``,
``F.cross_entropy`` ...), as ``torch.nn.functional``.

Each family lives in ``nn/_functional/<family>.py``; this module exports their ``__all__``.
"""
from ember.nn._functional.activation import *  # noqa: F401,F403
from ember.nn._functional.dropout import *  # noqa: F401,F403
from ember.nn._functional.linear import *  # noqa: F401,F403
from ember.nn._functional.loss import *  # noqa: F401,F403
from ember.nn._functional._margin_loss import cosine_similarity, pairwise_distance  # noqa: F401
from ember.nn._functional.normalization import *  # noqa: F401,F403
from ember.nn._functional.instance_norm import *  # noqa: F401,F403
from ember.nn._functional.sparse import *  # noqa: F401,F403
from ember.nn._functional.conv import *  # noqa: F401,F403
from ember.nn._functional.pooling import *  # noqa: F401,F403
from ember.nn._functional.vision import *  # noqa: F401,F403
from ember.nn._functional.channel_dropout import *  # noqa: F401,F403
from ember.nn._functional.attention import *  # noqa: F401,F403
from ember.nn._functional.ctc import *  # noqa: F401,F403
from ember.nn._functional.extra import *  # noqa: F401,F403
from ember.nn._functional.fractional_pool import *  # noqa: F401,F403
from ember.nn._functional.sampling import *  # noqa: F401,F403
