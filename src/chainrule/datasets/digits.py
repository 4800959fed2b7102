"""The bundled UCI handwritten digits: 1,797 images of 8x8 pixels, labels 0..9 (see DIGITS.md).

The train/test split is fixed: the test set is the first ``TEST_SIZE`` (360, about 20 %) indices
of ``numpy.random.default_rng(0).permutation(1797)``, the training set the other 1,437, each in
that permuted order. Every run, machine and process sees the same split.
"""

from __future__ import annotations

import functools
import gzip
from collections.abc import Callable
from importlib import resources
from typing import Any

import numpy as np

from ..tensor import Tensor
from ..utils.data import Dataset

__all__ = ["load_digits", "Digits", "TEST_SIZE", "SPLIT_SEED"]

N_SAMPLES = 1797
TEST_SIZE = 360
SPLIT_SEED = 0
_MAX_PIXEL = 16  # the UCI images count set pixels in 4x4 blocks: values 0..16


@functools.lru_cache(maxsize=1)
def _parse() -> tuple[np.ndarray, np.ndarray]:
    """The CSV parsed once per process: (pixels uint8 (1797, 64), labels int64 (1797,))."""
    data = resources.files(__package__).joinpath("data", "digits.csv.gz").read_bytes()
    table = np.loadtxt(gzip.decompress(data).decode("ascii").splitlines(), delimiter=",",
                       dtype=np.int64)
    if table.shape != (N_SAMPLES, 65):
        raise RuntimeError(f"load_digits: the bundled digits.csv.gz has shape {table.shape}, "
                           f"expected ({N_SAMPLES}, 65); the package data is damaged")
    pixels, labels = table[:, :64].astype(np.uint8), table[:, 64]
    pixels.setflags(write=False)
    labels.setflags(write=False)
    return pixels, labels


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 digits as NumPy arrays (not Tensors), in the file's order.

    Returns:
        ``(images, labels)``: images float32 of shape (1797, 8, 8) scaled to [0, 1] (pixel / 16),
        labels int64 of shape (1797,) with values 0..9. Both are fresh, writable copies.

    Example:
        >>> from chainrule.datasets import load_digits
        >>> images, labels = load_digits()
        >>> images.shape, images.dtype, labels.dtype, float(images.max()), labels[:5].tolist()
        ((1797, 8, 8), dtype('float32'), dtype('int64'), 1.0, [0, 1, 2, 3, 4])
    """
    pixels, labels = _parse()
    images = pixels.reshape(N_SAMPLES, 8, 8).astype(np.float32) / np.float32(_MAX_PIXEL)
    return images, labels.copy()


def _split_indices(train: bool) -> np.ndarray:
    """Indices (into :func:`load_digits`' order) of the fixed training or test split."""
    order = np.random.default_rng(SPLIT_SEED).permutation(N_SAMPLES)
    return order[TEST_SIZE:] if train else order[:TEST_SIZE]


class Digits(Dataset):
    """The bundled digits as a map-style Dataset on the fixed split (1,437 train, 360 test).

    Sample ``i`` is ``(image, label)``: image a float32 Tensor of shape (1, 8, 8) in [0, 1],
    label a Python int (a batch of them collates to an int64 Tensor), each passed through
    ``transform`` / ``target_transform`` when given. ``data`` (float32, (N, 1, 8, 8)) and
    ``targets`` (int64, (N,)) hold the whole split as Tensors, for full-batch work.

    Args:
        train: the training split (True) or the test split (False).
        transform: called on each image Tensor.
        target_transform: called on each label.

    Example:
        >>> from chainrule.datasets import Digits
        >>> train, test = Digits(train=True), Digits(train=False)
        >>> len(train), len(test)
        (1437, 360)
        >>> image, label = test[0]
        >>> image.shape, image.dtype, type(label)
        ((1, 8, 8), chainrule.float32, <class 'int'>)
    """

    classes = [str(d) for d in range(10)]

    def __init__(self, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        images, labels = load_digits()
        index = _split_indices(train)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        self.data = Tensor(np.ascontiguousarray(images[index, None]))
        self.targets = Tensor(labels[index])

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image = Tensor(self.data.data[index].copy())
        label = int(self.targets.data[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def __len__(self) -> int:
        return self.targets.shape[0]

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"Digits(split={split}, samples={len(self)})"
