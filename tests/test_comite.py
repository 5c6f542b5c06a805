"""The committee's monthly PDF report: same figures as `indicators --json`, masked as the
committee's pages, charts drawn, nothing fetched from outside."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from contextlib import redirect_stdout

import pytest

from dashboard import comite, headlines, palette
from dashboard.formatting import (
    GENERIC_CODES,
    MINUS,
    fmt_int,
    fmt_month,
    fmt_share,
    of_month,
)
from pipelines import access, glossary, masking, warehouse
from pipelines.cli import main
from tests.conftest import COMITE_DEMO

MONTH = COMITE_DEMO[1]  # the demo's latest month


def _fold(text: str) -> str:
    return re.sub(r"[ \u00a0\u202f]+", " ", text)


@pytest.fixture
def generated(comite_demo):
    """The demo's report of MONTH, built once per run for every test that reads it."""
    return comite_demo[0]


@pytest.fixture
def text(comite_demo) -> str:
    return comite_demo[1]


@pytest.fixture(scope="session")
def expected(sample_db) -> dict:
    """What the operator's command prints for the same département and month."""
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["indicators", "--db", str(sample_db), "--departement", "2A", "--month", MONTH])
    assert code == 0
    return json.loads(out.getvalue())


def test_the_pdf_is_a4_with_a_summary_and_every_topic(generated, text):
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
    assert "Fichier PECGM (France Travail) données d'octobre 2026" in text  # data date
    info = subprocess.run(
        [shutil.which("pdfinfo") or "pdfinfo", "-"], input=generated.pdf, capture_output=True
    ).stdout.decode()
    assert "(A4)" in info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 1 + len(generated.rapport.sections) // 2  # a summary, then the topics


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
        printed = "—" if code in GENERIC_CODES else code  # « Non renseignée » says it
        assert re.search(
            rf"(?<!\S){re.escape(printed)} +{re.escape(labels[code])} +{re.escape(shown)}", text
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


def test_the_report_is_masked_even_for_an_unmasked_analyst_view(one_month_db):
    masking.set_view_threshold(1)  # what the analyst's toggle sets for the pages
    try:
        built = comite.build(warehouse.open_reader(one_month_db), "2A", MONTH)
    finally:
        masking.set_view_threshold(None)
    assert built.limit == masking.committee_threshold()


def test_the_report_runs_each_indicator_query_once(one_month_db, monkeypatch):
    """The tiles' context, the sections and their masking decisions ask the same families
    and months again and again: the build reads each (query, parameters) once
    (`comite.Reads`; issue #28: the report took 17–44 s)."""
    from pipelines import indicators

    asked: list[tuple[str, str]] = []
    real = indicators.run

    def run(con, name: str, params: dict) -> list[dict]:
        asked.append((name, json.dumps(params, sort_keys=True, default=str)))
        return real(con, name, params)

    monkeypatch.setattr(indicators, "run", run)
    comite.build(warehouse.open_reader(one_month_db), "2A", MONTH)
    assert asked, "the report reads the indicator layer"
    assert [a for a in set(asked) if asked.count(a) > 1] == []


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


def test_command_writes_the_pdf_and_audits_the_export(one_month_db, tmp_path):
    target = tmp_path / "comite.pdf"
    code = main(
        ["rapport", "--db", str(one_month_db), "--departement", "2a", "--month", MONTH,
         "--pdf", str(target)]
    )  # fmt: skip
    assert code == 0
    assert target.read_bytes().startswith(b"%PDF")
    rows = access.audit_rows(one_month_db, 5)
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


def test_definitions_are_those_of_the_indicator_files_in_words():
    families = glossary.families()
    printed = dict(comite.definitions())
    assert list(printed) == [families[f]["libelle"] for f in comite.REPORT_FAMILIES]
    for family in comite.REPORT_FAMILIES:
        definition = families[family]["definition"]
        assert printed[families[family]["libelle"]] == comite.plain(definition)
    assert not any("`" in text for text in printed.values())


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


def _page(pdf: bytes, number: int) -> str:
    """One page's text in reading order (a tile's label wraps inside its tile), white
    space folded."""
    out = subprocess.run(
        ["pdftotext", "-f", str(number), "-l", str(number), "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    return re.sub(r"\s+", " ", out)


def _info(pdf: bytes) -> str:
    return subprocess.run(
        ["pdfinfo", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def _pages(pdf: bytes) -> int:
    return int(re.search(r"Pages:\s+(\d+)", _info(pdf)).group(1))


def test_page_one_is_the_synthese_in_one_page(generated):
    """The tiles and sentences of the Synthèse (its own builder) on page 1, nothing else;
    the detailed chapters start on page 2."""
    first, second = _page(generated.pdf, 1), _page(generated.pdf, 2)
    rapport = generated.rapport
    assert rapport.tiles and rapport.sentences
    for tile in rapport.tiles:
        assert _fold(tile.label) in first and _fold(tile.value) in first, tile.label
    for sentence in rapport.sentences:
        assert _fold(sentence) in first, sentence
    assert second.lstrip().startswith(rapport.sections[0].title)
    assert not any(s.title in first for s in rapport.sections)  # no chapter spills onto it


def test_deltas_are_signed_and_said_in_words(generated):
    """Page 1 prints each tile's delta as the builder says it (`Tile.delta_words`), a
    cohorte compared with the cohorte before it, never « sur un mois »."""
    first = _page(generated.pdf, 1)
    tiles = [t for t in generated.rapport.tiles if t.delta_words]
    assert tiles and any(t.cohorte for t in tiles)
    for tile in tiles:
        assert _fold(tile.delta_words) in first, tile.delta_words
        span = headlines.COHORTE_SPAN if tile.cohorte else headlines.MONTH_SPAN
        assert tile.delta_words.endswith(f" {span}"), tile.delta_words
    assert re.search(rf"[+{MINUS}]\d", first)
    assert not re.search(r"(?<![\w-])-\d", first)  # a minus is « − », never a hyphen
    assert not re.search(r"\d pt\b|\d j sur", first)  # units in words


def _said(tile: headlines.Tile) -> list[str]:
    """What a tile says, as the page and the report print it."""
    return [tile.label, tile.value, *([tile.delta_words] if tile.delta_words else []),
            *tile.context]  # fmt: skip


def test_page_and_pdf_say_the_same_words_for_each_tile(generated, view_reader):
    """The Synthèse page's builder (its view, as the page reads the warehouse) and page 1
    of the PDF: the same groups, and for each tile the same value, delta words and context
    lines (a year before, the trend, the target, the national figures)."""
    from dashboard.views.synthese import synthese_view

    view = synthese_view("2A", MONTH, None)
    page = [(g.title, [_said(t) for t in g.tiles]) for g in view.groups]
    assert page == [(g.title, [_said(t) for t in g.tiles]) for g in generated.rapport.groups]
    first = _page(generated.pdf, 1)
    for title, tiles in page:
        assert _fold(title) in first, title
        for words in (w for tile in tiles for w in tile):
            assert _fold(words) in first, words
    assert any(t.context for g in view.groups for t in g.tiles)
    assert sum(bool(t.delta_words) for g in view.groups for t in g.tiles) >= 5


def test_page_one_prints_the_warnings_and_file_text_as_text(sample_db, monkeypatch, tmp_path):
    """A refused targets file: page 1 says why (the builder's warning) before the tiles; a
    label read from the references file is printed as text, never as markup."""
    from pipelines.settings import DEFAULT_REFERENCES

    (tmp_path / "objectifs.yaml").write_text(
        '"2A":\n  - {indicateur: inconnue, sens: ">=", valeur: 80 %}\n', encoding="utf-8"
    )
    references = DEFAULT_REFERENCES.read_text(encoding="utf-8")
    label = "<b>moins de six mois</b>"
    assert "libelle: Orientées parmi les personnes au RSA depuis moins de six mois" in references
    (tmp_path / "references.yaml").write_text(
        references.replace("au RSA depuis moins de six mois", label, 1), encoding="utf-8"
    )
    monkeypatch.setenv("PILOTAGE_OBJECTIFS", str(tmp_path / "objectifs.yaml"))
    monkeypatch.setenv("PILOTAGE_REFERENCES", str(tmp_path / "references.yaml"))
    built = comite.build(warehouse.open_reader(sample_db), "2A", MONTH)
    assert built.warnings and built.warnings[0].startswith("Objectifs non affichés : ")
    cover = comite.render_html(built).split('<section class="page couverture">', 1)[1]
    cover = cover.split("</section>\n\n", 1)[0]
    assert cover.index(built.warnings[0].split(" : ")[0]) < cover.index('class="groupes"')
    assert "inconnue" in cover and "Objectif :" not in cover
    assert label not in cover and "&lt;b&gt;moins de six mois&lt;/b&gt;" in cover


def test_the_cover_gives_each_source_data_date_in_words(generated, sample_db):
    first = _page(generated.pdf, 1)
    rows = (
        warehouse.open_reader(sample_db)
        .execute(
            "SELECT source, max(month) FROM load_journal WHERE departement = '2A' "
            "AND status = 'loaded' GROUP BY source"
        )
        .fetchall()
    )
    assert len(rows) >= 4
    for source, month in rows:
        label = comite.source_label(source)
        when = f"données {of_month(month)}" if month else "fichier sans mois"
        assert re.search(rf"{re.escape(label)} {re.escape(when)}, chargées? le \d", first), source
    assert not re.search(r"\b(?:pecgm|cgpem|lrsa|caf)\b", first)  # codes never
    assert not re.search(r"\d{2}/\d{2}/\d{4}\)", first)


# A page is near empty when what it prints ends in its top part (the footer aside).
NEAR_EMPTY = 0.4  # share of the page's height
FOOTER_PT = 40  # the footer's band at the bottom of each page (points)
MIN_CHARACTERS = 300


def _page_fill(pdf: bytes) -> list[tuple[float, int]]:
    """Per page: how far down its lowest word goes (share of the height) and how many
    characters it prints, the footer left out (pdftotext -bbox)."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    fills = []
    for page in out.split("<page ")[1:]:
        height = float(re.search(r'height="([\d.]+)"', page).group(1))
        words = [
            (float(y), w)
            for y, w in re.findall(r'yMax="([\d.]+)">([^<]*)</word>', page)
            if float(y) < height - FOOTER_PT
        ]
        fills.append(
            (max((y for y, _ in words), default=0) / height, sum(len(w) for _, w in words))
        )
    return fills


def test_no_page_is_near_empty(generated):
    fills = _page_fill(generated.pdf)
    assert len(fills) == _pages(generated.pdf) > 3
    for number, (fill, characters) in enumerate(fills[:-1], 1):
        assert fill > NEAR_EMPTY and characters > MIN_CHARACTERS, (number, fill, characters)


def _words(pdf: bytes) -> list[list[tuple[float, float, float, float, str]]]:
    """Per page, each printed word's box (pdftotext -bbox: x0, y0, x1, y1 in points)."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    box = r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    return [
        [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(box, page)]
        for page in out.split("<page ")[1:]
    ]


def test_no_printed_word_lies_over_another(generated):
    """In the PDF as printed, no two words' boxes overlap (by more than a point each way):
    no chart label over a table header, a title over an axis, ticks over a legend."""
    met = []
    for number, words in enumerate(_words(generated.pdf), 1):
        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                if min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1:
                    met.append((number, a[4], b[4]))
    assert met == []


OVERLAPS = """() => {
  const box = e => e.getBoundingClientRect();
  const meets = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const headers = [...document.querySelectorAll("table thead th")].map(box);
  const out = [];
  document.querySelectorAll(".graphique").forEach((chart, i) => {
    const frame = box(chart);
    chart.querySelectorAll("svg text").forEach(t => {
      const r = box(t);
      if (!r.width || !t.textContent.trim()) return;
      if (r.top < frame.top - 1 || r.bottom > frame.bottom + 1)
        out.push(["hors du cadre", i, t.textContent]);
      if (headers.some(h => meets(r, h))) out.push(["sur un en-tête", i, t.textContent]);
    });
    if (headers.some(h => meets(frame, h))) out.push(["cadre sur un en-tête", i, ""]);
  });
  return [document.querySelectorAll(".graphique svg text").length, headers.length, out];
}"""


def test_no_chart_label_lies_over_a_table_header(generated):
    """Chromium lays the report out for print (A4 text width); no chart's text leaves its
    box, and no chart nor its text meets a table header."""
    from playwright.sync_api import sync_playwright

    from dashboard import pdf

    html = comite.render_html(generated.rapport)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=pdf.chromium_path(), args=[*pdf.CHROMIUM_ARGS, "--no-sandbox"]
        )
        try:
            page = browser.new_page(viewport={"width": 703, "height": 1000})
            page.emulate_media(media="print")
            page.set_content(html, wait_until="load")
            page.wait_for_function(f"() => window.rapportPret === {len(generated.rapport.charts)}")
            texts, headers, overlaps = page.evaluate(OVERLAPS)
        finally:
            browser.close()
    assert texts > 100 and headers > 10
    assert overlaps == []


def test_no_internal_identifier_in_the_pdf(text):
    """No indicator key, no code of a nomenclature standing for words, no « None »."""
    keys = set(glossary.entries()) | set(glossary.families())
    codes = set(GENERIC_CODES) | {c for family in palette.COLOURS.values() for c in family}
    identifiers = {k for k in keys | codes if "_" in k} | {"None", "nan"}
    found = sorted(k for k in identifiers if re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", text))
    assert found == []
    assert "`" not in text


def test_the_report_wears_the_dashboards_colours(generated):
    css = (comite.TEMPLATES / "comite.css").read_text(encoding="utf-8")
    assert not re.search(r"#[0-9a-fA-F]{3,6}\b|rgb\(", css)  # palette.py is their home
    html = comite.render_html(generated.rapport)
    for name, colour in palette.REPORT.items():
        assert f"--{name}: {colour};" in html
    assert palette.REPORT["accent"] in palette.OKABE_ITO
    drawn = {
        colour
        for chart in generated.rapport.charts
        for trace in chart.figure.data
        for colour in (
            getattr(getattr(trace, "marker", None), "color", None),
            getattr(getattr(trace, "line", None), "color", None),
        )
        if isinstance(colour, str)
    }
    known = {c.upper() for f in palette.COLOURS.values() for c in f.values()}
    known |= {c.upper() for c in (*palette.OKABE_ITO, *palette.CURVES, palette.NON_RENSEIGNE)}
    assert drawn and {c.upper() for c in drawn} <= known


def test_the_pdf_is_tagged_with_its_outline(generated):
    info = _info(generated.pdf)
    assert re.search(r"Tagged:\s+yes", info), info


@pytest.mark.parametrize("keys", [("orientes_30j_share", "orientes_6sem_share"), ("heures_hebdo",),
                                  ("categorie",), ("orientations",), ("cessations_motif",)])  # fmt: skip
def test_captions_are_printed_in_words(keys):
    """A glossary caption (« key : definition ») on paper: its definition, no key, no
    backquoted code, starting with a capital."""
    printed = comite.plain(glossary.caption(*keys))
    assert printed and printed[0].isupper()
    assert "`" not in printed
    assert not any(re.search(rf"\b{k}\b", printed) for k in glossary.entries() if "_" in k)
    assert glossary.definition(keys[0]).split(" ")[1] in printed  # the definition is kept


# --- plotly.js inlined: the basic bundle when it draws every chart -----------------------


def test_the_vendored_basic_bundle_is_the_published_one_of_plotlys_version() -> None:
    """The bundle kept in dashboard/templates/vendor is the npm package's file, unchanged
    (its checksum), and of the plotly.js version plotly.py writes its figures for: after a
    plotly upgrade this fails until the bundle is refreshed (docs/performances.md), rather
    than every report quietly falling back to the full bundle."""
    import hashlib

    import plotly.offline

    manifest = comite.basic_bundle()
    data = (comite.VENDOR / manifest["fichier"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == manifest["sha256"]
    assert f"-{manifest['version']}.tgz" in manifest["archive"]
    assert f"plotly.js (basic - minified) v{manifest['version']}" in data[:200].decode()
    assert manifest["version"] == plotly.offline.get_plotlyjs_version(), (
        f"plotly.js {plotly.offline.get_plotlyjs_version()} : mettez à jour "
        f"{comite.VENDOR / manifest['fichier']} et son manifeste"
    )


def test_the_report_inlines_the_basic_bundle_only_when_it_draws_every_trace(
    monkeypatch,
) -> None:
    import plotly.offline

    basic = comite.plotly_js({"bar", "scatter"})
    assert basic.startswith("/**\n* plotly.js (basic - minified)")
    assert len(basic) < len(plotly.offline.get_plotlyjs()) / 3
    full = plotly.offline.get_plotlyjs()
    assert comite.plotly_js({"bar", "heatmap"}) == full  # a trace the basic bundle lacks
    monkeypatch.setattr(plotly.offline, "get_plotlyjs_version", lambda: "9.9.9")
    assert comite.plotly_js({"bar"}) == full  # figures written for another plotly.js


def test_the_demo_report_draws_with_the_basic_bundle(comite_demo) -> None:
    """Every chart of the demo report is of a type the basic bundle draws, so that the
    report the committee prints is the fast one."""
    generated, _ = comite_demo
    types = {t.type for c in generated.rapport.charts for t in c.figure.data}
    assert types <= set(comite.basic_bundle()["traces"]), types
    assert "plotly.js (basic - minified)" in comite.render_html(generated.rapport)


def test_a_printed_figure_is_a4_white_with_its_axes_set_as_plotly_would() -> None:
    """`_figure_json` writes on the figure's dicts what `update_layout`, `update_yaxes`
    and `update_xaxes` did: every y axis, the first one included when only a second is
    written, gets its label standoff; month labels go on two lines on every x axis;
    numeric tick labels are left alone; the template is plotly_white, whole."""
    import plotly.graph_objects as go

    twin = go.Figure(
        [go.Scatter(x=[1, 2], y=[3, 4], name="a"), go.Bar(x=[1, 2], y=[5, 6], name="b")],
        layout={
            "yaxis2": {"overlaying": "y"},
            "xaxis": {"ticktext": ["nov. 2025", "déc. 2025"], "tickvals": [1, 2]},
            "xaxis2": {"anchor": "y2"},
            "title": {"text": "Un<br>titre"},
        },
    )
    printed = json.loads(comite._figure_json(twin))["layout"]
    assert printed["yaxis"]["ticklabelstandoff"] == printed["yaxis2"]["ticklabelstandoff"] == 4
    assert printed["xaxis"]["ticktext"] == ["nov.<br>2025", "déc.<br>2025"]
    assert printed["xaxis2"]["ticktext"] == printed["xaxis"]["ticktext"]
    assert printed["xaxis2"]["tickangle"] == 0 and printed["yaxis2"]["overlaying"] == "y"
    assert printed["title"]["text"] == "Un titre" and printed["margin"]["t"] == 40
    assert printed["margin"]["b"] == comite.LEGEND_BAND  # two named traces: a legend
    white = json.loads(go.Figure(layout={"template": "plotly_white"}).to_json())
    assert printed["template"] == white["layout"]["template"]
    numbers = go.Figure(go.Bar(x=[1, 2], y=[1, 2]), layout={"xaxis": {"ticktext": [10, 20]}})
    alone = json.loads(comite._figure_json(numbers))["layout"]
    assert alone["xaxis"]["ticktext"] == [10, 20]
    assert alone["margin"]["b"] == 50 and alone["margin"]["t"] == 15  # no legend, no title
    assert alone["width"] == comite.FIGURE_WIDTH and alone["height"] == comite.FIGURE_HEIGHT
