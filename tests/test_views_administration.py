"""dashboard/views/administration.py on a real access file: accounts in words (role label,
départements, active or not) and the audit trail filtered by action."""

from __future__ import annotations

from dashboard.views import administration as view
from pipelines import access
from pipelines.roles import ROLE_LABELS


def test_accounts_are_shown_in_words(settings) -> None:
    access.add_user(
        settings.db_path, "agent.2a", "mot de passe long", "donnees", ["2b", "2A"], "admin"
    )
    access.add_user(settings.db_path, "comite.2a", "mot de passe long", "comite", ["2A"], "admin")
    access.disable_user(settings.db_path, "comite.2a", "admin")
    accounts = view.accounts(settings.db_path).set_index("identifiant")
    assert list(accounts.columns) == view.USER_HEADERS[1:]
    assert accounts.loc["agent.2a", "rôle"] == ROLE_LABELS["donnees"]
    assert accounts.loc["agent.2a", "départements"] == "2A, 2B"
    assert (accounts.loc["agent.2a", "actif"], accounts.loc["comite.2a", "actif"]) == ("oui", "non")
    assert accounts.loc["agent.2a", "échecs"] == 0
    assert "mot de passe long" not in accounts.to_string()


def test_the_audit_trail_is_filtered_by_action(settings) -> None:
    access.add_user(settings.db_path, "agent.2a", "mot de passe long", "donnees", ["2A"], "admin")
    access.disable_user(settings.db_path, "agent.2a", "admin")
    access.audit(settings.db_path, "agent.2a", "acces_refuse", "refuse", departement="2B")
    audit = view.audit(settings.db_path)
    assert audit.actions == ["Accès refusé", "Création d'un compte", "Désactivation d'un compte"]
    assert list(audit.rows["action"]) == [  # newest first
        "Accès refusé",
        "Désactivation d'un compte",
        "Création d'un compte",
    ]
    refused = audit.of(["Accès refusé"])
    assert refused[["identifiant", "département", "résultat"]].values.tolist() == [
        ["agent.2a", "2B", "refusé"]
    ]
    assert audit.of([]).empty
    assert len(view.audit(settings.db_path, limit=2).rows) == 2


def test_the_audit_details_are_words_not_json(settings) -> None:
    access.add_user(settings.db_path, "agent.2a", "mot de passe long", "donnees", ["2A"], "admin")
    access.audit(
        settings.db_path, "agent.2a", "consultation", "ok", page="orientations", mois="2026-03"
    )
    rows = view.audit(settings.db_path).rows
    seen = rows[rows["action"] == "Consultation d'une page"].iloc[0]
    assert seen["détails"] == "page : Orientations · mois : mars 2026"
    created = rows[rows["action"] == "Création d'un compte"].iloc[0]["détails"]
    assert "rôle : gestionnaire de données" in created and "{" not in created
    assert not rows["détails"].str.contains(r'[{}"]').any()
