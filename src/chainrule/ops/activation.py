"""Activation functions: sigmoid, relu and its relatives, gelu, silu, softplus, softmax.

sigmoid, relu, softmax and log_softmax are primitives (they sit on every training step's hot
path, and softmax needs a stable forward); the rest are composed from them and from unary ops.
SoftmaxCrossEntropy is one too: log_softmax fused with the pick of class-index targets, which
``nn.functional.cross_entropy`` calls.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..autograd.forward_ad import diagonal_jvp
from ..autograd.function import Function
from ..tensor import Tensor, _wrap
from .comparison import keep_where, where
from .elementwise import to_dtype
from .reduction import normalize_dims
from .unary import _float_input, clamp, erf, exp, expm1, log1p, tanh

__all__ = [
    "sigmoid",
    "relu",
    "leaky_relu",
    "elu",
    "gelu",
    "silu",
    "softplus",
    "softmax",
    "log_softmax",
]


class Sigmoid(Function):
    """out = 1 / (1 + e^-x), computed without overflow for either sign of x."""

    @staticmethod
    def forward(ctx, x):
        e = np.exp(-np.abs(x.data))  # <= 1, so nothing overflows
        out = np.where(x.data >= 0, 1, e).astype(x.data.dtype, copy=False)
        out /= 1 + e  # 1/(1+e^-x) or e^x/(1+e^x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)  # d sigmoid = sigmoid (1 - sigmoid)

    @staticmethod
    def backward_numpy(ctx, grad):
        (out,) = ctx.saved_tensors
        return _wrap(grad.data * out.data * (1 - out.data))

    jvp = diagonal_jvp


def sigmoid(input: Tensor) -> Tensor:
    """The logistic function ``1 / (1 + exp(-input))``.

    Example:
        >>> import chainrule
        >>> chainrule.sigmoid(chainrule.tensor([0.0, 2.0]))
        tensor([0.5000, 0.8808])
    """
    return Sigmoid.apply(_float_input("sigmoid", input))


class Relu(Function):
    """out = max(x, 0); relu'(0) = 0, as PyTorch."""

    @staticmethod
    def forward(ctx, x):
        out = np.asarray(np.maximum(x.data, 0))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return keep_where(out.data > 0, grad)  # a Where node, differentiable in grad

    @staticmethod
    def backward_numpy(ctx, grad):
        (out,) = ctx.saved_tensors
        if grad.data.dtype != out.data.dtype:  # the bit trick needs one dtype
            return keep_where(out.data > 0, grad)
        return _wrap(_keep_positive(grad.data, out.data))

    jvp = diagonal_jvp


def _keep_positive(grad: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``np.where(out > 0, grad, 0)`` as a bitwise and with an all-ones/all-zeros integer mask.

    The same bits as np.where (inf or NaN in grad still give +0.0 where out <= 0, which a
    product with the mask would turn into NaN), without np.where's branch per element, ~10x
    slower on a random mask: relu's backward on (128, 512) float32 takes ~30 us instead of ~330.
    """
    bits = np.dtype(f"i{grad.dtype.itemsize}")
    mask = np.asarray(out > 0).astype(bits)  # asarray: 0-d comparisons give a scalar
    np.negative(mask, out=mask)  # 1 -> all bits set
    np.bitwise_and(mask, grad.view(bits), out=mask)
    return mask.view(grad.dtype)


def relu(input: Tensor) -> Tensor:
    """``max(input, 0)``; integer tensors stay integer.

    Example:
        >>> import chainrule
        >>> chainrule.relu(chainrule.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    return Relu.apply(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``input`` where positive, ``negative_slope * input`` elsewhere (slope at 0 included).

    Example:
        >>> import chainrule
        >>> chainrule.leaky_relu(chainrule.tensor([-2.0, 3.0]), 0.1)
        tensor([-0.2000,  3.0000])
    """
    return where(input > 0, input, input * negative_slope)


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``input`` where positive, ``alpha * (exp(input) - 1)`` elsewhere.

    Example:
        >>> import chainrule
        >>> chainrule.elu(chainrule.tensor([-1.0, 2.0]))
        tensor([-0.6321,  2.0000])
    """
    # expm1 sees min(input, 0): the branch where() drops must stay finite, or its zero
    # gradient times an infinite derivative would give NaN.
    negative = expm1(clamp(input, max=0.0)) * alpha
    return where(input > 0, input, negative)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``input * Φ(input)``, Φ the standard normal CDF; ``approximate="tanh"`` uses
    ``0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))``.

    Example:
        >>> import chainrule
        >>> chainrule.gelu(chainrule.tensor([-1.0, 1.0]))
        tensor([-0.1587,  0.8413])
    """
    if approximate == "none":
        return input * (erf(input * (1 / math.sqrt(2))) + 1) * 0.5
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * _SQRT_2_OVER_PI
        return input * (tanh(inner) + 1) * 0.5
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input: Tensor) -> Tensor:
    """``input * sigmoid(input)`` (also called swish).

    Example:
        >>> import chainrule
        >>> chainrule.silu(chainrule.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7311])
    """
    return input * sigmoid(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * input)) / beta``, and ``input`` itself where
    ``beta * input > threshold`` (where the two agree to float precision).

    Example:
        >>> import chainrule
        >>> chainrule.softplus(chainrule.tensor([0.0, 30.0]))
        tensor([ 0.6931, 30.0000])
    """
    scaled = input * beta
    # exp sees at most `threshold`: the dropped branch must not overflow (see elu).
    smooth = log1p(exp(clamp(scaled, max=threshold))) / beta
    return where(scaled > threshold, input, smooth)


def _softmax_input(op: str, input: Tensor, dim: int, dtype) -> tuple[Tensor, int | None]:
    """The input cast as asked (integers to float32) and `dim` checked; None for a 0-d input."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if dtype is not None:
        input = to_dtype(input, dtype)
    input = _float_input(op, input)
    (axis,) = normalize_dims(op, dim, input.data.ndim) or (None,)
    return input, axis


def _shifted(x: np.ndarray, axis: int | None) -> np.ndarray:
    """x - max(x) along `axis`, as a new array (also for 0-d x): every exponent is <= 0."""
    peak = np.max(x, axis=axis, keepdims=True, initial=-np.inf)  # initial: empty slices
    return np.subtract(x, peak, out=np.empty_like(x))


class Softmax(Function):
    """out = e^(x - max) / Σ e^(x - max) along a dim. A primitive for stability (no overflow
    at any logit) and speed; its rule uses the output, so gradients of gradients are exact."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        out = _shifted(x.data, axis)
        np.exp(out, out=out)
        out /= out.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        # Jacobian diag(s) - s sᵀ: grad_x = s * (grad - Σ grad * s)
        weighted = (grad * out).sum(dim=ctx.axis, keepdim=True)
        return out * (grad - weighted), None

    jvp = diagonal_jvp  # its Jacobian diag(s) - s sᵀ is symmetric


def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """``exp(input) / exp(input).sum(dim)``, computed without overflow.

    Args:
        dim: the dimension whose slices sum to 1.
        dtype: if given, the input is cast to it first.

    Example:
        >>> import chainrule
        >>> chainrule.softmax(chainrule.tensor([1.0, 1e4, 1e4]), dim=0)
        tensor([0.0000, 0.5000, 0.5000])
    """
    input, axis = _softmax_input("softmax", input, dim, dtype)
    return Softmax.apply(input, axis)


class LogSoftmax(Function):
    """out = x - max - log Σ e^(x - max) along a dim. A primitive for stability: it never
    takes the log of an underflowed softmax, so -1e4 logits give finite results."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        out = _shifted(x.data, axis)
        out -= np.log(np.exp(out).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        # d log_softmax: grad_x = grad - softmax * Σ grad, with softmax = e^out
        return grad - exp(out) * grad.sum(dim=ctx.axis, keepdim=True), None

    @staticmethod
    def jvp(ctx, tangent, _):
        # J = I - 1 sᵀ: the tangent minus its softmax-weighted mean
        return tangent - (exp(ctx.out) * tangent).sum(dim=ctx.axis, keepdim=True)


def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """``log(softmax(input, dim))``, computed without overflow or underflow.

    Args:
        dim: the dimension to normalise over.
        dtype: if given, the input is cast to it first.

    Example:
        >>> import chainrule
        >>> chainrule.log_softmax(chainrule.tensor([0.0, 1e4]), dim=0)
        tensor([-10000.,      0.])
    """
    input, axis = _softmax_input("log_softmax", input, dim, dtype)
    return LogSoftmax.apply(input, axis)


# -- softmax cross-entropy: log_softmax and nll_loss fused -----------------------------------
class ClassTargets(NamedTuple):
    """The target distribution q of one cross-entropy call, row by row: ``pick[n]`` at class
    ``index[n]`` plus ``keep[n] * smooth[c]`` at every class c (None: pick 1, keep 1, no
    smoothing), and how the per-row losses are reduced.

    Class weights, ignore_index (pick = keep = 0) and label smoothing are all folded into
    q by ``nn.functional.cross_entropy``; this primitive only sees the distribution.
    """

    index: np.ndarray  # (N,) int64, a valid class in every row (ignored rows pick 0)
    pick: np.ndarray | None  # (N,)
    smooth: np.ndarray | None  # (C,)
    keep: np.ndarray | None  # (N,)
    reduction: str  # 'none', 'sum' or 'mean'
    count: float  # what 'mean' divides by: the summed weight of the kept targets
    shape: tuple  # the shape of 'none''s result: (N,), or () for an unbatched (C,) input

    def totals(self):
        """Σ_c q[n, c] per row, (N, 1), or None where it is 1 for every row."""
        total = self.pick
        if self.smooth is not None:
            spread = self.smooth.sum() if self.keep is None else self.keep * self.smooth.sum()
            total = (1 if total is None else total) + spread
        return None if total is None else np.reshape(total, (-1, 1))

    def dense(self, n_classes: int, dtype) -> np.ndarray:
        """q itself, (N, C)."""
        q = np.zeros((len(self.index), n_classes), dtype)
        q[np.arange(len(self.index)), self.index] = 1 if self.pick is None else self.pick
        if self.smooth is not None:
            q += self.smooth if self.keep is None else self.keep[:, None] * self.smooth
        return q

    def flat_index(self, n_classes: int) -> np.ndarray:
        """The positions of the target classes in the flattened (N, C) logits."""
        return np.arange(0, len(self.index) * n_classes, n_classes) + self.index

    def scale(self) -> float:
        """d result / d (sum of row losses): 1 / count for 'mean' (0 if nothing is kept: the
        loss is NaN and gradients are zero, as PyTorch), else 1."""
        if self.reduction != "mean":
            return 1.0
        return 1.0 / self.count if self.count else 0.0


class SoftmaxCrossEntropy(Function):
    """out_n = -Σ_c q[n, c] log_softmax(x)[n, c] for logits x (N, C) or (C,), reduced; q is
    given by ``ClassTargets`` (class indices with weights, ignore_index, label smoothing).

    A primitive for speed, as PyTorch fuses log_softmax and nll_loss: forward is a few passes
    over (N, C), and the rule reuses forward's softmax s, d out_n / d x[n] = Σ_c q[n, c] s[n]
    - q[n] (s - onehot for plain targets). In ``mlp_step`` cross_entropy forward + backward on
    (128, 10) took ~160 us composed of LogSoftmax, Index, Sum ... nodes, ~60 us fused (the NumPy
    floor's hand-written one: ~35 us).
    The usual backward is NumPy; with create_graph (or under vmap or forward AD) the same rule
    runs as ops on a recomputed ``softmax(x)``, so gradients of every order work.
    """

    @staticmethod
    def forward(ctx, x, targets):
        # C order: backward writes the target classes through out.reshape(-1), which of a
        # transposed (F-order) array would be a copy, and the write would be lost
        z = np.ascontiguousarray(x.data.reshape(-1, x.data.shape[-1]))
        shifted = z - _row_max(z)
        probs = np.exp(shifted)
        sums = probs.sum(axis=1, keepdims=True)
        log_sums = np.log(sums)[:, 0]
        flat = targets.flat_index(z.shape[1])  # of (n, index[n]) in z.ravel()
        logp = shifted.reshape(-1).take(flat) - log_sums  # at the target class
        loss = -logp if targets.pick is None else -(targets.pick * logp)
        if targets.smooth is not None:
            spread = shifted @ targets.smooth - log_sums * targets.smooth.sum()
            loss -= spread if targets.keep is None else targets.keep * spread
        if ctx.needs_input_grad[0]:
            probs /= sums
            ctx.probs, ctx.targets, ctx.flat = probs, targets, flat
            ctx.save_for_backward(x)
        if targets.reduction == "none":
            return loss.reshape(targets.shape)
        total = np.asarray(loss.sum())
        if targets.reduction == "mean":  # every target ignored: NaN, as PyTorch
            total = total / z.dtype.type(targets.count) if targets.count else total + np.nan
        return total

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors  # the rule as ops, differentiable in x and grad
        return _ce_coefficients(x, ctx.targets) * _ce_row_scale(grad, ctx.targets), None

    @staticmethod
    def backward_numpy(ctx, grad):
        (x,) = ctx.saved_tensors
        targets = ctx.targets
        probs, g = ctx.probs, grad.data
        if targets.reduction == "none":
            r = g.reshape(-1, 1)
        else:
            r = g * np.asarray(targets.scale(), g.dtype)
        totals = targets.totals()
        out = probs * (r if totals is None else totals * r)
        pick = r[:, 0] if r.ndim else r
        out.reshape(-1)[ctx.flat] -= pick if targets.pick is None else targets.pick * pick
        if targets.smooth is not None:
            keep = r if targets.keep is None else targets.keep[:, None] * r
            out -= keep * targets.smooth
        return _wrap(out.reshape(x.data.shape)), None

    @staticmethod
    def jvp(ctx, tangent, _):
        x, targets = ctx.primals
        rows = (_ce_coefficients(x, targets) * tangent).sum(dim=-1)  # J t, row by row
        if targets.reduction == "none":
            return rows
        total = rows.sum()
        return total * targets.scale() if targets.reduction == "mean" else total


def _row_max(z: np.ndarray) -> np.ndarray:
    """z.max(axis=1, keepdims=True) of a 2-D array. With few columns (classes) NumPy's
    reduction along the rows is slow (~10 us on (128, 10)), so the max runs down the columns
    of a transposed copy instead (~2.5 us)."""
    if z.shape[1] > 32 or not z.size:
        return z.max(axis=1, keepdims=True)
    return np.ascontiguousarray(z.T).max(axis=0)[:, None]


def _ce_coefficients(x: Tensor, targets: ClassTargets) -> Tensor:
    """d out_n / d x[n] as ops: Σ_c q[n, c] softmax(x)[n] - q[n], in the shape of x."""
    probs = softmax(x, dim=-1)
    dtype = x.data.dtype
    totals = targets.totals()
    if totals is not None:
        probs = probs * _wrap(totals.astype(dtype, copy=False).reshape(*x.shape[:-1], 1))
    return probs - _wrap(targets.dense(x.shape[-1], dtype).reshape(x.shape))


def _ce_row_scale(grad: Tensor, targets: ClassTargets) -> Tensor:
    """What each row's coefficients are multiplied by: its loss's gradient."""
    if targets.reduction == "none":
        return grad.reshape(*grad.shape, 1)
    return grad * targets.scale()


def softmax_cross_entropy(input: Tensor, targets: ClassTargets) -> Tensor:
    """Cross-entropy of logits ``input`` against ``targets`` (see
    :func:`chainrule.nn.functional.cross_entropy`, which checks the arguments and makes them)."""
    return SoftmaxCrossEntropy.apply(input, targets)
