"""Op table entries for ops/elementwise.py (see tests/opinfo.py)."""

import numpy as np

import chainrule
from tests.opinfo import OpInfo, Sample, binary_samples, make, unary_samples


def _torch(name):
    def call(*args, **kwargs):
        import torch

        return getattr(torch, name)(*args, **kwargs)

    return call


def _scalar_samples(rng, dtype):
    return [Sample((make(rng, (3, 4), dtype), 2.5)), Sample((make(rng, (3,), dtype), -1))]


def _pow_samples(rng, dtype):
    return [Sample((make(rng, a, dtype, 0.5, 2.0), make(rng, b, dtype, -1.5, 1.5)))
            for a, b in [((3, 4), (3, 4)), ((2, 3), (3,)), ((), (2,))]]


OPS = [
    OpInfo("add", chainrule.add, np.add, binary_samples(), _torch("add")),
    OpInfo("add_scalar", chainrule.add, np.add, _scalar_samples, _torch("add")),
    OpInfo("sub", chainrule.sub, np.subtract, binary_samples(), _torch("sub")),
    OpInfo("mul", chainrule.mul, np.multiply, binary_samples(), _torch("mul")),
    OpInfo("mul_scalar", chainrule.mul, np.multiply, _scalar_samples, _torch("mul")),
    OpInfo("div", chainrule.div, np.divide, binary_samples(low2=0.5, high2=2.0),
           _torch("div")),
    OpInfo("remainder", chainrule.remainder, np.remainder,
           binary_samples(0.1, 3.0, 0.7, 1.3), _torch("remainder")),
    OpInfo("pow", chainrule.pow, np.power, _pow_samples, _torch("pow")),
    OpInfo("pow_scalar", lambda x: chainrule.pow(x, 3), lambda x: x ** 3, unary_samples(),
           lambda x: x ** 3),
    OpInfo("pow_fractional", lambda x: x ** 0.5, np.sqrt, unary_samples(0.5, 2.0),
           lambda x: x ** 0.5),
    OpInfo("neg", chainrule.neg, np.negative, unary_samples(), _torch("neg")),
    # Finite differences see float32 rounding (about 1e-7 against eps = 1e-6): loose tolerances.
    OpInfo("to_float32", lambda x: chainrule.to_dtype(x, chainrule.float32),
           lambda x: x.astype(np.float32), unary_samples(), atol=1e-1, rtol=1e-1),
]
