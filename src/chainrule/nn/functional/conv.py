"""Convolutions: conv1d, conv2d, conv_transpose1d, conv_transpose2d, unfold and fold.

All of them run on the 2-D primitives of :mod:`chainrule.ops.conv` (a 1-D convolution is a
2-D one of height 1; unfold and fold are grouped convolutions with one-hot kernels), so every
one is differentiable twice.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...errors import DTypeError, ShapeError
from ...ops.conv import conv_out_size, conv_transpose, convolution
from ...tensor import Tensor, _wrap

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]

IntOrPair = int | Sequence[int]


def _tuple(op: str, name: str, value: IntOrPair, n: int, low: int) -> tuple[int, ...]:
    """``value`` as n ints >= low (an int is repeated n times)."""
    values = (value,) * n if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != n or not all(isinstance(v, (int, np.integer)) for v in values):
        raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < low for v in values):
        raise ValueError(f"{op}: {name} must be >= {low}, got {value!r}")
    return tuple(int(v) for v in values)


def _check_operands(op: str, nd: int, input: Tensor, weight: Tensor,
                    bias: Tensor | None) -> None:
    """Ranks and dtypes of a convolution's tensors."""
    if input.ndim not in (nd + 1, nd + 2):
        raise ShapeError(f"{op}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) "
                         f"input, got shape {tuple(input.shape)}")
    if weight.ndim != nd + 2:
        raise ShapeError(f"{op}: expected a {nd + 2}-D weight, got shape "
                         f"{tuple(weight.shape)}")
    for name, t in (("input", input), ("weight", weight), ("bias", bias)):
        if t is not None and t.data.dtype.kind != "f":
            raise DTypeError(f"{op}: {name} must be a floating point tensor, got {t.dtype}")
        if t is not None and t.data.dtype != input.data.dtype:
            raise DTypeError(f"{op}: input has dtype {input.dtype} but {name} has dtype "
                             f"{t.dtype}; they must match")


def _check_channels(op: str, channels: int, weight: Tensor, bias: Tensor | None, groups: int,
                    transposed: bool) -> None:
    """Channel counts of input, weight and bias against each other and ``groups``."""
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    ws = tuple(weight.shape)
    expected = ws[0] if transposed else ws[1] * groups
    out_channels = ws[1] * groups if transposed else ws[0]
    if ws[0] % groups:
        role = "input" if transposed else "output"
        raise ShapeError(f"{op}: weight shape {ws} has {ws[0]} {role} channels, which "
                         f"groups={groups} does not divide")
    if channels != expected:
        raise ShapeError(f"{op}: input has {channels} channels but weight expects "
                         f"{expected} (weight shape {ws})")
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ShapeError(f"{op}: bias must have shape ({out_channels},) for weight shape {ws}, "
                         f"got {tuple(bias.shape)}")


def _padding(op: str, padding, kernel: tuple[int, int], stride: tuple[int, int],
             dilation: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """Per-side padding from an int, a pair, 'valid' or 'same' (extra on the right, as PyTorch)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding != "same":
            raise ValueError(f"{op}: invalid padding string {padding!r}, should be one of "
                             f"'valid', 'same'")
        if stride != (1, 1):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions "
                             f"(stride {stride})")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    p = _tuple(op, "padding", padding, 2, 0)
    return (p[0], p[0]), (p[1], p[1])


def _as_2d(nd: int, input: Tensor, *tensors: Tensor) -> tuple[Tensor, ...]:
    """Batched 4-D input (and 4-D weights): a 1-D convolution becomes one of height 1."""
    if input.ndim == nd + 1:
        input = input.unsqueeze(0)
    if nd == 1:
        return (input.unsqueeze(2), *(t.unsqueeze(2) for t in tensors))
    return (input, *tensors)


def _from_2d(nd: int, out: Tensor, batched: bool) -> Tensor:
    if nd == 1:
        out = out.squeeze(2)
    return out if batched else out.squeeze(0)


def _spatial(op: str, nd: int, name: str, value, low: int) -> tuple[int, int]:
    """A stride/dilation/... argument as a pair for the 2-D primitive (height 1 for 1-D)."""
    values = _tuple(op, name, value, nd, low)
    return values if nd == 2 else (1 if low else 0, values[0])


def _convnd(op: str, nd: int, input: Tensor, weight: Tensor, bias: Tensor | None, stride,
            padding, dilation, groups: int) -> Tensor:
    _check_operands(op, nd, input, weight, bias)
    _check_channels(op, input.shape[-nd - 1], weight, bias, groups, transposed=False)
    stride2 = _spatial(op, nd, "stride", stride, 1)
    dilation2 = _spatial(op, nd, "dilation", dilation, 1)
    batched = input.ndim == nd + 2
    x, w = _as_2d(nd, input, weight)
    kernel = tuple(w.shape[2:])
    if isinstance(padding, str):
        pads = _padding(op, padding, kernel, stride2, dilation2)
    else:
        pads = _padding(op, _spatial(op, nd, "padding", padding, 0), kernel, stride2, dilation2)
    for d in range(2):
        if conv_out_size(x.shape[2 + d], kernel[d], stride2[d], pads[d], dilation2[d]) < 1:
            raise ShapeError(
                f"{op}: the kernel (size {kernel[d]}, dilation {dilation2[d]}) is larger than "
                f"the padded input (size {x.shape[2 + d]} + padding {sum(pads[d])}); input shape "
                f"{tuple(input.shape)}, weight shape {tuple(weight.shape)}")
    out = convolution(x, w, bias, stride2, pads, dilation2, groups)
    return _from_2d(nd, out, batched)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntOrPair = 1,
           padding: IntOrPair | str = 0, dilation: IntOrPair = 1, groups: int = 1) -> Tensor:
    """out[n, o] = bias[o] + sum_c (weight[o, c] ⋆ input[n, g(o) C/groups + c]), ⋆ the 2-D
    cross-correlation.

    Args:
        input: (N, C, H, W), or (C, H, W) unbatched.
        weight: (O, C / groups, kH, kW).
        bias: (O,) or None.
        stride, dilation: an int or (sH, sW).
        padding: an int, a pair, 'valid' (none) or 'same' (output size = input size; stride 1).
        groups: channels split into this many independent convolutions.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> x = chainrule.arange(16.0).reshape(1, 1, 4, 4)
        >>> F.conv2d(x, chainrule.ones(1, 1, 2, 2), stride=2)
        tensor([[[[10., 18.],
                  [42., 50.]]]])
    """
    return _convnd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntOrPair = 1,
           padding: IntOrPair | str = 0, dilation: IntOrPair = 1, groups: int = 1) -> Tensor:
    """out[n, o] = bias[o] + sum_c (weight[o, c] ⋆ input[n, g(o) C/groups + c]), ⋆ the 1-D
    cross-correlation.

    Args:
        input: (N, C, L), or (C, L) unbatched.
        weight: (O, C / groups, k).
        bias: (O,) or None.
        stride, padding, dilation, groups: as :func:`conv2d`, one value each.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.conv1d(chainrule.tensor([[[1.0, 2.0, 3.0]]]), chainrule.tensor([[[1.0, -1.0]]]))
        tensor([[[-1., -1.]]])
    """
    return _convnd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def _convnd_transpose(op: str, nd: int, input: Tensor, weight: Tensor, bias: Tensor | None,
                      stride, padding, output_padding, groups: int, dilation) -> Tensor:
    _check_operands(op, nd, input, weight, bias)
    _check_channels(op, input.shape[-nd - 1], weight, bias, groups, transposed=True)
    stride2 = _spatial(op, nd, "stride", stride, 1)
    dilation2 = _spatial(op, nd, "dilation", dilation, 1)
    pad2 = _spatial(op, nd, "padding", padding, 0)
    extra = _spatial(op, nd, "output_padding", output_padding, 0)
    if any(e >= s and e >= d for e, s, d in zip(extra, stride2, dilation2)):
        raise ValueError(f"{op}: output_padding {output_padding} must be smaller than either "
                         f"stride {stride} or dilation {dilation}")
    batched = input.ndim == nd + 2
    x, w = _as_2d(nd, input, weight)
    size = tuple((x.shape[2 + d] - 1) * stride2[d] - 2 * pad2[d]
                 + dilation2[d] * (w.shape[2 + d] - 1) + extra[d] + 1 for d in range(2))
    if min(size) < 1:
        raise ShapeError(f"{op}: the output size {size[2 - nd:]} is not positive (input shape "
                         f"{tuple(input.shape)}, weight shape {tuple(weight.shape)}, padding "
                         f"{padding})")
    out = conv_transpose(x, w, stride2, ((pad2[0],) * 2, (pad2[1],) * 2), dilation2, groups,
                         size)
    if bias is not None:
        out = out + bias.reshape(-1, 1, 1)
    return _from_2d(nd, out, batched)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: IntOrPair = 1, padding: IntOrPair = 0,
                     output_padding: IntOrPair = 0, groups: int = 1,
                     dilation: IntOrPair = 1) -> Tensor:
    """The adjoint of conv2d in its input ("deconvolution"): each input pixel adds a copy of
    the kernel, scaled by its value, into the output, ``stride`` apart.

    Output size per dim: (in - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1.

    Args:
        input: (N, C_in, H, W), or (C_in, H, W) unbatched.
        weight: (C_in, C_out / groups, kH, kW).
        bias: (C_out,) or None.
        output_padding: extra size on the bottom/right (picks among the input sizes that a
            strided conv2d maps to the same size); smaller than stride or dilation.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.conv_transpose2d(chainrule.ones(1, 1, 2, 2), chainrule.ones(1, 1, 2, 2))
        tensor([[[[1., 2., 1.],
                  [2., 4., 2.],
                  [1., 2., 1.]]]])
    """
    return _convnd_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: IntOrPair = 1, padding: IntOrPair = 0,
                     output_padding: IntOrPair = 0, groups: int = 1,
                     dilation: IntOrPair = 1) -> Tensor:
    """The adjoint of conv1d in its input; see :func:`conv_transpose2d`.

    Args:
        input: (N, C_in, L), or (C_in, L) unbatched.
        weight: (C_in, C_out / groups, k).

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.conv_transpose1d(chainrule.ones(1, 1, 2), chainrule.ones(1, 1, 2), stride=2)
        tensor([[[1., 1., 1., 1.]]])
    """
    return _convnd_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def _one_hot_kernels(channels: int, kernel: tuple[int, int], dtype: np.dtype) -> Tensor:
    """(C * kH * kW, 1, kH, kW): kernel c*kH*kW + k picks offset k of channel c."""
    k = kernel[0] * kernel[1]
    eye = np.eye(k, dtype=dtype).reshape(1, k, 1, *kernel)
    return _wrap(np.ascontiguousarray(np.broadcast_to(eye, (channels, k, 1, *kernel)))
                 .reshape(channels * k, 1, *kernel))


def _window_args(op: str, kernel_size, dilation, padding, stride):
    kernel = _tuple(op, "kernel_size", kernel_size, 2, 1)
    dilation = _tuple(op, "dilation", dilation, 2, 1)
    pad = _tuple(op, "padding", padding, 2, 0)
    stride = _tuple(op, "stride", stride, 2, 1)
    return kernel, dilation, ((pad[0], pad[0]), (pad[1], pad[1])), stride


def unfold(input: Tensor, kernel_size: IntOrPair, dilation: IntOrPair = 1,
           padding: IntOrPair = 0, stride: IntOrPair = 1) -> Tensor:
    """im2col: every sliding block of ``input`` (N, C, H, W) as a column of the result
    (N, C * kH * kW, L), L the number of blocks; channel-major, then kernel rows and columns.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.unfold(chainrule.arange(4.0).reshape(1, 1, 2, 2), 1).shape
        (1, 1, 4)
    """
    if input.ndim not in (3, 4):
        raise ShapeError(f"unfold: expected a 3-D (unbatched) or 4-D input, got shape "
                         f"{tuple(input.shape)}")
    if input.data.dtype.kind != "f":
        raise DTypeError(f"unfold: input must be a floating point tensor, got {input.dtype}")
    kernel, dilation, pads, stride = _window_args("unfold", kernel_size, dilation, padding,
                                                  stride)
    x = input if input.ndim == 4 else input.unsqueeze(0)
    n, c, h, w = x.shape
    oh, ow = (conv_out_size(s, k, st, p, d)
              for s, k, st, p, d in zip((h, w), kernel, stride, pads, dilation))
    if oh < 1 or ow < 1:
        raise ShapeError(f"unfold: kernel_size {kernel} (dilation {dilation}) does not fit the "
                         f"padded input (input shape {tuple(input.shape)}, padding {padding})")
    weight = _one_hot_kernels(c, kernel, x.data.dtype)
    out = convolution(x, weight, None, stride, pads, dilation, c)
    out = out.reshape(n, c * kernel[0] * kernel[1], oh * ow)
    return out if input.ndim == 4 else out.squeeze(0)


def fold(input: Tensor, output_size: IntOrPair, kernel_size: IntOrPair, dilation: IntOrPair = 1,
         padding: IntOrPair = 0, stride: IntOrPair = 1) -> Tensor:
    """col2im, the adjoint of :func:`unfold`: sums the columns of ``input`` (N, C * kH * kW, L)
    back into an (N, C, *output_size) image (overlapping entries add up).

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.fold(chainrule.ones(1, 4, 4), (3, 3), 2)
        tensor([[[[1., 2., 1.],
                  [2., 4., 2.],
                  [1., 2., 1.]]]])
    """
    if input.ndim not in (2, 3):
        raise ShapeError(f"fold: expected a 2-D (unbatched) or 3-D input, got shape "
                         f"{tuple(input.shape)}")
    if input.data.dtype.kind != "f":
        raise DTypeError(f"fold: input must be a floating point tensor, got {input.dtype}")
    kernel, dilation, pads, stride = _window_args("fold", kernel_size, dilation, padding, stride)
    size = _tuple("fold", "output_size", output_size, 2, 1)
    x = input if input.ndim == 3 else input.unsqueeze(0)
    n, ck, blocks = x.shape
    k = kernel[0] * kernel[1]
    oh, ow = (conv_out_size(s, kk, st, p, d)
              for s, kk, st, p, d in zip(size, kernel, stride, pads, dilation))
    if ck % k or oh * ow != blocks:
        raise ShapeError(f"fold: input shape {tuple(input.shape)} does not match kernel_size "
                         f"{kernel}: expected C * {k} rows and {max(oh, 0) * max(ow, 0)} blocks "
                         f"for output_size {size}")
    weight = _one_hot_kernels(ck // k, kernel, x.data.dtype)
    out = conv_transpose(x.reshape(n, ck, oh, ow), weight, stride, pads, dilation, ck // k,
                         size)
    return out if input.ndim == 3 else out.squeeze(0)
