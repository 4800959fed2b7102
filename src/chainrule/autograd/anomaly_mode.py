"""detect_anomaly: find the operation whose backward produced NaN, and where its forward ran."""

from __future__ import annotations

from .grad_mode import _state


class detect_anomaly:
    """While on, each recorded op keeps the stack of its forward, and backward checks every
    gradient for NaN, raising an error naming the op and that stack. Slow: for debugging.

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([0.0], requires_grad=True)
        >>> with chainrule.autograd.detect_anomaly():
        ...     y = x.sqrt() * 0
        ...     y.backward(chainrule.tensor([1.0]))
        Traceback (most recent call last):
        ...
        RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output...
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self._prev = _state.anomaly
        _state.anomaly = self.check_nan

    def __exit__(self, *exc) -> None:
        _state.anomaly = self._prev


class set_detect_anomaly(detect_anomaly):
    """Turn anomaly detection on or off (a context manager, like PyTorch's)."""

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
