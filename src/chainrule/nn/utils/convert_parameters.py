"""Parameters as one flat vector and back (for line searches, second-order methods, ...)."""

from __future__ import annotations

from collections.abc import Iterable

from ...autograd.grad_mode import no_grad
from ...errors import ShapeError
from ...ops.shape import cat
from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated, in order: one 1-D tensor (differentiable).

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> from chainrule.nn.utils import parameters_to_vector
        >>> parameters_to_vector(nn.Linear(3, 2).parameters()).shape
        (8,)
    """
    if isinstance(parameters, Tensor):
        raise TypeError("parameters_to_vector: expected an iterable of Tensors, got a Tensor; "
                        "wrap it in a list")
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place and in order.

    Raises:
        ShapeError: if ``vec``'s size differs from the parameters' total size.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> from chainrule.nn.utils import vector_to_parameters
        >>> layer = nn.Linear(2, 1)
        >>> vector_to_parameters(chainrule.tensor([1.0, 2.0, 3.0]), layer.parameters())
        >>> layer.weight, layer.bias
        (Parameter containing:
        tensor([[1., 2.]], requires_grad=True), Parameter containing:
        tensor([3.], requires_grad=True))
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor for vec, got "
                        f"{type(vec).__name__}")
    if vec.ndim != 1:
        raise ShapeError(f"vector_to_parameters: vec must be 1-D, got shape {tuple(vec.shape)}")
    params = list(parameters)
    total = sum(p.data.size for p in params)
    if vec.shape[0] != total:
        raise ShapeError(f"vector_to_parameters: vec has {vec.shape[0]} elements but the "
                         f"parameters have {total} in all; they must be equal")
    start = 0
    with no_grad():
        for p in params:
            n = p.data.size
            p.copy_(vec.detach()[start:start + n].reshape(p.shape))
            start += n
