"""Sphinx configuration: MyST Markdown pages, the API reference from docstrings, furo."""

from __future__ import annotations

import pathlib
import sys

HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "src"))

project = "chainrule"
author = "the chainrule developers"
copyright = "2026, the chainrule developers"  # noqa: A001 - Sphinx's name

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = "chainrule"
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
suppress_warnings = ["myst.header"]


def _figures(app) -> None:
    """Draw the pictures the pages show, from the code they describe (docs/figures.py)."""
    sys.path.insert(0, str(HERE))
    import figures

    figures.make_all(HERE / "_generated")


def setup(app) -> None:
    app.connect("builder-inited", _figures)
