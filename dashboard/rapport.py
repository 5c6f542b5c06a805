"""The monthly committee report of a département: one A4 PDF from the indicator layer.

What it holds is what the committee's pages show, masked the same way: the figures come
from `pipelines.indicators` (one definition each), the charts are the pages' own Plotly
figures (`dashboard/figures.py`), the tiles and sentences those of Synthèse
(`dashboard/synthese.py`). It is laid out in HTML/CSS (`dashboard/templates/`) and printed
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

from dashboard import figures, headlines, oarsa_annexe, pdf, synthese
from dashboard.formatting import fmt_int, fmt_month, fmt_share
from dashboard.masque import count_label, masked_count, shown_share
from pipelines import indicators, masking
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


def _share(value: float | None, denominator: int | None, limit: int) -> str:
    return fmt_share(shown_share(value, denominator, limit))


def _days(value) -> str:
    return "n.d." if value is None else f"{value} j"


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
) -> tuple[list[Chart], list[Table]]:
    if not counts:
        return [], []
    frame = figures.masked_frame(counts, labels, limit)
    chart = Chart(figures.distribution(frame, family, title), caption)
    table = Table(
        ["Code", "Libellé", "Effectif"],
        [[str(r.code), str(r.libelle), str(r.affiche)] for r in frame.itertuples()],
    )
    return [chart], [table]


def _stacked(rows, labels, family, title, caption, limit) -> list[Chart]:
    frame = figures.monthly_counts(rows, labels, limit)
    if frame.empty or frame["effectif"].isna().all():
        return []
    return [Chart(figures.stacked(frame, family, title, as_share=False), caption)]


def _orientations(con, departement, month, months, limit) -> Section:
    current = indicators.orientations(con, departement, month)
    if current is None:
        return Section(
            "Orientations",
            empty="Aucune décision d'orientation chargée (CGPEM, reprise de stock, parcours).",
        )
    rows = [
        (m, (indicators.orientations(con, departement, m) or {}).get("orientations", {}))
        for m in months
    ]
    charts = _stacked(
        rows,
        figures.PARCOURS_LABELS,
        "parcours",
        "Décisions d'orientation par type de parcours",
        "orientations : décisions datées du mois, par type de parcours ; pour le CGPEM, le type "
        "vient de la nature de l'accompagnement.",
        limit,
    )
    masked = masking.mask_distribution(current["orientations"], limit)
    table = Table(
        ["Type de parcours", f"Décisions — {fmt_month(month)}"],
        [
            [figures.PARCOURS_LABELS.get(k, k), masking.masked_label(v, limit)]
            for k, v in masked.items()
        ],
        f"Personnes orientées dans le mois : {count_label(current['personnes_orientees'], limit)}.",
    )
    organismes = current["organisme_referent"]
    more_charts, more_tables = _distribution_section_part(
        organismes,
        "organisme",
        {k: k.title() if k != "non_renseigne" else "Non renseigné" for k in organismes},
        f"Décisions par organisme référent — {fmt_month(month)}",
        "organisme_referent : organisme désigné par la décision (CGPEM).",
        limit,
    )
    return Section("Orientations", [*charts, table, *more_charts, *more_tables])


def _categories(con, departement, month, months, limit) -> Section:
    stock = indicators.stock(con, departement, month)
    if not stock["stock_total"]:
        return Section(
            "Catégories de demandeurs d'emploi", empty="Aucun fichier PECGM pour ce mois."
        )
    labels = _labels("categorie")
    first, tables = _distribution_section_part(
        stock["categorie"],
        "categorie",
        labels,
        f"Inscrits par catégorie — {fmt_month(month)}",
        "categorie : code catégorie d'inscription du fichier PECGM ; vide = dispense de recherche.",
        limit,
    )
    rows = [(m, indicators.stock(con, departement, m)["categorie"]) for m in months]
    charts = _stacked(
        rows,
        labels,
        "categorie",
        "Inscrits par catégorie, mois par mois",
        "categorie par mois (fichiers PECGM).",
        limit,
    )
    return Section("Catégories de demandeurs d'emploi", [*first, *tables, *charts])


def _modalites(con, departement, month, limit) -> Section:
    stock = indicators.stock(con, departement, month)
    if not stock["stock_total"]:
        return Section(
            "Modalités et axes d'accompagnement", empty="Aucun fichier PECGM pour ce mois."
        )
    charts, tables = _distribution_section_part(
        stock["modalite"],
        "modalite",
        _labels("modalite"),
        f"Inscrits par modalité d'accompagnement — {fmt_month(month)}",
        "modalite : modalité d'accompagnement en cours (SUI, GUI, REN, GLO, APR).",
        limit,
    )
    more_charts, more_tables = _distribution_section_part(
        stock["axe"],
        "axe",
        _labels("axe"),
        f"Axe de travail principal — {fmt_month(month)}",
        "axe : axe de travail principal du PPAE (01 à 07).",
        limit,
    )
    return Section(
        "Modalités et axes d'accompagnement", [*charts, *tables, *more_charts, *more_tables]
    )


def _marked(text: str, provisional: bool | None) -> str:
    """A cohorte's value, marked when its window is still open at the data date."""
    return f"{text} (provisoire)" if provisional and text != "n.d." else text


def _cohorte_row(
    month: str, r: dict, population: str, delay: str, shares: tuple[str, ...], limit: int
) -> list[str]:
    """A cohorte's printed row: its population (masked), its median delay and its shares,
    each hidden under the threshold and marked while its own window is open."""
    allowed = masking.share_allowed(r[population], limit)
    median = _days(r[f"{delay}_jours"]["mediane"]) if allowed else "n.d."
    return [
        fmt_month(month),
        count_label(r[population], limit),
        _marked(median, r[f"{delay}_provisoire"]),
        *(
            _marked(_share(r[f"{s}_share"], r[population], limit), r[f"{s}_provisoire"])
            for s in shares
        ),
    ]


def _delai_orientation(con, departement, months, limit) -> Section:
    records = []
    for m in months:
        r = indicators.delai_orientation(con, departement, m)
        if r is None or not r["entrants"]:
            continue
        records.append((m, r))
    if not records:
        return Section(
            "Délai d'orientation",
            empty="Aucune date d'entrée au RSA dans les données chargées.",
        )
    points = []
    for m, r in records:
        allowed = masking.share_allowed(r["entrants"], limit)
        for key, label in figures.ORIENTED_SHARES.items():
            points.append(
                {
                    "cohorte": m,
                    "seuil": label,
                    "part": r[f"{key}_share"] if allowed else None,
                    "provisoire": bool(r[f"{key}_provisoire"]),
                }
            )
    frame = pd.DataFrame(points)
    charts = []
    if figures.has_values(frame, "part"):
        charts.append(
            Chart(
                figures.lines(*figures.oriented_in_time(frame)),
                "orientes_30j_share, orientes_6sem_share : personnes orientées dans les 30 / 42 jours "
                "suivant l'entrée, sur toutes les personnes entrées dans le mois (six semaines : "
                "délai légal). Parts non publiées sous le seuil de masquage.",
            )
        )
    table = Table(
        [
            "Cohorte d'entrée",
            "Entrants",
            "Délai médian",
            "Orientés en 30 j",
            "Orientés en 6 sem.",
        ],
        [
            _cohorte_row(
                m, r, "entrants", "delai_orientation", ("orientes_30j", "orientes_6sem"), limit
            )
            for m, r in records
        ],
        "provisoire : la fenêtre de ce seuil n'est pas encore close à la date des données "
        "(la part peut encore monter) ; en tirets sur le graphique.",
    )
    return Section("Délai d'orientation", [*charts, table])


def _contrat(con, departement, months, limit) -> Section:
    rows = [(m, indicators.contrat(con, departement, m)) for m in months]
    rows = [(m, r) for m, r in rows if r is not None and r["orientes"]]
    if not rows:
        return Section("Délai jusqu'au contrat", empty="Aucune orientation chargée.")
    curve = figures.curve_cohortes(
        pd.DataFrame(indicators.contrat_courbe(con, departement)), months[-CURVE_COHORTES:], limit
    )
    charts = []
    if not curve.empty:
        charts.append(
            Chart(
                figures.contract_curve(curve),
                "contrat_courbe : estimation de Kaplan–Meier, une courbe par mois d'orientation ; une "
                "personne sans contrat est suivie jusqu'à la date des données puis censurée.",
            )
        )
    table = Table(
        ["Cohorte d'orientation", "Orientés", "Délai médian", "Contrat en 30 j", "Contrat en 60 j"],
        [
            _cohorte_row(m, r, "orientes", "delai_contrat", ("contrat_30j", "contrat_60j"), limit)
            for m, r in rows
        ],
        "delai_contrat_jours, contrat_30j_share, contrat_60j_share : de l'orientation au contrat "
        "d'engagement (signature, ou notification du PPAE valant contrat).",
    )
    return Section("Délai jusqu'au contrat", [*charts, table])


def _intensite(con, departement, months, limit) -> Section:
    records = []
    for m in months:
        r = indicators.intensite(con, departement, m)
        h = r["heures_hebdo"] if r else None
        if not h:
            continue
        allowed = masking.share_allowed(h["personnes"], limit)
        records.append(
            {
                "mois": m,
                "personnes": h["personnes"],
                "heures_moyennes": h["moyenne"] if allowed else None,
                "part_15h": h["heures_15_share"] if allowed else None,
            }
        )
    if not records:
        return Section("Intensité de l'accompagnement", empty="Aucun fichier parcours chargé.")
    frame = pd.DataFrame(records)
    charts = [
        Chart(
            figures.lines(
                frame,
                "mois",
                "heures_moyennes",
                None,
                "Heures de prestations par semaine (moyenne)",
                "Heures",
            ),
            "heures_hebdo : heures des prestations du mois divisées par ses semaines, par "
            "personne en parcours actif.",
        ),
        Chart(
            figures.lines(
                frame,
                "mois",
                "part_15h",
                None,
                "Part des personnes à 15 heures ou plus par semaine",
                "Part",
                share=True,
            ),
            "heures_15_share : objectif d'activité de la loi pour le plein emploi.",
        ),
    ]
    charts = [
        c
        for c, y in zip(charts, ("heures_moyennes", "part_15h"), strict=True)
        if figures.has_values(frame, y)
    ]
    table = Table(
        ["Mois", "Personnes en parcours", "Heures par semaine (moyenne)", "15 h ou plus"],
        [
            [
                fmt_month(r["mois"]),
                count_label(r["personnes"], limit),
                "n.d."
                if r["heures_moyennes"] is None
                else f"{r['heures_moyennes']:.1f}".replace(".", ","),
                _share(r["part_15h"], r["personnes"], limit),
            ]
            for r in records
        ],
    )
    return Section("Intensité de l'accompagnement", [*charts, table])


def _flux(con, departement, months, limit) -> Section:
    records = []
    for m in months:
        f = indicators.flux(con, departement, m)
        for key, label in (
            ("inscriptions", "Inscriptions"),
            ("cessations", "Cessations"),
            ("radiations", "Radiations"),
        ):
            value = f.get(key)
            if value is None:
                continue
            shown = masked_count(value, limit)
            records.append({"mois": m, "flux": label, "effectif": shown, "brut": value})
    if not records:
        return Section(
            "Flux d'inscriptions, de cessations et de radiations",
            empty="Aucune liste LRSA DE ni fichier PECGM pour la période.",
        )
    frame = pd.DataFrame(records)
    charts = []
    if figures.has_values(frame, "effectif"):
        charts.append(
            Chart(
                figures.lines(frame, "mois", "effectif", "flux", "Flux mensuels", "Personnes"),
                "inscriptions, cessations, radiations : listes LRSA DE publiées pour le mois, sinon "
                "dates de cessation et de radiation du fichier PECGM.",
            )
        )
    last = indicators.flux(con, departement, months[-1])
    more_charts, more_tables = _distribution_section_part(
        last.get("cessations_motif"),
        "cessations_motif",
        {
            "reprise_emploi": "Reprise d'emploi",
            "formation": "Formation",
            "absence_controle": "Absence au contrôle",
            "sante": "Santé",
            "autres": "Autres",
        },
        f"Cessations par motif — {fmt_month(months[-1])}",
        "cessations_motif : groupes de motifs de cessation d'inscription.",
        limit,
    )
    table = Table(
        ["Mois", "Inscriptions", "Cessations", "Radiations"],
        [
            [fmt_month(m)]
            + [
                next(
                    (
                        masking.masked_label(r["effectif"], limit)
                        for r in records
                        if r["mois"] == m and r["flux"] == label
                    ),
                    "n.d.",
                )
                for label in ("Inscriptions", "Cessations", "Radiations")
            ]
            for m in months
        ],
    )
    return Section(
        "Flux d'inscriptions, de cessations et de radiations",
        [*charts, table, *more_charts, *more_tables],
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
    scanned = synthese.looked_back(months, month)
    cohorte_series = {
        name: [(m, getattr(indicators, name)(con, departement, m)) for m in scanned]
        for name in headlines.COHORTE_FAMILIES
    }
    headline = synthese.headline(current, previous, month, previous_month, cohorte_series, limit)
    sections = [
        _orientations(con, departement, month, months, limit),
        _categories(con, departement, month, months, limit),
        _modalites(con, departement, month, limit),
        _delai_orientation(con, departement, months, limit),
        _contrat(con, departement, months, limit),
        _intensite(con, departement, months, limit),
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
    template = env.get_template("rapport.html.j2")
    return template.render(
        r=rapport,
        fmt_month=fmt_month,
        css=(TEMPLATES / "rapport.css").read_text(encoding="utf-8"),
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
