"""Normalisation: (x - mean) / sqrt(var + eps), then a per-feature scale and shift.

batch_norm takes the statistics over the batch (and spatial) dimensions per channel,
layer_norm over the trailing ``normalized_shape`` per sample, group_norm over groups of
channels per sample; the variance is the biased one (divide by N), as PyTorch. batch_norm and
layer_norm are one primitive each (``BatchNorm``, ``LayerNorm``: NumPy forward, closed-form
backward, the same rule in chainrule ops when it must be differentiable again); group_norm
standardises each group as a LayerNorm row. Mixed dtypes take the composed path (mean, sub,
mul, rsqrt), whose derivatives need no rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ...autograd.forward_ad import add_terms
from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled
from ...errors import DTypeError, ShapeError
from ...ops.reduction import norm
from ...tensor import Tensor, _wrap

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
    if training and input.data.size // c <= 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                         f"training, got input of shape {tuple(input.shape)}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm: running_mean and running_var are needed when not "
                         "training; pass training=True to use the batch's statistics")
    if _fusable(input, (running_mean, running_var), (weight, bias)):
        return BatchNorm.apply(input, weight, bias, running_mean, running_var, bool(training),
                               momentum, eps)
    dims = (0, *range(2, input.ndim))
    shape = (1, c) + (1,) * (input.ndim - 2)
    if training:
        out, mean, var = _standardize(input, dims, eps)
        _update_running(running_mean, running_var, mean.data, var.data, momentum,
                        input.data.size // c)
    else:
        out = (input - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps).rsqrt()
    return _affine(out, weight, bias, shape)


def _fusable(input: Tensor, stats: tuple, params: tuple) -> bool:
    """Whether :class:`BatchNorm` applies: one dtype throughout and running statistics that
    take no gradient (as in PyTorch). Anything else, mixed dtypes say, is composed."""
    dtype = input.data.dtype
    return (all(t is None or t.data.dtype == dtype and not t.requires_grad for t in stats)
            and all(t is None or t.data.dtype == dtype for t in params))


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


def _channels(x: np.ndarray) -> np.ndarray:
    """(N, C, *) as (N, C, L): each channel's values in N rows of L."""
    return x.reshape(x.shape[0], x.shape[1], math.prod(x.shape[2:]))


_BLOCK_BYTES = 1 << 18  # a block of rows that stays in the L2 cache between passes


def _blocks(x3: np.ndarray):
    """Slices of dim 0 of (N, C, L) of about _BLOCK_BYTES each, and a scratch buffer that fits
    one: BatchNorm's passes centre a block in cache instead of writing a centred copy of x."""
    rows = max(1, _BLOCK_BYTES // max(1, x3[0].nbytes)) if len(x3) else 1
    buf = np.empty((min(rows, x3.shape[0]), *x3.shape[1:]), x3.dtype)
    return [slice(i, i + rows) for i in range(0, x3.shape[0], rows)], buf


class BatchNorm(Function):
    """y = (x - mean) * inv_std * weight + bias per channel (dim 1), inv_std = 1/sqrt(var + eps).

    Training: mean and (biased) var are the batch's, over every dim but 1, and the running
    statistics are updated in place; eval: they are running_mean and running_var.

    A primitive for speed (PyTorch fuses it too): composed, a BatchNorm2d on (32, 64, 32, 32)
    float32 took ~33 ms forward + backward, fused ~14 ms, torch ~8 ms. Forward: the mean is one
    ``einsum``; the variance is summed over blocks of rows centred in a cache-sized buffer
    (two passes, so no cancellation), and the output is x scale + (bias - mean scale), one
    multiply and one add. Backward, with xhat = (x - mean) inv_std and means over each
    channel's M = N * L values, is the closed form

        grad_x = weight inv_std (grad - mean(grad) - xhat mean(grad xhat))   (training)
        grad_x = weight inv_std grad                                         (eval)
        grad_weight = sum(grad xhat),  grad_bias = sum(grad),

    in chainrule ops in ``backward``, with xhat recomputed from x, so it is differentiable
    again (``create_graph``, forward AD); ``backward_numpy`` is the same rule in NumPy from x and
    the saved statistics, for a backward that records nothing.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        x3 = _channels(x.data)
        count = x3.shape[0] * x3.shape[2]
        blocks, buf = _blocks(x3)
        if training:
            mean = np.einsum("ncl->c", x3) / count
            var = np.zeros_like(mean)
            for rows in blocks:
                centred = np.subtract(x3[rows], mean[:, None], out=buf[:len(x3[rows])])
                var += np.einsum("ncl,ncl->c", centred, centred)
            var /= count
            _update_running(running_mean, running_var, mean, var, momentum, count)
        else:
            mean, var = running_mean.data.copy(), running_var.data
        inv_std = 1 / np.sqrt(var + eps)
        scale = inv_std if weight is None else inv_std * weight.data
        shift = -mean * scale if bias is None else bias.data - mean * scale
        out = np.empty_like(x3)
        for rows in blocks:  # out = x scale + (bias - mean scale), as PyTorch's CPU kernel
            block = np.multiply(x3[rows], scale[:, None], out=out[rows])
            block += shift[:, None]
        ctx.save_for_backward(x, weight)
        ctx.stats = (mean, inv_std, training, eps)
        return out.reshape(x.data.shape)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        xhat, inv_std = _xhat(x, ctx.stats, True)
        dims, shape = _dims(x)
        grads = _norm_grads(xhat, inv_std, _reshaped(weight, shape), grad, dims, dims,
                            ctx.stats[2], ctx.needs_input_grad)
        return (*grads, None, None, None, None, None)

    @staticmethod
    def backward_numpy(ctx, grad):
        x, weight = ctx.saved_tensors
        grads = _batch_norm_grads_numpy(x.data, weight, grad.data, ctx.stats,
                                        ctx.needs_input_grad)
        return (*grads, None, None, None, None, None)

    @staticmethod
    def jvp(ctx, tangent_x, tangent_w, tangent_b, *_):
        x, weight = ctx.primals[:2]
        xhat, inv_std = _xhat(x, ctx.stats, is_grad_enabled() and x.requires_grad)
        dims, shape = _dims(x)
        return _norm_jvp(xhat, inv_std, _reshaped(weight, shape), (tangent_x, tangent_w,
                         tangent_b), dims, shape, ctx.stats[2])


def _dims(x: Tensor) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The dims the statistics run over, and the shape a (C,) vector broadcasts as."""
    return (0, *range(2, x.ndim)), (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _xhat(x: Tensor, stats: tuple, graph: bool) -> tuple[Tensor, Tensor]:
    """(xhat, inv_std) with kept dims: recomputed from x in chainrule ops if ``graph`` (and
    training), so gradients flow through the statistics; else from the saved statistics."""
    mean, inv_std, training, eps = stats
    dims, shape = _dims(x)
    if graph and training:
        xhat, _, var = _standardize(x, dims, eps)
        return xhat, (var + eps).rsqrt()
    inv = _wrap(inv_std.reshape(shape))
    if graph:
        return (x - _wrap(mean.reshape(shape))) * inv, inv
    return _wrap((x.data - mean.reshape(shape)) * inv.data), inv


def _reshaped(weight: Tensor | None, shape: tuple[int, ...]) -> Tensor | None:
    return None if weight is None else weight.reshape(shape)


def _norm_grads(xhat: Tensor, inv_std: Tensor, weight: Tensor | None, grad: Tensor,
                dims: tuple[int, ...], param_dims: tuple[int, ...], project: bool,
                need) -> tuple:
    """The gradients of y = xhat * weight + bias in chainrule ops (differentiable), weight
    broadcast like xhat: with g = grad * weight and means over ``dims``,

        grad_x = inv_std (g - mean(g) - xhat mean(g xhat))    (``project``: batch statistics)
        grad_x = inv_std g                                    (fixed statistics)

    grad_weight = sum(grad xhat) and grad_bias = sum(grad) over ``param_dims``."""
    grad_x = grad_w = grad_b = None
    if need[0]:
        g = grad if weight is None else grad * weight
        if project:
            g = g - g.mean(dims, keepdim=True) - xhat * (g * xhat).mean(dims, keepdim=True)
        grad_x = g * inv_std
    if need[1]:
        grad_w = grad * xhat
        grad_w = grad_w.sum(param_dims) if param_dims else grad_w
    if need[2]:
        grad_b = grad.sum(param_dims) if param_dims else grad
    return grad_x, grad_w, grad_b


def _norm_jvp(xhat: Tensor, inv_std: Tensor, weight: Tensor | None, tangents: tuple,
              dims: tuple[int, ...], param_shape: tuple[int, ...], project: bool) -> Tensor:
    """The tangent of y = xhat * weight + bias: in x, the Jacobian is symmetric, so it is
    grad_x's rule of :func:`_norm_grads` applied to the tangent."""
    tangent_x, tangent_w, tangent_b = tangents
    terms = []
    if tangent_x is not None:
        t = tangent_x
        if project:
            t = t - t.mean(dims, keepdim=True) - xhat * (xhat * t).mean(dims, keepdim=True)
        t = t * inv_std
        terms.append(t if weight is None else t * weight)
    if tangent_w is not None:
        terms.append(xhat * tangent_w.reshape(param_shape))
    if tangent_b is not None:
        terms.append(tangent_b.reshape(param_shape))
    return add_terms(terms)


def _batch_norm_grads_numpy(x: np.ndarray, weight: Tensor | None, grad: np.ndarray,
                            stats: tuple, need) -> tuple:
    """The same rule in NumPy: grad_x = scale grad + k (x - mean) + shift per channel, with
    scale = weight inv_std and (training) k = -scale inv_std^2 mean(grad (x - mean)), shift =
    -scale mean(grad). Two passes over blocks of rows: the sums (x centred block by block in
    a cache-sized buffer), then grad_x."""
    mean, inv_std, training, _ = stats
    g3, x3 = _channels(grad), _channels(x)
    count = x3.shape[0] * x3.shape[2]
    blocks, buf = _blocks(x3)
    scale = inv_std if weight is None else inv_std * weight.data
    sum_g = np.einsum("ncl->c", g3) if need[2] or need[0] and training else None
    dot = None  # sum(grad (x - mean))
    if need[1] or need[0] and training:
        dot = np.zeros_like(inv_std)
        for rows in blocks:
            centred = np.subtract(x3[rows], mean[:, None], out=buf[:len(x3[rows])])
            dot += np.einsum("ncl,ncl->c", g3[rows], centred)
    grad_x = None
    if need[0] and training:  # k (x - mean) + shift as k x + (shift - k mean), as the forward
        k = -scale * inv_std * inv_std * dot / count
        shift = (-scale * sum_g / count - k * mean)[:, None]
        grad_x = np.empty_like(g3)
        for rows in blocks:
            part = np.multiply(x3[rows], k[:, None], out=buf[:len(x3[rows])])
            part += shift
            block = np.multiply(g3[rows], scale[:, None], out=grad_x[rows])
            block += part
    elif need[0]:
        grad_x = g3 * scale[:, None]
    grad_x = None if grad_x is None else _wrap(grad_x.reshape(x.shape))
    grad_w = _wrap(dot * inv_std) if need[1] else None
    grad_b = _wrap(sum_g) if need[2] else None
    return grad_x, grad_w, grad_b


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
    if _fusable(input, (), (weight, bias)):
        return LayerNorm.apply(input, weight, bias, k, eps)
    out = _standardize(input, tuple(range(input.ndim - k, input.ndim)), eps)[0]
    return _affine(out, weight, bias, shape)


class LayerNorm(Function):
    """y = xhat * weight + bias, xhat = (x - mean) / sqrt(var + eps), the statistics over the
    last ``k`` dims of each sample (a row of D values when x is seen as (M, D)).

    A primitive for speed, as in PyTorch: composed, a LayerNorm over 128 features of (32, 64)
    samples (float32) took ~3.6 ms forward + backward against torch's ~0.4 ms (two of them are
    ~13% of attention_step). Forward saves xhat; the backward is :func:`_norm_grads`'s closed
    form (means over each row): ``backward`` in chainrule ops with xhat recomputed from x, so it
    is differentiable again, ``backward_numpy`` in NumPy from the saved xhat when the backward
    records nothing.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, k, eps):
        x2 = _rows(x.data, k)
        mean = np.einsum("md->m", x2) / x2.shape[1]
        xhat = x2 - mean[:, None]
        var = np.einsum("md,md->m", xhat, xhat) / x2.shape[1]
        inv_std = 1 / np.sqrt(var + eps)
        xhat *= inv_std[:, None]
        out = xhat.copy() if weight is None else xhat * weight.data.reshape(-1)
        if bias is not None:
            out += bias.data.reshape(-1)
        ctx.save_for_backward(x, weight)
        ctx.xhat, ctx.inv_std, ctx.k, ctx.eps = xhat, inv_std, k, eps
        return out.reshape(x.data.shape)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        dims, lead = _trailing(x, ctx.k)
        xhat, _, var = _standardize(x, dims, ctx.eps)
        grads = _norm_grads(xhat, (var + ctx.eps).rsqrt(), weight, grad, dims, lead, True,
                            ctx.needs_input_grad)
        return (*grads, None, None)

    @staticmethod
    def backward_numpy(ctx, grad):
        x, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        g2, xhat, w = _rows(grad.data, ctx.k), ctx.xhat, weight
        grad_w = _wrap(np.einsum("md,md->d", g2, xhat).reshape(w.shape)) if need[1] else None
        grad_b = _wrap(g2.sum(0).reshape(x.shape[x.ndim - ctx.k:])) if need[2] else None
        grad_x = None
        if need[0]:
            g = g2 * w.data.reshape(-1) if w is not None else g2.copy()
            d = g.shape[1]
            mean_g = np.einsum("md->m", g) / d
            mean_gx = np.einsum("md,md->m", g, xhat) / d
            g -= xhat * mean_gx[:, None]
            g -= mean_g[:, None]
            g *= ctx.inv_std[:, None]
            grad_x = _wrap(g.reshape(x.shape))
        return grad_x, grad_w, grad_b, None, None

    @staticmethod
    def jvp(ctx, tangent_x, tangent_w, tangent_b, *_):
        x, weight = ctx.primals[:2]
        dims, _ = _trailing(x, ctx.k)
        if is_grad_enabled() and x.requires_grad:  # the tangent is differentiable in x
            xhat, _, var = _standardize(x, dims, ctx.eps)
            inv_std = (var + ctx.eps).rsqrt()
        else:
            xhat = _wrap(ctx.xhat.reshape(x.shape))
            inv_std = _wrap(ctx.inv_std.reshape(x.shape[:x.ndim - ctx.k] + (1,) * ctx.k))
        return _norm_jvp(xhat, inv_std, weight, (tangent_x, tangent_w, tangent_b), dims,
                         tuple(x.shape[x.ndim - ctx.k:]), True)


def _rows(x: np.ndarray, k: int) -> np.ndarray:
    """x as (M, D): the last ``k`` dims flattened into rows of D values."""
    d = math.prod(x.shape[x.ndim - k:])
    return x.reshape(math.prod(x.shape[:x.ndim - k]), d)


def _trailing(x: Tensor, k: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The last ``k`` dims (the statistics'), and the leading ones (the parameters' sums)."""
    return tuple(range(x.ndim - k, x.ndim)), tuple(range(x.ndim - k))


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
    # Each group is a row: the fused LayerNorm standardises it (the affine is per channel).
    out = LayerNorm.apply(grouped, None, None, 1, eps) if _fusable(input, (), ()) else \
        _standardize(grouped, (2,), eps)[0]
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
