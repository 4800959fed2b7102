"""Linear algebra: matmul (and its strict forms mm, bmm, dot, outer), einsum, triangles, diagonals.

Two primitives carry the products: ``MatMul`` (NumPy's matmul, one BLAS call per matrix) and
``Einsum`` (any contraction). Both differentiate into themselves, so gradients of gradients come
for free. ``Diagonal`` and its adjoint ``DiagEmbed`` do the same for diagonals.
"""

from __future__ import annotations

import math
import string

import numpy as np

from ..autograd.forward_ad import add_terms, linear_jvp, multilinear_jvp
from ..autograd.function import Function
from ..errors import ShapeError
from ..tensor import Tensor, _wrap
from .comparison import keep_where
from .elementwise import TensorLike, mul, promote
from .reduction import normalize_dims
from .shape import mark_view, reshape

__all__ = ["matmul", "mm", "bmm", "dot", "outer", "einsum", "diagonal", "trace", "tril", "triu"]


def _pair(x: TensorLike, y: TensorLike) -> tuple[Tensor, Tensor]:
    """Both operands as Tensors of one dtype (int @ float gives float32, as for `*`)."""
    if type(x) is Tensor and type(y) is Tensor and x.data.dtype == y.data.dtype:
        return x, y
    return promote(x, y)


def _check_matmul(op: str, xs: tuple[int, ...], ys: tuple[int, ...]) -> None:
    """Raise the ShapeError that says why `xs @ ys` is not defined (nothing if it is)."""
    if not xs or not ys:
        raise ShapeError(
            f"{op}: both arguments need at least 1 dimension, got shapes {xs} and "
            f"{ys}; use mul (*) for scalars"
        ) from None
    inner = ys[-2] if len(ys) > 1 else ys[0]
    if xs[-1] != inner:
        raise ShapeError(
            f"{op}: shapes {xs} and {ys} cannot be multiplied ({xs[-1]} != {inner})"
        ) from None
    try:
        np.broadcast_shapes(xs[:-2], ys[:-2])
    except ValueError:
        raise ShapeError(
            f"{op}: batch dimensions of shapes {xs} and {ys} cannot be broadcast "
            f"({xs[:-2]} and {ys[:-2]}); each must match or be 1, aligned from "
            f"the right"
        ) from None


class MatMul(Function):
    """out = x @ y, NumPy's matmul: 1-D operands are promoted to a matrix, batch dims broadcast.

    A primitive for speed: forward is one ``np.matmul`` and the rule two more.
    """

    @staticmethod
    def forward(ctx, x, y):
        # x is only read for grad_y, y only for grad_x.
        ctx.save_for_backward(
            x if ctx.needs_input_grad[1] else None, y if ctx.needs_input_grad[0] else None
        )
        ctx.ndims = x.data.ndim, y.data.ndim
        return _product(x.data, y.data)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        nx, ny = ctx.ndims
        if nx == 1 and ny == 1:  # a dot product: grad is 0-d
            return (grad * y if need_x else None), (grad * x if need_y else None)
        # Promote 1-D operands as forward did: x to a row (1, k), y to a column (k, 1).
        if nx == 1:
            x = x if x is None else reshape(x, (1, x.data.shape[0]))
            grad = reshape(grad, grad.data.shape[:-1] + (1, grad.data.shape[-1]))
        elif ny == 1:
            y = y if y is None else reshape(y, (y.data.shape[0], 1))
            grad = reshape(grad, grad.data.shape + (1,))
        grad_x = grad_y = None
        if need_x:
            grad_x = MatMul.apply(grad, y.mT)  # d(xy)/dx = grad @ y^T
            if nx == 1:
                grad_x = reshape(grad_x, grad_x.data.shape[:-2] + grad_x.data.shape[-1:])
        if need_y:
            if nx > 2 and ny <= 2:
                # Fold the batch into the rows: one (k, B*n) @ (B*n, m) instead of B products
                # that the engine would then have to sum.
                k, m = x.data.shape[-1], grad.data.shape[-1]
                grad_y = MatMul.apply(reshape(x, (-1, k)).mT, reshape(grad, (-1, m)))
            else:
                grad_y = MatMul.apply(x.mT, grad)  # d(xy)/dy = x^T @ grad
            if ny == 1:
                grad_y = reshape(grad_y, grad_y.data.shape[:-1])
        return grad_x, grad_y

    @staticmethod
    def backward_numpy(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        nx, ny = ctx.ndims
        g = grad.data
        x = None if x is None else x.data
        y = None if y is None else y.data
        if nx == 1 and ny == 1:
            return (_wrap(g * y) if need_x else None), (_wrap(g * x) if need_y else None)
        if nx == 1:  # as backward: x a row, y a column
            x = x if x is None else x.reshape(1, x.shape[0])
            g = g.reshape(g.shape[:-1] + (1, g.shape[-1]))
        elif ny == 1:
            y = y if y is None else y.reshape(y.shape[0], 1)
            g = g.reshape(g.shape + (1,))
        grad_x = grad_y = None
        if need_x:
            grad_x = _product(g, y.swapaxes(-1, -2))
            if nx == 1:
                grad_x = grad_x.reshape(grad_x.shape[:-2] + grad_x.shape[-1:])
            grad_x = _wrap(grad_x)
        if need_y:
            if nx > 2 and ny <= 2:
                k, m = x.shape[-1], g.shape[-1]
                grad_y = _product(x.reshape(-1, k).swapaxes(-1, -2), g.reshape(-1, m))
            else:
                grad_y = _product(x.swapaxes(-1, -2), g)
            if ny == 1:
                grad_y = grad_y.reshape(grad_y.shape[:-1])
            grad_y = _wrap(grad_y)
        return grad_x, grad_y

    jvp = multilinear_jvp


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b; (..., n, k) @ (k, m) as one GEMM on (... * n, k), faster than a loop over the
    batch."""
    if a.ndim > 2 and b.ndim == 2:
        lead = a.shape[:-1]
        return np.matmul(a.reshape(math.prod(lead), a.shape[-1]), b).reshape(*lead, b.shape[1])
    return np.matmul(a, b)


class Linear(Function):
    """out = x @ w^T + b over any leading dims of x; w is (out, in), b is (out,) or None.

    A primitive for speed (PyTorch fuses it too): one GEMM forward; backward writes the weight
    gradient straight as (out, in), where the composition (matmul of a transpose, then add)
    makes it transposed and the engine copies it, and sums the bias gradient in one pass.
    In ``mlp_step`` (784-512-256-10, batch 128, one BLAS thread) the step went from 5.1 to
    4.3 ms (the NumPy floor: 3.2 ms).

    A 2-D input's products run transposed, as ``(w @ x^T)^T`` and ``(w^T @ grad^T)^T``:
    OpenBLAS's sgemm takes ~20% less time in that orientation (x (128, 784) @ w^T (784, 512):
    ~0.79 against ~0.97 ms, one thread), and mlp_step's whole step ~6% less. The output is then
    column-major (F order). Values are the same; what differs from PyTorch, whose output is
    contiguous, is that ``.view`` of it to a shape that needs a copy (e.g. ``.view(-1)``)
    raises, where ``.reshape`` and ``.flatten`` copy.
    """

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None,
                              w if ctx.needs_input_grad[0] else None)
        a = x.data
        if a.ndim == 2:
            out = (w.data @ a.T).T  # F order: the faster orientation (see above)
        else:
            out = (a.reshape(-1, a.shape[-1]) @ w.data.T).reshape(*a.shape[:-1], w.data.shape[0])
        if b is not None:
            out += b.data
        return out

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        rows = reshape(grad, (-1, grad.data.shape[-1]))  # (N, out)
        grad_x = None
        if need_x:
            grad_x = reshape(MatMul.apply(rows, w), (*grad.data.shape[:-1], w.data.shape[1]))
        grad_w = MatMul.apply(rows.mT, reshape(x, (-1, x.data.shape[-1]))) if need_w else None
        grad_b = rows.sum(dim=0) if need_b else None  # d out/d b = 1 for every row
        return grad_x, grad_w, grad_b

    @staticmethod
    def backward_numpy(ctx, grad):
        x, w = ctx.saved_tensors
        return _linear_grads(grad.data, x, w, *ctx.needs_input_grad)

    @staticmethod
    def jvp(ctx, tangent_x, tangent_w, tangent_b):
        x, w, _ = ctx.primals  # bilinear in (x, w), plus b
        terms = [] if tangent_x is None else [Linear.apply(tangent_x, w, None)]
        if tangent_w is not None:
            terms.append(Linear.apply(x, tangent_w, None))
        if tangent_b is not None:
            terms.append(tangent_b)
        return add_terms(terms)


def _linear_grads(grad: np.ndarray, x: Tensor | None, w: Tensor | None, need_x: bool,
                  need_w: bool, need_b: bool) -> tuple:
    """Linear's rule in NumPy, for the usual backward (no create_graph, vmap or forward AD):
    the same three products and sum, without the Reshape, Transpose and MatMul nodes that
    the differentiable version makes (~6 op calls per layer)."""
    rows = grad.reshape(-1, grad.shape[-1])  # (N, out)
    grad_x = grad_w = grad_b = None
    if need_x:
        if grad.ndim == 2:
            grad_x = _wrap((w.data.T @ rows.T).T)  # rows @ w, transposed as forward's product
        else:
            grad_x = _wrap((rows @ w.data).reshape(*grad.shape[:-1], w.data.shape[1]))
    if need_w:
        grad_w = _wrap(rows.T @ x.data.reshape(-1, x.data.shape[-1]))
    if need_b:  # a row of ones times rows: half the time of rows.sum(axis=0) (on (128, 512)
        # float32 4 vs 8 us, and nearer the float64 sum)
        grad_b = _wrap(np.ones(len(rows), rows.dtype) @ rows)
    return grad_x, grad_w, grad_b


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` on checked arguments (see chainrule.nn.functional.linear)."""
    return Linear.apply(input, weight, bias)


def matmul(input: TensorLike, other: TensorLike) -> Tensor:
    """Matrix product with PyTorch's rules: 1-D @ 1-D is a dot product; a 1-D operand is
    promoted to a matrix and the added dimension removed; leading (batch) dimensions broadcast.

    Integer operands with float ones give float32. Same as ``input @ other``.

    Raises:
        ShapeError: a 0-d operand, inner dimensions that differ, or batch dimensions that do
            not broadcast; the message names both shapes.

    Example:
        >>> import chainrule
        >>> a = chainrule.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> chainrule.matmul(a, chainrule.tensor([1.0, 1.0]))
        tensor([3., 7.])
    """
    x, y = _pair(input, other)
    try:
        return MatMul.apply(x, y)
    except ValueError:
        _check_matmul("matmul", x.data.shape, y.data.shape)
        raise


def mm(input: TensorLike, mat2: TensorLike) -> Tensor:
    """Product of two matrices: ``matmul`` restricted to 2-D operands (no broadcasting).

    Example:
        >>> import chainrule
        >>> chainrule.mm(chainrule.ones(2, 3), chainrule.ones(3, 1))
        tensor([[3.],
                [3.]])
    """
    x, y = _pair(input, mat2)
    if x.data.ndim != 2 or y.data.ndim != 2:
        raise ShapeError(
            f"mm: expected two 2-D tensors, got shapes {x.data.shape} and "
            f"{y.data.shape}; use matmul for other shapes"
        )
    _check_matmul("mm", x.data.shape, y.data.shape)
    return MatMul.apply(x, y)


def bmm(input: TensorLike, mat2: TensorLike) -> Tensor:
    """Batched product of (b, n, k) and (b, k, m) tensors; the batch sizes must be equal.

    Example:
        >>> import chainrule
        >>> chainrule.bmm(chainrule.ones(4, 2, 3), chainrule.ones(4, 3, 5)).shape
        (4, 2, 5)
    """
    x, y = _pair(input, mat2)
    xs, ys = x.data.shape, y.data.shape
    if len(xs) != 3 or len(ys) != 3:
        raise ShapeError(
            f"bmm: expected two 3-D tensors, got shapes {xs} and {ys}; use matmul for other shapes"
        )
    if xs[0] != ys[0]:
        raise ShapeError(
            f"bmm: batch sizes of shapes {xs} and {ys} differ ({xs[0]} != "
            f"{ys[0]}); bmm does not broadcast, matmul does"
        )
    _check_matmul("bmm", xs, ys)
    return MatMul.apply(x, y)


def dot(input: TensorLike, tensor: TensorLike) -> Tensor:
    """sum_i input[i] * tensor[i] for two 1-D tensors of equal length (a 0-d result).

    Example:
        >>> import chainrule
        >>> chainrule.dot(chainrule.tensor([1.0, 2.0]), chainrule.tensor([3.0, 4.0]))
        tensor(11.)
    """
    x, y = _pair(input, tensor)
    xs, ys = x.data.shape, y.data.shape
    if len(xs) != 1 or len(ys) != 1:
        raise ShapeError(f"dot: expected two 1-D tensors, got shapes {xs} and {ys}")
    if xs != ys:
        raise ShapeError(
            f"dot: tensors of shapes {xs} and {ys} differ in length ({xs[0]} != {ys[0]})"
        )
    return MatMul.apply(x, y)


def outer(input: TensorLike, vec2: TensorLike) -> Tensor:
    """out[i, j] = input[i] * vec2[j] for two 1-D tensors.

    Example:
        >>> import chainrule
        >>> chainrule.outer(chainrule.tensor([1.0, 2.0]), chainrule.tensor([1.0, 10.0]))
        tensor([[ 1., 10.],
                [ 2., 20.]])
    """
    x, y = _pair(input, vec2)
    if x.data.ndim != 1 or y.data.ndim != 1:
        raise ShapeError(
            f"outer: expected two 1-D tensors, got shapes {x.data.shape} and {y.data.shape}"
        )
    return mul(reshape(x, (x.data.shape[0], 1)), y)


# -- einsum ------------------------------------------------------------------------------------

_LETTERS = string.ascii_letters
_OPTIMIZE_ABOVE = 1 << 16  # NumPy's plain einsum loop beats its path search below this size


class Einsum(Function):
    """out = np.einsum(equation, *operands); the equation is explicit ('ij,jk->ik').

    A primitive because it is one: the gradient for operand k is again an einsum, of ``grad``
    and the other operands (see ``_einsum_grad``), so every order of derivative stays one call.
    """

    @staticmethod
    def forward(ctx, spec, *operands):
        inputs, output, sizes = spec
        ctx.spec = spec
        need = [ctx.needs_input_grad[1 + j] for j in range(len(operands))]
        # Operand j is read only by the gradients of the others.
        ctx.save_for_backward(
            *(op if any(need[:j] + need[j + 1 :]) else None for j, op in enumerate(operands))
        )
        arrays = [op.data for op in operands]
        optimize = len(arrays) > 1 and math.prod(sizes.values()) > _OPTIMIZE_ABOVE
        out = np.einsum(",".join(inputs) + "->" + output, *arrays, optimize=optimize)
        if len(arrays) == 1 and np.may_share_memory(out, arrays[0]):
            out = out.copy()  # NumPy returns views for 'ij->ji' and 'ii->i'; results own memory
        return out

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        inputs, output, sizes = ctx.spec
        grads = [None]
        for k, need in enumerate(ctx.needs_input_grad[1:]):
            grads.append(_einsum_grad(k, grad, operands, inputs, output, sizes) if need else None)
        return tuple(grads)

    jvp = multilinear_jvp


def _einsum_grad(k: int, grad: Tensor, operands, inputs, output: str, sizes: dict) -> Tensor:
    """d out / d operand k: the einsum of ``grad`` with every other operand, to k's subscripts.

    Two kinds of letters of operand k have no source in those terms:
    - a repeated letter (a diagonal, 'ii'): each repeat gets a fresh letter and an identity
      operand tying it to the first, so the gradient lands on the diagonal only;
    - a letter found nowhere else (summed out, 'ij->i'): a ones operand broadcasts it back.
    """
    terms = [output] + [t for j, t in enumerate(inputs) if j != k]
    arrays = [grad] + [op for j, op in enumerate(operands) if j != k]
    dtype = grad.data.dtype
    taken = set("".join(inputs) + output)
    fresh = [c for c in _LETTERS if c not in taken]
    target, seen = [], set()
    for c in inputs[k]:
        if c in seen:
            if not fresh:
                raise ShapeError("einsum: too many subscripts to differentiate (at most 52)")
            f = fresh.pop()
            terms.append(c + f)
            arrays.append(_wrap(np.eye(sizes[c], dtype=dtype)))
            target.append(f)
        else:
            seen.add(c)
            target.append(c)
    covered = set("".join(terms))
    for c in dict.fromkeys(inputs[k]):
        if c not in covered:
            terms.append(c)
            arrays.append(_wrap(np.ones(sizes[c], dtype=dtype)))
    return einsum(",".join(terms) + "->" + "".join(target), *arrays)


def _parse_einsum(equation: str, shapes: list[tuple[int, ...]]):
    """(input subscripts, output subscripts, {letter: size}), with '...' spelled out in
    unused letters and the implicit output (letters used once, sorted) made explicit."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")

    def fail(why: str) -> ShapeError:
        listed = ", ".join(str(s) for s in shapes)
        return ShapeError(f"einsum: {why} (equation {equation!r}, operand shapes {listed})")

    if not set(eq) <= set(_LETTERS + ".,->") or "-" in lhs + rhs or ">" in lhs + rhs:
        raise fail("subscripts must be letters a-z, A-Z, with ',', '->' and '...'")
    if len(terms) != len(shapes):
        raise fail(f"the equation has {len(terms)} terms but {len(shapes)} operands were given")
    for term in [*terms, rhs]:
        if "." in term.replace("...", "", 1):
            raise fail(f"'.' may only appear as one '...' per term, got {term!r}")
    # Each operand's '...' covers the dims its letters leave; they align from the right.
    extras = [len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes, strict=True)]
    for i, (term, extra) in enumerate(zip(terms, extras, strict=True)):
        if extra < 0 or (extra and "..." not in term):
            raise fail(
                f"operand {i} has {len(shapes[i])} dimensions but subscripts {term!r} "
                f"name {len(shapes[i]) - extra}"
            )
    ellipsis = max(extras, default=0)
    fresh = "".join(c for c in _LETTERS if c not in eq)[:ellipsis]
    if len(fresh) < ellipsis:
        raise fail("too many dimensions for the 52 available subscripts")
    inputs = [
        t.replace("...", fresh[ellipsis - e :], 1) for t, e in zip(terms, extras, strict=True)
    ]
    if arrow:
        output = rhs.replace("...", fresh, 1)  # without '...' the broadcast dims are summed
    else:
        used = "".join(terms).replace("...", "")
        output = fresh + "".join(sorted(c for c in set(used) if used.count(c) == 1))
    for c in output:
        if output.count(c) > 1 or c not in "".join(inputs):
            raise fail(
                f"output subscript {c!r} must appear once in the output and at least "
                f"once in the inputs"
            )
    return inputs, output, _letter_sizes(inputs, shapes, fail)


def _letter_sizes(inputs: list[str], shapes: list[tuple[int, ...]], fail) -> dict[str, int]:
    """{letter: size}: equal within an operand (a diagonal), equal or 1 across operands."""
    sizes: dict[str, int] = {}
    for i, (term, shape) in enumerate(zip(inputs, shapes, strict=True)):
        own: dict[str, int] = {}
        for c, n in zip(term, shape, strict=True):
            if own.setdefault(c, n) != n:
                raise fail(
                    f"subscript {c!r} is repeated in operand {i} with sizes {own[c]} "
                    f"and {n}; a diagonal needs equal sizes"
                )
            have = sizes.get(c, 1)
            if have != n and have != 1 and n != 1:
                raise fail(
                    f"subscript {c!r} has size {have} in one operand and {n} in "
                    f"operand {i}; sizes must match or be 1"
                )
            sizes[c] = n if have == 1 else have
    return sizes


def einsum(equation: str, *operands: Tensor) -> Tensor:
    """Einstein summation: multiply the operands along equal subscripts and sum out those
    missing from the output, e.g. 'ij,jk->ik' (matmul), 'ii->i' (diagonal), 'bij->bji'.

    Args:
        equation: comma-separated subscripts per operand, optionally '->' and the output's.
            Without '->' the output is every letter used once, in alphabetical order. '...'
            stands for broadcast dimensions; a letter repeated in one operand takes a diagonal.
        operands: Tensors (or one list of them), one per term.

    Example:
        >>> import chainrule
        >>> a = chainrule.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> chainrule.einsum("ii", a)
        tensor(5.)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = promote(*operands) if len(operands) > 1 else operands
    spec = _parse_einsum(equation, [op.data.shape for op in operands])
    return Einsum.apply(spec, *operands)


# -- diagonals and triangles -------------------------------------------------------------------


class Diagonal(Function):
    """out[..., t] = x[..., t + r, ..., t + c, ...]: the diagonal at `offset` over dims
    (dim1, dim2), as the last dimension (r = max(-offset, 0), c = max(offset, 0))."""

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.shape, ctx.args = x.data.shape, (offset, dim1, dim2)
        return np.diagonal(x.data, offset, dim1, dim2)  # a read-only view

    @staticmethod
    def backward(ctx, grad):
        return DiagEmbed.apply(grad, ctx.shape, *ctx.args), None, None, None

    jvp = linear_jvp


class DiagEmbed(Function):
    """out = zeros of `shape` with x written on the diagonal that Diagonal reads: its adjoint."""

    @staticmethod
    def forward(ctx, x, shape, offset, dim1, dim2):
        ctx.args = (offset, dim1, dim2)
        out = np.zeros(shape, dtype=x.data.dtype)
        length = x.data.shape[-1]
        rows = np.arange(length) + max(-offset, 0)
        cols = np.arange(length) + max(offset, 0)
        np.moveaxis(out, (dim1, dim2), (-2, -1))[..., rows, cols] = x.data
        return out

    @staticmethod
    def backward(ctx, grad):
        return Diagonal.apply(grad, *ctx.args), None, None, None, None

    jvp = linear_jvp


def _check_matrix(op: str, input: Tensor) -> None:
    if input.data.ndim < 2:
        raise ShapeError(
            f"{op}: expected a tensor of at least 2 dimensions, got shape {tuple(input.shape)}"
        )


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of ``input`` over dims ``dim1`` and ``dim2`` as its last dimension; a
    positive ``offset`` takes one above the main diagonal, a negative one below.

    The result is a read-only view of ``input`` (it shares its version counter).

    Example:
        >>> import chainrule
        >>> chainrule.diagonal(chainrule.tensor([[1.0, 2.0], [3.0, 4.0]]), offset=1)
        tensor([2.])
    """
    _check_matrix("diagonal", input)
    ndim = input.data.ndim
    d1 = normalize_dims("diagonal", dim1, ndim)[0]
    d2 = normalize_dims("diagonal", dim2, ndim)[0]
    if d1 == d2:
        raise ShapeError(
            f"diagonal: dim1 and dim2 must be different dimensions, got {dim1} and "
            f"{dim2} for shape {tuple(input.shape)}"
        )
    return mark_view(Diagonal.apply(input, int(offset), d1, d2), input)


def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a 2-D tensor (integers sum as int64).

    Example:
        >>> import chainrule
        >>> chainrule.trace(chainrule.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor(5.)
    """
    if input.data.ndim != 2:
        raise ShapeError(f"trace: expected a 2-D tensor, got shape {tuple(input.shape)}")
    return diagonal(input).sum()


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """``input`` with the elements above the ``diagonal``-th diagonal of its last two dims set
    to 0 (``diagonal`` > 0 keeps more, < 0 fewer).

    Example:
        >>> import chainrule
        >>> chainrule.tril(chainrule.ones(2, 3))
        tensor([[1., 0., 0.],
                [1., 1., 0.]])
    """
    _check_matrix("tril", input)
    n, m = input.data.shape[-2:]
    # A where, not a product with the mask: inf or nan outside the triangle must still give 0.
    return keep_where(np.tri(n, m, diagonal, dtype=bool), input)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """``input`` with the elements below the ``diagonal``-th diagonal of its last two dims set
    to 0.

    Example:
        >>> import chainrule
        >>> chainrule.triu(chainrule.ones(2, 3), diagonal=1)
        tensor([[0., 1., 1.],
                [0., 0., 1.]])
    """
    _check_matrix("triu", input)
    n, m = input.data.shape[-2:]
    return keep_where(~np.tri(n, m, diagonal - 1, dtype=bool), input)
