"""Parameter initialisation, in place and without recording history (PyTorch's nn.init).

Every function fills its tensor under ``no_grad``, returns it, and draws from chainrule's
default generator unless ``generator`` is given, so ``chainrule.manual_seed`` makes it
reproducible. Fans follow PyTorch: for a weight of shape (out, in, *kernel),
fan_in = in * prod(kernel) and fan_out = out * prod(kernel).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..autograd.grad_mode import no_grad
from ..ops.unary import _erf
from ..random import Generator, _numpy_generator
from ..random import normal_ as _normal_
from ..random import uniform_ as _uniform_
from ..tensor import Tensor, _wrap

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
]

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain that keeps activations' variance steady through ``nonlinearity``.

    1 for linear, conv and sigmoid; 5/3 for tanh; √2 for relu; √(2 / (1 + slope²)) for
    leaky_relu (slope ``param``, 0.01 by default); 3/4 for selu.

    Example:
        >>> from chainrule.nn import init
        >>> round(init.calculate_gain("leaky_relu", 0.2), 4)
        1.3868
    """
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(in * receptive field, out * receptive field) for a (out, in, *kernel) weight."""
    if tensor.ndim < 2:
        raise ValueError(f"Fan in and fan out can not be computed for tensor with fewer than 2 "
                         f"dimensions (got shape {tuple(tensor.shape)})")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _copy_in(tensor: Tensor, values: np.ndarray) -> Tensor:
    with no_grad():
        return tensor.copy_(_wrap(np.asarray(values, dtype=tensor.data.dtype)))


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: Generator | None = None) -> Tensor:
    """Fill with samples of U(a, b).

    Example:
        >>> import chainrule
        >>> from chainrule.nn import init
        >>> w = init.uniform_(chainrule.empty(3, 5), -0.1, 0.1)
        >>> bool((w.abs() <= 0.1).all())
        True
    """
    with no_grad():
        return _uniform_(tensor, a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: Generator | None = None) -> Tensor:
    """Fill with samples of N(mean, std²).

    Example:
        >>> import chainrule
        >>> from chainrule.nn import init
        >>> init.normal_(chainrule.empty(3, 5), std=0.02).shape
        (3, 5)
    """
    with no_grad():
        return _normal_(tensor, mean, std, generator=generator)


def _erfinv(z: np.ndarray) -> np.ndarray:
    """erf⁻¹ for |z| < 1: Winitzki's closed form, then Newton steps on erf (float64)."""
    ln = np.log1p(-z * z)
    t = 2 / (math.pi * 0.147) + ln / 2
    x = np.copysign(np.sqrt(np.sqrt(t * t - ln / 0.147) - t), z)
    for _ in range(4):  # each step squares the relative error (~2e-3 to start)
        x = x - (_erf(x) - z) / (2 / math.sqrt(math.pi) * np.exp(-x * x))
    return x


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Generator | None = None) -> Tensor:
    """Fill with samples of N(mean, std²) conditioned on [a, b] (bounds in absolute units).

    Draws by inverting the normal CDF on a uniform sample of [Φ(α), Φ(β)], as PyTorch.

    Example:
        >>> import chainrule
        >>> from chainrule.nn import init
        >>> w = init.trunc_normal_(chainrule.empty(100), std=1.0, a=-0.5, b=0.5)
        >>> bool((w.abs() <= 0.5).all())
        True
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: expects a < b, got a={a}, b={b}")
    if std <= 0:
        raise ValueError(f"trunc_normal_: expects std > 0, got {std}")
    lo, hi = (float(_erf(np.array((v - mean) / (std * math.sqrt(2))))) for v in (a, b))
    g = _numpy_generator("trunc_normal_", generator)
    z = g.uniform(lo, hi, tensor.shape)  # erf of the standardised sample, uniform in between
    z = np.clip(z, np.nextafter(-1, 0), np.nextafter(1, 0))
    values = np.clip(mean + std * math.sqrt(2) * _erfinv(z), a, b)
    return _copy_in(tensor, values)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``.

    Example:
        >>> import chainrule
        >>> from chainrule.nn import init
        >>> init.constant_(chainrule.empty(2), 0.3)
        tensor([0.3000, 0.3000])
    """
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1.

    Example:
        >>> import chainrule
        >>> from chainrule.nn import init
        >>> init.ones_(chainrule.empty(2))
        tensor([1., 1.])
    """
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0.

    Example:
        >>> import chainrule
        >>> from chainrule.nn import init
        >>> init.zeros_(chainrule.empty(2))
        tensor([0., 0.])
    """
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the diagonal, zeros elsewhere).

    Example:
        >>> import chainrule
        >>> from chainrule.nn import init
        >>> init.eye_(chainrule.empty(2, 3))
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only tensors with 2 dimensions are supported, got shape "
                         f"{tuple(tensor.shape)}")
    return _copy_in(tensor, np.eye(*tensor.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    generator: Generator | None = None) -> Tensor:
    """Fill with U(-a, a), a = gain * √(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010).

    Example:
        >>> import chainrule
        >>> from chainrule.nn import init
        >>> w = init.xavier_uniform_(chainrule.empty(4, 2))
        >>> bool((w.abs() <= 1.0).all())
        True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   generator: Generator | None = None) -> Tensor:
    """Fill with N(0, std²), std = gain * √(2 / (fan_in + fan_out)).

    Example:
        >>> import chainrule
        >>> from chainrule.nn import init
        >>> init.xavier_normal_(chainrule.empty(4, 2)).shape
        (4, 2)
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    """gain / √fan, or None (with PyTorch's warning) for a tensor with no elements."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: Generator | None = None) -> Tensor:
    """Fill with U(-bound, bound), bound = gain * √(3 / fan) (He et al., 2015).

    Args:
        a: the negative slope of the rectifier after this layer (for leaky_relu).
        mode: "fan_in" keeps the forward pass's variance, "fan_out" the backward pass's.
        nonlinearity: the name given to :func:`calculate_gain`.

    Example:
        >>> import chainrule
        >>> from chainrule.nn import init
        >>> w = init.kaiming_uniform_(chainrule.empty(3, 6), nonlinearity="relu")
        >>> bool((w.abs() <= 1.0).all())
        True
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: Generator | None = None) -> Tensor:
    """Fill with N(0, std²), std = gain / √fan (He et al., 2015).

    Example:
        >>> import chainrule
        >>> from chainrule.nn import init
        >>> init.kaiming_normal_(chainrule.empty(3, 6), mode="fan_out").shape
        (3, 6)
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix times ``gain``: the Q of the QR decomposition of a
    Gaussian matrix, with signs fixed so that it is uniformly distributed (Saxe et al., 2013).
    Dims after the first are flattened.

    Example:
        >>> import chainrule
        >>> from chainrule.nn import init
        >>> w = init.orthogonal_(chainrule.empty(2, 3))
        >>> bool(((w @ w.t()) - chainrule.eye(2)).abs().max() < 1e-5)
        True
    """
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, "
                         f"got shape {tuple(tensor.shape)}")
    if tensor.data.size == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.data.size // rows
    g = _numpy_generator("orthogonal_", generator)
    flat = g.standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))  # makes the decomposition unique, hence Q Haar-distributed
    if rows < cols:
        q = q.T
    return _copy_in(tensor, (gain * q).reshape(tensor.shape))
