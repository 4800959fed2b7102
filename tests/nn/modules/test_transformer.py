"""nn.MultiheadAttention, TransformerEncoderLayer, TransformerEncoder: vs torch, init, errors."""

import math

import numpy as np
import pytest

import chainrule
from chainrule import ShapeError, nn
from chainrule.autograd import gradcheck


def _copy_into_torch(ours, theirs):
    torch = pytest.importorskip("torch")
    params = dict(ours.named_parameters())
    assert list(params) == [n for n, _ in theirs.named_parameters()]
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.from_numpy(params[name].detach().numpy().copy()))


def _assert_close(got, want, what=""):
    """float32 comparison; atol scaled to the size of the values compared."""
    want = want.detach().numpy()
    np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-4,
                               atol=1e-5 * max(1.0, np.abs(want).max()), err_msg=what)


def _check_grads(ours, theirs, inputs, torch_inputs):
    for k, (a, b) in enumerate(zip(inputs, torch_inputs)):
        _assert_close(a.grad, b.grad, f"input {k}")
    torch_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert p.grad is not None and p.grad.dtype == chainrule.float32, name
        _assert_close(p.grad, torch_params[name].grad, name)


def _tensors(torch, arrays):
    return ([chainrule.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


MHA_CASES = {
    "self": {},
    "batch_first": {"batch_first": True},
    "kdim_vdim": {"kdim": 3, "vdim": 5},
    "bias_kv_zero_attn_no_bias": {"add_bias_kv": True, "add_zero_attn": True, "bias": False},
}


@pytest.mark.parametrize("case", MHA_CASES)
@pytest.mark.parametrize("masks", ["none", "padding", "float_padding", "bool_attn",
                                   "float_attn_3d", "both"])
@pytest.mark.parametrize("average", [True, False])
def test_mha_matches_torch(case, masks, average, rng):
    torch = pytest.importorskip("torch")
    options = MHA_CASES[case]
    ours, theirs = nn.MultiheadAttention(4, 2, **options), \
        torch.nn.MultiheadAttention(4, 2, **options)
    _copy_into_torch(ours, theirs)
    L, S, N = 3, 4, 2
    first = (N, L) if options.get("batch_first") else (L, N)
    if case == "self":
        arrays = [rng.standard_normal((L, N, 4)).astype(np.float32)]
    else:
        kv = (N, S) if options.get("batch_first") else (S, N)
        arrays = [rng.standard_normal(shape).astype(np.float32) for shape in
                  (first + (4,), kv + (options.get("kdim", 4),), kv + (options.get("vdim", 4),))]
    S = L if case == "self" else S
    kwargs, torch_kwargs = {"average_attn_weights": average}, {"average_attn_weights": average}
    if masks in ("padding", "both"):
        padding = np.zeros((N, S), bool)
        padding[0, -1] = padding[1, 1] = True  # key 0 stays: no row is fully masked
        kwargs["key_padding_mask"], torch_kwargs["key_padding_mask"] = \
            chainrule.tensor(padding), torch.tensor(padding)
    if masks == "float_padding":
        added = rng.standard_normal((N, S)).astype(np.float32)
        kwargs["key_padding_mask"], torch_kwargs["key_padding_mask"] = \
            chainrule.tensor(added), torch.tensor(added)
    if masks in ("bool_attn", "both"):
        blocked = np.triu(np.ones((L, S), bool), 1)
        kwargs["attn_mask"], torch_kwargs["attn_mask"] = chainrule.tensor(blocked), \
            torch.tensor(blocked)
    if masks == "float_attn_3d":
        added = rng.standard_normal((N * 2, L, S)).astype(np.float32)
        kwargs["attn_mask"], torch_kwargs["attn_mask"] = chainrule.tensor(added), \
            torch.tensor(added)
    inputs, torch_inputs = _tensors(torch, arrays)
    args = inputs * 3 if case == "self" else inputs
    torch_args = torch_inputs * 3 if case == "self" else torch_inputs
    out, w = ours(*args, **kwargs)
    ref, ref_w = theirs(*torch_args, **torch_kwargs)
    _assert_close(out, ref, "output")
    _assert_close(w, ref_w, "weights")
    ((out * out).sum() + (w * w).sum() * 3).backward()
    ((ref * ref).sum() + (ref_w * ref_w).sum() * 3).backward()
    _check_grads(ours, theirs, inputs, torch_inputs)


def test_mha_unbatched_and_without_weights_matches_torch(rng):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.MultiheadAttention(4, 2), torch.nn.MultiheadAttention(4, 2)
    _copy_into_torch(ours, theirs)
    inputs, torch_inputs = _tensors(torch, [rng.standard_normal((3, 4)).astype(np.float32),
                                            rng.standard_normal((5, 4)).astype(np.float32)])
    padding = np.array([False, True, False, False, False])
    out, w = ours(inputs[0], inputs[1], inputs[1], key_padding_mask=chainrule.tensor(padding),
                  average_attn_weights=False)
    ref, ref_w = theirs(torch_inputs[0], torch_inputs[1], torch_inputs[1],
                        key_padding_mask=torch.tensor(padding), average_attn_weights=False)
    assert out.shape == (3, 4) and w.shape == (2, 3, 5)
    _assert_close(out, ref)
    _assert_close(w, ref_w)
    out2, none = ours(inputs[0], inputs[1], inputs[1], need_weights=False)
    assert none is None
    (out2 * out2).sum().backward()
    ref2 = theirs(torch_inputs[0], torch_inputs[1], torch_inputs[1], need_weights=False)[0]
    (ref2 * ref2).sum().backward()
    _check_grads(ours, theirs, inputs, torch_inputs)


def test_mha_fully_masked_query_gets_zero_weights_not_nan(rng):
    mha = nn.MultiheadAttention(4, 2)
    x = chainrule.tensor(rng.standard_normal((3, 1, 4)).astype(np.float32), requires_grad=True)
    blocked = np.zeros((3, 3), bool)
    blocked[1] = True
    out, w = mha(x, x, x, attn_mask=chainrule.tensor(blocked))
    np.testing.assert_array_equal(w.detach().numpy()[0, 1], 0)
    np.testing.assert_allclose(out.detach().numpy()[1, 0], mha.out_proj.bias.detach().numpy())
    out.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_mha_init_follows_torch():
    mha = nn.MultiheadAttention(6, 3)
    bound = math.sqrt(6 / (6 + 18))  # xavier_uniform_ on (3E, E)
    w = mha.in_proj_weight.detach().numpy()
    assert w.shape == (18, 6) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > bound / 2
    np.testing.assert_array_equal(mha.in_proj_bias.detach().numpy(), 0)
    np.testing.assert_array_equal(mha.out_proj.bias.detach().numpy(), 0)
    assert isinstance(mha.out_proj, nn.Linear)
    separate = nn.MultiheadAttention(6, 3, kdim=4, vdim=2, bias=False)
    assert separate.in_proj_weight is None and separate.in_proj_bias is None
    assert [n for n, _ in separate.named_parameters()] == [
        "q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight"]


def test_mha_gradcheck(rng):
    mha = nn.MultiheadAttention(4, 2).double()
    x = chainrule.tensor(rng.standard_normal((2, 1, 4)), requires_grad=True)
    assert gradcheck(lambda x: mha(x, x, x), (x,))


def test_mha_dropout_acts_in_training_only(rng):
    mha = nn.MultiheadAttention(4, 2, dropout=0.5)
    x = chainrule.tensor(rng.standard_normal((3, 2, 4)).astype(np.float32))
    chainrule.manual_seed(0)
    a = mha(x, x, x)[0].detach().numpy()
    mha.eval()
    b, c = (mha(x, x, x)[0].detach().numpy() for _ in range(2))
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(b, c)


def test_mha_errors():
    with pytest.raises(ValueError, match=r"embed_dim \(5\) must be divisible by num_heads \(2\)"):
        nn.MultiheadAttention(5, 2)
    mha = nn.MultiheadAttention(4, 2)
    with pytest.raises(ShapeError, match=r"expected query \(L, N, 4\).*got query \(3, 2, 5\)"):
        x = chainrule.zeros(3, 2, 5)
        mha(x, x, x)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_matches_torch_in_eval(norm_first, activation, batch_first, rng):
    torch = pytest.importorskip("torch")
    options = {"dim_feedforward": 6, "activation": activation, "batch_first": batch_first,
               "norm_first": norm_first}
    ours = nn.TransformerEncoderLayer(4, 2, **options).eval()
    theirs = torch.nn.TransformerEncoderLayer(4, 2, **options).eval()
    _copy_into_torch(ours, theirs)
    shape = (2, 3, 4) if batch_first else (3, 2, 4)
    inputs, torch_inputs = _tensors(torch, [rng.standard_normal(shape).astype(np.float32)])
    blocked = np.triu(np.ones((3, 3), bool), 1)
    padding = np.array([[False, False, True], [False, False, False]])
    out = ours(inputs[0], src_mask=chainrule.tensor(blocked),
               src_key_padding_mask=chainrule.tensor(padding))
    ref = theirs(torch_inputs[0], src_mask=torch.tensor(blocked),
                 src_key_padding_mask=torch.tensor(padding))
    _assert_close(out, ref)
    (out * out * chainrule.arange(4)).sum().backward()
    (ref * ref * torch.arange(4)).sum().backward()
    _check_grads(ours, theirs, inputs, torch_inputs)


def test_encoder_layer_takes_a_callable_activation(rng):
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, activation=chainrule.tanh,
                                       dropout=0.0)
    x = chainrule.tensor(rng.standard_normal((3, 1, 4)).astype(np.float32))
    out = layer(x)
    same = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0)
    same.load_state_dict(layer.state_dict())
    assert not np.allclose(out.detach().numpy(), same(x).detach().numpy())
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not swish"):
        nn.TransformerEncoderLayer(4, 2, activation="swish")


def test_encoder_stack_matches_torch(rng):
    torch = pytest.importorskip("torch")
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6)
    ours = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(4)).eval()
    theirs = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(4, 2, dim_feedforward=6), 2,
        norm=torch.nn.LayerNorm(4), enable_nested_tensor=False).eval()
    _copy_into_torch(ours, theirs)
    inputs, torch_inputs = _tensors(torch, [rng.standard_normal((3, 2, 4)).astype(np.float32)])
    causal = np.triu(np.full((3, 3), -np.inf, np.float32), 1)
    out = ours(inputs[0], mask=chainrule.tensor(causal), is_causal=True)
    ref = theirs(torch_inputs[0], mask=torch.tensor(causal), is_causal=True)
    _assert_close(out, ref)
    (out * out * chainrule.arange(4)).sum().backward()
    (ref * ref * torch.arange(4)).sum().backward()
    _check_grads(ours, theirs, inputs, torch_inputs)


def test_encoder_layers_are_independent_copies():
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6)
    encoder = nn.TransformerEncoder(layer, 3)
    weights = [m.linear1.weight for m in encoder.layers] + [layer.linear1.weight]
    assert len({id(w) for w in weights}) == 4
    for w in weights[1:]:
        np.testing.assert_array_equal(w.detach().numpy(), weights[0].detach().numpy())
    assert len(list(encoder.parameters())) == 3 * len(list(layer.parameters()))
    with chainrule.no_grad():
        encoder.layers[0].linear1.weight.fill_(0.0)
    assert not np.allclose(encoder.layers[1].linear1.weight.detach().numpy(), 0)


def test_encoder_layer_dropout_in_training_follows_the_seed(rng):
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.3)
    x = chainrule.tensor(rng.standard_normal((3, 2, 4)).astype(np.float32))
    chainrule.manual_seed(5)
    a = layer(x).detach().numpy()
    chainrule.manual_seed(5)
    np.testing.assert_array_equal(layer(x).detach().numpy(), a)
    assert not np.allclose(layer.eval()(x).detach().numpy(), a)


def test_encoder_copies_a_layer_with_a_module_activation(rng):
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, activation=nn.GELU(),
                                       dropout=0.0)
    encoder = nn.TransformerEncoder(layer, 2)
    assert isinstance(encoder.layers[1].activation, nn.GELU)
    assert encoder.layers[0].activation is not encoder.layers[1].activation
    x = chainrule.tensor(rng.standard_normal((3, 1, 4)).astype(np.float32))
    assert encoder(x).shape == (3, 1, 4)


# -- decoder and the full Transformer -----------------------------------------------------------
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_decoder_layer_matches_torch_in_eval(norm_first, batch_first, rng):
    torch = pytest.importorskip("torch")
    options = {"dim_feedforward": 6, "batch_first": batch_first, "norm_first": norm_first,
               "activation": "gelu"}
    ours = nn.TransformerDecoderLayer(4, 2, **options).eval()
    theirs = torch.nn.TransformerDecoderLayer(4, 2, **options).eval()
    _copy_into_torch(ours, theirs)
    shapes = ((2, 3, 4), (2, 5, 4)) if batch_first else ((3, 2, 4), (5, 2, 4))
    inputs, torch_inputs = _tensors(torch, [rng.standard_normal(s).astype(np.float32)
                                            for s in shapes])
    causal = np.triu(np.full((3, 3), -np.inf, np.float32), 1)
    padding = np.array([[False, True, False, False, False], [False] * 4 + [True]])
    out = ours(*inputs, tgt_mask=chainrule.tensor(causal),
               memory_key_padding_mask=chainrule.tensor(padding), tgt_is_causal=True)
    ref = theirs(*torch_inputs, tgt_mask=torch.tensor(causal),
                 memory_key_padding_mask=torch.tensor(padding), tgt_is_causal=True)
    _assert_close(out, ref)
    (out * out * chainrule.arange(4)).sum().backward()
    (ref * ref * torch.arange(4)).sum().backward()
    _check_grads(ours, theirs, inputs, torch_inputs)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")  # torch's own advice
def test_transformer_matches_torch_in_eval(rng):
    torch = pytest.importorskip("torch")
    options = {"num_encoder_layers": 2, "num_decoder_layers": 1, "dim_feedforward": 6}
    ours = nn.Transformer(4, 2, **options).eval()
    theirs = torch.nn.Transformer(4, 2, **options).eval()
    _copy_into_torch(ours, theirs)
    inputs, torch_inputs = _tensors(torch, [rng.standard_normal(s).astype(np.float32)
                                            for s in ((5, 2, 4), (3, 2, 4))])
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    torch_mask = torch.nn.Transformer.generate_square_subsequent_mask(3)
    np.testing.assert_array_equal(mask.numpy(), torch_mask.numpy())
    padding = np.array([[False] * 5, [False] * 3 + [True] * 2])
    out = ours(*inputs, tgt_mask=mask, src_key_padding_mask=chainrule.tensor(padding),
               memory_key_padding_mask=chainrule.tensor(padding))
    ref = theirs(*torch_inputs, tgt_mask=torch_mask, src_key_padding_mask=torch.tensor(padding),
                 memory_key_padding_mask=torch.tensor(padding))
    _assert_close(out, ref)
    (out * out * chainrule.arange(4)).sum().backward()
    (ref * ref * torch.arange(4)).sum().backward()
    _check_grads(ours, theirs, inputs, torch_inputs)


def test_transformer_init_is_xavier_for_matrices():
    model = nn.Transformer(8, 2, 1, 1, dim_feedforward=16)
    w = model.encoder.layers[0].linear1.weight.detach().numpy()  # (16, 8)
    bound = math.sqrt(6 / (16 + 8))
    assert np.abs(w).max() <= bound and np.abs(w).max() > bound / 2
    np.testing.assert_array_equal(model.decoder.norm.weight.detach().numpy(), 1)
    names = [n for n, _ in model.named_parameters()]
    assert "decoder.layers.0.multihead_attn.in_proj_weight" in names
    assert "encoder.norm.bias" in names and len(model.decoder.layers) == 1


def test_transformer_errors():
    model = nn.Transformer(4, 2, 1, 1, dim_feedforward=6)
    with pytest.raises(ShapeError, match=r"the batch number of src and tgt must be equal, got "
                                         r"src \(5, 2, 4\) and tgt \(3, 1, 4\)"):
        model(chainrule.zeros(5, 2, 4), chainrule.zeros(3, 1, 4))
    with pytest.raises(ShapeError, match=r"must be equal to d_model \(4\)"):
        model(chainrule.zeros(5, 2, 4), chainrule.zeros(3, 2, 6))
    with pytest.raises(ValueError, match="TransformerDecoder: num_layers must be a non-negative"):
        nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2), -1)
