"""Text from a file, a mapping or an API is text on every surface (docs/securite.md, §20):
hostile labels (links, images, HTML, Plotly's tags, LaTeX, Streamlit's directives) go
through the figures, the pages' Markdown, the committee PDF and the exports, and none of
them comes out as a link, an image or markup."""

from __future__ import annotations

import html
import inspect
import io
import json
import re
import shutil

import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from dashboard import comite, figures, texte
from pipelines import export, generation, indicators, territoires, warehouse
from pipelines.access import User
from tests.conftest import pdftotext as _pdftotext
from tests.conftest import run_app

HOSTILE = [
    '<a href="https://x.invalid">Cliquez ici</a>',
    "![b](http://host.invalid/x.png) [Cliquez](https://y.invalid)",
    "<img src=x onerror=alert(1)>",
    "<b>gras</b> <i>penché</i>",
    "avant<br>après",
    "$x^2$",
    ":red[rouge] :material/home: <https://z.invalid>",
    "www.exemple.invalid & a@b.invalid",
]
# Territoire names travel through a `;`-separated file: no double quote, no `;` in them.
HOSTILE_TERRITOIRES = [
    "<a href='https://x.invalid'>Cliquez ici</a>",
    "![b](http://host.invalid/x.png) [Cliquez](https://y.invalid)",
    "<img src=x onerror=alert(1)>",
    "<b>gras</b> <br> www.exemple.invalid",
]

MARKDOWN = MarkdownIt("gfm-like")  # CommonMark + tables, strikethrough, autolink literals


def _rendered(markdown: str) -> str:
    return MARKDOWN.render(markdown)


def _no_markup(markdown: str) -> None:
    """What a CommonMark renderer makes of the text: no link, no image, no raw HTML."""
    out = _rendered(markdown)
    assert "<a " not in out and "<img" not in out, (markdown, out)
    tags = set(re.findall(r"</?([a-z0-9]+)", out)) - {
        "p",
        "strong",
        "em",
        "br",
        "ul",
        "ol",
        "li",
        "code",
    }
    assert not tags, (markdown, out)


# --- the function -----------------------------------------------------------------------


@settings(deadline=None)  # the first call builds the Markdown parser
@given(st.text(max_size=80))
def test_markdown_escaping_leaves_text_and_only_text(text) -> None:
    """Whatever the label, the rendered Markdown is one paragraph of exactly its text."""
    out = _rendered(texte.for_markdown(text))
    assert "<a " not in out and "<img" not in out and "<h" not in out and "<code" not in out
    body = re.sub(r"^<p>|</p>\n$", "", out)
    folded = re.sub(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+", " ", text).strip(" \t")
    if folded and "\x00" not in text:  # CommonMark replaces NUL; nothing to keep there
        assert html.unescape(body) == folded.strip(), (text, out)


@settings(deadline=None)  # the first call builds the Markdown parser
@given(st.text(max_size=80))
def test_plotly_escaping_leaves_no_tag_and_the_same_text(text) -> None:
    escaped = texte.for_plotly(text)
    assert "<" not in escaped and ">" not in escaped and "$" not in escaped
    assert html.unescape(escaped) == text


def test_every_figure_builder_draws_plain_labels() -> None:
    """Each function of dashboard/figures.py that builds a figure (returns one, takes
    none) is wrapped, and no public one returns a figure's dicts unwrapped (st.plotly_chart
    would draw them, labels unescaped): a builder added later without it fails here."""

    def builds(f) -> bool:
        signature = inspect.signature(f)
        takes = [p.annotation for p in signature.parameters.values()]
        figure = (go.Figure, "go.Figure")
        if signature.return_annotation in ("Spec", figures.Spec):  # a figure's dicts: a
            public = not f.__name__.startswith("_")  # builder would reach a page unescaped
            return public and not any(t in ("Spec", figures.Spec) for t in takes)
        return signature.return_annotation in figure and not any(t in figure for t in takes)

    builders = [
        f
        for _, f in inspect.getmembers(figures, inspect.isfunction)
        if f.__module__ == figures.__name__ and builds(f)
    ]
    assert len(builders) >= 7  # the detection finds them (cohorte_lines … cohorte_curves)
    unwrapped = [f.__name__ for f in builders if not getattr(f, "plain_labels", False)]
    assert not unwrapped, unwrapped


# --- figures ------------------------------------------------------------------------------


def _strings(value, key: str = ""):
    """(key, string) of every string of a figure dict, Plotly's own syntax left out."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in ("hovertemplate", "texttemplate", "template"):
                yield from _strings(v, k)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v, key)


def _assert_plain(fig: go.Figure) -> set[str]:
    """No string of the figure can be read as markup by plotly.js; returns the labels as
    they will be read (entities decoded)."""
    spec = json.loads(fig.to_json())
    shown = set()
    # The title's line breaks are the product's own (figures.wrap_title); nothing else in it
    # may be markup (texte._plain_title).
    title = spec.get("layout", {}).pop("title", {}).get("text", "")
    assert not re.search(r"[<>$]", title.replace("<br>", "")), ("title", title)
    shown.update(html.unescape(piece) for piece in title.split("<br>") if piece)
    for key, text in _strings(spec):
        assert not re.search(r"[<>$]", text), (key, text)
        shown.add(html.unescape(text))
    return shown


def _hostile_frame() -> pd.DataFrame:
    counts = {label: 20 + i for i, label in enumerate(HOSTILE)}
    labels = {code: code.title() for code in counts}  # as the Orientations page names them
    return figures.masked_frame(counts, labels, 11)


def test_hostile_labels_are_text_in_every_figure() -> None:
    frame = _hostile_frame()
    distribution = figures.distribution(frame, "organisme", "Décisions par organisme")
    assert {c.title() for c in HOSTILE} <= _assert_plain(distribution)  # shown, as text

    rows = [("2026-09", {h: 15 for h in HOSTILE}), ("2026-10", {h: 30 for h in HOSTILE})]
    monthly = figures.monthly_counts(rows, {h: h for h in HOSTILE}, 11)
    for as_share in (False, True):
        assert set(HOSTILE) <= _assert_plain(figures.stacked(monthly, "x", "T", as_share))

    lines = pd.DataFrame(
        [
            {"mois": m, "effectif": 12, "territoire": h}
            for m in ("2026-09", "2026-10")
            for h in HOSTILE
        ]
    )
    assert set(HOSTILE) <= _assert_plain(
        figures.lines(lines, "mois", "effectif", "territoire", "Par territoire", "Personnes")
    )
    cohortes = pd.DataFrame(
        [{"jour": d, "part": d / 100, "cohorte": h, "provisoire": d > 20}
         for d in (0, 10, 30) for h in HOSTILE[:2]]
    )  # fmt: skip
    assert set(HOSTILE[:2]) <= _assert_plain(figures.cohorte_curves(cohortes, "T", "Jours"))
    curve = pd.DataFrame(
        [{"jour": d, "part_contractes": d / 100, "cohorte": "2026-09", "provisoire": False}
         for d in (0, 30)]
    )  # fmt: skip
    _assert_plain(figures.contract_curve(curve))
    funnel = figures.funnel(HOSTILE, [(HOSTILE[0], [9] * len(HOSTILE), HOSTILE, False)], "T")
    assert set(HOSTILE) <= _assert_plain(funnel)


def test_a_label_is_escaped_once_even_through_nested_builders() -> None:
    """distribution() calls bar(): « & » is drawn « & », not « &amp; »."""
    frame = figures.masked_frame({"A & B": 20}, {"A & B": "A & B"}, 11)
    assert "A & B" in _assert_plain(figures.distribution(frame, "organisme", "T"))
    assert "A &amp; B" not in _assert_plain(figures.distribution(frame, "organisme", "T"))


# --- the pages, the PDF, the exports, on a warehouse holding hostile labels ----------------


@pytest.fixture(scope="module")
def hostile_db(sample_db, tmp_path_factory):
    """The demo warehouse, its territoires renamed and its organismes référents replaced by
    hostile labels, through the product's own write paths (a territoires file, a new
    generation)."""
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "pilotage.duckdb"
    shutil.copy(sample_db, db)
    known = indicators.communes_par_territoire(warehouse.open_reader(db), "2A")
    lines = ["code_commune;territoire"]
    for (_, communes), name in zip(known.items(), HOSTILE_TERRITOIRES, strict=False):
        lines += [f"{c};{name}" for c in communes]
    csv = folder / "territoires.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    territoires.load_file(db, csv, "2A")

    def rename(con) -> None:
        con.execute(
            "UPDATE wh.orientation SET organisme_referent = list_extract(?, "
            "1 + CAST(abs(hash(person_key)) % ? AS INTEGER)) "
            "WHERE organisme_referent IS NOT NULL",
            [HOSTILE, len(HOSTILE)],
        )

    generation.in_generation(db, rename)
    return db


def _markdown_sources(at) -> list[str]:
    """Every string the page handed to a Markdown surface."""
    texts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success",
                                   "title", "header", "subheader") for e in at.get(kind)]  # fmt: skip
    texts += [m.label for m in at.metric]
    return texts


@pytest.mark.parametrize("page", [None, "pages/orientations.py", "pages/demandeurs.py"])
def test_pages_show_hostile_territoires_and_organismes_as_text(hostile_db, monkeypatch, page):
    monkeypatch.setenv("PILOTAGE_DB", str(hostile_db))
    name = HOSTILE_TERRITOIRES[1]  # the Markdown one
    at = run_app(User("c", "comite", ("2A",)), {"dep": "2A", "mois": "2026-06", "terr": name}, page)
    assert not at.exception, [e.value for e in at.exception]
    sources = _markdown_sources(at)
    caption = next(t for t in sources if t.startswith("Territoire : "))
    assert "Cliquez" in caption  # the name is shown...
    for text in sources:  # ...and nothing on the page is a link, an image or HTML
        _no_markup(text)
    for chart in at.get("plotly_chart"):
        _assert_plain(go.Figure(json.loads(chart.proto.spec)))


def test_orientations_chart_draws_hostile_organismes_as_text(hostile_db, monkeypatch) -> None:
    monkeypatch.setenv("PILOTAGE_DB", str(hostile_db))
    at = run_app(
        User("c", "comite", ("2A",)), {"dep": "2A", "mois": "2026-06"}, "pages/orientations.py"
    )
    shown = set()
    for chart in at.get("plotly_chart"):
        shown |= _assert_plain(go.Figure(json.loads(chart.proto.spec)))
    assert any("Cliquez ici" in s for s in shown), "the organismes reach the chart, as written"


def test_the_committee_pdf_has_no_link_from_a_label(hostile_db) -> None:
    """Chromium prints a link as a /URI annotation: none may come from a label."""
    month = "2026-10"
    generated = comite.generate(warehouse.open_reader(hostile_db), "2A", month)
    assert b"/URI" not in generated.pdf and b"/Link" not in generated.pdf
    assert generated.printed.blocked_requests == 0  # no image fetched from a label either
    text = _pdftotext(generated.pdf)
    assert "Cliquez" in text  # the organismes are printed, as text


def test_exports_keep_hostile_labels_as_text_never_formulas() -> None:
    frame = pd.DataFrame(
        {"territoire": [*HOSTILE, '=HYPERLINK("https://x.invalid";"Cliquez")'], "n": range(9)}
    )
    read = pd.read_csv(io.BytesIO(export.csv_bytes(frame)), sep=";", encoding="utf-8-sig")
    assert list(read["territoire"])[:-1] == HOSTILE  # the text, as it was
    assert read["territoire"].iloc[-1].startswith("'=")  # a formula is text too
    book = openpyxl.load_workbook(io.BytesIO(export.xlsx_bytes(frame)))
    cells = [row[0] for row in book.active.iter_rows(min_row=2)]
    assert [c.value for c in cells][:-1] == HOSTILE
    assert all(c.data_type == "s" and c.hyperlink is None for c in cells)
    assert cells[-1].value.startswith("'=")


def test_a_title_keeps_its_own_line_breaks_and_nothing_else() -> None:
    """A wrapped title keeps the `<br>` that figures.wrap_title writes; any other markup
    in it (a territoire's name in a title, say) is escaped like every label."""
    hostile = '<a href="https://x">Cliquez ici</a> ' + "mot " * 15
    fig = go.Figure(**texte.plain_spec(figures.finish({"data": [], "layout": {}}, hostile)))
    title = fig.layout.title.text
    assert "<br>" in title
    assert not re.search(r"[<>]", title.replace("<br>", ""))
    assert "&lt;a href" in title
