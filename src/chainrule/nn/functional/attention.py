"""Attention: softmax(q kᵀ · scale + mask) v, and the multi-head form nn.MultiheadAttention uses.

Both are composed from ops (matmul, softmax, add, where), so gradients of every order come from
those ops' rules. A query row whose keys are all masked out gets zero weights (and a zero
output), as in PyTorch's ``scaled_dot_product_attention``, rather than the NaNs of a softmax
over nothing.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import DTypeError, ShapeError
from ...ops.activation import softmax
from ...ops.comparison import where
from ...ops.linalg import matmul
from ...ops.shape import cat, split
from ...tensor import Tensor, _wrap
from .dropout import dropout
from .linear import linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _check_qkv(op: str, query: Tensor, key: Tensor, value: Tensor) -> None:
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
        if t.data.dtype.kind != "f" or t.data.dtype != query.data.dtype:
            raise DTypeError(f"{op}: query, key and value must share one floating dtype, got "
                             f"{query.dtype}, {key.dtype} and {value.dtype}")
    q, k, v = tuple(query.shape), tuple(key.shape), tuple(value.shape)
    if min(len(q), len(k), len(v)) < 2 or q[-1] != k[-1] or k[-2] != v[-2]:
        raise ShapeError(f"{op}: expected query (..., L, E), key (..., S, E) and value "
                         f"(..., S, Ev), got query {q}, key {k} and value {v}")


def _additive_mask(op: str, mask: Tensor | None, like: Tensor, allowed: bool):
    """A float mask to add to the scores: a bool mask becomes 0 / -inf (``allowed`` says which
    of True and False takes part); a float mask is used as it is."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}: a mask must be a Tensor, got {type(mask).__name__}")
    if mask.data.dtype == np.bool_:
        keep = mask.data if allowed else ~mask.data
        return _wrap(np.where(keep, 0, -np.inf).astype(like.data.dtype))
    if mask.data.dtype != like.data.dtype:
        raise DTypeError(f"{op}: only bool masks and float masks of the query's dtype "
                         f"({like.dtype}) are supported, got {mask.dtype}")
    return mask


def _attend(query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None, dropout_p: float,
            scale: float) -> tuple[Tensor, Tensor]:
    """(softmax(q kᵀ scale + mask) v, the weights), zero weights where a row is all masked."""
    scores = matmul(query * scale, key.mT)
    if mask is None:
        weights = softmax(scores, -1)
    else:
        scores = scores + mask
        dead = np.all(np.isneginf(scores.data), axis=-1, keepdims=True)
        if dead.any():  # a softmax over nothing: zero weights instead of 0/0
            dead_rows = _wrap(dead)
            weights = where(dead_rows, 0.0, softmax(where(dead_rows, 0.0, scores), -1))
        else:
            weights = softmax(scores, -1)
    if dropout_p > 0:
        weights = dropout(weights, dropout_p, True)
    return matmul(weights, value), weights


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, *, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(query keyᵀ · scale + mask) value, with scale = 1/√E by default.

    Args:
        query: (..., L, E); key: (..., S, E); value: (..., S, Ev); leading dims broadcast.
        attn_mask: broadcastable to (..., L, S): bool (True = takes part) or float (added).
        dropout_p: dropout on the attention weights (always applied when > 0, as PyTorch).
        is_causal: let position i attend to keys 0..i only; excludes ``attn_mask``.
        scale: the factor on the scores, 1/√E if None.
        enable_gqa: grouped-query attention: key and value may have fewer heads (dim -3) than
            query, a divisor of them; each key/value head serves that many consecutive query
            heads.

    Returns:
        (..., L, Ev).

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> q, k = chainrule.ones(1, 2, 2), chainrule.ones(1, 2, 2)
        >>> v = chainrule.tensor([[[1.0, 0.0], [0.0, 1.0]]])
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True)
        tensor([[[1.0000, 0.0000],
                 [0.5000, 0.5000]]])
    """
    op = "scaled_dot_product_attention"
    _check_qkv(op, query, key, value)
    if enable_gqa:
        key, value = _repeat_heads(op, query, key), _repeat_heads(op, query, value)
    if is_causal and attn_mask is not None:
        raise RuntimeError(f"{op}: an explicit attn_mask should not be set when is_causal=True")
    if is_causal:
        attn_mask = _wrap(np.tri(query.shape[-2], key.shape[-2], dtype=np.bool_))
    mask = _additive_mask(op, attn_mask, query, allowed=True)
    if mask is not None:
        try:
            np.broadcast_shapes(mask.shape, query.shape[:-1] + key.shape[-2:-1])
        except ValueError:
            raise ShapeError(f"{op}: attn_mask of shape {tuple(mask.shape)} does not broadcast "
                             f"to the scores' shape (..., L, S) = "
                             f"{query.shape[:-1] + key.shape[-2:-1]}") from None
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    return _attend(query, key, value, mask, dropout_p, scale)[0]


def _repeat_heads(op: str, query: Tensor, kv: Tensor) -> Tensor:
    """kv (..., H_kv, S, E) with each head repeated to query's H_q heads, in groups."""
    if query.ndim < 3 or kv.ndim < 3 or query.shape[-3] % kv.shape[-3]:
        raise ShapeError(f"{op}: with enable_gqa, query's heads (dim -3) must be a multiple of "
                         f"key's and value's; got query {tuple(query.shape)} and "
                         f"{tuple(kv.shape)}")
    heads, group = kv.shape[-3], query.shape[-3] // kv.shape[-3]
    lead, tail = kv.shape[:-3], kv.shape[-2:]
    grouped = kv.unsqueeze(-3).expand(*lead, heads, group, *tail)
    return grouped.reshape(*lead, heads * group, *tail)


# -- multi-head attention -------------------------------------------------------------------------
def _in_projection(query, key, value, in_w, in_b, separate, q_w, k_w, v_w) -> list[Tensor]:
    """[q, k, v], each projected to embed_dim features (layout unchanged)."""
    if not separate and query is key and key is value:  # self-attention: one product
        return list(split(linear(query, in_w, in_b), query.shape[-1], -1))
    weights = (q_w, k_w, v_w) if separate else split(in_w, in_w.shape[0] // 3, 0)
    biases = (None,) * 3 if in_b is None else split(in_b, in_b.shape[0] // 3, 0)
    return [linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases)]


def _heads(x: Tensor, batch: int, num_heads: int) -> Tensor:
    """(length, batch, E) -> (batch * heads, length, E / heads)."""
    return x.reshape(x.shape[0], batch * num_heads, -1).transpose(0, 1)


def _check_mha(query: Tensor, key: Tensor, value: Tensor, embed_dim: int, num_heads: int):
    op = "multi_head_attention_forward"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    q, k, v = tuple(query.shape), tuple(key.shape), tuple(value.shape)
    if not (len(q) == len(k) == len(v) == 3) or k[:2] != v[:2] or q[1] != k[1] \
            or q[2] != embed_dim:
        raise ShapeError(f"{op}: expected query (L, N, {embed_dim}), key (S, N, kdim) and "
                         f"value (S, N, vdim), got query {q}, key {k} and value {v}")
    if embed_dim % num_heads:
        raise ValueError(f"{op}: embed_dim {embed_dim} is not divisible by num_heads "
                         f"{num_heads}")


def _mha_mask(attn_mask, key_padding_mask, batch: int, num_heads: int, tgt: int, src: int,
              like: Tensor) -> Tensor | None:
    """attn_mask ((L, S) or (N*heads, L, S)) and key_padding_mask ((N, S)), True = masked out,
    merged into one additive mask of shape (N*heads or 1, L, S)."""
    op = "multi_head_attention_forward"
    mask = _additive_mask(op, attn_mask, like, allowed=False)
    if mask is not None and tuple(mask.shape) not in ((tgt, src), (batch * num_heads, tgt, src)):
        raise ShapeError(f"{op}: attn_mask should have shape ({tgt}, {src}) or "
                         f"({batch * num_heads}, {tgt}, {src}), got {tuple(mask.shape)}")
    padding = _additive_mask(op, key_padding_mask, like, allowed=False)
    if padding is None:
        return mask
    if tuple(padding.shape) != (batch, src):
        raise ShapeError(f"{op}: key_padding_mask should have shape ({batch}, {src}), got "
                         f"{tuple(padding.shape)}")
    padding = padding.reshape(batch, 1, 1, src).expand(batch, num_heads, 1, src)
    padding = padding.reshape(batch * num_heads, 1, src)
    return padding if mask is None else mask + padding


def _extra_keys(k, v, bias_k, bias_v, add_zero_attn, attn_mask, key_padding_mask):
    """Append the learnt bias_k / bias_v position and/or a zero position to keys and values
    (length-first layout), with masks padded by one 'takes part' column for each."""
    def pad(mask):
        if mask is None:
            return None
        fill = np.zeros(mask.shape[:-1] + (1,), mask.data.dtype)
        return cat([mask, _wrap(fill)], -1)

    batch = k.shape[1]
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.expand(1, batch, k.shape[2])], 0)
        v = cat([v, bias_v.expand(1, batch, v.shape[2])], 0)
        attn_mask, key_padding_mask = pad(attn_mask), pad(key_padding_mask)
    if add_zero_attn:
        k = cat([k, _wrap(np.zeros((1,) + k.shape[1:], k.data.dtype))], 0)
        v = cat([v, _wrap(np.zeros((1,) + v.shape[1:], v.data.dtype))], 0)
        attn_mask, key_padding_mask = pad(attn_mask), pad(key_padding_mask)
    return k, v, attn_mask, key_padding_mask


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
        out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention, length first: each of ``num_heads`` heads attends with its own
    slice of the projections, softmax(q_h k_hᵀ / √head_dim + mask) v_h, and the concatenated
    heads go through ``out_proj``.

    Args:
        query: (L, N, E) or unbatched (L, E); key: (S, N, kdim); value: (S, N, vdim).
        in_proj_weight, in_proj_bias: the stacked q, k, v projections (3E, E) and (3E,);
            with ``use_separate_proj_weight``, q/k/v_proj_weight (E, E), (E, kdim), (E, vdim).
        bias_k, bias_v: (1, 1, E) learnt key and value appended to the sequence, or None.
        add_zero_attn: append a zero key and value.
        dropout_p: dropout on the attention weights while ``training``.
        key_padding_mask: (N, S), True (or -inf) for keys to ignore.
        attn_mask: (L, S) or (N * num_heads, L, S), True (or -inf) where attention is not
            allowed; a float mask is added to the scores.
        need_weights: also return the attention weights, averaged over heads
            (``average_attn_weights``, shape (N, L, S)) or per head (N, num_heads, L, S).
        is_causal: a hint that ``attn_mask`` is the causal mask; ``attn_mask`` is required.

    Returns:
        (output (L, N, E), weights or None); without the batch dim for unbatched input.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> x = chainrule.ones(3, 1, 4)
        >>> w, b = chainrule.ones(12, 4), chainrule.zeros(12)
        >>> out, weights = F.multi_head_attention_forward(
        ...     x, x, x, 4, 2, w, b, None, None, False, 0.0, chainrule.eye(4), None)
        >>> out.shape, weights.shape
        ((3, 1, 4), (1, 3, 3))
    """
    if static_k is not None or static_v is not None:
        raise NotImplementedError("multi_head_attention_forward: static_k and static_v are "
                                  "not supported")
    if is_causal and attn_mask is None:
        raise RuntimeError("multi_head_attention_forward: is_causal=True is a hint that "
                           "attn_mask is the causal mask, so attn_mask must be given")
    unbatched = isinstance(query, Tensor) and query.ndim == 2
    if unbatched:
        query, key, value = (t.unsqueeze(1) if isinstance(t, Tensor) else t
                             for t in (query, key, value))
        key_padding_mask = None if key_padding_mask is None else key_padding_mask.unsqueeze(0)
    _check_mha(query, key, value, embed_dim_to_check, num_heads)
    q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias,
                             use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight)
    k, v, attn_mask, key_padding_mask = _extra_keys(k, v, bias_k, bias_v, add_zero_attn,
                                                    attn_mask, key_padding_mask)
    (tgt, batch, embed), src = q.shape, k.shape[0]
    mask = _mha_mask(attn_mask, key_padding_mask, batch, num_heads, tgt, src, q)
    out, weights = _attend(_heads(q, batch, num_heads), _heads(k, batch, num_heads),
                           _heads(v, batch, num_heads), mask, dropout_p if training else 0.0,
                           1 / math.sqrt(embed // num_heads))
    out = linear(out.transpose(0, 1).reshape(tgt, batch, embed), out_proj_weight, out_proj_bias)
    if need_weights:
        weights = weights.reshape(batch, num_heads, tgt, src)
        weights = weights.mean(1) if average_attn_weights else weights
    else:
        weights = None
    if unbatched:
        out = out.squeeze(1)
        weights = None if weights is None else weights.squeeze(0)
    return out, weights
