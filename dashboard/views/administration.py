"""Administration (admin role): the accounts and the audit trail, read from the access file
beside the warehouse (pipelines/access.py) and labelled for the page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dashboard.formatting import code_label, fmt_month
from dashboard.navigation import BY_SLUG
from pipelines import access
from pipelines.journal import STATUS_LABELS
from pipelines.roles import ROLE_LABELS

USER_HEADERS = [
    "identifiant", "rôle", "départements", "actif", "échecs", "verrouillé jusqu'à", "modifié le",
]  # fmt: skip
AUDIT_HEADERS = ["n°", "horodatage", "identifiant", "action", "département", "détails", "résultat"]
AUDIT_ROWS = 2000  # the latest audit rows shown
ACTION_LABELS = {  # the audit's action codes (pipelines/access.py callers), in words
    "acces_refuse": "Accès refusé",
    "arrivees": "Dossier d'arrivée traité",
    "chargement": "Chargement d'un fichier",
    "collecte": "Collecte France Travail",
    "connexion": "Connexion",
    "consultation": "Consultation d'une page",
    "controle": "Contrôle d'un fichier",
    "creation_utilisateur": "Création d'un compte",
    "deconnexion": "Déconnexion",
    "desactivation_utilisateur": "Désactivation d'un compte",
    "echec_connexion": "Échec de connexion",
    "expiration": "Session expirée",
    "export": "Téléchargement",
    "purge": "Purge des données anciennes",
    "reprise_de_session": "Reprise de session",
    "restauration": "Restauration d'une sauvegarde",
    "sauvegarde": "Sauvegarde",
    "territoires": "Chargement des territoires",
    "vue_non_masquee": "Vue non masquée",
}
RESULT_LABELS = {"ok": "réussi", "refuse": "refusé", "non_habilite": "compte non habilité",
                 **STATUS_LABELS}  # fmt: skip
DETAIL_LABELS = {"page": "page", "mois": "mois", "fichier": "fichier", "source": "source",
                 "cible": "compte", "role": "rôle", "departements": "départements",
                 "departement": "département", "chargement": "chargement n°",
                 "non_masque": "non masqué", "fournisseur": "fournisseur"}  # fmt: skip
ACCOUNTS_NOTE = (
    "Les comptes se créent, se modifient et se désactivent sur le serveur, par l'exploitant "
    "(le mot de passe n'y transite jamais par une page web) : voir le guide d'exploitation."
)


def accounts(path: Path) -> pd.DataFrame:
    """Every account: login, role and départements in words, active or not, failures."""
    users = pd.DataFrame(access.list_users(path), columns=USER_HEADERS)
    users["départements"] = users["départements"].map(lambda v: ", ".join(json.loads(v)))
    users["rôle"] = users["rôle"].map(ROLE_LABELS)
    users["actif"] = users["actif"].map({1: "oui", 0: "non"})
    return users


@dataclass(frozen=True, eq=False)
class Audit:
    """The latest audit rows, newest first, and the actions they hold (for the filter)."""

    rows: pd.DataFrame
    actions: list[str]

    def of(self, chosen: list[str]) -> pd.DataFrame:
        """The rows of the chosen actions."""
        return self.rows[self.rows["action"].isin(chosen)]


def detail_value(key: str, value: object) -> str:
    """One detail of an audit row in words (a role, a month, a list, yes/no)."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if key == "role" and value in ROLE_LABELS:
        return ROLE_LABELS[value]
    if key == "mois" and isinstance(value, str) and len(value) == 7:
        return fmt_month(value)
    if key == "page":
        return BY_SLUG[value].title if value in BY_SLUG else str(value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)


def details_in_words(raw: object) -> str:
    """The JSON details of an audit row as « page : Orientations · mois : mars 2026 »."""
    if raw is None or raw == "":
        return ""
    try:
        details = json.loads(raw) if isinstance(raw, str | bytes) else raw
    except ValueError:
        return str(raw)
    if not isinstance(details, dict):
        return str(details)
    return " · ".join(
        f"{DETAIL_LABELS.get(k, code_label(k).lower())} : {detail_value(k, v)}"
        for k, v in details.items()
        if v not in (None, "")
    )


def audit(path: Path, limit: int = AUDIT_ROWS) -> Audit:
    """The latest rows with words for actions, results and details (not codes nor JSON)."""
    rows = pd.DataFrame(access.audit_rows(path, limit), columns=AUDIT_HEADERS)
    rows["action"] = rows["action"].map(lambda a: ACTION_LABELS.get(a, code_label(a)))
    rows["résultat"] = rows["résultat"].map(
        lambda r: RESULT_LABELS.get(r, code_label(r)) if r else ""
    )
    rows["détails"] = rows["détails"].map(details_in_words)
    return Audit(rows, sorted(rows["action"].unique()))
