"""The roles of the product, declared once: accounts (access.py, its SQL CHECK), the command
line's choices and the pages each role opens (dashboard/navigation.py) all read them here.

Kept free of heavy imports so that `python -m pipelines --help` can list them at once.
"""

from __future__ import annotations

ROLE_LABELS = {
    "comite": "comité de pilotage (chiffres masqués)",
    "analyste": "analyste (cohortes, chiffres non masqués tracés)",
    "donnees": "gestionnaire de données (chargements, qualité)",
    "admin": "administrateur (comptes, journal d'audit)",
}
ROLES = tuple(ROLE_LABELS)


def sql_check(column: str = "role") -> str:
    """The SQL CHECK constraint of a role column, from the same list."""
    return f"CHECK ({column} IN ({', '.join(repr(r) for r in ROLES)}))"
