"""DataLoader: batches from a dataset, in order or shuffled, in this process or in workers.

With ``num_workers > 0``, worker processes fetch and collate whole batches. The main process
hands batch ``k`` to worker ``k % num_workers`` (keeping ``prefetch_factor`` batches per worker
in flight) and yields results strictly in order, so the batches are the same as with
``num_workers=0``. An exception in a worker is raised in the main process, with the worker's
traceback in its message.
"""

from __future__ import annotations

import collections.abc
import multiprocessing
import os
import pickle
import queue
import random as _py_random
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ... import random
from ...tensor import Tensor
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

_COLLATE_ERROR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def default_collate(batch: list) -> Any:
    """Merge a list of samples into a batch, as PyTorch's ``default_collate`` does.

    Tensors and NumPy arrays are stacked along a new first dim; Python floats become a float64
    tensor, ints an int64 tensor, bools a bool tensor; strings stay a list; dicts, named tuples
    and sequences are collated field by field (a tuple of fields becomes a list).

    Example:
        >>> import chainrule
        >>> from chainrule.utils.data import default_collate
        >>> default_collate([(chainrule.zeros(2), 0), (chainrule.ones(2), 1)])
        [tensor([[0., 0.],
                [1., 1.]]), tensor([0, 1])]
    """
    elem = batch[0]
    if isinstance(elem, (Tensor, np.ndarray)):
        arrays = [b.data if isinstance(b, Tensor) else b for b in batch]
        if isinstance(elem, np.ndarray) and elem.dtype.kind in "OUSV":
            raise TypeError(_COLLATE_ERROR.format(f"an array of dtype {elem.dtype}"))
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:
            raise RuntimeError(
                f"default_collate: stack expects each tensor to be equal size, "
                f"but got shapes {[tuple(a.shape) for a in arrays]}"
            )
        return Tensor(np.stack(arrays))
    if isinstance(elem, np.generic) and elem.dtype.kind not in "OUSV":
        return Tensor(np.array(batch))
    if isinstance(elem, bool):
        return Tensor(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor(np.array(batch, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor(np.array(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        merged = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(merged)
        except TypeError:
            return merged
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple
        return type(elem)(*(default_collate(field) for field in zip(*batch, strict=True)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(b) != len(elem) for b in batch):
            raise RuntimeError(
                f"default_collate: each element in list of batch should be of "
                f"equal size, got sizes {[len(b) for b in batch]}"
            )
        fields = [default_collate(field) for field in zip(*batch, strict=True)]
        if isinstance(elem, tuple):
            return fields
        try:
            return type(elem)(fields)
        except TypeError:
            return fields
    raise TypeError(_COLLATE_ERROR.format(type(elem).__name__))


def default_convert(data: Any) -> Any:
    """Turn NumPy arrays and scalars inside ``data`` into tensors (used when batch_size=None)."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "OUSV":
        return Tensor(data)
    if isinstance(data, np.generic) and data.dtype.kind not in "OUSV":
        return Tensor(np.array(data))
    if isinstance(data, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (list, tuple)):
        return type(data)(default_convert(d) for d in data)
    return data


@dataclass(frozen=True)
class WorkerInfo:
    """What :func:`get_worker_info` returns inside a worker process."""

    id: int
    num_workers: int
    seed: int
    dataset: Dataset


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker: its ``id``, ``num_workers``, ``seed`` and ``dataset`` copy.
    None in the main process. An IterableDataset uses it to give each worker its own share."""
    return _worker_info


class DataLoader:
    """Iterate over ``dataset`` in batches, as ``torch.utils.data.DataLoader``.

    Args:
        dataset: a map-style :class:`Dataset` (anything with ``__getitem__`` and ``__len__``)
            or an :class:`IterableDataset`.
        batch_size: samples per batch; None yields samples one by one, uncollated.
        shuffle: visit the samples in a new random order each epoch (from ``generator``).
        sampler, batch_sampler: custom orders of indices, or of lists of indices.
        num_workers: worker processes fetching batches (0: fetch in this process).
        collate_fn: merges a list of samples into a batch (default :func:`default_collate`).
        pin_memory: accepted for PyTorch compatibility; on the CPU there is nothing to pin.
        drop_last: drop the last batch if it is smaller than ``batch_size``.
        timeout: seconds to wait for a worker's batch before raising (0: wait indefinitely).
        worker_init_fn: called with the worker id in each worker, after seeding.
        multiprocessing_context: "fork", "spawn", "forkserver" or a context; with spawn the
            dataset and functions must be picklable (defined at module level).
        generator: seeds shuffling and the workers' base seed.
        prefetch_factor: batches in flight per worker (default 2).

    Example:
        >>> import chainrule
        >>> from chainrule.utils.data import DataLoader, TensorDataset
        >>> ds = TensorDataset(chainrule.arange(5))
        >>> [batch[0].tolist() for batch in DataLoader(ds, batch_size=2)]
        [[0, 1], [2, 3], [4]]
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler | Iterable | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context=None,
        generator: random.Generator | None = None,
        *,
        prefetch_factor: int | None = None,
    ) -> None:
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to "
                "disable multiprocessing"
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if prefetch_factor is not None and num_workers == 0:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing;"
                " let num_workers > 0 to enable multiprocessing"
            )
        self.iterable = isinstance(dataset, IterableDataset)
        if self.iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError(
                "DataLoader with IterableDataset: expected unspecified shuffle, "
                "sampler and batch_sampler options; the dataset sets the order"
            )
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (
            batch_size != 1 or shuffle or sampler is not None or drop_last
        ):
            raise ValueError(
                "batch_sampler option is mutually exclusive with batch_size, "
                "shuffle, sampler, and drop_last"
            )
        if batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually "
                "exclusive with drop_last"
            )
        if sampler is None and not self.iterable:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        if batch_size is not None and batch_sampler is None and not self.iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.num_workers, self.timeout, self.worker_init_fn = num_workers, timeout, worker_init_fn
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers else prefetch_factor
        self.pin_memory, self.multiprocessing_context = pin_memory, multiprocessing_context
        self.auto_collation = batch_sampler is not None or (
            self.iterable and batch_size is not None
        )
        self.collate_fn = collate_fn or (
            default_collate if self.auto_collation else default_convert
        )

    def __len__(self) -> int:
        if self.iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self) -> Iterator:
        fetch = _Fetcher(
            self.dataset,
            self.iterable,
            self.auto_collation,
            self.collate_fn,
            self.batch_size,
            self.drop_last,
        )
        tasks = self.batch_sampler if self.batch_sampler is not None else self.sampler
        # drawn in both modes (as PyTorch does), so a seeded shuffle is the same either way
        base_seed = int(random.randint(0, 2**62, (1,), generator=self.generator).item())
        if self.num_workers == 0:
            return _single_process(fetch, tasks)
        return _multi_process(self, fetch, tasks, base_seed)


class _Fetcher:
    """Fetch one batch: by indices for a map-style dataset, or the next one from a stream."""

    def __init__(self, dataset, iterable, auto_collation, collate_fn, batch_size, drop_last):
        self.dataset, self.iterable, self.auto_collation = dataset, iterable, auto_collation
        self.collate_fn, self.batch_size, self.drop_last = collate_fn, batch_size, drop_last
        self.stream = None

    def __call__(self, indices):
        if self.iterable:
            if self.stream is None:
                self.stream = iter(self.dataset)
            if not self.auto_collation:
                return self.collate_fn(next(self.stream))
            batch = [x for _, x in zip(range(self.batch_size), self.stream, strict=False)]
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                raise StopIteration
            return self.collate_fn(batch)
        if not self.auto_collation:
            return self.collate_fn(self.dataset[indices])
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(indices) if getitems else [self.dataset[i] for i in indices]
        return self.collate_fn(samples)


def _single_process(fetch: _Fetcher, tasks) -> Iterator:
    if fetch.iterable:
        while True:
            try:
                batch = fetch(None)
            except StopIteration:
                return
            yield batch
    for task in tasks:
        yield fetch(task)


# -- worker processes ------------------------------------------------------------------------
_END = "end"  # a worker's stream is exhausted
_POLL = 1.0  # seconds between liveness checks while waiting


def _worker_loop(
    worker_id: int,
    num_workers: int,
    seed: int,
    fetch: _Fetcher,
    init_fn,
    tasks: multiprocessing.Queue,
    results: multiprocessing.Queue,
) -> None:
    """Fetch the batches the main process asks for until it sends None (or goes away)."""
    global _worker_info
    _worker_info = WorkerInfo(worker_id, num_workers, seed, fetch.dataset)
    _py_random.seed(seed)
    random.manual_seed(seed)
    np.random.seed(seed % 2**32)
    parent = os.getppid()
    init_error = None
    if init_fn is not None:
        try:
            init_fn(worker_id)
        except Exception as error:  # reported with the first batch asked for
            init_error = _describe(error, worker_id)
    while True:
        try:
            task = tasks.get(timeout=_POLL)
        except queue.Empty:
            if os.getppid() != parent:  # the main process died: do not linger
                return
            continue
        if task is None:
            return
        task_id, indices = task
        if init_error is not None:
            results.put((task_id, "error", init_error))
            continue
        try:
            results.put((task_id, "data", pickle.dumps(fetch(indices), pickle.HIGHEST_PROTOCOL)))
        except StopIteration:
            results.put((task_id, _END, None))
        except Exception as error:
            results.put((task_id, "error", _describe(error, worker_id)))


def _describe(error: Exception, worker_id: int) -> tuple:
    """The exception's type (if it can travel) and a message carrying the worker's traceback."""
    text = (
        f"Caught {type(error).__name__} in DataLoader worker process {worker_id}.\n"
        f"Original {traceback.format_exc()}"
    )
    try:
        pickle.loads(pickle.dumps(type(error)))
        return type(error), text
    except Exception:
        return None, text


def _raise_from_worker(exc_type, text: str):
    try:
        error = exc_type(text) if exc_type is not None else None
    except Exception:
        error = None
    if not isinstance(error, BaseException):
        error = RuntimeError(text)
    raise error


def _multi_process(loader: DataLoader, fetch: _Fetcher, tasks, base_seed: int) -> Iterator:
    """Run the workers for one pass; yield their batches in task order."""
    context = loader.multiprocessing_context
    if context is None or isinstance(context, str):
        context = multiprocessing.get_context(context)
    n = loader.num_workers
    results = context.Queue()
    inboxes = [context.Queue() for _ in range(n)]
    workers = []
    try:
        for i in range(n):
            worker = context.Process(
                target=_worker_loop,
                daemon=True,
                args=(i, n, base_seed + i, fetch, loader.worker_init_fn, inboxes[i], results),
            )
            worker.start()
            workers.append(worker)
        yield from _in_order(loader, workers, inboxes, results, tasks)
    finally:
        _shutdown(workers, inboxes, results)


def _in_order(loader, workers, inboxes, results, tasks) -> Iterator:
    n = len(workers)
    task_ids = iter(range(2**62))
    task_source = iter(tasks) if not loader.iterable else None
    active = [True] * n
    owner: dict[int, int] = {}  # task id -> worker
    done: dict[int, tuple] = {}
    next_worker, next_to_yield = 0, 0

    def dispatch() -> bool:
        nonlocal next_worker
        if not any(active):
            return False
        while not active[next_worker]:
            next_worker = (next_worker + 1) % n
        if task_source is None:
            indices = None
        else:
            indices = next(task_source, _END)
            if indices is _END:
                return False
        task_id = next(task_ids)
        owner[task_id] = next_worker
        inboxes[next_worker].put((task_id, indices))
        next_worker = (next_worker + 1) % n
        return True

    for _ in range(loader.prefetch_factor * n):
        if not dispatch():
            break
    while next_to_yield in owner:
        while next_to_yield not in done:
            task_id, kind, payload = _get(results, workers, loader.timeout)
            done[task_id] = (kind, payload)
        kind, payload = done.pop(next_to_yield)
        worker = owner.pop(next_to_yield)
        next_to_yield += 1
        if kind == "error":
            _raise_from_worker(*payload)
        if kind == _END:
            active[worker] = False
            dispatch()  # keep the other workers busy
            continue
        dispatch()
        yield pickle.loads(payload)


def _get(results, workers, timeout: float):
    """The next result, checking that the workers are alive while waiting."""
    start = time.monotonic()
    while True:
        try:
            return results.get(timeout=_POLL if not timeout else min(_POLL, timeout))
        except queue.Empty:
            dead = [w for w in workers if not w.is_alive()]
            if dead:
                raise RuntimeError(
                    f"DataLoader worker (pid {dead[0].pid}) exited unexpectedly with exit code "
                    f"{dead[0].exitcode}"
                ) from None
            if timeout and time.monotonic() - start >= timeout:
                raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None


def _shutdown(workers, inboxes, results) -> None:
    for worker, inbox in zip(workers, inboxes, strict=False):
        if worker.is_alive():
            inbox.put(None)
    for worker in workers:
        worker.join(timeout=1)
        if worker.is_alive():
            worker.terminate()
            worker.join()
    for q in (*inboxes, results):
        q.cancel_join_thread()
        q.close()
