"""Op table entries for ops/linalg.py (see tests/opinfo.py)."""

import numpy as np

import chainrule
from tests.opinfo import OpInfo, Sample, make


def _torch(name):
    def call(*args, **kwargs):
        import torch

        return getattr(torch, name)(*args, **kwargs)

    return call


def _pairs(shapes, noncontiguous=()):
    """Samples of two operands with the given shapes; pairs listed in `noncontiguous` get
    strided views for both operands."""

    def samples(rng, dtype):
        return [
            Sample(
                (
                    make(rng, a, dtype, noncontiguous=(a, b) in noncontiguous),
                    make(rng, b, dtype, noncontiguous=(a, b) in noncontiguous),
                )
            )
            for a, b in shapes
        ]

    return samples


MATMUL_SHAPES = [
    ((3,), (3,)),  # dot product, 0-d result
    ((2, 3), (3,)),  # matrix @ vector
    ((3,), (3, 4)),  # vector @ matrix
    ((2, 3), (3, 4)),
    ((2, 1, 3, 4), (5, 4, 2)),  # batch dims broadcast
    ((4, 2, 3), (3,)),  # batch @ vector
    ((3,), (4, 3, 2)),  # vector @ batch
    ((2, 3, 4), (4, 2)),  # batch @ matrix: forward and grad_y fold the batch into rows
    ((2, 3), (4, 3, 2)),  # matrix @ batch
    ((3, 2, 4), (3, 4, 5)),
    ((1, 2, 3), (4, 3, 2)),
    ((0, 3), (3, 2)),  # empty
    ((2, 0), (0, 3)),  # empty contraction: zeros
]

MATRIX_SHAPES = [((2, 3), (3, 4)), ((1, 5), (5, 1)), ((0, 2), (2, 3))]


def _einsum_samples(cases):
    """cases: (equation, operand shapes); the equation is the first positional argument."""

    def samples(rng, dtype):
        return [Sample((eq, *(make(rng, s, dtype) for s in shapes))) for eq, shapes in cases]

    return samples


EINSUM_CONTRACTIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("i,i->", [(4,)] * 2),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ij,jk", [(2, 3), (3, 4)]),  # implicit output
    ("ba,ac", [(2, 3), (3, 4)]),  # implicit output, sorted: 'bc'
    ("ij,ij->ij", [(2, 3), (1, 3)]),  # a size-1 dimension broadcasts
    ("ijk,k->ij", [(2, 3, 4), (4,)]),
    ("i,,j->ij", [(2,), (), (3,)]),  # a 0-d operand
    ("ij,jk->ik", [(0, 3), (3, 2)]),
]

EINSUM_DIAGONALS = [
    ("ii->i", [(3, 3)]),
    ("ii", [(4, 4)]),  # trace (implicit: no letter used once)
    ("iij->j", [(3, 3, 2)]),
    ("iji->ij", [(2, 3, 2)]),
    ("ii,i->i", [(3, 3), (3,)]),
    ("iii->i", [(2, 2, 2)]),
    ("ij,ii->j", [(3, 2), (3, 3)]),
]

EINSUM_ELLIPSIS = [
    ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 2)]),
    ("i...->...", [(3, 2, 4)]),
    ("...ii->...i", [(2, 3, 3)]),
]

EINSUM_REARRANGE = [
    ("ijk->kji", [(2, 3, 4)]),
    ("ij->", [(3, 4)]),
    ("ij->j", [(3, 4)]),
    ("ij", [(3, 4)]),
    ("ji", [(3, 4)]),  # implicit output 'ij' transposes
    ("->", [()]),
]


def _einsum_op(name, cases):
    return OpInfo(name, chainrule.einsum, np.einsum, _einsum_samples(cases), _torch("einsum"))


def _matrices(shapes, **kwargs):
    def samples(rng, dtype):
        out = [Sample((make(rng, s, dtype),), dict(kwargs)) for s in shapes]
        out.append(Sample((make(rng, shapes[0], dtype, noncontiguous=True),), dict(kwargs)))
        return out

    return samples


def _diagonal_samples(rng, dtype):
    cases = [
        ((3, 4), {}),
        ((3, 4), {"offset": 1}),
        ((3, 4), {"offset": -2}),
        ((3, 4), {"offset": 5}),  # past the edge: empty
        ((2, 3, 4), {"offset": 1, "dim1": 2, "dim2": 0}),
        ((2, 3, 3), {"dim1": -1, "dim2": -2}),
        ((0, 3), {}),
    ]
    out = [Sample((make(rng, s, dtype),), kw) for s, kw in cases]
    out.append(Sample((make(rng, (4, 3), dtype, noncontiguous=True),), {"offset": -1}))
    return out


def _triangle_samples(rng, dtype):
    cases = [((4, 4), 0), ((3, 5), 1), ((3, 5), -1), ((2, 3, 4), 0), ((3, 3), 4), ((3, 3), -4)]
    out = [Sample((make(rng, s, dtype),), {"diagonal": d}) for s, d in cases]
    out.append(Sample((make(rng, (3, 4), dtype, noncontiguous=True),), {"diagonal": 0}))
    out.append(Sample((make(rng, (0, 2), dtype),), {"diagonal": 0}))
    return out


def _np_diagonal(x, offset=0, dim1=0, dim2=1):
    return np.diagonal(x, offset, dim1, dim2)


def _np_outer(a, b):
    return np.multiply.outer(a, b)


def _linear_ref(x, w, b=None):
    out = x @ w.T
    return out if b is None else out + b


def _torch_linear(x, w, b=None):
    import torch

    return torch.nn.functional.linear(x, w, b)


def _linear_samples(rng, dtype):
    """(input, weight[, bias]): a batch, extra leading dims, a vector, no bias, an empty batch,
    a non-contiguous input."""
    return [
        Sample((make(rng, (4, 3), dtype), make(rng, (2, 3), dtype), make(rng, (2,), dtype))),
        Sample((make(rng, (2, 3, 3), dtype), make(rng, (5, 3), dtype), make(rng, (5,), dtype))),
        Sample((make(rng, (3,), dtype), make(rng, (2, 3), dtype), make(rng, (2,), dtype))),
        Sample((make(rng, (4, 3), dtype), make(rng, (2, 3), dtype))),
        Sample((make(rng, (0, 3), dtype), make(rng, (2, 3), dtype), make(rng, (2,), dtype))),
        Sample((make(rng, (4, 3), dtype, noncontiguous=True), make(rng, (2, 3), dtype),
                make(rng, (1,), dtype))),
    ]


OPS = [
    OpInfo("matmul", chainrule.matmul, np.matmul, _pairs(MATMUL_SHAPES), _torch("matmul")),
    OpInfo(
        "matmul_noncontiguous",
        chainrule.matmul,
        np.matmul,
        _pairs([((3, 4), (4, 2)), ((2, 3, 4), (4, 2))], [((3, 4), (4, 2)), ((2, 3, 4), (4, 2))]),
        _torch("matmul"),
    ),
    OpInfo("mm", chainrule.mm, np.matmul, _pairs(MATRIX_SHAPES), _torch("mm")),
    OpInfo(
        "bmm",
        chainrule.bmm,
        np.matmul,
        _pairs([((2, 3, 4), (2, 4, 5)), ((1, 2, 2), (1, 2, 3))]),
        _torch("bmm"),
    ),
    OpInfo("dot", chainrule.dot, np.dot, _pairs([((3,), (3,)), ((1,), (1,))]), _torch("dot")),
    OpInfo(
        "outer",
        chainrule.outer,
        _np_outer,
        _pairs([((3,), (4,)), ((1,), (2,)), ((0,), (2,))]),
        _torch("outer"),
    ),
    _einsum_op("einsum_contraction", EINSUM_CONTRACTIONS),
    _einsum_op("einsum_diagonal", EINSUM_DIAGONALS),
    _einsum_op("einsum_ellipsis", EINSUM_ELLIPSIS),
    _einsum_op("einsum_rearrange", EINSUM_REARRANGE),
    OpInfo("diagonal", chainrule.diagonal, _np_diagonal, _diagonal_samples, _torch("diagonal")),
    OpInfo(
        "tril",
        chainrule.tril,
        lambda x, diagonal: np.tril(x, diagonal),
        _triangle_samples,
        _torch("tril"),
    ),
    OpInfo(
        "triu",
        chainrule.triu,
        lambda x, diagonal: np.triu(x, diagonal),
        _triangle_samples,
        _torch("triu"),
    ),
    OpInfo(
        "trace", chainrule.trace, np.trace, _matrices([(3, 3), (3, 5), (4, 2)]), _torch("trace")
    ),
    OpInfo("linear", chainrule.ops.linalg.linear, _linear_ref, _linear_samples,
           _torch_linear),
]
