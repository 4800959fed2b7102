"""F.embedding and F.one_hot: lookups vs NumPy, accumulated and padding gradients, max_norm,
scale_grad_by_freq, errors, and agreement with torch."""

import numpy as np
import pytest

import chainrule
import chainrule.nn.functional as F
from chainrule import DTypeError, ShapeError
from chainrule.autograd import gradcheck, gradgradcheck


def _w(rng, shape=(5, 3)):
    return chainrule.tensor(rng.standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize("index", [[[0, 4], [2, 2]], [3], 1, [[]]])
def test_embedding_matches_numpy(rng, index):
    w = _w(rng)
    idx = np.array(index, dtype=np.int64)
    out = F.embedding(chainrule.tensor(idx), w)
    assert out.shape == (*idx.shape, 3)
    np.testing.assert_array_equal(out.data, w.data[idx])


def test_embedding_accumulates_gradients_of_repeated_indices(rng):
    w = _w(rng)
    F.embedding(chainrule.tensor([[1, 3, 1], [1, 0, 3]]), w).sum().backward()
    expected = np.zeros((5, 3))
    expected[[0, 1, 3]] = np.array([1, 3, 2])[:, None]
    np.testing.assert_array_equal(w.grad.data, expected)


def test_embedding_padding_row_gets_no_gradient_but_keeps_its_value(rng):
    w = _w(rng)
    idx = chainrule.tensor([2, 0, 2, 4])
    out = F.embedding(idx, w, padding_idx=2)
    np.testing.assert_array_equal(out.data, w.data[[2, 0, 2, 4]])
    (out * 3).sum().backward()
    expected = np.zeros((5, 3))
    expected[[0, 4]] = 3
    np.testing.assert_array_equal(w.grad.data, expected)


def test_embedding_negative_padding_idx_counts_from_the_end(rng):
    w = _w(rng)
    F.embedding(chainrule.tensor([4, 1]), w, padding_idx=-1).sum().backward()
    np.testing.assert_array_equal(w.grad.data[4], 0)
    np.testing.assert_array_equal(w.grad.data[1], 1)


def test_embedding_scale_grad_by_freq_divides_by_the_count(rng):
    w = _w(rng)
    F.embedding(chainrule.tensor([1, 1, 1, 3]), w, scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(w.grad.data[[1, 3]], 1.0)  # three times 1/3, once 1
    np.testing.assert_array_equal(w.grad.data[[0, 2, 4]], 0)


def test_embedding_max_norm_renormalises_used_rows_in_place():
    w = chainrule.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    out = F.embedding(chainrule.tensor([0, 1]), w, max_norm=1.0)
    np.testing.assert_allclose(out.data, [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)
    np.testing.assert_allclose(w.data, [[0.6, 0.8], [0.3, 0.4], [6.0, 8.0]], rtol=1e-6)


def test_embedding_gradcheck_and_gradgradcheck(rng):
    idx = chainrule.tensor([[1, 2], [1, 0]])
    fn = lambda w: F.embedding(idx, w) ** 2  # noqa: E731
    assert gradcheck(fn, (_w(rng, (3, 2)),))
    assert gradgradcheck(fn, (_w(rng, (3, 2)),))


@pytest.mark.parametrize("kwargs,scale", [({"padding_idx": 1}, [1, 0, 1, 1]),
                                          ({"scale_grad_by_freq": True}, [0.25, 1, 1, 0.25])])
def test_embedding_second_derivative_carries_the_gradient_scale(rng, kwargs, scale):
    # f(w) = sum(c * emb(w)^2): grad f = scatter(2 c w[idx] s) and d(grad f . v)/dw =
    # scatter(2 c v[idx] s²), s the lookup's gradient scale (0 at padding, so s² = s there;
    # 1/count by frequency, where PyTorch's double backward leaves one factor s out)
    idx = np.array([0, 1, 2, 0])
    w, c, v = _w(rng, (3, 2)), rng.standard_normal((4, 2)), rng.standard_normal((3, 2))
    f = (F.embedding(chainrule.tensor(idx), w, **kwargs) ** 2 * chainrule.tensor(c)).sum()
    (g,) = chainrule.autograd.grad(f, [w], create_graph=True)
    (gg,) = chainrule.autograd.grad((g * chainrule.tensor(v)).sum(), [w])
    s2 = np.array(scale)[:, None]
    expected_g, expected_gg = np.zeros((3, 2)), np.zeros((3, 2))
    np.add.at(expected_g, idx, 2 * c * w.data[idx] * np.sqrt(s2))
    np.add.at(expected_gg, idx, 2 * c * v[idx] * s2)
    np.testing.assert_allclose(g.data, expected_g, rtol=1e-12)
    np.testing.assert_allclose(gg.data, expected_gg, rtol=1e-12)


def test_embedding_padding_second_derivative_matches_torch(rng):
    torch = pytest.importorskip("torch")
    idx, w0 = np.array([0, 1, 2, 0]), rng.standard_normal((3, 2))
    c, v = rng.standard_normal((4, 2)), rng.standard_normal((3, 2))
    w, tw = _w(rng, (3, 2)), torch.tensor(w0, requires_grad=True)
    w.data[...] = w0
    f = (F.embedding(chainrule.tensor(idx), w, padding_idx=1) ** 2 * chainrule.tensor(c)).sum()
    (g,) = chainrule.autograd.grad(f, [w], create_graph=True)
    (gg,) = chainrule.autograd.grad((g * chainrule.tensor(v)).sum(), [w])
    tf = (torch.nn.functional.embedding(torch.tensor(idx), tw, 1) ** 2 * torch.tensor(c)).sum()
    (tg,) = torch.autograd.grad(tf, [tw], create_graph=True)
    (tgg,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), [tw])
    np.testing.assert_allclose(gg.data, tgg.numpy(), rtol=1e-12)


def test_embedding_stays_float32(rng):
    w = chainrule.tensor(rng.standard_normal((4, 2)).astype(np.float32), requires_grad=True)
    out = F.embedding(chainrule.tensor([0, 1, 1]), w, padding_idx=0)
    out.sum().backward()
    assert out.dtype == w.grad.dtype == chainrule.float32


def test_embedding_errors():
    w = chainrule.ones(3, 2)
    with pytest.raises(IndexError, match=r"embedding: index 3 is out of range for a table of 3 "
                                         r"rows \(weight shape \(3, 2\)\)"):
        F.embedding(chainrule.tensor([0, 3]), w)
    with pytest.raises(DTypeError, match="embedding: expected an integer"):
        F.embedding(chainrule.tensor([0.0]), w)
    with pytest.raises(ShapeError, match="embedding: weight must be a 2-D Tensor"):
        F.embedding(chainrule.tensor([0]), chainrule.ones(3))
    with pytest.raises(ValueError, match=r"embedding: padding_idx must be within num_embeddings "
                                         r"\(3\), got 3"):
        F.embedding(chainrule.tensor([0]), w, padding_idx=3)
    with pytest.raises(ValueError, match="embedding: sparse gradients are not supported"):
        F.embedding(chainrule.tensor([0]), w, sparse=True)


def test_embedding_matches_torch(rng):
    torch = pytest.importorskip("torch")
    weight = rng.standard_normal((6, 3)).astype(np.float32)
    idx = np.array([[0, 5, 2, 2], [2, 1, 0, 5]])
    for kwargs in ({}, {"padding_idx": 2}, {"scale_grad_by_freq": True, "padding_idx": 0}):
        w, tw = (chainrule.tensor(weight.copy(), requires_grad=True),
                 torch.tensor(weight.copy(), requires_grad=True))
        out = F.embedding(chainrule.tensor(idx), w, **kwargs)
        t_out = torch.nn.functional.embedding(torch.tensor(idx), tw, **kwargs)
        (out * out).sum().backward()
        (t_out * t_out).sum().backward()
        np.testing.assert_allclose(out.data, t_out.detach().numpy())
        np.testing.assert_allclose(w.grad.data, tw.grad.numpy(), rtol=1e-6)


def test_embedding_max_norm_matches_torch(rng):
    torch = pytest.importorskip("torch")
    weight = (rng.standard_normal((4, 3)) * 3).astype(np.float32)
    w, tw = chainrule.tensor(weight.copy()), torch.tensor(weight.copy())
    idx = np.array([0, 2, 2])
    out = F.embedding(chainrule.tensor(idx), w, max_norm=1.5, norm_type=1.0)
    t_out = torch.nn.functional.embedding(torch.tensor(idx), tw, max_norm=1.5, norm_type=1.0)
    np.testing.assert_allclose(out.data, t_out.numpy(), rtol=1e-6)
    np.testing.assert_allclose(w.data, tw.numpy(), rtol=1e-6)


def test_one_hot_matches_numpy_and_torch():
    idx = np.array([[0, 3], [1, 1]])
    out = F.one_hot(chainrule.tensor(idx))
    assert out.dtype == chainrule.int64 and out.shape == (2, 2, 4)
    np.testing.assert_array_equal(out.data, np.eye(4, dtype=np.int64)[idx])
    np.testing.assert_array_equal(F.one_hot(chainrule.tensor(idx), 6).data,
                                  np.eye(6, dtype=np.int64)[idx])
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(out.data, torch.nn.functional.one_hot(torch.tensor(idx)))


def test_one_hot_errors():
    with pytest.raises(ValueError, match="one_hot: class values must be non-negative"):
        F.one_hot(chainrule.tensor([-1, 0]))
    with pytest.raises(ValueError, match=r"one_hot: class values must be smaller than "
                                         r"num_classes \(2\), got 2"):
        F.one_hot(chainrule.tensor([2]), 2)
    with pytest.raises(DTypeError, match="one_hot: expected an integer"):
        F.one_hot(chainrule.tensor([1.0]))
