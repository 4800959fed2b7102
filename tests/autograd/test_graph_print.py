"""print_graph: the recorded graph as a text tree, root first, shared nodes printed once."""

import io
import sys

import pytest

import chainrule
from chainrule.autograd.graph import print_graph


def _printed(tensor, params=None) -> str:
    out = io.StringIO()
    print_graph(tensor, params, file=out)
    return out.getvalue()


def test_print_graph_draws_tree_with_names_shapes_and_leaf_names():
    w = chainrule.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = chainrule.tensor([0.5, 0.5], requires_grad=True)
    x = chainrule.tensor([[1.0, -1.0]])
    loss = (x @ w + b).tanh().sum()
    assert _printed(loss, {"w": w, "b": b}) == (
        "SumBackward0 () float32\n"
        "└── TanhBackward0 (1, 2) float32\n"
        "    └── AddBackward0 (1, 2) float32\n"
        "        ├── MatMulBackward0 (1, 2) float32\n"
        "        │   └── AccumulateGrad w (2, 2) float32\n"
        "        └── AccumulateGrad b (2,) float32\n")


def test_print_graph_shows_shared_node_once_then_references_it():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * y + y
    assert _printed(z, {"x": x}) == (
        "AddBackward0 (2,) float32\n"
        "├── MulBackward0 (2,) float32\n"
        "│   ├── MulBackward0 (2,) float32 [#1]\n"
        "│   │   └── AccumulateGrad x (2,) float32\n"
        "│   └── [#1] MulBackward0\n"
        "└── [#1] MulBackward0\n")


def test_print_graph_names_output_of_multi_output_node():
    x = chainrule.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    a, b = x.split(2)
    assert _printed(a * b) == (
        "MulBackward0 (2,) float32\n"
        "├── SplitBackward0 (2,) float32, (2,) float32 (output 0) [#1]\n"
        "│   └── AccumulateGrad (4,) float32\n"
        "└── [#1] SplitBackward0 (output 1)\n")


def test_print_graph_of_leaf_and_float64():
    x = chainrule.tensor([1.0], dtype=chainrule.float64, requires_grad=True)
    assert _printed(x, {"x": x}) == "AccumulateGrad x (1,) float64\n"


def test_print_graph_writes_to_stdout_by_default(capsys):
    x = chainrule.tensor(2.0, requires_grad=True)
    print_graph(x.exp())
    expected = "ExpBackward0 () float32\n└── AccumulateGrad () float32\n"
    assert capsys.readouterr().out == expected


def test_print_graph_of_deep_chain_is_iterative():
    x = chainrule.tensor([1.0], requires_grad=True)
    y = x
    depth = sys.getrecursionlimit() + 500  # a recursive walk would overflow the stack
    for _ in range(depth):
        y = y * 1.0
    lines = _printed(y).splitlines()
    assert len(lines) == depth + 1
    assert lines[-1].endswith("└── AccumulateGrad (1,) float32")
    assert lines[-1].startswith(" " * 4 * (depth - 1))


def test_print_graph_first_name_wins_for_tied_leaf():
    w = chainrule.tensor([1.0], requires_grad=True)
    assert "AccumulateGrad enc.w (1,)" in _printed(w * 2, {"enc.w": w, "dec.w": w})


def test_print_graph_rejects_tensor_without_graph():
    with pytest.raises(ValueError, match=r"print_graph: the tensor \(shape \(2,\)\) does not "
                                         r"require grad.*requires_grad=True"):
        print_graph(chainrule.tensor([1.0, 2.0]))


def test_print_graph_rejects_non_tensor():
    with pytest.raises(TypeError, match="print_graph: expected a Tensor, got list"):
        print_graph([1.0])


def test_print_graph_is_also_in_viz():
    import chainrule.viz

    assert chainrule.viz.print_graph is print_graph


def test_print_graph_accepts_name_tensor_pairs():
    w = chainrule.tensor([1.0], requires_grad=True)
    assert "AccumulateGrad w (1,)" in _printed(w * 2, iter([("w", w)]))
