"""Rendering with Graphviz (skipped cleanly where the package or `dot` is missing) and its hints."""

import shutil
import sys
import xml.etree.ElementTree as ET

import pytest

import chainrule
import chainrule.viz
from chainrule.viz import render as render_mod


def _graph():
    w = chainrule.tensor([[1.0, 2.0]], requires_grad=True)
    x = chainrule.tensor([[3.0], [4.0]])
    return chainrule.viz.graph((w @ x).relu().sum(), {"w": w})


@pytest.fixture
def graphviz():
    module = pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed (apt-get install graphviz)")
    return module


def test_render_svg_draws_every_node(graphviz, tmp_path):
    g = _graph()
    path = g.render(str(tmp_path / "graph.svg"))
    assert path == str(tmp_path / "graph.svg")
    root = ET.parse(path).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    titles = {el.text for el in root.iter(ns + "title")}
    assert {n.id for n in g.nodes} <= titles
    texts = {el.text for el in root.iter(ns + "text")}
    assert {"w", "ReluBackward0", "SumBackward0", "MatMulBackward0", "(1, 2) float32"} <= texts
    assert list(tmp_path.iterdir()) == [tmp_path / "graph.svg"]  # no temporary files left


def test_render_png(graphviz, tmp_path):
    path = _graph().render(tmp_path / "graph.png", format="png")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_repr_svg_uses_graphviz_when_installed(graphviz):
    svg = _graph()._repr_svg_()
    assert "<svg" in svg and "MatMulBackward0" in svg and 'class="node"' in svg


def test_render_without_dot_program_names_the_install(graphviz, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="dot program on PATH: apt-get install graphviz"):
        _graph().render(str(tmp_path / "g.svg"))
    assert render_mod.pipe_svg("digraph {}") is None
    assert not (tmp_path / "g.svg").exists()


def test_render_without_graphviz_package_names_the_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    with pytest.raises(ImportError, match=r'pip install "chainrule\[viz\]"'):
        _graph().render(str(tmp_path / "g.svg"))
    assert render_mod.pipe_svg("digraph {}") is None


def test_render_rejects_unknown_format(tmp_path):
    with pytest.raises(ValueError, match=r"render: format must be one of \('svg', 'png'\), "
                                         r"got 'pdf'"):
        _graph().render(str(tmp_path / "g.pdf"), format="pdf")
