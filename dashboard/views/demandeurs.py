"""Demandeurs d'emploi: categories over the period, the month's profile (sex, age band,
commune of residence with its territoire) and the flows (registrations, cessations by
motif group, radiations), each masked as its own distribution."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from dashboard import db, widgets
from dashboard.figures import LineChart
from dashboard.formatting import fmt_month
from dashboard.views import partition
from dashboard.views.elements import Distribution, MonthlyChart, Scope
from pipelines import glossary, masking

FLOWS = ("inscriptions", "cessations", "radiations")
MOTIF_GROUPS = {
    "reprise_emploi": "Reprise d'emploi",
    "formation": "Formation",
    "absence_controle": "Absence au contrôle",
    "sante": "Maladie, maternité",
    "autres": "Autres motifs",
}
SOURCES = {"lrsa": "listes LRSA DE", "pecgm": "fichiers PECGM"}  # flux_source -> its name


@dataclass(frozen=True)
class Flows:
    """The flows of the period as every surface shows them (page, PDF, export)."""

    chart: LineChart
    caption: str
    table: pd.DataFrame  # one row per month, the three flows as printed
    download: pd.DataFrame  # mois, flux, affiche
    motifs: Distribution


@dataclass(frozen=True)
class Demandeurs:
    categories: MonthlyChart
    profile: tuple[Distribution, Distribution]  # sexe, tranche d'âge
    communes: pd.DataFrame  # commune, its territoire, registered persons (masked)
    flows: Flows


def communes_table(
    counts: dict[str, int],
    territoires: dict[str, tuple[str, ...]],
    linked: frozenset[str] | None = None,
):
    """Registered persons per commune of residence, masked, largest first, each commune
    with the territoire it belongs to. A commune is a part of its territoire's inscrits
    and of the département's: `linked` is the scope's row of the decision over the
    partition (`masking_grids.STOCK_GRIDS`), so no page gives another's hidden commune away."""
    territoire = {c: t for t, cs in territoires.items() for c in cs}
    frame = widgets.masked_frame(counts, {}, linked).sort_values("effectif", ascending=False)
    return frame.assign(territoire=frame["code"].map(territoire).fillna(""))[
        ["code", "territoire", "affiche"]
    ].rename(columns={"code": "commune (code INSEE)", "affiche": "inscrits"})


def flow_table(
    series: list[tuple[str, dict]],
    limit: int | None = None,
    linked: dict[str, frozenset[str]] | None = None,
) -> tuple[pd.DataFrame, set[str]]:
    """The three flows of each month and the sources read. Flows are not parts of a
    published total of their own scope: each is masked on its own (`masking.mask_cells`,
    docs/securite.md); a territoire's flows are parts of the département's, so `linked`
    (per month, the flows the partition's decision hides in the scope's row) hides more."""
    limit = masking.threshold() if limit is None else limit
    records, sources = [], set()
    for m, f in series:
        sources.add(f["flux_source"])
        masked = masking.mask_cells({k: f[k] for k in FLOWS if f[k] is not None}, limit)
        masked.update(dict.fromkeys(set(masked) & ((linked or {}).get(m) or set())))
        for code, value in masked.items():
            records.append(
                {
                    "mois": m,
                    "flux": code,
                    "effectif": value,
                    "affiche": masking.masked_label(value, limit),
                }
            )
    return pd.DataFrame(records, columns=["mois", "flux", "effectif", "affiche"]), sources


def flows(
    series: list[tuple[str, dict]],
    current: dict,
    month: str,
    limit: int,
    linked: dict[str, frozenset[str]] | None = None,
    motifs: frozenset[str] | None = None,
) -> Flows:
    """The flows block of the period (`series`: the flux family per month) and the
    cessations of `month` by motif group: one builder for the page, the PDF and exports.
    `linked`, `motifs`: the scope's row of the partition's decisions (`flow_months`)."""
    frame, sources = flow_table(series, limit, linked)
    table = (
        frame.pivot(index="mois", columns="flux", values="affiche")
        .reindex(columns=list(FLOWS))
        .fillna(masking.NOT_AVAILABLE)
        .reset_index()
    )
    return Flows(
        chart=LineChart(
            frame.assign(flux=frame["flux"].str.capitalize()),
            "mois",
            "effectif",
            "flux",
            "Inscriptions, cessations et radiations par mois",
            "Personnes",
        ),
        caption=glossary.caption(*FLOWS)
        + " Sources lues sur la période : "
        + (", ".join(SOURCES[s] for s in sorted(sources) if s in SOURCES) or "aucune")
        + "."
        + masking.masking_note(limit),
        table=table,
        download=frame.drop(columns=["effectif"]),
        motifs=Distribution(
            current["cessations_motif"],
            "cessations_motif",
            MOTIF_GROUPS,
            f"Cessations par groupe de motifs — {fmt_month(month)}",
            glossary.caption("cessations_motif"),
            "cessations_motif",
            motifs,
        ),
    )


def hidden_flows(row: dict[str, frozenset[str]]) -> frozenset[str]:
    """The flows a row of the partition's decision over `flux` hides (each flow is a
    one-code distribution of its own name: `masking_grids.FLOW_GRIDS`)."""
    return frozenset(k for k in FLOWS if k in (row.get(k) or ()))


def flow_months(
    departement: str, months: list[str], communes: tuple[str, ...] | None, limit: int
) -> dict[str, frozenset[str]] | None:
    """Per month, the flows the partition's decision hides in the scope's row; None
    without a partition."""
    per_flow = {
        k: partition.linked_months(departement, months, communes, k, limit, "flux") for k in FLOWS
    }
    if any(v is None for v in per_flow.values()):
        return None
    return {m: hidden_flows({k: per_flow[k][m] for k in FLOWS}) for m in months}


def categories_chart(
    rows: list[tuple[str, dict[str, int]]],
    departement: str,
    linked: dict[str, frozenset[str]] | None = None,
) -> MonthlyChart:
    """Registered persons per category code (every code: 1 to 8, F, G, none) and month;
    `linked`: the partition's decision per month (`partition.linked_months`)."""
    return MonthlyChart(
        rows,
        {**widgets.short_labels("categorie"), "non_renseignee": "Non renseignée (dispense)"},
        "categorie",
        "Bénéficiaires du RSA inscrits, par catégorie",
        glossary.caption("categorie"),
        "categories",
        f"categories_{departement}",
        None,
        linked,
    )


def demandeurs_view(scope: Scope) -> Demandeurs:
    departement, month, communes, months, _ = scope
    stock = db.family("stock", departement, month, communes)
    flux = db.series("flux", departement, months, communes)
    limit = masking.threshold()
    profile = {  # the month's row of the partition's decision, per distribution
        n: partition.linked_month(departement, month, communes, n, limit)
        for n in ("sexe", "tranche_age", "commune")
    }
    return Demandeurs(
        categories=categories_chart(
            [(m, s["categorie"]) for m, s in db.series("stock", departement, months, communes)],
            departement,
            partition.linked_months(departement, months, communes, "categorie", limit),
        ),
        profile=(
            Distribution(
                stock["sexe"],
                "sexe",
                widgets.SEXE_LABELS,
                "Par sexe",
                "sexe : premier chiffre du NIR (le NIR lui-même n'est pas conservé).",
                "stock_sexe",
                profile["sexe"],
            ),
            Distribution(
                stock["tranche_age"],
                "tranche_age",
                widgets.AGE_LABELS,
                "Par tranche d'âge",
                "tranche_age : âge atteint dans l'année de la date de référence du fichier "
                "(seule l'année de naissance est conservée).",
                "stock_age",
                profile["tranche_age"],
            ),
        ),
        communes=communes_table(
            stock["commune"], db.communes_par_territoire(departement), profile["commune"]
        ),
        flows=flows(
            flux,
            db.family("flux", departement, month, communes),
            month,
            limit,
            flow_months(departement, [m for m, _ in flux], communes, limit),
            partition.linked_month(departement, month, communes, "cessations_motif", limit, "flux"),
        ),
    )


def charts(view: Demandeurs) -> list[tuple[Callable[..., go.Figure], tuple]]:
    """The figures pages/demandeurs.py draws from `view`, as its widgets build them (the
    server's filling builds them ahead: dashboard/warm.py)."""
    return widgets.figure_calls(view.categories, *view.profile, view.flows.chart, view.flows.motifs)
