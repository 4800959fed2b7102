"""Differentiable operations, one family per file.

Primitives (a Function subclass each: forward, backward and jvp side by side), 59 here:
- elementwise: Cast, Add, Sub, Mul, Div, FloorDiv, TruncDiv, Remainder, Pow, PowScalar, Neg
- unary: Exp, Log, Log1p, Expm1, Sqrt, Abs, Sign, Sin, Cos, Tan, Tanh, Erf, Clamp, Floor, Ceil,
  Round
- activation: Sigmoid, Relu, Softmax, LogSoftmax, SoftmaxCrossEntropy (fused, class targets)
- comparison: Where, Maximum, Minimum
- reduction: Sum, Prod, Amax (and Amin), Selection, Cumsum
- shape: Reshape, Permute, Expand, Flip, Cat, Split, Clone
- indexing: Index, IndexPut
- linalg: MatMul, Linear (fused x @ w.T + b), Einsum, Diagonal, DiagEmbed
- conv: Convolution, ConvTranspose, ConvWeight, TakeFlat, PutFlat (imported as
  ``chainrule.ops.conv``; the public forms are in ``chainrule.nn.functional``)
Elsewhere, fused where PyTorch fuses too: BinaryCrossEntropy (``nn.functional.loss``),
BatchNorm and LayerNorm (``nn.functional.norm``), max-pooling's TakeWindow and PutWindow
(``nn.functional.pooling``), the LSTM/GRU recurrences (``nn.functional.rnn``); and random
draws (``chainrule.random``). Everything else is composed from these and needs no rule of
its own.
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
