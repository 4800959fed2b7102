"""Op table entries for ops/comparison.py (see tests/opinfo.py).

Comparisons and logic carry no gradient (``supports_grad=False``); their samples are rounded
to halves so that equal elements occur. where, minimum, maximum and lerp are differentiable;
minimum/maximum at ties (where the second derivative jumps) are tested in test_comparison.py.
"""

import numpy as np

import chainrule
from tests.opinfo import BINARY_SHAPES, OpInfo, Sample, binary_samples, make


def _torch(name, **fixed):
    def call(*args, **kwargs):
        import torch

        return getattr(torch, name)(*args, **fixed, **kwargs)

    return call


def _halves(rng, shape, dtype):
    return np.asarray(np.round(make(rng, shape, dtype) * 2) / 2)


def _logical_samples(rng, dtype):
    out = [Sample((_halves(rng, a, dtype), _halves(rng, b, dtype))) for a, b in BINARY_SHAPES]
    out.append(Sample((_halves(rng, (0, 3), dtype), _halves(rng, (3,), dtype))))
    return out


def _compare_samples(rng, dtype):
    return [*_logical_samples(rng, dtype), Sample((_halves(rng, (3, 4), dtype), 0.5))]


def _special_samples(rng, dtype):
    x = make(rng, (3, 4), dtype)
    x[0, 0], x[1, 2], x[2, 3] = np.nan, np.inf, -np.inf
    return [Sample((x,)), Sample((make(rng, (), dtype),)), Sample((make(rng, (0,), dtype),))]


def _not_samples(rng, dtype):
    return [Sample((_halves(rng, s, dtype),)) for s in [(), (5,), (3, 4)]]


def _where_samples(rng, dtype):
    def cond(shape):
        return np.asarray(rng.random(shape) < 0.5)

    return [
        Sample((cond((3, 4)), make(rng, (3, 4), dtype), make(rng, (3, 4), dtype))),
        Sample((cond((3, 1)), make(rng, (4,), dtype), make(rng, (2, 3, 1), dtype))),
        Sample((cond((3, 4)), make(rng, (3, 4), dtype), 1.5)),
        Sample((cond((5,)), -2.0, make(rng, (), dtype))),
        Sample((cond(()), make(rng, (2, 3), dtype), make(rng, (2, 3), dtype))),
        Sample((cond((0, 2)), make(rng, (2,), dtype), make(rng, (0, 2), dtype))),
    ]


def _lerp_samples(rng, dtype):
    return [
        Sample((make(rng, (3, 4), dtype), make(rng, (3, 4), dtype), 0.3)),
        Sample((make(rng, (3, 4), dtype), make(rng, (4,), dtype), 0.8)),
        Sample(
            (make(rng, (3, 4), dtype), make(rng, (3, 4), dtype), make(rng, (3, 4), dtype, 0.0, 1.0))
        ),
        Sample((make(rng, (2, 1), dtype), make(rng, (3,), dtype), make(rng, (), dtype))),
    ]


def _comparison(name, ufunc, samples=_compare_samples):
    return OpInfo(name, getattr(chainrule, name), ufunc, samples, _torch(name), supports_grad=False)


OPS = [
    _comparison("eq", np.equal),
    _comparison("ne", np.not_equal),
    _comparison("lt", np.less),
    _comparison("le", np.less_equal),
    _comparison("gt", np.greater),
    _comparison("ge", np.greater_equal),
    _comparison("logical_and", np.logical_and, _logical_samples),
    _comparison("logical_or", np.logical_or, _logical_samples),
    _comparison("logical_xor", np.logical_xor, _logical_samples),
    _comparison("logical_not", np.logical_not, _not_samples),
    _comparison("isnan", np.isnan, _special_samples),
    _comparison("isfinite", np.isfinite, _special_samples),
    OpInfo("where", chainrule.where, np.where, _where_samples, _torch("where")),
    OpInfo("maximum", chainrule.maximum, np.maximum, binary_samples(), _torch("maximum")),
    OpInfo("minimum", chainrule.minimum, np.minimum, binary_samples(), _torch("minimum")),
    OpInfo(
        "lerp", chainrule.lerp, lambda x, end, w: x + w * (end - x), _lerp_samples, _torch("lerp")
    ),
]
