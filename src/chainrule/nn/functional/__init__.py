"""Layer maths as pure functions (``import chainrule.nn.functional as F``), one family per file.

The modules in ``chainrule.nn`` are thin wrappers over these.
"""

from . import activation, attention, conv, dropout, linear, loss, norm, pooling, rnn, sparse
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

__all__ = [*activation.__all__, *attention.__all__, *conv.__all__, *dropout.__all__,
           *linear.__all__, *loss.__all__, *norm.__all__, *pooling.__all__, *rnn.__all__,
           *sparse.__all__]
