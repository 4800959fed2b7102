"""Layers: one family per file, each a thin Module over chainrule.nn.functional."""

from . import activation, batchnorm, container, conv, dropout, flatten, linear, loss, module
from . import normalization, pooling, rnn, sparse, transformer
from .activation import *  # noqa: F403
from .batchnorm import *  # noqa: F403
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import *  # noqa: F403
from .dropout import *  # noqa: F403
from .flatten import *  # noqa: F403
from .linear import *  # noqa: F403
from .loss import *  # noqa: F403
from .module import Module, RemovableHandle
from .normalization import *  # noqa: F403
from .pooling import *  # noqa: F403
from .rnn import *  # noqa: F403
from .sparse import *  # noqa: F403
from .transformer import *  # noqa: F403

__all__ = ["Module", "RemovableHandle", "Sequential", "ModuleList", "ModuleDict",
           "ParameterList", "ParameterDict", *activation.__all__, *batchnorm.__all__,
           *conv.__all__, *dropout.__all__, *flatten.__all__, *linear.__all__, *loss.__all__,
           *normalization.__all__, *pooling.__all__, *rnn.__all__, *sparse.__all__,
           *transformer.__all__]
