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

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
import plotly.io
import plotly.offline
from jinja2 import Environment, FileSystemLoader, select_autoescape

from dashboard import figures, headlines, oarsa_annexe, palette, pdf
from dashboard.formatting import (
    GENERIC_CODES,
    code_label,
    fmt_date,
    fmt_decimal,
    fmt_int,
    fmt_month,
    of_month,
)
from dashboard.views import accompagnement, delais, demandeurs, orientations
from dashboard.views import synthese as synthese_view
from dashboard.views.elements import Distribution, MonthlyChart
from pipelines import glossary, indicators, masking, masking_grids
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

    @property
    def groups(self) -> list[list[Chart | Table]]:
        """The blocks as printed together: each chart with the tables under it (the
        template keeps a group on one page, so a chart never runs into a table)."""
        out: list[list[Chart | Table]] = []
        for block in self.blocks:
            if isinstance(block, Chart) or not out:
                out.append([])
            out[-1].append(block)
        return out


@dataclass(frozen=True)
class Rapport:
    departement: str
    month: str
    generated_at: datetime
    limit: int
    data_dates: list[tuple[str, str]]
    population: str
    groups: list[headlines.Group]  # the Synthèse's tiles by the period they cover, with context
    sentences: list[str]
    sections: list[Section]
    definitions: list[tuple[str, str]]
    quality: Table
    annexe_oarsa: str = ""  # the DREES return, masked (dashboard/oarsa_annexe.py)
    warnings: list[str] = field(default_factory=list)  # a yardstick file refused (French)

    @property
    def tiles(self) -> list[headlines.Tile]:
        return [t for g in self.groups for t in g.tiles]

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


IDENTIFIER = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)+")  # « reprise_emploi »: a key, not a code


def _code(code: object) -> str:
    """A distribution's code column: « — » for the codes that stand for no value (the
    label column says « Non renseignée »)."""
    return "—" if str(code) in GENERIC_CODES else str(code)


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
    rows = [[_code(r.code), str(r.libelle), str(r.affiche)] for r in frame.itertuples()]
    if any(IDENTIFIER.fullmatch(r[0]) for r in rows):  # internal codes: the label alone
        table = Table(["Libellé", "Effectif"], [r[1:] for r in rows])
    else:
        table = Table(["Code", "Libellé", "Effectif"], rows)
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


def _orientations(reads: Reads, month, months) -> Section:
    departement, limit = reads.departement, reads.limit
    current = reads.family("orientations", month)
    if current is None:
        return Section(
            "Orientations",
            empty="Aucune décision d'orientation chargée (CGPEM, reprise de stock, parcours).",
        )
    series = [(m, reads.family("orientations", m)) for m in months]
    linked = _linked(reads, month, "orientations")
    block = orientations.decisions_block(
        current,
        series,
        departement,
        month,
        None,
        limit,
        orientations.Linked(
            linked,
            masking_grids.total_hidden(
                reads.decision("orientations", month) or set(),
                masking_grids.DEPARTEMENT,
            ),
            {m: _linked(reads, m, "orientations")["orientations"] for m, _ in series},
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


class Reads:
    """What one build reads of the warehouse, each read once: a family's result per month
    and scope (the département, a territoire), and the month's decision over a family
    crossed with the territoires (`masking_grids.crossed_hidden`), as the pages take it.
    The tiles' context, the sections and their decisions ask the same months again and
    again; each asked the warehouse anew (issue #28: most of the report's time). The
    grids of every month of `indicators.grid_months` are two queries (`indicators.grille`), as the pages read
    them."""

    def __init__(self, con: duckdb.DuckDBPyConnection, departement: str, limit: int) -> None:
        self.con, self.departement, self.limit = con, departement, limit
        self.partition = indicators.communes_par_territoire(con, departement)
        self._results: dict[tuple, object] = {}
        self._direct: dict[tuple[str, ...] | None, indicators.Family] = {}
        self._decisions: dict[tuple[str, str], set | None] = {}
        self._grille: dict[str, dict[str, tuple[dict, dict[str, dict]]]] | None = None

    def family(self, name: str, month: str | None, communes: tuple[str, ...] | None = None):
        """`indicators.<name>` of the month (None: a family without months) and scope, as
        `indicators.direct` reads it, and as `indicators.summary` asks its families; a copy,
        so that no reader changes another's."""
        key = (name, month, communes)
        if key not in self._results:
            if communes not in self._direct:  # one reader per scope: it keeps its spans
                self._direct[communes] = indicators.direct(self.con, self.departement, communes)
            self._results[key] = self._direct[communes](name, month)
        return copy.deepcopy(self._results[key])

    def _grid_rows(self, family: str, month: str) -> tuple[dict, dict[str, dict]]:
        """The month's counts of `family` as the masking grid reads them (the pages'
        `db.family_grille`): every family over `indicators.grid_months` read at once
        (`indicators.grille`, two queries); a month outside them territoire by territoire
        (`masking_grids.month_rows`)."""
        if self._grille is None:
            months = indicators.grid_months(self.con, self.departement)
            self._grille = indicators.grille(self.con, self.departement, months, self.partition)
        return masking_grids.month_rows(
            self._grille[family], month, self.partition, lambda cs: self.family(family, month, cs)
        )

    def decision(self, family: str, month: str) -> frozenset | None:
        """The month's decision over `family`; None when nothing is masked or the
        département has no partition. Frozen: every section and tile shares it, none can
        change it."""
        if self.limit <= 1 or not self.partition:
            return None
        if (family, month) not in self._decisions:
            self._decisions[family, month] = frozenset(
                masking_grids.crossed_hidden(family, *self._grid_rows(family, month), self.limit)
            )
        return self._decisions[family, month]


def _linked(reads: Reads, month: str, family="stock") -> dict:
    """Per distribution of `family` (`masking_grids.GRIDS`), the codes of the département's
    row that the decision over its territoires hides, as on the pages; None each when
    nothing is masked or the département has no partition."""
    hidden = reads.decision(family, month)
    if hidden is None:
        return dict.fromkeys(masking_grids.GRIDS[family])
    return {
        n: masking_grids.row_hidden(hidden, n, masking_grids.DEPARTEMENT)
        for n in masking_grids.GRIDS[family]
    }


def _categories(reads: Reads, month, months) -> Section:
    departement, limit = reads.departement, reads.limit
    stock = reads.family("stock", month)
    if not stock["stock_total"]:
        return Section(
            "Catégories de demandeurs d'emploi", empty="Aucun fichier PECGM pour ce mois."
        )
    linked = _linked(reads, month)["categorie"]
    distribution = synthese_view.distribution(stock, "categorie", departement, month, linked)
    stocks = {m: reads.family("stock", m) for m in months}
    rows = [(m, s["categorie"]) for m, s in stocks.items()]
    linked = {m: _linked(reads, m)["categorie"] for m in stocks}
    monthly = demandeurs.categories_chart(rows, departement, linked)
    return Section(
        "Catégories de demandeurs d'emploi",
        [*_distribution(distribution, limit), *_monthly(monthly, limit)],
    )


def _modalites(reads: Reads, month) -> Section:
    departement, limit = reads.departement, reads.limit
    stock = reads.family("stock", month)
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
                    _linked(reads, month)["modalite"],
                ),
                limit,
            ),
            *_distribution(
                accompagnement.axes_distribution(
                    stock["axe"],
                    month,
                    _linked(reads, month)["axe"],
                ),
                limit,
            ),
        ],
    )


def _delai_orientation(reads: Reads, month, months) -> Section:
    con, departement, limit = reads.con, reads.departement, reads.limit
    series = [(m, reads.family("delai_orientation", m)) for m in months]
    series = [(m, r) for m, r in series if r is not None and r["entrants"]]
    if not series:
        return Section(
            "Délai d'orientation",
            empty="Aucune date d'entrée au RSA dans les données chargées.",
        )
    family, row = orientations.COHORTE_FAMILY, masking_grids.DEPARTEMENT  # the pages' decisions
    decided = {m: reads.decision(family, m) for m, _ in series}
    now = decided.get(month)
    block = orientations.cohortes_block(
        series,
        dict(series).get(month),
        indicators.population(con, departement),
        reads.family("liaison_flux", None),
        month,
        limit,
        frozenset(m for m, d in decided.items() if d and masking_grids.total_hidden(d, row)),
        None
        if now is None
        else {k: masking_grids.row_hidden(now, k, row) for k in masking_grids.PROFILE_GROUPS},
        frozenset(
            m
            for m, d in decided.items()
            if orientations.ANOMALIES
            in masking_grids.row_hidden(d or set(), orientations.ANOMALIES, row)
        ),
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


def _contrat(reads: Reads, month, months) -> Section:
    con, departement, limit = reads.con, reads.departement, reads.limit
    series = [(m, reads.family("contrat", m)) for m in months]
    series = [(m, r) for m, r in series if r is not None and r["orientes"]]
    if not series:
        return Section("Délai jusqu'au contrat", empty="Aucune orientation chargée.")
    drawn = dict(series[-delais.CURVE_COHORTES :])  # the département's row, as on the page
    decided = {m: reads.decision(delais.FAMILY, m) for m, _ in series}
    block = delais.delais_block(
        reads.family("contrat", month),
        series,
        indicators.contrat_courbe(con, departement),
        None,
        month,
        months,
        None,
        limit,
        frozenset(
            m
            for m, d in decided.items()
            if m in drawn and d and masking_grids.total_hidden(d, masking_grids.DEPARTEMENT)
        ),
        None,
        delais.contract_hidden(decided.get, [m for m, _ in series], masking_grids.DEPARTEMENT),
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


def _intensite(reads: Reads, month, months) -> Section:
    limit = reads.limit
    series = [(m, reads.family("intensite", m)) for m in months]
    family = accompagnement.INTENSITY  # the département's row of the pages' decisions
    block = accompagnement.intensite_block(
        series,
        reads.family("intensite", month),
        month,
        None,
        limit,
        accompagnement.intensity_linked(
            lambda m: reads.decision(family, m),
            months,
            masking_grids.DEPARTEMENT,
        ),
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


def _flux(reads: Reads, months) -> Section:
    limit = reads.limit
    series = [(m, reads.family("flux", m)) for m in months]
    if all(f["flux_source"] is None for _, f in series):
        return Section(
            FLUX_TITLE,
            empty="Aucune liste LRSA DE ni fichier PECGM pour la période.",
        )
    linked = {m: _linked(reads, m, "flux") for m, _ in series}
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


def source_label(code: str) -> str:
    """A source in words (« Fichier PECGM (France Travail) »), never its code."""
    return SOURCE_LABELS.get(code) or code_label(code)


def _data_date(month: str | None, ended: object) -> str:
    """« données d'octobre 2026, chargées le 5 novembre 2026 »; a source without months
    (parcours, reprise de stock) says when it was last loaded."""
    loaded = f"{ended:%Y-%m-%d}" if isinstance(ended, datetime | date) else None
    if month:
        data = f"données {of_month(month)}"
        return f"{data}, chargées le {fmt_date(loaded)}" if loaded else data
    return f"fichier sans mois, chargé le {fmt_date(loaded)}" if loaded else "fichier sans mois"


def _data_dates(con, departement: str) -> list[tuple[str, str]]:
    """Per source, in words, the latest month loaded for the département and when it was
    loaded: the cover's « date des données »."""
    rows = con.execute(
        "SELECT source, max(month), max(ended_at) FROM load_journal "
        "WHERE departement = ? AND status = 'loaded' GROUP BY source ORDER BY source",
        [departement],
    ).fetchall()
    return [(source_label(source), _data_date(month, ended)) for source, month, ended in rows]


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
                source_label(s),
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


# The indicator files whose figures the report prints, in its chapters' order: their
# definitions (pipelines/glossary.py, from the YAML) end the report, named in words.
REPORT_FAMILIES = (
    "stock",
    "orientations",
    "delai_orientation",
    "contrat",
    "contrat_courbe",
    "intensite",
    "flux",
    "liaison_flux",
)


@cache
def definitions() -> list[tuple[str, str]]:
    """Each printed indicator family's name and definition, in words (its YAML)."""
    families = glossary.families()
    return [
        (families[f]["libelle"], plain(families[f]["definition"]))
        for f in REPORT_FAMILIES
        if f in families
    ]


@cache
def _key_prefix() -> re.Pattern:
    """« orientes_30j_share, orientes_6sem_share : » at the start of a caption's sentence:
    how `glossary.caption` names the keys it defines, for the pages' tooltips."""
    keys = "|".join(re.escape(k) for k in sorted(glossary.entries(), key=len, reverse=True))
    return re.compile(rf"(?:(?<=^)|(?<=[.;] ))(?:{keys})(?:, (?:{keys}))* : ")


def _code_words(code: str) -> str:
    """A code quoted in a definition (`non_renseignee`, `social`) as words."""
    label = figures.PARCOURS_LABELS.get(code) or demandeurs.MOTIF_GROUPS.get(code)
    return (label or code_label(code)).lower()


def plain(text: str) -> str:
    """A caption or definition as the committee reads it. The definitions are written for
    the pages' tooltips and the analysts (pipelines/glossary.py); on paper: no indicator key
    before its definition, no aside naming a file or a key (« (table `x.csv`) »), no
    sentence on the maturity flags (`..._provisoire`: the charts say « provisoire » in
    words), a key naming the definition after it left out, codes in words, no « None »."""
    text = _key_prefix().sub("", str(text))
    text = re.sub(r"\s*\([^()]*`[^`()]*(?:\.\w+|_\w+)`[^()]*\)", "", text)
    text = " ".join(
        sentence
        for sentence in re.split(r"(?<=\.)\s+", text)
        if not re.search(r"`\w+_provisoire`", sentence)
    )
    text = re.sub(r"`\w+_\w+`, (?=[a-zé])", "", text)
    text = re.sub(r"`([^`]+)`", lambda m: _code_words(m.group(1)), text)
    text = re.sub(r"\b(?:None|nan)\b", "n.d.", text)
    return re.sub(r"(?:(?<=^)|(?<=\. ))([a-zé])", lambda m: m.group(1).upper(), text)


def cell(text: object) -> str:
    """A printed table cell: a code standing for no value in words, never « None »."""
    value = "n.d." if text is None or str(text) in ("None", "nan") else str(text)
    return GENERIC_CODES.get(value, value)


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
    reads = Reads(con, departement, limit)  # the tiles and the sections ask the same months
    current = indicators.summary(con, departement, month, family=reads.family)
    previous_month = months[-2] if len(months) > 1 else None
    previous = (
        indicators.summary(con, departement, previous_month, family=reads.family)
        if previous_month
        else None
    )
    scanned = headlines.looked_back(months, month)
    cohorte_series = {
        name: [(m, reads.family(name, m)) for m in scanned] for name in headlines.COHORTE_FAMILIES
    }
    history = headlines.warehouse_history(con, departement, read=reads.family)
    year = headlines.shift_month(month, -12)
    withheld = headlines.withheld(
        reads.decision,
        (month, previous_month, year if year in history.months else None),
        masking_grids.DEPARTEMENT,
    )
    headline = headlines.headline(
        current,
        previous,
        month,
        previous_month,
        cohorte_series,
        limit,
        withheld,
        history=history,
    )
    sections = [
        _orientations(reads, month, months),
        _categories(reads, month, months),
        _modalites(reads, month),
        _delai_orientation(reads, month, months),
        _contrat(reads, month, months),
        _intensite(reads, month, months),
        _flux(reads, months),
    ]
    population = current.get("population") or "sources"
    return Rapport(
        departement=departement,
        month=month,
        generated_at=now or datetime.now(),
        limit=limit,
        data_dates=_data_dates(con, departement),
        population=indicators.POPULATION_CAPTIONS.get(population, population).removeprefix(
            "population : "
        ),
        groups=headline.groups,
        sentences=headline.sentences,
        sections=sections,
        definitions=definitions(),
        quality=_quality(con, departement, month),
        annexe_oarsa=oarsa_annexe.for_report(con, departement, month, limit),
        warnings=headline.warnings,
    )


FIGURE_WIDTH = 700  # px: the A4 text width (210 mm less 2 × 12 mm of margins, 703 px)
FIGURE_HEIGHT = 280  # px: the template's chart box is exactly this tall (comite.css)
LEGEND_BAND = 100  # px under the plot: tick labels on two lines, axis title, legend


def _has_legend(spec: dict) -> bool:
    """Whether plotly.js draws a legend: not hidden, and more than one named trace."""
    if spec["layout"].get("showlegend") is False:
        return False
    return sum(1 for t in spec["data"] if t.get("showlegend") is not False and t.get("name")) > 1


@cache
def _print_template() -> dict:
    """plotly_white as dicts, once: setting it by name on a figure copies and validates
    the whole template again at each figure (half of writing the report's HTML)."""
    return plotly.io.templates["plotly_white"].to_plotly_json()


def _axes(layout: dict, letter: str) -> list[dict]:
    """The figure's x or y axes (`xaxis`, `xaxis2`, ...), the first one always (created
    when the layout has none), as plotly.py's `update_xaxes` / `update_yaxes` find them."""
    names = {f"{letter}axis", *(k for k in layout if re.fullmatch(rf"{letter}axis\d+", k))}
    return [layout.setdefault(name, {}) for name in sorted(names)]


def _figure_json(figure: go.Figure) -> str:
    """The figure for the printed page: A4 width, no hover, white background, its title
    on one line (the pages wrap it for a phone; the A4 width holds it). Written on the
    figure's dicts (the figure was validated when its builder made it)."""
    spec = figure.to_plotly_json()
    layout = spec["layout"]
    title = (layout.get("title", {}).get("text") or "").replace("<br>", " ")
    figures._merge(
        layout,
        {
            "width": FIGURE_WIDTH,
            "height": FIGURE_HEIGHT,
            "title": {"text": title},
            "font": {"family": "DejaVu Sans", "size": 11},
            "margin": {
                "t": 40 if title else 15,
                "b": LEGEND_BAND if _has_legend(spec) else 50,
                "l": 50,
                "r": 20,
            },
            # The legend at the foot of the figure, under the axis and its title: placed
            # relative to the plot, it met the tick labels when the plot is short.
            "legend": {"yref": "container", "y": 0, "yanchor": "bottom"},
        },
    )
    layout["template"] = _print_template()
    for axis in _axes(layout, "y"):
        axis["ticklabelstandoff"] = 4  # « 0 % » clear of the x axis's « 0 »
    # « nov. 2025 » on two lines, upright: rotated, they ran into the legend. Month
    # labels only: numbers (kept by plotly as typed arrays, dicts here) have no space.
    months = layout.get("xaxis", {}).get("ticktext")
    if isinstance(months, list | tuple) and months:
        wrapped = [t.replace(" ", "<br>", 1) if isinstance(t, str) else t for t in months]
        for axis in _axes(layout, "x"):
            axis.update(ticktext=wrapped, tickangle=0)
    return plotly.io.to_json(spec, validate=False)


VENDOR = TEMPLATES / "vendor"


@cache
def basic_bundle() -> dict:
    """The manifest of plotly.js's « basic » bundle kept in the repository (the npm
    package plotly.js-basic-dist-min: bar, pie and scatter only): where it comes from,
    its version, its checksum, the trace types it draws."""
    return json.loads((VENDOR / "plotly-basic.json").read_text(encoding="utf-8"))


def plotly_js(trace_types: set[str]) -> str:
    """The plotly.js the report inlines. Chromium spends some 3.5 s evaluating plotly.py's
    full bundle (4.8 MB, every trace type) before it draws a chart, under 1 s for the
    basic one (1.2 MB), which draws every chart of the report: it is taken when it holds
    the figures' trace types and is of the version plotly.py writes its figures for
    (a plotly upgrade without the bundle's falls back to the full one; a test says so)."""
    manifest = basic_bundle()
    if trace_types <= set(manifest["traces"]) and (
        manifest["version"] == plotly.offline.get_plotlyjs_version()
    ):
        return _vendored(manifest["fichier"])
    return _full_plotly_js()


@cache
def _vendored(name: str) -> str:
    return (VENDOR / name).read_text(encoding="utf-8")


@cache
def _full_plotly_js() -> str:
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
        plain=plain,
        cell=cell,
        css_variables=palette.css_variables(
            {
                "largeur-graphique": f"{FIGURE_WIDTH}px",
                "hauteur-graphique": f"{FIGURE_HEIGHT}px",
            }
        ),
        css=(TEMPLATES / "comite.css").read_text(encoding="utf-8"),
        plotly_js=plotly_js({t.type for c in rapport.charts for t in c.figure.data}),
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
