"""F.dropout: the mask's distribution and scale, reproducibility, gradients, modes, errors."""

import numpy as np
import pytest

import chainrule
import chainrule.nn.functional as F
from chainrule import DTypeError
from chainrule.autograd import gradcheck, gradgradcheck


def _leaf(array):
    return chainrule.tensor(array, requires_grad=True)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_zeroes_a_fraction_p_and_scales_the_rest(p):
    chainrule.manual_seed(0)
    out = F.dropout(chainrule.ones(20000), p).data
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / (1 - p), rtol=1e-6)
    # binomial standard deviation sqrt(p (1 - p) / n) <= 0.0036: 5 sigma is 0.018
    assert abs((~kept).mean() - p) < 0.018


def test_dropout_is_reproducible_with_manual_seed():
    chainrule.manual_seed(3)
    a = F.dropout(chainrule.ones(50)).data
    chainrule.manual_seed(3)
    b = F.dropout(chainrule.ones(50)).data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, F.dropout(chainrule.ones(50)).data)


def test_dropout_gradient_is_the_scaled_mask(rng):
    x = _leaf(rng.uniform(1, 2, (4, 5)))
    out = F.dropout(x, 0.4)
    out.sum().backward()
    mask = out.data / x.data  # 0 or 1 / (1 - p), per element
    assert set(np.round(np.unique(mask), 12)) <= {0.0, round(1 / 0.6, 12)}
    np.testing.assert_allclose(x.grad.data, mask)


def test_dropout_gradcheck_and_gradgradcheck_with_a_fixed_mask(rng):
    def fn(x):
        chainrule.manual_seed(5)  # the same mask for every evaluation
        return F.dropout(x * x, 0.3)

    x = _leaf(rng.standard_normal((3, 4)))
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_dropout_p_one_gives_zeros_and_zero_gradient():
    x = _leaf(np.ones((2, 3)))
    out = F.dropout(x, 1.0)
    out.sum().backward()
    np.testing.assert_array_equal(out.data, 0)
    np.testing.assert_array_equal(x.grad.data, 0)


def test_dropout_off_when_not_training_or_p_zero(rng):
    x = chainrule.tensor(rng.standard_normal(10))
    assert F.dropout(x, 0.5, training=False) is x
    np.testing.assert_array_equal(F.dropout(x, 0.0).data, x.data)


def test_dropout_stays_float32():
    x = _leaf(np.ones(8, dtype=np.float32))
    out = F.dropout(x, 0.5)
    out.sum().backward()
    assert out.dtype == chainrule.float32 and x.grad.dtype == chainrule.float32


def test_dropout_inplace_writes_into_the_input_and_keeps_gradients(rng):
    leaf = _leaf(rng.uniform(1, 2, 10))
    x = leaf * 1
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x
    out.sum().backward()
    np.testing.assert_allclose(leaf.grad.data, x.data / leaf.data)


@pytest.mark.parametrize("p", [-0.1, 1.5, True])
def test_dropout_rejects_p_outside_unit_interval(p):
    with pytest.raises(ValueError, match="dropout: dropout probability has to be between 0 and "
                                         "1, but got"):
        F.dropout(chainrule.ones(2), p)


def test_dropout_rejects_integer_input():
    with pytest.raises(DTypeError, match="dropout: expected a floating point input, got "
                                         "chainrule.int64"):
        F.dropout(chainrule.tensor([1, 2]))


def test_dropout_matches_torch_in_its_deterministic_cases(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((3, 4)).astype(np.float32)
    for p, training in [(0.5, False), (1.0, True), (0.0, True)]:
        ours = F.dropout(chainrule.tensor(x), p, training).data
        theirs = torch.nn.functional.dropout(torch.tensor(x), p, training).numpy()
        np.testing.assert_array_equal(ours, theirs)
