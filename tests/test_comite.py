"""The committee's monthly PDF report: same figures as `indicators --json`, masked as the
committee's pages, charts drawn, nothing fetched from outside."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from dashboard import comite
from dashboard.formatting import fmt_int, fmt_month, fmt_share, of_month
from pipelines import access, indicators, masking, warehouse
from pipelines.cli import main

MONTH = "2026-10"  # the demo's latest month


def _pdftotext(pdf: bytes) -> str:
    """The PDF's text laid out as printed, white space folded (French spaces included)."""
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.fail("pdftotext introuvable : `make test` installe poppler-utils (apt-get).")
    out = subprocess.run(
        [exe, "-layout", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    return re.sub(r"[ \u00a0\u202f]+", " ", out)


def _fold(text: str) -> str:
    return re.sub(r"[ \u00a0\u202f]+", " ", text)


@pytest.fixture(scope="module")
def generated(sample_db):
    return comite.generate(warehouse.open_reader(sample_db), "2A", MONTH)


@pytest.fixture(scope="module")
def text(generated) -> str:
    return _pdftotext(generated.pdf)


@pytest.fixture(scope="module")
def expected(sample_db) -> dict:
    """What the operator's command prints for the same département and month."""
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["indicators", "--db", str(sample_db), "--departement", "2A", "--month", MONTH])
    assert code == 0
    return json.loads(out.getvalue())


def test_the_pdf_is_a4_with_a_cover_and_a_page_per_topic(generated, text):
    assert generated.pdf.startswith(b"%PDF")
    assert "Rapport mensuel du comité de pilotage" in text
    assert f"Département 2A — {fmt_month(MONTH)}" in text
    for title in (
        "Chiffres clés",
        "Orientations",
        "Catégories de demandeurs d'emploi",
        "Modalités et axes d'accompagnement",
        "Délai d'orientation",
        "Délai jusqu'au contrat",
        "Intensité de l'accompagnement",
        "Flux d'inscriptions, de cessations et de radiations",
        "Définitions",
        "Qualité des sources du mois",
    ):
        assert title in text, title
    assert "Population des indicateurs de cohorte" in text
    assert "Fichier PECGM (France Travail) octobre 2026" in text  # data date of the source
    info = subprocess.run(
        [shutil.which("pdfinfo") or "pdfinfo", "-"], input=generated.pdf, capture_output=True
    ).stdout.decode()
    assert "(A4)" in info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 2 + len(generated.rapport.sections)  # cover, tiles, a page per topic


def test_the_figures_are_those_of_indicators_json(expected, text):
    limit = masking.committee_threshold()
    assert expected["stock_total"] >= limit
    assert _fold(fmt_int(expected["stock_total"])) in text
    for key in ("cer_notifie_share", "contact_90j_share"):
        assert _fold(fmt_share(expected[key])) in text, key
    # The tiles show the latest complete cohorte, named; the json says which one it is.
    complete = expected["derniere_cohorte_complete"]["delai_orientation_jours"]
    assert expected["cohorte_du_mois"]["cohorte"] == MONTH
    assert f"{complete['valeur']} j" in text
    assert _fold(f"cohorte {of_month(complete['cohorte'])}") in text
    # The cohorte of the month is in the cohorte table, as the Orientations page prints it.
    median = expected["delai_orientation_jours"]["mediane"]
    row = rf"{MONTH} +{re.escape(_fold(fmt_int(expected['entrants'])))} +{median}\b"
    assert re.search(row, text), row
    for code, n in expected["orientations"].items():
        label = comite.figures.PARCOURS_LABELS[code]
        shown = fmt_int(n) if n >= limit else f"< {limit}"
        assert re.search(rf"{label} +{re.escape(_fold(shown))}\b", text), (code, n)
    labels = comite._labels("categorie")
    masked = masking.mask_distribution(expected["categorie"], limit)
    for code, n in masked.items():
        shown = f"< {limit}" if n is None else _fold(fmt_int(n))
        assert re.search(
            rf"\b{re.escape(code)} +{re.escape(labels[code])} +{re.escape(shown)}", text
        ), code


def test_no_count_below_the_threshold_is_printed(generated):
    """Every printed cell that is a plain count is either masked or at least the threshold."""
    limit = generated.rapport.limit
    assert limit == masking.committee_threshold() == 11
    cells = [
        cell
        for section in generated.rapport.sections
        for table in section.tables
        for row in table.rows
        for column, cell in zip(table.columns, row, strict=True)
        # codes (category, axis), cohortes and delays in days are digits, not counts
        if column != "Code" and not re.search(r"jours|Délai|Heures|Cohorte", column)
    ] + [t.value for t in generated.rapport.tiles]
    counts = [int(_fold(c).replace(" ", "")) for c in cells if re.fullmatch(r"[\d \u202f]+", c)]
    assert counts, "the report prints counts"
    assert all(n == 0 or n >= limit for n in counts), sorted(n for n in counts if 0 < n < limit)
    assert any(c == f"< {limit}" for c in cells)  # the demo has small groups: they are masked


def test_the_report_is_masked_even_for_an_unmasked_analyst_view(sample_db):
    masking.set_view_threshold(1)  # what the analyst's toggle sets for the pages
    try:
        built = comite.build(warehouse.open_reader(sample_db), "2A", MONTH)
    finally:
        masking.set_view_threshold(None)
    assert built.limit == masking.committee_threshold()


def test_charts_are_drawn_and_nothing_is_fetched(generated, text):
    assert generated.printed.charts == len(generated.rapport.charts) >= 8
    assert generated.printed.blocked_requests == 0
    # Text that exists only inside the Plotly figures (axis titles): the charts are in the PDF.
    for axis in ("Jours depuis l'orientation", "Personnes"):
        assert axis in text
    assert b"http://" not in generated.pdf and b"https://" not in generated.pdf
    assert "http" not in text


def test_html_is_self_contained_and_escapes_values(generated):
    html = comite.render_html(generated.rapport)  # the report the module's PDF was printed from
    assert "<link" not in html and 'src="http' not in html
    # A value from a file (a structure or organisme name) can never close the script element.
    figures_part = html.split("const figures = ", 1)[1].split(";\n", 1)[0]
    assert "</" not in figures_part


def test_command_writes_the_pdf_and_audits_the_export(sample_db, tmp_path):
    target = tmp_path / "comite.pdf"
    code = main(
        ["rapport", "--db", str(sample_db), "--departement", "2a", "--month", MONTH,
         "--pdf", str(target)]
    )  # fmt: skip
    assert code == 0
    assert target.read_bytes().startswith(b"%PDF")
    rows = access.audit_rows(sample_db, 5)
    assert any(r[3] == "export" and r[4] == "2A" and "comite.pdf" in (r[5] or "") for r in rows)


@pytest.mark.parametrize(
    ("month", "message"),
    [("2026-13", "Mois invalide"), ("2031-01", "Aucun fichier PECGM chargé pour 2A")],
)
def test_command_refuses_a_bad_month(sample_db, tmp_path, capsys, month, message):
    code = main(
        ["rapport", "--db", str(sample_db), "--departement", "2A", "--month", month,
         "--pdf", str(tmp_path / "x.pdf")]
    )  # fmt: skip
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_definitions_come_from_the_documentation():
    names = dict(comite.definitions())
    for name in ("stock_total", "orientes_30j_share", "contrat_courbe", "heures_hebdo"):
        assert name in " ".join(names), name
    doc = (Path(__file__).resolve().parents[1] / "docs" / "indicateurs.md").read_text("utf-8")
    assert all(f"`{name.split(',')[0].split()[0]}`" in doc for name in names)
    assert indicators.SHARE_DECIMALS == 4


def _row(cells: list[str]) -> str:
    """A table row as pdftotext lays it out: the cells in order, blanks between."""
    return r" +".join(re.escape(_fold(str(c))) for c in cells)


def test_each_subject_prints_the_pages_cells(text, view_reader, demo_scope) -> None:
    """Page (the view's output), PDF text and export (the view's download) for the same
    filters: the same numbers and the same masked cells, subject by subject."""
    from dashboard.views.accompagnement import accompagnement_view
    from dashboard.views.delais import delais_view
    from dashboard.views.demandeurs import demandeurs_view
    from dashboard.views.orientations import orientations_view

    scope = demo_scope(MONTH)
    flows = demandeurs_view(scope).flows.table
    for record in flows.to_dict("records"):
        cells = [fmt_month(record["mois"]), record["inscriptions"], record["cessations"],
                 record["radiations"]]  # fmt: skip
        assert re.search(_row(cells), text), cells
    cohortes = orientations_view(scope).cohortes.download
    for record in cohortes.to_dict("records"):
        cells = [record["cohorte"], record["entrants"], record["mediane_jours"]]
        assert re.search(_row(cells), text), cells
    contract = delais_view(scope).download
    for record in contract[contract["groupe"] == "Ensemble"].to_dict("records"):
        median = record["mediane_jours"]
        median = "n.d." if median is None or median != median else fmt_int(int(median))
        cells = [record["cohorte"], median, record["contrat_30j"], record["contrat_60j"]]
        assert re.search(_row(cells), text), cells
    hours = accompagnement_view(scope).intensite.download
    for record in hours[hours["groupe"] == "Ensemble"].to_dict("records"):
        cells = [fmt_month(record["mois"]), record["personnes"]]
        assert re.search(_row(cells), text), cells
