"""The operator's masked view (`indicators --masque`) of the département and of each
territoire: the row of the same decision crossed with the territoires as the pages and the
PDF (issue #32, point 5), so that the committee's JSON of every scope, read together, gives
no hidden cell away, and hides what the page of the same scope hides."""

from __future__ import annotations

import copy
import io
import json
import os
from contextlib import redirect_stdout

import pytest

from dashboard import figures
from dashboard.views.orientations import orientations_view
from dashboard.views.synthese import synthese_view
from pipelines import indicators, masking
from pipelines.cli import main
from tests.test_views_masking_grid import DECISIONS, FLOWS, MONTH, STOCK, _crossed, _single

# What the contract prints of each family crossed with the territoires: name -> reader of
# the family's result (the profile tables are not in the contract).
PRINTED = {
    "stock": STOCK,
    "orientations": {
        k: DECISIONS[k] for k in ("orientations", "organisme_referent", "personnes_orientees")
    },
    "flux": FLOWS,
    "delai_orientation": {
        "entrants": _single("entrants"),
        "anomalies_avant_entree": _single("anomalies_avant_entree"),
    },
    "contrat": {"orientes": _single("orientes")},
    "intensite": {"personnes": lambda r: {"personnes": r["heures_hebdo"]["personnes"]}},
}
TOTALS = {"stock": "stock_total"}  # a family's row total the contract prints
# The families whose persons (the grid's row totals) are a single count the contract prints.
ROW_COUNTS = {"flux": "cessations", "delai_orientation": "entrants", "contrat": "orientes",
              "intensite": "personnes"}  # fmt: skip


def _contract(sample_db, *extra: str) -> dict:
    out = io.StringIO()
    with redirect_stdout(out):
        command = ["indicators", "--db", str(sample_db), "--departement", "2A"]
        assert main([*command, "--month", MONTH, *extra]) == 0
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def contract(sample_db):
    """`indicators` of MONTH with these options, computed once for the module: both tests
    read the same contracts, at both thresholds, and the plain one (no --masque) is the
    same at every threshold. Each caller gets its own copy."""
    kept: dict = {}

    def read(*extra: str) -> dict:
        threshold = os.environ["PILOTAGE_SEUIL_MASQUAGE"] if "--masque" in extra else None
        if (threshold, extra) not in kept:
            kept[threshold, extra] = _contract(sample_db, *extra)
        return copy.deepcopy(kept[threshold, extra])

    return read


def _value(result: dict, name: str):
    """A distribution (or a single count as {name: n}) of the contract under `name`."""
    if name == "structure":
        return result["structure_suivi"]["principale"]
    if name == "personnes":
        return {"personnes": result["heures_hebdo"]["personnes"]}
    value = result[name]
    return value if isinstance(value, dict) else {name: value}


def _hidden(masked: dict, plain: dict, family: str, row: str) -> set:
    """The cells of `family` the masked contract of `row` prints null (non-zero ones)."""
    out = set()
    for name in PRINTED[family]:
        shown, value = _value(masked, name), _value(plain, name)
        out |= {(name, row, c) for c, v in value.items() if v and shown.get(c) is None}
    total = TOTALS.get(family)
    if total and plain[total] and masked[total] is None:
        out.add((masking.MARGIN, row))
    return out


def _scopes(con) -> dict[str, tuple[str, ...] | None]:
    return {**indicators.communes_par_territoire(con, "2A"), "département": None}


@pytest.mark.parametrize("limit", [11, 30])
def test_no_hidden_cell_follows_from_every_masked_contract(
    contract, view_reader, publish_at, limit
) -> None:
    """`indicators --masque` for the département and for every territoire, together, let
    no hidden cell be recomputed (linear programming over the tables a reader combines)."""
    publish_at(limit)
    contracts = {}
    for row in _scopes(view_reader):
        extra = () if row == "département" else ("--territoire", row)
        contracts[row] = (contract(*extra), contract("--masque", *extra))
    hidden_somewhere = False
    for family, readers in PRINTED.items():
        tables, cells, unseen = _crossed(view_reader, family, readers, MONTH)
        hidden = set()
        for row, (plain, masked) in contracts.items():
            hidden |= _hidden(masked, plain, family, row)
        if family in ROW_COUNTS:  # a single count, itself its row's persons
            hidden |= {(masking.MARGIN, c[1]) for c in hidden if c[0] == ROW_COUNTS[family]}
        elif family not in TOTALS:  # the month's decisions: the contract prints no total
            unseen |= {c for c in cells if c[0] == masking.MARGIN and cells[c]}
        hidden_somewhere |= any(c[1] != "département" for c in hidden)
        pins = masking.pinned(tables, cells, unseen | hidden)
        assert [c for c in pins if c in hidden] == [], family
    assert hidden_somewhere  # or this proves nothing


@pytest.mark.parametrize("limit", [11, 30])
def test_the_masked_contract_hides_what_the_page_of_its_scope_hides(
    contract, view_reader, demo_scope, publish_at, limit
) -> None:
    """The Synthèse's distributions and inscrits, the Orientations page's decisions by
    parcours and by organisme: the masked contract of the same scope prints null exactly
    where the page prints « < seuil »."""
    publish_at(limit)
    masked_label = f"< {limit}"
    for row, communes in _scopes(view_reader).items():
        extra = () if row == "département" else ("--territoire", row)
        masked = contract("--masque", *extra)
        view = synthese_view("2A", MONTH, communes)
        for block in view.distributions:
            frame = figures.masked_frame(block.counts, block.labels, limit, block.linked)
            page = {c for c, v in zip(frame["code"], frame["affiche"], strict=True)
                    if v == masked_label}  # fmt: skip
            ours = {c for c, v in _value(masked, block.family).items() if v is None}
            assert ours == page, (row, block.family)
        assert (masked["stock_total"] is None) == (view.stock[0].value == masked_label), row
        block = orientations_view(demo_scope(communes=communes)).decisions
        organismes = figures.masked_frame(
            block.organismes.counts, block.organismes.labels, limit, block.organismes.linked
        )
        page = {c for c, v in zip(organismes["code"], organismes["affiche"], strict=True)
                if v == masked_label}  # fmt: skip
        assert {c for c, v in masked["organisme_referent"].items() if v is None} == page, row
        assert (masked["personnes_orientees"] is None) == (block.personnes == masked_label), row


def test_a_count_printed_under_another_key_follows_the_decision() -> None:
    """The persons in parcours are printed as `heures_hebdo.personnes`: when the decision
    hides a territoire's (95 beside a territoire of 5, 100 for the département), the
    masked contract of that territoire withholds them and every figure over them, as the
    page does (else 100 − 95 gives the hidden 5 away)."""
    from pipelines import masking_grids

    def persons(n: int) -> dict:
        return {"heures_hebdo": {"personnes": n, "moyenne": 3.0, "mediane": 2.0,
                                 "heures_15_share": 0.2}}  # fmt: skip

    decided = {"intensite": masking_grids.crossed_hidden(
        "intensite", persons(100), {"A": persons(5), "B": persons(95)}, 11)}  # fmt: skip
    linked = masking_grids.summary_hidden(decided, "B")
    assert linked["heures_hebdo.personnes"] == {"heures_hebdo.personnes"}
    hours = masking.masked_summary(persons(95), 11, linked)["heures_hebdo"]
    assert hours == {"personnes": None, "moyenne": None, "mediane": None,
                     "heures_15_share": None}  # fmt: skip


def test_a_distribution_outside_the_decision_keeps_its_own_suppression() -> None:
    """A distribution the decision does not cover (the delegated structure) is masked on its
    own with complementary suppression, whether a decision is given for the others or not:
    never a single hidden cell beside shown ones."""
    result = {"structure_suivi": {"deleguee": {"x": 5, "y": 40, "z": 30}}}
    alone = masking.masked_summary(result, 11)["structure_suivi"]["deleguee"]
    linked = masking.masked_summary(result, 11, {"stock_total": frozenset()})
    assert alone == linked["structure_suivi"]["deleguee"] == {"x": None, "y": 40, "z": None}
