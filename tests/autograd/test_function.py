"""Custom autograd.Function: forward/backward, ctx, saved tensors, apply, higher order."""

import numpy as np
import pytest

import chainrule
from chainrule import autograd
from chainrule.autograd import Function, gradcheck, gradgradcheck


def _leaf(values, dtype=chainrule.float64):
    return chainrule.tensor(values, dtype=dtype, requires_grad=True)


class Cube(Function):
    """out = x³ computed in NumPy; the rule uses chainrule ops, so it is differentiable."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


class ExpSavingOutput(Function):
    """out = exp(x), saving the ndarray it returns: backward reads it as a graph Tensor."""

    @staticmethod
    def forward(ctx, x):
        out = np.exp(x.data)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class SquareWithTensorOps(Function):
    """out = x², computed with chainrule Tensor ops in forward; saves its output Tensor."""

    @staticmethod
    def forward(ctx, x):
        out = x * x
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return grad * 2 * out / x  # = 2x, written through the saved output


def test_apply_returns_a_tensor_with_the_functions_grad_fn():
    x = _leaf([1.0, 2.0])
    y = Cube.apply(x)
    assert isinstance(y, chainrule.Tensor)
    assert y.grad_fn.name() == "CubeBackward"
    assert y.grad_fn.next_functions[0][0].variable is x
    np.testing.assert_array_equal(y.data, [1.0, 8.0])


def test_backward_of_custom_function_gives_its_rule():
    x = _leaf([1.0, 2.0])
    Cube.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 12.0])


def test_apply_on_constants_records_nothing():
    y = Cube.apply(chainrule.tensor([2.0]))
    assert y.grad_fn is None and not y.requires_grad
    assert y.item() == 8.0


def test_apply_under_no_grad_records_nothing():
    x = _leaf([2.0])
    with chainrule.no_grad():
        y = Cube.apply(x)
    assert y.grad_fn is None and not y.requires_grad


def test_saved_input_gives_correct_second_derivative():
    x = _leaf([1.0, 2.0])
    (g,) = autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (gg,) = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.data, [6.0, 12.0])  # 6x
    assert gradcheck(Cube.apply, (x,))
    assert gradgradcheck(Cube.apply, (x,))


def test_saved_output_array_gives_correct_second_derivative():
    x = _leaf([0.5, 1.0])
    (g,) = autograd.grad(ExpSavingOutput.apply(x).sum(), x, create_graph=True)
    (gg,) = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g.data, np.exp([0.5, 1.0]))
    np.testing.assert_allclose(gg.data, np.exp([0.5, 1.0]))
    assert gradgradcheck(ExpSavingOutput.apply, (x,))


def test_forward_with_tensor_ops_returns_a_tensor_node_of_its_own():
    x = _leaf([1.5, -2.0])
    y = SquareWithTensorOps.apply(x)
    assert y.grad_fn.name() == "SquareWithTensorOpsBackward"
    np.testing.assert_allclose(y.data, [2.25, 4.0])
    # forward's own ops are not recorded: the node links straight to x
    assert y.grad_fn.next_functions[0][0].variable is x


def test_forward_with_tensor_ops_saving_its_output_has_correct_double_backward():
    x = _leaf([1.5, -2.0])
    (g,) = autograd.grad(SquareWithTensorOps.apply(x).sum(), x, create_graph=True)
    (gg,) = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g.data, [3.0, -4.0])
    np.testing.assert_allclose(gg.data, [2.0, 2.0])
    assert gradgradcheck(SquareWithTensorOps.apply, (x,))


def test_needs_input_grad_tells_which_inputs_require_grad():
    seen = []

    class Scale(Function):
        @staticmethod
        def forward(ctx, x, y, factor):
            seen.append(ctx.needs_input_grad)
            return x.data * y.data * factor

        @staticmethod
        def backward(ctx, grad):
            return grad, grad, None

    Scale.apply(_leaf([1.0]), chainrule.tensor([2.0], dtype=chainrule.float64), 3.0)
    Scale.apply(chainrule.tensor([1.0]), _leaf([2.0], dtype=chainrule.float32), 3.0)
    assert seen == [(True, False, False), (False, True, False)]


def test_non_tensor_argument_gets_none_gradient_and_is_passed_through():
    class Shift(Function):
        @staticmethod
        def forward(ctx, x, amount):
            ctx.amount = amount
            return x.data + amount

        @staticmethod
        def backward(ctx, grad):
            return grad, None

    x = _leaf([1.0])
    y = Shift.apply(x, 5.0)
    assert y.item() == 6.0
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_mark_non_differentiable_output_does_not_require_grad():
    class SortValues(Function):
        @staticmethod
        def forward(ctx, x):
            order = np.argsort(x.data)
            ctx.order = order
            doubled = x.data * 2
            ctx.mark_non_differentiable(doubled)
            return x.data[order], order, doubled

        @staticmethod
        def backward(ctx, grad_values, grad_order, grad_doubled):
            grad = np.zeros_like(grad_values.data)
            grad[ctx.order] = grad_values.data
            return chainrule.tensor(grad)

    x = _leaf([3.0, 1.0, 2.0])
    values, order, doubled = SortValues.apply(x)
    assert values.requires_grad
    assert not order.requires_grad and order.grad_fn is None  # integer: never differentiable
    assert not doubled.requires_grad and doubled.grad_fn is None  # float, marked
    weights = chainrule.tensor([1.0, 2.0, 3.0], dtype=chainrule.float64)
    (values * weights).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 1.0, 2.0])


def test_multiple_outputs_unused_output_gets_zero_gradient():
    received = []

    class SplitSign(Function):
        @staticmethod
        def forward(ctx, x):
            return x.data * 2, x.data * 3

        @staticmethod
        def backward(ctx, grad_a, grad_b):
            received.append((grad_a.data.copy(), grad_b.data.copy()))
            return grad_a * 2 + grad_b * 3

    x = _leaf([1.0, 2.0])
    a, b = SplitSign.apply(x)
    a.sum().backward()
    np.testing.assert_array_equal(received[0][1], [0.0, 0.0])
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_backward_returning_wrong_number_of_gradients_is_reported():
    class TooMany(Function):
        @staticmethod
        def forward(ctx, x):
            return x.data.copy()

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    with pytest.raises(RuntimeError, match=r"TooManyBackward.*incorrect number of gradients"):
        TooMany.apply(_leaf([1.0])).sum().backward()


def test_function_without_forward_or_backward_says_so():
    class Empty(Function):
        pass

    with pytest.raises(NotImplementedError, match="forward"):
        Empty.apply(_leaf([1.0]))


def test_custom_function_matches_torch_custom_function():
    torch = pytest.importorskip("torch")

    class TorchCube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

    values = [0.5, -1.0, 2.0]
    x = _leaf(values)
    tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    (g,) = autograd.grad((Cube.apply(x) * x).sum(), x, create_graph=True)
    (gg,) = autograd.grad((g * g).sum(), x)
    (tg,) = torch.autograd.grad((TorchCube.apply(tx) * tx).sum(), tx, create_graph=True)
    (tgg,) = torch.autograd.grad((tg * tg).sum(), tx)
    np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gg.data, tgg.numpy(), rtol=1e-12)


def test_once_differentiable_backward_is_a_constant_under_create_graph():
    class Twice(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.data * x.data

        @staticmethod
        @autograd.once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2 * x

    x = _leaf([3.0])
    (g,) = autograd.grad(Twice.apply(x).sum(), x, create_graph=True)
    assert g.item() == 6.0
    assert not g.requires_grad


def test_a_parameter_updated_every_step_does_not_grow_the_shared_version_table():
    # Each step saves the weight at a new version; keeping every version tuple alive would
    # grow memory over a long training run (benchmarks/train_memory.py).
    from chainrule.autograd import function

    w = chainrule.tensor([1.0, 2.0], requires_grad=True)
    x = chainrule.tensor([3.0, 4.0], requires_grad=True)
    (w * x).sum().backward()
    before = len(function._VERSIONS)
    for _ in range(50):
        with chainrule.no_grad():
            w.add_(1.0)
        y = (w * x).sum()
        y.backward()
    assert len(function._VERSIONS) == before
    assert x.grad.tolist() == [51 * 1.0 + 50 * 51 / 2, 51 * 2.0 + 50 * 51 / 2]  # sum of w's
    y = w * x  # the saved version is still checked
    with chainrule.no_grad():
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
