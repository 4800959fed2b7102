"""Function transforms, as ``torch.func``: grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian.

Each transform takes a function of Tensors and returns a new function. Reverse-mode ones call
``autograd.grad`` on fresh copies of the differentiated arguments, so a transform applied to the
result of another differentiates through it: ``grad(grad(f))``, ``jacrev(jacrev(f))``. While a
transform runs, any transform called inside it records its own reverse pass
(``create_graph=True``), which is what lets the outer one see through. ``jvp`` and ``jacfwd`` use
forward-mode AD (:mod:`chainrule.autograd.forward_ad`).

Arguments and results may be pytrees: Tensors nested in tuples, lists and dicts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import contextmanager

import numpy as np

from ..autograd import forward_ad
from ..autograd.function import AccumulateGrad
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..factories import ones, zeros, zeros_like
from ..ops.shape import stack
from ..tensor import Tensor, _wrap
from ._batching_rules import physical

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian"]

Argnums = int | tuple[int, ...]


# -- pytrees: tuples, lists and dicts of leaves ------------------------------------------------
def _flatten(tree) -> tuple[list, object]:
    """The leaves of ``tree`` in order, and a spec that :func:`_unflatten` rebuilds it from."""
    if isinstance(tree, (tuple, list)):
        leaves, specs = [], []
        for item in tree:
            sub, spec = _flatten(item)
            leaves.extend(sub)
            specs.append((spec, len(sub)))
        return leaves, (type(tree), None, specs)
    if isinstance(tree, dict):
        leaves, specs = [], []
        for item in tree.values():
            sub, spec = _flatten(item)
            leaves.extend(sub)
            specs.append((spec, len(sub)))
        return leaves, (type(tree), list(tree), specs)
    return [tree], None


def _unflatten(spec, leaves: list):
    if spec is None:
        return leaves[0]
    kind, keys, specs = spec
    items, start = [], 0
    for sub, n in specs:
        items.append(_unflatten(sub, leaves[start:start + n]))
        start += n
    if keys is not None:
        return kind(zip(keys, items))
    if kind is tuple or kind is list:
        return kind(items)
    return kind(*items)  # a namedtuple


def _tensor_leaves(op: str, tree, what: str) -> tuple[list[Tensor], object]:
    leaves, spec = _flatten(tree)
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise TypeError(f"{op}: expected {what} to be Tensors (or tuples, lists and dicts of "
                            f"Tensors), got a {type(leaf).__name__}")
    return leaves, spec


# -- nesting: is an outer transform (or autograd) watching? ------------------------------------
class _Depth(threading.local):
    value = 0


_depth = _Depth()


@contextmanager
def _transform_running():
    _depth.value += 1
    try:
        yield
    finally:
        _depth.value -= 1


def _outer_graph(tensors) -> bool:
    """Must this level's reverse pass be recorded? Yes inside another transform, or when an
    argument requires grad (its graph continues outside)."""
    if not is_grad_enabled():
        return False
    return _depth.value > 0 or any(isinstance(t, Tensor) and t.requires_grad for t in tensors)


def _captures_grad(outputs: list, fresh: list[Tensor]) -> bool:
    """Does the graph of ``outputs`` reach a tensor that requires grad other than ``fresh``
    (one ``func`` captured by closure)? Then the reverse pass must be recorded for it."""
    own = {id(physical(x)) for x in fresh}  # under vmap: the batch's leaf
    stack = [o.grad_fn for o in outputs if isinstance(o, Tensor) and o.grad_fn is not None]
    if any(isinstance(o, Tensor) and o.requires_grad and o.grad_fn is None and id(o) not in own
           for o in outputs):
        return True
    seen = set(stack)
    while stack:
        for child, _ in stack.pop().next_functions:
            if child is None or child in seen:
                continue
            seen.add(child)
            if type(child) is AccumulateGrad:
                leaf = child.variable
                if leaf is not None and id(leaf) not in own:
                    return True
            else:
                stack.append(child)
    return False


def _fresh(x: Tensor) -> Tensor:
    """``x`` as a new tensor that requires grad, still differentiable w.r.t. ``x`` if needed."""
    if not x.is_floating_point():
        raise TypeError(f"only floating point Tensors can be differentiated, got {x.dtype}; "
                        f"convert with .float() or .double()")
    if x.requires_grad and is_grad_enabled():
        return x.clone()  # a dual's clone keeps its tangent too; a method, so vmap batches it
    leaf = x.detach().requires_grad_()
    tangent = forward_ad.unpack_dual(x).tangent
    return leaf if tangent is None else forward_ad.make_dual(leaf, tangent)  # jacfwd(jacrev)


def _check_argnums(op: str, argnums: Argnums, nargs: int) -> tuple[int, ...]:
    many = isinstance(argnums, tuple)
    nums = argnums if many else (argnums,)
    if many and not nums:
        raise RuntimeError(f"{op}: argnums must be non-empty")
    result = []
    for n in nums:
        if not isinstance(n, int) or isinstance(n, bool):
            raise RuntimeError(f"{op}: argnums must be int or Tuple[int, ...], got: "
                               f"{type(argnums).__name__}")
        if not -nargs <= n < nargs:
            raise RuntimeError(f"{op}: got argnums={argnums}, but only {nargs} positional inputs")
        result.append(n % nargs)
    if len(set(result)) != len(result):
        raise RuntimeError(f"{op}: argnums must be unique, got {argnums}")
    return tuple(result)


def _prepare(op: str, args: tuple, nums: tuple[int, ...]) -> tuple[list, list, list]:
    """Replace the differentiated arguments by fresh tensors: (new args, fresh leaves per
    argnum, spec per argnum)."""
    args = list(args)
    fresh, specs = [], []
    for i in nums:
        leaves, spec = _tensor_leaves(op, args[i], f"the inputs at argnums ({i})")
        new = [_fresh(t) for t in leaves]
        args[i] = _unflatten(spec, new)
        fresh.append(new)
        specs.append(spec)
    return args, fresh, specs


def _split_aux(op: str, out, has_aux: bool):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{op}: output of function f should be a tuple: (output, aux) if "
                           f"has_aux is True")
    return out


def _detach_tree(tree, keep: bool):
    if keep or tree is None:
        return tree
    leaves, spec = _flatten(tree)
    return _unflatten(spec, [x.detach() if isinstance(x, Tensor) else x for x in leaves])


def _reverse(outputs: list[Tensor], inputs: list[Tensor], cotangents: list, create_graph: bool,
             retain_graph: bool) -> list[Tensor]:
    """sum_k cotangent_k . d output_k / d input, for each input; zeros where unconnected."""
    pairs = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
    grads = [None] * len(inputs)
    if pairs:
        from .vmap import _batched_grad  # autograd.grad, seeing through vmap's batches

        grads = _batched_grad([o for o, _ in pairs], inputs, [c for _, c in pairs],
                               retain_graph=retain_graph or create_graph,
                               create_graph=create_graph, allow_unused=True)
    return [zeros_like(x) if g is None else g for g, x in zip(grads, inputs)]


# -- grad, grad_and_value ----------------------------------------------------------------------
def grad_and_value(func: Callable, argnums: Argnums = 0, has_aux: bool = False) -> Callable:
    """Like :func:`grad`, but the new function returns ``(gradient, value)``.

    With ``has_aux``, ``func`` returns ``(value, aux)`` and the new one ``(gradient, (value,
    aux))``.

    Example:
        >>> import chainrule
        >>> from chainrule.func import grad_and_value
        >>> g, value = grad_and_value(lambda x: (x ** 2).sum())(chainrule.tensor([1.0, 3.0]))
        >>> g, value
        (tensor([2., 6.]), tensor(10.))
    """
    return _grad_and_value(func, argnums, has_aux, "grad_and_value(f)(*args)")


def _grad_and_value(func: Callable, argnums: Argnums, has_aux: bool, op: str) -> Callable:
    def wrapper(*args, **kwargs):
        nums = _check_argnums(op, argnums, len(args))
        outer = _outer_graph(_flatten(args)[0])
        new_args, fresh, specs = _prepare(op, args, nums)
        with enable_grad(), _transform_running():
            output, aux = _split_aux(op, func(*new_args, **kwargs), has_aux)
        flat = [t for group in fresh for t in group]
        outer = outer or is_grad_enabled() and _captures_grad([output], flat)
        if not isinstance(output, Tensor):
            raise RuntimeError(f"{op}: Expected f(*args) to return a Tensor, got "
                               f"{type(output).__name__}")
        if output.ndim != 0:
            raise RuntimeError(f"{op}: Expected f(*args) to return a scalar Tensor, got tensor "
                               f"with {output.ndim} dims (shape {tuple(output.shape)}). Maybe "
                               f"you wanted to use the vjp or jacrev APIs instead?")
        seed = ones((), dtype=output.dtype)
        grads = _reverse([output], flat, [seed], create_graph=outer, retain_graph=False)
        per_arg = _per_argnum(grads, fresh, specs)
        result = tuple(per_arg) if isinstance(argnums, tuple) else per_arg[0]
        value = output if outer else output.detach()
        if has_aux:
            return result, (value, _detach_tree(aux, outer))
        return result, value

    return wrapper


def grad(func: Callable, argnums: Argnums = 0, has_aux: bool = False) -> Callable:
    """The gradient of a scalar function: ``grad(f)(x) = df/dx``, with the structure of ``x``.

    Args:
        func: returns a 0-dim Tensor (with ``has_aux``: a pair ``(output, aux)``).
        argnums: the positional argument to differentiate with respect to, or a tuple of them
            (then a tuple of gradients is returned).
        has_aux: ``func`` also returns auxiliary data, passed through: ``(grad, aux)``.

    Example:
        >>> import chainrule
        >>> from chainrule.func import grad
        >>> x = chainrule.tensor(1.0)
        >>> grad(lambda t: t ** 3)(x), grad(grad(lambda t: t ** 3))(x)
        (tensor(3.), tensor(6.))
    """
    inner = _grad_and_value(func, argnums, has_aux, "grad(f)(*args)")

    def wrapper(*args, **kwargs):
        result, value = inner(*args, **kwargs)
        return (result, value[1]) if has_aux else result

    return wrapper


# -- vjp, jacrev -------------------------------------------------------------------------------
def vjp(func: Callable, *primals, has_aux: bool = False):
    """Run ``func(*primals)`` and return ``(output, vjp_fn)``: ``vjp_fn(v) = v^T J``.

    ``vjp_fn`` takes cotangents with the structure and shapes of ``output`` and returns a tuple
    with one gradient per primal; it may be called many times. With ``has_aux``, ``func``
    returns ``(output, aux)`` and ``vjp`` returns ``(output, vjp_fn, aux)``.

    Example:
        >>> import chainrule
        >>> from chainrule.func import vjp
        >>> out, vjp_fn = vjp(lambda x: x ** 2, chainrule.tensor([1.0, 2.0]))
        >>> vjp_fn(chainrule.tensor([1.0, 10.0]))
        (tensor([ 2., 40.]),)
    """
    op = "vjp(f, *primals)"
    outer = _outer_graph(_flatten(primals)[0])
    new_args, fresh, specs = _prepare(op, primals, tuple(range(len(primals))))
    with enable_grad(), _transform_running():
        output, aux = _split_aux(op, func(*new_args), has_aux)
    outs, out_spec = _tensor_leaves(op, output, "the outputs of f")
    flat = [t for group in fresh for t in group]
    outer = outer or is_grad_enabled() and _captures_grad(outs, flat)

    def vjp_fn(cotangents) -> tuple:
        cots, spec = _tensor_leaves("vjp_fn", cotangents, "the cotangents")
        if spec != out_spec:
            raise RuntimeError("vjp_fn: Expected pytree structure of cotangents to be the same "
                               "as pytree structure of outputs to the function")
        for i, (o, c) in enumerate(zip(outs, cots)):
            if c.shape != o.shape:
                raise RuntimeError(f"vjp_fn: Mismatch in shape: cotangent {i} has shape "
                                   f"{tuple(c.shape)} but the output has shape {tuple(o.shape)}")
        record = outer or _outer_graph(cots)
        grads = _reverse(outs, flat, cots, create_graph=record, retain_graph=True)
        return tuple(_per_argnum(grads, fresh, specs))

    result = (_detach_tree(output, outer), vjp_fn)
    return (*result, _detach_tree(aux, outer)) if has_aux else result


def _per_argnum(flat: list, fresh: list, specs: list) -> list:
    """Split a list over all fresh leaves into one pytree per differentiated argument."""
    result, start = [], 0
    for group, spec in zip(fresh, specs):
        result.append(_unflatten(spec, flat[start:start + len(group)]))
        start += len(group)
    return result


def _zeros(shape: tuple, dtype) -> Tensor:
    return _wrap(np.zeros(shape, dtype))


def _jacrev_rows(o: Tensor, inputs: list[Tensor], create_graph: bool) -> list[Tensor]:
    """d o / d x for each x, of shape o.shape + x.shape: one reverse pass per element of o."""
    n = o.numel()
    if n == 0 or not o.requires_grad:
        return [_zeros(o.shape + x.shape, x.data.dtype) for x in inputs]
    rows: list[list[Tensor]] = [[] for _ in inputs]
    for k in range(n):
        seed = zeros(n, dtype=o.dtype)
        seed[k] = 1
        seed = seed.reshape(o.shape)
        for col, g in zip(rows, _reverse([o], inputs, [seed], create_graph, retain_graph=True)):
            col.append(g)
    from .vmap import _stack  # chainrule.stack, for rows that vmap batches

    return [_stack(col).reshape(o.shape + x.shape) for col, x in zip(rows, inputs)]


def jacrev(func: Callable, argnums: Argnums = 0, *, has_aux: bool = False,
           chunk_size: int | None = None) -> Callable:
    """The Jacobian by reverse mode: ``jacrev(f)(x)[i..., j...] = d f(x)[i...] / d x[j...]``.

    Each Jacobian has shape ``output.shape + input.shape``. For pytree outputs the result has
    the output's structure; for a tuple ``argnums`` each leaf is a tuple over the arguments.

    Args:
        func: returns a Tensor or a pytree of Tensors (with ``has_aux``: ``(output, aux)``).
        argnums: which positional argument(s) to differentiate with respect to.
        has_aux: return ``(jacobian, aux)``.
        chunk_size: accepted for PyTorch compatibility; rows are always computed one by one.

    Example:
        >>> import chainrule
        >>> from chainrule.func import jacrev
        >>> jacrev(lambda x: x ** 2)(chainrule.tensor([1.0, 2.0]))
        tensor([[2., 0.],
                [0., 4.]])
    """
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise ValueError(f"jacrev: `chunk_size` should be greater than 0, got {chunk_size!r}")

    def wrapper(*args, **kwargs):
        op = "jacrev(f)(*args)"
        nums = _check_argnums(op, argnums, len(args))
        outer = _outer_graph(_flatten(args)[0])
        new_args, fresh, specs = _prepare(op, args, nums)
        with enable_grad(), _transform_running():
            output, aux = _split_aux(op, func(*new_args, **kwargs), has_aux)
        outs, out_spec = _tensor_leaves(op, output, "the outputs of f")
        flat = [t for group in fresh for t in group]
        outer = outer or is_grad_enabled() and _captures_grad(outs, flat)
        per_output = []
        for o in outs:
            jac = _per_argnum(_jacrev_rows(o, flat, outer), fresh, specs)
            per_output.append(tuple(jac) if isinstance(argnums, tuple) else jac[0])
        result = _unflatten(out_spec, per_output)
        return (result, _detach_tree(aux, outer)) if has_aux else result

    return wrapper


# -- forward mode: jvp, jacfwd, hessian --------------------------------------------------------
def _tangents_of(outs: list[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
    """The primal and tangent of each output (a zero tangent where it got none)."""
    primals, tangents = [], []
    for o in outs:
        primal, tangent = forward_ad.unpack_dual(o)
        primals.append(primal)
        tangents.append(zeros_like(primal) if tangent is None else tangent)
    return primals, tangents


def jvp(func: Callable, primals: tuple, tangents: tuple, *, strict: bool = False,
        has_aux: bool = False):
    """``(func(*primals), J @ tangents)`` by forward-mode AD, in one evaluation of ``func``.

    Args:
        primals: a tuple of arguments (pytrees of Tensors) for ``func``.
        tangents: a tuple of the same structure and shapes: the direction.
        strict: accepted for PyTorch compatibility.
        has_aux: ``func`` returns ``(output, aux)``; then ``(output, jvp_out, aux)``.

    Example:
        >>> import chainrule
        >>> from chainrule.func import jvp
        >>> jvp(lambda x: x ** 2, (chainrule.tensor([1.0, 2.0]),), (chainrule.ones(2),))
        (tensor([1., 4.]), tensor([2., 4.]))
    """
    op = "jvp(f, primals, tangents)"
    for name, value in (("primals", primals), ("tangents", tangents)):
        if not isinstance(value, tuple):
            raise RuntimeError(f"{op}: Expected {name} to be a tuple. E.g. it should be valid to "
                               f"call f(*primals), got a {type(value).__name__}")
    flat_p, spec_p = _tensor_leaves(op, primals, "primals")
    flat_t, spec_t = _tensor_leaves(op, tangents, "tangents")
    if spec_p != spec_t:
        raise RuntimeError(f"{op}: Expected primals and tangents to have the same python "
                           f"structure")
    for i, (p, t) in enumerate(zip(flat_p, flat_t)):
        if p.shape != t.shape:
            raise RuntimeError(f"{op}: Expected primals and tangents to have the same shape, "
                               f"got primal {i} of shape {tuple(p.shape)} and tangent of shape "
                               f"{tuple(t.shape)}")
    outer = _outer_graph(flat_p + flat_t)
    with forward_ad.dual_level(), _transform_running():
        duals = [forward_ad.make_dual(p, t) for p, t in zip(flat_p, flat_t)]
        output, aux = _split_aux(op, func(*_unflatten(spec_p, duals)), has_aux)
        outs, out_spec = _tensor_leaves(op, output, "the outputs of f")
        values, jvps = _tangents_of(outs)
        aux = _detach_tree(aux, outer)
    result = (_detach_tree(_unflatten(out_spec, values), outer),
              _detach_tree(_unflatten(out_spec, jvps), outer))
    return (*result, aux) if has_aux else result


def _jacfwd_columns(call: Callable, flat: list[Tensor], k: int) -> list[list[Tensor]] | None:
    """For each element j of ``flat[k]``: the tangent of every output in the direction e_j,
    one forward-mode evaluation each (``call`` maps the flat inputs to the flat outputs).
    Returns columns[output][j], or None when ``flat[k]`` is empty."""
    x = flat[k]
    n = x.data.size
    columns = None
    for j in range(n):
        seed = np.zeros(n, x.data.dtype)
        seed[j] = 1
        with forward_ad.dual_level(), _transform_running():
            new_flat = list(flat)
            new_flat[k] = forward_ad.make_dual(x, _wrap(seed.reshape(x.shape)))
            tangents = _tangents_of(call(new_flat))[1]
        if columns is None:
            columns = [[] for _ in tangents]
        for col, t in zip(columns, tangents):
            col.append(t)
    return columns


def jacfwd(func: Callable, argnums: Argnums = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """The Jacobian by forward mode: one forward-mode evaluation per input element.

    Same results and structure as :func:`jacrev`; cheaper when inputs are fewer than outputs.

    Args:
        func: returns a Tensor or a pytree of Tensors (with ``has_aux``: ``(output, aux)``).
        argnums: which positional argument(s) to differentiate with respect to.
        has_aux: return ``(jacobian, aux)``.
        randomness: accepted for PyTorch compatibility (it only matters under vmap).

    Example:
        >>> import chainrule
        >>> from chainrule.func import jacfwd
        >>> jacfwd(lambda x: x.sin())(chainrule.zeros(2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"jacfwd: only allowed values for randomness are 'error', "
                           f"'different', or 'same', got {randomness!r}")

    def wrapper(*args, **kwargs):
        op = "jacfwd(f)(*args)"
        nums = _check_argnums(op, argnums, len(args))
        groups, specs = [], []
        for i in nums:
            leaves, spec = _tensor_leaves(op, args[i], f"the inputs at argnums ({i})")
            groups.append(leaves)
            specs.append(spec)
        flat = [t for group in groups for t in group]
        outer = _outer_graph(_flatten(args)[0])
        with _transform_running():
            output, aux = _split_aux(op, func(*args, **kwargs), has_aux)
        outs, out_spec = _tensor_leaves(op, output, "the outputs of f")

        def call(new_flat: list[Tensor]) -> list:
            call_args = list(args)
            for i, sub in zip(nums, _per_argnum(new_flat, groups, specs)):
                call_args[i] = sub
            return _flatten(_split_aux(op, func(*call_args, **kwargs), has_aux)[0])[0]

        jacs: list[list[Tensor]] = [[] for _ in outs]
        for k, x in enumerate(flat):
            columns = _jacfwd_columns(call, flat, k) or [None] * len(outs)
            for o, jac, col in zip(outs, jacs, columns):
                shape = o.shape + x.shape
                jac.append(stack(col, dim=-1).reshape(shape) if col else
                           _zeros(shape, o.data.dtype))
        per_output = []
        for jac in jacs:
            split = _per_argnum(jac, groups, specs)
            per_output.append(tuple(split) if isinstance(argnums, tuple) else split[0])
        result = _detach_tree(_unflatten(out_spec, per_output), outer)
        return (result, _detach_tree(aux, outer)) if has_aux else result

    return wrapper


def hessian(func: Callable, argnums: Argnums = 0) -> Callable:
    """The Hessian of a scalar function, ``jacfwd(jacrev(func, argnums), argnums)``.

    Example:
        >>> import chainrule
        >>> from chainrule.func import hessian
        >>> hessian(lambda x: (x ** 3).sum())(chainrule.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)
