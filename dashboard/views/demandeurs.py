"""Demandeurs d'emploi: categories over the period, the month's profile (sex, age band,
commune of residence with its territoire) and the flows (registrations, cessations by
motif group, radiations), each masked as its own distribution."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import db, widgets
from dashboard.figures import LineChart
from dashboard.formatting import fmt_month
from dashboard.views.elements import Distribution, MonthlyChart, Scope
from pipelines import masking

FLOWS = ("inscriptions", "cessations", "radiations")
MOTIF_GROUPS = {
    "reprise_emploi": "Reprise d'emploi",
    "formation": "Formation",
    "absence_controle": "Absence au contrôle",
    "sante": "Maladie, maternité",
    "autres": "Autres motifs",
}
LRSA_ONLY = (
    "listes LRSA DE publiées pour le mois (inscriptions et radiations de M-1, cessations de M-2)"
)
WITH_PECGM = (
    "listes LRSA DE quand elles sont chargées, sinon dates de cessation et de radiation des "
    "fichiers PECGM (sans inscriptions)"
)


@dataclass(frozen=True)
class Demandeurs:
    categories: MonthlyChart
    profile: tuple[Distribution, Distribution]  # sexe, tranche d'âge
    communes: pd.DataFrame  # commune, its territoire, registered persons (masked)
    flows: LineChart
    flows_caption: str
    flows_download: pd.DataFrame
    motifs: Distribution


def communes_table(counts: dict[str, int], territoires: dict[str, tuple[str, ...]]):
    """Registered persons per commune of residence, masked, largest first, each commune
    with the territoire it belongs to."""
    territoire = {c: t for t, cs in territoires.items() for c in cs}
    frame = widgets.masked_frame(counts, {}).sort_values("effectif", ascending=False)
    return frame.assign(territoire=frame["code"].map(territoire).fillna(""))[
        ["code", "territoire", "affiche"]
    ].rename(columns={"code": "commune (code INSEE)", "affiche": "inscrits"})


def flow_table(series: list[tuple[str, dict]]) -> tuple[pd.DataFrame, set[str]]:
    """The three flows of each month, masked as one distribution, and the sources read."""
    records, sources = [], set()
    for m, f in series:
        sources.add(f["flux_source"])
        masked = masking.mask_distribution({k: f[k] for k in FLOWS if f[k] is not None})
        for code, value in masked.items():
            records.append(
                {"mois": m, "flux": code, "effectif": value, "affiche": masking.masked_label(value)}
            )
    return pd.DataFrame(records, columns=["mois", "flux", "effectif", "affiche"]), sources


def demandeurs_view(scope: Scope) -> Demandeurs:
    departement, month, communes, months, _ = scope
    categories = {
        **widgets.short_labels("categorie"),
        "non_renseignee": "Non renseignée (dispense)",
    }
    stock = db.family("stock", departement, month, communes)
    flows, sources = flow_table(db.series("flux", departement, months, communes))
    return Demandeurs(
        categories=MonthlyChart(
            [(m, s["categorie"]) for m, s in db.series("stock", departement, months, communes)],
            categories,
            "categorie",
            "Bénéficiaires du RSA inscrits, par catégorie",
            "categorie : code catégorie d'inscription du fichier PECGM du mois ; part sur le "
            "stock du mois ; la plus petite autre case d'un mois masqué l'est aussi.",
            "categories",
            f"categories_{departement}",
        ),
        profile=(
            Distribution(
                stock["sexe"],
                "sexe",
                widgets.SEXE_LABELS,
                "Par sexe",
                "sexe : premier chiffre du NIR (le NIR lui-même n'est pas conservé).",
                "stock_sexe",
            ),
            Distribution(
                stock["tranche_age"],
                "tranche_age",
                widgets.AGE_LABELS,
                "Par tranche d'âge",
                "tranche_age : âge atteint dans l'année de la date de référence du fichier "
                "(seule l'année de naissance est conservée).",
                "stock_age",
            ),
        ),
        communes=communes_table(stock["commune"], db.communes_par_territoire(departement)),
        flows=LineChart(
            flows.assign(flux=flows["flux"].str.capitalize()),
            "mois",
            "effectif",
            "flux",
            "Inscriptions, cessations et radiations par mois",
            "Personnes",
        ),
        flows_caption=f"inscriptions, cessations, radiations : "
        f"{LRSA_ONLY if sources == {'lrsa'} else WITH_PECGM}. Effectifs de 1 à 10 masqués.",
        flows_download=flows.drop(columns=["effectif"]),
        motifs=Distribution(
            db.family("flux", departement, month, communes)["cessations_motif"],
            "cessations_motif",
            MOTIF_GROUPS,
            f"Cessations par groupe de motifs — {fmt_month(month)}",
            "cessations_motif : reprise d'emploi (motifs 11 à 16, 18, 19, 21 à 25), formation "
            "(31, 32, 34, 41, 42), absence au contrôle (90), santé (45), autres.",
            "cessations_motif",
        ),
    )
