"""The `indicators` command's contract on the demo month: a golden snapshot of every key
(tests/golden/indicators/), the cohorte of the month beside the latest complete one the
Synthèse shows (keys saying which is which), and the masked view (`--masque`) under the
rule of every committee surface."""

from __future__ import annotations

import io
import json
import os
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from dashboard.views.synthese import synthese_view
from pipelines import masking
from pipelines.cli import main

MONTH = "2026-10"  # the demo's latest month: provisional cohortes, complete ones before
GOLDEN = Path(__file__).parent / "golden" / "indicators" / f"2A_{MONTH}.json"


def _run(sample_db, *extra: str) -> dict:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(
            ["indicators", "--db", str(sample_db), "--departement", "2A", "--month", MONTH, *extra]
        )
    assert code == 0
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def contract(sample_db) -> dict:
    return _run(sample_db)


def test_every_key_of_the_demo_month_is_the_golden_one(contract) -> None:
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(contract, indent=1, ensure_ascii=False) + "\n", "utf-8")
    assert contract == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_the_cohorte_of_the_month_and_the_latest_complete_one_are_told_apart(
    contract, view_reader
) -> None:
    """`indicators` gave the October cohorte (provisional), the Synthèse the latest
    complete one: both are in the contract now, and the tiles read the second."""
    assert contract["cohorte_du_mois"]["cohorte"] == MONTH
    assert contract["cohorte_du_mois"]["provisoire"]["orientes_30j_share"] is True
    view = synthese_view("2A", MONTH, None)
    tiles = {t.label: t for t in view.cohorte}
    complete = contract["derniere_cohorte_complete"]
    for label, key in (
        ("Délai médian d'orientation", "delai_orientation_jours"),
        ("Orientés en 30 jours", "orientes_30j_share"),
        ("Délai médian jusqu'au contrat", "delai_contrat_jours"),
        ("Contrat en 30 jours", "contrat_30j_share"),
    ):
        assert complete[key]["cohorte"] < MONTH, key
        assert (tiles[label].cohorte, tiles[label].raw) == (
            complete[key]["cohorte"],
            complete[key]["valeur"],
        ), key


def test_the_masked_view_follows_the_committee_rule(sample_db, contract, publish_at) -> None:
    limit = publish_at(40)
    masked = _run(sample_db, "--masque")
    assert masked["seuil_masquage"] == limit
    for key in ("categorie", "modalite", "orientations", "cessations_motif", "commune"):
        assert masked[key] == masking.mask_distribution(contract[key], limit), key
        shown = [v for v in masked[key].values() if v is not None]
        assert all(v == 0 or v >= limit for v in shown), key
    for key in ("inscriptions", "cessations", "radiations"):
        assert masked[key] == masking.masked_count(contract[key], limit), key
    assert all(masked[k] is None for k in masked["non_publies"])
