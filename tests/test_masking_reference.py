"""The fast masking decision (`masking.mask_grid`, `mask_linked`, `pinned`, issue #31) takes
exactly the decisions of the former implementation (`tests/masking_reference.py`): on
random grids and partitions at any threshold (hypothesis), and on the demo warehouse for
every family, month and partition at thresholds 11 and 30 (a golden file of the
reference's decisions; regenerate it, from the reference, with
`UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_masking_reference.py`)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines import indicators, masking, masking_grids, warehouse
from tests import masking_reference as reference

GOLDEN = Path(__file__).parent / "golden" / "masking" / "decisions_demo.json"
DEPARTEMENT = "2A"
LIMITS = (11, 30)


@st.composite
def grids(draw):
    """One to three distributions of the same persons across 2 to 9 territoires: the first
    counts them by code (skewed: many small counts, some large), the others split each
    row's persons another way; sometimes one more distribution of other persons (a flow)."""
    rows = [f"t{i}" for i in range(draw(st.integers(2, 9)))]
    codes = [f"k{i}" for i in range(draw(st.integers(1, 4)))]
    count = st.one_of(st.integers(0, 12), st.integers(0, 400))
    first = {r: {c: draw(count) for c in codes} for r in rows}
    out = {"categorie": first}
    for name in ("modalite", "sexe")[: draw(st.integers(0, 2))]:
        split = {}
        for r, counts in first.items():
            cut = draw(st.integers(0, sum(counts.values())))
            split[r] = {"m0": cut, "m1": sum(counts.values()) - cut}
        out[name] = split
    if draw(st.booleans()):
        out["inscriptions"] = {r: {"inscriptions": draw(count)} for r in rows}
    return out


@settings(max_examples=80, deadline=None)
@given(grids(), st.integers(2, 40))
def test_mask_grid_decides_as_the_reference(grid, limit):
    assert masking.mask_grid(grid, "departement", limit) == reference.mask_grid(
        grid, "departement", limit
    )


@st.composite
def partitions(draw):
    """A département's communes (skewed counts) grouped into territoires."""
    n = draw(st.integers(2, 12))
    values = draw(st.lists(st.one_of(st.integers(0, 12), st.integers(0, 300)), min_size=n,
                           max_size=n))  # fmt: skip
    groups = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    parts: dict[str, list[str]] = {}
    for i, group in enumerate(groups):
        parts.setdefault(f"t{group}", []).append(f"c{i}")
    counts = {f"c{i}": v for i, v in enumerate(values)}
    cells = {**counts, **{t: sum(counts[c] for c in cs) for t, cs in parts.items()}}
    cells["departement"] = sum(values)
    return masking.partition_tables("departement", parts), cells


@settings(max_examples=100, deadline=None)
@given(partitions(), st.integers(2, 40))
def test_mask_linked_and_pinned_decide_as_the_reference(partition, limit):
    tables, cells = partition
    hidden = masking.mask_linked(tables, cells, limit)
    assert hidden == reference.mask_linked(tables, cells, limit)
    assert masking.pinned(tables, cells, hidden) == reference.pinned(tables, cells, hidden)
    # a reader's audit of a decision not completed: many cells to pin, in the same order
    few = {c for c, v in cells.items() if masking.is_small(v, limit)}
    assert masking.pinned(tables, cells, few) == reference.pinned(tables, cells, few)


def commune_months(months: list[str]) -> list[str]:
    """The months of the « each commune a territoire » partition: the newest (provisional),
    the oldest and every sixth between them. Its decisions are the largest grids (a row per
    commune) and read the most queries; a few months of them prove the decision on that
    shape, the territoires partition keeps every month."""
    return sorted({*months[::6], months[-1]}, reverse=True)


def _demo_inputs(db: Path) -> dict[str, tuple[dict, dict]]:
    """Every decision's input on the demo: (partition, family, month) -> the
    département's result and each territoire's, the warehouse's territoires (every month)
    and « each commune a territoire » (no territoires file; `commune_months`). Read as the
    product reads them: every family by grouped queries over the period and the partition
    (`indicators.grille`: stock_grille.sql, familles_grille.sql); tests/test_familles_grille.py
    proves them equal to each territoire's family results."""
    con = warehouse.connect(str(db), access_mode="READ_ONLY")
    try:
        known = indicators.communes_par_territoire(con, DEPARTEMENT)
        months = indicators.months_available(con, DEPARTEMENT)
        communes = sorted(
            {c for m in months for c in indicators.stock(con, DEPARTEMENT, m)["commune"]}
        )
        partitions = (
            ("territoires", known, months),
            ("communes", {c: (c,) for c in communes}, commune_months(months)),
        )
        out = {}
        for label, partition, read_months in partitions:
            grid = indicators.grille(con, DEPARTEMENT, read_months, partition)
            for family in masking_grids.GRIDS:
                for month in read_months:
                    out[f"{label} {family} {month}"] = grid[family][month]
        return out
    finally:
        con.close()


def _digest(hidden: set) -> str:
    """A decision as the golden file keeps it: its size and a hash of its sorted cells."""
    text = json.dumps(sorted(map(list, hidden)), ensure_ascii=False)
    return f"{len(hidden)} {hashlib.sha256(text.encode()).hexdigest()[:16]}"


def _decisions(inputs: dict) -> dict[str, str]:
    masking_grids.forget_decisions()  # decide each one again, not from the memo
    return {
        f"{key} {limit}": _digest(masking_grids.crossed_hidden(key.split()[1], *rows, limit))
        for key, rows in inputs.items()
        for limit in LIMITS
    }


def test_the_demo_decisions_are_the_reference_ones(sample_db):
    inputs = _demo_inputs(sample_db)
    if os.environ.get("UPDATE_GOLDEN"):  # the golden file is the reference's decisions
        with mock.patch.object(masking, "mask_grid", reference.mask_grid):
            GOLDEN.write_text(json.dumps(_decisions(inputs), indent=1, sort_keys=True) + "\n")
    golden = json.loads(GOLDEN.read_text())
    assert set(golden) == {f"{key} {limit}" for key in inputs for limit in LIMITS}
    assert any(not d.startswith("0 ") for d in golden.values())
    assert _decisions(inputs) == golden


def _one_month(rows: int = 3) -> tuple[dict, dict]:
    parts = {f"t{i}": {"categorie": {"01": 4 + i, "02": 30 * i}} for i in range(rows)}
    whole = {"categorie": {k: sum(p["categorie"][k] for p in parts.values()) for k in ("01", "02")}}
    return whole, parts


def test_a_decision_is_taken_once_per_content(monkeypatch):
    """The same counts and threshold: the decision is read back, equal, without deciding
    again; other counts, another threshold, another order of the rows: decided anew."""
    masking_grids.forget_decisions()
    calls = []
    decide = masking.mask_grid
    monkeypatch.setattr(masking, "mask_grid", lambda *a: calls.append(a) or decide(*a))
    whole, parts = _one_month()
    first = masking_grids.crossed_hidden("stock", whole, parts, 11)
    first.add("changed by a caller")  # a caller's copy: the memo is not touched
    again = masking_grids.crossed_hidden("stock", whole, parts, 11)
    assert len(calls) == 1 and "changed by a caller" not in again
    assert again == reference.mask_grid(*calls[0])
    masking_grids.crossed_hidden("stock", whole, parts, 30)
    masking_grids.crossed_hidden("stock", whole, dict(reversed(parts.items())), 11)
    other = {**parts, "t0": {"categorie": {"01": 5, "02": 0}}}
    masking_grids.crossed_hidden("stock", whole, other, 11)
    assert len(calls) == 4


def test_the_memo_of_decisions_is_bounded(monkeypatch):
    masking_grids.forget_decisions()
    monkeypatch.setattr(masking_grids, "DECISIONS_KEPT", 2)
    whole, parts = _one_month()
    for limit in (5, 11, 30):
        masking_grids.crossed_hidden("stock", whole, parts, limit)
    assert len(masking_grids._decisions) == 2
