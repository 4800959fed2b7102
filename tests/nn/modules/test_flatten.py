"""nn.Flatten and nn.Unflatten: shapes vs NumPy, gradients, repr, errors, torch."""

import numpy as np
import pytest

import chainrule
from chainrule import ShapeError, nn


@pytest.mark.parametrize("start,end,expected", [(1, -1, (2, 60)), (0, -1, (120,)),
                                                (1, 2, (2, 12, 5)), (-2, -1, (2, 3, 20))])
def test_flatten_shapes_and_values(rng, start, end, expected):
    x = rng.standard_normal((2, 3, 4, 5))
    out = nn.Flatten(start, end)(chainrule.tensor(x))
    assert out.shape == expected
    np.testing.assert_array_equal(out.data, x.reshape(expected))


def test_flatten_and_unflatten_pass_gradients_back_in_shape(rng):
    x = chainrule.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    y = nn.Unflatten(1, (3, 4))(nn.Flatten()(x))
    assert y.shape == (2, 3, 4)
    (y * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((2, 3, 4), 2.0))


def test_unflatten_accepts_minus_one_and_checks_sizes():
    assert nn.Unflatten(-1, (2, -1))(chainrule.ones(3, 8)).shape == (3, 2, 4)
    with pytest.raises(ShapeError):
        nn.Unflatten(1, (3, 3))(chainrule.ones(2, 8))
    with pytest.raises(TypeError, match="Unflatten: unflattened_size must be a tuple of ints"):
        nn.Unflatten(1, 4)


def test_repr_and_results_match_torch(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 6, 2)).astype(np.float32)
    pairs = [(nn.Flatten(), torch.nn.Flatten()), (nn.Flatten(0, 1), torch.nn.Flatten(0, 1)),
             (nn.Unflatten(1, (2, 3)), torch.nn.Unflatten(1, (2, 3)))]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        np.testing.assert_array_equal(ours(chainrule.tensor(x)).data,
                                      theirs(torch.tensor(x)).numpy())
