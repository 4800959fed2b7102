"""F.scaled_dot_product_attention and F.multi_head_attention_forward."""

import math

import numpy as np
import pytest

import chainrule
from chainrule import DTypeError, ShapeError
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.nn import functional as F


def _ref_sdpa(q, k, v, mask=None, scale=None):
    """softmax(q kᵀ scale + mask) v in NumPy; mask additive; all-masked rows give zeros."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if mask is not None:
        s = s + mask
    peak = np.max(s, axis=-1, keepdims=True)
    dead = np.isneginf(peak)
    e = np.exp(s - np.where(dead, 0, peak))
    w = np.where(dead, 0, e / np.where(dead, 1, e.sum(-1, keepdims=True)))
    return w @ v


def _qkv(rng, lead=(2,), L=3, S=4, E=5, Ev=2, dtype=np.float64):
    return [rng.standard_normal(lead + shape).astype(dtype)
            for shape in ((L, E), (S, E), (S, Ev))]


def test_sdpa_matches_numpy_without_mask(rng):
    q, k, v = _qkv(rng, dtype=np.float32)
    out = F.scaled_dot_product_attention(*(chainrule.tensor(a) for a in (q, k, v)))
    assert out.dtype == chainrule.float32 and out.shape == (2, 3, 2)
    np.testing.assert_allclose(out.numpy(), _ref_sdpa(q, k, v), rtol=1e-5, atol=1e-6)


def test_sdpa_bool_mask_true_takes_part_and_float_mask_adds(rng):
    q, k, v = _qkv(rng)
    keep = rng.random((3, 4)) > 0.4
    keep[:, 0] = True
    tensors = [chainrule.tensor(a) for a in (q, k, v)]
    got = F.scaled_dot_product_attention(*tensors, attn_mask=chainrule.tensor(keep))
    np.testing.assert_allclose(got.numpy(), _ref_sdpa(q, k, v, np.where(keep, 0, -np.inf)),
                               rtol=1e-12)
    additive = rng.standard_normal((3, 4))
    got = F.scaled_dot_product_attention(*tensors, attn_mask=chainrule.tensor(additive),
                                         scale=0.3)
    np.testing.assert_allclose(got.numpy(), _ref_sdpa(q, k, v, additive, 0.3), rtol=1e-12)


def test_sdpa_causal_attends_to_the_past_only(rng):
    q, k, v = _qkv(rng, L=4, S=4)
    got = F.scaled_dot_product_attention(*(chainrule.tensor(a) for a in (q, k, v)),
                                         is_causal=True)
    causal = np.where(np.arange(4)[None, :] <= np.arange(4)[:, None], 0, -np.inf)
    np.testing.assert_allclose(got.numpy(), _ref_sdpa(q, k, v, causal), rtol=1e-12)
    np.testing.assert_allclose(got.numpy()[:, 0], v[:, 0], rtol=1e-12)


def test_sdpa_broadcasts_leading_dims(rng):
    q = rng.standard_normal((2, 3, 4, 5))
    k, v = rng.standard_normal((1, 3, 6, 5)), rng.standard_normal((1, 3, 6, 2))
    got = F.scaled_dot_product_attention(*(chainrule.tensor(a) for a in (q, k, v)))
    assert got.shape == (2, 3, 4, 2)
    np.testing.assert_allclose(got.numpy(), _ref_sdpa(q, k, v), rtol=1e-12)


def test_sdpa_fully_masked_row_gives_zeros_and_finite_gradients(rng):
    q, k, v = (chainrule.tensor(a, requires_grad=True) for a in _qkv(rng))
    keep = np.ones((3, 4), bool)
    keep[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=chainrule.tensor(keep))
    np.testing.assert_array_equal(out.detach().numpy()[:, 1], 0)
    out.sum().backward()
    assert all(np.isfinite(t.grad.numpy()).all() for t in (q, k, v))
    np.testing.assert_array_equal(q.grad.numpy()[:, 1], 0)


@pytest.mark.parametrize("mask", [None, "bool", "float"])
def test_sdpa_gradcheck_and_gradgradcheck(mask, rng):
    q, k, v = (chainrule.tensor(a, requires_grad=True) for a in _qkv(rng, L=2, S=3, E=2))
    args = [q, k, v]
    if mask == "bool":
        fn = lambda q, k, v: F.scaled_dot_product_attention(  # noqa: E731
            q, k, v, attn_mask=chainrule.tensor(np.array([[True, False, True]] * 2)))
    elif mask == "float":
        args.append(chainrule.tensor(rng.standard_normal((2, 3)), requires_grad=True))
        fn = lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m)  # noqa
    else:
        fn = F.scaled_dot_product_attention
    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)


@pytest.mark.parametrize("mask", [None, "bool", "float", "causal"])
def test_sdpa_matches_torch(mask, rng):
    torch = pytest.importorskip("torch")
    arrays = _qkv(rng, lead=(2, 3), L=4, S=4, dtype=np.float32)
    kwargs, torch_kwargs = {}, {}
    if mask == "bool":
        keep = rng.random((4, 4)) > 0.5
        keep[1] = False  # a fully masked row
        kwargs["attn_mask"], torch_kwargs["attn_mask"] = chainrule.tensor(keep), \
            torch.tensor(keep)
    elif mask == "float":
        arrays.append(rng.standard_normal((1, 3, 4, 4)).astype(np.float32))
    elif mask == "causal":
        kwargs["is_causal"] = torch_kwargs["is_causal"] = True
    ours = [chainrule.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    if mask == "float":
        kwargs["attn_mask"], torch_kwargs["attn_mask"] = ours.pop(), theirs.pop()
        ours.append(kwargs["attn_mask"])
        theirs.append(torch_kwargs["attn_mask"])
    out = F.scaled_dot_product_attention(*ours[:3], **kwargs)
    ref = torch.nn.functional.scaled_dot_product_attention(*theirs[:3], **torch_kwargs)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    (out * out).sum().backward()
    (ref * ref).sum().backward()
    for a, b in zip(ours, theirs):
        assert a.grad.dtype == chainrule.float32
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_sdpa_grouped_query_attention_matches_torch(rng):
    torch = pytest.importorskip("torch")
    arrays = [rng.standard_normal(s).astype(np.float32)
              for s in ((2, 6, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3))]
    ours = [chainrule.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = F.scaled_dot_product_attention(*ours, enable_gqa=True)
    ref = torch.nn.functional.scaled_dot_product_attention(*theirs, enable_gqa=True)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    (out * out).sum().backward()
    (ref * ref).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5)
    with pytest.raises(ShapeError, match=r"query's heads \(dim -3\) must be a multiple"):
        F.scaled_dot_product_attention(ours[0], ours[1][:, :1].expand(2, 4, 5, 4)[:, :4],
                                       ours[2][:, :1].expand(2, 4, 5, 3), enable_gqa=True)


def test_sdpa_dropout_follows_the_seed_and_p_one_gives_zeros(rng):
    q, k, v = (chainrule.tensor(a) for a in _qkv(rng))
    chainrule.manual_seed(0)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy()
    chainrule.manual_seed(0)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, F.scaled_dot_product_attention(q, k, v).numpy())
    np.testing.assert_array_equal(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
                                  .numpy(), 0)


def test_sdpa_errors(rng):
    q, k, v = (chainrule.tensor(a) for a in _qkv(rng))
    with pytest.raises(ShapeError, match=r"got query \(2, 3, 5\), key \(2, 4, 5\) and value "
                                         r"\(2, 3, 2\)"):
        F.scaled_dot_product_attention(q, k, chainrule.zeros(2, 3, 2, dtype=chainrule.float64))
    with pytest.raises(RuntimeError, match="attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=chainrule.ones(3, 4).bool(),
                                       is_causal=True)
    with pytest.raises(DTypeError, match="only bool masks and float masks"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=chainrule.zeros(3, 4))
    with pytest.raises(ShapeError, match=r"attn_mask of shape \(3, 5\) does not broadcast"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=chainrule.ones(3, 5).bool())
    with pytest.raises(DTypeError, match="query, key and value must share one floating dtype"):
        F.scaled_dot_product_attention(q, k.float(), v)


# -- multi_head_attention_forward ---------------------------------------------------------------
def _mha_arrays(rng, L=3, S=4, N=2, E=4, kdim=4, vdim=4, dtype=np.float32):
    shapes = {"query": (L, N, E), "key": (S, N, kdim), "value": (S, N, vdim),
              "in_proj_weight": (3 * E, E), "in_proj_bias": (3 * E,),
              "out_proj_weight": (E, E), "out_proj_bias": (E,), "bias_k": (1, 1, E),
              "bias_v": (1, 1, E), "q_proj_weight": (E, E), "k_proj_weight": (E, kdim),
              "v_proj_weight": (E, vdim)}
    return {n: rng.standard_normal(s).astype(dtype) for n, s in shapes.items()}


def _mha_call(f, t, separate, extra, add_zero_attn, **kwargs):
    return f(t["query"], t["key"], t["value"], t["out_proj_weight"].shape[0], 2,
             None if separate else t["in_proj_weight"], t["in_proj_bias"],
             t["bias_k"] if extra else None, t["bias_v"] if extra else None, add_zero_attn, 0.0,
             t["out_proj_weight"], t["out_proj_bias"], use_separate_proj_weight=separate,
             q_proj_weight=t["q_proj_weight"], k_proj_weight=t["k_proj_weight"],
             v_proj_weight=t["v_proj_weight"], **kwargs)


@pytest.mark.parametrize("separate", [False, True])
@pytest.mark.parametrize("extra", [False, True], ids=["plain", "bias_kv"])
@pytest.mark.parametrize("add_zero_attn", [False, True])
def test_mha_forward_matches_torch(separate, extra, add_zero_attn, rng):
    torch = pytest.importorskip("torch")
    arrays = _mha_arrays(rng, kdim=3 if separate else 4, vdim=5 if separate else 4)
    ours = {n: chainrule.tensor(a, requires_grad=True) for n, a in arrays.items()}
    theirs = {n: torch.tensor(a, requires_grad=True) for n, a in arrays.items()}
    padding = np.array([[False, False, True, False], [False, False, False, True]])
    causal = np.triu(np.ones((3, 4), bool), 1)
    out, w = _mha_call(F.multi_head_attention_forward, ours, separate, extra, add_zero_attn,
                       key_padding_mask=chainrule.tensor(padding),
                       attn_mask=chainrule.tensor(causal), average_attn_weights=False)
    ref, ref_w = _mha_call(torch.nn.functional.multi_head_attention_forward, theirs, separate,
                           extra, add_zero_attn, key_padding_mask=torch.tensor(padding),
                           attn_mask=torch.tensor(causal), average_attn_weights=False)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(w.detach().numpy(), ref_w.detach().numpy(), rtol=1e-5, atol=1e-6)
    ((out * out).sum() + (w * w).sum()).backward()
    ((ref * ref).sum() + (ref_w * ref_w).sum()).backward()
    for name, t in ours.items():
        if theirs[name].grad is None:
            assert t.grad is None, name
        else:
            want = theirs[name].grad.numpy()  # atol scaled: float32 rounding of large sums
            np.testing.assert_allclose(t.grad.numpy(), want, rtol=1e-4,
                                       atol=1e-5 * max(1.0, np.abs(want).max()), err_msg=name)


def test_mha_forward_gradcheck(rng):
    arrays = _mha_arrays(rng, L=2, S=2, N=1, E=2, kdim=2, vdim=2, dtype=np.float64)
    names = ["query", "key", "value", "in_proj_weight", "in_proj_bias", "out_proj_weight",
             "out_proj_bias"]
    args = [chainrule.tensor(arrays[n], requires_grad=True) for n in names]
    mask = chainrule.tensor(np.array([[0.0, -1.0], [0.5, 0.0]]))

    def run(q, k, v, w, b, ow, ob):
        return F.multi_head_attention_forward(q, k, v, 2, 2, w, b, None, None, False, 0.0, ow,
                                              ob, attn_mask=mask, average_attn_weights=False)

    assert gradcheck(run, args)


def test_mha_forward_rejects_bad_shapes(rng):
    t = {n: chainrule.tensor(a) for n, a in _mha_arrays(rng).items()}
    with pytest.raises(ShapeError, match=r"expected query \(L, N, 4\), key \(S, N, kdim\).*got "
                                         r"query \(3, 2, 4\), key \(4, 1, 4\)"):
        F.multi_head_attention_forward(t["query"], t["key"][:, :1], t["value"], 4, 2,
                                       t["in_proj_weight"], None, None, None, False, 0.0,
                                       t["out_proj_weight"], None)
    with pytest.raises(ShapeError, match=r"key_padding_mask should have shape \(2, 4\), got "
                                         r"\(2, 3\)"):
        _mha_call(F.multi_head_attention_forward, t, False, False, False,
                  key_padding_mask=chainrule.zeros(2, 3).bool())
    with pytest.raises(ShapeError, match=r"attn_mask should have shape \(3, 4\) or \(4, 3, 4\)"):
        _mha_call(F.multi_head_attention_forward, t, False, False, False,
                  attn_mask=chainrule.zeros(4, 4).bool())
    with pytest.raises(RuntimeError, match="is_causal=True is a hint.*attn_mask must be given"):
        _mha_call(F.multi_head_attention_forward, t, False, False, False, is_causal=True)
