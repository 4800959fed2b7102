"""Drawing DOT text with Graphviz, an optional extra imported only when a picture is asked for.

Two things are needed: the ``graphviz`` Python package (``pip install "chainrule[viz]"``) and
Graphviz's ``dot`` program (Debian/Ubuntu: ``apt-get install graphviz``; macOS: ``brew install
graphviz``).
"""

from __future__ import annotations

import os
import tempfile

__all__ = ["render"]

_FORMATS = ("svg", "png")
_PACKAGE_HINT = ('rendering needs the graphviz Python package: pip install "chainrule[viz]" '
                 "(or pip install graphviz)")
_DOT_HINT = ("rendering needs Graphviz's dot program on PATH: apt-get install graphviz "
             "(Debian/Ubuntu) or brew install graphviz (macOS)")


def _graphviz():
    try:
        import graphviz
    except ImportError as err:
        raise ImportError(_PACKAGE_HINT) from err
    return graphviz


def pipe(dot: str, format: str) -> bytes:
    """The picture of ``dot`` in ``format`` ("svg" or "png"), as bytes."""
    if format not in _FORMATS:
        raise ValueError(f"render: format must be one of {_FORMATS}, got {format!r}")
    graphviz = _graphviz()
    try:
        return graphviz.Source(dot).pipe(format=format)
    except graphviz.ExecutableNotFound as err:
        raise RuntimeError(_DOT_HINT) from err


def render(dot: str, path: str | os.PathLike, format: str = "svg") -> str:
    """Write the picture of ``dot`` to ``path`` (replaced atomically); returns the path.

    Use it through :meth:`chainrule.viz.Graph.render`: ``graph(loss).render("loss.svg")``.
    """
    data = pipe(dot, format)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".chainrule-viz-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def pipe_svg(dot: str) -> str | None:
    """Graphviz's SVG of ``dot``, or None when Graphviz (package or program) is missing."""
    try:
        return pipe(dot, "svg").decode("utf-8")
    except (ImportError, RuntimeError):
        return None
