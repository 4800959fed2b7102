"""nn.Embedding: initialisation (N(0, 1), padding row zeroed), from_pretrained and freeze,
repr, and agreement with torch with copied weights."""

import numpy as np
import pytest

import chainrule
from chainrule import ShapeError, nn


def test_embedding_init_is_standard_normal_with_padding_row_zeroed():
    chainrule.manual_seed(0)
    emb = nn.Embedding(500, 40, padding_idx=3)
    w = emb.weight.data
    np.testing.assert_array_equal(w[3], 0)
    rest = np.delete(w, 3, axis=0)
    # 19960 draws: the std of the sample std is about 0.005
    assert abs(rest.mean()) < 0.03 and abs(rest.std() - 1) < 0.03
    assert emb.weight.dtype == chainrule.float32 and emb.weight.requires_grad


def test_embedding_padding_row_stays_zero_through_training():
    emb = nn.Embedding(4, 2, padding_idx=0)
    emb(chainrule.tensor([0, 1, 0])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data[0], 0)
    np.testing.assert_array_equal(emb.weight.grad.data[1], 1)


def test_embedding_repr_matches_torch():
    torch = pytest.importorskip("torch")
    for args, kwargs in [((3, 4), {}), ((3, 4), {"padding_idx": 1}),
                         ((5, 2), {"max_norm": 1.0, "norm_type": 1.0,
                                   "scale_grad_by_freq": True})]:
        assert repr(nn.Embedding(*args, **kwargs)) == repr(torch.nn.Embedding(*args, **kwargs))


def test_from_pretrained_freezes_by_default_and_uses_the_given_values():
    table = chainrule.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad
    assert (emb.num_embeddings, emb.embedding_dim) == (3, 2)
    np.testing.assert_array_equal(emb(chainrule.tensor([2, 0])).data, [[5, 6], [1, 2]])
    trainable = nn.Embedding.from_pretrained(table, freeze=False, padding_idx=1)
    assert trainable.weight.requires_grad and trainable.padding_idx == 1
    np.testing.assert_array_equal(trainable.weight.data[1], [3, 4])  # not zeroed, as torch
    with pytest.raises(ShapeError, match="embeddings are expected to be a 2-D tensor"):
        nn.Embedding.from_pretrained(chainrule.ones(3))


def test_embedding_rejects_bad_padding_idx():
    with pytest.raises(ValueError, match="padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=5)


def test_embedding_matches_torch_with_copied_weights(rng):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Embedding(6, 3, padding_idx=4), torch.nn.Embedding(6, 3, padding_idx=4)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
    idx = rng.integers(0, 6, (3, 5))
    out, t_out = ours(chainrule.tensor(idx)), theirs(torch.tensor(idx))
    (out * out).sum().backward()
    (t_out * t_out).sum().backward()
    np.testing.assert_allclose(out.data, t_out.detach().numpy())
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-6)
    assert list(ours.state_dict()) == list(theirs.state_dict())
