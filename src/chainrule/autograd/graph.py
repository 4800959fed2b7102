"""Walking the recorded graph: print_graph draws it as a text tree in the terminal.

The graph of a tensor is its ``grad_fn`` and, through ``next_functions``, everything it was
computed from, down to the AccumulateGrad nodes of the leaves. The walks here use an explicit
stack, never recursion, so a graph a thousand operations deep prints as well as a small one.
"""

from __future__ import annotations

import sys
from typing import TextIO

from ..tensor import Tensor
from .function import AccumulateGrad, grad_accumulator

__all__ = ["print_graph"]


def print_graph(tensor: Tensor, params: dict[str, Tensor] | None = None,
                file: TextIO | None = None) -> None:
    """Print the graph that computed ``tensor`` as a tree, root first.

    Each line is a node: its name (``grad_fn.name()``), the shape and dtype of what it
    computed and, for a leaf, its name in ``params``. A node used by several others is printed
    in full once, tagged ``[#k]``, and referred to as ``[#k]`` afterwards.

    Args:
        tensor: the result whose graph to print; it must require grad.
        params: names for leaf tensors, e.g. ``dict(model.named_parameters())`` (or the
            ``(name, tensor)`` pairs themselves).
        file: where to print (default ``sys.stdout``).

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([1.0, 2.0], requires_grad=True)
        >>> y = x * 2
        >>> print_graph((y * y).sum(), params={"x": x})
        SumBackward0 () float32
        └── MulBackward0 (2,) float32
            ├── MulBackward0 (2,) float32 [#1]
            │   └── AccumulateGrad x (2,) float32
            └── [#1] MulBackward0
    """
    root = _root_node(tensor, "print_graph")
    print("\n".join(_tree_lines(root, _leaf_names(params))), file=file or sys.stdout)


def _root_node(tensor: Tensor, op: str):
    """The node a graph walk starts from: grad_fn, or the AccumulateGrad of a leaf."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(tensor).__name__}")
    if tensor.grad_fn is not None:
        return tensor.grad_fn
    if not tensor.requires_grad:
        raise ValueError(f"{op}: the tensor (shape {tuple(tensor.shape)}) does not require grad, "
                         f"so no graph was recorded; create its inputs with requires_grad=True")
    return grad_accumulator(tensor)


def _leaf_names(params) -> dict[int, str]:
    """id(tensor) -> name, from a dict or (name, tensor) pairs (``model.named_parameters()``).

    The first name wins when one tensor appears twice (tied weights).
    """
    names: dict[int, str] = {}
    pairs = params.items() if hasattr(params, "items") else (params or ())
    for name, t in pairs:
        names.setdefault(id(t), name)
    return names


def _children(node) -> list[tuple[object, int]]:
    """The (node, output_nr) edges into the nodes ``node`` sends gradients to."""
    return [(child, nr) for child, nr in getattr(node, "next_functions", ()) if child is not None]


def _walk(root) -> tuple[list, dict]:
    """All nodes reachable from ``root`` in depth-first preorder, and how many edges reach each."""
    order, seen, uses = [], {root}, {root: 0}
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        children = _children(node)
        for child, _ in children:
            uses[child] = uses.get(child, 0) + 1
        for child, _ in reversed(children):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return order, uses


def _outputs(node) -> list[tuple[tuple, str]]:
    """(shape, dtype name) of each output of a node; a leaf's own shape and dtype."""
    if type(node) is AccumulateGrad:
        leaf = node.variable
        return [] if leaf is None else [(tuple(leaf.shape), str(leaf.data.dtype))]
    return [(tuple(shape), str(dtype)) for shape, dtype, _ in getattr(node, "_output_meta", ())]


def _describe(node, leaf_names: dict[int, str]) -> str:
    """``MulBackward0 (2, 3) float32``; ``AccumulateGrad w (3,) float32`` at a named leaf."""
    parts = [node.name() if type(node) is not AccumulateGrad else "AccumulateGrad"]
    if type(node) is AccumulateGrad and id(node.variable) in leaf_names:
        parts.append(leaf_names[id(node.variable)])
    outs = _outputs(node)
    parts.append(", ".join(f"{shape} {dtype}" for shape, dtype in outs) or "(freed leaf)")
    return " ".join(parts)


def _tree_lines(root, leaf_names: dict[int, str]) -> list[str]:
    _, uses = _walk(root)
    tags: dict = {}
    lines = []
    stack = [(root, "", "", -1)]  # node, prefix of its line, prefix of its children, output_nr
    while stack:
        node, head, indent, nr = stack.pop()
        which = f" (output {nr})" if nr > 0 or (nr == 0 and len(_outputs(node)) > 1) else ""
        if node in tags:
            shown = node.name() if type(node) is not AccumulateGrad else "AccumulateGrad"
            lines.append(f"{head}[#{tags[node]}] {shown}{which}")
            continue
        text = _describe(node, leaf_names) + which
        if uses[node] > 1:
            tags[node] = len(tags) + 1
            text += f" [#{tags[node]}]"
        lines.append(head + text)
        children = _children(node)
        for i in reversed(range(len(children))):
            last = i == len(children) - 1
            child, child_nr = children[i]
            stack.append((child, indent + ("└── " if last else "├── "),
                          indent + ("    " if last else "│   "), child_nr))
    return lines
