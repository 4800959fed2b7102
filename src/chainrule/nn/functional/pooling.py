"""Pooling: max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool1d/2d and adaptive_max_pool1d/2d.

Max pooling finds each window's argmax in NumPy as a code, the window offset (0 to kh*kw - 1)
of its first maximum, and gathers it with ``TakeWindow``, whose backward ``PutWindow``
scatters the gradient back by one masked pass per offset (each the other's backward, so
double backward works). Adaptive max pooling gathers with ``TakeFlat`` (flat indices).
Average pooling is a convolution with a kernel of ones over each channel, divided by the
window sizes; adaptive average pooling is two products with averaging matrices.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from ...autograd.function import Function
from ...errors import DTypeError, ShapeError
from ...ops.conv import _padded, convolution, take_flat
from ...tensor import Tensor, _wrap
from .conv import _tuple

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d"]

IntOrPair = int | Sequence[int]


def _check_input(op: str, input: Tensor, nd: int) -> None:
    if input.ndim not in (nd + 1, nd + 2):
        raise ShapeError(f"{op}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) "
                         f"input, got shape {tuple(input.shape)}")
    if input.data.dtype.kind != "f":
        raise DTypeError(f"{op}: input must be a floating point tensor, got {input.dtype}")


def _pool_size(op: str, size: int, kernel: int, stride: int, pad: int, dilation: int,
               ceil_mode: bool) -> int:
    """PyTorch's pooling output size: with ceil_mode, a last partial window is kept if it
    starts inside the input or the left padding."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    if out < 1:
        raise ShapeError(f"{op}: the window (kernel_size {kernel}, dilation {dilation}) does "
                         f"not fit the input of size {size} with padding {pad}")
    return out


def _pool_args(op: str, input: Tensor, kernel_size, stride, padding, dilation, ceil_mode: bool):
    """Pairs of kernel, stride, dilation; per-side padding (extra on the right for ceil_mode)
    and the output size."""
    kernel = _tuple(op, "kernel_size", kernel_size, 2, 1)
    stride = kernel if stride is None else _tuple(op, "stride", stride, 2, 1)
    pad = _tuple(op, "padding", padding, 2, 0)
    dilation = _tuple(op, "dilation", dilation, 2, 1)
    if any(p > k / 2 for p, k in zip(pad, kernel)):
        raise ValueError(f"{op}: padding should be at most half of kernel_size, but got "
                         f"padding={padding} and kernel_size={kernel_size}")
    out = tuple(_pool_size(op, input.shape[2 + d], kernel[d], stride[d], pad[d], dilation[d],
                           ceil_mode) for d in range(2))
    reach = [(out[d] - 1) * stride[d] + dilation[d] * (kernel[d] - 1) + 1 for d in range(2)]
    pads = tuple((pad[d], max(pad[d], reach[d] - input.shape[2 + d] - pad[d]))
                 for d in range(2))
    return kernel, stride, pads, dilation, out


def _as_4d(op: str, nd: int, input: Tensor, kernel_size, stride, padding, dilation):
    """A batched (N, C, H, W) input, and for 1-D pooling the arguments for height 1."""
    _check_input(op, input, nd)
    x = input if input.ndim == nd + 2 else input.unsqueeze(0)
    if nd == 2:
        return x, kernel_size, stride, padding, dilation
    one = [_tuple(op, name, v, 1, low)[0] for name, v, low in (
        ("kernel_size", kernel_size, 1), ("padding", padding, 0), ("dilation", dilation, 1))]
    stride = None if stride is None else (1, _tuple(op, "stride", stride, 1, 1)[0])
    return x.unsqueeze(2), (1, one[0]), stride, (0, one[1]), (1, one[2])


def _from_4d(nd: int, input: Tensor, out: Tensor) -> Tensor:
    if nd == 1:
        out = out.squeeze(2)
    return out if input.ndim == nd + 2 else out.squeeze(0)


def _max_pool(op: str, nd: int, input: Tensor, kernel_size, stride, padding, dilation,
              ceil_mode: bool, return_indices: bool):
    x, kernel_size, stride, padding, dilation = _as_4d(op, nd, input, kernel_size, stride,
                                                       padding, dilation)
    kernel, stride, pads, dilation, out_size = _pool_args(op, x, kernel_size, stride, padding,
                                                          dilation, ceil_mode)
    conf = _Windows(kernel, stride, pads, dilation, out_size)
    if not return_indices:  # the maxima are found in the forward (so vmap can batch it)
        return _from_4d(nd, input, TakeWindow.apply(x, None, conf, None))
    values, code = conf.argmax(x.data)
    out = _from_4d(nd, input, TakeWindow.apply(x, code, conf, values))
    offsets, starts = conf.flat_plan(x.shape[3])
    return out, _from_4d(nd, input, _wrap(offsets.take(code) + starts))


class _Windows:
    """One pooling configuration: kernel, stride, per-side padding, dilation and output size
    (pairs), with the strided views and index plans that follow from them."""

    def __init__(self, kernel, stride, pads, dilation, out_size) -> None:
        self.kernel, self.stride, self.pads = kernel, stride, pads
        self.dilation, self.out_size = dilation, out_size
        self.slices = _window_slices(kernel, stride, dilation, out_size)
        # No two windows share an input position: the scatter writes instead of adding.
        self.disjoint = all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation,
                                                                        strict=True))

    def views(self, xp: np.ndarray) -> list[np.ndarray]:
        """The (N, C, oh, ow) views of the padded ``xp``, one per kernel offset."""
        return [xp[:, :, rows, cols] for rows, cols in self.slices]

    def covers(self, size: tuple[int, ...]) -> bool:
        """Whether the windows tile an input of ``size`` exactly (each position once)."""
        return (self.disjoint and self.pads == ((0, 0), (0, 0))
                and self.dilation == (1, 1) and self.stride == self.kernel
                and all(o * k == n for o, k, n in zip(self.out_size, self.kernel, size[2:],
                                                  strict=True)))

    def argmax(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each window's maximum of ``x`` (padded with -inf) and its code: the first maximum,
        or the last NaN, as PyTorch."""
        views = self.views(_padded(x, self.pads, -np.inf))
        values, code = (_first_max_2x2 if self.kernel == (2, 2) else _first_max)(views)
        if np.isnan(values).any():  # np.maximum propagates NaN: values has one iff a window has
            values, code = _nan_window_max(views)
        return values, code

    def flat_plan(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        return _flat_plan(self.kernel, self.stride, self.pads, self.dilation, self.out_size,
                          width)


def _first_max(views: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Maxima first, then the first offset that attains each (twice as fast as a running
    argmax)."""
    best = views[0].copy()
    for view in views[1:]:
        np.maximum(best, view, out=best)
    arg = np.full(best.shape, len(views) - 1, dtype=np.int16)
    for k in range(len(views) - 2, -1, -1):
        np.copyto(arg, k, where=views[k] == best)
    return best, arg


def _first_max_2x2(views: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The maxima of 2x2 windows (views: offsets 0, 1 on the top row, 2, 3 below) and the
    first offset of each, as a tournament: the bottom row wins only if its maximum is strictly
    larger, and within the row the right column only if strictly larger, so a tie keeps the
    first. Boolean passes only: ``np.copyto(..., where=)`` is three times slower."""
    top, bottom = np.maximum(views[0], views[1]), np.maximum(views[2], views[3])
    lower = top < bottom
    right, right_below = views[1] > views[0], views[3] > views[2]
    np.bitwise_xor(right_below, right, out=right_below)  # right = lower ? right_below : right
    right_below &= lower
    right ^= right_below
    arg = lower.view(np.uint8) << np.uint8(1)
    arg += right
    return np.maximum(top, bottom, out=top), arg


def _nan_window_max(views: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Running maximum where a NaN replaces anything (PyTorch's rule), and its offsets."""
    best, arg = views[0].copy(), np.zeros(views[0].shape, dtype=np.int16)
    for k, view in enumerate(views[1:], 1):
        better = (view > best) | np.isnan(view)
        np.copyto(best, view, where=better)
        np.copyto(arg, k, where=better)
    return best, arg


@functools.lru_cache(maxsize=64)
def _window_slices(kernel, stride, dilation, out_size) -> tuple:
    """(rows, cols) slices of each kernel offset's window entries, offsets row-major."""
    return tuple((slice(i * dilation[0], i * dilation[0] + stride[0] * (out_size[0] - 1) + 1,
                        stride[0]),
                  slice(j * dilation[1], j * dilation[1] + stride[1] * (out_size[1] - 1) + 1,
                        stride[1]))
                 for i in range(kernel[0]) for j in range(kernel[1]))


@functools.lru_cache(maxsize=64)
def _flat_plan(kernel, stride, pads, dilation, out_size, width: int):
    """For return_indices: a code's offset in the H*W plane, and each window's start there
    (index = offsets[code] + starts), made once per shape."""
    offsets = np.array([i * dilation[0] * width + j * dilation[1]
                        for i in range(kernel[0]) for j in range(kernel[1])], dtype=np.int64)
    starts = ((np.arange(out_size[0]) * stride[0] - pads[0][0])[:, None] * width
              + np.arange(out_size[1]) * stride[1] - pads[1][0])
    return offsets, starts


class TakeWindow(Function):
    """out[n, c, i, j] = xpad[n, c] at window (i, j)'s kernel offset code[n, c, i, j].

    ``code`` None: max pooling, the codes of the windows' maxima found here. ``values``: the
    result, when the caller found it along with the codes.
    """

    @staticmethod
    def forward(ctx, x, code, conf, values=None):
        if code is None:
            values, code = conf.argmax(x.data)
        elif values is None:
            values = np.empty(code.shape, x.data.dtype)
            for k, view in enumerate(conf.views(_padded(x.data, conf.pads))):
                np.copyto(values, view, where=code == k)
        ctx.code, ctx.conf, ctx.size = code, conf, x.data.shape
        return values

    @staticmethod
    def backward(ctx, grad):
        return PutWindow.apply(grad, ctx.code, ctx.conf, ctx.size), None, None, None

    @staticmethod
    def jvp(ctx, tangent, *_):
        return TakeWindow.apply(tangent, ctx.code, ctx.conf, None)  # linear; values belong to x


class PutWindow(Function):
    """out = zeros(size); out at window (i, j)'s offset code[n, c, i, j] += g[n, c, i, j].

    One pass per kernel offset: the gradient times the offset's mask, written into that
    offset's strided view (added where windows overlap). Windows that tile the input write
    every position once, so out needs no zeroing. On (64, 16, 28, 28), 2x2: ~1.0 ms against
    ~1.1 for a put_along_axis of flat indices, and no int64 index is built in the forward.
    """

    @staticmethod
    def forward(ctx, g, code, conf, size):
        grad = g.data
        (top, bottom), (left, right) = conf.pads
        n, c, h, w = size
        shape = (n, c, h + top + bottom, w + left + right)
        finite = bool(np.isfinite(grad).all())  # else inf * 0 would spread NaN: masked adds
        fresh = np.empty if finite and conf.covers(size) else np.zeros
        out = fresh(shape, grad.dtype)
        mask = np.empty(code.shape, bool)
        for k, view in enumerate(conf.views(out)):
            np.equal(code, k, out=mask)
            if not finite:
                np.add(view, grad, out=view, where=mask)
            elif conf.disjoint:
                np.multiply(grad, mask, out=view)
            else:
                view += grad * mask
        ctx.code, ctx.conf, ctx.size = code, conf, size
        if out.shape != tuple(size):
            out = np.ascontiguousarray(out[:, :, top:top + h, left:left + w])
        return out

    @staticmethod
    def backward(ctx, grad):
        return TakeWindow.apply(grad, ctx.code, ctx.conf, None), None, None, None

    @staticmethod
    def jvp(ctx, tangent, *_):
        return PutWindow.apply(tangent, ctx.code, ctx.conf, ctx.size)


def max_pool2d(input: Tensor, kernel_size: IntOrPair, stride: IntOrPair | None = None,
               padding: IntOrPair = 0, dilation: IntOrPair = 1, ceil_mode: bool = False,
               return_indices: bool = False):
    """out[n, c, i, j] = max of input[n, c] over the window at (i stride, j stride), the
    input padded with -inf.

    Args:
        input: (N, C, H, W), or (C, H, W) unbatched.
        kernel_size, stride (default kernel_size), padding (at most kernel_size / 2),
            dilation: an int or a pair.
        ceil_mode: round the output size up (a last partial window), not down.
        return_indices: also return each maximum's flat position in the H * W plane.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> x = chainrule.arange(16.0).reshape(1, 1, 4, 4)
        >>> F.max_pool2d(x, 2, return_indices=True)
        (tensor([[[[ 5.,  7.],
                  [13., 15.]]]]), tensor([[[[ 5,  7],
                  [13, 15]]]]))
    """
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_pool1d(input: Tensor, kernel_size: int, stride: int | None = None, padding: int = 0,
               dilation: int = 1, ceil_mode: bool = False, return_indices: bool = False):
    """The maximum of each window of ``input`` (N, C, L) or (C, L); see :func:`max_pool2d`.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.max_pool1d(chainrule.tensor([[[1.0, 3.0, 2.0, 0.0, 5.0]]]), 2, ceil_mode=True)
        tensor([[[3., 2., 5.]]])
    """
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def _avg_divisor(size: int, kernel: int, stride: int, pad: int, out: int,
                 count_include_pad: bool) -> np.ndarray:
    """Each window's divisor along one dim: its length inside input + padding (PyTorch clips
    a ceil-mode window at the right padding), or inside the input only."""
    start = np.arange(out) * stride - pad
    end = np.minimum(start + kernel, size + pad)
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def _avg_pool(op: str, nd: int, input: Tensor, kernel_size, stride, padding, ceil_mode: bool,
              count_include_pad: bool, divisor_override: int | None) -> Tensor:
    x, kernel_size, stride, padding, _ = _as_4d(op, nd, input, kernel_size, stride, padding, 1)
    kernel, stride, pads, _, out_size = _pool_args(op, x, kernel_size, stride, padding, 1,
                                                   ceil_mode)
    n, c, h, w = x.shape
    ones = _wrap(np.ones((1, 1, *kernel), dtype=x.data.dtype))
    sums = convolution(x.reshape(n * c, 1, h, w), ones, None, stride, pads, (1, 1), 1)
    sums = sums.reshape(n, c, *out_size)
    if divisor_override is not None:
        if not isinstance(divisor_override, (int, np.integer)) or divisor_override == 0:
            raise ValueError(f"{op}: divisor_override must be a nonzero int, got "
                             f"{divisor_override!r}")
        return _from_4d(nd, input, sums / float(divisor_override))
    rows, cols = (_avg_divisor(s, k, st, p[0], o, count_include_pad)
                  for s, k, st, p, o in zip((h, w), kernel, stride, pads, out_size))
    divisor = np.multiply.outer(rows, cols)
    if np.all(divisor == divisor.flat[0]):
        return _from_4d(nd, input, sums / float(divisor.flat[0]))
    return _from_4d(nd, input, sums / _wrap(divisor.astype(x.data.dtype)))


def avg_pool2d(input: Tensor, kernel_size: IntOrPair, stride: IntOrPair | None = None,
               padding: IntOrPair = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """out[n, c, i, j] = sum of input[n, c] over the window at (i stride, j stride), divided by
    the window's size.

    Args:
        input: (N, C, H, W), or (C, H, W) unbatched.
        kernel_size, stride (default kernel_size), padding (at most kernel_size / 2): an int
            or a pair.
        ceil_mode: round the output size up (a last partial window), not down.
        count_include_pad: count the zero padding in the window size.
        divisor_override: divide every sum by this instead.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.avg_pool2d(chainrule.arange(16.0).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
    """
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool1d(input: Tensor, kernel_size: int, stride: int | None = None, padding: int = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """The mean of each window of ``input`` (N, C, L) or (C, L); see :func:`avg_pool2d`.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.avg_pool1d(chainrule.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)
        tensor([[[2., 1.]]])
    """
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def _adaptive_size(op: str, input: Tensor, output_size) -> tuple[int, int]:
    """output_size as a pair; None entries keep the input's size."""
    sizes = (output_size,) * 2 if output_size is None or isinstance(output_size, int) \
        else tuple(output_size)
    if len(sizes) != 2:
        raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
    sizes = tuple(input.shape[-2 + d] if s is None else s for d, s in enumerate(sizes))
    if any(not isinstance(s, (int, np.integer)) or s < 1 for s in sizes):
        raise ValueError(f"{op}: output_size must hold positive ints or None, got "
                         f"{output_size!r}")
    return sizes


def _bins(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """Adaptive windows: bin i covers [floor(i size / out), ceil((i + 1) size / out))."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _averaging(size: int, out: int, dtype: np.dtype) -> Tensor:
    """(out, size): row i averages bin i."""
    start, end = _bins(size, out)
    cols = np.arange(size)
    inside = (cols >= start[:, None]) & (cols < end[:, None])
    return _wrap((inside / (end - start)[:, None]).astype(dtype))


def adaptive_avg_pool2d(input: Tensor, output_size: IntOrPair | None) -> Tensor:
    """The mean of input over output_size[0] x output_size[1] near-equal bins; bin i of a dim
    of size n spans [floor(i n / out), ceil((i + 1) n / out)).

    Args:
        input: (N, C, H, W), or (C, H, W) unbatched.
        output_size: an int, or a pair whose None entries keep the input's size.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.adaptive_avg_pool2d(chainrule.arange(6.0).reshape(1, 1, 2, 3), (1, 2))
        tensor([[[[2., 3.]]]])
    """
    _check_input("adaptive_avg_pool2d", input, 2)
    oh, ow = _adaptive_size("adaptive_avg_pool2d", input, output_size)
    h, w = input.shape[-2:]
    if (oh, ow) == (1, 1):
        return input.mean((-2, -1), keepdim=True)
    dtype = input.data.dtype
    rows = input if oh == h else _averaging(h, oh, dtype) @ input
    return rows if ow == w else rows @ _averaging(w, ow, dtype).t()


def _adaptive_argmax(x: np.ndarray, out_size: tuple[int, int]) -> np.ndarray:
    """The flat H*W position of each adaptive bin's first maximum."""
    n, c, h, w = x.shape
    rows, cols = _bins(h, out_size[0]), _bins(w, out_size[1])
    index = np.empty((n, c, *out_size), dtype=np.int64)
    for i, (r0, r1) in enumerate(zip(*rows)):
        for j, (c0, c1) in enumerate(zip(*cols)):
            k = x[:, :, r0:r1, c0:c1].reshape(n, c, (r1 - r0) * (c1 - c0)).argmax(-1)
            index[:, :, i, j] = (r0 + k // (c1 - c0)) * w + c0 + k % (c1 - c0)
    return index


def adaptive_max_pool2d(input: Tensor, output_size: IntOrPair | None,
                        return_indices: bool = False):
    """The maximum of input over the bins of :func:`adaptive_avg_pool2d`.

    Args:
        input: (N, C, H, W), or (C, H, W) unbatched.
        output_size: an int, or a pair whose None entries keep the input's size.
        return_indices: also return each maximum's flat position in the H * W plane.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.adaptive_max_pool2d(chainrule.arange(6.0).reshape(1, 1, 2, 3), (1, 2))
        tensor([[[[4., 5.]]]])
    """
    _check_input("adaptive_max_pool2d", input, 2)
    size = _adaptive_size("adaptive_max_pool2d", input, output_size)
    x = input if input.ndim == 4 else input.unsqueeze(0)
    index = _adaptive_argmax(x.data, size)
    unique = x.shape[2] % size[0] == 0 and x.shape[3] % size[1] == 0
    out = take_flat(x, index, unique)
    indices = _wrap(index)
    if input.ndim == 3:
        out, indices = out.squeeze(0), indices.squeeze(0)
    return (out, indices) if return_indices else out


def _adaptive_1d(op: str, input: Tensor, output_size) -> tuple[Tensor, tuple[int, int]]:
    """A 1-D input with a height-1 axis, and the 2-D output size."""
    _check_input(op, input, 1)
    size = output_size[0] if isinstance(output_size, Sequence) and len(output_size) == 1 \
        else output_size
    if not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"{op}: output_size must be a positive int, got {output_size!r}")
    return input.unsqueeze(-2), (1, int(size))


def adaptive_avg_pool1d(input: Tensor, output_size: int) -> Tensor:
    """The mean of (N, C, L) or (C, L) over ``output_size`` near-equal bins; see
    :func:`adaptive_avg_pool2d`.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.adaptive_avg_pool1d(chainrule.tensor([[[1.0, 3.0, 2.0, 0.0, 4.0]]]), 2)
        tensor([[[2., 2.]]])
    """
    x, size = _adaptive_1d("adaptive_avg_pool1d", input, output_size)
    return adaptive_avg_pool2d(x, size).squeeze(-2)


def adaptive_max_pool1d(input: Tensor, output_size: int, return_indices: bool = False):
    """The maximum of (N, C, L) or (C, L) over ``output_size`` near-equal bins; see
    :func:`adaptive_max_pool2d`.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.adaptive_max_pool1d(chainrule.tensor([[[1.0, 3.0, 2.0, 0.0, 4.0]]]), 2)
        tensor([[[3., 4.]]])
    """
    x, size = _adaptive_1d("adaptive_max_pool1d", input, output_size)
    out, index = adaptive_max_pool2d(x, size, return_indices=True)
    out, index = out.squeeze(-2), index.squeeze(-2)
    return (out, index) if return_indices else out
