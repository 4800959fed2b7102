"""chainrule: a PyTorch-style automatic-differentiation engine and deep-learning library on NumPy.

Example:
    >>> import chainrule
    >>> x = chainrule.tensor([1.0], requires_grad=True)
    >>> y = x ** 2
    >>> y.backward()
    >>> x.grad
    tensor([2.])
"""

from . import autograd, func, nn, ops, optim, random, utils, viz
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .dtype import DType, bool_, float16, float32, float64, int32, int64, uint8
from .errors import DTypeError, ShapeError
from .factories import *  # noqa: F403
from .factories import __all__ as _factories
from .ops import *  # noqa: F403
from .random import *  # noqa: F403
from .random import __all__ as _random
from .serialization import load, save
from .tensor import Tensor

bool = bool_  # noqa: A001 - PyTorch's names for dtypes shadow Python's on purpose
half, float, double = float16, float32, float64  # noqa: A001
int, long = int32, int64  # noqa: A001

__version__ = "0.1.0"

__all__ = ["Tensor", "DType", "autograd", "func", "nn", "ops", "optim", "utils", "viz", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "is_grad_enabled", "ShapeError", "DTypeError",
           "float16", "float32", "float64", "int32", "int64", "uint8", "bool",
           "half", "float", "double", "int", "long", "save", "load", *_factories, *_random,
           *ops.__all__]


def __getattr__(name: str):
    """``chainrule.datasets`` on first use: the data sets cost import time most runs skip."""
    if name == "datasets":
        import importlib

        return importlib.import_module(".datasets", __name__)
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")
