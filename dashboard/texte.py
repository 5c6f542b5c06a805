"""Text that comes from outside (a file, a mapping, an API: organisme, structure, territoire,
libellé, commune name) is text on every surface, never markup. One rule, written here once
(docs/securite.md, §20):

- Plotly reads a subset of HTML in every label it draws (`<a href>`, `<b>`, `<i>`, `<br>`,
  `<span style>`, and `$…$` as LaTeX): `for_plotly` escapes it; `plain_spec` applies it
  to every string of a figure's dicts before the figure is built from them (trace names,
  category values, texts, hover data, tick texts, titles, legend, annotations), which is
  how `dashboard/figures.py` builds every figure (`plain_labels`), for the pages and the
  committee PDF alike.
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
import inspect
import re
from collections.abc import Callable
from typing import Any, ParamSpec

import numpy as np
import pandas as pd
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
    if isinstance(value, pd.Series) and value.dtype.kind in "OUS":  # a builder's column
        value = value.to_numpy()
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
    if isinstance(value, np.ndarray | pd.Series) and value.dtype.kind in "OUS":
        return any(_marked(v) for v in value.tolist())
    return False


def _escaped(props: dict) -> dict:
    """The properties of a trace or layout that need escaping, escaped (the others are
    passed on as they are: `plain_spec`)."""
    return {k: _plain(v) for k, v in props.items() if k not in _SYNTAX and _marked(v)}


def _plain_title(text: str) -> str:
    """A figure title escaped around its line breaks. `<br>` is the one tag the product
    writes itself (figures.wrap_title: plotly.js never wraps a title, a long one is cut);
    it carries no link, image or style, so a `<br>` read from a file is at worst a line
    break, and everything else in the title is text."""
    return "<br>".join(for_plotly(piece) for piece in text.split("<br>"))


def plain_spec(spec: dict) -> dict:
    """A figure's dicts ({"data": [trace dicts], "layout": {…}}) with every label escaped
    for Plotly (for_plotly), before the figure is built from them: escaping dicts costs
    microseconds, updating a built figure re-validates it. A property with nothing to
    escape is passed on as it is (a column stays a column: plotly encodes it as it would
    have); the dicts given are unchanged."""
    data = [{**trace, **_escaped(trace)} for trace in spec.get("data", ())]
    layout = dict(spec.get("layout") or {})
    title = layout.pop("title", None)
    layout.update(_escaped(layout))
    if isinstance(title, str):
        title = {"text": title}
    if title is not None:
        text = title.get("text")
        if isinstance(text, str) and (plain := _plain_title(text)) != text:
            title = {**title, "text": plain}
        layout["title"] = title
    return {"data": data, "layout": layout}


P = ParamSpec("P")


def plain_labels(builder: Callable[P, dict]) -> Callable[P, go.Figure]:
    """Decorator of the figure builders (dashboard/figures.py): a builder writes its
    figure as plain dicts ({"data": [trace dicts, each with its "type"], "layout": {…}}),
    and the decorated function returns the go.Figure built once from them, every label
    escaped first (plain_spec), the whole figure validated by plotly. A builder that
    reuses another one composes on that one's dicts (`<builder>.dicts`, the undecorated
    function), never on its figure, so no label is escaped twice (« &amp;lt; »)."""

    @functools.wraps(builder)
    def build(*args: P.args, **kwargs: P.kwargs) -> go.Figure:
        spec = plain_spec(builder(*args, **kwargs))
        return go.Figure(data=spec["data"], layout=spec["layout"])

    # What a caller gets (functools.wraps would show the builder's dicts): a figure.
    build.__signature__ = inspect.signature(builder).replace(  # type: ignore[attr-defined]
        return_annotation=go.Figure
    )
    build.dicts = builder  # type: ignore[attr-defined]  # its dicts, for a builder reusing it
    build.plain_labels = True  # type: ignore[attr-defined]  # checked by a test
    return build
