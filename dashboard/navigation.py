"""The pages of the dashboard, declared once: file, title, icon and the roles that open it.

app.py builds the navigation from it, auth.require() refuses a page to a role it does not
list, and the tests (AppTest and browser) walk the same list.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.roles import ROLES


@dataclass(frozen=True)
class Page:
    slug: str  # its address: /<slug>
    file: str
    title: str
    icon: str
    roles: frozenset[str]


COMMITTEE = frozenset({"comite", "analyste"})
STEWARDS = frozenset({"donnees", "admin"})
PAGES: tuple[Page, ...] = (
    Page("synthese", "pages/synthese.py", "Synthèse", ":material/home:", frozenset(ROLES)),
    Page("orientations", "pages/orientations.py", "Orientations", ":material/explore:", COMMITTEE),
    Page(
        "demandeurs", "pages/demandeurs.py", "Demandeurs d'emploi", ":material/groups:", COMMITTEE
    ),
    Page(
        "accompagnement",
        "pages/accompagnement.py",
        "Accompagnement",
        ":material/handshake:",
        COMMITTEE,
    ),
    Page("delais", "pages/delais.py", "Délais et contrats", ":material/timer:", COMMITTEE),
    Page(
        "cohortes",
        "pages/cohortes.py",
        "Cohortes",
        ":material/query_stats:",
        frozenset({"analyste"}),
    ),
    Page(
        "oarsa",
        "pages/oarsa.py",
        "Bilan annuel (DREES)",
        ":material/assignment:",
        frozenset({"analyste", "donnees", "admin"}),
    ),
    Page("qualite", "pages/qualite.py", "Qualité des données", ":material/fact_check:", STEWARDS),
    Page("chargement", "pages/chargement.py", "Chargement", ":material/upload_file:", STEWARDS),
    Page(
        "administration",
        "pages/administration.py",
        "Administration",
        ":material/admin_panel_settings:",
        frozenset({"admin"}),
    ),
)
BY_SLUG = {p.slug: p for p in PAGES}
ROLE_PAGES = {role: {p.slug for p in PAGES if role in p.roles} for role in ROLES}


def for_role(role: str) -> list[Page]:
    """The pages a role opens, in navigation order."""
    return [p for p in PAGES if role in p.roles]
