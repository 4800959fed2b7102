import collections
import os
import time

import numpy as np
import pytest

import chainrule
from chainrule.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    SequentialSampler,
    TensorDataset,
    default_collate,
    get_worker_info,
)

Point = collections.namedtuple("Point", ["x", "label"])


class Records(Dataset):
    """Samples of every kind default_collate handles (module level, so spawn can pickle it)."""

    def __init__(self, n=10):
        self.n = n

    def __getitem__(self, i):
        return {"x": np.full(3, i, dtype=np.float32), "i": i, "w": i / 2, "name": f"s{i}"}

    def __len__(self):
        return self.n


class Explodes(Dataset):
    def __getitem__(self, i):
        if i == 5:
            _explode_on_purpose(i)
        return i

    def __len__(self):
        return 10


def _explode_on_purpose(i):
    raise ValueError(f"sample {i} is broken")


class Dies(Dataset):
    def __getitem__(self, i):
        if i == 3:
            os._exit(3)
        return i

    def __len__(self):
        return 8


class Slow(Dataset):
    def __getitem__(self, i):
        time.sleep(5)
        return i

    def __len__(self):
        return 2


class Sharded(IterableDataset):
    """Yields 0..n-1; each worker takes every num_workers-th item."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))

    def __len__(self):
        return self.n


class SeedReport(Dataset):
    def __getitem__(self, i):
        info = get_worker_info()
        return np.array([info.id, info.seed, chainrule.rand(1).item()])

    def __len__(self):
        return 4


def _batches(loader):
    return [
        {k: v.tolist() if isinstance(v, chainrule.Tensor) else v for k, v in b.items()}
        for b in loader
    ]


def test_batches_in_order_with_last_partial_batch():
    loader = DataLoader(Records(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert batches[0]["i"].tolist() == [0, 1, 2, 3] and batches[2]["i"].tolist() == [8, 9]
    assert batches[0]["x"].shape == (4, 3) and batches[0]["x"].dtype == chainrule.float32
    assert batches[0]["i"].dtype == chainrule.int64 and batches[0]["w"].dtype == chainrule.float64
    assert batches[0]["name"] == ["s0", "s1", "s2", "s3"]


def test_drop_last():
    loader = DataLoader(Records(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [b["i"].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_shuffle_with_seeded_generator_is_reproducible_and_changes_each_epoch():
    ds = TensorDataset(chainrule.arange(20))
    loader = DataLoader(
        ds, batch_size=5, shuffle=True, generator=chainrule.Generator().manual_seed(0)
    )
    epoch1 = [b[0].tolist() for b in loader]
    epoch2 = [b[0].tolist() for b in loader]
    assert sorted(sum(epoch1, [])) == list(range(20)) and epoch1 != epoch2
    again = DataLoader(
        ds, batch_size=5, shuffle=True, generator=chainrule.Generator().manual_seed(0)
    )
    assert [b[0].tolist() for b in again] == epoch1


def test_batch_size_none_yields_converted_samples():
    samples = list(DataLoader(Records(2), batch_size=None))
    assert isinstance(samples[1]["x"], chainrule.Tensor) and samples[1]["x"].shape == (3,)
    assert samples[1]["i"] == 1


def test_custom_sampler_batch_sampler_and_collate_fn():
    loader = DataLoader(
        Records(6), sampler=[5, 0, 3], batch_size=2, collate_fn=lambda b: [s["i"] for s in b]
    )
    assert list(loader) == [[5, 0], [3]]
    loader = DataLoader(
        Records(6), batch_sampler=[[1, 2, 3], [0]], collate_fn=lambda b: [s["i"] for s in b]
    )
    assert list(loader) == [[1, 2, 3], [0]] and len(loader) == 2


def test_option_conflicts_are_rejected():
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(Records(), sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(Records(), batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="IterableDataset"):
        DataLoader(Sharded(4), shuffle=True)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(Records(), num_workers=-1)
    with pytest.raises(ValueError, match="drop_last"):
        DataLoader(Records(), batch_size=None, drop_last=True)


def test_iterable_dataset_batches_and_len():
    loader = DataLoader(Sharded(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(loader) == 3
    assert [b.tolist() for b in DataLoader(Sharded(7), batch_size=3, drop_last=True)] == [
        [0, 1, 2],
        [3, 4, 5],
    ]


# -- default_collate, each kind against torch -----------------------------------------------


def _to_numpy(x):
    """Collated output (chainrule or torch) as nested Python/NumPy for comparison."""
    if hasattr(x, "detach") or isinstance(x, chainrule.Tensor):
        data = x.numpy() if not isinstance(x, chainrule.Tensor) else x.data
        return ("tensor", str(data.dtype), data.tolist())
    if isinstance(x, dict):
        return {k: _to_numpy(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, [_to_numpy(v) for v in x])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_to_numpy(v) for v in x])
    return x


COLLATE_CASES = {
    "ints": [1, 2, 3],
    "floats": [1.5, 2.0],
    "bools": [True, False],
    "strings": ["a", "b"],
    "arrays": [np.arange(3, dtype=np.float32), np.ones(3, dtype=np.float32)],
    "numpy-scalars": [np.float32(1.0), np.float32(2.5)],
    "int-arrays-2d": [np.zeros((2, 2), dtype=np.int64), np.ones((2, 2), dtype=np.int64)],
    "dicts": [{"a": 1, "b": [1.0, 2.0]}, {"a": 2, "b": [3.0, 4.0]}],
    "tuples": [(1, "x", 0.5), (2, "y", 1.5)],
    "lists": [[1, 2], [3, 4]],
    "namedtuples": [Point(np.zeros(2), 0), Point(np.ones(2), 1)],
    "nested": [{"p": (np.zeros(1), {"q": 1})}, {"p": (np.ones(1), {"q": 2})}],
}


@pytest.mark.parametrize("name", COLLATE_CASES)
def test_default_collate_matches_torch(name):
    pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    batch = COLLATE_CASES[name]
    assert _to_numpy(default_collate(batch)) == _to_numpy(torch_collate(batch))


def test_default_collate_stacks_chainrule_tensors():
    out = default_collate([chainrule.zeros(2, 3), chainrule.ones(2, 3)])
    assert out.shape == (2, 2, 3) and out.data[1].sum() == 6


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match=r"equal size, but got shapes \[\(2,\), \(3,\)\]"):
        default_collate([chainrule.zeros(2), chainrule.zeros(3)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])


# -- worker processes ----------------------------------------------------------------------

CONTEXTS = ["fork", "spawn"]


@pytest.mark.parametrize("context", CONTEXTS)
def test_workers_give_the_same_batches_as_the_main_process(context):
    kwargs = {"batch_size": 3, "shuffle": True}
    main = DataLoader(Records(20), generator=chainrule.Generator().manual_seed(4), **kwargs)
    workers = DataLoader(
        Records(20),
        generator=chainrule.Generator().manual_seed(4),
        num_workers=3,
        multiprocessing_context=context,
        **kwargs,
    )
    assert _batches(workers) == _batches(main)


def test_workers_preserve_order_with_slow_and_fast_batches():
    loader = DataLoader(
        TensorDataset(chainrule.arange(40)), batch_size=2, num_workers=4, prefetch_factor=3
    )
    assert [b[0].tolist() for b in loader] == [[i, i + 1] for i in range(0, 40, 2)]


@pytest.mark.parametrize("context", CONTEXTS)
def test_worker_exception_reaches_caller_with_worker_traceback(context):
    loader = DataLoader(Explodes(), batch_size=2, num_workers=2, multiprocessing_context=context)
    with pytest.raises(ValueError) as error:
        list(loader)
    message = str(error.value)
    assert "Caught ValueError in DataLoader worker process" in message
    assert "Traceback (most recent call last)" in message
    assert "_explode_on_purpose" in message and "sample 5 is broken" in message


def test_worker_that_dies_is_reported():
    loader = DataLoader(Dies(), batch_size=1, num_workers=2)
    with pytest.raises(RuntimeError, match="exited unexpectedly with exit code 3"):
        list(loader)


def test_worker_timeout():
    loader = DataLoader(Slow(), batch_size=1, num_workers=1, timeout=0.5)
    with pytest.raises(RuntimeError, match="timed out after 0.5 seconds"):
        list(loader)


def test_iterable_dataset_sharded_across_workers():
    loader = DataLoader(Sharded(10), batch_size=2, num_workers=2)
    batches = [b.tolist() for b in loader]
    assert sorted(sum(batches, [])) == list(range(10))
    assert batches == [b.tolist() for b in DataLoader(Sharded(10), batch_size=2, num_workers=2)]
    assert batches[0] == [0, 2] and batches[1] == [1, 3]  # worker 0, then worker 1


def test_worker_info_and_seeds_differ_per_worker():
    rows = [b.tolist() for b in DataLoader(SeedReport(), batch_size=None, num_workers=2)]
    assert [int(r[0]) for r in rows] == [0, 1, 0, 1]
    assert rows[0][1] + 1 == rows[1][1]  # seeds are base_seed + worker id
    assert rows[0][2] != rows[1][2]  # so their random streams differ
    assert get_worker_info() is None


def test_breaking_out_early_shuts_workers_down():
    import multiprocessing

    loader = DataLoader(TensorDataset(chainrule.arange(100)), batch_size=1, num_workers=2)
    iterator = iter(loader)
    next(iterator)
    iterator.close()
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not multiprocessing.active_children()


def test_len_with_batch_sampler():
    loader = DataLoader(
        Records(10), batch_sampler=BatchSampler(SequentialSampler(range(10)), 3, True)
    )
    assert len(loader) == 3
