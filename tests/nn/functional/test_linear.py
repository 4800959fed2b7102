"""F.linear and F.bilinear: forward vs NumPy, gradients (first and second order), dtypes,
errors, and agreement with torch."""

import numpy as np
import pytest

import chainrule
import chainrule.nn.functional as F
from chainrule import DTypeError, ShapeError
from chainrule.autograd import gradcheck, gradgradcheck


def _t(array, requires_grad=True):
    return chainrule.tensor(array, requires_grad=requires_grad)


@pytest.mark.parametrize("shape", [(3,), (4, 3), (2, 4, 3), (0, 3)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_matches_numpy(rng, shape, with_bias):
    x, w, b = rng.standard_normal(shape), rng.standard_normal((5, 3)), rng.standard_normal(5)
    out = F.linear(_t(x), _t(w), _t(b) if with_bias else None)
    expected = np.einsum("...i,oi->...o", x, w) + (b if with_bias else 0)
    assert out.shape == (*shape[:-1], 5)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 2, 3)])
def test_linear_gradcheck_and_gradgradcheck(rng, shape):
    args = (_t(rng.standard_normal(shape)), _t(rng.standard_normal((2, 3))),
            _t(rng.standard_normal(2)))
    assert gradcheck(F.linear, args)
    assert gradgradcheck(F.linear, args)


def test_linear_accepts_non_contiguous_input_and_weight(rng):
    x, w = rng.standard_normal((4, 6))[:, ::2], rng.standard_normal((3, 5)).T
    out = F.linear(_t(x), _t(w))
    np.testing.assert_allclose(out.data, x @ w.T, rtol=1e-12)
    assert gradcheck(F.linear, (_t(x), _t(w)))


def test_linear_stays_float32(rng):
    x = _t(rng.standard_normal((4, 3)).astype(np.float32))
    w = _t(rng.standard_normal((2, 3)).astype(np.float32))
    b = _t(rng.standard_normal(2).astype(np.float32))
    out = F.linear(x, w, b)
    out.sum().backward()
    assert out.dtype == chainrule.float32
    assert {x.grad.dtype, w.grad.dtype, b.grad.dtype} == {chainrule.float32}


def test_linear_rejects_wrong_in_features():
    with pytest.raises(ShapeError, match=r"linear: input has 4 features \(shape \(2, 4\)\) but "
                                         r"weight expects 3"):
        F.linear(chainrule.ones(2, 4), chainrule.ones(5, 3))


def test_linear_rejects_bad_weight_bias_and_dtype():
    with pytest.raises(ShapeError, match="linear: weight must be 2-D"):
        F.linear(chainrule.ones(2, 3), chainrule.ones(3))
    with pytest.raises(ShapeError, match=r"linear: bias has shape \(4,\).*expected bias of "
                                         r"shape \(5,\)"):
        F.linear(chainrule.ones(2, 3), chainrule.ones(5, 3), chainrule.ones(4))
    with pytest.raises(DTypeError, match="linear: input is chainrule.float64 but weight is "
                                         "chainrule.float32"):
        F.linear(chainrule.ones(2, 3, dtype=chainrule.float64), chainrule.ones(5, 3))
    with pytest.raises(TypeError, match="linear: input must be a Tensor"):
        F.linear(np.ones((2, 3)), chainrule.ones(5, 3))


def test_bilinear_matches_numpy(rng):
    x1, x2 = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 4, 2))
    w, b = rng.standard_normal((5, 3, 2)), rng.standard_normal(5)
    out = F.bilinear(_t(x1), _t(x2), _t(w), _t(b))
    expected = np.zeros((2, 4, 5))
    for k in range(5):
        expected[..., k] = ((x1 @ w[k]) * x2).sum(-1) + b[k]
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


def test_bilinear_gradcheck_and_gradgradcheck(rng):
    args = (_t(rng.standard_normal((2, 3))), _t(rng.standard_normal((2, 2))),
            _t(rng.standard_normal((2, 3, 2))), _t(rng.standard_normal(2)))
    assert gradcheck(F.bilinear, args)
    assert gradgradcheck(F.bilinear, args)


def test_bilinear_rejects_mismatched_inputs():
    with pytest.raises(ShapeError, match=r"bilinear: inputs of shapes \(2, 3\) and \(3, 2\) do "
                                         r"not fit weight of shape \(4, 3, 2\)"):
        F.bilinear(chainrule.ones(2, 3), chainrule.ones(3, 2), chainrule.ones(4, 3, 2))
    with pytest.raises(ShapeError, match="bilinear: weight must be 3-D"):
        F.bilinear(chainrule.ones(2, 3), chainrule.ones(2, 2), chainrule.ones(3, 2))


def _torch_grads(torch, fn, arrays):
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    out.backward(torch.ones_like(out))
    return out.detach().numpy(), [t.grad.numpy() for t in tensors]


def _ours_grads(fn, arrays):
    tensors = [_t(a) for a in arrays]
    out = fn(*tensors)
    out.backward(chainrule.ones_like(out))
    return out.data, [t.grad.data for t in tensors]


@pytest.mark.parametrize("name", ["linear", "bilinear"])
def test_matches_torch(rng, name):
    torch = pytest.importorskip("torch")
    arrays = {"linear": [(2, 4, 3), (5, 3), (5,)],
              "bilinear": [(4, 3), (4, 2), (5, 3, 2), (5,)]}[name]
    arrays = [rng.standard_normal(s).astype(np.float32) for s in arrays]
    out, grads = _ours_grads(getattr(F, name), arrays)
    t_out, t_grads = _torch_grads(torch, getattr(torch.nn.functional, name), arrays)
    np.testing.assert_allclose(out, t_out, rtol=1e-5, atol=1e-5)
    for g, tg in zip(grads, t_grads, strict=True):
        np.testing.assert_allclose(g, tg, rtol=1e-5, atol=1e-5)


def test_linear_2d_output_is_column_major_and_reshapes_like_torch(rng):
    # the documented layout difference: the values and reshape/flatten are PyTorch's; only a
    # .view that needs a copy of the column-major output raises
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((5, 3)), rng.standard_normal(5)
    out = F.linear(_t(x), _t(w), _t(b))
    expected = x @ w.T + b
    np.testing.assert_allclose(out.reshape(-1).data, expected.reshape(-1), rtol=1e-12)
    np.testing.assert_allclose(out.flatten().data, expected.reshape(-1), rtol=1e-12)
    np.testing.assert_allclose(out.contiguous().view(-1).data, expected.reshape(-1), rtol=1e-12)
    assert out.view(4, 5, 1).shape == (4, 5, 1)  # splitting a dim needs no copy
    with pytest.raises(ShapeError, match=r"view: shape \(20,\)"):
        out.view(-1)


def test_mlp_float32_gradients_match_torch(rng):
    # two layers through the NumPy backward (no create_graph), column-major activations between
    torch = pytest.importorskip("torch")
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(8, 6), (5, 6), (5,), (3, 5)]]
    ours = [_t(a) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    F.linear(F.relu(F.linear(*ours[:3])), ours[3]).square().sum().backward()
    tf = torch.nn.functional
    tf.linear(tf.relu(tf.linear(*theirs[:3])), theirs[3]).square().sum().backward()
    for a, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad.data, t.grad.numpy(), rtol=1e-5, atol=1e-5)
