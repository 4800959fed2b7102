"""nn.functional pooling: max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool2d, adaptive_max_pool2d."""

import math

import numpy as np
import pytest

import chainrule
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.errors import DTypeError, ShapeError


def _t(a, grad=True):
    return chainrule.Tensor(np.array(a), requires_grad=grad)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _out_size(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (math.ceil(span / s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def max_pool2d_ref(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Values and flat indices by a loop over windows, clipped to the input."""
    k, p, d = _pair(kernel_size), _pair(padding), _pair(dilation)
    s = k if stride is None else _pair(stride)
    n, c, h, w = x.shape
    oh, ow = (_out_size(size, k[i], s[i], p[i], d[i], ceil_mode) for i, size in enumerate((h, w)))
    values, index = np.zeros((n, c, oh, ow)), np.zeros((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            rows = [r for r in range(i * s[0] - p[0], i * s[0] - p[0] + d[0] * k[0], d[0])
                    if 0 <= r < h]
            cols = [q for q in range(j * s[1] - p[1], j * s[1] - p[1] + d[1] * k[1], d[1])
                    if 0 <= q < w]
            flat = np.array([r * w + q for r in rows for q in cols])
            block = x.reshape(n, c, -1)[:, :, flat]
            values[:, :, i, j] = block.max(-1)
            index[:, :, i, j] = flat[block.argmax(-1)]
    return values, index


def avg_pool2d_ref(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                   count_include_pad=True, divisor_override=None):
    k, p = _pair(kernel_size), _pair(padding)
    s = k if stride is None else _pair(stride)
    n, c, h, w = x.shape
    oh, ow = (_out_size(size, k[i], s[i], p[i], 1, ceil_mode) for i, size in enumerate((h, w)))
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, q0 = i * s[0] - p[0], j * s[1] - p[1]
            r1, q1 = min(r0 + k[0], h + p[0]), min(q0 + k[1], w + p[1])
            size = (r1 - r0) * (q1 - q0)
            r0, q0, r1, q1 = max(r0, 0), max(q0, 0), min(r1, h), min(q1, w)
            if not count_include_pad:
                size = (r1 - r0) * (q1 - q0)
            total = x[:, :, r0:r1, q0:q1].sum((2, 3))
            out[:, :, i, j] = total / (divisor_override or size)
    return out


def _bins(size, out):
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def adaptive_ref(x, out_size, reduce):
    n, c, h, w = x.shape
    oh, ow = out_size
    out = np.zeros((n, c, oh, ow))
    for i, (r0, r1) in enumerate(_bins(h, oh)):
        for j, (q0, q1) in enumerate(_bins(w, ow)):
            out[:, :, i, j] = reduce(x[:, :, r0:r1, q0:q1], axis=(2, 3))
    return out


MAX2D = [
    ((2, 3, 4, 4), dict(kernel_size=2)),
    ((1, 2, 5, 6), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 2, 6, 5), dict(kernel_size=(2, 3), stride=(2, 1), dilation=(2, 1), padding=(1, 1))),
    ((1, 1, 5, 5), dict(kernel_size=2, ceil_mode=True)),
    ((1, 2, 7, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((1, 1, 4, 4), dict(kernel_size=3, stride=1)),  # overlapping windows share maxima
]
MAX_IDS = [f"max{i}" for i in range(len(MAX2D))]


@pytest.mark.parametrize("shape, kwargs", MAX2D, ids=MAX_IDS)
def test_max_pool2d_matches_a_loop(shape, kwargs, rng):
    x = rng.standard_normal(shape)
    out, index = F.max_pool2d(_t(x, False), return_indices=True, **kwargs)
    values, expected = max_pool2d_ref(x, **kwargs)
    np.testing.assert_array_equal(out.numpy(), values)
    np.testing.assert_array_equal(index.numpy(), expected)
    assert index.dtype == chainrule.int64


@pytest.mark.parametrize("shape, kwargs", MAX2D, ids=MAX_IDS)
def test_max_pool2d_gradcheck_and_gradgradcheck(shape, kwargs, rng):
    # Distinct values far apart: finite differences must not move the argmax.
    x = _t(rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1)
    assert gradcheck(lambda x: F.max_pool2d(x, **kwargs), (x,), check_forward_ad=True)
    assert gradgradcheck(lambda x: F.max_pool2d(x, **kwargs), (x,))


def test_max_pool2d_gradient_adds_up_where_windows_share_a_maximum():
    x = _t(np.array([[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]]))
    F.max_pool2d(x, 2, stride=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0, 0, 0], [0, 4, 0], [0, 0, 0]])


def test_max_pool2d_propagates_nan_and_takes_unbatched_input():
    x = np.array([[[1.0, np.nan], [3.0, 2.0]]])
    out = F.max_pool2d(_t(x, False), 2)
    assert out.shape == (1, 1, 1) and np.isnan(out.numpy()).all()


def test_max_pool1d_matches_max_pool2d_of_height_one(rng):
    x = rng.standard_normal((2, 3, 9))
    out, index = F.max_pool1d(_t(x, False), 3, stride=2, padding=1, dilation=1,
                              ceil_mode=True, return_indices=True)
    values, expected = max_pool2d_ref(x[:, :, None], (1, 3), (1, 2), (0, 1), 1, True)
    np.testing.assert_array_equal(out.numpy(), values[:, :, 0])
    np.testing.assert_array_equal(index.numpy(), expected[:, :, 0])
    unbatched = F.max_pool1d(_t(x[0], False), 2)
    np.testing.assert_array_equal(unbatched.numpy(), x[0, :, :8].reshape(3, 4, 2).max(-1))


AVG2D = [
    ((2, 3, 4, 4), dict(kernel_size=2)),
    ((1, 2, 5, 6), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 2, 5, 6), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((1, 2, 6, 5), dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 1), ceil_mode=True)),
    ((1, 1, 5, 5), dict(kernel_size=2, ceil_mode=True, count_include_pad=False)),
    ((1, 1, 7, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((1, 2, 4, 4), dict(kernel_size=3, stride=1, padding=1, divisor_override=2)),
]
AVG_IDS = [f"avg{i}" for i in range(len(AVG2D))]


@pytest.mark.parametrize("shape, kwargs", AVG2D, ids=AVG_IDS)
def test_avg_pool2d_matches_a_loop_and_gradchecks(shape, kwargs, rng):
    x = rng.standard_normal(shape)
    out = F.avg_pool2d(_t(x, False), **kwargs)
    np.testing.assert_allclose(out.numpy(), avg_pool2d_ref(x, **kwargs), atol=1e-12)
    assert gradcheck(lambda x: F.avg_pool2d(x, **kwargs), (_t(x),), check_forward_ad=True)
    assert gradgradcheck(lambda x: F.avg_pool2d(x, **kwargs), (_t(x),))


def test_avg_pool1d_matches_a_loop(rng):
    x = rng.standard_normal((2, 3, 7))
    out = F.avg_pool1d(_t(x, False), 3, stride=2, padding=1, count_include_pad=False)
    ref = avg_pool2d_ref(x[:, :, None], (1, 3), (1, 2), (0, 1), count_include_pad=False)
    np.testing.assert_allclose(out.numpy(), ref[:, :, 0], atol=1e-12)


ADAPTIVE = [((2, 3, 6, 6), (3, 2)), ((1, 2, 5, 7), (3, 4)), ((1, 2, 5, 7), 1),
            ((1, 1, 4, 5), (None, 2)), ((1, 1, 3, 3), (5, 4))]


@pytest.mark.parametrize("shape, size", ADAPTIVE, ids=[str(s) for _, s in ADAPTIVE])
def test_adaptive_avg_pool2d_matches_a_loop_and_gradchecks(shape, size, rng):
    x = rng.standard_normal(shape)
    pair = _pair(size) if size is not None else shape[2:]
    pair = tuple(shape[2 + i] if s is None else s for i, s in enumerate(pair))
    out = F.adaptive_avg_pool2d(_t(x, False), size)
    np.testing.assert_allclose(out.numpy(), adaptive_ref(x, pair, np.mean), atol=1e-12)
    assert gradcheck(lambda x: F.adaptive_avg_pool2d(x, size), (_t(x),), check_forward_ad=True)
    assert gradgradcheck(lambda x: F.adaptive_avg_pool2d(x, size), (_t(x),))


@pytest.mark.parametrize("shape, size", ADAPTIVE, ids=[str(s) for _, s in ADAPTIVE])
def test_adaptive_max_pool2d_matches_a_loop_and_gradchecks(shape, size, rng):
    x = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1
    pair = tuple(shape[2 + i] if s is None else s for i, s in enumerate(_pair(size)))
    out, index = F.adaptive_max_pool2d(_t(x, False), size, return_indices=True)
    np.testing.assert_array_equal(out.numpy(), adaptive_ref(x, pair, np.max))
    np.testing.assert_array_equal(np.take_along_axis(x.reshape(*shape[:2], -1),
                                                     index.numpy().reshape(*shape[:2], -1), 2),
                                  out.numpy().reshape(*shape[:2], -1))
    assert gradcheck(lambda x: F.adaptive_max_pool2d(x, size), (_t(x),), check_forward_ad=True)
    assert gradgradcheck(lambda x: F.adaptive_max_pool2d(x, size), (_t(x),))


def test_pooling_keeps_float32(rng):
    x = _t(rng.standard_normal((1, 2, 5, 5)).astype(np.float32))
    for fn in (lambda x: F.max_pool2d(x, 2), lambda x: F.avg_pool2d(x, 3, 2, 1, True, False),
               lambda x: F.adaptive_avg_pool2d(x, 3), lambda x: F.adaptive_max_pool2d(x, 3)):
        out = fn(x)
        (g,) = chainrule.autograd.grad(out.sum(), (x,))
        assert out.dtype == g.dtype == chainrule.float32


# -- against PyTorch ---------------------------------------------------------------------------


def _torch_check(torch, ours_fn, torch_fn, x):
    ours, theirs = _t(x), torch.tensor(x, requires_grad=True)
    out, ref = ours_fn(ours), torch_fn(theirs)
    if isinstance(ref, tuple):
        np.testing.assert_array_equal(out[1].numpy(), ref[1].numpy())
        out, ref = out[0], ref[0]
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = np.random.default_rng(0).standard_normal(ref.shape).astype(x.dtype)
    out.backward(chainrule.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape, kwargs", MAX2D, ids=MAX_IDS)
def test_max_pool2d_matches_torch(shape, kwargs, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal(shape).astype(np.float32)
    _torch_check(torch, lambda a: F.max_pool2d(a, return_indices=True, **kwargs),
                 lambda a: torch.nn.functional.max_pool2d(a, return_indices=True, **kwargs), x)


def test_max_pool1d_matches_torch(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 11)).astype(np.float32)
    kwargs = dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True,
                  return_indices=True)
    _torch_check(torch, lambda a: F.max_pool1d(a, **kwargs),
                 lambda a: torch.nn.functional.max_pool1d(a, **kwargs), x)


@pytest.mark.parametrize("shape, kwargs", AVG2D, ids=AVG_IDS)
def test_avg_pool2d_matches_torch(shape, kwargs, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal(shape).astype(np.float32)
    _torch_check(torch, lambda a: F.avg_pool2d(a, **kwargs),
                 lambda a: torch.nn.functional.avg_pool2d(a, **kwargs), x)


def test_avg_pool1d_matches_torch(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 8)).astype(np.float32)
    kwargs = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
    _torch_check(torch, lambda a: F.avg_pool1d(a, **kwargs),
                 lambda a: torch.nn.functional.avg_pool1d(a, **kwargs), x)


@pytest.mark.parametrize("shape, size", ADAPTIVE, ids=[str(s) for _, s in ADAPTIVE])
def test_adaptive_pools_match_torch(shape, size, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal(shape).astype(np.float32)
    _torch_check(torch, lambda a: F.adaptive_avg_pool2d(a, size),
                 lambda a: torch.nn.functional.adaptive_avg_pool2d(a, size), x)
    _torch_check(torch, lambda a: F.adaptive_max_pool2d(a, size, True),
                 lambda a: torch.nn.functional.adaptive_max_pool2d(a, size, True), x)


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.max_pool2d(chainrule.zeros(4, 4), 2), ShapeError,
     r"max_pool2d: expected a 3-D \(unbatched\) or 4-D \(batched\) input, got shape \(4, 4\)"),
    (lambda: F.max_pool2d(chainrule.zeros(1, 1, 4, 4), 2, padding=2), ValueError,
     r"max_pool2d: padding should be at most half of kernel_size, but got padding=2 and "
     r"kernel_size=2"),
    (lambda: F.max_pool2d(chainrule.zeros(1, 1, 2, 2), 3), ShapeError,
     r"max_pool2d: the window \(kernel_size 3, dilation 1\) does not fit the input of size 2"),
    (lambda: F.max_pool2d(chainrule.zeros(1, 1, 4, 4, dtype=chainrule.int64), 2), DTypeError,
     r"max_pool2d: input must be a floating point tensor, got chainrule.int64"),
    (lambda: F.max_pool1d(chainrule.zeros(1, 1, 4), (2, 2)), ValueError,
     r"max_pool1d: kernel_size must be an int or a tuple of 1 ints, got \(2, 2\)"),
    (lambda: F.avg_pool2d(chainrule.zeros(1, 1, 4, 4), 2, divisor_override=0), ValueError,
     r"avg_pool2d: divisor_override must be a nonzero int, got 0"),
    (lambda: F.avg_pool2d(chainrule.zeros(1, 1, 4, 4), 0), ValueError,
     r"avg_pool2d: kernel_size must be >= 1, got 0"),
    (lambda: F.adaptive_avg_pool2d(chainrule.zeros(1, 1, 4, 4), (2, 0)), ValueError,
     r"adaptive_avg_pool2d: output_size must hold positive ints or None, got \(2, 0\)"),
    (lambda: F.adaptive_max_pool2d(chainrule.zeros(1, 1, 4, 4), (1, 2, 3)), ValueError,
     r"adaptive_max_pool2d: output_size must be an int or a pair, got \(1, 2, 3\)"),
])
def test_pooling_errors_name_the_op_and_the_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_max_pool2d_nan_wins_with_pytorch_index(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((1, 2, 4, 4)).astype(np.float32)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = x[0, 1, 3, 3] = np.nan
    out, index = F.max_pool2d(chainrule.tensor(x), 2, padding=1, return_indices=True)
    ref, ref_index = torch.nn.functional.max_pool2d(torch.tensor(x), 2, padding=1,
                                                    return_indices=True)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    np.testing.assert_array_equal(index.numpy(), ref_index.numpy())


def test_empty_batch_or_channels_give_empty_outputs():
    x = chainrule.zeros(0, 3, 5, 5, requires_grad=True)
    for fn in (lambda x: F.max_pool2d(x, 2), lambda x: F.avg_pool2d(x, 2),
               lambda x: F.adaptive_max_pool2d(x, 2), lambda x: F.adaptive_avg_pool2d(x, 2)):
        out = fn(x)
        assert out.shape == (0, 3, 2, 2)
        (g,) = chainrule.autograd.grad(out.sum(), (x,))
        assert g.shape == (0, 3, 5, 5)
    assert F.max_pool2d(chainrule.zeros(2, 0, 5, 5), 2).shape == (2, 0, 2, 2)


def test_non_contiguous_input_gives_the_contiguous_result(rng):
    x = rng.standard_normal((2, 7, 3, 12)).transpose(0, 2, 1, 3)[..., ::2]  # (2, 3, 7, 6)
    out, index = F.max_pool2d(_t(x, False), 3, 2, 1, return_indices=True)
    values, expected = max_pool2d_ref(np.ascontiguousarray(x), 3, 2, 1)
    np.testing.assert_array_equal(out.numpy(), values)
    np.testing.assert_array_equal(index.numpy(), expected)
    np.testing.assert_allclose(F.avg_pool2d(_t(x, False), 2, ceil_mode=True).numpy(),
                               avg_pool2d_ref(np.ascontiguousarray(x), 2, ceil_mode=True))


@pytest.mark.parametrize("shape, size", [((2, 3, 7), 3), ((3, 5), 5), ((1, 2, 4), (6,))])
def test_adaptive_1d_pools_match_a_loop_torch_and_gradcheck(shape, size, rng):
    x = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1
    n = size[0] if isinstance(size, tuple) else size
    bins = _bins(shape[-1], n)
    for fn, reduce in ((F.adaptive_avg_pool1d, np.mean), (F.adaptive_max_pool1d, np.max)):
        out = fn(_t(x, False), size)
        expected = np.stack([reduce(x[..., a:b], axis=-1) for a, b in bins], axis=-1)
        np.testing.assert_allclose(out.numpy(), expected, atol=1e-12)
        assert gradcheck(lambda x: fn(x, size), (_t(x),), check_forward_ad=True)
        assert gradgradcheck(lambda x: fn(x, size), (_t(x),))
    torch = pytest.importorskip("torch")
    x32 = x.astype(np.float32)
    _torch_check(torch, lambda a: F.adaptive_avg_pool1d(a, size),
                 lambda a: torch.nn.functional.adaptive_avg_pool1d(a, size), x32)
    _torch_check(torch, lambda a: F.adaptive_max_pool1d(a, size, True),
                 lambda a: torch.nn.functional.adaptive_max_pool1d(a, size, True), x32)


def test_adaptive_1d_pools_reject_bad_output_size():
    with pytest.raises(ValueError, match=r"adaptive_avg_pool1d: output_size must be a positive "
                                         r"int, got \(2, 2\)"):
        F.adaptive_avg_pool1d(chainrule.zeros(1, 1, 4), (2, 2))
    with pytest.raises(ShapeError, match=r"adaptive_max_pool1d: expected a 2-D \(unbatched\) "
                                         r"or 3-D \(batched\) input, got shape \(4,\)"):
        F.adaptive_max_pool1d(chainrule.zeros(4), 2)


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2), dict(kernel_size=2, stride=1), dict(kernel_size=2, padding=1),
    dict(kernel_size=2, dilation=2, stride=(1, 2)), dict(kernel_size=2, ceil_mode=True),
], ids=["s2", "s1", "pad", "dilated", "ceil"])
def test_max_pool2d_2x2_ties_keep_the_first_maximum(kwargs, rng):
    # 2x2 windows take their own path (a tournament); few distinct values make many ties.
    x = rng.integers(-1, 2, (3, 2, 7, 6)).astype(np.float32)
    out, index = F.max_pool2d(_t(x, False), return_indices=True, **kwargs)
    values, expected = max_pool2d_ref(x, **kwargs)
    np.testing.assert_array_equal(out.numpy(), values)
    np.testing.assert_array_equal(index.numpy(), expected)


def test_max_pool2d_2x2_nan_anywhere_in_the_window_wins(rng):
    torch = pytest.importorskip("torch")
    x = rng.integers(-1, 2, (4, 1, 2, 2)).astype(np.float32)
    for k in range(4):
        x[k, 0].flat[k] = np.nan
    x[3, 0, 0, 0] = np.nan  # two NaNs: PyTorch's index is the last one
    out, index = F.max_pool2d(chainrule.tensor(x), 2, return_indices=True)
    ref, ref_index = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    assert np.isnan(out.numpy()).all()
    np.testing.assert_array_equal(index.numpy(), ref_index.numpy())


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=1),
                                    dict(kernel_size=2, padding=1)], ids=["tile", "s1", "pad"])
def test_max_pool2d_infinite_gradient_stays_at_the_maximum(kwargs):
    x = _t(np.arange(16.0).reshape(1, 1, 4, 4))
    out = F.max_pool2d(x, **kwargs)
    grad = np.ones(out.shape)
    grad.flat[0] = np.inf
    (g,) = chainrule.autograd.grad(out, (x,), chainrule.tensor(grad))
    _, index = max_pool2d_ref(x.detach().numpy(), **kwargs)
    expected = np.zeros(16)
    np.add.at(expected, index.ravel(), grad.ravel())
    np.testing.assert_array_equal(g.numpy().ravel(), expected)  # no NaN from inf * 0


@pytest.mark.parametrize("shape, kwargs", MAX2D[:3], ids=MAX_IDS[:3])
def test_max_pool2d_gradient_of_a_dual_input_carries_its_tangent(shape, kwargs, rng):
    """Backward inside a dual level: the scatter's tangent is the scatter of the tangent."""
    from chainrule.autograd import forward_ad as fwAD

    x0 = _t(rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1)
    out = F.max_pool2d(x0, **kwargs)
    grad, tangent = _t(rng.standard_normal(out.shape)), _t(rng.standard_normal(out.shape))
    with fwAD.dual_level():
        g = fwAD.make_dual(grad, tangent)
        (grad_x,) = chainrule.autograd.grad(F.max_pool2d(x0, **kwargs), (x0,), g)
        result = fwAD.unpack_dual(grad_x).tangent
    (expected,) = chainrule.autograd.grad(F.max_pool2d(x0, **kwargs), (x0,), tangent)
    np.testing.assert_array_equal(result.numpy(), expected.numpy())


def test_max_pool2d_after_relu_matches_torch_with_ties(rng):
    """cnn_step's case: ReLU zeros make whole windows tie; the first maximum gets the
    gradient, as in torch."""
    torch = pytest.importorskip("torch")
    x = np.maximum(rng.standard_normal((4, 3, 8, 10)), 0).astype(np.float32)
    x[:, :, :4, :4] = 0
    _torch_check(torch, lambda a: F.max_pool2d(a, 2, return_indices=True),
                 lambda a: torch.nn.functional.max_pool2d(a, 2, return_indices=True), x)


@pytest.mark.parametrize("shape, kwargs", MAX2D[:2], ids=MAX_IDS[:2])
def test_max_pool2d_third_derivative(shape, kwargs, rng):
    """TakeWindow and PutWindow are each other's backward, to any order."""
    def first(x):
        out = F.max_pool2d(x, **kwargs)
        (grad,) = chainrule.autograd.grad((out * out * out).sum(), (x,), create_graph=True)
        return grad

    x = _t(rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1)
    assert gradgradcheck(first, (x,))


@pytest.mark.parametrize("shape, kwargs", [((2, 3, 4, 6), dict(kernel_size=2)),
                                           ((3, 5, 5), dict(kernel_size=3, stride=2,
                                                            padding=1))], ids=["4d", "3d"])
def test_max_pool2d_under_vmap_runs_once_and_matches_a_loop(shape, kwargs, rng, monkeypatch):
    from chainrule.func import _op_rules, grad, vmap

    def no_fallback(cls, *args):
        raise AssertionError(f"{cls.__name__} ran once per example")

    monkeypatch.setattr(_op_rules, "_per_example", no_fallback)
    xs = rng.standard_normal((4, *shape))
    loss = lambda x: (F.max_pool2d(x, **kwargs) ** 2).sum()  # noqa: E731
    out = vmap(lambda x: F.max_pool2d(x, **kwargs))(_t(xs, False))
    grads = vmap(grad(loss))(_t(xs, False))
    for i, x in enumerate(xs):
        np.testing.assert_array_equal(out.numpy()[i], F.max_pool2d(_t(x, False), **kwargs).numpy())
        np.testing.assert_array_equal(grads.numpy()[i], grad(loss)(_t(x, False)).numpy())
