"""The monthly committee report of a département: one A4 PDF from the indicator layer.

What it holds is what the committee's pages show, masked the same way: the figures come
from `pipelines.indicators` (one definition each), the charts are the pages' own Plotly
figures (`dashboard/figures.py`), the tiles and sentences those of Synthèse
(`dashboard/headlines.py`). It is laid out in HTML/CSS (`dashboard/templates/`) and printed
by Chromium (`dashboard/pdf.py`), offline: plotly.js is inlined, nothing is fetched.

A report is always a committee view: counts below the published threshold are masked
whoever asks for it, and shares over a denominator below it are not printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
import plotly.offline
from jinja2 import Environment, FileSystemLoader, select_autoescape

from dashboard import figures, headlines, oarsa_annexe, pdf
from dashboard.formatting import fmt_decimal, fmt_int, fmt_month
from dashboard.views import accompagnement, delais, demandeurs, orientations
from dashboard.views import synthese as synthese_view
from dashboard.views.elements import Distribution, MonthlyChart
from pipelines import glossary, indicators, masking, territoires
from pipelines.errors import UsageError
from pipelines.journal import STATUS_LABELS
from pipelines.nomenclatures import nomenclature

TEMPLATES = Path(__file__).parent / "templates"
TREND_MONTHS = 12  # months of history on the charts, as on the pages' default period
CURVE_COHORTES = 6  # Kaplan–Meier curves drawn, as on the Délais page
SOURCE_LABELS = {
    "pecgm": "Fichier PECGM (France Travail)",
    "cgpem": "Décisions d'orientation (CGPEM)",
    "lrsa": "Listes LRSA DE",
    "stock": "Reprise de stock",
    "parcours": "Fichiers parcours",
    "caf": "Flux bénéficiaires CAF/MSA",
    "statut": "API France Travail (statut usager)",
}
POPULATION_LABELS = {
    "caf_msa": "personnes soumises aux droits et devoirs du flux bénéficiaires CAF/MSA",
    "sources": (
        "personnes connues des fichiers d'orientation et de parcours (sans flux CAF/MSA, "
        "les non-orientés peuvent manquer)"
    ),
}


@dataclass(frozen=True)
class Chart:
    """A figure as the page draws it, with the definition its caption gives."""

    figure: go.Figure
    caption: str
    kind = "graphique"


@dataclass(frozen=True)
class Table:
    """Printed cells only (already masked and formatted): what the committee may read."""

    columns: list[str]
    rows: list[list[str]]
    caption: str = ""
    kind = "tableau"


@dataclass(frozen=True)
class Section:
    title: str
    blocks: list[Chart | Table] = field(default_factory=list)  # in printed order
    empty: str | None = None  # the sentence printed when the topic has no data

    @property
    def charts(self) -> list[Chart]:
        return [b for b in self.blocks if isinstance(b, Chart)]

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]


@dataclass(frozen=True)
class Rapport:
    departement: str
    month: str
    generated_at: datetime
    limit: int
    data_dates: list[tuple[str, str]]
    population: str
    tiles: list[headlines.Tile]
    sentences: list[str]
    sections: list[Section]
    definitions: list[tuple[str, str]]
    quality: Table
    annexe_oarsa: str = ""  # the DREES return, masked (dashboard/oarsa_annexe.py)

    @property
    def charts(self) -> list[Chart]:
        return [c for s in self.sections for c in s.charts]


def _months(con: duckdb.DuckDBPyConnection, departement: str, month: str) -> list[str]:
    """The report's months, oldest first: up to TREND_MONTHS ending with `month`."""
    known = sorted(indicators.months_available(con, departement))
    upto = [m for m in known if m <= month]
    return upto[-TREND_MONTHS:]


def _labels(name: str) -> dict[str, str]:
    return {
        **{r["code"]: r.get("libelle_court") or r["libelle"] for r in nomenclature(name)},
        "non_renseignee": "Non renseignée",
        "non_renseigne": "Non renseigné",
    }


def _distribution_section_part(
    counts: dict[str, int] | None,
    family: str,
    labels: dict[str, str],
    title: str,
    caption: str,
    limit: int,
    linked: frozenset[str] | None = None,
) -> tuple[list[Chart], list[Table]]:
    if not counts:
        return [], []
    frame = figures.masked_frame(counts, labels, limit, linked)
    chart = Chart(figures.distribution(frame, family, title), caption)
    table = Table(
        ["Code", "Libellé", "Effectif"],
        [[str(r.code), str(r.libelle), str(r.affiche)] for r in frame.itertuples()],
    )
    return [chart], [table]


FLUX_TITLE = glossary.families()["flux"]["libelle"]
FLOW_HEADINGS = {
    "mois": "Mois",
    "inscriptions": "Inscriptions",
    "cessations": "Cessations",
    "radiations": "Radiations",
}


def _days(value) -> str:
    """A number of days as a table prints it: '21', 'n.d.' when withheld."""
    return "n.d." if value is None or pd.isna(value) else fmt_int(int(value))


def _table(frame: pd.DataFrame, headings: dict[str, str], caption: str = "") -> Table:
    """A builder's printed frame as a PDF table: its columns in `headings` order."""
    cells = frame[list(headings)].astype(object).where(frame[list(headings)].notna(), "n.d.")
    return Table(list(headings.values()), cells.astype(str).values.tolist(), caption)


def _distribution(block: Distribution, limit: int) -> list[Chart | Table]:
    """A view's distribution block as the PDF prints it: its chart, then its cells."""
    charts, tables = _distribution_section_part(
        block.counts, block.family, block.labels, block.title, block.caption, limit, block.linked
    )
    return [*charts, *tables]


def _stacked(rows, labels, family, title, caption, limit, codes=None, linked=None):
    frame = figures.monthly_counts(rows, labels, limit, codes, linked)
    if frame.empty or frame["effectif"].isna().all():
        return []
    return [Chart(figures.stacked(frame, family, title, as_share=False), caption)]


def _monthly(block: MonthlyChart, limit: int) -> list[Chart]:
    """A view's counts per month as the PDF draws them (counts, not shares)."""
    return _stacked(
        block.rows,
        block.labels,
        block.family,
        block.title,
        block.caption,
        limit,
        block.codes,
        block.linked,
    )


def _orientations(con, departement, month, months, limit) -> Section:
    current = indicators.orientations(con, departement, month)
    if current is None:
        return Section(
            "Orientations",
            empty="Aucune décision d'orientation chargée (CGPEM, reprise de stock, parcours).",
        )
    series = [(m, indicators.orientations(con, departement, m)) for m in months]
    linked = _linked(con, departement, month, current, limit, "orientations")
    block = orientations.decisions_block(
        current,
        series,
        departement,
        month,
        None,
        limit,
        orientations.Linked(
            linked,
            headlines.total_hidden(
                _decision(con, departement, month, current, limit, "orientations") or set(),
                headlines.DEPARTEMENT,
            ),
            {
                m: _linked(con, departement, m, r, limit, "orientations")["orientations"]
                for m, r in series
            },
        ),
    )
    masked = masking.mask_distribution(current["orientations"], limit, linked["orientations"])
    table = Table(
        ["Type de parcours", block.decisions_label],
        [
            [figures.PARCOURS_LABELS.get(k, k), masking.masked_label(v, limit)]
            for k, v in masked.items()
        ],
        f"{block.personnes_label} : {block.personnes}.",
    )
    return Section(
        "Orientations",
        [*_monthly(block.monthly, limit), table, *_distribution(block.organismes, limit)],
    )


def _decision(con, departement: str, month: str, whole: dict, limit: int, family: str):
    """The month's decision over `family` crossed with the territoires
    (`headlines.crossed_hidden`), as the pages take it; None when nothing is masked or the
    département has no partition."""
    partition = territoires.communes_par_territoire(con, departement)
    if limit <= 1 or not partition:
        return None
    read = getattr(indicators, family)
    by_territoire = {t: read(con, departement, month, cs) or {} for t, cs in partition.items()}
    return headlines.crossed_hidden(family, whole or {}, by_territoire, limit)


def _linked(con, departement: str, month: str, whole: dict, limit: int, family="stock") -> dict:
    """Per distribution of `family` (`headlines.GRIDS`), the codes of the département's
    row that the decision over its territoires hides, as on the pages; None each when
    nothing is masked or the département has no partition."""
    hidden = _decision(con, departement, month, whole, limit, family)
    if hidden is None:
        return dict.fromkeys(headlines.GRIDS[family])
    return {
        n: headlines.row_hidden(hidden, n, headlines.DEPARTEMENT) for n in headlines.GRIDS[family]
    }


def _categories(con, departement, month, months, limit) -> Section:
    stock = indicators.stock(con, departement, month)
    if not stock["stock_total"]:
        return Section(
            "Catégories de demandeurs d'emploi", empty="Aucun fichier PECGM pour ce mois."
        )
    linked = _linked(con, departement, month, stock, limit)["categorie"]
    distribution = synthese_view.distribution(stock, "categorie", departement, month, linked)
    stocks = {m: indicators.stock(con, departement, m) for m in months}
    rows = [(m, s["categorie"]) for m, s in stocks.items()]
    linked = {m: _linked(con, departement, m, s, limit)["categorie"] for m, s in stocks.items()}
    monthly = demandeurs.categories_chart(rows, departement, linked)
    return Section(
        "Catégories de demandeurs d'emploi",
        [*_distribution(distribution, limit), *_monthly(monthly, limit)],
    )


def _modalites(con, departement, month, limit) -> Section:
    stock = indicators.stock(con, departement, month)
    if not stock["stock_total"]:
        return Section(
            "Modalités et axes d'accompagnement", empty="Aucun fichier PECGM pour ce mois."
        )
    return Section(
        "Modalités et axes d'accompagnement",
        [
            *_distribution(
                synthese_view.distribution(
                    stock,
                    "modalite",
                    departement,
                    month,
                    _linked(con, departement, month, stock, limit)["modalite"],
                ),
                limit,
            ),
            *_distribution(
                accompagnement.axes_distribution(
                    stock["axe"], month, _linked(con, departement, month, stock, limit)["axe"]
                ),
                limit,
            ),
        ],
    )


def _delai_orientation(con, departement, month, months, limit) -> Section:
    series = [(m, indicators.delai_orientation(con, departement, m)) for m in months]
    series = [(m, r) for m, r in series if r is not None and r["entrants"]]
    if not series:
        return Section(
            "Délai d'orientation",
            empty="Aucune date d'entrée au RSA dans les données chargées.",
        )
    block = orientations.cohortes_block(
        series,
        dict(series).get(month),
        indicators.population(con, departement),
        indicators.liaison_flux(con, departement),
        month,
        limit,
    )
    charts = []
    if figures.has_values(block.chart.frame, "part"):
        charts.append(Chart(figures.lines(*block.chart), block.chart_caption))
    table = _table(block.table, {c: c for c in block.table.columns})
    return Section("Délai d'orientation", [*charts, table])


CONTRACT_HEADINGS = {
    "cohorte": "Cohorte d'orientation",
    "mediane_jours": "Délai médian (jours)",
    "contrat_30j": "Contrat en 30 j",
    "contrat_60j": "Contrat en 60 j",
    "provisoire": "Provisoire",
}
HOURS_HEADINGS = {
    "mois": "Mois",
    "personnes": "Personnes en parcours",
    "heures_moyennes": "Heures par semaine (moyenne)",
    "part_15h": "15 h ou plus",
}
ENSEMBLE = figures.PARCOURS_LABELS["ensemble"]


def _contrat(con, departement, month, months, limit) -> Section:
    series = [(m, indicators.contrat(con, departement, m)) for m in months]
    series = [(m, r) for m, r in series if r is not None and r["orientes"]]
    if not series:
        return Section("Délai jusqu'au contrat", empty="Aucune orientation chargée.")
    block = delais.delais_block(
        indicators.contrat(con, departement, month),
        series,
        indicators.contrat_courbe(con, departement),
        None,
        month,
        months,
        None,
        limit,
    )
    charts = []
    if not block.curve.empty:
        charts.append(Chart(figures.contract_curve(block.curve), block.curve_caption))
    rows = block.download[block.download["groupe"] == ENSEMBLE]
    table = _table(
        rows.assign(mediane_jours=rows["mediane_jours"].map(_days)),
        CONTRACT_HEADINGS,
        block.caption,
    )
    return Section("Délai jusqu'au contrat", [*charts, table])


def _intensite(con, departement, month, months, limit) -> Section:
    block = accompagnement.intensite_block(
        [(m, indicators.intensite(con, departement, m)) for m in months],
        indicators.intensite(con, departement, month),
        month,
        None,
        limit,
    )
    if block is None:
        return Section("Intensité de l'accompagnement", empty="Aucun fichier parcours chargé.")
    charts = [
        Chart(figures.lines(*chart), block.caption)
        for chart in (block.hours, block.at_15h)
        if figures.has_values(chart.frame[chart.frame["groupe"] == ENSEMBLE], chart.y)
    ]
    rows = block.download[block.download["groupe"] == ENSEMBLE]
    table = _table(
        rows.assign(
            mois=rows["mois"].map(fmt_month),
            heures_moyennes=rows["heures_moyennes"].map(fmt_decimal),
        ),
        HOURS_HEADINGS,
    )
    return Section("Intensité de l'accompagnement", [*charts, table])


def _flux(con, departement, months, limit) -> Section:
    series = [(m, indicators.flux(con, departement, m)) for m in months]
    if all(f["flux_source"] is None for _, f in series):
        return Section(
            FLUX_TITLE,
            empty="Aucune liste LRSA DE ni fichier PECGM pour la période.",
        )
    linked = {m: _linked(con, departement, m, f, limit, "flux") for m, f in series}
    block = demandeurs.flows(
        series,
        series[-1][1],
        months[-1],
        limit,
        {m: demandeurs.hidden_flows(row) for m, row in linked.items()},
        linked[months[-1]]["cessations_motif"],
    )
    charts = [Chart(figures.lines(*block.chart), block.caption)]
    charts = charts if figures.has_values(block.chart.frame, "effectif") else []
    table = _table(block.table.assign(mois=block.table["mois"].map(fmt_month)), FLOW_HEADINGS)
    return Section(
        FLUX_TITLE,
        [*charts, table, *_distribution(block.motifs, limit)],
    )


def _data_dates(con, departement: str) -> list[tuple[str, str]]:
    """Per source, the latest month loaded for the département and when it was loaded."""
    rows = con.execute(
        "SELECT source, max(month), max(ended_at) FROM load_journal "
        "WHERE departement = ? AND status = 'loaded' GROUP BY source ORDER BY source",
        [departement],
    ).fetchall()
    out = []
    for source, month, ended in rows:
        when = f"chargé le {ended:%d/%m/%Y}" if isinstance(ended, datetime | date) else ""
        data = fmt_month(month) if month else "sans mois"
        out.append((SOURCE_LABELS.get(source, source), f"{data} ({when})" if when else data))
    return out


def _quality(con, departement: str, month: str) -> Table:
    """The loads of the month's data for the département: lines read, loaded, rejected."""
    rows = con.execute(
        "SELECT source, file_name, status, rows_read, rows_loaded, rows_rejected, ended_at "
        "FROM load_journal WHERE departement = ? AND (month IS NULL OR month = ?) "
        "ORDER BY id",
        [departement, month],
    ).fetchall()
    return Table(
        ["Source", "Fichier", "Statut", "Lus", "Chargés", "Rejetés", "Date"],
        [
            [
                SOURCE_LABELS.get(s, s),
                str(name),
                STATUS_LABELS.get(st, st),
                fmt_int(read),
                fmt_int(loaded),
                fmt_int(rejected),
                f"{ended:%d/%m/%Y}" if ended else "",
            ]
            for s, name, st, read, loaded, rejected, ended in rows
        ],
        "Chargements des fichiers du mois (et des fichiers sans mois : parcours, reprise de "
        "stock). Les lignes rejetées sont en quarantaine, jamais chargées.",
    )


@cache
def definitions() -> list[tuple[str, str]]:
    """Each indicator's name and definition, from docs/indicateurs.md (its tables)."""
    path = Path(__file__).resolve().parent.parent / "docs" / "indicateurs.md"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `") and line.count("|") >= 3:
            name, text = (c.strip() for c in line.strip("|").split("|", 1))
            out.append((name.replace("`", ""), text.strip(" |").replace("`", "")))
    return out


def build(
    con: duckdb.DuckDBPyConnection,
    departement: str,
    month: str,
    *,
    limit: int | None = None,
    now: datetime | None = None,
) -> Rapport:
    """Everything the report prints, masked at the published threshold."""
    limit = masking.committee_threshold() if limit is None else limit
    months = _months(con, departement, month)
    if month not in months:
        months = [*months, month]
    current = indicators.summary(con, departement, month)
    previous_month = months[-2] if len(months) > 1 else None
    previous = indicators.summary(con, departement, previous_month) if previous_month else None
    scanned = headlines.looked_back(months, month)
    cohorte_series = {
        name: [(m, getattr(indicators, name)(con, departement, m)) for m in scanned]
        for name in headlines.COHORTE_FAMILIES
    }
    withheld = headlines.withheld(
        lambda family, m: _decision(
            con, departement, m, getattr(indicators, family)(con, departement, m), limit, family
        ),
        (month, previous_month),
        headlines.DEPARTEMENT,
    )
    headline = headlines.headline(
        current, previous, month, previous_month, cohorte_series, limit, withheld
    )
    sections = [
        _orientations(con, departement, month, months, limit),
        _categories(con, departement, month, months, limit),
        _modalites(con, departement, month, limit),
        _delai_orientation(con, departement, month, months, limit),
        _contrat(con, departement, month, months, limit),
        _intensite(con, departement, month, months, limit),
        _flux(con, departement, months, limit),
    ]
    population = current.get("population") or "sources"
    return Rapport(
        departement=departement,
        month=month,
        generated_at=now or datetime.now(),
        limit=limit,
        data_dates=_data_dates(con, departement),
        population=POPULATION_LABELS.get(population, population),
        tiles=headline.tiles,
        sentences=headline.sentences,
        sections=sections,
        definitions=definitions(),
        quality=_quality(con, departement, month),
        annexe_oarsa=oarsa_annexe.for_report(con, departement, month, limit),
    )


def _figure_json(figure: go.Figure) -> str:
    """The figure for the printed page: A4 width, no hover, white background."""
    fig = go.Figure(figure)
    fig.update_layout(
        width=720,
        height=340,
        template="plotly_white",
        font={"family": "DejaVu Sans", "size": 11},
        margin={"t": 50, "b": 40, "l": 50, "r": 20},
    )
    return fig.to_json()


@cache
def _plotly_js() -> str:
    return plotly.offline.get_plotlyjs()


def render_html(rapport: Rapport) -> str:
    """The report as one self-contained HTML document (styles and scripts inline)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"])
    )
    template = env.get_template("comite.html.j2")
    return template.render(
        r=rapport,
        fmt_month=fmt_month,
        css=(TEMPLATES / "comite.css").read_text(encoding="utf-8"),
        plotly_js=_plotly_js(),
        # Inside a <script>: "<" escaped so that no value can close the element.
        figures_json=("[" + ",".join(_figure_json(c.figure) for c in rapport.charts) + "]").replace(
            "<", "\\u003c"
        ),
    )


@dataclass(frozen=True)
class Generated:
    pdf: bytes
    rapport: Rapport
    printed: pdf.Printed


def file_name(departement: str, month: str) -> str:
    return f"rapport_comite_{departement}_{month}.pdf"


def generate(
    con: duckdb.DuckDBPyConnection, departement: str, month: str, *, limit: int | None = None
) -> Generated:
    """The committee report of a département and month, as PDF bytes."""
    if month not in indicators.months_available(con, departement):
        raise UsageError(
            f"Aucun fichier PECGM chargé pour {departement} en {fmt_month(month)} : "
            "pas de rapport pour ce mois."
        )
    rapport = build(con, departement, month, limit=limit)
    printed = pdf.html_to_pdf(render_html(rapport), len(rapport.charts))
    return Generated(printed.pdf, rapport, printed)
