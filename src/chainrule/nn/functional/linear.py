"""Affine maps: linear (y = x Wᵀ + b) and bilinear (y = x₁ᵀ A x₂ + b).

linear is the ``Linear`` primitive of chainrule.ops.linalg (one GEMM, the weight gradient
written in place of a transposed copy); bilinear is one einsum. Both rules are written with
ops, so gradients of every order work.
"""

from __future__ import annotations

from ...errors import DTypeError, ShapeError
from ...ops.linalg import einsum
from ...ops.linalg import linear as _linear
from ...tensor import Tensor

__all__ = ["linear", "bilinear"]


def _check_tensor(op: str, name: str, value) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(value).__name__}")


def _check_bias(op: str, bias: Tensor | None, out_features: int) -> None:
    if bias is None:
        return
    _check_tensor(op, "bias", bias)
    if bias.shape not in ((out_features,), (1,), ()):
        raise ShapeError(f"{op}: bias has shape {tuple(bias.shape)} but the output has "
                         f"{out_features} features; expected bias of shape ({out_features},)")


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight.T + bias, over any leading dimensions of ``input``.

    Args:
        input: (*, in_features).
        weight: (out_features, in_features).
        bias: (out_features,) or None.

    Returns:
        (*, out_features).

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> x = chainrule.tensor([[1.0, 2.0]])
        >>> w = chainrule.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]])
        >>> F.linear(x, w, chainrule.tensor([0.5, 0.0, 0.0]))
        tensor([[ 1.5000,  3.0000, -2.0000]])
    """
    _check_tensor("linear", "input", input)
    _check_tensor("linear", "weight", weight)
    x, w = input.data, weight.data  # shapes and dtypes read once (every layer, every step)
    if w.ndim != 2:
        raise ShapeError(f"linear: weight must be 2-D (out_features, in_features), got shape "
                         f"{w.shape}")
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        features = x.shape[-1] if x.ndim else "no"
        raise ShapeError(
            f"linear: input has {features} features (shape {x.shape}) but weight "
            f"expects {w.shape[1]} (weight shape {w.shape}); check the layer's in_features")
    if x.dtype != w.dtype:
        raise DTypeError(f"linear: input is {input.dtype} but weight is {weight.dtype}; "
                         f"convert one of them (e.g. input.to(weight.dtype))")
    if bias is not None:
        _check_bias("linear", bias, w.shape[0])
    return _linear(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y_k = input1ᵀ weight[k] input2 + bias_k, over any (equal) leading dimensions.

    Args:
        input1: (*, in1_features).
        input2: (*, in2_features), the same leading dimensions as ``input1``.
        weight: (out_features, in1_features, in2_features).
        bias: (out_features,) or None.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> w = chainrule.ones(1, 2, 2)
        >>> F.bilinear(chainrule.tensor([[1.0, 2.0]]), chainrule.tensor([[3.0, 4.0]]), w)
        tensor([[21.]])
    """
    for name, value in (("input1", input1), ("input2", input2), ("weight", weight)):
        _check_tensor("bilinear", name, value)
    if weight.ndim != 3:
        raise ShapeError(f"bilinear: weight must be 3-D (out_features, in1_features, "
                         f"in2_features), got shape {tuple(weight.shape)}")
    _, n1, n2 = weight.shape
    ok = input1.ndim >= 1 and input1.shape[:-1] == input2.shape[:-1]
    if not ok or input1.shape[-1] != n1 or input2.shape[-1] != n2:
        raise ShapeError(
            f"bilinear: inputs of shapes {tuple(input1.shape)} and {tuple(input2.shape)} do not "
            f"fit weight of shape {tuple(weight.shape)}; expected (*, {n1}) and (*, {n2}) with "
            f"equal leading dimensions")
    _check_bias("bilinear", bias, weight.shape[0])
    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias
