"""nn.init: gains and fans as PyTorch, in-place fills without history, and the distributions'
bounds and spreads, with tolerances that a wrong fan, gain or bound would fail."""

import math
import warnings

import numpy as np
import pytest

import chainrule
from chainrule import nn
from chainrule.nn import init
from chainrule.nn.init import _calculate_fan_in_and_fan_out


def _empty(*shape, dtype=None):
    return nn.Parameter(chainrule.empty(*shape, dtype=dtype))


@pytest.mark.parametrize("name,param,expected", [
    ("linear", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0),
    ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)), ("selu", None, 0.75),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))), ("leaky_relu", 0.2,
                                                          math.sqrt(2 / 1.04)),
    ("leaky_relu", 0, math.sqrt(2)),
])
def test_calculate_gain(name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(expected, rel=1e-12)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape,fans", [((3, 4), (4, 3)), ((8, 4, 3, 3), (36, 72)),
                                        ((5, 2, 7), (14, 35))])
def test_fans_follow_pytorch(shape, fans):
    assert _calculate_fan_in_and_fan_out(chainrule.empty(*shape)) == fans


def test_fans_need_two_dims():
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor "
                                         "with fewer than 2 dimensions"):
        init.xavier_uniform_(chainrule.empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(chainrule.empty(2, 2), mode="fan_avg")


def test_fills_are_in_place_without_history_and_bump_the_version():
    p = _empty(3, 4)
    version = p._version
    out = init.kaiming_uniform_(p)
    assert out is p and p.grad_fn is None and p.requires_grad and p._version > version
    assert init.zeros_(p) is p and not p.data.any()
    np.testing.assert_array_equal(init.ones_(p).data, 1)
    np.testing.assert_array_equal(init.constant_(p, 0.25).data, 0.25)
    np.testing.assert_array_equal(init.eye_(p).data, np.eye(3, 4))


def _check_uniform(w, bound):
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.99 * bound  # reaches the bound, not a narrower one
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.02)


def test_uniform_and_normal():
    chainrule.manual_seed(0)
    w = init.uniform_(_empty(200, 100), -0.3, 0.5).data
    assert w.min() >= -0.3 and w.max() < 0.5
    np.testing.assert_allclose(w.mean(), 0.1, atol=0.005)
    w = init.normal_(_empty(200, 100), mean=1.0, std=0.2).data
    np.testing.assert_allclose([w.mean(), w.std()], [1.0, 0.2], rtol=0.02)


def test_xavier():
    chainrule.manual_seed(1)
    w = init.xavier_uniform_(_empty(100, 300), gain=2.0).data  # fan_in 300, fan_out 100
    _check_uniform(w, 2.0 * math.sqrt(6 / 400))
    w = init.xavier_normal_(_empty(50, 40, 3), gain=0.5).data  # fans 120 and 150
    np.testing.assert_allclose(w.std(), 0.5 * math.sqrt(2 / 270), rtol=0.02)
    assert abs(w.mean()) < 0.05 * w.std()  # about 4 standard errors of the mean


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_uniform_bound(mode):
    chainrule.manual_seed(2)
    w = init.kaiming_uniform_(_empty(64, 16, 3, 3), a=0.1, mode=mode).data
    fan = 16 * 9 if mode == "fan_in" else 64 * 9  # differ fourfold: a wrong fan fails
    _check_uniform(w, math.sqrt(2 / (1 + 0.01)) * math.sqrt(3 / fan))


def test_kaiming_normal_std():
    chainrule.manual_seed(3)
    w = init.kaiming_normal_(_empty(300, 100), nonlinearity="relu").data
    np.testing.assert_allclose(w.std(), math.sqrt(2) / math.sqrt(100), rtol=0.02)
    w = init.kaiming_normal_(_empty(300, 100), mode="fan_out", nonlinearity="tanh").data
    np.testing.assert_allclose(w.std(), 5 / 3 / math.sqrt(300), rtol=0.02)


def test_linear_default_init_is_kaiming_uniform_with_a_sqrt5():
    chainrule.manual_seed(4)
    w = init.kaiming_uniform_(_empty(400, 50), a=math.sqrt(5)).data
    _check_uniform(w, 1 / math.sqrt(50))


def test_kaiming_on_zero_elements_warns_and_does_nothing():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(chainrule.empty(0, 3))


@pytest.mark.parametrize("shape", [(3, 7), (7, 3), (4, 2, 3), (5, 5)])
def test_orthogonal(shape):
    chainrule.manual_seed(5)
    w = init.orthogonal_(_empty(*shape), gain=1.5).data.reshape(shape[0], -1).astype(np.float64)
    rows, cols = w.shape
    gram = w @ w.T if rows <= cols else w.T @ w
    np.testing.assert_allclose(gram, 2.25 * np.eye(min(rows, cols)), atol=1e-5)


def test_orthogonal_is_not_biased_towards_a_sign():
    # with the sign fix Q is Haar-distributed: the mean of Q over many draws is 0
    chainrule.manual_seed(6)
    mean = np.mean([init.orthogonal_(chainrule.empty(3, 3)).data for _ in range(400)], axis=0)
    assert np.abs(mean).max() < 0.15  # without the fix the diagonal averages about 0.5


def _truncated_moments(mu, sigma, a, b):
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    al, be = (a - mu) / sigma, (b - mu) / sigma
    z = cdf(be) - cdf(al)
    mean = mu + sigma * (phi(al) - phi(be)) / z
    var = sigma**2 * (1 + (al * phi(al) - be * phi(be)) / z - ((phi(al) - phi(be)) / z) ** 2)
    return mean, math.sqrt(var)


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04),
                                          (1.0, 2.0, 1.0, 7.0), (0.0, 1.0, 2.5, 4.0)])
def test_trunc_normal_bounds_and_moments(mean, std, a, b):
    chainrule.manual_seed(7)
    w = init.trunc_normal_(_empty(200, 100), mean, std, a, b).data.astype(np.float64)
    assert w.min() >= a and w.max() <= b
    m, s = _truncated_moments(mean, std, a, b)
    np.testing.assert_allclose(w.mean(), m, atol=0.02 * s)
    np.testing.assert_allclose(w.std(), s, rtol=0.02)


def test_trunc_normal_rejects_empty_interval():
    with pytest.raises(ValueError, match="trunc_normal_: expects a < b"):
        init.trunc_normal_(chainrule.empty(3), a=1.0, b=1.0)


def test_other_errors():
    with pytest.raises(ValueError, match=r"eye_: only tensors with 2 dimensions are supported"):
        init.eye_(chainrule.empty(2, 2, 2))
    with pytest.raises(ValueError, match="orthogonal_: only tensors with 2 or more dimensions"):
        init.orthogonal_(chainrule.empty(3))


def test_reproducible_with_manual_seed_and_generator():
    chainrule.manual_seed(8)
    a = init.trunc_normal_(chainrule.empty(5)).data.copy()
    chainrule.manual_seed(8)
    np.testing.assert_array_equal(init.trunc_normal_(chainrule.empty(5)).data, a)
    g1, g2 = chainrule.Generator().manual_seed(1), chainrule.Generator().manual_seed(1)
    np.testing.assert_array_equal(init.orthogonal_(chainrule.empty(3, 3), generator=g1).data,
                                  init.orthogonal_(chainrule.empty(3, 3), generator=g2).data)


@pytest.mark.parametrize("fn", [init.xavier_uniform_, init.kaiming_normal_, init.orthogonal_,
                                init.trunc_normal_, init.eye_])
def test_keeps_the_tensor_dtype(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fn(chainrule.empty(3, 4)).dtype == chainrule.float32
        assert fn(chainrule.empty(3, 4, dtype=chainrule.float64)).dtype == chainrule.float64


def test_gains_and_fans_match_torch():
    torch = pytest.importorskip("torch")
    for name, param in [("tanh", None), ("relu", None), ("leaky_relu", 0.3), ("selu", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param))
    for shape in [(3, 4), (6, 2, 5, 5)]:
        assert _calculate_fan_in_and_fan_out(chainrule.empty(*shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
