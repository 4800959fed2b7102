"""detect_anomaly: a NaN produced in backward names the op and where its forward ran."""

import math

import numpy as np
import pytest

import chainrule
from chainrule.autograd import Function, detect_anomaly, set_detect_anomaly


class NanGradient(Function):
    """Identity whose backward produces NaN."""

    @staticmethod
    def forward(ctx, x):
        return x.data.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad * math.nan


def _leaf():
    return chainrule.tensor([1.0, 2.0], requires_grad=True)


def test_detect_anomaly_names_the_op_and_the_forward_line_in_user_code():
    x = _leaf()
    with detect_anomaly():
        y = NanGradient.apply(x) * 2  # the forward line the error must point to
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    message = str(info.value)
    assert "Function 'NanGradientBackward' returned nan values in its 0th output" in message
    assert __file__ in message
    assert "y = NanGradient.apply(x) * 2" in message


def test_detect_anomaly_names_a_builtin_op():
    x = chainrule.tensor([0.0], requires_grad=True)
    with detect_anomaly(), np.errstate(divide="ignore", invalid="ignore"):
        y = x / x  # 0/0: DivBackward0 computes NaN gradients
        with pytest.raises(RuntimeError, match="DivBackward0"):
            y.sum().backward()


def test_without_detect_anomaly_nan_gradients_pass_silently():
    x = _leaf()
    NanGradient.apply(x).sum().backward()
    assert np.isnan(x.grad.data).all()


def test_detect_anomaly_is_off_again_after_the_block():
    x = _leaf()
    with detect_anomaly():
        pass
    NanGradient.apply(x).sum().backward()
    assert np.isnan(x.grad.data).all()


def test_detect_anomaly_without_trace_still_names_the_op():
    x = _leaf()
    y = NanGradient.apply(x)  # recorded before anomaly mode: no forward trace
    with detect_anomaly(), pytest.raises(RuntimeError, match="NanGradientBackward"):
        y.sum().backward()


def test_set_detect_anomaly_false_turns_it_off():
    x = _leaf()
    with detect_anomaly(), set_detect_anomaly(False):
        NanGradient.apply(x).sum().backward()
    assert np.isnan(x.grad.data).all()


def test_detect_anomaly_passes_finite_gradients():
    x = _leaf()
    with detect_anomaly():
        (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])
