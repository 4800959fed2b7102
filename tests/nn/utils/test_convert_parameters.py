"""parameters_to_vector and vector_to_parameters: order, round trip, gradients, size errors."""

import numpy as np
import pytest

import chainrule
from chainrule import ShapeError, nn
from chainrule.nn.utils import parameters_to_vector, vector_to_parameters


def test_parameters_to_vector_concatenates_in_order():
    net = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = parameters_to_vector(net.parameters())
    expected = np.concatenate([p.data.ravel() for p in net.parameters()])
    np.testing.assert_array_equal(vec.data, expected)
    assert vec.shape == (11,) and vec.dtype == chainrule.float32


def test_parameters_to_vector_is_differentiable():
    layer = nn.Linear(2, 2)
    (parameters_to_vector(layer.parameters()) * 3).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.data, 3)
    np.testing.assert_array_equal(layer.bias.grad.data, 3)


def test_vector_to_parameters_round_trip_in_place(rng):
    net = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    weight = net[0].weight
    values = rng.standard_normal(11).astype(np.float32)
    vector_to_parameters(chainrule.tensor(values), net.parameters())
    assert net[0].weight is weight  # same Parameter objects, new values
    np.testing.assert_array_equal(parameters_to_vector(net.parameters()).data, values)
    np.testing.assert_array_equal(net[0].weight.data.ravel(), values[:6])


def test_vector_to_parameters_size_check_changes_nothing():
    layer = nn.Linear(2, 2)
    before = layer.weight.data.copy()
    with pytest.raises(ShapeError, match="vector_to_parameters: vec has 5 elements but the "
                                         "parameters have 6 in all"):
        vector_to_parameters(chainrule.ones(5), layer.parameters())
    np.testing.assert_array_equal(layer.weight.data, before)
    with pytest.raises(TypeError, match="expected a Tensor for vec"):
        vector_to_parameters([1.0] * 6, layer.parameters())
    with pytest.raises(ShapeError, match="vec must be 1-D"):
        vector_to_parameters(chainrule.ones(2, 3), layer.parameters())


def test_matches_torch(rng):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    values = rng.standard_normal(8).astype(np.float32)
    vector_to_parameters(chainrule.tensor(values), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(values), theirs.parameters())
    np.testing.assert_array_equal(ours.weight.data, theirs.weight.detach().numpy())
    np.testing.assert_array_equal(parameters_to_vector(ours.parameters()).data,
                                  torch.nn.utils.parameters_to_vector(theirs.parameters())
                                  .detach().numpy())
