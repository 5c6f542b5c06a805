"""dashboard/views/oarsa.py on the demo warehouse: the six tables of the chosen year as the
page shows them (masked), each column with its definition, what is missing, the exact
return for download; and the committee report's annex (masked)."""

from __future__ import annotations

from datetime import date

from dashboard import comite, oarsa_annexe
from dashboard.views.oarsa import ROW, annees, bilan_view
from pipelines import masking, oarsa, oarsa_export


def test_the_tables_are_the_return_masked(view_reader) -> None:
    bilan = bilan_view("2A", 2025, "drees")
    exact = oarsa.compute(view_reader, "2A", 2025, "drees")
    assert bilan.result == exact and exact["disponible"]
    assert len(bilan.tableaux) == 6
    t1 = bilan.tableaux[0]
    assert t1.titre == oarsa.questionnaire()["t1"].titre
    first = t1.frame.iloc[0]
    assert first[ROW] == "Effectif total"
    sdd = oarsa.questionnaire()["t1"].colonnes[0].libelle
    assert first[sdd] == masking.masked_label(exact["t1"]["sdd"], bilan.limit)
    assert set(t1.definitions) == set(t1.frame.columns) - {ROW}
    assert all(t1.definitions.values())
    shown = {v for tv in bilan.tableaux for col in tv.frame.columns[1:] for v in tv.frame[col]}
    assert f"< {bilan.limit}" in shown  # small counts of the demo are masked on the page
    # the demo carries every DREES category, réorientations and contracts
    assert all(n > 0 for k, n in exact["t1"]["par_organisme"].items() if k != "hors_spe_autre")
    assert exact["t6"]["reorientes"] > 0 and exact["t3"]["disponible"]
    assert exact["t4"]["contrats"] > 0 and exact["t5"]["primo_cer"] > 0
    assert bilan.categories.counts == exact["t1"]["par_organisme"]


def test_a_year_without_a_december_flux_says_what_is_missing(view_reader) -> None:
    bilan = bilan_view("2A", 2026, "drees")
    assert not bilan.result["disponible"]
    assert "Aucun flux CAF/MSA de décembre 2026" in bilan.manques[0]
    assert all(t.message == bilan.manques[0] and t.frame.empty for t in bilan.tableaux)
    assert bilan.categories is None


def test_the_years_offered(view_reader) -> None:
    assert annees("2A", today=date(2026, 12, 6)) == [2025]
    assert annees("2A", today=date(2027, 1, 10)) == [2026, 2025]


def test_the_committee_report_annexes_the_latest_return_masked(view_reader) -> None:
    assert oarsa_annexe.annee_du_rapport(view_reader, "2A", "2026-06") == 2025
    assert oarsa_annexe.annee_du_rapport(view_reader, "2A", "2025-11") is None
    built = comite.build(view_reader, "2A", "2026-06", limit=11)
    assert "bilan annuel de la DREES (enquête OARSA) 2025" in built.annexe_oarsa
    assert "&lt; 11" in built.annexe_oarsa and "Vue du comité" in built.annexe_oarsa
    html = comite.render_html(built)
    assert oarsa.questionnaire()["t6"].titre.replace("'", "&#39;") in html
    exact = oarsa_annexe.fragment(oarsa.compute(view_reader, "2A", 2025))
    assert "&lt; 11" not in exact and oarsa_annexe.EXACT.replace("'", "&#39;") in exact


def test_the_download_is_the_exact_return(view_reader) -> None:
    import io

    from openpyxl import load_workbook

    bilan = bilan_view("2A", 2025, "drees")
    book = load_workbook(io.BytesIO(oarsa_export.xlsx_bytes(bilan.result)))
    exact = oarsa.compute(view_reader, "2A", 2025, "drees")
    row = next(r for r in book["Tableau 6"].iter_rows(values_only=True) if r[0] == "Effectif total")
    assert list(row[1:4]) == [
        exact["t6"][k] for k in ("reorientes", "spe_vers_hors_spe", "hors_spe_vers_spe")
    ]
