"""Bilan annuel (DREES): the six tables of the enquête OARSA for a chosen year, as the
page shows them (masked as every committee view), each column with its definition, what
is missing to fill them, and the return itself for download (exact: it goes to the
statistics service). Figures from pipelines/oarsa.py through pipelines/oarsa_export.py,
the same grids as the xlsx and the PDF annex."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from dashboard import auth, db
from dashboard.views.elements import Distribution
from pipelines import masking, oarsa, oarsa_export
from pipelines.nomenclatures import nomenclature


@st.cache_data(show_spinner=False, max_entries=64)
def _compute(path: str, gen: tuple, departement: str, annee: int, regle: str) -> dict:
    """The return, as the load stored it for the year the page opens with, else computed."""
    return db.stored_or_computed(path, gen, "bilan", departement, (departement, annee, regle))


@st.cache_data(show_spinner=False, max_entries=64)
def _years(path: str, gen: tuple, departement: str) -> list[int]:
    return oarsa.annees_disponibles(db.pool().cursor(), departement)


def annees(departement: str, today: date | None = None) -> list[int]:
    """The years to choose from, newest first: those with a December CAF/MSA flux, and the
    last ended year even without one (the page then says what is missing)."""
    auth.authorise(departement)
    gen = db.generation()
    known = _years(str(db.db_path()), gen, departement) if gen else []
    return offered(known, today)


offered = oarsa.annees_proposees  # `annees` from the years with data


@dataclass(frozen=True)
class TableauVu:
    titre: str
    frame: pd.DataFrame  # first column « » (the row), then the DREES columns, as shown
    definitions: dict[str, str]  # column label -> its definition
    message: str | None  # the table cannot be filled: why


@dataclass(frozen=True)
class Bilan:
    result: dict  # exact (the return)
    tableaux: list[TableauVu]  # masked at the view's threshold
    manques: list[str]
    non_classes: pd.DataFrame
    sources: pd.DataFrame
    limit: int
    categories: Distribution | None  # T1's oriented persons by DREES category (a chart)


ROW = "Ligne"
REGLES = oarsa.REGLES  # the population rules, in words
regle_par_defaut = oarsa.regle_par_defaut


def caption(bilan: Bilan) -> str:
    """The line under the title: what the page shows, masked or not, and what the file is."""
    r = bilan.result
    head = f"Département {r['departement']} · enquête OARSA {r['annee']} · données au 31/12/{r['annee']}"
    if bilan.limit <= 1:
        return f"{head} · chiffres non masqués."
    return (
        f"{head} · effectifs de 1 à {bilan.limit - 1} masqués à l'écran ; le fichier "
        "téléchargé est le bilan exact transmis à la DREES."
    )


def export_bytes(bilan: Bilan) -> bytes:
    """The return itself (exact), as the xlsx of the questionnaire."""
    return oarsa_export.xlsx_bytes(bilan.result)


def tableau_vu(g: oarsa_export.Grille, limit: int) -> TableauVu:
    masked = oarsa_export.masquer(g, limit)
    labels = [c.libelle for c in g.colonnes]
    records = [
        {
            ROW: ligne.libelle
            if ligne.dimension == "ensemble"
            else f"{oarsa.modalites()['dimension'][ligne.dimension]} — {ligne.libelle}",
            **{
                label: oarsa_export.cellule_texte(v, c.moyenne, limit)
                for label, c, v in zip(labels, g.colonnes, ligne.cellules, strict=True)
            },
        }
        for ligne in masked.lignes
    ]
    frame = pd.DataFrame(records, columns=[ROW, *labels])
    return TableauVu(g.titre, frame, {c.libelle: c.definition for c in g.colonnes}, g.message)


SOURCE_LABELS = {
    "flux_caf": "Flux CAF/MSA (état au 31/12)",
    "pecgm_decembre": "Fichier PECGM de décembre",
    "collecte_france_travail": "Collecte France Travail",
    "contrats": "Dates de contrat (parcours)",
    "organismes_classes": "Organismes classés",
}


def bilan_view(departement: str, annee: int, regle: str) -> Bilan:
    auth.authorise(departement)
    result = _compute(str(db.db_path()), db.generation(), departement, annee, regle)
    limit = masking.threshold()
    src = result["sources"]
    sources = pd.DataFrame(
        [
            {
                "source": label,
                "donnée": {True: "chargées", False: "absentes", None: "aucun"}.get(
                    src[key], str(src[key])
                ),
            }
            for key, label in SOURCE_LABELS.items()
        ]
    )
    non_classes = pd.DataFrame(result["non_classes"], columns=["organisme", "personnes"]).rename(
        columns={"personnes": "personnes orientées au 31/12"}
    )
    return Bilan(
        result,
        [tableau_vu(g, limit) for g in oarsa_export.grilles(result)],
        result["manques"],
        non_classes,
        sources,
        limit,
        categories(result),
    )


def categories(result: dict) -> Distribution | None:
    """The persons oriented at 31/12 by DREES category of their organisme (table 1)."""
    if not result["disponible"]:
        return None
    labels = {row["code"]: row["libelle_court"] for row in nomenclature("oarsa_categorie")}
    return Distribution(
        result["t1"]["par_organisme"],
        "oarsa_categorie",
        labels,
        f"Personnes orientées au 31/12/{result['annee']}, par catégorie d'organisme",
        "par_organisme (tableau 1) : catégorie DREES de l'organisme référent de la dernière "
        "décision d'orientation, selon le classement du département ; non classé : organisme "
        "absent du classement ou non renseigné.",
        "oarsa_categories",
    )


def export_name(result: dict) -> str:
    return f"oarsa_{result['departement']}_{result['annee']}.xlsx"
