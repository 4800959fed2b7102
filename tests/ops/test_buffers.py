"""ops.buffers.scratch: a pooled buffer is handed out again only once nothing refers to it."""

from collections import OrderedDict

import numpy as np

from chainrule.ops import buffers as B


def test_scratch_reuses_a_buffer_only_once_it_is_free():
    shape = (B._POOL_MIN_BYTES // 4 + 1,)
    a = B.scratch(shape, np.float32)
    b = B.scratch(shape, np.float32)
    assert a is not b  # a is still referenced
    ident = id(a)
    del a
    assert id(B.scratch(shape, np.float32)) == ident
    view = B.scratch(shape, np.float32)[1:]
    assert B.scratch(shape, np.float32) is not view.base  # a view keeps its buffer in use
    ident = id(view.base)
    del view
    assert id(B.scratch(shape, np.float32)) == ident
    small = B.scratch((3,), np.float32)
    assert small is not B.scratch((3,), np.float32)


def test_scratch_pool_forgets_the_least_recently_used_shapes(monkeypatch):
    monkeypatch.setattr(B, "_POOL_MIN_BYTES", 0)
    monkeypatch.setattr(B, "_POOL", OrderedDict())
    for n in range(1, B._POOL_SHAPES + 3):
        B.scratch((n,), np.float32)
    assert len(B._POOL) == B._POOL_SHAPES
    assert ((1,), np.dtype(np.float32)) not in B._POOL
