"""Administration (admin role): the accounts and the audit trail, read from the access file
beside the warehouse (pipelines/access.py) and labelled for the page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines import access
from pipelines.roles import ROLE_LABELS

USER_HEADERS = [
    "identifiant", "rôle", "départements", "actif", "échecs", "verrouillé jusqu'à", "modifié le",
]  # fmt: skip
AUDIT_HEADERS = ["n°", "horodatage", "identifiant", "action", "département", "détails", "résultat"]
AUDIT_ROWS = 2000  # the latest audit rows shown
ACCOUNTS_NOTE = (
    "Créer, modifier ou désactiver un compte : `python -m pipelines users add IDENTIFIANT "
    "--role ROLE --departement D`, `users disable IDENTIFIANT` (mot de passe saisi au clavier)."
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


def audit(path: Path, limit: int = AUDIT_ROWS) -> Audit:
    rows = pd.DataFrame(access.audit_rows(path, limit), columns=AUDIT_HEADERS)
    return Audit(rows, sorted(rows["action"].unique()))
