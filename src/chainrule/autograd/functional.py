"""Higher-level autograd, as ``torch.autograd.functional``: jacobian, hessian, vjp, jvp, hvp, vhp.

Each takes a function and its inputs (a Tensor or a tuple of Tensors) and returns results with
the same nesting: a single Tensor in gives a single Tensor out, a tuple gives a tuple. The
inputs are copied into fresh tensors that require grad; with ``create_graph`` the results stay
differentiable with respect to the original inputs (and whatever ``func`` captured), otherwise
they are detached. ``strict`` turns an output that does not depend on an input into an error
instead of a zero.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..factories import zeros_like
from ..ops.shape import clone, stack
from ..tensor import Tensor, _wrap
from . import grad as _grad
from .grad_mode import enable_grad

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]

Inputs = Tensor | tuple[Tensor, ...]


def _as_tuple(op: str, what: str, x) -> tuple[bool, tuple]:
    """(was it a tuple, the tuple) for a Tensor or a tuple/list of Tensors."""
    is_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if is_tuple else (x,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            raise TypeError(f"The {what} given to {op} must be either a Tensor or a tuple of "
                            f"Tensors but the value at index {i} has type {type(item).__name__}")
    return is_tuple, items


def _prepare(inputs: tuple, create_graph: bool) -> tuple:
    """Fresh inputs that require grad; linked to the originals only when create_graph."""
    return tuple(clone(x) if create_graph and x.requires_grad else x.detach().requires_grad_()
                 for x in inputs)


def _finish(x, create_graph: bool):
    """Detach the results unless create_graph (works on nested tuples)."""
    if isinstance(x, tuple):
        return tuple(_finish(item, create_graph) for item in x)
    return x if create_graph else x.detach()


def _grads(outputs: tuple, inputs: tuple, grad_outputs: tuple, create_graph: bool,
           strict: bool, op: str, retain_graph: bool | None = None) -> tuple:
    """autograd.grad with zeros (or, if ``strict``, an error) for unconnected inputs."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    result = [None] * len(inputs)
    if pairs:
        result = _grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                       retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)
    out = []
    for i, (g, x) in enumerate(zip(result, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"{op}: the output of the user-provided function is "
                                   f"independent of input {i}. This is not allowed in strict "
                                   f"mode.")
            g = zeros_like(x)
        out.append(g)
    return tuple(out)


def _check_v(op: str, v: tuple, like: tuple, what: str) -> None:
    if len(v) != len(like):
        raise RuntimeError(f"{op}: v has {len(v)} tensors but the {what} has {len(like)}")
    for i, (a, b) in enumerate(zip(v, like)):
        if a.shape != b.shape:
            raise RuntimeError(f"{op}: entry {i} in v has invalid size: should be "
                               f"{tuple(b.shape)} but got {tuple(a.shape)}")


def _default_v(op: str, v, like: tuple, what: str) -> tuple:
    """``v`` as a tuple checked against ``like``; None only for a single one-element tensor."""
    if v is None:
        if len(like) != 1 or like[0].data.size != 1:
            raise RuntimeError(f"{op}: The vector v can only be None if the {what} is a single "
                               f"Tensor with a single element.")
        return (_wrap(np.ones(like[0].shape, like[0].data.dtype)),)
    v = _as_tuple(op, "v", v)[1]
    _check_v(op, v, like, what)
    return v


def _scalar_output(op: str, out) -> Tensor:
    if not isinstance(out, Tensor):
        raise RuntimeError(f"The function given to {op} should return a single Tensor, got "
                           f"{type(out).__name__}")
    if out.data.size != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {op} should contain "
                           f"a single element, got shape {tuple(out.shape)}")
    return out


def vjp(func: Callable, inputs: Inputs, v: Inputs | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``.

    Args:
        func: takes the inputs, returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors.
        v: the vector, shaped like the output; may be None for a one-element output.
        create_graph: keep the results differentiable.
        strict: raise if an output is independent of an input (instead of zeros).

    Example:
        >>> import chainrule
        >>> from chainrule.autograd.functional import vjp
        >>> vjp(lambda x: x ** 2, chainrule.tensor([1.0, 2.0]), chainrule.ones(2))
        (tensor([1., 4.]), tensor([2., 4.]))
    """
    is_tuple, inputs = _as_tuple("vjp", "inputs", inputs)
    inputs = _prepare(inputs, create_graph)
    with enable_grad():
        out_tuple, outputs = _as_tuple("vjp", "outputs of the user-provided function",
                                       func(*inputs))
        v = _default_v("vjp", v, outputs, "output of the user-provided function")
        result = _grads(outputs, inputs, v, create_graph, strict, "vjp")
    outputs = outputs if out_tuple else outputs[0]
    return _finish(outputs, create_graph), _finish(result if is_tuple else result[0],
                                                   create_graph)


def jvp(func: Callable, inputs: Inputs, v: Inputs | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-vjp trick.

    ``g(u) = u^T J`` is linear in a dummy ``u``, so differentiating it with respect to ``u`` in
    the direction ``v`` gives ``J v``: two reverse passes, no forward mode needed.

    Example:
        >>> import chainrule
        >>> from chainrule.autograd.functional import jvp
        >>> jvp(lambda x: x ** 2, chainrule.tensor([1.0, 2.0]), chainrule.ones(2))
        (tensor([1., 4.]), tensor([2., 4.]))
    """
    is_tuple, inputs = _as_tuple("jvp", "inputs", inputs)
    inputs = _prepare(inputs, create_graph)
    v = _default_v("jvp", v, inputs, "input to the user-provided function")
    with enable_grad():
        out_tuple, outputs = _as_tuple("jvp", "outputs of the user-provided function",
                                       func(*inputs))
        dummies = tuple(zeros_like(o, requires_grad=True) for o in outputs)
        grad_in = _grads(outputs, inputs, dummies, True, strict, "jvp")
        result = _grads(grad_in, dummies, v, create_graph, strict, "jvp")
    outputs = outputs if out_tuple else outputs[0]
    return _finish(outputs, create_graph), _finish(result if out_tuple else result[0],
                                                   create_graph)


def _jacobian_rows(o: Tensor, inputs: tuple, create_graph: bool, strict: bool) -> list[Tensor]:
    """d o / d x for each input x, of shape o.shape + x.shape, one reverse pass per element."""
    n = o.data.size
    rows: list[list[Tensor]] = [[] for _ in inputs]
    for k in range(n):
        seed = np.zeros(n, o.data.dtype)
        seed[k] = 1
        grads = _grads((o,), inputs, (_wrap(seed.reshape(o.shape)),), create_graph, strict,
                       "jacobian", retain_graph=True)
        for col, g in zip(rows, grads):
            col.append(g)
    return [stack(col).reshape(o.shape + x.shape) if col
            else _wrap(np.zeros(o.shape + x.shape, x.data.dtype))
            for col, x in zip(rows, inputs)]


def _jacobian_columns(func: Callable, inputs: tuple, outputs: tuple) -> tuple:
    """jac[o][i] by forward mode: one evaluation of func per input element, with one dual."""
    from . import forward_ad

    jac = [[] for _ in outputs]
    for i, x in enumerate(inputs):
        n = x.data.size
        columns: list[list[Tensor]] = [[] for _ in outputs]
        for j in range(n):
            seed = np.zeros(n, x.data.dtype)
            seed[j] = 1
            with forward_ad.dual_level():
                args = list(inputs)
                args[i] = forward_ad.make_dual(x, _wrap(seed.reshape(x.shape)))
                outs = _as_tuple("jacobian", "outputs of the user-provided function",
                                 func(*args))[1]
                for col, o in zip(columns, outs):
                    tangent = forward_ad.unpack_dual(o).tangent
                    col.append(zeros_like(o) if tangent is None else tangent)
        for row, o, col in zip(jac, outputs, columns):
            row.append(stack(col, dim=-1).reshape(o.shape + x.shape) if col
                       else _wrap(np.zeros(o.shape + x.shape, o.data.dtype)))
    return tuple(tuple(row) for row in jac)


def jacobian(func: Callable, inputs: Inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: ``J[i..., j...] = d out[i...] / d in[j...]``.

    Returns a Tensor of shape ``out.shape + in.shape`` for one output and one input; a tuple
    over inputs (or outputs) if either is a tuple; a tuple of tuples ``[out][in]`` if both are.

    Args:
        func: takes the inputs, returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors.
        create_graph: keep the Jacobian differentiable.
        strict: raise if an output is independent of an input (instead of zeros).
        vectorize: accepted for PyTorch compatibility; the result is the same either way.
        strategy: ``"reverse-mode"`` (one backward pass per output element) or
            ``"forward-mode"`` (one forward-mode evaluation per input element; not with
            ``strict``). PyTorch asks for ``vectorize=True`` with forward mode; chainrule
            does not need it.

    Example:
        >>> import chainrule
        >>> from chainrule.autograd.functional import jacobian
        >>> jacobian(lambda x: x ** 2, chainrule.tensor([1.0, 2.0]), strategy="forward-mode")
        tensor([[2., 0.],
                [0., 4.]])
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(f'jacobian: expected strategy to be either "forward-mode" or '
                         f'"reverse-mode", got {strategy!r}')
    if strict and strategy == "forward-mode":
        raise RuntimeError('jacobian: strict=True and strategy="forward-mode" are not '
                           'supported together; use strategy="reverse-mode"')
    is_tuple, inputs = _as_tuple("jacobian", "inputs", inputs)
    inputs = _prepare(inputs, create_graph)
    with enable_grad():
        out_tuple, outputs = _as_tuple("jacobian", "outputs of the user-provided function",
                                       func(*inputs))
        if strategy == "reverse-mode":
            jac = tuple(tuple(_jacobian_rows(o, inputs, create_graph, strict)) for o in outputs)
        else:
            jac = _jacobian_columns(func, inputs, outputs)
    if not out_tuple:
        jac = jac[0] if is_tuple else jac[0][0]
    elif not is_tuple:
        jac = tuple(row[0] for row in jac)
    return _finish(jac, create_graph)


def hessian(func: Callable, inputs: Inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar function: ``H[i..., j...] = d² f / d in[i...] d in[j...]``.

    For a tuple of inputs, a tuple of tuples ``H[a][b]`` of shape ``a.shape + b.shape``. The
    gradient is computed by reverse mode; ``outer_jacobian_strategy`` ("reverse-mode" or
    "forward-mode") says how the Jacobian of the gradient is.

    Example:
        >>> import chainrule
        >>> from chainrule.autograd.functional import hessian
        >>> hessian(lambda x: (x ** 3).sum(), chainrule.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    is_tuple, inputs = _as_tuple("hessian", "inputs", inputs)

    def gradient(*xs):
        out = _scalar_output("hessian", func(*xs))
        grads = _grads((out,), xs, (_wrap(np.ones(out.shape, out.data.dtype)),), True, strict,
                       "hessian")
        return grads if is_tuple else grads[0]

    return jacobian(gradient, inputs if is_tuple else inputs[0], create_graph, strict,
                    vectorize, outer_jacobian_strategy)


def vhp(func: Callable, inputs: Inputs, v: Inputs | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), v^T H)``: the vector-Hessian product of a scalar function.

    Example:
        >>> import chainrule
        >>> from chainrule.autograd.functional import vhp
        >>> vhp(lambda x: (x ** 3).sum(), chainrule.tensor([1.0, 2.0]), chainrule.ones(2))
        (tensor(9.), tensor([ 6., 12.]))
    """
    is_tuple, inputs = _as_tuple("vhp", "inputs", inputs)
    inputs = _prepare(inputs, create_graph)
    v = _default_v("vhp", v, inputs, "input to the user-provided function")
    with enable_grad():
        out = _scalar_output("vhp", func(*inputs))
        seed = _wrap(np.ones(out.shape, out.data.dtype))
        jac = _grads((out,), inputs, (seed,), True, strict, "vhp")
        result = _grads(jac, inputs, v, create_graph, strict, "vhp")
    return _finish(out, create_graph), _finish(result if is_tuple else result[0], create_graph)


def hvp(func: Callable, inputs: Inputs, v: Inputs | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), H v)``: the Hessian-vector product of a scalar function.

    Computed as PyTorch does, by the double-vjp trick on the gradient: ``H v`` is the
    derivative of ``u -> u^T H`` (linear in a dummy ``u``) in the direction ``v``.

    Example:
        >>> import chainrule
        >>> from chainrule.autograd.functional import hvp
        >>> hvp(lambda x: (x ** 3).sum(), chainrule.tensor([1.0, 2.0]), chainrule.ones(2))
        (tensor(9.), tensor([ 6., 12.]))
    """
    is_tuple, inputs = _as_tuple("hvp", "inputs", inputs)
    inputs = _prepare(inputs, create_graph)
    v = _default_v("hvp", v, inputs, "input to the user-provided function")
    with enable_grad():
        out = _scalar_output("hvp", func(*inputs))
        seed = _wrap(np.ones(out.shape, out.data.dtype))
        jac = _grads((out,), inputs, (seed,), True, strict, "hvp")
        dummies = tuple(zeros_like(x, requires_grad=True) for x in inputs)
        double_back = _grads(jac, inputs, dummies, True, strict, "hvp")
        result = _grads(double_back, dummies, v, create_graph, strict, "hvp")
    return _finish(out, create_graph), _finish(result if is_tuple else result[0], create_graph)
