"""Layer maths as pure functions (``import chainrule.nn.functional as F``), one family per file.

The modules in ``chainrule.nn`` are thin wrappers over these. The family files are imported
under private names because some functions share their file's name (``F.linear``,
``F.dropout``).
"""

from . import activation as _activation
from . import attention as _attention
from . import conv as _conv
from . import dropout as _dropout
from . import linear as _linear
from . import loss as _loss
from . import norm as _norm
from . import pooling as _pooling
from . import rnn as _rnn
from . import sparse as _sparse
from .activation import *  # noqa: F403
from .attention import *  # noqa: F403
from .conv import *  # noqa: F403
from .dropout import *  # noqa: F403
from .linear import *  # noqa: F403
from .loss import *  # noqa: F403
from .norm import *  # noqa: F403
from .pooling import *  # noqa: F403
from .rnn import *  # noqa: F403
from .sparse import *  # noqa: F403

__all__ = [*_activation.__all__, *_attention.__all__, *_conv.__all__, *_dropout.__all__,
           *_linear.__all__, *_loss.__all__, *_norm.__all__, *_pooling.__all__, *_rnn.__all__,
           *_sparse.__all__]
