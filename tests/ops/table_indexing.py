"""Op table entries for ops/indexing.py (see tests/opinfo.py).

Index arrays in a sample's args become int64 / bool Tensors (and torch tensors for the
differential tests); the references below use plain NumPy indexing or explicit loops.
"""

import numpy as np

import chainrule
from tests.opinfo import OpInfo, Sample, make


def _torch(name):
    def call(*args, **kwargs):
        import torch

        return getattr(torch, name)(*args, **kwargs)

    return call


def _idx(*values):
    return np.array(values, dtype=np.int64)


def _getitem(name, index, shapes, torch_index=None, torch=True):
    """An OpInfo for ``x[index]``: ``index`` is fixed (slices, ints, None, Ellipsis, lists)."""

    def samples(rng, dtype):
        out = [Sample((make(rng, s, dtype),)) for s in shapes]
        out.append(Sample((make(rng, shapes[0], dtype, noncontiguous=True),)))
        return out

    torch_fn = None
    if torch:
        torch_fn = torch_index if torch_index is not None else (lambda x: x[index])
    return OpInfo(f"getitem_{name}", lambda x: x[index], lambda x: x[index], samples, torch_fn)


def _getitem_tensor(name, make_args):
    """An OpInfo for ``x[i]`` / ``x[i, j]`` where the indices are tensors built per sample."""

    def fn(x, *index):
        return x[index if len(index) > 1 else index[0]]

    return OpInfo(f"getitem_{name}", fn, fn, make_args, fn)


def _int_samples(rng, dtype):
    return [
        Sample((make(rng, (5,), dtype), _idx(0, 4, 4, 1))),  # repeated indices add up
        Sample((make(rng, (4, 3), dtype), _idx(-1, 0, -1))),  # negative indices count back
        Sample((make(rng, (4, 3), dtype), np.array([[0, 1], [3, 3]]))),  # 2-D index
        Sample((make(rng, (4, 3), dtype), np.zeros((0,), np.int64))),  # no elements
        Sample((make(rng, (4, 3), dtype, noncontiguous=True), _idx(2, 2))),
    ]


def _mask_samples(rng, dtype):
    x = make(rng, (4, 3), dtype)
    return [
        Sample((x, x > 0)),  # a full mask: 1-D result
        Sample((make(rng, (4, 3), dtype), np.array([True, False, True, True]))),  # rows
        Sample((make(rng, (2, 3), dtype), np.zeros((2, 3), bool))),  # selects nothing
    ]


def _two_index_samples(rng, dtype):
    return [
        Sample((make(rng, (4, 5), dtype), _idx(0, 3, 0), _idx(1, 1, 4))),  # points, repeated
        Sample((make(rng, (4, 5), dtype), _idx(0, 3)[:, None], _idx(1, 2, 2))),  # broadcast
    ]


def _gather_ref(x, dim, index):
    out = np.empty(index.shape, x.dtype)
    for pos in np.ndindex(index.shape):
        src = list(pos)
        src[dim] = index[pos]
        out[pos] = x[tuple(src)]
    return out


def _scatter_ref(x, dim, index, src, add=False):
    out = x.copy()
    for pos in np.ndindex(index.shape):
        dst = list(pos)
        dst[dim] = index[pos]
        value = src if np.ndim(src) == 0 else src[pos]
        out[tuple(dst)] = out[tuple(dst)] + value if add else value
    return out


def _gather_samples(rng, dtype):
    return [
        Sample((make(rng, (3, 4), dtype), 1, rng.integers(0, 4, (3, 6)))),  # repeats, longer
        Sample((make(rng, (3, 4), dtype), 0, rng.integers(0, 3, (2, 4)))),
        Sample((make(rng, (4, 5), dtype), -1, rng.integers(0, 5, (2, 3)))),  # smaller index
        Sample((make(rng, (2, 3, 4), dtype), 1, rng.integers(0, 3, (2, 2, 4)))),
        Sample((make(rng, (3, 4), dtype, noncontiguous=True), 1, rng.integers(0, 4, (3, 4)))),
        Sample((make(rng, (3, 4), dtype), 1, np.zeros((3, 0), np.int64))),
    ]


def _permutation_index(rng, shape, dim, size):
    """Distinct positions along `dim` for every line (scatter with repeats is unspecified)."""
    index = np.empty(shape, np.int64)
    for pos in np.ndindex(*shape[:dim], *shape[dim + 1 :]):
        line = rng.permutation(size)[: shape[dim]]
        index[(*pos[:dim], slice(None), *pos[dim:])] = line
    return index


def _scatter_samples(rng, dtype):
    return [
        Sample((make(rng, (3, 4), dtype), 1, _permutation_index(rng, (3, 2), 1, 4),
                make(rng, (3, 2), dtype))),
        Sample((make(rng, (2, 3, 4), dtype), 2, _permutation_index(rng, (2, 2, 3), 2, 4),
                make(rng, (2, 2, 3), dtype))),
    ]


def _scatter_add_samples(rng, dtype):
    return [
        Sample((make(rng, (3, 4), dtype), 1, rng.integers(0, 4, (3, 6)),
                make(rng, (3, 6), dtype))),  # repeated positions add up
        Sample((make(rng, (4, 3), dtype), 0, rng.integers(0, 4, (5, 2)),
                make(rng, (5, 2), dtype))),
    ]


def _large_src_samples(rng, dtype):
    """src larger than index: only its leading block is used (torch's own backward fails
    on these, so they have no differential test)."""
    return [
        Sample((make(rng, (4, 3), dtype), 0, _permutation_index(rng, (2, 3), 0, 4),
                make(rng, (3, 5), dtype))),
        Sample((make(rng, (3, 4), dtype), 1, _permutation_index(rng, (2, 2), 1, 4),
                make(rng, (3, 3), dtype))),
    ]


def _index_select_samples(rng, dtype):
    return [
        Sample((make(rng, (4, 3), dtype), 0, _idx(3, 0, 3))),
        Sample((make(rng, (4, 3), dtype), 1, _idx(2))),
        Sample((make(rng, (2, 3, 4), dtype), -1, _idx(0, 0, 1, 3, 3))),
        Sample((make(rng, (4, 3), dtype, noncontiguous=True), 1, np.zeros(0, np.int64))),
    ]


def _masked_fill_samples(rng, dtype):
    x = make(rng, (3, 4), dtype)
    return [
        Sample((x, x > 0, 0.5)),
        Sample((make(rng, (3, 4), dtype), make(rng, (4,), dtype) > 0, -1.0)),  # broadcast mask
        Sample((make(rng, (3, 4), dtype), make(rng, (3, 4), dtype) > 0,
                np.array(2.0, dtype))),  # a 0-d tensor value gets a gradient too
        Sample((make(rng, (), dtype), np.array(True), 3.0)),
    ]


def _masked_select_samples(rng, dtype):
    x = make(rng, (3, 4), dtype)
    return [Sample((x, x > 0)), Sample((make(rng, (3, 4), dtype), np.array([1, 0, 0, 1], bool)))]


def _index_put_samples(rng, dtype):
    return [
        Sample((make(rng, (5, 3), dtype), _idx(0, 4, 0), make(rng, (3, 3), dtype))),
        Sample((make(rng, (5, 3), dtype), _idx(1, 2), make(rng, (3,), dtype))),  # broadcast
    ]


def _index_put_ref(accumulate):
    def ref(x, i, v):
        out = x.copy()
        v = np.broadcast_to(v, (len(i), *x.shape[1:]))
        for k, row in enumerate(i):
            out[row] = out[row] + v[k] if accumulate else v[k]
        return out

    return ref


def _take_along_dim_samples(rng, dtype):
    return [
        Sample((make(rng, (3, 4), dtype), rng.integers(0, 4, (3, 2)), 1)),
        Sample((make(rng, (3, 4), dtype), rng.integers(0, 3, (1, 4)), 0)),
        Sample((make(rng, (3, 1), dtype), rng.integers(0, 3, (2, 5)), 0)),  # both broadcast
    ]


def _take_along_dim_ref(x, i, dim):
    """np.take_along_axis after broadcasting x and i in every dimension but ``dim``."""
    a, b = list(x.shape), list(i.shape)
    a[dim] = b[dim] = 1
    shape = list(np.broadcast_shapes(tuple(a), tuple(b)))
    x_shape, i_shape = list(shape), list(shape)
    x_shape[dim], i_shape[dim] = x.shape[dim], i.shape[dim]
    return np.take_along_axis(np.broadcast_to(x, x_shape), np.broadcast_to(i, i_shape), dim)


def _take_flat_samples(rng, dtype):
    return [Sample((make(rng, (3, 4), dtype), rng.integers(0, 12, (5,))))]


OPS = [
    _getitem("int", 1, [(4,), (3, 4), (2, 3, 4)]),
    _getitem("negative_int", -1, [(4,), (3, 4)]),
    _getitem("slice", (slice(1, None), slice(None, None, 2)), [(4, 5), (3, 3, 2)]),
    _getitem("ints_and_slices", (0, slice(1, 3)), [(3, 4), (2, 5, 2)]),
    _getitem("none_ellipsis", (None, Ellipsis, 0, None), [(3, 4), (2, 3, 4)]),
    _getitem("ellipsis_last", (Ellipsis, slice(None, 1)), [(3, 4), (2, 3, 4), (5,)]),
    _getitem("all", Ellipsis, [(), (3,), (2, 3)]),
    _getitem("empty_slice", slice(2, 2), [(4,), (4, 3)]),
    # Negative steps: NumPy has them, PyTorch does not (flip is its spelling).
    _getitem("negative_step", slice(None, None, -1), [(5,), (4, 3)],
             torch_index=lambda x: x.flip(0)),
    _getitem("negative_step_2d", (slice(None, None, -2), slice(3, 0, -1)), [(5, 4)],
             torch=False),
    _getitem("list", [0, 2, 2, -1], [(4,), (4, 3)]),
    _getitem("list_bool", [True, False, True], [(3,), (3, 2)]),
    _getitem("list_and_slice", (slice(None), [1, 0, 1]), [(3, 4), (2, 3, 2)]),
    _getitem_tensor("int_tensor", _int_samples),
    _getitem_tensor("bool_mask", _mask_samples),
    _getitem_tensor("two_tensors", _two_index_samples),
    _getitem_tensor("split_advanced", lambda rng, dtype: [
        Sample((make(rng, (3, 4, 5), dtype), _idx(2, 0, 2), _idx(1, 3, 3)))]),
    OpInfo("getitem_mixed", lambda x, i, j: x[i, 1:, j], lambda x, i, j: x[i, 1:, j],
           lambda rng, dtype: [Sample((make(rng, (3, 4, 5), dtype), _idx(2, 0, 2),
                                       _idx(1, 4, 4)))],
           lambda x, i, j: x[i, 1:, j]),
    OpInfo("getitem_int_and_tensor", lambda x, i: x[1, i], lambda x, i: x[1, i],
           lambda rng, dtype: [Sample((make(rng, (3, 4), dtype), _idx(3, 3, 0)))],
           lambda x, i: x[1, i]),
    OpInfo("getitem_none_and_tensor", lambda x, i: x[None, ..., i],
           lambda x, i: x[None, ..., i],
           lambda rng, dtype: [Sample((make(rng, (3, 4), dtype), _idx(3, 3, 0)))],
           lambda x, i: x[None, ..., i]),
    OpInfo("gather", chainrule.gather, _gather_ref, _gather_samples, _torch("gather")),
    OpInfo("scatter", chainrule.scatter, _scatter_ref, _scatter_samples, _torch("scatter")),
    OpInfo("scatter_large_src", chainrule.scatter, _scatter_ref, _large_src_samples),
    OpInfo("scatter_add_large_src", chainrule.scatter_add,
           lambda x, dim, i, s: _scatter_ref(x, dim, i, s, add=True), _large_src_samples),
    OpInfo("scatter_value", lambda x, dim, i: chainrule.scatter(x, dim, i, value=2.5),
           lambda x, dim, i: _scatter_ref(x, dim, i, 2.5),
           lambda rng, dtype: [Sample((make(rng, (3, 4), dtype), 1,
                                       _permutation_index(rng, (3, 2), 1, 4)))],
           lambda x, dim, i: x.scatter(dim, i, value=2.5)),
    OpInfo("scatter_add", chainrule.scatter_add,
           lambda x, dim, i, s: _scatter_ref(x, dim, i, s, add=True), _scatter_add_samples,
           _torch("scatter_add")),
    OpInfo("index_select", chainrule.index_select,
           lambda x, dim, i: np.take(x, i, axis=dim), _index_select_samples,
           _torch("index_select")),
    OpInfo("masked_fill", chainrule.masked_fill, lambda x, m, v: np.where(m, v, x),
           _masked_fill_samples, _torch("masked_fill")),
    OpInfo("masked_select", chainrule.masked_select,
           lambda x, m: x[np.broadcast_to(m, x.shape)], _masked_select_samples,
           _torch("masked_select")),
    OpInfo("index_put", lambda x, i, v: chainrule.index_put(x, (i,), v), _index_put_ref(False),
           lambda rng, dtype: [Sample((make(rng, (5, 3), dtype), _idx(0, 4),
                                       make(rng, (2, 3), dtype)))],
           lambda x, i, v: x.index_put((i,), v)),
    OpInfo("index_put_accumulate",
           lambda x, i, v: chainrule.index_put(x, (i,), v, accumulate=True),
           _index_put_ref(True), _index_put_samples,
           lambda x, i, v: x.index_put((i,), v, accumulate=True)),
    OpInfo("take_along_dim", chainrule.take_along_dim, _take_along_dim_ref,
           _take_along_dim_samples, _torch("take_along_dim")),
    OpInfo("take_along_dim_flat", chainrule.take_along_dim,
           lambda x, i: x.reshape(-1)[i], _take_flat_samples, _torch("take_along_dim")),
]
