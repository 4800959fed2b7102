"""Autograd metadata on tensors: requires_grad, grad_fn, next_functions, is_leaf, detach."""

import numpy as np
import pytest

import chainrule
from chainrule.autograd.function import AccumulateGrad


def test_factory_tensor_does_not_require_grad_by_default():
    x = chainrule.tensor([1.0, 2.0])
    assert x.requires_grad is False
    assert x.grad is None
    assert x.grad_fn is None
    assert x.is_leaf


def test_result_of_op_on_tensor_requiring_grad_requires_grad_and_is_not_leaf():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.requires_grad
    assert not y.is_leaf
    assert x.is_leaf


def test_result_of_op_on_constants_has_no_grad_fn():
    y = chainrule.tensor([1.0]) * chainrule.tensor([2.0])
    assert y.grad_fn is None
    assert not y.requires_grad
    assert y.is_leaf


@pytest.mark.parametrize(
    "op, name",
    [
        (lambda x, y: x + y, "AddBackward0"),
        (lambda x, y: x - y, "SubBackward0"),
        (lambda x, y: x * y, "MulBackward0"),
        (lambda x, y: x / y, "DivBackward0"),
        (lambda x, y: -x, "NegBackward0"),
    ],
)
def test_grad_fn_name_is_pytorchs(op, name):
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    y = chainrule.tensor([3.0, 4.0], requires_grad=True)
    assert op(x, y).grad_fn.name() == name


def test_next_functions_of_mul_are_the_leaves_accumulate_grad_nodes():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    y = chainrule.tensor([3.0, 4.0], requires_grad=True)
    edges = (x * y).grad_fn.next_functions
    assert len(edges) == 2
    (node_x, nr_x), (node_y, nr_y) = edges
    assert isinstance(node_x, AccumulateGrad) and isinstance(node_y, AccumulateGrad)
    assert node_x.variable is x and node_y.variable is y
    assert (nr_x, nr_y) == (0, 0)


def test_next_functions_has_none_for_an_input_that_does_not_require_grad():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    (node_x, _), (node_c, _) = (x * chainrule.tensor([3.0, 4.0])).grad_fn.next_functions
    assert node_x.variable is x
    assert node_c is None


def test_next_functions_links_to_the_producing_node():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    b = a + 1
    ((node, nr), _) = b.grad_fn.next_functions
    assert node is a.grad_fn
    assert nr == 0


def test_every_use_of_a_leaf_shares_one_accumulate_grad_node():
    x = chainrule.tensor([1.0], requires_grad=True)
    first = (x * 2).grad_fn.next_functions[0][0]
    second = (x + 3).grad_fn.next_functions[0][0]
    assert first is second


def test_requires_grad_on_integer_tensor_is_refused():
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype"):
        chainrule.tensor([1, 2], requires_grad=True)
    x = chainrule.tensor([1, 2])
    with pytest.raises(RuntimeError, match="floating point"):
        x.requires_grad_()
    assert x.requires_grad is False


def test_requires_grad_on_integer_tensor_error_is_also_a_dtype_error():
    with pytest.raises(chainrule.DTypeError, match="int64"):
        chainrule.tensor([1, 2]).requires_grad = True


def test_requires_grad_underscore_sets_flag_in_place_and_returns_self():
    x = chainrule.tensor([1.0, 2.0])
    assert x.requires_grad_() is x
    assert x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad


def test_requires_grad_cannot_be_changed_on_non_leaf():
    x = chainrule.tensor([1.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    assert y.requires_grad


def test_detach_shares_data_and_has_no_grad():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad
    assert d.grad_fn is None
    assert d.is_leaf
    assert np.shares_memory(d.data, y.data)
    d.data[0] = 7.0
    assert y.data[0] == 7.0


def test_detached_tensor_stops_gradient_flow():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x.detach()).sum()  # d/dx = x.detach(), the detached factor is a constant
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 2.0])


def test_detach_underscore_turns_a_non_leaf_into_a_leaf_in_place():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert y.grad_fn is None
    assert not y.requires_grad
    assert y.is_leaf
    z = y * 3
    assert not z.requires_grad


def test_requires_grad_false_input_gives_no_gradient():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    c = chainrule.tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])


def test_repr_shows_grad_fn_and_requires_grad():
    x = chainrule.tensor([1.0], requires_grad=True)
    assert "requires_grad=True" in repr(x)
    assert "grad_fn=<MulBackward0>" in repr(x * 2)


def test_next_functions_names_which_output_of_a_multi_output_node_was_used():
    class Halves(chainrule.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.data[:1] * 1.0, x.data[1:] * 1.0

        @staticmethod
        def backward(ctx, grad_first, grad_second):
            return chainrule.cat([grad_first, grad_second])

    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    first, second = Halves.apply(x)
    z = second * 3.0 + first
    (mul_node, mul_nr), (first_node, first_nr) = z.grad_fn.next_functions
    assert (first_node, first_nr) == (first.grad_fn, 0)
    assert mul_node.next_functions[0] == (second.grad_fn, 1)  # the second output: number 1
    assert first.grad_fn is second.grad_fn
    z.sum().backward()
    assert x.grad.tolist() == [1.0, 3.0]  # each gradient reached its own output's slot
