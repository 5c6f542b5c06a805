"""The France Travail collection against a local stand-in of the APIs (tests/ft_standin.py,
127.0.0.1 only): token, the three resources, 401, 429 with Retry-After, 5xx, slow
answers, unknown persons, resume, the journal, the indicators, and a scan of everything
produced for personal values, identifiers, tokens and the secret."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines import cli, indicators, loader, warehouse
from pipelines.francetravail import client as ft_client
from pipelines.francetravail import collecte
from pipelines.settings import FranceTravailSettings, Settings
from tests import ft_standin
from tests.ft_standin import CLIENT_SECRET, StandIn

DAY = date(2026, 10, 20)


@pytest.fixture
def api(monkeypatch):
    """A stand-in with 30 persons known to France Travail and 6 unknown."""
    with StandIn(people=30, unknown=6) as standin:
        for k, v in standin.env().items():
            monkeypatch.setenv(k, v)
        yield standin


def ft(**changes) -> FranceTravailSettings:
    import dataclasses

    return dataclasses.replace(FranceTravailSettings.from_env(), **changes)


def write_input(path: Path, persons, header=("Nom", "Prénom", "NIR", "Date de naissance")) -> Path:
    """A département file: synthetic names, the NIR with its key, birth dates jj/mm/aaaa."""
    lines = [";".join(header)]
    for i, (nir, birth) in enumerate(persons):
        y, m, d = birth.split("-")
        lines.append(f"Nomfictif{i};Prenom;{collecte.nir_complet(nir)};{d}/{m}/{y}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


_READER: list[tuple[Path, warehouse.ReaderPool]] = []  # the last warehouse read, and its pool


def rows(settings: Settings, sql: str, params=()) -> list[tuple]:
    """Rows of the live warehouse. One reader per file generation, as the dashboard reads
    (`warehouse.ReaderPool`: a load's new file is reopened): a test checking three tables
    per person opened a DuckDB instance per query (0.02 s each, 2 s per test)."""
    if not _READER or _READER[0][0] != settings.db_path:
        _READER[:] = [(settings.db_path, warehouse.ReaderPool(settings.db_path))]
    cursor = _READER[0][1].cursor()
    try:
        return cursor.execute(sql, list(params)).fetchall()
    finally:
        cursor.close()


def expected_profile(api: StandIn, nir13: str, birth: str):
    return api.people.get((collecte.nir_complet(nir13), birth))


def kept_orientation(api: StandIn, nir13: str, birth: str):
    p = expected_profile(api, nir13, birth)
    return ft_standin.expected_orientation(p) if p and p.certifiee else None


def test_collection_keeps_status_contraintes_and_orientations(api, settings, tmp_path) -> None:
    source = write_input(tmp_path / "stock.csv", api.persons)
    outcome = collecte.collect(source, settings, ft(), "2A", today=DAY)
    assert outcome.status == "loaded", outcome.message
    summary = outcome.report.collecte
    assert (summary["trouvees"], summary["non_trouvees"], summary["erreurs"]) == (30, 6, 0)
    assert summary["par_code_retour"] == {"S001": 30, "S002": 6}
    assert api.bad_requests == []  # 15-character NIR, ISO date, etatOrientation=OUVERT
    assert set(api.per_person.values()) == {1}
    # The jeton travels in the ft-jeton-usager header (it holds '#', '/', '+'): every
    # found person reached the three resources, 204s included.
    assert api.calls["contrat"] == api.calls["diagnostic"] == api.calls["orientation"] == 30
    nobody = sum(
        (p.contrat is None) + (p.diagnostic is None) + (p.orientations is None)
        for p in api.people.values()
    )
    assert summary["reponses_204"] == nobody > 0
    assert api.agent_headers_seen == {("BATCH", "Pilotage RSA", "Collecte statistique")}
    key = collecte.pseudonymise.load_or_create_key(settings.key_file)
    decided = 0
    for nir, birth in api.persons:
        person = collecte.pseudonymise.person_key(key, nir=nir)
        profile = expected_profile(api, nir, birth)
        got = rows(
            settings,
            "SELECT code_retour, statut_de, categorie, CAST(date_effet_statut AS VARCHAR), "
            "motif_cloture FROM ft_statut WHERE person_key = ?",
            [person],
        )
        if profile is None:
            assert got == [("S002", None, None, None, None)]
            continue
        c = (profile.contrat or {}).get("m_contrat", {})
        assert got == [
            (
                "S001",
                c.get("m_statut"),
                c.get("m_categ_inscription_code"),
                c.get("m_date_effet_statut"),
                c.get("m_motif_cloture_code"),
            )
        ]
        values = {
            item["code"]: item["valeur"]
            for item in (profile.diagnostic or {})
            .get("thematiqueContrainte", {})
            .get("contraintes", [])
        }
        kept = rows(
            settings,
            "SELECT thematique, valeur, contrainte FROM ft_contrainte WHERE person_key = ?",
            [person],
        )
        assert {t: (v, flag) for t, v, flag in kept} == {
            t: (v, v == "OUI") for t, v in values.items()
        }
        orientation = rows(
            settings,
            "SELECT CAST(date_orientation AS VARCHAR), type_parcours, organisme_referent, "
            "cle_type FROM orientation WHERE person_key = ? AND source = 'france_travail'",
            [person],
        )
        expected = kept_orientation(api, nir, birth)
        if expected is None:
            assert orientation == []
            continue
        decided += 1
        mapped = {"PED": "professionnel", "PSP": "socio_professionnel", "PSO": "social"}
        assert orientation == [
            (
                expected["date_entree_parcours"],
                mapped[expected["parcours"]],
                "CD — Agence fictive",
                "NIR",
            )
        ]
    assert decided == summary["orientations"] > 0
    journal = rows(
        settings, "SELECT source, status, departement, month, rows_loaded FROM load_journal"
    )
    assert journal == [("statut", "loaded", "2A", "2026-10", 36)]


def test_uncertified_identities_and_homonyms_are_counted_apart(settings, tmp_path, monkeypatch):
    with StandIn(people=10, uncertified=3, homonyms=2, unknown=1) as api:
        for k, v in api.env().items():
            monkeypatch.setenv(k, v)
        outcome = collecte.collect(
            write_input(tmp_path / "f.csv", api.persons), settings, ft(), "2A", today=DAY
        )
        assert api.calls["contrat"] == api.calls["diagnostic"] == 10  # nothing for the others
    summary = outcome.report.collecte
    assert (summary["identite_non_certifiee"], summary["homonymes"]) == (3, 2)
    assert (summary["trouvees"], summary["non_trouvees"]) == (10, 1)
    assert "3 à l'identité non certifiée" in outcome.message
    assert "2 avec homonymes" in outcome.message
    lines = "\n".join(collecte.summary_lines(summary))
    assert "3 identité non certifiée" in lines and "2 homonymes" in lines
    con = warehouse.open_reader(settings.db_path)
    statut = indicators.france_travail(con, "2A", "2026-10")["statut_de"]
    assert (statut["identite_non_certifiee"], statut["homonymes"], statut["non_trouve"]) == (
        3,
        2,
        1,
    )
    assert sum(statut.values()) == 16


def test_headers_of_the_cgpem_template_and_a_mapping(api, settings, tmp_path) -> None:
    persons = api.persons[:8]
    cgpem = write_input(
        tmp_path / "cgpem.csv",
        persons,
        ("NOM DE NAISSANCE", "PRENOM", "NIR sans clé", "DATE DE NAISSANCE"),
    )
    assert collecte.collect(cgpem, settings, ft(), "2A", today=DAY).status == "loaded"
    own = write_input(
        tmp_path / "export.csv", persons, ("Nom", "Prénom", "Numéro sécu", "Né(e) en")
    )
    refused = collecte.collect(own, settings, ft(), "2A", today=DAY + timedelta(1))
    assert refused.status == "refused" and "NIR" in refused.message
    mapping = {"numerosecu": "nir", "neeen": "date_naissance"}
    mapped = collecte.collect(
        own, settings, ft(), "2A", {"mapping": mapping}, today=DAY + timedelta(1)
    )
    assert mapped.status == "loaded" and mapped.report.collecte["trouvees"] == 8


def test_lines_without_a_usable_nir_or_birth_date_are_rejected_by_line(api, settings, tmp_path):
    source = write_input(tmp_path / "f.csv", api.persons[:20])
    text = source.read_text(encoding="utf-8").splitlines()
    text[3] = "Nomfictif;Prenom;;01/01/1990"  # line 4: no NIR
    text[5] = text[5].rsplit(";", 1)[0] + ";31/02/1990"  # line 6: no such date
    source.write_text("\n".join(text) + "\n", encoding="utf-8")
    outcome = collecte.collect(
        source, settings, ft(), "2A", today=DAY
    )  # 2 of 20 lines: above the 1 % threshold
    assert outcome.status == "refused"
    assert api.calls["recherche"] == 0  # a refused file calls nothing
    lenient = Settings(settings.db_path, settings.key_file, 0.2, None, "test")
    outcome = collecte.collect(source, lenient, ft(), "2A", today=DAY)
    assert outcome.status == "loaded" and outcome.report.collecte["personnes"] == 18
    messages = " ".join(outcome.report.check_messages())
    assert "ligne 4" in messages and "ligne 6" in messages and "1990" not in messages


def test_statut_suite_is_a_gx_suite_and_both_engines_agree(api, tmp_path) -> None:
    import great_expectations as gx

    from pipelines.readers.encoding import inspect_file
    from pipelines.settings import EXPECTATIONS_DIR
    from pipelines.validation.suite import load_suite
    from tests.engines import assert_engines_agree

    raw = json.loads((EXPECTATIONS_DIR / "statut.json").read_text(encoding="utf-8"))
    assert len(gx.ExpectationSuite(**raw).expectations) == len(raw["expectations"])
    source = write_input(tmp_path / "f.csv", api.persons[:6] + api.persons[:1])  # a duplicate
    text = source.read_text(encoding="utf-8").splitlines()
    text[2] = "Nomfictif;Prenom;;01/01/1990"
    text[3] = text[3].rsplit(";", 1)[0] + ";31/02/1990"
    text[4] = "Nomfictif;Prenom;ABC;01/01/1990"
    source.write_text("\n".join(text) + "\n", encoding="utf-8")
    con = duckdb.connect()
    report = collecte.statut_source.stage(con, inspect_file(source), departement="2A")
    failed = assert_engines_agree(con, report, "statut_fields", load_suite("statut"))
    assert failed == 4 and report.rows_rejected == 3  # the duplicate is a warning only


def test_concurrency_is_bounded_on_the_server_side(api, settings, tmp_path) -> None:
    api.behaviour.delay = 0.05
    source = write_input(tmp_path / "f.csv", api.persons)
    outcome = collecte.collect(source, settings, ft(concurrency=4), "2A", today=DAY)
    assert outcome.status == "loaded"
    assert 2 <= api.max_in_flight <= 4


def test_calls_per_second_stay_under_the_quota(api, settings, tmp_path) -> None:
    source = write_input(tmp_path / "f.csv", api.persons[:12])  # 12 + 3 x 12 calls
    started = time.monotonic()
    outcome = collecte.collect(source, settings, ft(rate=40.0), "2A", today=DAY)
    assert outcome.status == "loaded"
    calls = sum(api.calls[n] for n in ("recherche", "contrat", "diagnostic", "orientation"))
    assert time.monotonic() - started >= (calls - 1) / 40.0


def test_token_is_renewed_before_expiry_and_after_a_401(api, settings, tmp_path) -> None:
    api.behaviour.expires_in = 31  # renewed 30 s before expiry: after one second of the clock
    source = write_input(tmp_path / "f.csv", api.persons)
    clock = TickingClock(step=0.05)  # a second passes every twenty readings, none for real
    outcome = collecte.collect(source, settings, ft(concurrency=4), "2A", today=DAY, clock=clock)
    assert outcome.status == "loaded" and outcome.report.collecte["erreurs"] == 0
    assert api.calls["token"] >= 2
    api.behaviour.expires_in, api.behaviour.delay = 1499, 0
    api.behaviour.revoke_after = 10  # every token revoked mid-run: each worker gets a 401
    outcome = collecte.collect(source, settings, ft(), "2A", today=DAY + timedelta(1))
    assert outcome.status == "loaded" and outcome.report.collecte["trouvees"] == 30


def test_bad_credentials_stop_the_collection_without_printing_the_secret(
    api, settings, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("PILOTAGE_FT_CLIENT_SECRET", "un-autre-secret-faux")
    source = write_input(tmp_path / "f.csv", api.persons)
    outcome = collecte.collect(source, settings, FranceTravailSettings.from_env(), "2A")
    assert outcome.status == "failed"
    assert "PILOTAGE_FT_CLIENT_SECRET" in outcome.message
    assert "un-autre-secret-faux" not in outcome.message
    assert "un-autre-secret-faux" not in repr(FranceTravailSettings.from_env())
    assert rows(settings, "SELECT source, status FROM load_journal") == [("statut", "failed")]
    assert api.calls["recherche"] == 0


def test_a_resource_outside_the_scopes_stops_the_collection(api, settings, tmp_path) -> None:
    api.behaviour.forbidden = {"diagnostic"}
    source = write_input(tmp_path / "f.csv", api.persons)
    outcome = collecte.collect(source, settings, ft(concurrency=2), "2A", today=DAY)
    assert outcome.status == "failed"
    assert "Diagnostic argumenté (403)" in outcome.message
    assert "PILOTAGE_FT_SCOPE" in outcome.message and "Collecte arrêtée" in outcome.message
    assert rows(settings, "SELECT source, status FROM load_journal") == [("statut", "failed")]
    assert api.calls["recherche"] < 36  # the other workers stopped too


def test_empty_agent_headers_stop_with_a_401_message(api, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("PILOTAGE_FT_AGENT_NOM", "")
    monkeypatch.setenv("PILOTAGE_FT_CONCURRENCE", "1")  # one worker: one renewal to count
    source = write_input(tmp_path / "f.csv", api.persons[:4])
    outcome = collecte.collect(source, settings, FranceTravailSettings.from_env(), "2A", today=DAY)
    assert outcome.status == "failed" and "(401)" in outcome.message
    assert "PILOTAGE_FT_AGENT_NOM" in outcome.message
    assert api.calls["token"] == 2  # one renewal, then it stops


def test_missing_agent_headers_stop_with_a_302_message(api, settings, tmp_path, monkeypatch):
    monkeypatch.setattr(ft_client.FranceTravailClient, "_agent_headers", lambda self: {})
    source = write_input(tmp_path / "f.csv", api.persons[:4])
    outcome = collecte.collect(source, settings, ft(), "2A", today=DAY)
    assert outcome.status == "failed" and "(302)" in outcome.message
    assert "pa-identifiant-agent" in outcome.message


def test_agent_identity_is_configurable(api, settings, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PILOTAGE_FT_AGENT_IDENTIFIANT", "CD2A-STATS")
    monkeypatch.setenv("PILOTAGE_FT_AGENT_NOM", "Service statistique")
    monkeypatch.setenv("PILOTAGE_FT_AGENT_PRENOM", "Departement")
    source = write_input(tmp_path / "f.csv", api.persons[:3])
    outcome = collecte.collect(source, settings, FranceTravailSettings.from_env(), "2A", today=DAY)
    assert outcome.status == "loaded"
    assert api.agent_headers_seen == {("CD2A-STATS", "Service statistique", "Departement")}
    monkeypatch.setenv("PILOTAGE_FT_AGENT_PRENOM", "Département")  # not a header value
    with pytest.raises(collecte.UsageError, match="PILOTAGE_FT_AGENT_PRENOM"):
        collecte.collect(source, settings, FranceTravailSettings.from_env(), "2A", today=DAY)


class FakeClock:
    """The client's waits, recorded instead of slept (thread-safe)."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.offset += seconds


class TickingClock(FakeClock):
    """A clock whose time passes by `step` at each reading: a token's lifetime runs out
    within a short run, without waiting for it."""

    def __init__(self, step: float) -> None:
        super().__init__()
        self.step = step

    def monotonic(self) -> float:
        with self._lock:
            self.offset += self.step
            return time.monotonic() + self.offset


def test_429_waits_for_retry_after(api, settings, tmp_path) -> None:
    api.behaviour.throttle, api.behaviour.retry_after = 5, "60"
    source = write_input(tmp_path / "f.csv", api.persons[:10])
    clock = FakeClock()
    started = time.monotonic()
    outcome = collecte.collect(source, settings, ft(), "2A", today=DAY, clock=clock)
    assert outcome.status == "loaded" and outcome.report.collecte["erreurs"] == 0
    assert outcome.report.collecte["reponses_429"] == 5
    assert sum(clock.slept) >= 60.0  # the pause asked for was waited (on the injected clock)
    assert time.monotonic() - started < 60.0  # and not for real


def test_5xx_backs_off_then_succeeds_or_counts_the_error(api, settings, tmp_path) -> None:
    api.behaviour.fail = 6
    source = write_input(tmp_path / "f.csv", api.persons[:10])
    clock = FakeClock()
    outcome = collecte.collect(source, settings, ft(), "2A", today=DAY, clock=clock)
    assert outcome.status == "loaded" and outcome.report.collecte["reponses_5xx"] == 6
    assert outcome.report.collecte["erreurs"] == 0
    assert len(clock.slept) >= 6 and all(0 < s <= ft_client.BACKOFF_CAP for s in clock.slept)
    api.behaviour.fail = 10**6  # down for good: bounded attempts, nothing loaded
    outcome = collecte.collect(
        source, settings, ft(max_attempts=3), "2A", today=DAY + timedelta(1), clock=clock
    )
    assert outcome.status == "failed"
    assert outcome.report.collecte["par_code_retour"] == {"http_503": 10}
    assert rows(
        settings, "SELECT count(*) FROM ft_statut WHERE date_collecte = ?", [DAY + timedelta(1)]
    ) == [(0,)]


def test_the_delay_bounds_a_whole_call_not_each_read(api, settings, tmp_path) -> None:
    """A contract trickled a byte every 0.2 s (about a minute in all): each read is quick,
    the exchange is not. With a 1 s delay and 2 attempts the person is in error after about
    2 s, the others are collected."""
    api.behaviour.trickle = {0}
    source = write_input(tmp_path / "f.csv", api.persons[:6])
    started = time.monotonic()
    outcome = collecte.collect(source, settings, ft(timeout=1.0, max_attempts=2), "2A", today=DAY)
    elapsed = time.monotonic() - started
    assert outcome.status == "loaded"
    assert outcome.report.collecte["par_code_retour"]["delai_depasse"] == 1
    assert outcome.report.collecte["trouvees"] == 5
    assert elapsed < 10, elapsed


def test_the_deadline_reaches_httpx_sockets() -> None:
    """The bound relies on httpcore's pool attribute: an upgrade that moves it fails here."""
    deadline = ft_client._Deadline()
    transport = ft_client._bounded_transport(httpx.Limits(), deadline)
    assert isinstance(transport._pool._network_backend, ft_client._DeadlineBackend)


def test_one_malformed_answer_marks_one_person(api, settings, tmp_path) -> None:
    """A number where the jeton is a string, a truncated JSON, an unexpected shape, a body
    too large: those four persons are in error (asked again next run), the run goes on."""
    api.behaviour.malformed = {1: "jeton", 2: "tronque", 6: "forme"}
    api.behaviour.oversized = {7}
    source = write_input(tmp_path / "f.csv", api.persons)
    outcome = collecte.collect(source, settings, ft(), "2A", today=DAY)
    assert outcome.status == "loaded"
    codes = outcome.report.collecte["par_code_retour"]
    assert codes["reponse_illisible"] == 3 and codes["reponse_trop_grande"] == 1
    assert outcome.report.collecte["trouvees"] == 26
    assert rows(settings, "SELECT count(*) FROM ft_statut") == [(32,)]


def test_the_old_invented_paths_answer_404(api) -> None:
    old = [
        ("POST", "/partenaire/rechercher-usager/v1/usagers/recherche"),
        ("GET", "/partenaire/statut-usager/v1/usagers/ID%23x/statut"),
        ("GET", "/partenaire/diagnosticargumente/v1/individus/ID%23x/contraintes"),
    ]
    for method, path in old:
        assert httpx.request(method, api.url + path).status_code == 404
    token = httpx.post(
        api.url + "/connexion/oauth2/access_token",
        params={"realm": "/partenaire"},
        data={"grant_type": "client_credentials"},
    )
    assert token.status_code == 400  # the /partenaire realm is not the one these APIs use


def test_an_interrupted_run_resumes_without_asking_twice(api, settings, tmp_path) -> None:
    source = write_input(tmp_path / "f.csv", api.persons)

    def interrupt(done: int, total: int) -> None:
        if done == 12:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        collecte.collect(source, settings, ft(concurrency=3), "2A", progress=interrupt, today=DAY)
    assert not settings.db_path.exists()  # nothing half-written
    state = collecte.ResumeState(settings.db_path, "2A", DAY).path
    assert state.stat().st_mode & 0o777 == 0o600
    assert len(state.read_text(encoding="utf-8").splitlines()) >= 12
    collected = {json.loads(line)["key"] for line in state.read_text(encoding="utf-8").splitlines()}
    key = collecte.pseudonymise.load_or_create_key(settings.key_file)
    nirs = {
        collecte.pseudonymise.person_key(key, nir=n): collecte.nir_complet(n)
        for n, _ in api.persons
    }
    outcome = collecte.collect(source, settings, ft(), "2A", today=DAY)
    assert outcome.status == "loaded" and outcome.report.collecte["reprises"] == len(collected)
    # Nobody collected before the interruption is asked again (those whose calls were in
    # flight when it came were not collected: they are).
    assert {api.per_person[nirs[k]] for k in collected} == {1}
    assert outcome.report.collecte["interrogees"] == 36 - len(collected)
    assert rows(settings, "SELECT count(*) FROM ft_statut") == [(36,)]
    assert not state.exists()
    calls = api.calls["recherche"]
    same_day = collecte.collect(source, settings, ft(), "2A", today=DAY)
    assert api.calls["recherche"] == calls and same_day.report.collecte["deja_collectees"] == 36
    next_day = collecte.collect(source, settings, ft(), "2A", today=DAY + timedelta(1))
    assert api.calls["recherche"] == calls + 36 and next_day.rows_loaded == 36


def _cgpem(path: Path, persons, natures) -> Path:
    """A CGPEM file of the stand-in's persons (it holds NIR and date of birth too)."""
    lines = [
        "NIR;NOM DE NAISSANCE;PRENOM;DATE DE NAISSANCE;NATURE DE L'ACCOMPAGNEMENT;"
        "DATE DE LA DECISION D'ORIENTATION"
    ]
    for i, ((nir, birth), nature) in enumerate(zip(persons, natures, strict=True)):
        y, m, d = birth.split("-")
        lines.append(f"{nir};Nomfictif{i};Prenom;{d}/{m}/{y};{nature};0{1 + i % 9}/09/2026")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_indicators_of_the_latest_collection(api, settings, tmp_path) -> None:
    natures = ["05", "06", "01", "02"] * 9
    cgpem = _cgpem(tmp_path / "cgpem.csv", api.persons, natures)
    assert loader.load("cgpem", cgpem, settings, "2A").status == "loaded"
    # An older collection of a few persons, then the CGPEM file itself as the input.
    old = collecte.collect(
        write_input(tmp_path / "old.csv", api.persons[:5]), settings, ft(), "2A", today=DAY
    )
    assert old.status == "loaded"
    assert (
        collecte.collect(cgpem, settings, ft(), "2A", today=DAY + timedelta(20)).status == "loaded"
    )
    con = warehouse.open_reader(settings.db_path)
    october = indicators.france_travail(con, "2A", "2026-10")
    november = indicators.france_travail(con, "2A", "2026-11")
    assert october["date_collecte"] == DAY.isoformat()
    assert sum(october["statut_de"].values()) == 5
    assert november["date_collecte"] == (DAY + timedelta(20)).isoformat()

    profiles = [expected_profile(api, nir, birth) for nir, birth in api.persons]

    def statut(p) -> str | None:
        return p.contrat["m_contrat"]["m_statut"] if p and p.contrat else None

    statuts = {}
    for p in profiles:
        code = (statut(p) or "non_renseigne") if p else "non_trouve"
        statuts[code] = statuts.get(code, 0) + 1
    assert november["statut_de"] == statuts
    categories = {}
    for p in profiles:
        if statut(p) == "Inscrit":
            c = p.contrat["m_contrat"]["m_categ_inscription_code"]
            categories[c] = categories.get(c, 0) + 1
    assert november["categorie_api"] == categories

    parcours = {
        "05": "professionnel",
        "06": "socio_professionnel",
        "01": "social",
        "02": "professionnel",
    }
    keys = {
        "23": "mobilite",
        "24": "famille",
        "25": "sante",
        "26": "savoirs_de_base",
        "27": "logement",
        "28": "finances",
        "29": "administratif",
    }
    expected: dict[str, dict[str, int]] = {}
    for (nir, birth), p, nature in zip(api.persons, profiles, natures, strict=True):
        if p is None or p.diagnostic is None:
            continue
        # the latest orientation on or before the month: France Travail's decision when it
        # is later than the CGPEM one (both are in `orientation`)
        ft_decision = kept_orientation(api, nir, birth)
        type_parcours = parcours[nature]
        cgpem_day = f"2026-09-0{1 + profiles.index(p) % 9}"
        if ft_decision and ft_decision["date_entree_parcours"] > cgpem_day:
            type_parcours = {"PED": "professionnel", "PSP": "socio_professionnel", "PSO": "social"}[
                ft_decision["parcours"]
            ]
        for group in ("ensemble", type_parcours):
            counts = expected.setdefault(group, {"personnes": 0})
            counts["personnes"] += 1
            for item in p.diagnostic["thematiqueContrainte"]["contraintes"]:
                key = keys[item["code"]]
                counts[key] = counts.get(key, 0) + (item["valeur"] == "OUI")
    got = november["contraintes"]
    assert {"personnes": got["personnes"], **got["thematiques"]} == expected.pop("ensemble")
    assert {
        k: {"personnes": v["personnes"], **v["thematiques"]} for k, v in got["par_parcours"].items()
    } == expected

    ft_oriented = [p for p, n in zip(profiles, natures, strict=True) if n in ("05", "06")]
    registered = sum(1 for p in ft_oriented if statut(p) == "Inscrit")
    share = november["inscrits_orientes_ft"]
    assert (share["orientes"], share["collectes"], share["inscrits"]) == (
        len(ft_oriented),
        len(ft_oriented),
        registered,
    )
    assert share["part_inscrits"] == round(registered / len(ft_oriented), 4)
    assert set(share["par_nature"]) == {"05", "06"}
    # Only 5 persons were asked in October: the others oriented to France Travail are
    # unknown there, not unregistered.
    assert (
        october["inscrits_orientes_ft"]["collectes"] < october["inscrits_orientes_ft"]["orientes"]
    )
    summary = indicators.summary(con, "2A", "2026-11")
    assert (
        summary["statut_de"] == statuts and summary["date_collecte_ft"] == november["date_collecte"]
    )
    assert indicators.summary(con, "2B", "2026-11")["statut_de"] is None
    # France Travail's decisions feed the orientation indicators beside CGPEM's.
    decided = rows(
        settings,
        "SELECT count(DISTINCT person_key) FROM orientation WHERE source = 'france_travail' "
        "AND date_trunc('month', date_orientation) = DATE '2026-03-01'",
    )[0][0]
    march = indicators.orientations(con, "2A", "2026-03")
    assert decided > 0 and march["personnes_orientees"] == decided


def test_nothing_personal_secret_or_identifying_anywhere(
    api, settings, tmp_path, capsys, caplog, monkeypatch
) -> None:
    """NIRs (13 and 15 characters), birth dates, encrypted identifiers, tokens, the secret and
    the advisers' names: none in the warehouse file, its tables, the reports, the resume
    state, the command's output or the logs, whatever happened during the run."""
    caplog.set_level(logging.DEBUG)
    api.behaviour.throttle, api.behaviour.fail, api.behaviour.revoke_after = 3, 3, 20
    api.behaviour.trickle = {0}
    api.behaviour.malformed = {1: "tronque"}
    monkeypatch.setenv("PILOTAGE_FT_DELAI", "0.4")
    monkeypatch.setenv("PILOTAGE_FT_TENTATIVES", "2")
    source = write_input(tmp_path / "f.csv", api.persons)
    code = cli.main(["api", str(source), "--departement", "2A", "--db", str(settings.db_path)])
    assert code == 0
    out = capsys.readouterr()
    forbidden = {CLIENT_SECRET, *api.tokens, *api.jetons}
    for nir, birth in api.persons:
        y, m, d = birth.split("-")
        forbidden |= {nir, collecte.nir_complet(nir), birth, f"{d}/{m}/{y}"}
    forbidden |= {j.split("#")[0] for j in api.jetons}  # the jeton's parts too
    texts = {"stdout": out.out, "stderr": out.err, "logs": caplog.text}
    folder = settings.db_path.parent
    for path in folder.rglob("*"):
        if path.is_file() and not path.name.endswith(".lock"):
            texts[str(path)] = path.read_bytes().decode("latin-1")
    con = duckdb.connect(str(settings.db_path), read_only=True)
    for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
        texts[table] = str(con.execute(f"SELECT * FROM {table}").fetchall())
    con.close()
    assert any("ft_statut" in k for k in texts) and len(texts) > 5
    html = [t for k, t in texts.items() if k.endswith("rapport.html")]
    assert html and "Collecte France Travail" in html[0]
    for where, text in texts.items():
        for value in forbidden:
            assert value not in text, f"{where} contient une valeur interdite"


def test_retry_after_as_an_http_date() -> None:
    now = time.time()
    header = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now + 5))
    assert 3.5 <= ft_client.retry_after_seconds(header, now) <= 5
    assert ft_client.retry_after_seconds("7") == 7
    assert ft_client.retry_after_seconds("n'importe quoi") is None


@given(st.integers(min_value=0, max_value=10**12 - 1), st.sampled_from(["75", "2A", "2B", "99"]))
def test_nir_control_key(number: int, departement: str) -> None:
    digits = f"{number:012d}"
    nir13 = digits[:5] + departement + digits[5:11]
    full = collecte.nir_complet(nir13)
    numeric = full[:13].replace("2A", "19").replace("2B", "18")
    assert len(full) == 15 and full[:13] == nir13
    assert (int(numeric) + int(full[13:])) % 97 == 0  # the key completes the number to 97


def test_nir_control_key_worked_by_hand() -> None:
    # synthetic NIR (département 99, country code 99912, never assigned: tests/synthetic.py):
    # 1850799912345 mod 97 = 46, key 97 - 46 = 51
    assert collecte.nir_complet("1850799912345") == "185079991234551"


def test_unconfigured_access_is_a_usage_error(settings, tmp_path, monkeypatch) -> None:
    for name in ("PILOTAGE_FT_CLIENT_ID", "PILOTAGE_FT_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    source = write_input(tmp_path / "f.csv", [])
    code = cli.main(["api", str(source), "--departement", "2A"])
    assert code == 2


def test_contraintes_payload_shapes() -> None:
    items = [
        {"code": "23", "libelle": "Développer sa mobilité", "valeur": "OUI"},
        {"code": 27, "valeur": "cloturee"},
        {"code": "25", "valeur": "PEUT-ETRE"},  # not one of the four values: dropped
        {"libelle": "sans code", "valeur": "OUI"},
        {"code": ["23"], "valeur": "OUI"},
    ]
    assert collecte.kept_contraintes(items) == {"23": "OUI", "27": "CLOTUREE"}
    contrat = {"m_statut": "Inscrit", "m_categ_inscription_code": "F", "idNat": "x#y"}
    kept = collecte.kept_statut(contrat)
    assert kept["categorie"] == "F" and "x#y" not in json.dumps(kept)
    assert collecte.kept_statut({"m_categ_inscription_code": "9"})["categorie"] is None


def test_orientations_kept_only_when_decided_and_not_refused() -> None:
    base = {
        "organisme": "CD",
        "structure": {"libelle_structure": "Agence fictive"},
        "statut": "DECIDE",
        "date_entree_parcours": "2026-03-02",
        "decision": {"etat_decision": "VALIDEE", "date_decision": "2026-03-01"},
    }
    kept = collecte.kept_orientations(
        [
            {**base, "parcours": "PED"},
            {**base, "parcours": "PSP"},
            {**base, "parcours": "PSO"},
            {**base, "parcours": "PSO", "statut": "EN_ATTENTE"},
            {**base, "parcours": "PSO", "decision": {"etat_decision": "REFUSEE"}},
            {**base, "parcours": "PSO", "date_entree_parcours": None},
            {**base, "parcours": "XYZ"},
        ]
    )
    assert [(o["parcours_code"], o["type_parcours"]) for o in kept] == [
        ("PED", "professionnel"),
        ("PSP", "socio_professionnel"),
        ("PSO", "social"),
        ("XYZ", None),
    ]
    assert {o["organisme_referent"] for o in kept} == {"CD — Agence fictive"}
    assert {o["date_orientation"] for o in kept} == {"2026-03-02"}


def test_the_parcours_mapping_is_the_editable_nomenclature() -> None:
    from pipelines.nomenclatures import nomenclature

    rows_ = {r["code"]: r["variantes"].split("|") for r in nomenclature("type_parcours")}
    assert "ped" in rows_["professionnel"] and "psp" in rows_["socio_professionnel"]
    assert "pso" in rows_["social"]


def test_the_quality_report_shows_the_parcours_mix_per_source(api, settings, tmp_path) -> None:
    natures = ["05", "06", "01", "02"] * 9
    cgpem = _cgpem(tmp_path / "cgpem.csv", api.persons, natures)
    assert loader.load("cgpem", cgpem, settings, "2A").status == "loaded"
    outcome = collecte.collect(cgpem, settings, ft(), "2A", today=DAY)
    mix = outcome.report.collecte["parcours_par_source"]
    assert set(mix) == {"cgpem", "france_travail"}
    assert sum(mix["cgpem"].values()) == 36
    assert set(mix["france_travail"]) <= {
        "PED→professionnel",
        "PSP→socio_professionnel",
        "PSO→social",
    }
    assert sum(mix["france_travail"].values()) == outcome.report.collecte["orientations"]
    lines = collecte.summary_lines(outcome.report.collecte)
    assert any(
        line.startswith("Parcours    : france_travail — PED→professionnel") for line in lines
    )
    stored = rows(settings, "SELECT report_json FROM load_journal WHERE source = 'statut'")
    assert "PSO→social" in stored[0][0]


def test_the_api_command_then_indicators_json_end_to_end(settings, tmp_path, capsys, monkeypatch):
    """`pipelines api FILE --departement D` against the stand-in (throttling, 204s,
    uncertified identities, homonyms, a malformed answer), then `indicators --json`."""
    with StandIn(
        people=40, unknown=3, uncertified=2, homonyms=2, throttle=2, retry_after="0"
    ) as api:
        api.behaviour.malformed = {3: "tronque"}
        for k, v in api.env().items():
            monkeypatch.setenv(k, v)
        source = write_input(tmp_path / "f.csv", api.persons)
        db = ["--db", str(settings.db_path)]
        assert cli.main(["api", str(source), "--departement", "2A", *db]) == 0
    out = capsys.readouterr().out
    assert "2 identité non certifiée, 2 homonymes, 1 en erreur" in out
    assert "Parcours    : france_travail" in out
    month = date.today().strftime("%Y-%m")
    assert cli.main(["indicators", "--departement", "2A", "--month", month, "--json", *db]) == 0
    result = json.loads(capsys.readouterr().out)
    keys = {
        "mobilite",
        "famille",
        "sante",
        "savoirs_de_base",
        "logement",
        "finances",
        "administratif",
    }
    assert set(result["contraintes"]["thematiques"]) == keys
    assert set(result["contraintes"]["par_parcours"]) >= {"professionnel"}
    statut = result["statut_de"]
    assert {"homonymes", "identite_non_certifiee", "non_trouve", "Inscrit"} <= set(statut)
