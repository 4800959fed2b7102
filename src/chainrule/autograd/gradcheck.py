"""gradcheck and gradgradcheck: compare autograd's Jacobians with central finite differences.

Use float64 inputs: in float32 the finite differences themselves are too noisy to judge by.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np

from ..tensor import Tensor, _wrap
from .grad_mode import enable_grad, no_grad


class GradcheckError(RuntimeError):
    """Autograd's Jacobian disagrees with the finite-difference one."""


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable_outputs(outputs: tuple) -> list[tuple[int, Tensor]]:
    return [(i, o) for i, o in enumerate(outputs)
            if isinstance(o, Tensor) and o.requires_grad and o.data.dtype.kind == "f"]


def _numerical_jacobians(func: Callable, inputs: tuple, wrt: list[int], eps: float,
                         n_outputs: int) -> list[list[np.ndarray]]:
    """J[out][inp] of shape (out.numel(), inp.numel()), by central differences."""
    with no_grad():
        sizes = [o.data.size if isinstance(o, Tensor) else 0
                 for o in _as_tuple(func(*inputs))]
        jac = [[np.zeros((sizes[o], inputs[i].data.size)) for i in wrt] for o in range(n_outputs)]
        for col, i in enumerate(wrt):
            data = inputs[i].data  # perturbed in place, element by element, any strides
            for j, idx in enumerate(np.ndindex(data.shape)):
                orig = data[idx]
                data[idx] = orig + eps
                plus = [np.array(o.data, dtype=np.float64).reshape(-1)
                        for o in _as_tuple(func(*inputs))[:n_outputs]]
                data[idx] = orig - eps
                minus = [np.array(o.data, dtype=np.float64).reshape(-1)
                         for o in _as_tuple(func(*inputs))[:n_outputs]]
                data[idx] = orig
                for o in range(n_outputs):
                    if sizes[o]:
                        jac[o][col][:, j] = (plus[o] - minus[o]) / (2 * eps)
    return jac


def _analytical_jacobian(output: Tensor, inputs: tuple, wrt: list[int]) -> list[np.ndarray]:
    from . import grad as autograd_grad

    jac = [np.zeros((output.data.size, inputs[i].data.size)) for i in wrt]
    for k in range(output.data.size):
        seed = np.zeros(output.data.shape, dtype=output.data.dtype)
        seed.reshape(-1)[k] = 1
        grads = autograd_grad(output, [inputs[i] for i in wrt], _wrap(seed), retain_graph=True,
                              allow_unused=True)
        for col, g in enumerate(grads):
            if g is not None:
                jac[col][k] = np.asarray(g.data, dtype=np.float64).reshape(-1)
    return jac


def _forward_jacobian(func: Callable, inputs: tuple, wrt: list[int],
                      outputs: list[int]) -> dict[tuple[int, int], np.ndarray]:
    """J[out, inp] column by column from forward mode: one dual pass per input element."""
    from . import forward_ad

    jac = {}
    for i in wrt:
        data = inputs[i].data
        for j in range(data.size):
            seed = np.zeros(data.shape, dtype=data.dtype)
            seed.reshape(-1)[j] = 1
            with forward_ad.dual_level():
                args = list(inputs)
                args[i] = forward_ad.make_dual(inputs[i], _wrap(seed))
                outs = _as_tuple(func(*args))
                tangents = [forward_ad.unpack_dual(outs[o]).tangent for o in outputs]
            for o, t in zip(outputs, tangents, strict=True):
                column = jac.setdefault((o, i), np.zeros((outs[o].data.size, data.size)))
                if t is not None:
                    column[:, j] = np.asarray(t.data, dtype=np.float64).reshape(-1)
    return jac


def gradcheck(func: Callable, inputs, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, check_forward_ad: bool = False,
              **unused) -> bool:
    """True if the gradients of ``func`` at ``inputs`` match finite differences.

    Every input that requires grad is perturbed, element by element, by ``±eps``; the check is
    ``|analytical - numerical| <= atol + rtol * |numerical|``. With ``check_forward_ad`` the
    Jacobian from forward mode (``autograd.forward_ad``) is checked the same way.

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([0.5, 2.0], dtype=chainrule.float64, requires_grad=True)
        >>> chainrule.autograd.gradcheck(lambda t: t * t * t, (x,))
        True
    """
    inputs = _as_tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck: at least one input must be a Tensor that requires grad")
    for i in wrt:
        if inputs[i].data.dtype != np.float64:
            warnings.warn(f"gradcheck: input {i} is {inputs[i].dtype}, not float64; the check "
                          f"is likely to fail from rounding alone", stacklevel=2)
    outputs = _as_tuple(func(*inputs))
    diff_outputs = _differentiable_outputs(outputs)
    if not diff_outputs:
        raise ValueError("gradcheck: func returned no output that requires grad")
    n_outputs = max(i for i, _ in diff_outputs) + 1
    numerical = _numerical_jacobians(func, inputs, wrt, eps, n_outputs)
    forward = (_forward_jacobian(func, inputs, wrt, [o for o, _ in diff_outputs])
               if check_forward_ad else {})
    for o, out in diff_outputs:
        analytical = _analytical_jacobian(out, inputs, wrt)
        for col, i in enumerate(wrt):
            checks = [("analytical", analytical[col])]
            if check_forward_ad:
                checks.append(("forward-mode", forward[o, i]))
            for kind, a in checks:
                n = numerical[o][col]
                if not np.allclose(a, n, rtol=rtol, atol=atol):
                    if not raise_exception:
                        return False
                    raise GradcheckError(
                        f"Jacobian mismatch for output {o} with respect to input {i} "
                        f"(max abs difference {np.max(np.abs(a - n)):.3g}),\n"
                        f"numerical:\n{n}\n{kind}:\n{a}")
    return True


def gradgradcheck(func: Callable, inputs, grad_outputs: Sequence[Tensor] | None = None, *,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True, seed: int = 0, **unused) -> bool:
    """True if the gradients of the *gradients* of ``func`` match finite differences.

    Checks ``(inputs, v) -> autograd.grad(func(inputs), inputs, v, create_graph=True)`` with
    ``gradcheck``; ``v`` (random when not given) is differentiated too.

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([0.5, 2.0], dtype=chainrule.float64, requires_grad=True)
        >>> chainrule.autograd.gradgradcheck(lambda t: t * t * t, (x,))
        True
    """
    from . import grad as autograd_grad

    inputs = _as_tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outputs = _differentiable_outputs(_as_tuple(func(*inputs)))
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = [Tensor(rng.standard_normal(o.data.shape).astype(o.data.dtype),
                               requires_grad=True) for _, o in outputs]
    grad_outputs = list(_as_tuple(grad_outputs))
    n_in = len(inputs)

    def first_derivative(*args):
        xs, vs = args[:n_in], args[n_in:]
        with enable_grad():  # finite differences call this under no_grad
            outs = _differentiable_outputs(_as_tuple(func(*xs)))
            grads = autograd_grad([o for _, o in outs], [xs[i] for i in wrt], list(vs),
                                  create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None and g.requires_grad)

    return gradcheck(first_derivative, (*inputs, *grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)
