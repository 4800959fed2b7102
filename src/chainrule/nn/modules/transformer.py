"""Attention layers: MultiheadAttention, the Transformer's encoder and decoder, and Transformer.

The attention maths is :func:`chainrule.nn.functional.multi_head_attention_forward`; these
classes hold the parameters (PyTorch's names and initialisation) and the layout options.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from ...dtype import as_numpy_dtype, default_float
from ...errors import ShapeError
from ...factories import check_device, empty
from ...ops.activation import gelu, relu
from ...tensor import Tensor, _wrap
from .. import init
from ..functional import attention as F_attention
from ..parameter import Parameter
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = ["MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder",
           "TransformerDecoderLayer", "TransformerDecoder", "Transformer"]


class MultiheadAttention(Module):
    """Attention with ``num_heads`` heads: softmax(q_h k_hᵀ / √(embed_dim / num_heads)) v_h per
    head, concatenated and projected by ``out_proj``.

    Args:
        embed_dim: the query's features (and the output's); must divide by ``num_heads``.
        dropout: dropout on the attention weights in training.
        bias: biases on the input and output projections.
        add_bias_kv: learn one extra key and value, appended to the sequence.
        add_zero_attn: append a zero key and value.
        kdim, vdim: the key's and value's features (``embed_dim`` if None); when they differ
            from it the projections are q/k/v_proj_weight instead of one in_proj_weight.
        batch_first: inputs and outputs are (N, L, E) instead of (L, N, E).

    Example:
        >>> import chainrule
        >>> mha = chainrule.nn.MultiheadAttention(8, 2)
        >>> x = chainrule.randn(5, 3, 8)
        >>> out, weights = mha(x, x, x)
        >>> out.shape, weights.shape
        ((5, 3, 8), (3, 5, 5))
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device=None,
                 dtype=None) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by "
                             f"num_heads ({num_heads}), both positive")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim, self.vdim = kdim or embed_dim, vdim or embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.head_dim = embed_dim // num_heads
        self.batch_first, self.add_zero_attn = batch_first, add_zero_attn

        def param(*shape):
            return Parameter(empty(*shape, dtype=dtype, device=device))

        same = self._qkv_same_embed_dim
        self.register_parameter("in_proj_weight", param(3 * embed_dim, embed_dim) if same
                                else None)
        for name, width in (("q", embed_dim), ("k", self.kdim), ("v", self.vdim)):
            self.register_parameter(f"{name}_proj_weight", None if same
                                    else param(embed_dim, width))
        self.register_parameter("in_proj_bias", param(3 * embed_dim) if bias else None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)
        for name in ("bias_k", "bias_v"):
            self.register_parameter(name, param(1, 1, embed_dim) if add_bias_kv else None)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        for name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight"):
            if self._parameters[name] is not None:
                init.xavier_uniform_(self._parameters[name])
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        for name in ("bias_k", "bias_v"):
            if self._parameters[name] is not None:
                init.xavier_normal_(self._parameters[name])

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None = None, need_weights: bool = True,
                attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        """(attn_output, weights or None); masks as :func:`F.multi_head_attention_forward`."""
        batched = isinstance(query, Tensor) and query.ndim == 3
        if self.batch_first and batched:  # self-attention stays one tensor: one projection
            same_k, same_v = key is query, value is key
            query = query.transpose(0, 1)
            key = query if same_k else key.transpose(0, 1)
            value = key if same_v else value.transpose(0, 1)
        out, weights = F_attention.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight, average_attn_weights=average_attn_weights,
            is_causal=is_causal)
        return (out.transpose(0, 1) if self.batch_first and batched else out), weights


_ACTIVATIONS = {"relu": relu, "gelu": gelu}


def _activation(layer: str, activation: str | Callable[[Tensor], Tensor]):
    if not isinstance(activation, str):
        return activation
    if activation not in _ACTIVATIONS:
        raise RuntimeError(f"{layer}: activation should be relu/gelu, not {activation}")
    return _ACTIVATIONS[activation]


def _clones(owner: str, layer: Module, num_layers: int) -> ModuleList:
    if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 0:
        raise ValueError(f"{owner}: num_layers must be a non-negative integer, got "
                         f"{num_layers!r}")
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward block, each with dropout, a residual and LayerNorm:
    x = norm1(x + sa(x)); x = norm2(x + ff(x)), or with ``norm_first``
    x = x + sa(norm1(x)); x = x + ff(norm2(x)), where ff(x) = linear2(dropout(act(linear1(x)))).

    Args:
        d_model: the features of the input and output; nhead: attention heads.
        dim_feedforward: the hidden width of the feed-forward block.
        dropout: after attention, inside and after the feed-forward block, and on the
            attention weights (in training).
        activation: "relu", "gelu" or a callable (a Module is registered as a child).
        layer_norm_eps, bias: of the LayerNorms (bias also of the Linear layers).
        batch_first: (N, L, E) instead of (L, N, E).
        norm_first: normalise before each block (pre-norm) instead of after the residual.

    Example:
        >>> import chainrule
        >>> layer = chainrule.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
        >>> layer(chainrule.randn(5, 3, 8)).shape
        (5, 3, 8)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable[[Tensor], Tensor] = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1, self.dropout2 = Dropout(dropout), Dropout(dropout)
        self.activation = _activation("TransformerEncoderLayer", activation)

    def forward(self, src: Tensor, src_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None, is_causal: bool = False) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))

    def _sa_block(self, x: Tensor, attn_mask, key_padding_mask, is_causal: bool) -> Tensor:
        out = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                             need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(out)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoder(Module):
    """``num_layers`` independent copies (deep copies) of ``encoder_layer`` applied in turn,
    then ``norm`` if given.

    Example:
        >>> import chainrule
        >>> layer = chainrule.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
        >>> encoder = chainrule.nn.TransformerEncoder(layer, num_layers=2)
        >>> encoder(chainrule.randn(5, 3, 8)).shape
        (5, 3, 8)
    """

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _clones("TransformerEncoder", encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src: Tensor, mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                is_causal: bool | None = None) -> Tensor:
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)


class TransformerDecoderLayer(Module):
    """Self-attention on tgt, attention to ``memory``, then a feed-forward block, each with
    dropout, a residual and LayerNorm (norm1..norm3, after each block or, with ``norm_first``,
    before it).

    Arguments as :class:`TransformerEncoderLayer`.

    Example:
        >>> import chainrule
        >>> layer = chainrule.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16)
        >>> layer(chainrule.randn(4, 3, 8), chainrule.randn(6, 3, 8)).shape
        (4, 3, 8)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable[[Tensor], Tensor] = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        for name in ("self_attn", "multihead_attn"):
            setattr(self, name, MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                   batch_first=batch_first, **kw))
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        for k in (1, 2, 3):
            setattr(self, f"norm{k}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        for k in (1, 2, 3):
            setattr(self, f"dropout{k}", Dropout(dropout))
        self.activation = _activation("TransformerDecoderLayer", activation)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        def self_block(x):
            return self.dropout1(self.self_attn(
                x, x, x, attn_mask=tgt_mask, key_padding_mask=tgt_key_padding_mask,
                need_weights=False, is_causal=tgt_is_causal)[0])

        def memory_block(x):
            return self.dropout2(self.multihead_attn(
                x, memory, memory, attn_mask=memory_mask,
                key_padding_mask=memory_key_padding_mask, need_weights=False,
                is_causal=memory_is_causal)[0])

        def ff_block(x):
            return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))

        x = tgt
        for block, norm in ((self_block, self.norm1), (memory_block, self.norm2),
                            (ff_block, self.norm3)):
            x = x + block(norm(x)) if self.norm_first else norm(x + block(x))
        return x


class TransformerDecoder(Module):
    """``num_layers`` deep copies of ``decoder_layer`` applied in turn to tgt, each attending
    to the same ``memory``, then ``norm`` if given.

    Example:
        >>> import chainrule
        >>> layer = chainrule.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16)
        >>> decoder = chainrule.nn.TransformerDecoder(layer, num_layers=2)
        >>> decoder(chainrule.randn(4, 3, 8), chainrule.randn(6, 3, 8)).shape
        (4, 3, 8)
    """

    def __init__(self, decoder_layer: Module, num_layers: int,
                 norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _clones("TransformerDecoder", decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """An encoder-decoder Transformer: memory = encoder(src), out = decoder(tgt, memory), each
    a stack of layers ending in a LayerNorm; every parameter with more than one dimension is
    re-initialised with xavier_uniform_, as in PyTorch.

    Example:
        >>> import chainrule
        >>> model = chainrule.nn.Transformer(8, 2, 1, 1, dim_feedforward=16)
        >>> src, tgt = chainrule.randn(6, 3, 8), chainrule.randn(4, 3, 8)
        >>> mask = model.generate_square_subsequent_mask(4)
        >>> model(src, tgt, tgt_mask=mask).shape
        (4, 3, 8)
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = "relu",
                 custom_encoder: Module | None = None, custom_decoder: Module | None = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                      batch_first, norm_first, bias)
        if custom_encoder is None:
            custom_encoder = TransformerEncoder(
                TransformerEncoderLayer(*layer_args, **kw), num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        if custom_decoder is None:
            custom_decoder = TransformerDecoder(
                TransformerDecoderLayer(*layer_args, **kw), num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        self.encoder, self.decoder = custom_encoder, custom_decoder
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None,
                tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        batch_dim = 0 if self.batch_first else 1
        if src.ndim == 3 and tgt.ndim == 3 and src.shape[batch_dim] != tgt.shape[batch_dim]:
            raise ShapeError(f"Transformer: the batch number of src and tgt must be equal, got "
                             f"src {tuple(src.shape)} and tgt {tuple(tgt.shape)}")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ShapeError(f"Transformer: the feature number of src and tgt must be equal to "
                             f"d_model ({self.d_model}), got src {tuple(src.shape)} and tgt "
                             f"{tuple(tgt.shape)}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """The (sz, sz) float mask that hides later positions: -inf above the diagonal, else 0.

        Example:
            >>> import chainrule
            >>> chainrule.nn.Transformer.generate_square_subsequent_mask(2)
            tensor([[0., -inf],
                    [0., 0.]])
        """
        check_device("generate_square_subsequent_mask", device)
        dtype = default_float() if dtype is None else as_numpy_dtype(dtype)
        return _wrap(np.triu(np.full((sz, sz), -np.inf, dtype), 1))
