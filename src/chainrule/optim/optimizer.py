"""Optimizer: the base class of every optimizer (parameter groups, state, state_dict).

An optimizer holds ``param_groups``, a list of dicts each with ``"params"`` (a list of leaf
tensors) and that group's options (``lr``, ``momentum``, ...), and ``state``, a dict from each
parameter to its buffers (``momentum_buffer``, ``exp_avg``, ...). Subclasses implement ``step()``:
a loop over the groups that updates ``p.data`` in place with NumPy, so no graph is recorded.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor

__all__ = ["Optimizer"]

_SET_MESSAGE = (
    "optimizer parameters need to be organized in ordered collections, but the ordering of "
    "tensors in sets will change between runs; use a list instead"
)
ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]


class Optimizer:
    """Base class: keeps parameter groups and per-parameter state; subclasses define ``step``.

    Args:
        params: an iterable of tensors, or of dicts ``{"params": [...], "lr": ..., ...}`` that
            give some groups their own options.
        defaults: the options a group gets when it does not set them.
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got a single Tensor (shape {tuple(params.shape)}); wrap it in a list"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with its own options) to optimize, e.g. a new layer."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)
        params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"can't optimize a non-leaf Tensor (shape {tuple(p.shape)}, grad_fn "
                    f"{p.grad_fn.name()}); optimize the leaf it was computed from"
                )
        group = {**param_group, "params": params}
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; this will be "
                "an error in the future",
                UserWarning,
                stacklevel=2,
            )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors (to None, or to zeros in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                p.grad.detach_()
                if p.grad.data.flags.writeable:
                    p.grad.data.fill(0)
                    p.grad._bump_version()
                else:  # a read-only gradient (e.g. a broadcast view) is replaced instead
                    p.grad = Tensor(np.zeros_like(p.grad.data))

    def step(self, closure: Callable[[], Any] | None = None):
        """One optimization step; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    @staticmethod
    def _evaluate(closure: Callable[[], Any] | None):
        """Run the closure (which calls backward) with gradient recording on."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def state_dict(self) -> dict[str, Any]:
        """The state in PyTorch's layout: ``{"state": {id: {...}}, "param_groups": [...]}``.

        Parameters are replaced by integer ids numbered in group order, so the dict does not
        depend on object identity and can be saved with :func:`chainrule.save`.
        """
        ids: dict[int, int] = {}
        packed_groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                ids.setdefault(id(p), len(ids))
            packed["params"] = [ids[id(p)] for p in group["params"]]
            packed_groups.append(packed)
        packed_state = {
            (ids[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()
        }
        return {"state": packed_state, "param_groups": packed_groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a dict made by :meth:`state_dict` (the groups must have the same sizes).

        State tensors are copied; floating-point buffers take the dtype of their parameter,
        except ``step``, which stays as saved (PyTorch's policy).
        """
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError(
                "load_state_dict: expected a dict with keys 'state' and 'param_groups' (as made "
                f"by Optimizer.state_dict()), got {type(state_dict).__name__}"
                + (
                    f" with keys {sorted(map(str, state_dict))}"
                    if isinstance(state_dict, dict)
                    else ""
                )
            )
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, but the optimizer "
                f"has {len(groups)}"
            )
        for i, (group, saved) in enumerate(zip(groups, saved_groups, strict=True)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group that doesn't match the size "
                    f"of optimizer's group: group {i} has {len(saved['params'])} parameters in "
                    f"the state dict and {len(group['params'])} in the optimizer"
                )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
                strict=True,
            )
        )
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                param = id_map[key]
                state[param] = {k: _cast(param, v, k) for k, v in value.items()}
            else:
                state[key] = value
        for group, saved in zip(groups, saved_groups, strict=True):
            saved["params"] = group["params"]
        self.state = state
        self.param_groups = saved_groups

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines + [")"])


def _cast(param: Tensor, value: Any, key: str) -> Any:
    """A copy of a loaded state value, with float buffers in the parameter's dtype."""
    if isinstance(value, Tensor):
        data = value.data
        if key != "step" and param.is_floating_point() and data.dtype.kind == "f":
            return Tensor(data.astype(param.data.dtype, copy=True))
        return Tensor(data.copy())
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(param, v, key) for v in value)
    return value


def _check_nonnegative(**values: float) -> None:
    """Raise a ValueError naming the first negative hyperparameter."""
    for name, value in values.items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {name} value: {value} (must be >= 0)")


def _zeros_like(p: Tensor) -> Tensor:
    return Tensor(np.zeros_like(p.data))


def _new_step() -> Tensor:
    """The step count, a float32 scalar tensor as in PyTorch's state dicts."""
    return Tensor(np.zeros((), dtype=np.float32))


def _lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """start += weight * (end - start) in place, rounded as PyTorch's lerp_ rounds it."""
    if weight < 0.5:
        np.add(start, weight * (end - start), out=start)
    else:
        np.subtract(end, (end - start) * (1 - weight), out=start)
    return start
