"""Differentiable operations, one family per file.

Primitives (a Function subclass each, forward and derivative rule side by side):
- elementwise: Cast, Add, Sub, Mul, Div, FloorDiv, TruncDiv, Remainder, Pow, PowScalar, Neg
- reduction: Sum
- shape: Reshape, Expand
Everything else is composed from these and needs no rule of its own.
"""

from . import activation, comparison, elementwise, indexing, inplace, linalg, reduction, shape
from . import unary
from .activation import *  # noqa: F403
from .comparison import *  # noqa: F403
from .elementwise import *  # noqa: F403
from .indexing import *  # noqa: F403
from .inplace import *  # noqa: F403
from .linalg import *  # noqa: F403
from .reduction import *  # noqa: F403
from .shape import *  # noqa: F403
from .unary import *  # noqa: F403
from ..autograd.function import grad_accumulator

__all__ = [*elementwise.__all__, *unary.__all__, *activation.__all__, *comparison.__all__,
           *reduction.__all__, *shape.__all__, *indexing.__all__, *linalg.__all__,
           *inplace.__all__]
