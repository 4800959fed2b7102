"""Normalisation: (x - mean) / sqrt(var + eps), then a per-feature scale and shift.

batch_norm takes the statistics over the batch (and spatial) dimensions per channel,
layer_norm over the trailing ``normalized_shape`` per sample, group_norm over groups of
channels per sample. All are composed from ops (mean, sub, mul, rsqrt), so double backward
works; the variance is the biased one (divide by N), as PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ...errors import DTypeError, ShapeError
from ...ops.reduction import norm
from ...tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "normalize"]


def _float_tensor(op: str, input) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.data.dtype.kind != "f":
        raise DTypeError(f"{op}: expected a floating point input, got {input.dtype}; call "
                         f".float() first")


def _check_param(op: str, name: str, value: Tensor | None, shape: tuple[int, ...]) -> None:
    if value is not None and tuple(value.shape) != shape:
        raise ShapeError(f"{op}: {name} has shape {tuple(value.shape)} but expected {shape}")


def _standardize(input: Tensor, dims: tuple[int, ...], eps: float) -> tuple[Tensor, ...]:
    """((x - mean) / sqrt(var + eps), mean, biased var) over ``dims``, with kept dims."""
    mean = input.mean(dims, keepdim=True)
    diff = input - mean
    var = (diff * diff).mean(dims, keepdim=True)
    return diff * (var + eps).rsqrt(), mean, var


def _affine(out: Tensor, weight: Tensor | None, bias: Tensor | None, shape) -> Tensor:
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, per channel (dim 1).

    Training uses the batch's statistics over every dim but 1 and, if given, updates the
    running ones in place: ``running = (1 - momentum) * running + momentum * batch``, with
    the unbiased batch variance. Otherwise it normalises with the running statistics.

    Args:
        input: (N, C) or (N, C, *).
        running_mean, running_var: (C,) buffers, or None (then ``training`` must be True).
        weight, bias: (C,) or None.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> x = chainrule.tensor([[1.0], [3.0]])
        >>> rm, rv = chainrule.zeros(1), chainrule.ones(1)
        >>> F.batch_norm(x, rm, rv, training=True, eps=0.0)
        tensor([[-1.],
                [ 1.]])
        >>> rm, rv
        (tensor([0.2000]), tensor([1.1000]))
    """
    _float_tensor("batch_norm", input)
    if input.ndim < 2:
        raise ShapeError(f"batch_norm: expected input of shape (N, C) or (N, C, *), got shape "
                         f"{tuple(input.shape)}")
    c = input.shape[1]
    for name, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        _check_param("batch_norm", name, value, (c,))
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)):
        raise TypeError(f"batch_norm: momentum must be a float, got {momentum!r} (the "
                        f"BatchNorm modules turn momentum=None into a cumulative average)")
    dims = (0, *range(2, input.ndim))
    shape = (1, c) + (1,) * (input.ndim - 2)
    if training:
        n = input.data.size // c
        if n <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input of shape {tuple(input.shape)}")
        out, mean, var = _standardize(input, dims, eps)
        _update_running(running_mean, running_var, mean.data, var.data, momentum, n)
    elif running_mean is None or running_var is None:
        raise ValueError("batch_norm: running_mean and running_var are needed when not "
                         "training; pass training=True to use the batch's statistics")
    else:
        out = (input - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps).rsqrt()
    return _affine(out, weight, bias, shape)


def _update_running(running_mean: Tensor | None, running_var: Tensor | None, mean: np.ndarray,
                    var: np.ndarray, momentum: float, n: int) -> None:
    """running = (1 - momentum) running + momentum batch, unbiased variance (n / (n - 1))."""
    if running_mean is not None:
        running_mean.data *= 1 - momentum
        running_mean.data += (momentum * mean.reshape(-1)).astype(running_mean.data.dtype,
                                                                   copy=False)
        running_mean._bump_version()
    if running_var is not None:
        unbiased = var.reshape(-1) * (n / (n - 1))
        running_var.data *= 1 - momentum
        running_var.data += (momentum * unbiased).astype(running_var.data.dtype, copy=False)
        running_var._bump_version()


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int],
               weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, the statistics over the trailing
    ``normalized_shape`` dimensions of each sample.

    Args:
        input: (*, *normalized_shape).
        normalized_shape: the trailing shape to normalise over (an int for one dim).
        weight, bias: of shape ``normalized_shape``, or None.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.layer_norm(chainrule.tensor([[1.0, 3.0], [2.0, 6.0]]), (2,), eps=0.0)
        tensor([[-1.,  1.],
                [-1.,  1.]])
    """
    _float_tensor("layer_norm", input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise ShapeError(f"layer_norm: input of shape {tuple(input.shape)} does not end in "
                         f"normalized_shape {shape}; expected (*, {', '.join(map(str, shape))})")
    _check_param("layer_norm", "weight", weight, shape)
    _check_param("layer_norm", "bias", bias, shape)
    out = _standardize(input, tuple(range(input.ndim - k, input.ndim)), eps)[0]
    return _affine(out, weight, bias, shape)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, the statistics over each group of
    C / num_groups channels (and all spatial positions) of each sample.

    Args:
        input: (N, C, *), C divisible by ``num_groups``.
        weight, bias: (C,) or None.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.group_norm(chainrule.tensor([[1.0, 3.0, 5.0, 9.0]]), 2, eps=0.0)
        tensor([[-1.,  1., -1.,  1.]])
    """
    _float_tensor("group_norm", input)
    if input.ndim < 2:
        raise ShapeError(f"group_norm: expected input of shape (N, C, *), got shape "
                         f"{tuple(input.shape)}")
    n, c = input.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise ShapeError(f"group_norm: expected the number of channels ({c}, input shape "
                         f"{tuple(input.shape)}) to be divisible by num_groups={num_groups}")
    _check_param("group_norm", "weight", weight, (c,))
    _check_param("group_norm", "bias", bias, (c,))
    grouped = input.reshape(n, num_groups, math.prod(input.shape[1:]) // num_groups)
    out = _standardize(grouped, (2,), eps)[0]
    shape = (1, c) + (1,) * (input.ndim - 2)
    return _affine(out.reshape(input.shape), weight, bias, shape)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """y = x / max(‖x‖_p, eps), the norm taken over ``dim``.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.normalize(chainrule.tensor([[3.0, 4.0], [0.0, 0.0]]))
        tensor([[0.6000, 0.8000],
                [0.0000, 0.0000]])
    """
    _float_tensor("normalize", input)
    return input / norm(input, p, dim, keepdim=True).clamp(min=eps)
