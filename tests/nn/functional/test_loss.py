"""Losses: forward against NumPy references, gradcheck and gradgradcheck in float64, values and
gradients against torch, float32 kept, over every reduction and option; stability and errors."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

import chainrule
import chainrule.nn.functional as F
from chainrule import DTypeError, ShapeError
from chainrule.autograd import gradcheck, gradgradcheck


# -- NumPy references ------------------------------------------------------------------------
def _np_reduce(loss, reduction, denominator=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (loss.size if denominator is None else denominator)


def _np_log_softmax(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _np_class_loss(logp, t, weight=None, ignore_index=-100, reduction="mean", smoothing=0.0):
    """nll (and label smoothing) on log-probabilities (N, C, ...) or (C,), class indices t."""
    unbatched = logp.ndim == 1
    if unbatched:
        logp, t = logp[None], np.reshape(t, 1)
    n_classes = logp.shape[1]
    w_class = np.ones(n_classes) if weight is None else weight
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    picked = np.take_along_axis(logp, safe[:, None], axis=1)[:, 0]
    w = w_class[safe] * valid
    loss = -w * picked
    if smoothing:
        shape = (1, n_classes) + (1,) * (logp.ndim - 2)
        uniform = -(logp * w_class.reshape(shape)).sum(axis=1) * valid
        loss = (1 - smoothing) * loss + smoothing / n_classes * uniform
    if reduction == "none":
        return loss[0] if unbatched else loss
    return _np_reduce(loss, reduction, w.sum())


def _np_soft_loss(logp, p, weight=None, reduction="mean", smoothing=0.0):
    axis = 0 if logp.ndim == 1 else 1
    n_classes = logp.shape[axis]
    p = p * (1 - smoothing) + smoothing / n_classes
    if weight is not None:
        p = p * weight.reshape((-1,) + (1,) * (logp.ndim - axis - 1))
    return _np_reduce(-(logp * p).sum(axis=axis), reduction)


def ref_cross_entropy(x, t, weight=None, ignore_index=-100, reduction="mean",
                      label_smoothing=0.0):
    logp = _np_log_softmax(x, 0 if x.ndim == 1 else 1)
    if t.dtype.kind == "f":
        return _np_soft_loss(logp, t, weight, reduction, label_smoothing)
    return _np_class_loss(logp, t, weight, ignore_index, reduction, label_smoothing)


def ref_nll(logp, t, weight=None, ignore_index=-100, reduction="mean"):
    return _np_class_loss(logp, t, weight, ignore_index, reduction)


def ref_mse(x, t, reduction="mean", weight=None):
    loss = (x - t) ** 2
    return _np_reduce(loss * (1 if weight is None else weight), reduction,
                      None if weight is None else weight.sum())


def ref_l1(x, t, reduction="mean", weight=None):
    loss = np.abs(x - t)
    return _np_reduce(loss * (1 if weight is None else weight), reduction,
                      None if weight is None else weight.sum())


def _np_smooth(d, beta):
    return np.where(np.abs(d) < beta, 0.5 * d * d / beta, np.abs(d) - 0.5 * beta)


def ref_smooth_l1(x, t, reduction="mean", beta=1.0):
    d = x - t
    return _np_reduce(np.abs(d) if beta == 0 else _np_smooth(d, beta), reduction)


def ref_huber(x, t, reduction="mean", delta=1.0, weight=None):
    d = np.abs(x - t)
    loss = np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    return _np_reduce(loss * (1 if weight is None else weight), reduction)


def ref_bce(x, t, weight=None, reduction="mean"):
    with np.errstate(divide="ignore"):
        loss = -(t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log(1 - x), -100))
    return _np_reduce(loss * (1 if weight is None else weight), reduction)


def ref_bce_logits(x, t, weight=None, reduction="mean", pos_weight=None):
    log_sig, log_one_minus = -np.logaddexp(0, -x), -np.logaddexp(0, x)
    pw = 1 if pos_weight is None else pos_weight
    loss = -(pw * t * log_sig + (1 - t) * log_one_minus)
    return _np_reduce(loss * (1 if weight is None else weight), reduction)


def ref_kl_div(x, t, reduction="mean", log_target=False):
    if log_target:
        loss = np.exp(t) * (t - x)
    else:
        loss = np.where(t > 0, t * np.log(np.where(t > 0, t, 1)), 0) - t * x
    if reduction == "batchmean":
        return loss.sum() / x.shape[0]
    return _np_reduce(loss, reduction)


def ref_cosine_embedding(a, b, t, margin=0.0, reduction="mean"):
    cos = (a * b).sum(-1) / np.sqrt(((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12))
    loss = np.where(t == 1, 1 - cos, 0) + np.where(t == -1, np.maximum(cos - margin, 0), 0)
    return _np_reduce(loss, reduction)


# -- the case table --------------------------------------------------------------------------
@dataclass
class Case:
    """A loss call: ``make(rng, dtype)`` gives the positional arrays and keyword arguments
    (arrays become tensors); ``diff`` are the positions differentiated."""

    name: str
    fn: Callable
    ref: Callable
    make: Callable
    diff: tuple[int, ...] = (0, 1)
    reductions: tuple[str, ...] = ("mean", "sum", "none")
    kwargs: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


def _u(rng, shape, dtype, low=-2.0, high=2.0):
    return rng.uniform(low, high, shape).astype(dtype)


def _pair(shape, low=-2.0, high=2.0, **extra):
    def make(rng, dtype):
        kw = {k: (v(rng, dtype) if callable(v) else v) for k, v in extra.items()}
        return (_u(rng, shape, dtype, low, high), _u(rng, shape, dtype, low, high)), kw
    return make


def _weight(shape, low=0.5, high=2.0):
    return lambda rng, dtype: _u(rng, shape, dtype, low, high)


def _classes(shape, n_classes, soft=False, ignore=None, **extra):
    """Logits (shape with C at dim 1, or (C,)) and class-index or probability targets."""
    def make(rng, dtype):
        x = _u(rng, shape, dtype, -3.0, 3.0)
        axis = 0 if len(shape) == 1 else 1
        if soft:
            t = rng.dirichlet(np.ones(n_classes), np.delete(shape, axis)).astype(dtype)
            t = np.moveaxis(t, -1, axis)
        else:
            t = rng.integers(0, n_classes, np.delete(shape, axis) if axis else ())
            if ignore is not None:
                t.reshape(-1)[::3] = ignore
        kw = {k: (v(rng, dtype) if callable(v) else v) for k, v in extra.items()}
        return (x, t), kw
    return make


def _log_probs(shape, n_classes, **extra):
    base = _classes(shape, n_classes, **extra)

    def make(rng, dtype):
        (x, t), kw = base(rng, dtype)
        return (_np_log_softmax(x, 0 if x.ndim == 1 else 1).astype(dtype), t), kw
    return make


def _bce(rng, dtype):
    return (_u(rng, (3, 4), dtype, 0.05, 0.95), _u(rng, (3, 4), dtype, 0.0, 1.0)), {}


def _bce_weighted(rng, dtype):
    args, _ = _bce(rng, dtype)
    return args, {"weight": _u(rng, (4,), dtype, 0.5, 2.0)}


def _logits(rng, dtype, **kw):
    x, t = _u(rng, (3, 4), dtype, -3.0, 3.0), _u(rng, (3, 4), dtype, 0.0, 1.0)
    return (x, t), {k: _u(rng, shape, dtype, 0.5, 2.0) for k, shape in kw.items()}


def _kl(log_target):
    def make(rng, dtype):
        x = _np_log_softmax(_u(rng, (3, 4), dtype), 1).astype(dtype)
        t = rng.dirichlet(np.ones(4), 3).astype(dtype)
        return (x, np.log(t).astype(dtype) if log_target else t), {"log_target": log_target}
    return make


def _embeddings(shape, margin=0.0):
    def make(rng, dtype):
        a, b = _u(rng, shape, dtype), _u(rng, shape, dtype)
        t = np.array([1, -1, 1, -1][: shape[0]]) if len(shape) == 2 else np.array(-1)
        return (a, b, t), {"margin": margin}
    return make


CASES = [
    Case("mse", F.mse_loss, ref_mse, _pair((3, 4))),
    Case("mse_weight", F.mse_loss, ref_mse, _pair((3, 4), weight=_weight((3, 4)))),
    Case("mse_0d", F.mse_loss, ref_mse, _pair(())),
    Case("l1", F.l1_loss, ref_l1, _pair((3, 4))),
    Case("l1_weight", F.l1_loss, ref_l1, _pair((3, 4), weight=_weight((3, 4)))),
    Case("smooth_l1", F.smooth_l1_loss, ref_smooth_l1, _pair((3, 4))),
    Case("smooth_l1_beta", F.smooth_l1_loss, ref_smooth_l1, _pair((3, 4), beta=0.5)),
    Case("smooth_l1_beta0", F.smooth_l1_loss, ref_smooth_l1, _pair((3, 4), beta=0.0)),
    Case("huber", F.huber_loss, ref_huber, _pair((3, 4))),
    Case("huber_delta", F.huber_loss, ref_huber, _pair((3, 4), delta=0.5)),
    Case("huber_weight", F.huber_loss, ref_huber, _pair((3, 4), weight=_weight((3, 4)))),
    Case("ce", F.cross_entropy, ref_cross_entropy, _classes((4, 5), 5), diff=(0,)),
    Case("ce_weight", F.cross_entropy, ref_cross_entropy,
         _classes((4, 5), 5, weight=_weight((5,))), diff=(0,)),
    Case("ce_ignore", F.cross_entropy, ref_cross_entropy, _classes((5, 4), 4, ignore=-100),
         diff=(0,)),
    Case("ce_ignore_class", F.cross_entropy, ref_cross_entropy,
         _classes((5, 4), 4, ignore=2, ignore_index=2, weight=_weight((4,))), diff=(0,)),
    Case("ce_smooth", F.cross_entropy, ref_cross_entropy,
         _classes((4, 5), 5, label_smoothing=0.2), diff=(0,)),
    Case("ce_smooth_weight_ignore", F.cross_entropy, ref_cross_entropy,
         _classes((5, 4), 4, ignore=-100, label_smoothing=0.1, weight=_weight((4,))),
         diff=(0,)),
    Case("ce_kdim", F.cross_entropy, ref_cross_entropy,
         _classes((2, 3, 2, 3), 3, ignore=-100, weight=_weight((3,))), diff=(0,)),
    Case("ce_unbatched", F.cross_entropy, ref_cross_entropy, _classes((5,), 5), diff=(0,)),
    Case("ce_probs", F.cross_entropy, ref_cross_entropy, _classes((4, 5), 5, soft=True)),
    Case("ce_probs_weight_smooth", F.cross_entropy, ref_cross_entropy,
         _classes((4, 5), 5, soft=True, weight=_weight((5,)), label_smoothing=0.3)),
    Case("ce_probs_kdim", F.cross_entropy, ref_cross_entropy,
         _classes((2, 3, 4), 3, soft=True)),
    Case("ce_probs_unbatched", F.cross_entropy, ref_cross_entropy,
         _classes((5,), 5, soft=True)),
    Case("nll", F.nll_loss, ref_nll, _log_probs((4, 5), 5), diff=(0,)),
    Case("nll_weight_ignore", F.nll_loss, ref_nll,
         _log_probs((5, 4), 4, ignore=-100, weight=_weight((4,))), diff=(0,)),
    Case("nll_kdim", F.nll_loss, ref_nll,
         _log_probs((2, 3, 4), 3, ignore=1, ignore_index=1), diff=(0,)),
    Case("nll_unbatched", F.nll_loss, ref_nll, _log_probs((4,), 4), diff=(0,)),
    Case("bce", F.binary_cross_entropy, ref_bce, _bce),
    Case("bce_weight", F.binary_cross_entropy, ref_bce, _bce_weighted),
    Case("bce_logits", F.binary_cross_entropy_with_logits, ref_bce_logits, _logits),
    Case("bce_logits_weight", F.binary_cross_entropy_with_logits, ref_bce_logits,
         lambda rng, dtype: _logits(rng, dtype, weight=(3, 4))),
    Case("bce_logits_pos_weight", F.binary_cross_entropy_with_logits, ref_bce_logits,
         lambda rng, dtype: _logits(rng, dtype, weight=(4,), pos_weight=(4,))),
    Case("kl_div", F.kl_div, ref_kl_div, _kl(False),
         reductions=("batchmean", "mean", "sum", "none")),
    Case("kl_div_log_target", F.kl_div, ref_kl_div, _kl(True),
         reductions=("batchmean", "mean", "sum", "none")),
    Case("cosine", F.cosine_embedding_loss, ref_cosine_embedding, _embeddings((4, 3))),
    Case("cosine_margin", F.cosine_embedding_loss, ref_cosine_embedding,
         _embeddings((4, 3), margin=0.3)),
    Case("cosine_unbatched", F.cosine_embedding_loss, ref_cosine_embedding,
         _embeddings((3,), margin=-0.5)),
]
CALLS = [(case, r) for case in CASES for r in case.reductions]
IDS = [f"{case}-{r}" for case, r in CALLS]


def _call(case, reduction, rng, dtype):
    """(chainrule function of the differentiable tensors, those leaves, arrays, kwargs)."""
    arrays, kwargs = case.make(rng, dtype)
    kwargs = {**kwargs, "reduction": reduction}
    tensor_kwargs = {k: chainrule.tensor(v) if isinstance(v, np.ndarray) else v
                     for k, v in kwargs.items()}
    leaves = [chainrule.tensor(arrays[i], requires_grad=True) for i in case.diff]

    def fn(*diff):
        args = [chainrule.tensor(a) for a in arrays]
        for i, t in zip(case.diff, diff):
            args[i] = t
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # kl_div's 'mean' warning
            return case.fn(*args, **tensor_kwargs)

    return fn, leaves, arrays, kwargs


@pytest.mark.parametrize(("case", "reduction"), CALLS, ids=IDS)
def test_forward_matches_numpy(case, reduction, rng):
    fn, leaves, arrays, kwargs = _call(case, reduction, rng, np.float64)
    np.testing.assert_allclose(fn(*leaves).data, case.ref(*arrays, **kwargs), rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize(("case", "reduction"), CALLS, ids=IDS)
def test_gradcheck(case, reduction, rng):
    fn, leaves, _, _ = _call(case, reduction, rng, np.float64)
    assert gradcheck(fn, tuple(leaves))


@pytest.mark.parametrize(("case", "reduction"), CALLS, ids=IDS)
def test_gradgradcheck(case, reduction, rng):
    fn, leaves, _, _ = _call(case, reduction, rng, np.float64)
    assert gradgradcheck(fn, tuple(leaves))


@pytest.mark.parametrize(("case", "reduction"), CALLS, ids=IDS)
def test_float32_stays_float32(case, reduction, rng):
    fn, leaves, _, _ = _call(case, reduction, rng, np.float32)
    out = fn(*leaves)
    assert out.dtype == chainrule.float32
    out.sum().backward()
    assert all(leaf.grad.dtype == chainrule.float32 for leaf in leaves)


@pytest.mark.parametrize(("case", "reduction"), CALLS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_torch(case, reduction, dtype, rng):
    torch = pytest.importorskip("torch")
    fn, leaves, arrays, kwargs = _call(case, reduction, rng, dtype)
    out = fn(*leaves)
    t_args = [torch.tensor(a) for a in arrays]
    for i in case.diff:
        t_args[i].requires_grad_(True)
    t_kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                for k, v in kwargs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = getattr(torch.nn.functional, case.fn.__name__)(*t_args, **t_kwargs)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-12}
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol)
    seed = rng.standard_normal(out.shape).astype(dtype)
    out.backward(chainrule.tensor(seed))
    expected.backward(torch.tensor(seed))
    for leaf, i in zip(leaves, case.diff):
        np.testing.assert_allclose(leaf.grad.data, t_args[i].grad.numpy(), **tol)


# -- stability -------------------------------------------------------------------------------
def _leaf(values, dtype=np.float32):
    return chainrule.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def test_cross_entropy_is_finite_for_huge_logits():
    x = _leaf([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(x, chainrule.tensor([1, 2]), reduction="none")
        loss.sum().backward()
    np.testing.assert_allclose(loss.data, [2e4, np.log(3)], rtol=1e-6)
    np.testing.assert_allclose(x.grad.data, [[1, -1, 0], [1 / 3, 1 / 3, -2 / 3]], atol=1e-6)


def test_binary_cross_entropy_is_finite_at_probabilities_0_and_1():
    x = _leaf([0.0, 1.0, 0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy(x, chainrule.tensor([1.0, 0.0, 0.0, 1.0]),
                                      reduction="none")
        loss.sum().backward()
    np.testing.assert_array_equal(loss.data, [100, 100, 0, 0])
    np.testing.assert_allclose(x.grad.data, [-1e12, 1e12, 0, 0], rtol=1e-6)  # PyTorch's values


def test_bce_with_logits_is_finite_for_huge_logits():
    x = _leaf([-1000.0, 1000.0, -1000.0, 1000.0])
    t = chainrule.tensor(np.array([1.0, 0.0, 0.0, 1.0], np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
        loss.sum().backward()
    np.testing.assert_array_equal(loss.data, [1000, 1000, 0, 0])
    np.testing.assert_array_equal(x.grad.data, [-1, 1, 0, 0])


def test_cross_entropy_gives_ignored_targets_zero_gradient():
    x = _leaf(np.ones((3, 4)))
    F.cross_entropy(x, chainrule.tensor([0, -100, 3])).backward()
    np.testing.assert_array_equal(x.grad.data[1], 0)
    assert np.all(x.grad.data[[0, 2]] != 0)


def test_cross_entropy_all_ignored_mean_is_nan_with_zero_gradient():
    x = _leaf(np.ones((2, 3)))
    loss = F.cross_entropy(x, chainrule.tensor([-100, -100]))
    loss.backward()
    assert np.isnan(loss.item())
    np.testing.assert_array_equal(x.grad.data, 0)


# -- the fused softmax cross-entropy (class indices, (N, C) or (C,) logits) ------------------
_FUSED = [(shape, weighted, ignore, smoothing, reduction)
          for shape in ((6, 4), (4,))
          for weighted in (False, True)
          for ignore in (None, -100, 2)
          for smoothing in (0.0, 0.2)
          for reduction in ("mean", "sum", "none")
          if not (ignore is not None and len(shape) == 1)]


def _fused_call(rng, dtype, shape, weighted, ignore, smoothing, reduction):
    """Logits, class targets (every third one ignore_index, when given) and the kwargs."""
    n_classes = shape[-1]
    x = rng.uniform(-3.0, 3.0, shape).astype(dtype)
    t = rng.integers(0, n_classes, shape[:-1])
    kwargs = {"reduction": reduction, "label_smoothing": smoothing}
    if ignore is not None:
        t[::3] = ignore
        kwargs["ignore_index"] = ignore
    weight = rng.uniform(0.5, 2.0, n_classes).astype(dtype) if weighted else None
    return x, t, weight, kwargs


@pytest.mark.parametrize(("shape", "weighted", "ignore", "smoothing", "reduction"), _FUSED)
def test_fused_cross_entropy_matches_torch(shape, weighted, ignore, smoothing, reduction, rng):
    torch = pytest.importorskip("torch")
    for dtype, tol in ((np.float64, {"rtol": 1e-10, "atol": 1e-12}),
                       (np.float32, {"rtol": 1e-5, "atol": 1e-6})):
        x, t, weight, kwargs = _fused_call(rng, dtype, shape, weighted, ignore, smoothing,
                                           reduction)
        leaf = chainrule.tensor(x, requires_grad=True)
        w = None if weight is None else chainrule.tensor(weight)
        out = F.cross_entropy(leaf, chainrule.tensor(t), weight=w, **kwargs)
        assert out.grad_fn.name() == "SoftmaxCrossEntropyBackward0"
        assert out.dtype == leaf.dtype
        t_x = torch.tensor(x, requires_grad=True)
        t_w = None if weight is None else torch.tensor(weight)
        expected = torch.nn.functional.cross_entropy(t_x, torch.tensor(t), weight=t_w, **kwargs)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol)
        seed = rng.standard_normal(out.shape).astype(dtype)
        out.backward(chainrule.tensor(seed))
        expected.backward(torch.tensor(seed))
        assert leaf.grad.dtype == leaf.dtype
        np.testing.assert_allclose(leaf.grad.data, t_x.grad.numpy(), **tol)


@pytest.mark.parametrize(("shape", "weighted", "ignore", "smoothing", "reduction"), _FUSED)
def test_fused_cross_entropy_gradcheck_gradgradcheck_and_forward_ad(shape, weighted, ignore,
                                                                    smoothing, reduction, rng):
    x, t, weight, kwargs = _fused_call(rng, np.float64, shape, weighted, ignore, smoothing,
                                       reduction)
    w = None if weight is None else chainrule.tensor(weight)

    def fn(logits):
        return F.cross_entropy(logits, chainrule.tensor(t), weight=w, **kwargs)

    leaf = chainrule.tensor(x, requires_grad=True)
    assert gradcheck(fn, (leaf,), check_forward_ad=True)
    assert gradgradcheck(fn, (leaf,))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fused_cross_entropy_numpy_rule_equals_the_differentiable_one(reduction, rng):
    # backward runs in NumPy unless create_graph; both must give the same gradient
    x = chainrule.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    t = chainrule.tensor(np.array([0, 2, -100, 1, 2]))
    weight = chainrule.tensor(rng.uniform(0.5, 2.0, 3))
    loss = F.cross_entropy(x, t, weight=weight, label_smoothing=0.3, reduction=reduction)
    seed = chainrule.tensor(rng.standard_normal(loss.shape))
    (plain,) = chainrule.autograd.grad(loss, [x], seed, retain_graph=True)
    (graphed,) = chainrule.autograd.grad(loss, [x], seed, create_graph=True)
    assert plain.grad_fn is None and graphed.grad_fn is not None
    np.testing.assert_allclose(plain.data, graphed.data, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fused_cross_entropy_of_transposed_logits_matches_contiguous_ones(reduction, rng):
    # F-order logits (a transposed view): backward writes the target classes in place, which
    # must reach the gradient (it once went to a flattened copy and was lost)
    raw = rng.standard_normal((3, 5))
    t = chainrule.tensor(np.array([0, 2, 1, 1, 2]))
    strided = chainrule.tensor(raw, requires_grad=True)
    dense = chainrule.tensor(np.ascontiguousarray(raw.T), requires_grad=True)
    assert not strided.T.data.flags.c_contiguous
    F.cross_entropy(strided.T, t, reduction=reduction).sum().backward()
    F.cross_entropy(dense, t, reduction=reduction).sum().backward()
    np.testing.assert_allclose(strided.grad.data.T, dense.grad.data, rtol=1e-12, atol=1e-15)
    assert gradcheck(lambda z: F.cross_entropy(z.T, t, reduction=reduction), (strided,))


def test_fused_cross_entropy_backward_twice_with_retain_graph_is_unchanged(rng):
    x = chainrule.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    loss = F.cross_entropy(x, chainrule.tensor([1, 0, 4, 4]))
    (first,) = chainrule.autograd.grad(loss, [x], retain_graph=True)
    (second,) = chainrule.autograd.grad(loss, [x])
    np.testing.assert_array_equal(first.data, second.data)


def test_fused_cross_entropy_refuses_logits_modified_in_place(rng):
    x = chainrule.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    logits = x * 1.0
    loss = F.cross_entropy(logits, chainrule.tensor([0, 1, 2]))
    logits.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6, 4), (4,)])
def test_fused_cross_entropy_under_vmap_runs_once_and_equals_a_loop(shape, reduction, rng):
    # vmap over the logits with shared targets: the batching rule, not a loop with a warning
    from chainrule import func

    _, t, weight, kwargs = _fused_call(rng, np.float64, shape, True, -100 if len(shape) == 2
                                       else None, 0.2, reduction)
    xs = rng.standard_normal((3, *shape))

    def f(logits):
        return F.cross_entropy(logits, chainrule.tensor(t), weight=chainrule.tensor(weight),
                               **kwargs)

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = func.vmap(f)(chainrule.tensor(xs))
        grads = func.vmap(func.grad(lambda z: f(z).sum()))(chainrule.tensor(xs))
    for i in range(len(xs)):
        x = chainrule.tensor(xs[i], requires_grad=True)
        loss = f(x)
        loss.sum().backward()
        np.testing.assert_allclose(out.data[i], loss.data, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(grads.data[i], x.grad.data, rtol=1e-12, atol=1e-15)


def test_nll_loss_weighted_mean_divides_by_the_weights_of_kept_targets():
    logp = chainrule.tensor(np.log(np.full((3, 2), 0.5)))
    weight = chainrule.tensor([1.0, 3.0], dtype=chainrule.float64)
    got = F.nll_loss(logp, chainrule.tensor([0, 1, -100]), weight=weight)
    np.testing.assert_allclose(got.item(), (1 + 3) * np.log(2) / (1 + 3))


# -- legacy arguments and warnings -----------------------------------------------------------
@pytest.mark.parametrize(("size_average", "reduce", "expected"),
                         [(None, False, "none"), (False, None, "sum"), (True, True, "mean")])
def test_size_average_and_reduce_map_to_a_reduction_with_a_warning(size_average, reduce,
                                                                   expected, rng):
    x, t = chainrule.tensor(rng.standard_normal(4)), chainrule.tensor(rng.standard_normal(4))
    with pytest.warns(UserWarning, match=f"reduction='{expected}'"):
        got = F.mse_loss(x, t, size_average, reduce)
    np.testing.assert_allclose(got.data, F.mse_loss(x, t, reduction=expected).data)


def test_mse_loss_warns_when_target_broadcasts(rng):
    x, t = chainrule.tensor(rng.standard_normal((3, 4))), chainrule.tensor(rng.standard_normal(4))
    with pytest.warns(UserWarning, match=r"target of shape \(4,\) .* input's shape \(3, 4\)"):
        F.mse_loss(x, t)


def test_kl_div_mean_warns_about_batchmean(rng):
    x = chainrule.tensor(rng.standard_normal((2, 3)))
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(x, x.exp())


# -- errors ----------------------------------------------------------------------------------
X, T = chainrule.randn(3, 4), chainrule.tensor([0, 3, 1])


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: F.mse_loss(X, X, reduction="avg"), ValueError, "mse_loss: 'avg' is not a valid"),
    (lambda: F.kl_div(X, X, reduction="avg"), ValueError, "'batchmean'"),
    (lambda: F.mse_loss(X, X[:2]), ShapeError, r"mse_loss: shapes \(3, 4\) and \(2, 4\)"),
    (lambda: F.mse_loss(X.long(), X.long()), DTypeError, "mse_loss: expected floating-point"),
    (lambda: F.mse_loss(X, X, weight=chainrule.ones(4)), ShapeError, "weight of shape"),
    (lambda: F.mse_loss(X, [1.0]), TypeError, "target must be a Tensor"),
    (lambda: F.smooth_l1_loss(X, X, beta=-1.0), ValueError, "beta must be >= 0"),
    (lambda: F.huber_loss(X, X, delta=0.0), ValueError, "delta must be > 0"),
    (lambda: F.cross_entropy(X, chainrule.tensor([0, 4, 1])), IndexError,
     r"Target 4 is out of bounds.*\[0, 4\)"),
    (lambda: F.cross_entropy(X, chainrule.tensor([0, -1, 1])), IndexError, "Target -1"),
    (lambda: F.nll_loss(X, T.float()), DTypeError, "nll_loss: target must be an integer"),
    (lambda: F.cross_entropy(X, T.float()), ShapeError, r"must have the input's shape \(3, 4\)"),
    (lambda: F.cross_entropy(X, X.double()), DTypeError, "target has dtype chainrule.float64"),
    (lambda: F.cross_entropy(X, X.softmax(1), ignore_index=1), ValueError,
     r"ignore_index \(1\) is not supported for class-probability"),
    (lambda: F.cross_entropy(X, T[:2]), ShapeError, r"input batch_size \(3\).*batch_size \(2\)"),
    (lambda: F.cross_entropy(chainrule.randn(2, 3, 4), chainrule.zeros(2, 5).long()), ShapeError,
     r"expected target of shape \(2, 4\)"),
    (lambda: F.cross_entropy(X, T, weight=chainrule.ones(3)), ShapeError,
     r"one entry per class, shape \(4,\), got shape \(3,\)"),
    (lambda: F.cross_entropy(X, T, weight=chainrule.ones(4).double()), DTypeError,
     "weight has dtype chainrule.float64 but input has dtype chainrule.float32"),
    (lambda: F.cross_entropy(X, T, label_smoothing=1.5), ValueError, "between 0.0 and 1.0"),
    (lambda: F.cross_entropy(X.long(), T), DTypeError, "input must be a floating-point"),
    (lambda: F.nll_loss(X[0, 0], T[0]), ShapeError, "1 or more dimensions"),
    (lambda: F.binary_cross_entropy(X, X), ValueError, "between 0 and 1"),
    (lambda: F.binary_cross_entropy(X.sigmoid(), X[0].sigmoid()), ShapeError,
     r"target size \(4,\) must be the same as input size \(3, 4\)"),
    (lambda: F.binary_cross_entropy(X.sigmoid(), T), DTypeError, "floating-point"),
    (lambda: F.binary_cross_entropy(X.sigmoid(), X.sigmoid().double()), DTypeError,
     "target has dtype chainrule.float64"),
    (lambda: F.binary_cross_entropy_with_logits(X, X[:1]), ShapeError, "target size"),
    (lambda: F.binary_cross_entropy_with_logits(X, X, pos_weight=chainrule.ones(3)), ShapeError,
     "binary_cross_entropy_with_logits: shapes"),
    (lambda: F.cosine_embedding_loss(X, X, T[:2]), ShapeError, r"target must have shape \(3,\)"),
    (lambda: F.cosine_embedding_loss(X, X[:, :2], T), ShapeError, "the same shape"),
])
def test_bad_input_raises_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


# -- second derivatives against torch --------------------------------------------------------
@pytest.mark.parametrize("name", ["ce_smooth_weight_ignore", "ce_kdim", "ce_probs_weight_smooth",
                                  "bce_weight", "bce_logits_pos_weight", "cosine_margin"])
def test_hessian_vector_product_matches_torch(name, rng):
    torch = pytest.importorskip("torch")
    (case,) = [c for c in CASES if c.name == name]
    fn, leaves, arrays, kwargs = _call(case, "mean", rng, np.float64)
    x = leaves[0]
    (grad,) = chainrule.autograd.grad(fn(*leaves), [x], create_graph=True)
    v = rng.standard_normal(x.shape)
    (hvp,) = chainrule.autograd.grad((grad * chainrule.tensor(v)).sum(), [x])
    t_args = [torch.tensor(a) for a in arrays]
    t_args[0].requires_grad_(True)
    t_kwargs = {k: torch.tensor(a) if isinstance(a, np.ndarray) else a for k, a in kwargs.items()}
    loss = getattr(torch.nn.functional, case.fn.__name__)(*t_args, **t_kwargs)
    (t_grad,) = torch.autograd.grad(loss, [t_args[0]], create_graph=True)
    (t_hvp,) = torch.autograd.grad((t_grad * torch.tensor(v)).sum(), [t_args[0]])
    np.testing.assert_allclose(hvp.data, t_hvp.numpy(), rtol=1e-8, atol=1e-10)


# -- forward mode ----------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=str)
def test_forward_mode_jvp_equals_the_gradient_dotted_with_the_tangent(case, rng):
    from chainrule.autograd import forward_ad as fwAD

    fn, leaves, _, _ = _call(case, "sum", rng, np.float64)
    tangents = [chainrule.tensor(rng.standard_normal(x.shape)) for x in leaves]
    fn(*leaves).backward()
    expected = sum((x.grad.data * v.data).sum() for x, v in zip(leaves, tangents))
    with fwAD.dual_level():
        out = fn(*[fwAD.make_dual(x.detach(), v) for x, v in zip(leaves, tangents)])
        got = fwAD.unpack_dual(out).tangent
    np.testing.assert_allclose(got.data, expected, rtol=1e-10, atol=1e-12)
