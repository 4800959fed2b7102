import numpy as np
import pytest

import chainrule
from chainrule.utils.data import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)


def test_sequential_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    assert len(SequentialSampler(range(4))) == 4


def test_random_sampler_is_a_permutation_reproducible_with_a_generator():
    sampler = RandomSampler(range(20), generator=chainrule.Generator().manual_seed(3))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == list(range(20)) and first != second  # a new order each pass
    again = RandomSampler(range(20), generator=chainrule.Generator().manual_seed(3))
    assert list(again) == first


def test_random_sampler_follows_manual_seed_without_a_generator():
    chainrule.manual_seed(5)
    a = list(RandomSampler(range(20)))
    chainrule.manual_seed(5)
    assert list(RandomSampler(range(20))) == a


def test_random_sampler_num_samples_and_replacement():
    g = chainrule.Generator().manual_seed(0)
    drawn = list(RandomSampler(range(5), num_samples=12, generator=g))
    assert len(drawn) == 12 and all(drawn.count(i) >= 2 for i in range(5))
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=300, generator=g))
    assert len(drawn) == 300 and set(drawn) == {0, 1, 2}
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(range(3), replacement=1)


def test_subset_random_sampler_permutes_the_given_indices():
    sampler = SubsetRandomSampler([10, 20, 30, 40], generator=chainrule.Generator().manual_seed(0))
    assert sorted(sampler) == [10, 20, 30, 40] and len(sampler) == 4


def test_weighted_sampler_with_replacement_follows_the_weights():
    weights = [0.0, 1.0, 3.0]
    drawn = np.array(
        list(WeightedRandomSampler(weights, 20000, generator=chainrule.Generator().manual_seed(0)))
    )
    counts = np.bincount(drawn, minlength=3) / len(drawn)
    assert counts[0] == 0
    np.testing.assert_allclose(counts[1:], [0.25, 0.75], atol=0.02)


def test_weighted_sampler_without_replacement_draws_distinct_nonzero_indices():
    g = chainrule.Generator().manual_seed(0)
    for _ in range(20):
        drawn = list(
            WeightedRandomSampler([1.0, 0.0, 2.0, 5.0, 1.0], 4, replacement=False, generator=g)
        )
        assert len(set(drawn)) == 4 and 1 not in drawn
    firsts = [
        next(iter(WeightedRandomSampler([1.0, 9.0], 1, replacement=False, generator=g)))
        for _ in range(2000)
    ]
    assert abs(np.mean(firsts) - 0.9) < 0.03


def test_weighted_sampler_errors():
    with pytest.raises(ValueError, match="1d sequence"):
        WeightedRandomSampler([[1.0, 2.0]], 2)
    with pytest.raises(ValueError, match="without replacement from 1 non-zero"):
        WeightedRandomSampler([0.0, 1.0], 2, replacement=False)
    with pytest.raises(ValueError, match="num_samples"):
        WeightedRandomSampler([1.0], 0)


@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_groups_and_len(drop_last):
    sampler = BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=drop_last)
    batches = list(sampler)
    assert batches == ([[0, 1, 2], [3, 4, 5]] + ([] if drop_last else [[6]]))
    assert len(sampler) == len(batches)


def test_batch_sampler_validates_arguments():
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(range(3), True, False)
    with pytest.raises(TypeError, match="drop_last"):
        BatchSampler(range(3), 2, None)
