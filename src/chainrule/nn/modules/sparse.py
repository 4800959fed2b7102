"""Embedding: a table of num_embeddings vectors, looked up by integer index."""

from __future__ import annotations

from ...autograd.grad_mode import no_grad
from ...errors import ShapeError
from ...factories import empty
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..functional.sparse import _padding_row
from ..parameter import Parameter
from .module import Module

__all__ = ["Embedding"]


class Embedding(Module):
    """y[..., :] = weight[x[...], :], weight (num_embeddings, embedding_dim) starting as N(0, 1)
    with the ``padding_idx`` row zeroed (and that row gets no gradient).

    Args:
        padding_idx: a row kept at zero at initialisation and excluded from gradients.
        max_norm, norm_type, scale_grad_by_freq, sparse: as :func:`~chainrule.nn.functional.
            embedding`.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> emb = nn.Embedding(10, 3, padding_idx=0)
        >>> emb
        Embedding(10, 3, padding_idx=0)
        >>> emb(chainrule.tensor([[0, 4], [4, 9]])).shape
        (2, 2, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Tensor | None = None, _freeze: bool = False, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = _padding_row(padding_idx, num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            weight = empty(num_embeddings, embedding_dim, dtype=dtype, device=device)
            self.weight = Parameter(weight, requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ShapeError(f"Embedding: _weight has shape {tuple(_weight.shape)} but "
                                 f"expected ({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        if self.sparse:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding whose weight is ``embeddings`` (shared, not copied); with ``freeze``
        it gets no gradient. The padding row is left as given.

        Example:
            >>> import chainrule
            >>> from chainrule import nn
            >>> emb = nn.Embedding.from_pretrained(chainrule.tensor([[1.0, 2.0], [3.0, 4.0]]))
            >>> emb(chainrule.tensor([1])), emb.weight.requires_grad
            (tensor([[3., 4.]]), False)
        """
        if not isinstance(embeddings, Tensor) or embeddings.ndim != 2:
            raise ShapeError("Embedding.from_pretrained: embeddings are expected to be a 2-D "
                             "tensor (num_embeddings, embedding_dim)")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)
