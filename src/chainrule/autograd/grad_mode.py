"""Switching graph recording on and off: no_grad, enable_grad, set_grad_enabled, inference_mode.

The mode is per thread, as in PyTorch. Each works as a context manager and as a decorator.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

# _GradState.mode: what every op checks first, in one read (a thread-local read costs about
# as much as a Python call, and ops used to make five).
RECORD = 0  # grad mode on, no transform active: ops with inputs that require grad record
NO_GRAD = 1  # grad mode off, no transform: ops only compute
SPECIAL = 2  # vmap or forward AD active, or anomaly mode: go through every check


class _GradState(threading.local):
    # Class attributes are the defaults every new thread starts from.
    _enabled = True
    _anomaly = False
    # What Function.apply hands every op to, or None (the fast path): vmap's handler while a
    # vmap runs (it unbatches, then passes on to forward AD), else forward_ad.apply_dual while
    # a dual level is active.
    _dispatch = None
    mode = RECORD  # derived from the three above by their setters
    trace = None  # the active autograd.trace recorder, if any
    fw = None  # the active forward-AD level (forward_ad._Level), if any

    def _update_mode(self) -> None:
        if self._dispatch is not None or self._anomaly:
            self.mode = SPECIAL
        else:
            self.mode = RECORD if self._enabled else NO_GRAD

    def _set_enabled(self, value: bool) -> None:
        self._enabled = value
        self._update_mode()

    def _set_anomaly(self, value: bool) -> None:
        self._anomaly = value
        self._update_mode()

    def _set_dispatch(self, value) -> None:
        # _update_mode, inlined: vmap sets the dispatch twice per op (2% of a vmap(grad) call)
        self._dispatch = value
        if value is not None or self._anomaly:
            self.mode = SPECIAL
        else:
            self.mode = RECORD if self._enabled else NO_GRAD

    # Hot readers read the underscored attributes; a property read is a Python call.
    enabled = property(lambda self: self._enabled, _set_enabled)
    anomaly = property(lambda self: self._anomaly, _set_anomaly)
    dispatch = property(lambda self: self._dispatch, _set_dispatch)


_state = _GradState()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded."""
    return _state.enabled


class _GradModeContext:
    """A context manager that sets the grad mode on entry and restores it on exit."""

    _enabled = True

    def __enter__(self) -> None:
        self._prev = _state.enabled
        _state.enabled = self._enabled

    def __exit__(self, *exc) -> None:
        _state.enabled = self._prev

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class _BareDecoratorContext(_GradModeContext):
    """Also usable as a bare decorator, ``@no_grad`` without parentheses (as in PyTorch 2)."""

    def __new__(cls, func: Callable | None = None):
        self = super().__new__(cls)
        return self if func is None else self(func)


class no_grad(_BareDecoratorContext):
    """Stop recording: results of operations inside do not require grad.

    Example:
        >>> import chainrule
        >>> x = chainrule.ones(2, requires_grad=True)
        >>> with chainrule.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    _enabled = False


class enable_grad(_BareDecoratorContext):
    """Record operations again, inside a ``no_grad`` block."""

    _enabled = True


class inference_mode(_GradModeContext):
    """Like ``no_grad`` (chainrule has no separate inference tensors). ``mode=False`` is a no-op."""

    def __init__(self, mode: bool = True) -> None:
        self._enabled = not mode

    def __call__(self, func: Callable) -> Callable:
        mode = not self._enabled

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return func(*args, **kwargs)

        return wrapper


class set_grad_enabled(_GradModeContext):
    """Set recording on or off. Takes effect at once, so it also works as a plain call.

    Example:
        >>> import chainrule
        >>> with chainrule.set_grad_enabled(False):
        ...     chainrule.is_grad_enabled()
        False
    """

    def __init__(self, mode: bool) -> None:
        self._prev = _state.enabled
        self._enabled = bool(mode)
        _state.enabled = self._enabled

    def __enter__(self) -> None:
        pass

    def __call__(self, func: Callable) -> Callable:
        _state.enabled = self._prev  # used as a decorator: undo the immediate switch
        mode = self._enabled

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper
