"""Reverse-mode automatic differentiation: backward, grad, Function, grad modes, gradcheck."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor, _wrap
from . import engine, function
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck, gradgradcheck
from .graph import print_graph
from .trace import trace

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "detect_anomaly", "set_detect_anomaly", "gradcheck", "gradgradcheck", "trace", "print_graph",
           "forward_ad", "functional"]


def _as_list(x) -> list:
    if x is None:
        return []
    return [x] if isinstance(x, Tensor) else list(x)


def _roots(outputs: list, grad_outputs: list, op: str) -> tuple[list, list]:
    """Check outputs and their gradients; make the implicit gradient 1 of a scalar output."""
    if len(grad_outputs) not in (0, len(outputs)):
        raise ValueError(f"{op}: got {len(grad_outputs)} gradients for {len(outputs)} outputs")
    roots, grads = [], []
    for i, out in enumerate(outputs):
        if not out._requires_grad:
            raise RuntimeError(f"{op}: element {i} of tensors does not require grad and does "
                               f"not have a grad_fn")
        grad = grad_outputs[i] if grad_outputs else None
        if grad is None:
            if out.data.size != 1:
                raise RuntimeError(
                    f"{op}: grad can be implicitly created only for scalar outputs, but output "
                    f"{i} has shape {tuple(out.shape)}; pass a gradient of that shape")
            grad = _wrap(np.ones_like(out.data))
        elif not isinstance(grad, Tensor):
            grad = _wrap(np.asarray(grad, dtype=out.data.dtype))
        if grad.data.shape != out.data.shape:
            raise ShapeError(f"{op}: mismatch in shape: gradient {i} has shape "
                             f"{tuple(grad.shape)} but output {i} has shape {tuple(out.shape)}")
        node = out.grad_fn if out.grad_fn is not None else function.grad_accumulator(out)
        roots.append((node, out._output_nr if out.grad_fn is not None else 0))
        grads.append(grad)
    return roots, grads


def _capture_point(t: Tensor, op: str):
    if not t._requires_grad:
        raise RuntimeError(f"{op}: one of the differentiated Tensors does not require grad")
    if t.grad_fn is None:
        return function.grad_accumulator(t), 0
    return t.grad_fn, t._output_nr


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs=None) -> None:
    """Accumulate the gradients of ``tensors`` into ``.grad`` of the leaves (or ``inputs``).

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([1.0, 2.0], requires_grad=True)
        >>> chainrule.autograd.backward((x ** 2).sum())
        >>> x.grad
        tensor([2., 4.])
    """
    outputs = _as_list(tensors)
    roots, grads = _roots(outputs, _as_list(grad_tensors), "backward")
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is None:
        engine.run_backward(roots, grads, retain, create_graph)
        return
    inputs = _as_list(inputs)
    if not inputs:
        raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty")
    points = [_capture_point(t, "backward") for t in inputs]
    captured = engine.run_backward(roots, grads, retain, create_graph, inputs=points)
    for t, g in zip(inputs, captured):  # leaves accumulated in the engine; non-leaves here
        if t.grad_fn is not None and g is not None:
            t.grad = g if t.grad is None else t.grad + g


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None,
         materialize_grads: bool = False) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated).

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor(3.0, requires_grad=True)
        >>> (dy,) = chainrule.autograd.grad(x ** 3, x, create_graph=True)
        >>> (d2y,) = chainrule.autograd.grad(dy, x)
        >>> dy.item(), d2y.item()
        (27.0, 18.0)
    """
    outs = _as_list(outputs)
    ins = _as_list(inputs) if not isinstance(inputs, Sequence) or isinstance(inputs, Tensor) \
        else list(inputs)
    roots, grads = _roots(outs, _as_list(grad_outputs), "grad")
    retain = create_graph if retain_graph is None else retain_graph
    points = [_capture_point(t, "grad") for t in ins]
    captured = engine.run_backward(roots, grads, retain, create_graph, inputs=points,
                                   accumulate=False)
    result = []
    for i, (t, g) in enumerate(zip(ins, captured)):
        if g is None:
            if materialize_grads:
                g = _wrap(np.zeros_like(t.data))
            elif not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} (shape {tuple(t.shape)}) appears not to have been used in "
                    f"the graph. Set allow_unused=True if this is the desired behavior.")
        result.append(g)
    return tuple(result)


# Submodules that build on backward and grad above: imported last, once those exist.
from . import forward_ad, functional  # noqa: E402
