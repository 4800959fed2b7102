"""Op table entries for ops/shape.py (see tests/opinfo.py).

Each sample is (shape, extra positional args, kwargs); a shape wrapped in ``Strided`` gives a
non-contiguous input. Multi-output ops (split, chunk, unbind) return tuples; every piece is
compared and gradchecked.
"""

import math

import numpy as np

import chainrule
from tests.opinfo import OpInfo, Sample, make


def _torch(name):
    def call(*args, **kwargs):
        import torch

        return getattr(torch, name)(*args, **kwargs)

    return call


def _torch_pad(x, pad, mode="constant", value=0.0):
    import torch

    return torch.nn.functional.pad(x, pad, mode=mode, value=value)


def _torch_list(name):
    def call(x, y, dim=0):
        import torch

        return getattr(torch, name)([x, y], dim=dim)

    return call


class Strided(tuple):
    """A sample shape whose array is a non-contiguous (strided) view."""


def _samples(*cases):
    """Samples from (shape, args, kwargs) triples."""

    def samples(rng, dtype):
        return [
            Sample(
                (make(rng, shape, dtype, noncontiguous=isinstance(shape, Strided)), *args),
                dict(kwargs),
            )
            for shape, args, kwargs in cases
        ]

    return samples


def _pairs(*cases):
    """Samples of two inputs (shape_x, shape_y, kwargs) for the list-taking ops."""

    def samples(rng, dtype):
        return [Sample((make(rng, a, dtype), make(rng, b, dtype)), dict(kw)) for a, b, kw in cases]

    return samples


def _expand_as_samples(rng, dtype):
    return [
        Sample((make(rng, a, dtype), make(rng, b, dtype)), grad=(0,))
        for a, b in [((3, 1), (2, 3, 4)), ((), (2, 2)), ((4,), (3, 4))]
    ]


def _np_flatten(x, start_dim=0, end_dim=-1):
    if not x.ndim:
        return x.reshape(1)
    start, end = start_dim % x.ndim, end_dim % x.ndim
    return x.reshape(x.shape[:start] + (math.prod(x.shape[start : end + 1]),) + x.shape[end + 1 :])


def _np_unflatten(x, dim, sizes):
    dim %= x.ndim
    return x.reshape(x.shape[:dim] + tuple(sizes) + x.shape[dim + 1 :])


def _np_squeeze(x, dim=None):
    if dim is None:
        return np.squeeze(x)
    dims = (dim,) if isinstance(dim, int) else dim
    return np.squeeze(x, tuple(d for d in dims if x.ndim and x.shape[d] == 1))


def _np_split(x, sections, dim=0):
    if isinstance(sections, int):
        cuts = list(range(sections, x.shape[dim], sections))
    else:
        cuts = list(np.cumsum(sections)[:-1])
    return tuple(np.split(x, cuts, axis=dim))


def _np_chunk(x, chunks, dim=0):
    return _np_split(x, -(-x.shape[dim] // chunks), dim)


def _np_unbind(x, dim=0):
    return tuple(np.moveaxis(x, dim, 0))


def _np_narrow(x, dim, start, length):
    return np.take(x, range(start, start + length), axis=dim)


def _np_roll(x, shifts, dims=None):
    return np.roll(x, shifts, axis=dims)


def _np_pad(x, pad, mode="constant", value=0.0):
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        d, left, right = x.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]
        crop = [slice(None)] * x.ndim
        crop[d] = slice(max(-left, 0), x.shape[d] - max(-right, 0))  # negative pads crop
        x = x[tuple(crop)]
        widths[d] = (max(left, 0), max(right, 0))
    if mode == "constant":
        return np.pad(x, widths, constant_values=value)
    return np.pad(x, widths, mode={"replicate": "edge", "circular": "wrap"}.get(mode, mode))


def _np_repeat(x, *sizes):
    return np.tile(x, sizes)


OPS = [
    OpInfo(
        "reshape",
        chainrule.reshape,
        np.reshape,
        _samples(
            ((3, 4), [(2, -1)], {}),
            ((), [(1,)], {}),
            (Strided((2, 3, 2)), [(-1,)], {}),  # a copy: strides forbid a view
            ((0, 3), [(3, 0)], {}),
        ),
        _torch("reshape"),
    ),
    OpInfo(
        "view",
        lambda x, *s: x.view(*s),
        lambda x, *s: x.reshape(s),
        _samples(((3, 4), [2, 6], {}), ((6,), [3, 2], {}), (Strided((3, 4)), [3, 1, 4], {})),
        lambda x, *s: x.view(*s),
    ),
    OpInfo(
        "flatten",
        chainrule.flatten,
        _np_flatten,
        _samples(
            ((2, 3, 4), [], {"start_dim": 1}),
            ((), [], {}),
            (Strided((2, 3, 4)), [], {"start_dim": 0, "end_dim": 1}),
            ((2, 0, 3), [], {}),
        ),
        _torch("flatten"),
    ),
    OpInfo(
        "unflatten",
        chainrule.unflatten,
        _np_unflatten,
        _samples(
            ((2, 12), [1, (3, -1)], {}),
            ((6,), [0, (2, 3)], {}),
            (Strided((4, 6)), [-1, (3, 2)], {}),
        ),
        _torch("unflatten"),
    ),
    OpInfo(
        "squeeze",
        chainrule.squeeze,
        _np_squeeze,
        _samples(
            ((1, 3, 1), [], {}),
            ((1, 3, 1), [], {"dim": 2}),
            ((1, 3, 1), [], {"dim": (0, 1)}),  # dim 1 is not of size 1: kept
            ((), [], {"dim": 0}),
            (Strided((1, 4)), [0], {}),
        ),
        _torch("squeeze"),
    ),
    OpInfo(
        "unsqueeze",
        chainrule.unsqueeze,
        np.expand_dims,
        _samples(((3, 4), [1], {}), ((), [0], {}), (Strided((3, 4)), [-1], {}), ((0,), [0], {})),
        _torch("unsqueeze"),
    ),
    OpInfo(
        "transpose",
        chainrule.transpose,
        lambda x, a, b: np.swapaxes(x, a, b) if x.ndim else x,
        _samples(
            ((3, 4), [0, 1], {}), ((2, 3, 4), [0, -1], {}), ((), [0, -1], {}), ((0, 2), [1, 0], {})
        ),
        _torch("transpose"),
    ),
    OpInfo(
        "swapaxes",
        chainrule.swapaxes,
        np.swapaxes,
        _samples((Strided((2, 3, 4)), [1, 2], {})),
        _torch("swapaxes"),
    ),
    OpInfo(
        "t",
        chainrule.t,
        np.transpose,
        _samples(((3, 4), [], {}), ((5,), [], {}), ((), [], {})),
        _torch("t"),
    ),
    OpInfo(
        "permute",
        chainrule.permute,
        lambda x, *dims: np.transpose(x, dims[0] if isinstance(dims[0], tuple) else dims),
        _samples(
            ((2, 3, 4), [2, 0, 1], {}), (Strided((2, 3, 4)), [(1, 2, 0)], {}), ((3, 4), [-1, 0], {})
        ),
        lambda x, *dims: x.permute(*dims),
    ),
    OpInfo(
        "T",
        lambda x: x.T,
        np.transpose,
        _samples(((2, 3, 4), [], {}), ((3,), [], {})),
        lambda x: x.permute(*reversed(range(x.ndim))),
    ),
    OpInfo(
        "mT",
        lambda x: x.mT,
        lambda x: np.swapaxes(x, -2, -1),
        _samples(((2, 3, 4), [], {})),
        lambda x: x.mT,
    ),
    OpInfo(
        "movedim",
        chainrule.movedim,
        np.moveaxis,
        _samples(((2, 3, 4), [0, -1], {}), ((2, 3, 4), [(0, 1), (2, 0)], {}), ((3,), [0, 0], {})),
        _torch("movedim"),
    ),
    OpInfo(
        "expand",
        chainrule.expand,
        lambda x, *s: np.broadcast_to(
            x, [x.shape[i - len(s)] if n == -1 else n for i, n in enumerate(s)]
        ),
        _samples(((3, 1), [2, 3, 4], {}), ((), [2, 2], {}), ((4,), [3, -1], {}), ((1,), [0], {})),
        lambda x, *s: x.expand(*s),
    ),
    OpInfo(
        "expand_as",
        chainrule.expand_as,
        lambda x, y: np.broadcast_to(x, y.shape),
        _expand_as_samples,
        lambda x, y: x.expand_as(y),
    ),
    OpInfo(
        "repeat",
        chainrule.repeat,
        _np_repeat,
        _samples(
            ((2, 3), [2, 1], {}),
            ((2,), [3, 2], {}),
            ((), [2, 3], {}),
            ((1,), [4], {}),
            (Strided((2, 2)), [1, 0], {}),
        ),
        lambda x, *s: x.repeat(*s),
    ),
    OpInfo(
        "tile",
        chainrule.tile,
        np.tile,
        _samples(((2, 3), [(2,)], {}), ((2,), [(2, 2)], {}), ((), [(3,)], {})),
        _torch("tile"),
    ),
    OpInfo(
        "flip",
        chainrule.flip,
        lambda x, dims: np.flip(x, dims) if x.ndim else x,
        _samples(
            ((3, 4), [(1,)], {}),
            (Strided((2, 3, 4)), [(0, 2)], {}),
            ((), [(0,)], {}),
            ((0, 3), [(0, 1)], {}),
        ),
        _torch("flip"),
    ),
    OpInfo(
        "roll",
        chainrule.roll,
        _np_roll,
        _samples(
            ((2, 3), [1], {}),
            ((2, 3), [(1, -1), (0, 1)], {}),
            (Strided((3, 4)), [5], {"dims": 1}),
            ((), [2], {}),
            ((3,), [3], {"dims": 0}),
        ),
        _torch("roll"),
    ),
    OpInfo(
        "cat",
        lambda x, y, dim=0: chainrule.cat([x, y], dim=dim),
        lambda x, y, dim=0: np.concatenate([x, y], axis=dim),
        _pairs(
            ((2, 3), (1, 3), {}),
            ((2, 3), (2, 4), {"dim": 1}),
            ((2, 3, 1), (2, 3, 2), {"dim": -1}),
            ((0, 3), (2, 3), {}),
        ),
        _torch_list("cat"),
    ),
    OpInfo(
        "cat_same_input",
        lambda x: chainrule.cat([x, x * 2], dim=1),
        lambda x: np.concatenate([x, x * 2], axis=1),
        _samples(((2, 3), [], {}), (Strided((2, 2)), [], {})),
        lambda x: _torch_list("cat")(x, x * 2, dim=1),
    ),
    OpInfo(
        "stack",
        lambda x, y, dim=0: chainrule.stack([x, y], dim=dim),
        lambda x, y, dim=0: np.stack([x, y], axis=dim),
        _pairs(
            ((2, 3), (2, 3), {}),
            ((2, 3), (2, 3), {"dim": -1}),
            ((), (), {}),
            ((0, 2), (0, 2), {"dim": 1}),
        ),
        _torch_list("stack"),
    ),
    OpInfo(
        "split",
        chainrule.split,
        _np_split,
        _samples(
            ((5, 2), [2], {}),
            ((3, 4), [[1, 0, 3]], {"dim": 1}),
            (Strided((2, 4)), [2], {"dim": -1}),
            ((4,), [4], {}),
        ),
        _torch("split"),
    ),
    OpInfo(
        "chunk",
        chainrule.chunk,
        _np_chunk,
        _samples(((5, 2), [3], {}), ((2, 6), [4], {"dim": 1}), ((2,), [1], {})),
        _torch("chunk"),
    ),
    OpInfo(
        "unbind",
        chainrule.unbind,
        _np_unbind,
        _samples(
            ((3, 2), [], {}),
            ((2, 3, 4), [], {"dim": -1}),
            (Strided((2, 3)), [1], {}),
            ((1,), [], {}),
        ),
        _torch("unbind"),
    ),
    OpInfo(
        "narrow",
        chainrule.narrow,
        lambda x, dim, start, length: _np_narrow(
            x, dim, start + x.shape[dim] * (start < 0), length
        ),
        _samples(
            ((5, 3), [0, 1, 3], {}),
            ((3, 4), [-1, -3, 2], {}),
            (Strided((3, 4)), [1, 0, 4], {}),
            ((4,), [0, 4, 0], {}),
        ),
        _torch("narrow"),
    ),
    OpInfo(
        "pad_constant",
        chainrule.pad,
        _np_pad,
        _samples(
            ((3, 4), [(1, 2)], {}),
            ((2, 3, 4), [(1, 0, 2, 1)], {"value": 1.5}),
            (Strided((2, 3, 2)), [(0, 0, 1, 1, 2, 0)], {}),
            ((0, 3), [(1, 1)], {}),
        ),
        _torch_pad,
    ),
    OpInfo(
        "pad_negative",  # a negative pad crops
        chainrule.pad,
        _np_pad,
        _samples(((3, 4), [(-1, -1)], {}), ((3, 4), [(-2, 1, 1, 0)], {})),
        _torch_pad,
    ),
    OpInfo(
        "pad_reflect",
        chainrule.pad,
        _np_pad,
        _samples(
            ((2, 4), [(2, 3)], {"mode": "reflect"}),
            ((2, 3, 4), [(1, 1, 2, 0)], {"mode": "reflect"}),
            (Strided((1, 3, 4)), [(3, 0, 1, 2)], {"mode": "reflect"}),
        ),
        _torch_pad,
    ),
    OpInfo(
        "pad_replicate",
        chainrule.pad,
        _np_pad,
        _samples(
            ((2, 4), [(2, 3)], {"mode": "replicate"}),
            ((2, 3, 4), [(1, 1, 2, 0)], {"mode": "replicate"}),
            (Strided((1, 1, 3)), [(0, 4)], {"mode": "replicate"}),
        ),
        _torch_pad,
    ),
    OpInfo(
        "pad_circular",
        chainrule.pad,
        _np_pad,
        _samples(
            ((1, 2, 4), [(2, 4)], {"mode": "circular"}),
            ((1, 2, 3, 4), [(1, 1, 2, 0)], {"mode": "circular"}),
        ),
        _torch_pad,
    ),
    OpInfo(
        "contiguous",
        chainrule.contiguous,
        np.ascontiguousarray,
        _samples((Strided((3, 4)), [], {}), ((3, 4), [], {}), ((), [], {})),
        lambda x: x.contiguous(),
    ),
    OpInfo(
        "clone",
        chainrule.clone,
        np.copy,
        _samples(((3, 4), [], {}), ((), [], {}), (Strided((2, 3)), [], {}), ((0, 2), [], {})),
        _torch("clone"),
    ),
]
