"""Op table entries for ops/unary.py (see tests/opinfo.py).

Domains keep samples where the op is smooth: positive inputs for log/sqrt/rsqrt, |x| < 1.2 for
tan, and values at least 0.2 away from 0 for abs, sign and reciprocal (``signed_samples``).
"""

import math

import numpy as np

import chainrule
from tests.opinfo import OpInfo, Sample, make, unary_samples


def _torch(name, **fixed):
    def call(*args, **kwargs):
        import torch

        return getattr(torch, name)(*args, **fixed, **kwargs)

    return call


def signed_samples(low: float = 0.2, high: float = 2.0, **kwargs):
    """unary_samples with magnitudes in [low, high) and random signs: nothing near 0."""
    base = unary_samples(low, high, **kwargs)

    def samples(rng, dtype):
        out = []
        for sample in base(rng, dtype):
            x = sample.args[0]
            flip = rng.random(x.shape) < 0.5
            x[flip] = -x[flip]  # x may be a strided view: flip in place to keep its strides
            out.append(sample)
        return out

    return samples


_erf_ref = np.vectorize(math.erf, otypes=[np.float64])


def _clamp_samples(rng, dtype):
    x = make(rng, (3, 4), dtype)
    return [
        Sample((x,), {"min": -0.5, "max": 0.7}),
        Sample((make(rng, (5,), dtype),), {"min": 0.1}),
        Sample((make(rng, (), dtype),), {"max": 0.0}),
        Sample((make(rng, (3, 4), dtype, noncontiguous=True),), {"min": -1.0, "max": 1.0}),
        Sample((make(rng, (0, 3), dtype),), {"min": -1.0, "max": 1.0}),
        # tensor bounds, broadcasting, some with min > max
        Sample((x, make(rng, (4,), dtype, -1.0, 0.5), make(rng, (3, 1), dtype, -0.5, 1.5))),
        Sample((make(rng, (2, 3), dtype), make(rng, (2, 3), dtype, -1.0, 0.0), None)),
        Sample((make(rng, (2, 3), dtype), None, make(rng, (), dtype, -0.5, 0.5))),
    ]


def _clamp_ref(x, min=None, max=None):
    return np.minimum(
        np.maximum(x, -np.inf if min is None else min), np.inf if max is None else max
    )


def _torch_clamp(x, min=None, max=None):
    import torch

    return torch.clamp(x, min, max)


OPS = [
    OpInfo("exp", chainrule.exp, np.exp, unary_samples(), _torch("exp")),
    OpInfo("log", chainrule.log, np.log, unary_samples(0.5, 2.5), _torch("log")),
    OpInfo("log1p", chainrule.log1p, np.log1p, unary_samples(-0.5, 2.0), _torch("log1p")),
    OpInfo("expm1", chainrule.expm1, np.expm1, unary_samples(), _torch("expm1")),
    OpInfo("sqrt", chainrule.sqrt, np.sqrt, unary_samples(0.5, 2.5), _torch("sqrt")),
    OpInfo(
        "rsqrt", chainrule.rsqrt, lambda x: 1 / np.sqrt(x), unary_samples(0.5, 2.5), _torch("rsqrt")
    ),
    OpInfo("abs", chainrule.abs, np.abs, signed_samples(), _torch("abs")),
    OpInfo("sign", chainrule.sign, np.sign, signed_samples(), _torch("sign")),
    OpInfo("sin", chainrule.sin, np.sin, unary_samples(-3.0, 3.0), _torch("sin")),
    OpInfo("cos", chainrule.cos, np.cos, unary_samples(-3.0, 3.0), _torch("cos")),
    OpInfo("tan", chainrule.tan, np.tan, unary_samples(-1.2, 1.2), _torch("tan")),
    OpInfo("tanh", chainrule.tanh, np.tanh, unary_samples(), _torch("tanh")),
    OpInfo("erf", chainrule.erf, _erf_ref, unary_samples(-3.0, 3.0), _torch("erf")),
    OpInfo(
        "reciprocal",
        chainrule.reciprocal,
        np.reciprocal,
        signed_samples(0.5, 2.0),
        _torch("reciprocal"),
    ),
    OpInfo("clamp", chainrule.clamp, _clamp_ref, _clamp_samples, _torch_clamp),
    OpInfo("clip", chainrule.clip, _clamp_ref, _clamp_samples, _torch_clamp),
    OpInfo("floor", chainrule.floor, np.floor, unary_samples(-3.0, 3.0), _torch("floor")),
    OpInfo("ceil", chainrule.ceil, np.ceil, unary_samples(-3.0, 3.0), _torch("ceil")),
    OpInfo("round", chainrule.round, np.round, unary_samples(-3.0, 3.0), _torch("round")),
    OpInfo(
        "round_decimals",
        lambda x: chainrule.round(x, decimals=1),
        lambda x: np.round(x, 1),
        unary_samples(-3.0, 3.0),
        _torch("round", decimals=1),
    ),
    OpInfo("square", chainrule.square, np.square, unary_samples(), _torch("square")),
]
