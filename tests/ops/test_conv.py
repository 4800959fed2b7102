"""The convolution primitives of ops/conv.py: adjoint identities, gradients, gather/scatter."""

import numpy as np
import pytest

import chainrule
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.ops import buffers as B
from chainrule.ops import conv as C
from tests.nn.functional.test_conv import conv2d_ref


def _leaf(rng, *shape, dtype=np.float64):
    return chainrule.Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)


# (x shape, w shape, stride, padding per side, dilation, groups)
CASES = [
    ((2, 3, 5, 5), (4, 3, 3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),
    ((1, 2, 5, 6), (3, 2, 3, 2), (2, 1), ((1, 1), (0, 2)), (1, 1), 1),
    ((1, 4, 6, 5), (6, 2, 2, 3), (1, 2), ((1, 0), (1, 1)), (2, 1), 2),
    ((2, 3, 4, 4), (3, 1, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 3),  # depthwise
    ((1, 2, 5, 5), (1, 2, 3, 3), (1, 1), ((2, 2), (1, 1)), (1, 1), 1),  # padding > d(k-1)/2
    ((1, 1, 7, 7), (2, 1, 3, 3), (3, 3), ((0, 0), (0, 0)), (1, 1), 1),  # uncovered tail
]
IDS = [f"case{i}" for i in range(len(CASES))]


@pytest.fixture(params=["channels_last", "pixels_last"])
def columns(request, monkeypatch):
    """Runs a test with each im2col layout (chosen by channels per group otherwise)."""
    few = 0 if request.param == "channels_last" else 10**6
    monkeypatch.setattr(C, "_FEW_CHANNELS", few)
    monkeypatch.setattr(C, "_FEW_CHANNELS_WEIGHT", few)
    return request.param


def _conv_ref(x, w, stride, padding, dilation, groups):
    """The naive loop of the functional tests, with padding as ((top, bottom), (left, right))."""
    return conv2d_ref(x, w, None, stride, padding, dilation, groups)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_convolution_matches_a_loop(case, rng, columns):
    xs, ws, stride, padding, dilation, groups = case
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    out = C.convolution(chainrule.tensor(x), chainrule.tensor(w), chainrule.tensor(b), stride,
                        padding, dilation, groups)
    expected = _conv_ref(x, w, stride, padding, dilation, groups) + b.reshape(-1, 1, 1)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_transpose_and_weight_are_the_adjoints_of_convolution(case, rng, columns):
    """<g, conv(x, w)> = <conv^T(g, w), x> = <conv_w(x, g), w>."""
    xs, ws, stride, padding, dilation, groups = case
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    y = _conv_ref(x, w, stride, padding, dilation, groups)
    g = rng.standard_normal(y.shape)
    z = C.conv_transpose(chainrule.tensor(g), chainrule.tensor(w), stride, padding, dilation,
                         groups, xs[2:])
    dw = C.ConvWeight.apply(chainrule.tensor(x), chainrule.tensor(g), ws[2:], stride, padding,
                            dilation, groups)
    assert z.shape == xs and dw.shape == ws
    np.testing.assert_allclose((z.numpy() * x).sum(), (g * y).sum(), rtol=1e-10)
    np.testing.assert_allclose((dw.numpy() * w).sum(), (g * y).sum(), rtol=1e-10)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_convolution_gradcheck_and_gradgradcheck(case, rng, columns):
    xs, ws, stride, padding, dilation, groups = case
    x, w, b = _leaf(rng, *xs), _leaf(rng, *ws), _leaf(rng, ws[0])

    def fn(x, w, b):
        return C.convolution(x, w, b, stride, padding, dilation, groups)

    assert gradcheck(fn, (x, w, b), check_forward_ad=True)
    assert gradgradcheck(fn, (x, w, b))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_conv_transpose_gradcheck_and_gradgradcheck(case, rng, columns):
    xs, ws, stride, padding, dilation, groups = case
    oh, ow = _conv_ref(np.zeros(xs), np.zeros(ws), stride, padding, dilation, groups).shape[2:]
    g, w = _leaf(rng, xs[0], ws[0], oh, ow), _leaf(rng, *ws)

    def fn(g, w):
        return C.conv_transpose(g, w, stride, padding, dilation, groups, xs[2:])

    assert gradcheck(fn, (g, w), check_forward_ad=True)
    assert gradgradcheck(fn, (g, w))


def test_conv_weight_gradcheck_and_gradgradcheck(rng, columns):
    xs, ws, stride, padding, dilation, groups = CASES[2]
    x, g = _leaf(rng, *xs), _leaf(rng, 1, 6, 5, 3)

    def fn(x, g):
        return C.ConvWeight.apply(x, g, ws[2:], stride, padding, dilation, groups)

    assert fn(x, g).shape == ws
    assert gradcheck(fn, (x, g), check_forward_ad=True)
    assert gradgradcheck(fn, (x, g))


def test_stride_one_transpose_takes_the_flipped_kernel_path_and_agrees(rng):
    """conv^T at stride 1 with fewer output than input channels is a full convolution."""
    x, w = rng.standard_normal((2, 4, 5, 5)), rng.standard_normal((2, 4, 3, 3))
    g = rng.standard_normal((2, 2, 5, 5))
    fast = C._conv_transpose(g, w, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, (5, 5))
    y = _conv_ref(x, w, (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    np.testing.assert_allclose((fast * x).sum(), (g * y).sum(), rtol=1e-10)


def test_primitives_keep_float32(rng, columns):
    x, w, b = (_leaf(rng, 1, 2, 4, 4, dtype=np.float32), _leaf(rng, 3, 2, 3, 3, dtype=np.float32),
               _leaf(rng, 3, dtype=np.float32))
    out = C.convolution(x, w, b, (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    (gx, gw, gb) = chainrule.autograd.grad(out.sum(), (x, w, b), create_graph=True)
    (ggx,) = chainrule.autograd.grad(gw.sum(), (x,))
    assert {t.data.dtype for t in (out, gx, gw, gb, ggx)} == {np.dtype(np.float32)}


def test_grad_fn_is_named_like_pytorch(rng):
    out = C.convolution(_leaf(rng, 1, 1, 3, 3), _leaf(rng, 1, 1, 2, 2), None, (1, 1),
                        ((0, 0), (0, 0)), (1, 1), 1)
    assert out.grad_fn.name() == "ConvolutionBackward0"


@pytest.mark.parametrize("chunk", ["one_row", "two_images"])
@pytest.mark.parametrize("case", CASES[:4], ids=IDS[:4])
def test_small_chunks_give_the_same_results(case, chunk, rng, monkeypatch, columns):
    """Columns are built a chunk of images, or of one image's output rows, at a time; chunks
    of one row, and of two images out of three, must agree with the loop for the forward,
    the bias and both adjoints."""
    xs, ws, stride, padding, dilation, groups = case
    xs = (3, *xs[1:])
    oh, ow = _conv_ref(np.zeros(xs), np.zeros(ws), stride, padding, dilation, groups).shape[2:]
    image_bytes = oh * ow * ws[2] * ws[3] * xs[1] * 8
    monkeypatch.setattr(C, "_CHUNK_BYTES", 1 if chunk == "one_row" else 2 * image_bytes)
    assert C._chunk_plan(3, oh, image_bytes // oh) == ((1, 1) if chunk == "one_row" else (2, oh))
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    out = C.convolution(chainrule.tensor(x), chainrule.tensor(w), chainrule.tensor(b), stride,
                        padding, dilation, groups)
    y = _conv_ref(x, w, stride, padding, dilation, groups)
    np.testing.assert_allclose(out.numpy(), y + b.reshape(-1, 1, 1), rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(y.shape)
    z = C.conv_transpose(chainrule.tensor(g), chainrule.tensor(w), stride, padding, dilation,
                         groups, xs[2:])
    dw = C.ConvWeight.apply(chainrule.tensor(x), chainrule.tensor(g), ws[2:], stride, padding,
                            dilation, groups)
    np.testing.assert_allclose((z.numpy() * x).sum(), (g * y).sum(), rtol=1e-10)
    np.testing.assert_allclose((dw.numpy() * w).sum(), (g * y).sum(), rtol=1e-10)


@pytest.mark.parametrize("padding", [((0, 0), (0, 0)), ((1, 1), (1, 1))])
def test_non_contiguous_input_gives_the_same_results(padding, rng, columns):
    """Windows are read through the input's own strides when nothing is padded."""
    x = rng.standard_normal((3, 2, 6, 5)).transpose(0, 1, 3, 2)[:, :, ::-1]  # (3, 2, 5, 6)
    w = rng.standard_normal((4, 2, 3, 2))
    out = C.convolution(chainrule.tensor(x), chainrule.tensor(w), None, (1, 1), padding,
                        (1, 1), 1)
    y = _conv_ref(np.ascontiguousarray(x), w, (1, 1), padding, (1, 1), 1)
    np.testing.assert_allclose(out.numpy(), y, rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(y.shape)
    dw = C.ConvWeight.apply(chainrule.tensor(x), chainrule.tensor(g), (3, 2), (1, 1), padding,
                            (1, 1), 1)
    np.testing.assert_allclose((dw.numpy() * w).sum(), (g * y).sum(), rtol=1e-10)


def test_empty_batch_gives_empty_output_and_zero_weight_gradient(rng, columns):
    x, w = _leaf(rng, 0, 2, 4, 4), _leaf(rng, 3, 2, 3, 3)
    out = C.convolution(x, w, None, (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    assert out.shape == (0, 3, 4, 4)
    out.sum().backward()
    assert x.grad.shape == (0, 2, 4, 4)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((3, 2, 3, 3)))


def test_backward_twice_with_retained_graph_gives_the_same_gradient(rng):
    x, w = _leaf(rng, 1, 2, 4, 4), _leaf(rng, 3, 2, 3, 3)
    out = C.convolution(x, w, None, (1, 1), ((0, 0), (0, 0)), (1, 1), 1)
    out.sum().backward(retain_graph=True)
    first = w.grad.numpy().copy()
    out.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * first)


def test_modifying_the_input_in_place_is_caught_before_backward(rng):
    x, w = _leaf(rng, 1, 2, 4, 4), _leaf(rng, 3, 2, 3, 3)
    y = x * 1
    out = C.convolution(y, w, None, (1, 1), ((0, 0), (0, 0)), (1, 1), 1)
    with chainrule.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


# -- TakeFlat / PutFlat -------------------------------------------------------------------------


@pytest.mark.parametrize("unique", [True, False])
def test_take_flat_and_put_flat_gradients(unique, rng):
    x = _leaf(rng, 2, 2, 3, 3)
    index = (rng.permutation(9)[:4] if unique else rng.integers(0, 9, 4))
    index = np.broadcast_to(index, (2, 2, 4)).astype(np.int64).reshape(2, 2, 2, 2).copy()

    def fn(x):
        return C.take_flat(x, index, unique)

    expected = np.take_along_axis(x.data.reshape(2, 2, 9), index.reshape(2, 2, 4), 2)
    np.testing.assert_allclose(fn(x).data.reshape(2, 2, 4), expected)
    assert gradcheck(fn, (x,), check_forward_ad=True)
    assert gradgradcheck(fn, (x,))


def test_put_flat_adds_up_repeated_positions(rng):
    g = chainrule.tensor(np.arange(1.0, 5.0).reshape(1, 1, 4))
    index = np.array([[[0, 2, 0, 2]]])
    out = C.PutFlat.apply(g, index, (1, 1, 2, 2), False)
    np.testing.assert_array_equal(out.numpy(), [[[[4.0, 0.0], [6.0, 0.0]]]])
    assert out.dtype == chainrule.float64


def test_outputs_are_contiguous_so_view_works(rng, columns):
    x, w = _leaf(rng, 2, 3, 5, 5), _leaf(rng, 4, 3, 3, 3)
    out = C.convolution(x, w, None, (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    assert out.data.flags.c_contiguous
    assert out.view(2, -1).shape == (2, 100)
    (gx, gw) = chainrule.autograd.grad(out.sum(), (x, w))
    assert gx.data.flags.c_contiguous and gw.data.flags.c_contiguous


def test_nothing_returned_aliases_a_reused_scratch_buffer(rng, monkeypatch, columns):
    """With every array pooled, results of two calls must stay intact and correct."""
    monkeypatch.setattr(B, "_POOL_MIN_BYTES", 0)
    for xs, ws, stride, padding, dilation, groups in CASES[:3]:
        x, w = rng.standard_normal(xs), rng.standard_normal(ws)
        first = C.convolution(chainrule.tensor(x), chainrule.tensor(w), None, stride, padding,
                              dilation, groups)
        second = C.convolution(chainrule.tensor(2 * x), chainrule.tensor(w), None, stride,
                               padding, dilation, groups)
        expected = _conv_ref(x, w, stride, padding, dilation, groups)
        np.testing.assert_allclose(first.numpy(), expected, atol=1e-12)
        np.testing.assert_allclose(second.numpy(), 2 * expected, atol=1e-12)
        conf = (stride, padding, dilation, groups)
        assert gradgradcheck(lambda x, w, conf=conf: C.convolution(x, w, None, *conf),
                             (_leaf(rng, *xs), _leaf(rng, *ws)))
