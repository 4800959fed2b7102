"""The pictures of the documentation, drawn by chainrule itself when the docs are built.

``python docs/figures.py`` writes them to ``docs/_generated/``; ``docs/conf.py`` does the same
at the start of every build, so a picture can never disagree with the code.
"""

from __future__ import annotations

import pathlib

import chainrule
import chainrule.viz


def square(out: pathlib.Path) -> None:
    """y = x ** 2: one op, one leaf."""
    x = chainrule.tensor([3.0], requires_grad=True)
    y = x ** 2
    chainrule.viz.graph(y, params={"x": x}).render(str(out / "square.svg"))


def regression(out: pathlib.Path) -> None:
    """The loss of a linear fit, with its two parameters named."""
    xs = chainrule.linspace(-1, 1, 5)
    w = chainrule.zeros(1, requires_grad=True)
    b = chainrule.zeros(1, requires_grad=True)
    loss = ((w * xs + b - (3 * xs + 2)) ** 2).mean()
    graph = chainrule.viz.graph(loss, params={"w": w, "b": b}, show_values=True)
    graph.render(str(out / "regression.svg"))
    with chainrule.autograd.trace() as t:  # the graph was taken first: it shows what was saved
        loss.backward()
    graph.to_html(str(out / "regression.html"), trace=t)


def make_all(out: pathlib.Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    square(out)
    regression(out)


if __name__ == "__main__":
    make_all(pathlib.Path(__file__).parent / "_generated")
