"""Datasets: indexable collections of samples (and iterable streams of them)."""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Any

from ... import random
from ...tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and usually ``__len__``."""

    def __getitem__(self, index) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__``. With DataLoader workers, each
    worker iterates its own copy; use :func:`get_worker_info` to give each a different share."""

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class TensorDataset(Dataset):
    """Sample ``i`` is ``tuple(t[i] for t in tensors)``; all tensors share their first size.

    Example:
        >>> import chainrule
        >>> from chainrule.utils.data import TensorDataset
        >>> ds = TensorDataset(chainrule.arange(3), chainrule.tensor([1.0, 2.0, 3.0]))
        >>> len(ds), ds[1]
        (3, (tensor(1), tensor(2.)))
    """

    def __init__(self, *tensors: Tensor) -> None:
        sizes = [t.shape[0] if t.ndim else None for t in tensors]
        if not tensors or any(n != sizes[0] for n in sizes) or sizes[0] is None:
            raise ValueError(
                f"Size mismatch between tensors: TensorDataset needs tensors with "
                f"the same size along dim 0, got sizes {sizes}"
            )
        self.tensors = tensors

    def __getitem__(self, index) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list[int]) -> list:
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems is not None:
            return getitems([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several map-style datasets one after the other."""

    def __init__(self, datasets: Sequence[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for i, d in enumerate(self.datasets):
            if isinstance(d, IterableDataset):
                raise TypeError(f"ConcatDataset does not support IterableDataset (dataset {i})")
        self.cumulative_sizes = list(accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int):
        if index < 0:
            if -index > len(self):
                raise IndexError(
                    f"index {index} is out of range for ConcatDataset of length {len(self)}"
                )
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        if which == len(self.datasets):
            raise IndexError(
                f"index {index} is out of range for ConcatDataset of length {len(self)}"
            )
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def random_split(
    dataset: Dataset, lengths: Sequence[int | float], generator: random.Generator | None = None
) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping subsets of the given lengths.

    ``lengths`` may be fractions summing to 1: each gets ``floor(frac * len(dataset))``
    samples, and the remainder is dealt one by one from the first subset on (as PyTorch does).

    Example:
        >>> import chainrule
        >>> from chainrule.utils.data import random_split
        >>> g = chainrule.Generator().manual_seed(0)
        >>> train, test = random_split(range(10), [0.8, 0.2], generator=g)
        >>> len(train), len(test), sorted([*train, *test]) == list(range(10))
        (8, 2, True)
    """
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1 and sum(lengths) != n:
        counts = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(
                    f"random_split: length of split at index {i} is 0; this might "
                    "result in an empty dataset",
                    UserWarning,
                    stacklevel=2,
                )
        lengths = counts
    if any(not isinstance(k, int) or k < 0 for k in lengths) or sum(lengths) != n:
        raise ValueError(
            f"random_split: lengths {list(lengths)} must be non-negative integers "
            f"summing to the dataset's length {n}, or fractions summing to 1"
        )
    order = random.randperm(n, generator=generator).tolist()
    return [
        Subset(dataset, order[end - k : end])
        for end, k in zip(accumulate(lengths), lengths, strict=True)
    ]
