"""clip_grad_norm_ and clip_grad_value_: total norms vs NumPy (2, 1, 3, inf), in-place
scaling, no-op below the threshold, non-finite norms, dtypes, and agreement with torch."""

import numpy as np
import pytest

import chainrule
from chainrule.nn.utils import clip_grad_norm_, clip_grad_value_


def _params(rng, shapes=((3, 2), (4,)), dtype=np.float64):
    params = []
    for s in shapes:
        p = chainrule.tensor(np.zeros(s, dtype), requires_grad=True)
        p.grad = chainrule.tensor(rng.standard_normal(s).astype(dtype))
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_clip_grad_norm_scales_to_max_norm_and_returns_the_total(rng, norm_type):
    params = _params(rng)
    before = np.concatenate([p.grad.data.ravel() for p in params])
    expected = np.linalg.norm(before, ord=norm_type)
    total = clip_grad_norm_(params, max_norm=0.5, norm_type=norm_type)
    np.testing.assert_allclose(total.item(), expected, rtol=1e-12)
    after = np.concatenate([p.grad.data.ravel() for p in params])
    np.testing.assert_allclose(after, before * 0.5 / (expected + 1e-6), rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(after, ord=norm_type), 0.5, rtol=1e-5)


def test_clip_grad_norm_leaves_small_gradients_and_skips_missing_ones(rng):
    params = _params(rng)
    params.append(chainrule.zeros(2, requires_grad=True))  # no grad
    before = [p.grad.data.copy() for p in params[:2]]
    clip_grad_norm_(params, max_norm=100.0)
    for p, b in zip(params, before, strict=False):
        np.testing.assert_array_equal(p.grad.data, b)
    assert params[2].grad is None


def test_clip_grad_norm_accepts_a_single_tensor_and_no_grads():
    p = chainrule.zeros(2, requires_grad=True)
    assert clip_grad_norm_(p, 1.0).item() == 0.0
    p.grad = chainrule.tensor([6.0, 8.0])
    total = clip_grad_norm_(p, 1.0)
    assert total.dtype == chainrule.float32 and total.item() == 10.0
    assert p.grad.dtype == chainrule.float32
    np.testing.assert_allclose(p.grad.data, [0.6, 0.8], rtol=1e-5)


def test_clip_grad_norm_nonfinite(rng):
    params = _params(rng)
    params[0].grad.data[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="the total norm of order 2.0 for gradients from "
                                           "`parameters` is non-finite"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert params[0].grad.data[0, 0] == np.inf  # raised before any change
    with np.errstate(invalid="ignore"):
        total = clip_grad_norm_(params, 1.0)
    assert total.item() == np.inf


def test_clip_grad_value_clamps_each_entry(rng):
    params = _params(rng)
    before = [p.grad.data.copy() for p in params]
    assert clip_grad_value_(params, 0.3) is None
    for p, b in zip(params, before, strict=True):
        np.testing.assert_array_equal(p.grad.data, np.clip(b, -0.3, 0.3))


@pytest.mark.parametrize("norm_type", [2.0, float("inf"), 1.5])
def test_matches_torch(rng, norm_type):
    torch = pytest.importorskip("torch")
    grads = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (5,), (2, 2, 2)]]
    ours = [chainrule.zeros(*g.shape, requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, requires_grad=True) for g in grads]
    for p, tp, g in zip(ours, theirs, grads, strict=True):
        p.grad, tp.grad = chainrule.tensor(g.copy()), torch.tensor(g.copy())
    total = clip_grad_norm_(ours, 1.0, norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type)
    np.testing.assert_allclose(total.item(), t_total.item(), rtol=1e-6)
    for p, tp in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-6)
    clip_grad_value_(ours, 0.05)
    torch.nn.utils.clip_grad_value_(theirs, 0.05)
    for p, tp in zip(ours, theirs, strict=True):  # equal up to the rounding of the rescale
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-6)
