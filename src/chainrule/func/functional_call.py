"""functional_call: run a Module with other tensors in place of its parameters and buffers.

The module is called with the given tensors swapped into its ``_parameters`` / ``_buffers``
dicts, and the originals are put back afterwards, even if forward raises. The module's output
is then a function of the tensors passed, so gradients flow to them: this is how MAML writes
an inner SGD step, ``params - lr * grad``, that stays differentiable.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..tensor import Tensor

__all__ = ["functional_call"]


def _merge(dicts) -> dict:
    if isinstance(dicts, Mapping):
        return dict(dicts)
    if not isinstance(dicts, (tuple, list)) or not all(isinstance(d, Mapping) for d in dicts):
        raise TypeError(f"functional_call: expected a dict or a tuple of dicts of tensors, got "
                        f"{type(dicts).__name__}")
    merged: dict = {}
    for d in dicts:
        repeated = sorted(set(merged) & set(d))
        if repeated:
            raise ValueError(f"functional_call: {repeated} appeared in multiple dictionaries; "
                             f"behavior of functional call is ambiguous")
        merged.update(d)
    return merged


def _tied_names(module) -> dict[str, list[str]]:
    """For each parameter or buffer name, every name that refers to the same tensor."""
    by_tensor: dict[int, list[str]] = {}
    for name, t in [*module.named_parameters(remove_duplicate=False),
                    *module.named_buffers(remove_duplicate=False)]:
        by_tensor.setdefault(id(t), []).append(name)
    return {name: names for names in by_tensor.values() for name in names}


def _expand_ties(module, values: dict) -> dict:
    """Give every tied name the value passed for any one of them (refusing two values)."""
    tied = _tied_names(module)
    result = dict(values)
    for name, value in values.items():
        for other in tied.get(name, ()):
            if other in values and values[other] is not value:
                raise ValueError(f"functional_call got multiple values for keys ['{name}', "
                                 f"'{other}'], which are tied. Consider using tie_weights=False")
            result[other] = value
    return result


def _check_strict(module, values: dict) -> None:
    names = set(_tied_names(module))
    missing, unexpected = sorted(names - set(values)), sorted(set(values) - names)
    if missing or unexpected:
        raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                           f"Missing key(s): {missing}. Unexpected key(s): {unexpected}.")


def _owner(module, name: str):
    """The submodule that holds ``name`` ("0.weight" -> module 0) and the attribute name."""
    *path, attr = name.split(".")
    owner = module
    for i, part in enumerate(path):
        child = owner._modules.get(part) if hasattr(owner, "_modules") else None
        if child is None:
            raise AttributeError(f"functional_call: {type(module).__name__} has no submodule "
                                 f"'{'.'.join(path[:i + 1])}' (for the key '{name}')")
        owner = child
    return owner, attr


_ABSENT = object()  # what _swap remembers for a plain attribute that did not exist


def _swap(owner, attr: str, value) -> tuple[str | None, object]:
    """Put ``value`` in place of ``owner.attr``; returns (where it was, the old value)."""
    for store in ("_parameters", "_buffers"):
        table = owner.__dict__[store]
        if attr in table:
            old, table[attr] = table[attr], value
            return store, old
    old = owner.__dict__.get(attr, _ABSENT)
    owner.__dict__[attr] = value  # neither a parameter nor a buffer: a plain attribute
    return None, old


def _restore(owner, attr: str, store: str | None, old) -> None:
    if store is not None:
        owner.__dict__[store][attr] = old
    elif old is _ABSENT:
        del owner.__dict__[attr]
    else:
        owner.__dict__[attr] = old


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs: dict | None = None,
                    *, tie_weights: bool = True, strict: bool = False):
    """``module(*args, **kwargs)`` with the named parameters and buffers replaced by the tensors
    given, the originals restored afterwards (even on error).

    Args:
        module: the Module to call.
        parameter_and_buffer_dicts: ``{name: tensor}`` with dotted names (``"0.weight"``), or a
            tuple of such dicts (merged; a key may appear in only one).
        args: the positional arguments: a tuple, or a single argument.
        kwargs: the keyword arguments.
        tie_weights: a value given for one of several names of one tensor (tied weights)
            replaces it under all of them.
        strict: the dict must name every parameter and buffer, and nothing else.

    Example:
        >>> import chainrule
        >>> from chainrule.func import functional_call
        >>> layer = chainrule.nn.Linear(2, 1, bias=False)
        >>> w = chainrule.tensor([[1.0, 2.0]], requires_grad=True)
        >>> y = functional_call(layer, {"weight": w}, (chainrule.tensor([3.0, 4.0]),))
        >>> y.backward()
        >>> y.detach(), w.grad
        (tensor([11.]), tensor([[3., 4.]]))
    """
    values = _merge(parameter_and_buffer_dicts)
    for name, value in values.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"functional_call: expected a Tensor for '{name}', got "
                            f"{type(value).__name__}")
    if tie_weights:
        values = _expand_ties(module, values)
    if strict:
        _check_strict(module, values)
    targets = [(_owner(module, name), value) for name, value in values.items()]
    args = args if isinstance(args, tuple) else (() if args is None else (args,))
    undo = []
    try:
        for (owner, attr), value in targets:
            undo.append((owner, attr, *_swap(owner, attr, value)))
        return module(*args, **(kwargs or {}))
    finally:
        for owner, attr, store, old in reversed(undo):
            _restore(owner, attr, store, old)
