"""Lookups by integer index: embedding (rows of a weight table) and one_hot.

``embedding`` is one ``Index`` node, whose backward scatter-adds, so an index repeated in the
batch accumulates its gradients. Rows at ``padding_idx`` get no gradient: the lookup is
rewritten as ``out.detach() + (out * s - (out * s).detach())``, whose value is exactly
``out`` and whose gradient is ``s`` (0 at padding, 1 / count with ``scale_grad_by_freq``).
The lookup's derivative is then s times the plain one at every order, so a second derivative
carries s² (PyTorch's double backward of ``scale_grad_by_freq`` carries s once; at padding
s² = s and the two agree).
"""

from __future__ import annotations

import numpy as np

from ...autograd.grad_mode import no_grad
from ...errors import DTypeError, ShapeError
from ...ops.indexing import Index
from ...tensor import Tensor, _wrap

__all__ = ["embedding", "one_hot"]


def _indices(op: str, input: Tensor) -> np.ndarray:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor of indices, got {type(input).__name__}")
    if input.data.dtype.kind not in "iu":
        raise DTypeError(f"{op}: expected an integer (int64 or int32) index tensor, got "
                         f"{input.dtype}; convert it with .long()")
    return input.data


def _padding_row(padding_idx: int | None, num: int) -> int | None:
    if padding_idx is None:
        return None
    if not -num <= padding_idx < num:
        raise ValueError(f"embedding: padding_idx must be within num_embeddings ({num}), got "
                         f"{padding_idx}")
    return padding_idx % num


def _renorm_(weight: Tensor, index: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Rows of ``weight`` used by ``index`` whose norm exceeds max_norm are scaled onto it."""
    rows = np.unique(index)
    norms = np.linalg.norm(weight.data[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms[big] + 1e-7)).astype(weight.data.dtype)
        with no_grad():
            weight.data[rows[big]] *= scale[:, None]
            weight._bump_version()


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """out[..., :] = weight[input[...], :]: the rows of ``weight`` named by ``input``.

    Args:
        input: integer indices of any shape, each in [0, num_embeddings).
        weight: (num_embeddings, embedding_dim).
        padding_idx: a row that receives no gradient.
        max_norm: first rescale (in place) the looked-up rows whose ``norm_type``-norm exceeds
            it to that norm.
        scale_grad_by_freq: divide each row's gradient by its count in ``input``.
        sparse: sparse gradients are not supported; must be False.

    Returns:
        (*input.shape, embedding_dim).

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> w = chainrule.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
        >>> F.embedding(chainrule.tensor([[2, 1], [1, 0]]), w)
        tensor([[[3., 4.],
                 [1., 2.]],
        <BLANKLINE>
                [[1., 2.],
                 [0., 0.]]])
    """
    index = _indices("embedding", input)
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        shape = tuple(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
        raise ShapeError(f"embedding: weight must be a 2-D Tensor (num_embeddings, "
                         f"embedding_dim), got {shape}")
    if sparse:
        raise ValueError("embedding: sparse gradients are not supported; use sparse=False")
    num = weight.shape[0]
    padding = _padding_row(padding_idx, num)
    if index.size and (index.min() < 0 or index.max() >= num):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexError(f"embedding: index {bad} is out of range for a table of {num} rows "
                         f"(weight shape {tuple(weight.shape)})")
    if max_norm is not None:
        _renorm_(weight, index, max_norm, norm_type)
    out = Index.apply(weight, (index,))
    if padding is None and not scale_grad_by_freq:
        return out
    return _scale_grad(out, _grad_scale(index, padding, scale_grad_by_freq, weight.data.dtype))


def _grad_scale(index: np.ndarray, padding: int | None, by_freq: bool, dtype) -> np.ndarray:
    """Per looked-up row: 0 at padding, else 1 / (its count in index) or 1; shape (*, 1)."""
    scale = np.ones(index.shape, dtype)
    if by_freq:
        _, inverse, counts = np.unique(index, return_inverse=True, return_counts=True)
        scale = (1 / counts[inverse.reshape(index.shape)]).astype(dtype)
    if padding is not None:
        scale[index == padding] = 0
    return scale[..., None]


def _scale_grad(out: Tensor, scale: np.ndarray) -> Tensor:
    """``out`` unchanged in value (x - x is exactly 0), with its gradient multiplied by scale."""
    scaled = out * _wrap(scale)
    return out.detach() + (scaled - scaled.detach())


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """out[..., k] = 1 if tensor[...] == k else 0, an int64 tensor of shape (*, num_classes).

    Args:
        num_classes: the number of classes; -1 means ``tensor.max() + 1``.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.one_hot(chainrule.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    index = _indices("one_hot", tensor)
    if index.size and index.min() < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {index.min()}")
    if num_classes == -1:
        if not index.size:
            raise ValueError("one_hot: can not infer the number of classes of an empty tensor; "
                             "pass num_classes")
        num_classes = int(index.max()) + 1
    elif index.size and index.max() >= num_classes:
        raise ValueError(f"one_hot: class values must be smaller than num_classes "
                         f"({num_classes}), got {index.max()}")
    out = np.arange(num_classes) == index[..., None]
    return _wrap(out.astype(np.int64))
