"""Text that comes from outside (a file, a mapping, an API: organisme, structure, territoire,
libellé, commune name) is text on every surface, never markup. One rule, written here once
(docs/securite.md, §20):

- Plotly reads a subset of HTML in every label it draws (`<a href>`, `<b>`, `<i>`, `<br>`,
  `<span style>`, and `$…$` as LaTeX): `for_plotly` escapes it; `plain_figure` applies it
  to every string of a finished figure (trace names, category values, texts, hover data,
  tick texts, titles, legend, annotations), which is how `dashboard/figures.py` builds
  every figure, for the pages and the committee PDF alike.
- Streamlit reads Markdown (links, images, autolinks, `:red[…]` directives, `$…$`) in
  st.markdown, st.caption, st.write and widget labels: `for_markdown` backslash-escapes
  every ASCII punctuation character (CommonMark lets any of them be escaped), so no
  construct can start, and folds line breaks, so no block can either.
- HTML (the committee report) is escaped by Jinja's autoescape (dashboard/comite.py), and
  its figures are built here like the pages': Chromium prints text, never a link.

Numbers, dates and the product's own words need none of this; anything read from outside
goes through one of these before it reaches a surface.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import numpy as np
import plotly.graph_objects as go

_PLOTLY = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "$": "&#36;"})
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_BREAKS = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")  # line breaks, controls


def for_plotly(text: object) -> str:
    """A label as Plotly draws it literally: `&`, `<`, `>` as entities (plotly.js decodes
    entities only in the text between tags, so `&lt;a&gt;` shows « <a> »), `$` too (a
    label starting and ending with `$` would be typeset as LaTeX)."""
    return str(text).translate(_PLOTLY)


def for_markdown(text: object) -> str:
    """A label as Markdown shows it literally: line breaks and control characters folded
    to one space, every ASCII punctuation character backslash-escaped (no link, image,
    autolink, emphasis, HTML, directive or formula can start)."""
    return _PUNCTUATION.sub(r"\\\1", _BREAKS.sub(" ", str(text)))


# Figure properties that are Plotly's own syntax, never a label: their values are written
# by the code (px builds hovertemplates with `<br>`), and the data they substitute
# (%{x}, %{customdata}) is escaped where it is stored.
_SYNTAX = frozenset({"hovertemplate", "texttemplate", "template", "meta"})


def _plain(value: Any) -> Any:
    """Every string of a figure's dict (recursively) escaped for Plotly."""
    if isinstance(value, str):
        return for_plotly(value)
    if isinstance(value, dict):
        return {k: v if k in _SYNTAX else _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray) and value.dtype.kind in "OUS":
        return np.array([_plain(v) for v in value.tolist()], dtype=object).reshape(value.shape)
    return value


def _marked(value: Any) -> bool:
    """Whether a figure value holds a string Plotly would not draw as it is."""
    if isinstance(value, str):
        return value != for_plotly(value)
    if isinstance(value, dict):
        return any(_marked(v) for k, v in value.items() if k not in _SYNTAX)
    if isinstance(value, list | tuple):
        return any(_marked(v) for v in value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "OUS":
        return any(_marked(v) for v in value.tolist())
    return False


def _escaped(props: dict) -> dict:
    """The properties of a trace or layout that need escaping, escaped (the others are
    left alone: re-validating a whole figure costs tens of milliseconds)."""
    return {k: _plain(v) for k, v in props.items() if k not in _SYNTAX and _marked(v)}


def _plain_title(text: str) -> str:
    """A figure title escaped around its line breaks. `<br>` is the one tag the product
    writes itself (figures.wrap_title: plotly.js never wraps a title, a long one is cut);
    it carries no link, image or style, so a `<br>` read from a file is at worst a line
    break, and everything else in the title is text."""
    return "<br>".join(for_plotly(piece) for piece in text.split("<br>"))


def plain_figure(fig: go.Figure) -> go.Figure:
    """The figure, with every label escaped for Plotly (for_plotly), in place: what it
    shows is text, whatever the file said."""
    for trace in fig.data:
        if changed := _escaped(trace.to_plotly_json()):
            trace.update(changed)
    layout = fig.layout.to_plotly_json()
    title = layout.pop("title", None)
    if changed := _escaped(layout):
        fig.layout.update(changed)
    text = title.get("text") if isinstance(title, dict) else None
    if isinstance(text, str) and (plain := _plain_title(text)) != text:
        fig.layout.title.text = plain
    return fig


_building: ContextVar[int] = ContextVar("building_figure", default=0)


def plain_labels(builder: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
    """Decorator of the figure builders (dashboard/figures.py): the figure a builder
    returns has plain labels (plain_figure). A builder called by another one leaves it to
    the outer one, so no label is escaped twice (« &amp;lt; »)."""

    @functools.wraps(builder)
    def build(*args: Any, **kwargs: Any) -> go.Figure:
        token = _building.set(_building.get() + 1)
        try:
            fig = builder(*args, **kwargs)
        finally:
            _building.reset(token)
        return fig if _building.get() else plain_figure(fig)

    build.plain_labels = True  # type: ignore[attr-defined]  # checked by a test
    return build
