"""nn.functional convolutions: conv1d, conv2d, conv_transpose1d/2d, unfold, fold."""

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


def conv2d_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Naive loop; padding: int, pair or ((top, bottom), (left, right))."""
    stride, dilation = _pair(stride), _pair(dilation)
    if isinstance(padding, int) or isinstance(padding[0], int):
        padding = tuple((p, p) for p in _pair(padding))
    xp = np.pad(x, ((0, 0), (0, 0), *padding))
    o, cg, kh, kw = w.shape
    oh = (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((x.shape[0], o, oh, ow))
    for k in range(o):
        g = k // (o // groups)
        for i in range(oh):
            for j in range(ow):
                r, c = i * stride[0], j * stride[1]
                patch = xp[:, g * cg:(g + 1) * cg, r:r + dilation[0] * (kh - 1) + 1:dilation[0],
                           c:c + dilation[1] * (kw - 1) + 1:dilation[1]]
                out[:, k, i, j] = (patch * w[k]).sum((1, 2, 3))
    return out if b is None else out + b.reshape(-1, 1, 1)


def conv_transpose2d_ref(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                         dilation=1):
    """Each input pixel adds a scaled copy of its kernel into the (uncropped) output."""
    s, p, op, d = _pair(stride), _pair(padding), _pair(output_padding), _pair(dilation)
    n, cin, h, w_ = x.shape
    _, cog, kh, kw = w.shape
    size = [(h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1,
            (w_ - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1]
    full = np.zeros((n, cog * groups, size[0] + 2 * p[0] + s[0] + d[0] * kh,
                     size[1] + 2 * p[1] + s[1] + d[1] * kw))
    for ci in range(cin):
        g = ci // (cin // groups)
        for i in range(h):
            for j in range(w_):
                r, c = i * s[0], j * s[1]
                full[:, g * cog:(g + 1) * cog, r:r + d[0] * (kh - 1) + 1:d[0],
                     c:c + d[1] * (kw - 1) + 1:d[1]] += (x[:, ci, i, j, None, None, None]
                                                          * w[ci])
    out = full[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]
    return out if b is None else out + b.reshape(-1, 1, 1)


CONV2D = [  # x shape, w shape, kwargs
    ((2, 3, 5, 5), (4, 3, 3, 3), {}),
    ((1, 2, 6, 5), (3, 2, 3, 2), dict(stride=2, padding=1)),
    ((1, 2, 6, 6), (2, 2, 2, 3), dict(stride=(1, 2), padding=(2, 1), dilation=(2, 1))),
    ((1, 4, 5, 5), (6, 2, 3, 3), dict(groups=2, padding=1)),
    ((2, 3, 4, 4), (3, 1, 3, 3), dict(groups=3, padding="same")),
    ((1, 2, 5, 6), (2, 2, 2, 4), dict(padding="same", dilation=(2, 1))),  # asymmetric
    ((1, 2, 5, 4), (3, 2, 3, 3), dict(padding="valid")),
    ((1, 3, 3, 3), (2, 3, 1, 1), dict(stride=2)),
]
CONV2D_IDS = [f"conv2d{i}" for i in range(len(CONV2D))]


def _padding_ref(kwargs, w_shape):
    padding = kwargs.get("padding", 0)
    if padding == "valid":
        return 0
    if padding == "same":
        dil = _pair(kwargs.get("dilation", 1))
        totals = [d * (k - 1) for d, k in zip(dil, w_shape[2:])]
        return tuple((t // 2, t - t // 2) for t in totals)
    return padding


@pytest.mark.parametrize("xs, ws, kwargs", CONV2D, ids=CONV2D_IDS)
def test_conv2d_matches_a_loop(xs, ws, kwargs, rng):
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    out = F.conv2d(_t(x, False), _t(w, False), _t(b, False), **kwargs)
    ref_kwargs = dict(kwargs, padding=_padding_ref(kwargs, ws))
    np.testing.assert_allclose(out.numpy(), conv2d_ref(x, w, b, **ref_kwargs), atol=1e-12)
    if kwargs.get("padding") == "same":
        assert out.shape[2:] == xs[2:]


@pytest.mark.parametrize("xs, ws, kwargs", CONV2D, ids=CONV2D_IDS)
def test_conv2d_gradcheck_and_gradgradcheck(xs, ws, kwargs, rng):
    args = (_t(rng.standard_normal(xs)), _t(rng.standard_normal(ws)),
            _t(rng.standard_normal(ws[0])))

    def fn(x, w, b):
        return F.conv2d(x, w, b, **kwargs)

    assert gradcheck(fn, args, check_forward_ad=True)
    assert gradgradcheck(fn, args)


def test_conv2d_takes_an_unbatched_input(rng):
    x, w = rng.standard_normal((3, 5, 5)), rng.standard_normal((2, 3, 3, 3))
    out = F.conv2d(_t(x, False), _t(w, False), padding=1)
    np.testing.assert_allclose(out.numpy(), conv2d_ref(x[None], w, padding=1)[0], atol=1e-12)


CONV1D = [
    ((2, 3, 7), (4, 3, 3), {}),
    ((1, 4, 8), (2, 2, 2), dict(stride=3, padding=2, dilation=2, groups=2)),
    ((1, 2, 6), (3, 2, 4), dict(padding="same")),
]


@pytest.mark.parametrize("xs, ws, kwargs", CONV1D, ids=["a", "b", "c"])
def test_conv1d_matches_conv2d_of_height_one_and_gradchecks(xs, ws, kwargs, rng):
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    out = F.conv1d(_t(x, False), _t(w, False), _t(b, False), **kwargs)
    two = {k: (v if k == "groups" or isinstance(v, str) else (1 if k != "padding" else 0, v))
           for k, v in kwargs.items()}
    ref_kwargs = dict(two, padding=_padding_ref(two, (0, 0, 1, ws[2])))
    ref = conv2d_ref(x[:, :, None], w[:, :, None], b, **ref_kwargs)[:, :, 0]
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)
    args = (_t(x), _t(w), _t(b))
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, **kwargs), args, check_forward_ad=True)
    assert gradgradcheck(lambda x, w, b: F.conv1d(x, w, b, **kwargs), args)


def test_conv1d_takes_an_unbatched_input(rng):
    x, w = rng.standard_normal((3, 6)), rng.standard_normal((2, 3, 3))
    out = F.conv1d(_t(x, False), _t(w, False))
    ref = conv2d_ref(x[None, :, None], w[:, :, None])[0, :, 0]
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)


TRANSPOSE2D = [
    ((2, 3, 3, 3), (3, 2, 3, 3), {}),
    ((1, 2, 3, 4), (2, 3, 3, 2), dict(stride=2, padding=1, output_padding=1)),
    ((1, 4, 3, 3), (4, 1, 2, 3), dict(stride=(2, 1), groups=2, dilation=(1, 2))),
    ((1, 2, 4, 4), (2, 2, 3, 3), dict(padding=1)),  # stride 1: the flipped-kernel path
    ((1, 2, 2, 3), (2, 1, 2, 2), dict(stride=1, dilation=3, output_padding=2)),
]
TRANSPOSE2D_IDS = [f"t{i}" for i in range(len(TRANSPOSE2D))]


@pytest.mark.parametrize("xs, ws, kwargs", TRANSPOSE2D, ids=TRANSPOSE2D_IDS)
def test_conv_transpose2d_matches_a_loop_and_gradchecks(xs, ws, kwargs, rng):
    groups = kwargs.get("groups", 1)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[1] * groups)
    out = F.conv_transpose2d(_t(x, False), _t(w, False), _t(b, False), **kwargs)
    np.testing.assert_allclose(out.numpy(), conv_transpose2d_ref(x, w, b, **kwargs), atol=1e-12)
    args = (_t(x), _t(w), _t(b))

    def fn(x, w, b):
        return F.conv_transpose2d(x, w, b, **kwargs)

    assert gradcheck(fn, args, check_forward_ad=True)
    assert gradgradcheck(fn, args)


def test_conv_transpose1d_matches_a_loop_and_gradchecks(rng):
    x, w, b = rng.standard_normal((2, 2, 4)), rng.standard_normal((2, 3, 3)), rng.standard_normal(3)
    out = F.conv_transpose1d(_t(x, False), _t(w, False), _t(b, False), stride=2, padding=1,
                             output_padding=1)
    ref = conv_transpose2d_ref(x[:, :, None], w[:, :, None], b, stride=(1, 2), padding=(0, 1),
                               output_padding=(0, 1))[:, :, 0]
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)
    args = (_t(x), _t(w), _t(b))
    assert gradcheck(lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2), args,
                     check_forward_ad=True)
    assert gradgradcheck(lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2), args)


def unfold_ref(x, k, dilation, padding, stride):
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c, h, w = xp.shape
    oh = (h - dilation * (k - 1) - 1) // stride + 1
    ow = (w - dilation * (k - 1) - 1) // stride + 1
    cols = np.zeros((n, c, k, k, oh, ow))
    for i in range(k):
        for j in range(k):
            cols[:, :, i, j] = xp[:, :, i * dilation:i * dilation + stride * (oh - 1) + 1:stride,
                                  j * dilation:j * dilation + stride * (ow - 1) + 1:stride]
    return cols.reshape(n, c * k * k, oh * ow)


def test_unfold_matches_a_loop_and_fold_is_its_adjoint(rng):
    x = rng.standard_normal((2, 3, 5, 6))
    cols = F.unfold(_t(x, False), 3, dilation=1, padding=1, stride=2)
    ref = unfold_ref(x, 3, 1, 1, 2)
    np.testing.assert_allclose(cols.numpy(), ref, atol=1e-12)
    g = rng.standard_normal(ref.shape)
    back = F.fold(_t(g, False), (5, 6), 3, padding=1, stride=2)
    np.testing.assert_allclose((back.numpy() * x).sum(), (g * ref).sum(), rtol=1e-10)


def test_unfold_and_fold_gradcheck_and_gradgradcheck(rng):
    x = _t(rng.standard_normal((1, 2, 4, 4)))
    assert gradcheck(lambda x: F.unfold(x, 2, dilation=2, padding=1), (x,), check_forward_ad=True)
    assert gradgradcheck(lambda x: F.unfold(x, 2, dilation=2, padding=1), (x,))
    cols = _t(rng.standard_normal((1, 8, 9)))
    assert gradcheck(lambda c: F.fold(c, (4, 4), 2, stride=1, dilation=1, padding=0), (cols,),
                     check_forward_ad=True)


# -- against PyTorch ---------------------------------------------------------------------------


def _torch_check(torch, ours_fn, torch_fn, arrays, atol):
    ours = [_t(a) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = ours_fn(*ours), torch_fn(*theirs)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), atol=atol, rtol=1e-4)
    g = np.random.default_rng(0).standard_normal(ref.shape).astype(arrays[0].dtype)
    out.backward(chainrule.tensor(g))
    ref.backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=atol, rtol=1e-4)
        assert a.grad.dtype == a.dtype


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's own note on its speed
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs, ws, kwargs", CONV2D, ids=CONV2D_IDS)
def test_conv2d_matches_torch(xs, ws, kwargs, dtype, rng):
    torch = pytest.importorskip("torch")
    arrays = [rng.standard_normal(s).astype(dtype) for s in (xs, ws, (ws[0],))]
    _torch_check(torch, lambda *a: F.conv2d(*a, **kwargs),
                 lambda *a: torch.nn.functional.conv2d(*a, **kwargs), arrays, 1e-4)


@pytest.mark.parametrize("xs, ws, kwargs", CONV1D, ids=["a", "b", "c"])
def test_conv1d_matches_torch(xs, ws, kwargs, rng):
    torch = pytest.importorskip("torch")
    arrays = [rng.standard_normal(s).astype(np.float32) for s in (xs, ws, (ws[0],))]
    _torch_check(torch, lambda *a: F.conv1d(*a, **kwargs),
                 lambda *a: torch.nn.functional.conv1d(*a, **kwargs), arrays, 1e-4)


@pytest.mark.parametrize("xs, ws, kwargs", TRANSPOSE2D, ids=TRANSPOSE2D_IDS)
def test_conv_transpose2d_matches_torch(xs, ws, kwargs, rng):
    torch = pytest.importorskip("torch")
    shapes = (xs, ws, (ws[1] * kwargs.get("groups", 1),))
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    _torch_check(torch, lambda *a: F.conv_transpose2d(*a, **kwargs),
                 lambda *a: torch.nn.functional.conv_transpose2d(*a, **kwargs), arrays, 1e-4)


def test_conv_transpose1d_matches_torch(rng):
    torch = pytest.importorskip("torch")
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((2, 4, 5), (4, 3, 3), (6,))]
    kwargs = dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1)
    _torch_check(torch, lambda *a: F.conv_transpose1d(*a, **kwargs),
                 lambda *a: torch.nn.functional.conv_transpose1d(*a, **kwargs), arrays, 1e-4)


def test_unfold_and_fold_match_torch(rng):
    torch = pytest.importorskip("torch")
    x = [rng.standard_normal((2, 3, 5, 6)).astype(np.float32)]
    kwargs = dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    _torch_check(torch, lambda a: F.unfold(a, **kwargs),
                 lambda a: torch.nn.functional.unfold(a, **kwargs), x, 1e-5)
    cols = [rng.standard_normal((2, 12, 12)).astype(np.float32)]
    kwargs = dict(output_size=(4, 5), kernel_size=2, padding=0, stride=1)
    _torch_check(torch, lambda a: F.fold(a, **kwargs),
                 lambda a: torch.nn.functional.fold(a, **kwargs), cols, 1e-5)


def test_double_backward_matches_torch(rng):
    torch = pytest.importorskip("torch")
    x, w = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    xs, ws = _t(x), _t(w)
    (gx,) = chainrule.autograd.grad(F.conv2d(xs, ws, stride=2).square().sum(), (xs,),
                                    create_graph=True)
    gx.square().sum().backward()
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    (gxt,) = torch.autograd.grad(torch.nn.functional.conv2d(xt, wt, stride=2).square().sum(),
                                 (xt,), create_graph=True)
    gxt.square().sum().backward()
    np.testing.assert_allclose(gx.detach().numpy(), gxt.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(ws.grad.numpy(), wt.grad.numpy(), atol=1e-10)


# -- errors ------------------------------------------------------------------------------------


def test_conv2d_names_channel_counts_and_weight_shape():
    with pytest.raises(ShapeError) as info:
        F.conv2d(chainrule.zeros(1, 3, 5, 5), chainrule.zeros(8, 4, 3, 3))
    assert str(info.value) == ("conv2d: input has 3 channels but weight expects 4 "
                               "(weight shape (8, 4, 3, 3))")


def test_conv2d_counts_channels_across_groups():
    with pytest.raises(ShapeError, match=r"input has 3 channels but weight expects 4 .*"
                                         r"\(weight shape \(4, 2, 3, 3\)\)"):
        F.conv2d(chainrule.zeros(1, 3, 5, 5), chainrule.zeros(4, 2, 3, 3), groups=2)


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.conv2d(chainrule.zeros(3, 5), chainrule.zeros(1, 1, 1, 1)), ShapeError,
     r"conv2d: expected a 3-D \(unbatched\) or 4-D \(batched\) input, got shape \(3, 5\)"),
    (lambda: F.conv2d(chainrule.zeros(1, 1, 5, 5), chainrule.zeros(1, 1, 3)), ShapeError,
     r"conv2d: expected a 4-D weight, got shape \(1, 1, 3\)"),
    (lambda: F.conv2d(chainrule.zeros(1, 4, 5, 5), chainrule.zeros(3, 2, 3, 3), groups=2),
     ShapeError, r"weight shape \(3, 2, 3, 3\) has 3 output channels, which groups=2"),
    (lambda: F.conv2d(chainrule.zeros(1, 1, 5, 5), chainrule.zeros(2, 1, 3, 3),
                      chainrule.zeros(3)), ShapeError,
     r"conv2d: bias must have shape \(2,\) for weight shape \(2, 1, 3, 3\), got \(3,\)"),
    (lambda: F.conv2d(chainrule.zeros(1, 1, 5, 5, dtype=chainrule.float64),
                      chainrule.zeros(1, 1, 3, 3)), DTypeError,
     r"conv2d: input has dtype chainrule.float64 but weight has dtype chainrule.float32; they "
     r"must match"),
    (lambda: F.conv2d(chainrule.zeros(1, 1, 5, 5, dtype=chainrule.int64),
                      chainrule.zeros(1, 1, 3, 3, dtype=chainrule.int64)), DTypeError,
     r"conv2d: input must be a floating point tensor, got chainrule.int64"),
    (lambda: F.conv2d(chainrule.zeros(1, 1, 5, 5), chainrule.zeros(1, 1, 3, 3), stride=2,
                      padding="same"), ValueError,
     r"conv2d: padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(chainrule.zeros(1, 1, 5, 5), chainrule.zeros(1, 1, 3, 3), padding="full"),
     ValueError, r"conv2d: invalid padding string 'full', should be one of 'valid', 'same'"),
    (lambda: F.conv2d(chainrule.zeros(1, 1, 2, 5), chainrule.zeros(1, 1, 3, 3)), ShapeError,
     r"conv2d: the kernel \(size 3, dilation 1\) is larger than the padded input \(size 2"),
    (lambda: F.conv2d(chainrule.zeros(1, 1, 5, 5), chainrule.zeros(1, 1, 3, 3), stride=0),
     ValueError, r"conv2d: stride must be >= 1, got 0"),
    (lambda: F.conv2d(chainrule.zeros(1, 1, 5, 5), chainrule.zeros(1, 1, 3, 3),
                      padding=(1, 2, 3)), ValueError,
     r"conv2d: padding must be an int or a tuple of 2 ints, got \(1, 2, 3\)"),
    (lambda: F.conv1d(chainrule.zeros(1, 2, 5), chainrule.zeros(1, 3, 3)), ShapeError,
     r"conv1d: input has 2 channels but weight expects 3 \(weight shape \(1, 3, 3\)\)"),
    (lambda: F.conv_transpose2d(chainrule.zeros(1, 3, 5, 5), chainrule.zeros(4, 2, 3, 3)),
     ShapeError, r"conv_transpose2d: input has 3 channels but weight expects 4 "
                 r"\(weight shape \(4, 2, 3, 3\)\)"),
    (lambda: F.conv_transpose2d(chainrule.zeros(1, 1, 5, 5), chainrule.zeros(1, 1, 3, 3),
                                stride=2, output_padding=2), ValueError,
     r"conv_transpose2d: output_padding 2 must be smaller than either stride 2 or dilation 1"),
    (lambda: F.conv_transpose2d(chainrule.zeros(1, 1, 1, 1), chainrule.zeros(1, 1, 1, 1),
                                padding=1), ShapeError,
     r"conv_transpose2d: the output size \(-1, -1\) is not positive"),
    (lambda: F.unfold(chainrule.zeros(1, 1, 2, 2), 3), ShapeError,
     r"unfold: kernel_size \(3, 3\) \(dilation \(1, 1\)\) does not fit the padded input"),
    (lambda: F.fold(chainrule.zeros(1, 5, 9), (4, 4), 2), ShapeError,
     r"fold: input shape \(1, 5, 9\) does not match kernel_size \(2, 2\): expected C \* 4 rows"),
])
def test_conv_errors_name_the_op_and_the_shapes(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_empty_batch_gives_empty_outputs_and_zero_weight_gradients():
    x = chainrule.zeros(0, 3, 5, 5, requires_grad=True)
    w = chainrule.ones(4, 3, 3, 3, requires_grad=True)
    out = F.conv2d(x, w, padding=1)
    assert out.shape == (0, 4, 5, 5)
    out.sum().backward()
    assert x.grad.shape == (0, 3, 5, 5) and not w.grad.numpy().any()
    assert F.conv_transpose2d(x, w.detach().reshape(3, 4, 3, 3), stride=2).shape == (0, 4, 11, 11)
    assert F.unfold(x, 2).shape == (0, 12, 16)


def test_non_contiguous_inputs_give_the_contiguous_results(rng):
    x = rng.standard_normal((2, 6, 3, 10))[:, ::2].transpose(0, 1, 3, 2)[:, :, ::2]  # (2,3,5,3)
    w = rng.standard_normal((3, 4, 2, 2)).transpose(1, 0, 3, 2)  # (4, 3, 2, 2), strided
    xs, ws = _t(x), _t(w)
    out = F.conv2d(xs, ws, stride=(2, 1), padding=1)
    np.testing.assert_allclose(out.detach().numpy(),
                               conv2d_ref(np.ascontiguousarray(x), np.ascontiguousarray(w),
                                          stride=(2, 1), padding=1), atol=1e-12)
    assert gradcheck(lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=1), (xs, ws),
                     check_forward_ad=True)
    t = F.conv_transpose2d(_t(x, False), _t(w.transpose(1, 0, 2, 3), False), stride=2)
    np.testing.assert_allclose(t.numpy(), conv_transpose2d_ref(
        np.ascontiguousarray(x), np.ascontiguousarray(w.transpose(1, 0, 2, 3)), stride=2),
        atol=1e-12)
