"""Op table entries for ops/reduction.py (see tests/opinfo.py)."""

import numpy as np

import chainrule
from tests.opinfo import OpInfo, Sample, make

# (shape, kwargs) pairs: every dim form PyTorch accepts (None, int, negative int, tuple, list),
# with and without keepdim, on 0-d, 1-d, 2-d and 3-d inputs.
MULTI_DIM = [
    ((), {}),
    ((), {"dim": 0}),
    ((), {"dim": -1, "keepdim": True}),
    ((5,), {}),
    ((5,), {"dim": 0, "keepdim": True}),
    ((3, 4), {"dim": 0}),
    ((3, 4), {"dim": -1, "keepdim": True}),
    ((3, 4), {"dim": (0, 1)}),
    ((3, 4), {"dim": [-1, 0], "keepdim": True}),
    ((2, 3, 4), {"dim": (0, 2)}),
    ((2, 3, 4), {"dim": -2, "keepdim": True}),
    ((2, 3, 4), {"dim": None, "keepdim": True}),
]
ONE_DIM = [
    ((), {"dim": 0}),
    ((), {"dim": -1, "keepdim": True}),
    ((5,), {"dim": 0}),
    ((3, 4), {"dim": 1}),
    ((3, 4), {"dim": -2, "keepdim": True}),
    ((2, 3, 4), {"dim": 1}),
    ((2, 3, 4), {"dim": -1, "keepdim": True}),
]


def _axis(dim):
    """PyTorch's dim as NumPy's axis (a list becomes a tuple)."""
    return tuple(dim) if isinstance(dim, list) else dim


def samples_over(variants, low=-2.0, high=2.0, empty=None, **extra):
    """One sample per (shape, kwargs) variant, plus a non-contiguous one and an empty one."""

    def samples(rng, dtype):
        out = [Sample((make(rng, shape, dtype, low, high),), {**kwargs, **extra})
               for shape, kwargs in variants]
        last_dim = {"dim": -1} if "dim" in variants[-1][1] else {}
        out.append(Sample((make(rng, (3, 4), dtype, low, high, noncontiguous=True),),
                          {**last_dim, **extra}))
        if empty is not None:
            out.append(Sample((make(rng, (0, 3), dtype, low, high),), {**empty, **extra}))
        return out

    return samples


def _torch(name, **fixed):
    def call(x, **kwargs):
        import torch

        return getattr(torch, name)(x, **kwargs, **fixed)

    return call


def _torch_prod(x, dim=None, keepdim=False):
    import torch

    return torch.prod(x) if dim is None else torch.prod(x, dim, keepdim)


def _torch_any_all(name):
    def call(x, dim=None, keepdim=False):
        import torch

        fn = getattr(torch, name)
        return fn(x) if dim is None and not keepdim else fn(x, dim, keepdim)

    return call


def _np_reduce(fn):
    def ref(x, dim=None, keepdim=False):
        return fn(x, axis=_axis(dim) if x.ndim else None, keepdims=keepdim)

    return ref


def _np_var(x, dim=None, keepdim=False, correction=1, unbiased=None):
    ddof = correction if unbiased is None else int(unbiased)
    return np.var(x, axis=_axis(dim) if x.ndim else None, keepdims=keepdim, ddof=ddof)


def _np_std(x, **kwargs):
    return np.sqrt(_np_var(x, **kwargs))


def _np_logsumexp(x, dim, keepdim=False):
    m = np.max(x, axis=_axis(dim), keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=_axis(dim), keepdims=True)) + m
    return out if keepdim else np.squeeze(out, axis=_axis(dim))


def _np_norm(x, p="fro", dim=None, keepdim=False):
    a = np.abs(x)
    axis = _axis(dim)
    if p == "fro" or p == 2:
        return np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdim))
    if p == np.inf:
        return np.max(a, axis=axis, keepdims=keepdim)
    if p == -np.inf:
        return np.min(a, axis=axis, keepdims=keepdim)
    if p == 0:
        return np.sum(a != 0, axis=axis, keepdims=keepdim).astype(x.dtype)
    return np.sum(a ** p, axis=axis, keepdims=keepdim) ** (1 / p)


def _np_values_indices(value, index):
    def ref(x, dim, keepdim=False):
        if x.ndim == 0:
            return x, np.array(0)
        return (value(x, axis=dim, keepdims=keepdim), index(x, axis=dim, keepdims=keepdim))

    return ref


def _np_arg(index):
    def ref(x, dim=None, keepdim=False):
        if dim is None:
            out = np.asarray(index(x))
            return out.reshape((1,) * x.ndim) if keepdim else out
        return np.zeros((), np.int64) if x.ndim == 0 else index(x, axis=dim, keepdims=keepdim)

    return ref


def _np_cumsum(x, dim):
    return x.copy() if x.ndim == 0 else np.cumsum(x, axis=dim)


def _prod_zero_samples(rng, dtype):
    """One, two and three zeros in a reduced slice: the rule's zero cases, incl. gradgrad."""
    one = make(rng, (3, 4), dtype, 0.5, 1.5)
    one[1, 2] = 0.0
    two = make(rng, (3, 4), dtype, 0.5, 1.5)
    two[0, 1] = two[0, 3] = two[2, 0] = 0.0
    three = make(rng, (2, 4), dtype, 0.5, 1.5)
    three[1, :3] = 0.0
    return [Sample((one,), {}), Sample((one,), {"dim": 1}), Sample((one,), {"dim": 0}),
            Sample((two,), {"dim": 1, "keepdim": True}), Sample((two,), {"dim": 0}),
            Sample((two,), {}), Sample((three,), {"dim": 1}), Sample((three,), {"dim": 0})]


def _bool_like_samples(rng, dtype):
    """Values 0 and 1 (as floats), so that all/any give both answers."""
    return [Sample((rng.integers(0, 2, size=shape).astype(dtype),), kwargs)
            for shape, kwargs in [((), {}), ((4,), {}), ((3, 4), {"dim": 1}),
                                  ((3, 4), {"dim": -2, "keepdim": True}),
                                  ((2, 3, 4), {"dim": (0, 2)}), ((0, 3), {"dim": 1})]]


def _lse_samples(rng, dtype):
    out = samples_over([v for v in MULTI_DIM if "dim" in v[1] and v[1]["dim"] is not None])(
        rng, dtype)
    out.append(Sample((make(rng, (3, 4), dtype, 995.0, 1000.0),), {"dim": 1}))  # no overflow
    return out


def _op(name, fn, ref, samples, torch_fn=None, **kwargs):
    return OpInfo(name, fn, ref, samples, torch_fn, **kwargs)


NORM_P = ["fro", 2, 1, np.inf, -np.inf, 3, 1.5, 0]

OPS = [
    _op("sum", chainrule.sum, _np_reduce(np.sum), samples_over(MULTI_DIM, empty={"dim": 1}),
        _torch("sum")),
    _op("mean", chainrule.mean, _np_reduce(np.mean), samples_over(MULTI_DIM), _torch("mean")),
    _op("prod", chainrule.prod, _np_reduce(np.prod),
        samples_over([((), {}), *ONE_DIM], low=0.5, high=1.5, empty={"dim": 1}), _torch_prod),
    _op("prod_with_zeros", chainrule.prod, _np_reduce(np.prod), _prod_zero_samples,
        _torch_prod),
    _op("amax", chainrule.amax, _np_reduce(np.max), samples_over(MULTI_DIM, empty={"dim": 1}),
        _torch("amax")),
    _op("amin", chainrule.amin, _np_reduce(np.min), samples_over(MULTI_DIM, empty={"dim": 1}),
        _torch("amin")),
    _op("max", chainrule.max, np.max, samples_over([((), {}), ((5,), {}), ((2, 3, 4), {})]),
        _torch("max")),
    _op("min", chainrule.min, np.min, samples_over([((), {}), ((5,), {}), ((2, 3, 4), {})]),
        _torch("min")),
    _op("max_dim", chainrule.max, _np_values_indices(np.max, np.argmax),
        samples_over(ONE_DIM, empty={"dim": 1}), _torch("max")),
    _op("min_dim", chainrule.min, _np_values_indices(np.min, np.argmin),
        samples_over(ONE_DIM, empty={"dim": 1}), _torch("min")),
    _op("argmax", chainrule.argmax, _np_arg(np.argmax),
        samples_over([*ONE_DIM, ((3, 4), {}), ((3, 4), {"keepdim": True})]),
        _torch("argmax"), supports_grad=False),
    _op("argmin", chainrule.argmin, _np_arg(np.argmin),
        samples_over([*ONE_DIM, ((3, 4), {}), ((3, 4), {"keepdim": True})]),
        _torch("argmin"), supports_grad=False),
    _op("var", chainrule.var, _np_var,
        samples_over([v for v in MULTI_DIM if v[0]] + [((), {"correction": 0})]),
        _torch("var")),
    _op("var_correction", chainrule.var, _np_var,
        samples_over([((5,), {"correction": 0}), ((3, 4), {"dim": 1, "correction": 2}),
                      ((3, 4), {"dim": (0, 1), "unbiased": False}),
                      ((2, 3, 4), {"dim": -1, "keepdim": True, "unbiased": True})]),
        _torch("var")),
    _op("std", chainrule.std, _np_std,
        samples_over([v for v in MULTI_DIM if v[0]] + [((4,), {"correction": 0})]),
        _torch("std")),
    _op("std_correction", chainrule.std, _np_std,
        samples_over([((3, 4), {"dim": 0, "correction": 0}),
                      ((3, 4), {"dim": -1, "unbiased": False, "keepdim": True})]),
        _torch("std")),
    _op("logsumexp", chainrule.logsumexp, _np_logsumexp, _lse_samples, _torch("logsumexp")),
    *[_op(f"norm_p{p}", chainrule.norm, _np_norm,
          samples_over([((), {}), ((5,), {}), ((3, 4), {"dim": 1}),
                        ((3, 4), {"dim": (0, 1), "keepdim": True}),
                        ((2, 3, 4), {"dim": [-1, 0]})], p=p),
          # PyTorch leaves .grad None for p=0, where chainrule gives zeros: values only.
          _torch("norm") if p != 0 else None) for p in NORM_P],
    _op("cumsum", chainrule.cumsum, _np_cumsum,
        samples_over([(shape, {"dim": kw["dim"]}) for shape, kw in ONE_DIM], empty={"dim": 0}),
        _torch("cumsum")),
    _op("all", chainrule.all, _np_reduce(np.all), _bool_like_samples, _torch_any_all("all"),
        supports_grad=False),
    _op("any", chainrule.any, _np_reduce(np.any), _bool_like_samples, _torch_any_all("any"),
        supports_grad=False),
]
