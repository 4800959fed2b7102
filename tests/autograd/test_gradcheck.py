"""gradcheck and gradgradcheck: accept correct rules, reject wrong ones."""

import numpy as np
import pytest

import chainrule
from chainrule.autograd import Function, gradcheck, gradgradcheck


def _leaf(values):
    return chainrule.tensor(values, dtype=chainrule.float64, requires_grad=True)


class Square(Function):
    """Correct: d x² = 2x, written with Tensor ops (so gradgrad is right too)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data**2

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x


class WrongSquare(Function):
    """Deliberately wrong first derivative: 3x instead of 2x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data**2

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x


class WrongSecondDerivative(Function):
    """Right first derivative of x³, but detached, so its own derivative is wrong."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x.detach() ** 2


def test_gradcheck_accepts_correct_function():
    assert gradcheck(Square.apply, (_leaf([0.5, -1.5, 2.0]),))


def test_gradcheck_accepts_composite_of_builtin_ops_with_two_inputs():
    x, y = _leaf([0.5, -1.5]), _leaf([[2.0], [3.0]])  # broadcasting to (2, 2)
    assert gradcheck(lambda a, b: a * b / (b * b + a * a) - a, (x, y))


def test_gradcheck_raises_for_wrong_derivative_naming_the_mismatch():
    with pytest.raises(RuntimeError, match="mismatch for output 0 with respect to input 0"):
        gradcheck(WrongSquare.apply, (_leaf([0.5, 1.5]),))


def test_gradcheck_returns_false_without_raise_exception():
    assert gradcheck(WrongSquare.apply, (_leaf([0.5, 1.5]),), raise_exception=False) is False


def test_gradcheck_ignores_inputs_that_do_not_require_grad():
    c = chainrule.tensor([2.0, 3.0], dtype=chainrule.float64)
    assert gradcheck(lambda x, k: x * k, (_leaf([1.0, 2.0]), c))


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires grad"):
        gradcheck(lambda x: x * 2, (chainrule.tensor([1.0], dtype=chainrule.float64),))


def test_gradcheck_warns_for_float32_inputs():
    x = chainrule.tensor([1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="float64"):
        gradcheck(lambda t: t * 2, (x,), raise_exception=False)


def test_gradcheck_leaves_inputs_unchanged():
    x = _leaf([0.5, 1.5])
    gradcheck(Square.apply, (x,))
    np.testing.assert_array_equal(x.data, [0.5, 1.5])
    assert x.grad is None


def test_gradgradcheck_accepts_correct_function():
    assert gradgradcheck(Square.apply, (_leaf([0.5, -1.5, 2.0]),))
    assert gradgradcheck(lambda a: a * a * a / (a * a + 1), (_leaf([0.3, -0.8]),))


def test_gradgradcheck_rejects_wrong_second_derivative_that_gradcheck_accepts():
    x = _leaf([0.5, 1.5])
    assert gradcheck(WrongSecondDerivative.apply, (x,))
    assert gradgradcheck(WrongSecondDerivative.apply, (x,), raise_exception=False) is False
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gradgradcheck(WrongSecondDerivative.apply, (x,))


def test_gradgradcheck_takes_grad_outputs():
    x = _leaf([0.5, 1.5])
    v = chainrule.tensor([1.0, -2.0], dtype=chainrule.float64, requires_grad=True)
    assert gradgradcheck(Square.apply, (x,), grad_outputs=[v])


def test_gradcheck_checks_forward_mode_when_asked():
    class WrongTangent(Function):
        @staticmethod
        def forward(ctx, x):
            return x.data * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

        @staticmethod
        def jvp(ctx, tangent):
            return tangent * 3  # wrong on purpose

    x = _leaf([1.0, 2.0])
    assert gradcheck(WrongTangent.apply, (x,))
    with pytest.raises(RuntimeError, match="forward-mode"):
        gradcheck(WrongTangent.apply, (x,), check_forward_ad=True)
