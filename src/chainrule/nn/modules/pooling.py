"""Pooling layers: MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d and AdaptiveMaxPool1d/2d,
thin Modules over :mod:`chainrule.nn.functional.pooling`.

As in PyTorch, the arguments are stored as given (an int stays an int) and ``stride``
defaults to ``kernel_size``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d"]

IntOrPair = int | Sequence[int]


class _MaxPoolNd(Module):
    def __init__(self, kernel_size: IntOrPair, stride: IntOrPair | None = None,
                 padding: IntOrPair = 0, dilation: IntOrPair = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """The maximum over each window of (N, C, L) or (C, L); see
    :func:`chainrule.nn.functional.max_pool1d`.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> nn.MaxPool1d(2)(chainrule.tensor([[[1.0, 3.0, 2.0, 0.0]]]))
        tensor([[[3., 2.]]])
    """

    def forward(self, input: Tensor):
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """The maximum over each window of (N, C, H, W) or (C, H, W); see
    :func:`chainrule.nn.functional.max_pool2d`.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> pool = nn.MaxPool2d(3, stride=2, padding=1)
        >>> pool
        MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)
        >>> pool(chainrule.ones(1, 2, 8, 8)).shape
        (1, 2, 4, 4)
    """

    def forward(self, input: Tensor):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)


class AvgPool1d(Module):
    """The mean over each window of (N, C, L) or (C, L); see
    :func:`chainrule.nn.functional.avg_pool1d`.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> nn.AvgPool1d(2)(chainrule.tensor([[[1.0, 3.0, 2.0, 0.0]]]))
        tensor([[[2., 1.]]])
    """

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _single(value) -> tuple:
    """AvgPool1d stores its arguments as 1-tuples, as PyTorch does."""
    return tuple(value) if isinstance(value, Sequence) else (value,)


class AvgPool2d(Module):
    """The mean over each window of (N, C, H, W) or (C, H, W); see
    :func:`chainrule.nn.functional.avg_pool2d`.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> pool = nn.AvgPool2d(2)
        >>> pool
        AvgPool2d(kernel_size=2, stride=2, padding=0)
        >>> pool(chainrule.ones(1, 2, 8, 8)).shape
        (1, 2, 4, 4)
    """

    def __init__(self, kernel_size: IntOrPair, stride: IntOrPair | None = None,
                 padding: IntOrPair = 0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """The mean over output_size near-equal bins of (N, C, H, W) or (C, H, W); see
    :func:`chainrule.nn.functional.adaptive_avg_pool2d`.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> pool = nn.AdaptiveAvgPool2d((None, 1))
        >>> pool
        AdaptiveAvgPool2d(output_size=(None, 1))
        >>> pool(chainrule.ones(1, 2, 5, 7)).shape
        (1, 2, 5, 1)
    """

    def __init__(self, output_size: IntOrPair | None) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """The maximum over output_size near-equal bins of (N, C, H, W) or (C, H, W); see
    :func:`chainrule.nn.functional.adaptive_max_pool2d`.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> nn.AdaptiveMaxPool2d(1)(chainrule.arange(6.0).reshape(1, 2, 3))
        tensor([[[5.]]])
    """

    def __init__(self, output_size: IntOrPair | None, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input: Tensor):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(Module):
    """The mean over output_size near-equal bins of (N, C, L) or (C, L); see
    :func:`chainrule.nn.functional.adaptive_avg_pool1d`.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> nn.AdaptiveAvgPool1d(1)(chainrule.tensor([[[1.0, 3.0, 2.0]]]))
        tensor([[[2.]]])
    """

    def __init__(self, output_size: int) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(Module):
    """The maximum over output_size near-equal bins of (N, C, L) or (C, L); see
    :func:`chainrule.nn.functional.adaptive_max_pool1d`.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> nn.AdaptiveMaxPool1d(1)(chainrule.tensor([[[1.0, 3.0, 2.0]]]))
        tensor([[[3.]]])
    """

    def __init__(self, output_size: int, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input: Tensor):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
