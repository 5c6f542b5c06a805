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
    assert audit.actions == ["acces_refuse", "creation_utilisateur", "desactivation_utilisateur"]
    assert list(audit.rows["action"]) == [  # newest first
        "acces_refuse",
        "desactivation_utilisateur",
        "creation_utilisateur",
    ]
    refused = audit.of(["acces_refuse"])
    assert refused[["identifiant", "département", "résultat"]].values.tolist() == [
        ["agent.2a", "2B", "refuse"]
    ]
    assert audit.of([]).empty
    assert len(view.audit(settings.db_path, limit=2).rows) == 2
