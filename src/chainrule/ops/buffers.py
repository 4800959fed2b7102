"""Reused NumPy buffers: a small pool of large arrays, handed out again once unreferenced.

A buffer goes back into use only when its reference count shows that nothing (an array, a
view, a Tensor, a graph node) holds it, so a result the caller keeps is never overwritten.
The pool keeps at most ``_POOL_PER_SHAPE`` buffers for each of ``_POOL_SHAPES`` shapes.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict

import numpy as np

__all__ = ["scratch"]

_POOL: OrderedDict[tuple, list[np.ndarray]] = OrderedDict()  # (shape, dtype) -> buffers
_POOL_LOCK = threading.Lock()
_POOL_MIN_BYTES = 1 << 20  # the outputs of cnn_step's convolutions are 1.5-3 MiB
_POOL_SHAPES = 8  # the least recently used shape is dropped beyond this
_POOL_PER_SHAPE = 4


def _ref_counts(pool: list[np.ndarray]) -> list[int]:
    return [sys.getrefcount(buf) for buf in pool]


# A buffer's count when only its pool list holds it, measured rather than assumed: what the
# interpreter itself adds differs between Python versions.
_FREE = _ref_counts([np.empty(0)])[0]


def scratch(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An uninitialised array, reused from a per-shape pool once nothing else refers to it.

    For arrays rewritten on every call (convolution outputs and column chunks, the LSTM/GRU
    sequence buffers): a fresh array above glibc's mmap threshold (32 MiB at most) is
    page-faulted in each time (cnn_step's convolutions: ~1400 faults a step before their
    outputs were pooled; lstm_step ~4,570). Small arrays are allocated as usual.
    """
    dtype = np.dtype(dtype)
    if int(np.prod(shape)) * dtype.itemsize < _POOL_MIN_BYTES:
        return np.empty(shape, dtype)
    key = (tuple(shape), dtype)
    with _POOL_LOCK:
        pool = _POOL.setdefault(key, [])
        _POOL.move_to_end(key)
        for buf, count in zip(pool, _ref_counts(pool), strict=True):
            if count <= _FREE:  # no array, view or graph node refers to it
                return buf
        buf = np.empty(shape, dtype)
        if len(pool) < _POOL_PER_SHAPE:
            pool.append(buf)
        if len(_POOL) > _POOL_SHAPES:
            _POOL.popitem(last=False)
        return buf
