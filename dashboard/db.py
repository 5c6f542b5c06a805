"""Warehouse access for the pages: one reader pool per process, cached queries.

Cached results are keyed by the warehouse generation (inode, mtime, size) and by every
argument, the département included, so a load shows up on the next rerun and one
département's figures are never served to another.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pipelines import indicators, journal, warehouse
from pipelines.settings import Settings


def db_path() -> Path:
    return Settings.from_env().db_path


@st.cache_resource(show_spinner=False)
def _pool(path: str) -> warehouse.ReaderPool:
    return warehouse.ReaderPool(Path(path))


def pool() -> warehouse.ReaderPool | None:
    """The reader pool, or None while no warehouse file exists yet."""
    path = db_path()
    if not path.exists():
        return None
    return _pool(str(path))


def generation() -> tuple[int, int, int] | None:
    p = pool()
    return p.generation() if p else None


@st.cache_data(show_spinner=False, max_entries=256)
def _departements(path: str, gen: tuple) -> list[str]:
    con = _pool(path).cursor()
    if warehouse.schema_version(con) == 0:
        return []
    return indicators.departements(con)


@st.cache_data(show_spinner=False, max_entries=256)
def _months(path: str, gen: tuple, departement: str) -> list[str]:
    return indicators.months_available(_pool(path).cursor(), departement)


@st.cache_data(show_spinner=False, max_entries=512)
def _summary(path: str, gen: tuple, departement: str, month: str) -> dict:
    return indicators.summary(_pool(path).cursor(), departement, month)


@st.cache_data(show_spinner=False, max_entries=64)
def _journal(path: str, gen: tuple, limit: int) -> list[tuple]:
    con = _pool(path).cursor()
    if warehouse.schema_version(con) == 0:
        return []
    return journal.recent(con, limit)


def departements() -> list[str]:
    gen = generation()
    return _departements(str(db_path()), gen) if gen else []


def months(departement: str) -> list[str]:
    gen = generation()
    return _months(str(db_path()), gen, departement) if gen else []


def summary(departement: str, month: str) -> dict:
    return _summary(str(db_path()), generation(), departement, month)


def recent_loads(limit: int = 50) -> list[tuple]:
    gen = generation()
    return _journal(str(db_path()), gen, limit) if gen else []
