"""Passwords are hashed at argon2-cffi's production cost unless the test suite says
otherwise (tests/conftest.py sets PILOTAGE_ARGON2_COUT=test for speed): this test runs
at the production cost and checks it is the one the product ships."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, extract_parameters, profiles

from pipelines import access
from pipelines.errors import UsageError

PASSWORD = "un mot de passe assez long"


def test_accounts_are_hashed_at_the_production_cost_outside_the_tests(settings, monkeypatch):
    monkeypatch.delenv("PILOTAGE_ARGON2_COUT")
    access.add_user(settings.db_path, "carol", PASSWORD, "comite", ["2A"], by="test")
    with access.connect(settings.db_path) as con:
        stored = con.execute("SELECT password_hash FROM utilisateur").fetchone()[0]
    parameters = extract_parameters(stored)
    assert parameters == access.PRODUCTION_COST == profiles.RFC_9106_LOW_MEMORY
    assert parameters.time_cost >= 3 and parameters.memory_cost >= 64 * 1024
    assert not PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY).check_needs_rehash(
        stored
    )
    assert access.authenticate(settings.db_path, "carol", PASSWORD)[0] is not None


def test_the_test_suite_runs_at_the_cheap_cost_and_its_hashes_verify(settings) -> None:
    access.add_user(settings.db_path, "carol", PASSWORD, "comite", ["2A"], by="test")
    with access.connect(settings.db_path) as con:
        stored = con.execute("SELECT password_hash FROM utilisateur").fetchone()[0]
    assert extract_parameters(stored) == access.TEST_COST != access.PRODUCTION_COST
    assert access.authenticate(settings.db_path, "carol", PASSWORD)[0] is not None


def test_an_unknown_cost_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("PILOTAGE_ARGON2_COUT", "faible")
    with pytest.raises(UsageError, match="PILOTAGE_ARGON2_COUT : « faible » inconnu"):
        access.argon2_cost()
