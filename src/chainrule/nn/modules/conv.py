"""Convolution layers: Conv1d, Conv2d, ConvTranspose1d and ConvTranspose2d.

Each is a thin Module over :mod:`chainrule.nn.functional.conv`; ``_ConvNd`` holds what they
share: the argument checks, the parameters, PyTorch's default initialisation and ``repr``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ...autograd.grad_mode import no_grad
from ...factories import empty
from ...ops.shape import pad
from ...tensor import Tensor
from .. import functional as F
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(layer: str, name: str, value, n: int) -> tuple[int, ...]:
    values = (value,) * n if isinstance(value, int) else tuple(value)
    if len(values) != n or not all(isinstance(v, int) for v in values):
        raise ValueError(f"{layer}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    return values


def _check_layer(layer: str, in_channels: int, out_channels: int, groups: int,
                 padding_mode: str, transposed: bool) -> None:
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{layer}: groups must be a positive integer, got {groups!r}")
    for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
        if channels % groups:
            raise ValueError(f"{layer}: {name} ({channels}) must be divisible by groups "
                             f"({groups})")
    if padding_mode not in _PADDING_MODES:
        raise ValueError(f"{layer}: padding_mode must be one of {_PADDING_MODES}, but got "
                         f"padding_mode={padding_mode!r}")
    if transposed and padding_mode != "zeros":
        raise ValueError(f'{layer}: only "zeros" padding mode is supported')


def _check_padding(layer: str, padding, nd: int, stride: tuple[int, ...], transposed: bool):
    """A tuple of nd ints, or 'valid' / 'same' (not for transposed or strided layers)."""
    if not isinstance(padding, str):
        return _ntuple(layer, "padding", padding, nd)
    if transposed:
        raise ValueError(f"{layer}: padding must be an int or a tuple of ints, got {padding!r}")
    if padding not in ("valid", "same"):
        raise ValueError(f"{layer}: invalid padding string {padding!r}, should be one of "
                         f"'valid', 'same'")
    if padding == "same" and any(s != 1 for s in stride):
        raise ValueError(f"{layer}: padding='same' is not supported for strided convolutions "
                         f"(stride {stride})")
    return padding


def _side_pads(layer: _ConvNd) -> list[int]:
    """F.pad's argument for the layer's padding: (left, right) per dim, last dim first."""
    if layer.padding == "same":
        totals = [d * (k - 1) for k, d in zip(layer.kernel_size, layer.dilation)]
        pairs = [(t // 2, t - t // 2) for t in totals]
    else:
        pairs = [(p, p) for p in layer.padding]
    return [p for pair in reversed(pairs) for p in pair]


def _conv_repr(layer: _ConvNd) -> str:
    """PyTorch's extra_repr for convolutions: the non-default arguments only."""
    nd = len(layer.kernel_size)
    s = (f"{layer.in_channels}, {layer.out_channels}, kernel_size={layer.kernel_size}, "
         f"stride={layer.stride}")
    if layer.padding != (0,) * nd:
        s += f", padding={layer.padding}"
    if layer.dilation != (1,) * nd:
        s += f", dilation={layer.dilation}"
    if layer.output_padding != (0,) * nd:
        s += f", output_padding={layer.output_padding}"
    if layer.groups != 1:
        s += f", groups={layer.groups}"
    if layer.bias is None:
        s += ", bias=False"
    if layer.padding_mode != "zeros":
        s += f", padding_mode={layer.padding_mode}"
    return s


class _ConvNd(Module):
    """What the convolution layers share; subclasses set ``_nd`` and ``_transposed``."""

    _nd = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride, padding,
                 dilation, groups: int, bias: bool, padding_mode: str, output_padding=0,
                 device=None, dtype=None) -> None:
        super().__init__()
        layer, nd = type(self).__name__, self._nd
        _check_layer(layer, in_channels, out_channels, groups, padding_mode, self._transposed)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _ntuple(layer, "kernel_size", kernel_size, nd)
        self.stride = _ntuple(layer, "stride", stride, nd)
        self.padding = _check_padding(layer, padding, nd, self.stride, self._transposed)
        self.dilation = _ntuple(layer, "dilation", dilation, nd)
        self.output_padding = _ntuple(layer, "output_padding", output_padding, nd)
        self.padding_mode = padding_mode
        shape = ((in_channels, out_channels // groups) if self._transposed
                 else (out_channels, in_channels // groups))
        self.weight = Parameter(empty(*shape, *self.kernel_size, dtype=dtype, device=device))
        bias_ = Parameter(empty(out_channels, dtype=dtype, device=device)) if bias else None
        self.register_parameter("bias", bias_)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight and bias ~ U(-1/√fan_in, 1/√fan_in), fan_in = weight.shape[1] * kernel size
        (kaiming_uniform_ with a = √5, PyTorch's default)."""
        fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        with no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def _pad_input(self, input: Tensor) -> tuple[Tensor, object]:
        """For a padding_mode other than zeros, the padded input and padding 0 for the conv."""
        if self.padding_mode == "zeros":
            return input, self.padding
        if self.padding == "valid":
            return input, 0
        return pad(input, _side_pads(self), mode=self.padding_mode), 0

    def extra_repr(self) -> str:
        return _conv_repr(self)


class Conv1d(_ConvNd):
    """y = conv1d(x, weight) + bias, weight (out_channels, in_channels / groups, k);
    see :func:`chainrule.nn.functional.conv1d`.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> layer = nn.Conv1d(2, 4, 3, padding=1)
        >>> layer
        Conv1d(2, 4, kernel_size=(3,), stride=(1,), padding=(1,))
        >>> layer(chainrule.ones(5, 2, 8)).shape
        (5, 4, 8)
    """

    _nd = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] = 1, padding: int | Sequence[int] | str = 0,
                 dilation: int | Sequence[int] = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device=device, dtype=dtype)

    def forward(self, input: Tensor) -> Tensor:
        input, padding = self._pad_input(input)
        return F.conv1d(input, self.weight, self.bias, self.stride, padding, self.dilation,
                        self.groups)


class Conv2d(_ConvNd):
    """y = conv2d(x, weight) + bias, weight (out_channels, in_channels / groups, kH, kW);
    see :func:`chainrule.nn.functional.conv2d`.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> layer = nn.Conv2d(3, 8, 3, stride=2, bias=False)
        >>> layer
        Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), bias=False)
        >>> layer(chainrule.ones(1, 3, 9, 9)).shape
        (1, 8, 4, 4)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] = 1, padding: int | Sequence[int] | str = 0,
                 dilation: int | Sequence[int] = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device=device, dtype=dtype)

    def forward(self, input: Tensor) -> Tensor:
        input, padding = self._pad_input(input)
        return F.conv2d(input, self.weight, self.bias, self.stride, padding, self.dilation,
                        self.groups)


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def _output_padding(self, input: Tensor, output_size) -> tuple[int, ...]:
        """The output_padding that gives ``output_size`` (None: the layer's own)."""
        if output_size is None:
            return self.output_padding
        nd, layer = self._nd, type(self).__name__
        size = tuple(output_size)[-nd:]
        extra = []
        for d in range(nd):
            low = ((input.shape[d - nd] - 1) * self.stride[d] - 2 * self.padding[d]
                   + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            high = low + self.stride[d] - 1
            if not low <= size[d] <= high:
                raise ValueError(f"{layer}: requested an output size of {size}, but valid "
                                 f"sizes range from {low} to {high} in dim {d} (for an input "
                                 f"of shape {tuple(input.shape)})")
            extra.append(size[d] - low)
        return tuple(extra)


class ConvTranspose1d(_ConvTransposeNd):
    """The adjoint of Conv1d in its input, weight (in_channels, out_channels / groups, k);
    see :func:`chainrule.nn.functional.conv_transpose1d`.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> nn.ConvTranspose1d(2, 3, 2, stride=2)(chainrule.ones(1, 2, 4)).shape
        (1, 3, 8)
    """

    _nd = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                 output_padding: int | Sequence[int] = 0, groups: int = 1, bias: bool = True,
                 dilation: int | Sequence[int] = 1, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, device, dtype)

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    """The adjoint of Conv2d in its input, weight (in_channels, out_channels / groups, kH, kW);
    see :func:`chainrule.nn.functional.conv_transpose2d`. ``forward(input, output_size)``
    picks the output_padding that gives ``output_size``.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> layer = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
        >>> layer
        ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
        >>> layer(chainrule.ones(1, 4, 5, 5), output_size=(10, 10)).shape
        (1, 2, 10, 10)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                 output_padding: int | Sequence[int] = 0, groups: int = 1, bias: bool = True,
                 dilation: int | Sequence[int] = 1, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, device, dtype)

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)
