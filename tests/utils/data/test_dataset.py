import numpy as np
import pytest

import chainrule
from chainrule.utils.data import (
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return i * i

    def __len__(self):
        return self.n


def test_tensor_dataset_indexes_every_tensor(rng):
    x, y = chainrule.Tensor(rng.normal(size=(4, 3))), chainrule.arange(4)
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    xi, yi = ds[2]
    np.testing.assert_array_equal(xi.data, x.data[2])
    assert yi.item() == 2


def test_tensor_dataset_size_mismatch_names_the_sizes():
    with pytest.raises(ValueError, match=r"Size mismatch.*\[3, 4\]"):
        TensorDataset(chainrule.zeros(3), chainrule.zeros(4))


def test_subset_maps_indices():
    sub = Subset(Squares(10), [7, 2, 5])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [49, 4, 25]
    assert sub.__getitems__([0, 2]) == [49, 25]


def test_concat_dataset_and_add():
    ds = Squares(3) + Squares(2)
    assert isinstance(ds, ConcatDataset) and len(ds) == 5
    assert [ds[i] for i in range(5)] == [0, 1, 4, 0, 1]
    assert ds[-1] == 1 and ds[-5] == 0
    with pytest.raises(IndexError):
        ds[5]
    with pytest.raises(IndexError):
        ds[-6]


def test_concat_dataset_rejects_empty_and_iterable():
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])
    with pytest.raises(TypeError, match="IterableDataset"):
        ConcatDataset([IterableDataset()])


def test_random_split_is_a_seeded_partition():
    parts = random_split(Squares(10), [3, 7], generator=chainrule.Generator().manual_seed(1))
    again = random_split(Squares(10), [3, 7], generator=chainrule.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    assert parts[0].indices == again[0].indices
    other = random_split(Squares(10), [3, 7], generator=chainrule.Generator().manual_seed(2))
    assert other[0].indices + other[1].indices != parts[0].indices + parts[1].indices


def test_random_split_with_fractions_deals_the_remainder_like_torch():
    torch = pytest.importorskip("torch")
    for n, fractions in [(10, [0.3, 0.3, 0.4]), (7, [0.5, 0.5]), (11, [0.1, 0.2, 0.7])]:
        ours = [len(p) for p in random_split(Squares(n), fractions)]
        theirs = [len(p) for p in torch.utils.data.random_split(range(n), fractions)]
        assert ours == theirs


def test_random_split_rejects_bad_lengths():
    with pytest.raises(ValueError, match="summing to the dataset's length 10"):
        random_split(Squares(10), [3, 3])
    with pytest.warns(UserWarning, match="index 1 is 0"):
        random_split(Squares(2), [0.9, 0.1])


def test_base_classes_are_abstract():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(NotImplementedError):
        iter(IterableDataset())
