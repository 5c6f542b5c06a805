"""Figures built once: a page's Plotly figure is built the first time a view asks for it
and served from memory afterwards, until the next load.

Building a figure costs more than the queries behind it (plotly validates the whole
figure, built once from its dicts, dashboard/figures.py, a few milliseconds each): a
warm view would pay it for every chart (docs/performances.md). A figure is a function of its builder's
arguments, so those arguments are its key, hashed by content; the key also names, on
purpose, what must never be shared between users whatever the arguments look like: the
département of the view, the masking threshold of the view (an analyst's unmasked
figures are never served to the committee) and the warehouse generation (a load that
commits changes it, and the figures of the old data are never served again).

The cached figure is the very object every later view gets (st.cache_resource: no copy);
it is never changed after it is built (st.plotly_chart copies it into its message).

A page's view (`view`: the Synthèse's tiles with their year-ago and 12-month context) is
cached under the same key, after its département is authorised: it is rebuilt only when the data, the viewer's threshold or a file it reads (`stamp`)
change. The views read no clock and draw nothing: they are functions of that key.

At start and after a load, the server builds the committee's landing view and each
topic page's default view, with their figures, ahead (`prebuild_view`,
`prebuild_figure`, called by dashboard/warm.py) under the very keys a page computes, at
the published threshold: nothing per user, and a page still authorises its département
before it reads them. That is about 5 views and 30 figures per département: the bounds
below hold a server of about 25 départements filled, plus what its users open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from dashboard import auth, db
from pipelines import masking

MAX_FIGURES = 1024  # figures of the demo are 10-60 kB each: 60 MB at most
MAX_VIEWS = 256  # a view holds small dataclasses and frames (a few kB to a few 100 kB)


@st.cache_resource(show_spinner=False, max_entries=MAX_FIGURES)
def _figure(
    name: str,
    generation: tuple | None,
    departement: str | None,
    limit: int,
    args: tuple,
    kwargs: tuple,
    _build: Callable[..., go.Figure],
) -> go.Figure:
    return _build(*args, **dict(kwargs))


def key_of_view() -> tuple[tuple | None, str | None, int]:
    """What separates the figures of two views beyond their data: the warehouse
    generation, the département of the view (the sidebar's, kept in the address) and the
    masking threshold in force for this user."""
    return db.generation(), st.query_params.get("dep"), masking.threshold()


def _name(build: Callable[..., Any]) -> str:
    return f"{build.__module__}.{build.__qualname__}"


def figure(build: Callable[..., go.Figure], *args: Any, **kwargs: Any) -> go.Figure:
    """`build(*args, **kwargs)` (a builder of dashboard/figures.py), built once per
    arguments and view (`key_of_view`)."""
    return _figure_under(key_of_view(), build, args, kwargs)


def _figure_under(
    key: tuple, build: Callable[..., go.Figure], args: tuple, kwargs: dict
) -> go.Figure:
    """The cached figure under a view's key (generation, département, threshold): one
    key for a page's figure and the filling's (`prebuild_figure`)."""
    generation, departement, limit = key
    return _figure(
        _name(build), generation, departement, limit, args, tuple(sorted(kwargs.items())), build
    )


def chart(build: Callable[..., go.Figure], *args: Any, key: str) -> None:
    """Draw the figure `build(*args)` (cached, see `figure`) full width, under `key`."""
    st.plotly_chart(figure(build, *args), width="stretch", key=f"chart_{key}")


@st.cache_resource(show_spinner=False, max_entries=MAX_VIEWS)
def _view(
    name: str,
    generation: tuple | None,
    departement: str,
    limit: int,
    stamp: tuple,
    args: tuple,
    _build: Callable[..., Any],
) -> Any:
    return _build(*args)


def view(build: Callable[..., Any], *args: Any, departement: str, stamp: tuple = ()) -> Any:
    """`build(*args)`, a page's view of `departement` (dashboard/views/), built once per
    arguments, warehouse generation, viewer's threshold and `stamp` (what else it reads:
    the modification stamps of its files). The département is authorised first, at every
    view: the cache never serves a département to a user who may not see it. The object
    is shared with later views, like the figures (some hold callables, which a copying
    cache could not pickle): a page never changes it (dashboard/widgets.py copies the
    frames it formats). The département authorised is part of the key: a view is only
    ever served under the département that was authorised for it."""
    auth.authorise(departement)
    return _view_under(db.generation(), departement, stamp, build, args)


def _view_under(
    generation: tuple | None, departement: str, stamp: tuple, build: Callable, args: tuple
) -> Any:
    """The cached view under its key, at this thread's threshold: one key for a page's
    view and the filling's (`prebuild_view`)."""
    return _view(_name(build), generation, departement, masking.threshold(), stamp, args, build)


def prebuild_view(
    build: Callable[..., Any], *args: Any, departement: str, generation: tuple, stamp: tuple = ()
) -> Any:
    """`view` built ahead by the server's filling (dashboard/warm.py), outside any page run
    and user: under the key `view` gives it for a viewer at the threshold in force in the
    filling thread (the published one), its département let through by `auth.filling`."""
    with auth.filling(departement):
        return _view_under(generation, departement, stamp, build, args)


def prebuild_figure(
    build: Callable[..., go.Figure], *args: Any, departement: str, generation: tuple
) -> go.Figure:
    """`figure` built ahead by the server's filling, under the key `figure` gives it in a
    view of `departement` (the address's « dep ») at the published threshold."""
    return _figure_under((generation, departement, masking.threshold()), build, args, {})
