"""Op table entries for ops/activation.py (see tests/opinfo.py).

Ops with a kink at 0 (relu, leaky_relu, elu with alpha != 1) sample away from it.
"""

import math

import numpy as np

import chainrule
from tests.opinfo import OpInfo, Sample, make, unary_samples
from tests.ops.table_unary import signed_samples


def _torch_f(name, **fixed):
    def call(*args, **kwargs):
        import torch

        return getattr(torch.nn.functional, name)(*args, **fixed, **kwargs)

    return call


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


_erf = np.vectorize(math.erf, otypes=[np.float64])


def _gelu(x):
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def _softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.log1p(np.exp(x * beta)) / beta)


def _softmax(x, dim):
    dim = dim if x.ndim else None
    e = np.exp(x - np.max(x, axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _log_softmax(x, dim):
    dim = dim if x.ndim else None
    shifted = x - np.max(x, axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def _softmax_samples(rng, dtype):
    cases = [
        ((3, 4), 1),
        ((3, 4), 0),
        ((3, 4), -1),
        ((2, 3, 2), 1),
        ((5,), 0),
        ((), 0),
        ((0, 3), 1),
        ((2, 0), 0),
    ]
    out = [Sample((make(rng, shape, dtype, -3.0, 3.0), dim)) for shape, dim in cases]
    out.append(Sample((make(rng, (3, 4), dtype, -3.0, 3.0, noncontiguous=True), 1)))
    return out


def _softplus_samples(rng, dtype):
    return [
        *unary_samples(-3.0, 3.0)(rng, dtype),
        Sample((make(rng, (3, 4), dtype, -3.0, 3.0),), {"beta": 2.0, "threshold": 2.0}),
        Sample((make(rng, (6,), dtype, 15.0, 25.0),)),  # both sides of the default threshold
    ]


OPS = [
    OpInfo("sigmoid", chainrule.sigmoid, _sigmoid, unary_samples(-4.0, 4.0), _torch_f("sigmoid")),
    OpInfo("relu", chainrule.relu, lambda x: np.maximum(x, 0), signed_samples(), _torch_f("relu")),
    OpInfo(
        "leaky_relu",
        chainrule.leaky_relu,
        lambda x: np.where(x > 0, x, 0.01 * x),
        signed_samples(),
        _torch_f("leaky_relu"),
    ),
    OpInfo(
        "leaky_relu_slope",
        lambda x: chainrule.leaky_relu(x, 0.2),
        lambda x: np.where(x > 0, x, 0.2 * x),
        signed_samples(),
        _torch_f("leaky_relu", negative_slope=0.2),
    ),
    OpInfo(
        "elu",
        chainrule.elu,
        lambda x: np.where(x > 0, x, np.expm1(x)),
        signed_samples(),
        _torch_f("elu"),
    ),
    OpInfo(
        "elu_alpha",
        lambda x: chainrule.elu(x, alpha=0.5),
        lambda x: np.where(x > 0, x, 0.5 * np.expm1(x)),
        signed_samples(),
        _torch_f("elu", alpha=0.5),
    ),
    OpInfo("gelu", chainrule.gelu, _gelu, unary_samples(-3.0, 3.0), _torch_f("gelu")),
    OpInfo(
        "gelu_tanh",
        lambda x: chainrule.gelu(x, approximate="tanh"),
        _gelu_tanh,
        unary_samples(-3.0, 3.0),
        _torch_f("gelu", approximate="tanh"),
    ),
    OpInfo(
        "silu",
        chainrule.silu,
        lambda x: x * _sigmoid(x),
        unary_samples(-3.0, 3.0),
        _torch_f("silu"),
    ),
    OpInfo("softplus", chainrule.softplus, _softplus, _softplus_samples, _torch_f("softplus")),
    OpInfo("softmax", chainrule.softmax, _softmax, _softmax_samples, _torch_f("softmax")),
    OpInfo(
        "log_softmax",
        chainrule.log_softmax,
        _log_softmax,
        _softmax_samples,
        _torch_f("log_softmax"),
    ),
]
