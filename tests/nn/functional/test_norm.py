"""F.batch_norm, F.layer_norm, F.group_norm, F.normalize: forward vs NumPy, running-stat
updates, gradients of first and second order, float32, errors, and agreement with torch."""

import numpy as np
import pytest

import chainrule
import chainrule.nn.functional as F
from chainrule import DTypeError, ShapeError
from chainrule.autograd import gradcheck, gradgradcheck


def _t(array, requires_grad=True):
    return chainrule.tensor(array, requires_grad=requires_grad)


def _np_norm(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


# -- layer_norm ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,normalized", [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((6,), 6)])
def test_layer_norm_matches_numpy(rng, shape, normalized):
    x = rng.standard_normal(shape)
    k = 1 if isinstance(normalized, int) else len(normalized)
    w, b = rng.standard_normal(shape[-k:]), rng.standard_normal(shape[-k:])
    out = F.layer_norm(_t(x), normalized, _t(w), _t(b), eps=1e-5)
    expected = _np_norm(x, tuple(range(x.ndim - k, x.ndim)), 1e-5) * w + b
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(F.layer_norm(_t(x), normalized).data,
                               _np_norm(x, tuple(range(x.ndim - k, x.ndim)), 1e-5), atol=1e-10)


def test_layer_norm_gradcheck_and_gradgradcheck(rng):
    args = (_t(rng.standard_normal((2, 3, 4))), _t(rng.standard_normal((3, 4))),
            _t(rng.standard_normal((3, 4))))
    fn = lambda x, w, b: F.layer_norm(x, (3, 4), w, b)  # noqa: E731
    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)


def _composed_layer_norm(x, k, w, b, eps=1e-5):
    """The reference: LayerNorm from chainrule's elementwise ops and reductions."""
    dims = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(dims, keepdim=True)
    var = ((x - mean) * (x - mean)).mean(dims, keepdim=True)
    out = (x - mean) * (var + eps).rsqrt()
    out = out if w is None else out * w
    return out if b is None else out + b


@pytest.mark.parametrize("shape,k,affine", [((2, 3, 4), 2, "both"), ((3, 4), 1, "weight"),
                                            ((5,), 1, "none"), ((2, 3), 2, "both")])
def test_layer_norm_gradients_and_forward_ad(rng, shape, k, affine):
    x = _t(rng.standard_normal(shape) * 2 + 1)
    params = [_t(rng.standard_normal(shape[-k:])) for _ in range({"both": 2, "weight": 1,
                                                                  "none": 0}[affine])]
    fn = lambda x, *p: F.layer_norm(x, shape[-k:], *p)  # noqa: E731
    assert gradcheck(fn, (x, *params), check_forward_ad=True)
    assert gradgradcheck(fn, (x, *params))


def test_layer_norm_backward_matches_the_composed_rule(rng):
    arrays = [rng.standard_normal((3, 2, 5)) * 3 - 2, rng.standard_normal((2, 5)),
              rng.standard_normal((2, 5))]
    grad = rng.standard_normal((3, 2, 5))
    ref = [_t(a) for a in arrays]
    _composed_layer_norm(ref[0], 2, *ref[1:]).backward(_t(grad, False))
    for create_graph in (False, True):
        xs = [_t(a) for a in arrays]
        out = F.layer_norm(xs[0], (2, 5), *xs[1:])
        grads = chainrule.autograd.grad(out, xs, _t(grad, False), create_graph=create_graph)
        for g, r in zip(grads, ref, strict=True):
            np.testing.assert_allclose(g.data, r.grad.data, rtol=1e-10, atol=1e-10)


def test_layer_norm_second_order_in_both_modes(rng):
    """jacrev(jacfwd) against jacrev(jacrev), and a backward inside a dual level carries
    the tangent (forward over reverse), as the composed ops do."""
    from chainrule.autograd import forward_ad as fwAD
    from chainrule.func import jacfwd, jacrev

    w, b = _t(rng.standard_normal(4), False), _t(rng.standard_normal(4), False)

    def loss(x):
        out = F.layer_norm(x, 4, w, b)
        return (out * out * out).sum()

    x = _t(rng.standard_normal((2, 4)), False)
    np.testing.assert_allclose(jacrev(jacfwd(loss))(x).data, jacrev(jacrev(loss))(x).data,
                               rtol=1e-9, atol=1e-9)
    x0 = _t(rng.standard_normal((2, 4)))
    tangent, grad = (_t(rng.standard_normal((2, 4)), False) for _ in range(2))
    results = []
    for fn in (lambda x: F.layer_norm(x, 4, w, b), lambda x: _composed_layer_norm(x, 1, w, b)):
        with fwAD.dual_level():
            (grad_x,) = chainrule.autograd.grad(fn(fwAD.make_dual(x0, tangent)), x0, grad)
            results.append(fwAD.unpack_dual(grad_x).tangent)
    assert results[0] is not None
    np.testing.assert_allclose(results[0].data, results[1].data, rtol=1e-10, atol=1e-10)


def test_layer_norm_rejects_mismatched_shapes():
    with pytest.raises(ShapeError, match=r"layer_norm: input of shape \(2, 3\) does not end in "
                                         r"normalized_shape \(4,\)"):
        F.layer_norm(chainrule.ones(2, 3), 4)
    with pytest.raises(ShapeError, match=r"layer_norm: weight has shape \(2,\) but expected "
                                         r"\(3,\)"):
        F.layer_norm(chainrule.ones(2, 3), (3,), chainrule.ones(2))
    with pytest.raises(DTypeError, match="layer_norm: expected a floating point input"):
        F.layer_norm(chainrule.tensor([[1, 2]]), 2)


# -- batch_norm ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 2)])
def test_batch_norm_training_normalises_per_channel_and_updates_running_stats(rng, shape):
    x = rng.standard_normal(shape) * 3 + 1
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    rm0, rv0 = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    rm, rv = _t(rm0.copy(), False), _t(rv0.copy(), False)
    out = F.batch_norm(_t(x), rm, rv, _t(w), _t(b), training=True, momentum=0.3, eps=1e-5)
    axes = (0, *range(2, x.ndim))
    bshape = (1, 3) + (1,) * (x.ndim - 2)
    expected = _np_norm(x, axes, 1e-5) * w.reshape(bshape) + b.reshape(bshape)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(rm.data, 0.7 * rm0 + 0.3 * x.mean(axis=axes), rtol=1e-12)
    np.testing.assert_allclose(rv.data, 0.7 * rv0 + 0.3 * x.var(axis=axes, ddof=1), rtol=1e-12)


def test_batch_norm_eval_uses_running_stats_and_leaves_them(rng):
    x = rng.standard_normal((4, 3, 2))
    rm0, rv0 = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    rm, rv = _t(rm0.copy(), False), _t(rv0.copy(), False)
    out = F.batch_norm(_t(x), rm, rv, training=False, eps=1e-3)
    expected = (x - rm0[:, None]) / np.sqrt(rv0[:, None] + 1e-3)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    np.testing.assert_array_equal(rm.data, rm0)
    np.testing.assert_array_equal(rv.data, rv0)


def test_batch_norm_without_running_stats_uses_the_batch(rng):
    x = rng.standard_normal((5, 2))
    out = F.batch_norm(_t(x), None, None, training=True)
    np.testing.assert_allclose(out.data, _np_norm(x, (0,), 1e-5), rtol=1e-10)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck_and_gradgradcheck(rng, training):
    rm, rv = _t(rng.standard_normal(2), False), _t(rng.uniform(0.5, 2, 2), False)

    def fn(x, w, b):
        return F.batch_norm(x, rm, rv, w, b, training=training)

    args = (_t(rng.standard_normal((3, 2, 2))), _t(rng.standard_normal(2)),
            _t(rng.standard_normal(2)))
    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)


def _composed_batch_norm(x, w, b, training, rm, rv, eps=1e-5):
    """The reference: BatchNorm from chainrule's elementwise ops and reductions."""
    dims, shape = (0, *range(2, x.ndim)), (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        mean = x.mean(dims, keepdim=True)
        var = ((x - mean) * (x - mean)).mean(dims, keepdim=True)
    else:
        mean, var = rm.reshape(shape), rv.reshape(shape)
    out = (x - mean) * (var + eps).rsqrt()
    out = out if w is None else out * w.reshape(shape)
    return out if b is None else out + b.reshape(shape)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_batch_norm_gradients_and_forward_ad(rng, training, affine):
    rm, rv = _t(rng.standard_normal(3), False), _t(rng.uniform(0.5, 2, 3), False)
    x = _t(rng.standard_normal((4, 3, 2, 3)) * 2 + 1)
    w = _t(rng.standard_normal(3)) if affine != "none" else None
    b = _t(rng.standard_normal(3)) if affine == "both" else None
    params = [t for t in (w, b) if t is not None]

    def fn(x, *p):
        return F.batch_norm(x, rm, rv, *p, training=training)

    assert gradcheck(fn, (x, *params), check_forward_ad=True)
    assert gradgradcheck(fn, (x, *params))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_backward_matches_the_composed_rule(rng, training):
    """The NumPy backward (no create_graph) and the chainrule-ops one (create_graph) both
    agree with autograd through the composed formula."""
    rm, rv = _t(rng.standard_normal(4), False), _t(rng.uniform(0.5, 2, 4), False)
    arrays = [rng.standard_normal((5, 4, 6)) * 3 - 2, rng.standard_normal(4),
              rng.standard_normal(4)]
    grad = rng.standard_normal((5, 4, 6))
    ref = [_t(a) for a in arrays]
    _composed_batch_norm(*ref, training, rm, rv).backward(_t(grad, False))
    for create_graph in (False, True):
        xs = [_t(a) for a in arrays]
        out = F.batch_norm(xs[0], rm.clone(), rv.clone(), *xs[1:], training=training)
        grads = chainrule.autograd.grad(out, xs, _t(grad, False), create_graph=create_graph)
        for g, r in zip(grads, ref, strict=True):
            np.testing.assert_allclose(g.data, r.grad.data, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", ["batch_norm_training", "batch_norm_eval", "layer_norm"])
def test_norm_numpy_rule_equals_the_differentiable_one(name, rng):
    """A plain backward runs the primitive's backward_numpy, create_graph its backward in
    chainrule ops: one rule, the same gradients."""
    from chainrule.nn.functional.norm import BatchNorm, LayerNorm

    assert (LayerNorm if name == "layer_norm" else BatchNorm).backward_numpy is not None
    xs = [_t(rng.standard_normal((5, 4, 6)) * 3 - 2), _t(rng.standard_normal(4)),
          _t(rng.standard_normal(4))]
    if name == "layer_norm":
        xs[1:] = [_t(rng.standard_normal((4, 6))), _t(rng.standard_normal((4, 6)))]
        out = F.layer_norm(xs[0], (4, 6), *xs[1:])
    else:
        rm, rv = _t(rng.standard_normal(4), False), _t(rng.uniform(0.5, 2, 4), False)
        out = F.batch_norm(xs[0], rm, rv, *xs[1:], training=name == "batch_norm_training")
    seed = _t(rng.standard_normal(out.shape), False)
    plain = chainrule.autograd.grad(out, xs, seed, retain_graph=True)
    graphed = chainrule.autograd.grad(out, xs, seed, create_graph=True)
    for p, g in zip(plain, graphed, strict=True):
        assert p.grad_fn is None
        np.testing.assert_allclose(p.data, g.data, rtol=1e-10, atol=1e-12)


def test_batch_norm_reverse_over_forward_matches_reverse_over_reverse(rng):
    from chainrule.func import jacfwd, jacrev

    w, b = _t(rng.standard_normal(2), False), _t(rng.standard_normal(2), False)

    def loss(x):
        out = F.batch_norm(x, None, None, w, b, training=True)
        return (out * out * out).sum()

    x = _t(rng.standard_normal((3, 2, 2)), False)
    np.testing.assert_allclose(jacrev(jacfwd(loss))(x).data, jacrev(jacrev(loss))(x).data,
                               rtol=1e-9, atol=1e-9)


def test_batch_norm_gradient_of_a_dual_input_carries_its_tangent(rng):
    """A backward run inside a dual level (no create_graph) propagates the tangents, as the
    composed ops do."""
    from chainrule.autograd import forward_ad as fwAD

    x0 = _t(rng.standard_normal((3, 2, 2)))
    tangent, grad = (_t(rng.standard_normal((3, 2, 2)), False) for _ in range(2))
    results = []
    for fn in (lambda x: F.batch_norm(x, None, None, training=True),
               lambda x: _composed_batch_norm(x, None, None, True, None, None)):
        with fwAD.dual_level():
            x = fwAD.make_dual(x0, tangent)
            (grad_x,) = chainrule.autograd.grad(fn(x), x, grad)
            results.append(fwAD.unpack_dual(grad_x).tangent)
    assert results[0] is not None
    np.testing.assert_allclose(results[0].data, results[1].data, rtol=1e-10, atol=1e-10)


def test_batch_norm_rejects_input_modified_after_forward(rng):
    x = _t(rng.standard_normal((4, 3)))
    h = x * 1.0
    out = F.batch_norm(h, None, None, training=True)
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_batch_norm_float32_matches_float64(rng):
    """float32 statistics over 32 * 1024 values per channel (blocks of rows, einsum sums)
    stay close to float64, also for a mean far from zero."""
    x = rng.standard_normal((32, 8, 32, 32)) * 0.5 + 4
    g = rng.standard_normal(x.shape)
    w, b = rng.standard_normal(8), rng.standard_normal(8)
    outs, grads = [], []
    for dtype in (np.float32, np.float64):
        xs = [_t(a.astype(dtype)) for a in (x, w, b)]
        out = F.batch_norm(xs[0], None, None, *xs[1:], training=True)
        out.backward(_t(g.astype(dtype), False))
        outs.append(out.data)
        grads.append([t.grad.data for t in xs])
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-4, atol=1e-4)
    for g32, g64 in zip(*grads, strict=True):
        np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-3 * np.abs(g64).max())


def test_batch_norm_mixed_dtypes_are_composed(rng):
    x = _t(rng.standard_normal((4, 3)).astype(np.float32))
    w = _t(rng.standard_normal(3))  # float64: the result promotes, as with the ops
    out = F.batch_norm(x, None, None, w, None, training=True)
    assert out.dtype == chainrule.float64
    np.testing.assert_allclose(out.data, _np_norm(x.data.astype(np.float64), (0,), 1e-5) * w.data,
                               rtol=1e-5)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_under_vmap_matches_a_loop_without_falling_back(rng, training,
                                                                   monkeypatch):
    from chainrule.func import _op_rules, vmap

    def no_fallback(cls, *args):
        raise AssertionError(f"{cls.__name__} ran once per example")

    monkeypatch.setattr(_op_rules, "_per_example", no_fallback)

    rm, rv = _t(rng.standard_normal(3), False), _t(rng.uniform(0.5, 2, 3), False)
    w, b = _t(rng.standard_normal(3)), _t(rng.standard_normal(3))
    stats = (None, None) if training else (rm, rv)

    def fn(x):
        return F.batch_norm(x, *stats, w, b, training=training)

    xs = _t(rng.standard_normal((4, 5, 3, 2)))
    out = vmap(fn)(xs)
    expected = np.stack([fn(_t(x, False)).data for x in xs.data])
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    (out * out).sum().backward()
    w_grad = w.grad.data.copy()
    w.grad = None
    sum((fn(_t(x, False)) ** 2).sum() for x in xs.data).backward()
    np.testing.assert_allclose(w_grad, w.grad.data, rtol=1e-10, atol=1e-12)


def test_layer_norm_under_vmap_matches_a_loop(rng, monkeypatch):
    import warnings

    from chainrule.func import _op_rules, vmap

    w, b = _t(rng.standard_normal(4), False), _t(rng.standard_normal(4), False)
    xs, ws = rng.standard_normal((3, 2, 4)), rng.standard_normal((3, 4))
    per_example = _op_rules._per_example
    calls = []
    monkeypatch.setattr(_op_rules, "_per_example",
                        lambda cls, *a: calls.append(cls) or per_example(cls, *a))
    out = vmap(lambda x: F.layer_norm(x, 4, w, b))(_t(xs, False))
    assert not calls  # shared weights: one LayerNorm over the whole batch
    expected = np.stack([F.layer_norm(_t(x, False), 4, w, b).data for x in xs])
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # per-example weights: once per example
        out = vmap(lambda x, v: F.layer_norm(x, 4, v))(_t(xs, False), _t(ws, False))
    expected = np.stack([F.layer_norm(_t(x, False), 4, _t(v, False)).data
                         for x, v in zip(xs, ws, strict=True)])
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


def test_batch_norm_eval_takes_an_empty_batch():
    x = chainrule.zeros(0, 3, 4, requires_grad=True)
    out = F.batch_norm(x, chainrule.zeros(3), chainrule.ones(3), training=False)
    out.sum().backward()
    assert out.shape == x.grad.shape == (0, 3, 4)


def test_batch_norm_stays_float32(rng):
    x = _t(rng.standard_normal((4, 3)).astype(np.float32))
    w = _t(np.ones(3, np.float32))
    rm, rv = chainrule.zeros(3), chainrule.ones(3)
    out = F.batch_norm(x, rm, rv, w, None, training=True)
    out.sum().backward()
    assert out.dtype == rm.dtype == rv.dtype == x.grad.dtype == w.grad.dtype == chainrule.float32


def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"batch_norm: expected more than 1 value per channel "
                                         r"when training, got input of shape \(1, 3\)"):
        F.batch_norm(chainrule.ones(1, 3), None, None, training=True)
    with pytest.raises(ShapeError, match=r"batch_norm: running_mean has shape \(4,\) but "
                                         r"expected \(3,\)"):
        F.batch_norm(chainrule.ones(2, 3), chainrule.zeros(4), chainrule.ones(3))
    with pytest.raises(ShapeError, match="batch_norm: expected input of shape"):
        F.batch_norm(chainrule.ones(3), chainrule.zeros(3), chainrule.ones(3))
    with pytest.raises(ValueError, match="batch_norm: running_mean and running_var are needed"):
        F.batch_norm(chainrule.ones(2, 3), None, None, training=False)
    with pytest.raises(TypeError, match="batch_norm: momentum must be a float, got None"):
        F.batch_norm(chainrule.ones(2, 3), chainrule.zeros(3), chainrule.ones(3), None, None,
                     True, None)


def test_batch_norm_error_leaves_running_stats_untouched():
    rm, rv = chainrule.zeros(3), chainrule.ones(3)
    with pytest.raises(ShapeError):
        F.batch_norm(chainrule.ones(2, 3), rm, rv, chainrule.ones(2), training=True)
    np.testing.assert_array_equal(rm.data, 0)
    np.testing.assert_array_equal(rv.data, 1)


# -- group_norm and normalize ----------------------------------------------------------------
@pytest.mark.parametrize("shape,groups", [((2, 6), 3), ((2, 4, 3), 2), ((1, 4, 2, 2), 4)])
def test_group_norm_matches_numpy(rng, shape, groups):
    x = rng.standard_normal(shape)
    c = shape[1]
    w, b = rng.standard_normal(c), rng.standard_normal(c)
    out = F.group_norm(_t(x), groups, _t(w), _t(b))
    g = x.reshape(shape[0], groups, -1)
    bshape = (1, c) + (1,) * (x.ndim - 2)
    expected = _np_norm(g, (2,), 1e-5).reshape(shape) * w.reshape(bshape) + b.reshape(bshape)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-10)


def test_group_norm_gradcheck_and_gradgradcheck(rng):
    args = (_t(rng.standard_normal((2, 4, 2))), _t(rng.standard_normal(4)),
            _t(rng.standard_normal(4)))
    fn = lambda x, w, b: F.group_norm(x, 2, w, b)  # noqa: E731
    assert gradcheck(fn, args, check_forward_ad=True)
    assert gradgradcheck(fn, args)


def test_group_norm_rejects_indivisible_channels():
    with pytest.raises(ShapeError, match=r"group_norm: expected the number of channels \(3, "
                                         r"input shape \(2, 3\)\) to be divisible by "
                                         r"num_groups=2"):
        F.group_norm(chainrule.ones(2, 3), 2)


@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (3.0, -1)])
def test_normalize_matches_numpy(rng, p, dim):
    x = rng.standard_normal((3, 4))
    norms = (np.abs(x) ** p).sum(axis=dim, keepdims=True) ** (1 / p)
    np.testing.assert_allclose(F.normalize(_t(x), p, dim).data, x / norms, rtol=1e-12)
    assert gradcheck(lambda t: F.normalize(t, p, dim), (_t(x),))
    assert gradgradcheck(lambda t: F.normalize(t, p, dim), (_t(x),))


def test_normalize_clamps_zero_vectors_with_eps():
    x = _t(np.array([[0.0, 0.0], [3.0, 4.0]]))
    out = F.normalize(x, dim=1)
    out.sum().backward()
    np.testing.assert_allclose(out.data, [[0, 0], [0.6, 0.8]])
    assert np.isfinite(x.grad.data).all()


# -- against torch ---------------------------------------------------------------------------
def _both(torch, fn, t_fn, arrays):
    xs = [_t(a) for a in arrays]
    txs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, t_out = fn(*xs), t_fn(*txs)
    (out * out).sum().backward()
    (t_out * t_out).sum().backward()
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-4, atol=1e-5)
    for x, tx in zip(xs, txs, strict=True):
        np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-3, atol=1e-4)


def test_layer_norm_group_norm_normalize_match_torch(rng):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    w, b = (rng.standard_normal((4, 3)).astype(np.float32) for _ in range(2))
    _both(torch, lambda *a: F.layer_norm(a[0], (4, 3), *a[1:]),
          lambda *a: tf.layer_norm(a[0], (4, 3), *a[1:]), [x, w, b])
    w, b = (rng.standard_normal(4).astype(np.float32) for _ in range(2))
    _both(torch, lambda *a: F.group_norm(a[0], 2, *a[1:]),
          lambda *a: tf.group_norm(a[0], 2, *a[1:]), [x, w, b])
    _both(torch, lambda a: F.normalize(a, dim=2), lambda a: tf.normalize(a, dim=2), [x])


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_matches_torch(rng, training):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((5, 3, 4)).astype(np.float32)
    w, b = (rng.standard_normal(3).astype(np.float32) for _ in range(2))
    rm0, rv0 = rng.standard_normal(3).astype("f4"), rng.uniform(0.5, 2, 3).astype("f4")
    rm, rv = chainrule.tensor(rm0.copy()), chainrule.tensor(rv0.copy())
    trm, trv = torch.tensor(rm0.copy()), torch.tensor(rv0.copy())
    _both(torch, lambda *a: F.batch_norm(a[0], rm, rv, *a[1:], training=training, momentum=0.2),
          lambda *a: torch.nn.functional.batch_norm(a[0], trm, trv, *a[1:], training=training,
                                                    momentum=0.2), [x, w, b])
    np.testing.assert_allclose(rm.data, trm.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv.data, trv.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["layer_norm", "group_norm", "normalize"])
def test_per_sample_norms_stay_float32(rng, name):
    x = _t(rng.standard_normal((2, 4, 3)).astype(np.float32))
    w = _t(np.ones(4, np.float32))
    out = {"layer_norm": lambda: F.layer_norm(x, 3),
           "group_norm": lambda: F.group_norm(x, 2, w),
           "normalize": lambda: F.normalize(x)}[name]()
    out.sum().backward()
    assert out.dtype == x.grad.dtype == chainrule.float32
