"""F's activations: forward against NumPy, gradcheck and gradgradcheck in float64, values and
gradients against torch, float32 kept; in-place forms, subgradients, softmax's dim and dtype."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

import chainrule
import chainrule.nn.functional as F
from chainrule import ShapeError
from chainrule.autograd import gradcheck, gradgradcheck

_erf = np.vectorize(math.erf)


def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@dataclass
class Act:
    name: str
    fn: Callable
    ref: Callable
    torch_name: str
    kwargs: dict = field(default_factory=dict)
    low: float = -3.0
    high: float = 3.0
    torch_rtol: float = 1e-10  # in float64

    def __str__(self) -> str:
        return f"{self.name}{self.kwargs or ''}"


ACTS = [
    Act("relu", F.relu, lambda x: np.maximum(x, 0), "relu"),
    Act("leaky_relu", F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x), "leaky_relu"),
    Act("leaky_relu", lambda x, negative_slope: F.leaky_relu(x, negative_slope),
        lambda x, negative_slope: np.where(x > 0, x, negative_slope * x), "leaky_relu",
        {"negative_slope": 0.2}),
    Act("elu", F.elu, lambda x, alpha=1.0: np.where(x > 0, x, alpha * np.expm1(x)), "elu"),
    Act("elu", F.elu, lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(x)), "elu",
        {"alpha": 0.5}),
    Act("gelu", F.gelu, lambda x: x * 0.5 * (1 + _erf(x / np.sqrt(2))), "gelu"),
    Act("gelu", F.gelu,
        lambda x, approximate: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
        "gelu", {"approximate": "tanh"}),
    Act("silu", F.silu, lambda x: x / (1 + np.exp(-x)), "silu"),
    Act("tanh", F.tanh, np.tanh, "tanh"),
    Act("sigmoid", F.sigmoid, lambda x: 1 / (1 + np.exp(-x)), "sigmoid"),
    Act("softplus", F.softplus, lambda x: np.log1p(np.exp(x)), "softplus"),
    Act("softplus", F.softplus,
        lambda x, beta, threshold: np.where(beta * x > threshold, x,
                                            np.log1p(np.exp(beta * x)) / beta),
        "softplus", {"beta": 2.0, "threshold": 3.0}),
    Act("hardtanh", F.hardtanh, lambda x: np.clip(x, -1, 1), "hardtanh"),
    Act("hardtanh", F.hardtanh, lambda x, min_val, max_val: np.clip(x, min_val, max_val),
        "hardtanh", {"min_val": -0.5, "max_val": 1.5}),
    Act("relu6", F.relu6, lambda x: np.clip(x, 0, 6), "relu6", low=-3.0, high=9.0),
    Act("logsigmoid", F.logsigmoid, lambda x: -np.logaddexp(0, -x), "logsigmoid", low=-30,
        high=30),
    Act("softmax", F.softmax, lambda x, dim: _np_softmax(x, dim), "softmax", {"dim": 1}),
    Act("softmax", F.softmax, lambda x, dim: _np_softmax(x, dim), "softmax", {"dim": 0}),
    Act("log_softmax", F.log_softmax, lambda x, dim: np.log(_np_softmax(x, dim)),
        "log_softmax", {"dim": -1}),
    Act("softmin", F.softmin, lambda x, dim: _np_softmax(-x, dim), "softmin", {"dim": 1}),
    Act("selu", F.selu, lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772
                                                                * np.expm1(x)), "selu"),
    Act("celu", F.celu, lambda x: np.where(x > 0, x, np.expm1(x)), "celu"),
    Act("celu", F.celu, lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(x / alpha)),
        "celu", {"alpha": 2.0}),
    Act("mish", F.mish, lambda x: x * np.tanh(np.log1p(np.exp(x))), "mish"),
    # torch's float64 hardsigmoid rounds 1/6 to float32 (relative error 3e-8)
    Act("hardsigmoid", F.hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1), "hardsigmoid",
        low=-5.0, high=5.0, torch_rtol=1e-7),
    Act("hardswish", F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6, "hardswish",
        low=-5.0, high=5.0),
    Act("softsign", F.softsign, lambda x: x / (1 + np.abs(x)), "softsign"),
    Act("threshold", F.threshold, lambda x, threshold, value: np.where(x > threshold, x, value),
        "threshold", {"threshold": 0.5, "value": -2.0}),
    Act("glu", F.glu, lambda x, dim: x[..., :2] / (1 + np.exp(-x[..., 2:])), "glu", {"dim": -1}),
]


def _x(act, rng, dtype, shape=(3, 4)):
    return rng.uniform(act.low, act.high, shape).astype(dtype)


@pytest.mark.parametrize("act", ACTS, ids=str)
def test_forward_matches_numpy(act, rng):
    x = _x(act, rng, np.float64)
    got = act.fn(chainrule.tensor(x), **act.kwargs)
    np.testing.assert_allclose(got.data, act.ref(x, **act.kwargs), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("act", ACTS, ids=str)
def test_gradcheck_and_gradgradcheck(act, rng):
    x = chainrule.tensor(_x(act, rng, np.float64), requires_grad=True)
    assert gradcheck(lambda t: act.fn(t, **act.kwargs), (x,))
    assert gradgradcheck(lambda t: act.fn(t, **act.kwargs), (x,))


@pytest.mark.parametrize("act", ACTS, ids=str)
def test_float32_stays_float32(act, rng):
    x = chainrule.tensor(_x(act, rng, np.float32), requires_grad=True)
    out = act.fn(x, **act.kwargs)
    out.sum().backward()
    assert out.dtype == chainrule.float32 and x.grad.dtype == chainrule.float32


@pytest.mark.parametrize("act", ACTS, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_torch(act, dtype, rng):
    torch = pytest.importorskip("torch")
    data = _x(act, rng, dtype, (2, 3, 4))
    x = chainrule.tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    out = act.fn(x, **act.kwargs)
    expected = getattr(torch.nn.functional, act.torch_name)(tx, **act.kwargs)
    seed = rng.standard_normal(out.shape).astype(dtype)
    out.backward(chainrule.tensor(seed))
    expected.backward(torch.tensor(seed))
    tol = ({"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32
           else {"rtol": act.torch_rtol, "atol": 1e-12})
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), **tol)


@pytest.mark.parametrize("act", ACTS, ids=str)
def test_forward_mode_jvp_equals_the_vjp_transposed(act, rng):
    from chainrule.autograd import forward_ad as fwAD

    x = chainrule.tensor(_x(act, rng, np.float64), requires_grad=True)
    out = act.fn(x, **act.kwargs)
    v, u = rng.standard_normal(x.shape), rng.standard_normal(out.shape)
    out.backward(chainrule.tensor(u))  # x.grad = Jᵀ u
    with fwAD.dual_level():
        out = act.fn(fwAD.make_dual(x.detach(), chainrule.tensor(v)), **act.kwargs)
        jv = fwAD.unpack_dual(out).tangent  # J v
    np.testing.assert_allclose((jv.data * u).sum(), (x.grad.data * v).sum(), rtol=1e-10)


# -- subgradients and extremes, as PyTorch ---------------------------------------------------
def _grad(fn, values):
    x = chainrule.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)
    fn(x).sum().backward()
    return x.grad.data


def test_hardtanh_and_relu6_pass_no_gradient_at_their_ends():
    np.testing.assert_array_equal(_grad(F.hardtanh, [-1.0, 0.0, 1.0]), [0, 1, 0])
    np.testing.assert_array_equal(_grad(F.relu6, [0.0, 3.0, 6.0]), [0, 1, 0])


def test_subgradients_at_kinks_match_torch():
    torch = pytest.importorskip("torch")
    points = [-3.0, -1.0, 0.0, 1.0, 3.0, 6.0]
    for name in ["relu", "leaky_relu", "elu", "hardtanh", "relu6", "logsigmoid", "selu", "celu",
                 "hardsigmoid", "hardswish", "softsign"]:
        tx = torch.tensor(points, dtype=torch.float64, requires_grad=True)
        getattr(torch.nn.functional, name)(tx).sum().backward()
        np.testing.assert_allclose(_grad(getattr(F, name), points), tx.grad.numpy(),
                                   err_msg=name)


def test_logsigmoid_is_finite_for_huge_inputs():
    x = chainrule.tensor(np.array([-1e4, -50.0, 50.0, 1e4], np.float32), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.logsigmoid(x)
        out.sum().backward()
    np.testing.assert_allclose(out.data, [-1e4, -50.0, -np.exp(-50.0), 0.0], rtol=1e-6)
    np.testing.assert_allclose(x.grad.data, [1.0, 1.0, np.exp(-50.0), 0.0], rtol=1e-6)


# -- in-place forms ---------------------------------------------------------------------------
INPLACE = [
    ("relu", {}, lambda x: np.maximum(x, 0)),
    ("leaky_relu", {"negative_slope": 0.1}, lambda x: np.where(x > 0, x, 0.1 * x)),
    ("elu", {}, lambda x: np.where(x > 0, x, np.expm1(x))),
    ("silu", {}, lambda x: x / (1 + np.exp(-x))),
    ("hardtanh", {}, lambda x: np.clip(x, -1, 1)),
    ("relu6", {}, lambda x: np.clip(x, 0, 6)),
    ("selu", {}, lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772
                                                         * np.expm1(x))),
    ("celu", {"alpha": 2.0}, lambda x: np.where(x > 0, x, 2 * np.expm1(x / 2))),
    ("mish", {}, lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    ("hardsigmoid", {}, lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    ("hardswish", {}, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("threshold", {"threshold": 0.5, "value": -2.0}, lambda x: np.where(x > 0.5, x, -2.0)),
]


@pytest.mark.parametrize(("name", "kwargs", "ref"), INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_overwrites_and_returns_the_input(name, kwargs, ref, rng):
    data = rng.uniform(-3, 3, (3, 4))
    x = chainrule.tensor(data.copy())
    out = getattr(F, name)(x, **kwargs, inplace=True)
    assert out is x and x._version == 1
    np.testing.assert_allclose(x.data, ref(data))


@pytest.mark.parametrize(("name", "kwargs", "ref"), INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_on_a_non_leaf_keeps_gradients_right(name, kwargs, ref, rng):
    data = rng.uniform(-3, 3, (3, 4))
    leaf = chainrule.tensor(data, requires_grad=True)
    y = getattr(F, name)(leaf * 1.0, **kwargs, inplace=True)
    y.sum().backward()
    reference = chainrule.tensor(data, requires_grad=True)
    getattr(F, name)(reference, **kwargs).sum().backward()
    np.testing.assert_allclose(leaf.grad.data, reference.grad.data)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "silu", "hardtanh"])
def test_inplace_on_a_leaf_that_requires_grad_raises(name):
    x = chainrule.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(F, name)(x, inplace=True)


# -- softmax: implicit dim, dtype --------------------------------------------------------------
@pytest.mark.parametrize(("shape", "dim"), [((4,), 0), ((2, 3), 1), ((2, 3, 4), 0),
                                            ((2, 3, 4, 5), 1)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmax_without_dim_warns_and_picks_pytorchs_dim(name, shape, dim, rng):
    x = chainrule.tensor(rng.standard_normal(shape))
    with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name}"):
        got = getattr(F, name)(x)
    np.testing.assert_allclose(got.data, getattr(F, name)(x, dim=dim).data)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmax_dtype_casts_first(name, rng):
    x = chainrule.tensor(rng.standard_normal((2, 3)).astype(np.float32))
    out = getattr(F, name)(x, dim=1, dtype=chainrule.float64)
    assert out.dtype == chainrule.float64
    np.testing.assert_allclose(out.data, getattr(F, name)(x.double(), dim=1).data)


# -- prelu: a learnt slope ---------------------------------------------------------------------
@pytest.mark.parametrize(("shape", "n_weights"), [((2, 3, 4), 1), ((2, 3, 4), 3), ((5,), 1),
                                                  ((2, 3), 3)])
def test_prelu_matches_numpy_torch_and_gradchecks(shape, n_weights, rng):
    data, w = rng.uniform(-3, 3, shape), rng.uniform(0.1, 0.5, n_weights)
    x = chainrule.tensor(data, requires_grad=True)
    weight = chainrule.tensor(w, requires_grad=True)
    slope = w.reshape((-1,) + (1,) * (len(shape) - 2)) if n_weights > 1 else w
    out = F.prelu(x, weight)
    np.testing.assert_allclose(out.data, np.where(data > 0, data, slope * data))
    assert gradcheck(F.prelu, (x, weight)) and gradgradcheck(F.prelu, (x, weight))
    torch = pytest.importorskip("torch")
    tx, tw = torch.tensor(data, requires_grad=True), torch.tensor(w, requires_grad=True)
    expected = torch.nn.functional.prelu(tx, tw)
    seed = rng.standard_normal(shape)
    out.backward(chainrule.tensor(seed))
    expected.backward(torch.tensor(seed))
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weight.grad.data, tw.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_prelu_rejects_a_weight_that_does_not_match_the_channels():
    with pytest.raises(ShapeError, match=r"prelu: weight must have 1 or 3 .* shape \(2,\)"):
        F.prelu(chainrule.zeros(2, 3), chainrule.ones(2))


def test_bad_arguments_raise_clear_errors():
    x = chainrule.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        F.gelu(x, approximate="fast")
    with pytest.raises(ValueError, match=r"hardtanh: min_val \(2.0\) cannot be greater"):
        F.hardtanh(x, 2.0, 1.0)
    with pytest.raises(TypeError, match="softmax: dim must be an int"):
        F.softmax(x, dim=1.5)
    with pytest.raises(ValueError, match="celu: alpha cannot be 0"):
        F.celu(x, alpha=0.0)
    with pytest.raises(ShapeError, match=r"glu: the halved dimension must be even.*size 3"):
        F.glu(chainrule.zeros(2, 3))
