"""vmap at the level of primitives: one batching rule per ``Function`` class.

Every chainrule op ends in ``Function.apply``. While a vmap runs, ``apply`` hands each call to
:func:`dispatch` (the ``grad_mode._GradState.dispatch`` slot): if an argument is batched, the
rule of the Function class runs the same primitive once on the whole batch (dim 0 of each
batched value); if none is, the op runs as usual (forward AD, if active, comes next). So
module-level functions (``chainrule.exp``, ``cat``, ``einsum``) and all of ``nn.functional``
are batched without knowing about vmap: their wrappers validate the example's shape (a
BatchedTensor's ``.data`` is a value-free stand-in of that shape) and the rule sees the
arguments ``forward`` would get.

Rules come in a few kinds: elementwise primitives only align batch dims (:func:`_pointwise`);
those taking dims shift them by one (a negative dim needs no shift); shapes get the batch size
in front; a few fold the batch into a dim the primitive already has (Linear, Convolution, the
LSTM and GRU recurrences). A Function without a rule runs once per example and the results are
stacked (:func:`_per_example`, with a warning once per class): correct, but a Python loop.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..autograd import forward_ad
from ..autograd.grad_mode import _state
from ..nn.functional.loss import BinaryCrossEntropy
from ..nn.functional.norm import BatchNorm, LayerNorm
from ..nn.functional.pooling import TakeWindow
from ..nn.functional.rnn import GRURecurrence, LSTMRecurrence
from ..ops import activation, comparison, conv, elementwise, linalg, reduction, shape, unary
from ..ops.indexing import Index
from ..tensor import Tensor
from . import _batching_rules as rules

_warned: set[type] = set()


def dispatch(cls, args: tuple):
    """``cls.apply(*args)`` while a vmap runs: the rule of ``cls`` if an argument is batched."""
    level = rules.top_level(args)
    if level == 0:
        if _state.fw is not None:
            return forward_ad.apply_dual(cls, args)
        _state.dispatch = None
        try:
            return cls.apply(*args)
        finally:
            _state.dispatch = dispatch
    rule = RULES.get(cls)
    if rule is None:
        return _per_example(cls, args, level)
    return rule(cls, args, level)


def _per_example(cls, args: tuple, level: int):
    """The fallback for a Function without a rule: once per example, then a stack."""
    if cls not in _warned:
        _warned.add(cls)
        warnings.warn(f"vmap: {cls.__name__} has no batching rule; it runs once per example "
                      f"(a Python loop), which is slow", RuntimeWarning, stacklevel=4)
    results = [cls.apply(*(rules._example(a, i, level) for a in args))
               for i in range(rules.batch_size(level, _first_batched(args, level)))]
    if isinstance(results[0], Tensor):
        return rules.make(rules.join(results, 0, True), level)
    return tuple(rules.make(rules.join(list(col), 0, True), level)
                 for col in zip(*results, strict=True))


def _first_batched(args, level: int):
    for a in args:
        if rules.unpack(a, level)[1]:
            return a
    return None


def _wrap(out, level: int):
    if isinstance(out, Tensor):
        return rules.make(out, level)
    return tuple(rules.make(o, level) for o in out)


def _shift(dim: int) -> int:
    """A dim of the example as a dim of the batched value (negative dims count from the end)."""
    return dim + 1 if dim >= 0 else dim


# -- elementwise: align batch dims, run once --------------------------------------------------
def _pointwise(cls, args: tuple, level: int):
    """Batched tensors padded to the common rank (so that batch dims line up), the others
    broadcast as they are; non-tensor arguments pass through."""
    rank = max(a.ndim for a in args if isinstance(a, Tensor))
    phys = []
    for a in args:
        p, batched = rules.unpack(a, level)
        phys.append(rules.pad(p, rank) if batched else p)
    return _wrap(cls.apply(*phys), level)


# -- one tensor, dims or shapes as arguments --------------------------------------------------
def _value(args: tuple, level: int) -> Tensor | None:
    """The batched value of the first argument, or None if it is not batched here."""
    p, batched = rules.unpack(args[0], level)
    return p if batched else None


def _dims_rule(cls, args: tuple, level: int):
    """(x, dims or dim, *rest): reductions, softmax, cumsum, flip."""
    value = _value(args, level)
    if value is None:
        return cls.apply(rules.unpack(args[0], level)[0], *args[1:])
    dims = args[1]
    moved = tuple(_shift(d) for d in dims) if isinstance(dims, tuple) else _shift(dims)
    return _wrap(cls.apply(value, moved, *args[2:]), level)


def _shape_rule(cls, args: tuple, level: int):
    """Reshape, Expand: the batch size in front of the example's shape."""
    value = _value(args, level)
    if value is None:
        return cls.apply(rules.unpack(args[0], level)[0], *args[1:])
    size = tuple(args[1])
    if cls is shape.Expand:
        value = rules.pad(value, len(size))
    return _wrap(cls.apply(value, (value.shape[0], *size)), level)


def _permute(cls, args: tuple, level: int):
    value = _value(args, level)
    if value is None:
        return cls.apply(rules.unpack(args[0], level)[0], *args[1:])
    return _wrap(cls.apply(value, (0, *(_shift(d) for d in args[1]))), level)


def _split(cls, args: tuple, level: int):
    x, sizes, dim, unbind = args
    value = _value(args, level)
    if value is None:
        return cls.apply(rules.unpack(x, level)[0], *args[1:])
    return _wrap(cls.apply(value, sizes, _shift(dim), unbind), level)


def _diagonal(cls, args: tuple, level: int):
    x, offset, dim1, dim2 = args
    value = _value(args, level)
    if value is None:
        return cls.apply(rules.unpack(x, level)[0], *args[1:])
    return _wrap(cls.apply(value, offset, _shift(dim1), _shift(dim2)), level)


def _cat(cls, args: tuple, level: int):
    """Cat(dim, new_dim, *xs): every tensor batched (expanded if shared), dim shifted."""
    dim, new_dim, *xs = args
    values = [rules.as_batched(x, level) for x in xs]
    return _wrap(cls.apply(_shift(dim), new_dim, *values), level)


def _index(cls, args: tuple, level: int):
    """x[index] of each example: a full slice in front. Non-adjacent array indices put their
    broadcast dims first (NumPy's rule), so the batch dim is moved back to the front."""
    x, index = args
    if rules.top_level(index) == level and any(rules.unpack(i, level)[1] for i in index):
        return _per_example(cls, args, level)
    value = _value(args, level)
    if value is None:
        return cls.apply(rules.unpack(x, level)[0], index)
    out = cls.apply(value, (slice(None), *index))
    arrays = [i for i, it in enumerate(index) if isinstance(it, (Tensor, np.ndarray, list))]
    if arrays:
        advanced = [i for i, it in enumerate(index) if i in arrays or isinstance(it, int)]
        if advanced[-1] - advanced[0] + 1 != len(advanced):
            out = out.movedim(rules._broadcast_rank(index), 0)
    return rules.make(out, level)


# -- products ---------------------------------------------------------------------------------
def _matmul(cls, args: tuple, level: int):
    return rules.matmul(*args)


def _linear(cls, args: tuple, level: int):
    """x @ w^T + b: one GEMM over every row when the weights are shared by the batch."""
    x, w, b = args
    wp, wb = rules.unpack(w, level)
    bp, bb = rules.unpack(b, level) if b is not None else (None, False)
    if not (wb or bb):
        return _wrap(cls.apply(rules.unpack(x, level)[0], wp, bp), level)
    out = rules.matmul(x, w.transpose(-1, -2))  # per-example weights: a batched product
    return out if b is None else out + b


def _einsum(cls, args: tuple, level: int):
    """A fresh subscript for the batch, on the batched operands and in front of the output."""
    (inputs, output, sizes), *operands = args
    letter = next(c for c in "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkjihgfedcba"
                  if c not in sizes)
    terms, phys = [], []
    for term, x in zip(inputs, operands, strict=True):
        p, batched = rules.unpack(x, level)
        terms.append(letter + term if batched else term)
        phys.append(p)
    size = rules.batch_size(level, _first_batched(operands, level))
    return _wrap(cls.apply((terms, letter + output, {**sizes, letter: size}), *phys), level)


def _folded_conv(call, x, w, b, groups: int, level: int):
    """``call(x, w, b, groups)`` (a convolution) on the batch: folded into the conv's own batch
    dim when the weights are shared, else into its groups (a weight per example: one grouped
    convolution instead of a loop)."""
    xv = rules.as_batched(x, level)
    wp, wb = rules.unpack(w, level)
    bp, bb = rules.unpack(b, level) if b is not None else (None, False)
    size, n = xv.shape[0], xv.shape[1]
    if not (wb or bb):
        out = call(xv.reshape(size * n, *xv.shape[2:]), wp, bp, groups)
        return rules.make(out.reshape(size, n, *out.shape[1:]), level)
    wv = rules.as_batched(w, level)
    grouped = xv.movedim(0, 1).reshape(n, size * xv.shape[2], *xv.shape[3:])
    bias = None if b is None else rules.as_batched(b, level).reshape(-1)
    out = call(grouped, wv.reshape(-1, *wv.shape[2:]), bias, groups * size)
    return rules.make(out.reshape(n, size, -1, *out.shape[2:]).movedim(1, 0), level)


def _convolution(cls, args: tuple, level: int):
    x, w, b, stride, padding, dilation, groups = args
    return _folded_conv(lambda *a: cls.apply(*a[:3], stride, padding, dilation, a[3]), x, w, b,
                        groups, level)


def _conv_transpose(cls, args: tuple, level: int):
    g, w, stride, padding, dilation, groups, size = args
    return _folded_conv(lambda x, k, _, n: cls.apply(x, k, stride, padding, dilation, n, size),
                        g, w, None, groups, level)


def _recurrence(cls, args: tuple, level: int):
    """LSTM/GRU recurrences over (seq, batch, ...) (the LSTM's input, the GRU's x_proj): the
    vmap batch folded into their batch, when the weights are shared; else once per example."""
    n_state = 2 if cls is LSTMRecurrence else 1
    x_proj, states, params = args[0], args[1:1 + n_state], args[1 + n_state:-1]
    if any(p is not None and rules.unpack(p, level)[1] for p in params):
        return _per_example(cls, args, level)
    xv = rules.as_batched(x_proj, level)  # (B, seq, batch, k)
    size, steps, n = xv.shape[:3]
    folded = xv.movedim(0, 1).reshape(steps, size * n, xv.shape[-1])
    hs = [rules.as_batched(h, level).reshape(size * n, h.shape[-1]) for h in states]
    phys = [rules.unpack(p, level)[0] if p is not None else None for p in params]
    out, *finals = cls.apply(folded, *hs, *phys, args[-1])
    out = out.reshape(steps, size, n, out.shape[-1]).movedim(1, 0)
    finals = [f.reshape(size, n, f.shape[-1]) for f in finals]
    return tuple(rules.make(t, level) for t in (out, *finals))


def _layer_norm(cls, args: tuple, level: int):
    """Statistics over the trailing dims: a batch dim in front changes no example's."""
    x, w, b, k, eps = args
    if any(p is not None and rules.unpack(p, level)[1] for p in (w, b)):
        return _per_example(cls, args, level)
    params = [None if p is None else rules.unpack(p, level)[0] for p in (w, b)]
    return _wrap(cls.apply(rules.as_batched(x, level), *params, k, eps), level)


def _batch_norm(cls, args: tuple, level: int):
    """(B, N, C, *) folded into (N, B*C, *): each example's channels keep their own statistics;
    shared parameters (and eval's running statistics) are tiled. Per-example parameters, or
    running statistics to update from each example, run once per example."""
    x, w, b, rm, rv, training, momentum, eps = args
    tensors = (w, b, rm, rv)
    if any(t is not None and rules.unpack(t, level)[1] for t in tensors) or training and (
            rm is not None or rv is not None):
        return _per_example(cls, args, level)
    xv = rules.as_batched(x, level)
    size, n, c = xv.shape[:3]
    folded = xv.movedim(0, 1).reshape(n, size * c, *xv.shape[3:])
    tiled = [None if t is None else rules.unpack(t, level)[0].expand(size, c).reshape(-1)
             for t in tensors]
    out = cls.apply(folded, *tiled, training, momentum, eps)
    return rules.make(out.reshape(n, size, c, *out.shape[2:]).movedim(1, 0), level)


def _softmax_cross_entropy(cls, args: tuple, level: int):
    """Every example's rows as one (B*N, C) batch with the targets tiled, per-row losses
    ('none'), then each example's reduction. The targets are NumPy: shared by the batch."""
    x, targets = args
    value = _value(args, level)
    if value is None:
        return cls.apply(rules.unpack(x, level)[0], targets)
    size, rows = value.shape[0], len(targets.index)
    index, pick, keep = (None if a is None else np.tile(a, size)
                         for a in (targets.index, targets.pick, targets.keep))
    tiled = targets._replace(index=index, pick=pick, keep=keep, reduction="none",
                             shape=(size * rows,))
    losses = cls.apply(value.reshape(size * rows, value.shape[-1]), tiled).reshape(size, rows)
    if targets.reduction == "none":
        return rules.make(losses.reshape(size, *targets.shape), level)
    total = losses.sum(dim=1)
    if targets.reduction == "mean":  # NaN when every target is ignored, as the primitive
        total = total * targets.scale() if targets.count else total + float("nan")
    return rules.make(total, level)


def _take_window(cls, args: tuple, level: int):
    """Max pooling's gather: the batch folded into N, (B, N, C, H, W) -> (B*N, C, H, W); codes
    passed in belong to such a folded call (a jvp's), so they fit it as they are."""
    x, code, conf, values = args
    if values is not None or rules.unpack(x, level)[1] is False:
        return _per_example(cls, args, level)
    xv = rules.as_batched(x, level)
    size, n = xv.shape[:2]
    out = cls.apply(xv.reshape(size * n, *xv.shape[2:]), code, conf, None)
    return rules.make(out.reshape(size, n, *out.shape[1:]), level)


RULES = {cls: _pointwise for cls in (
    elementwise.Cast, elementwise.Add, elementwise.Sub, elementwise.Mul, elementwise.Div,
    elementwise.FloorDiv, elementwise.TruncDiv, elementwise.Remainder, elementwise.Pow,
    elementwise.PowScalar, elementwise.Neg, unary.Exp, unary.Log, unary.Log1p, unary.Expm1,
    unary.Sqrt, unary.Abs, unary.Sign, unary.Sin, unary.Cos, unary.Tan, unary.Tanh, unary.Erf,
    unary.Clamp, unary.Floor, unary.Ceil, unary.Round, activation.Sigmoid, activation.Relu,
    comparison.Where, comparison.Maximum, comparison.Minimum, shape.Clone,
    BinaryCrossEntropy)}
RULES.update({cls: _dims_rule for cls in (
    reduction.Sum, reduction.Prod, reduction.Amax, reduction.Amin, reduction.Cumsum,
    activation.Softmax, activation.LogSoftmax, shape.Flip)})
RULES.update({
    shape.Reshape: _shape_rule, shape.Expand: _shape_rule, shape.Permute: _permute,
    shape.Split: _split, shape.Cat: _cat, linalg.Diagonal: _diagonal, Index: _index,
    linalg.MatMul: _matmul, linalg.Linear: _linear, linalg.Einsum: _einsum,
    conv.Convolution: _convolution, conv.ConvTranspose: _conv_transpose,
    LSTMRecurrence: _recurrence, GRURecurrence: _recurrence,
    LayerNorm: _layer_norm, BatchNorm: _batch_norm, TakeWindow: _take_window,
    activation.SoftmaxCrossEntropy: _softmax_cross_entropy,
})
