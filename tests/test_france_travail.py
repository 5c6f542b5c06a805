"""The France Travail collection against a local stand-in of the APIs (tests/ft_standin.py,
127.0.0.1 only): token, the three resources, 401, 429 with Retry-After, 5xx, slow
answers, unknown persons, resume, the journal, the indicators, and a scan of everything
produced for personal values, identifiers, tokens and the secret."""

from __future__ import annotations

import json
import logging
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines import cli, indicators, loader, warehouse
from pipelines.francetravail import client as ft_client
from pipelines.francetravail import collecte
from pipelines.settings import FranceTravailSettings, Settings
from tests.ft_standin import CLIENT_SECRET, THEMATIQUES, StandIn

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


def rows(settings: Settings, sql: str, params=()) -> list[tuple]:
    con = warehouse.open_reader(settings.db_path)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def expected_profile(api: StandIn, nir13: str, birth: str):
    return api.people.get((collecte.nir_complet(nir13), birth))


def test_collection_keeps_status_codes_and_constraints(api, settings, tmp_path) -> None:
    source = write_input(tmp_path / "stock.csv", api.persons)
    outcome = collecte.collect(source, settings, ft(), "2A", today=DAY)
    assert outcome.status == "loaded", outcome.message
    summary = outcome.report.collecte
    assert (summary["trouvees"], summary["non_trouvees"], summary["erreurs"]) == (30, 6, 0)
    assert summary["par_code_retour"] == {"S001": 30, "S002": 6}
    assert api.bad_requests == []  # 15-character NIR, ISO date
    assert set(api.per_person.values()) == {1}
    # Identifiers hold '#', '/' and '+': every found person's status and constraints came
    # back, which only happens when they are URL-encoded.
    assert api.calls["statut"] == api.calls["contraintes"] == 30
    key = collecte.pseudonymise.load_or_create_key(settings.key_file)
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
        s = profile.statut
        assert got == [
            (
                "S001",
                s["statutDE"],
                s["categInscriptionCode"],
                s["dateEffetStatut"],
                s["motifClotureCode"],
            )
        ]
        oui = {
            t["code"]: any(c["valeur"] == "OUI" for c in t["contraintes"])
            for t in profile.contraintes
        }
        kept = dict(
            rows(
                settings,
                "SELECT thematique, contrainte FROM ft_contrainte WHERE person_key = ?",
                [person],
            )
        )
        assert kept == oui
    journal = rows(
        settings, "SELECT source, status, departement, month, rows_loaded FROM load_journal"
    )
    assert journal == [("statut", "loaded", "2A", "2026-10", 36)]
    assert dict(rows(settings, "SELECT code, libelle FROM ft_thematique")) == THEMATIQUES


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
    source = write_input(tmp_path / "f.csv", api.persons[:12])  # 12 + 10 + 10 calls
    started = time.monotonic()
    outcome = collecte.collect(source, settings, ft(rate=40.0), "2A", today=DAY)
    assert outcome.status == "loaded"
    calls = api.calls["recherche"] + api.calls["statut"] + api.calls["contraintes"]
    assert time.monotonic() - started >= (calls - 1) / 40.0


def test_token_is_renewed_before_expiry_and_after_a_401(api, settings, tmp_path) -> None:
    api.behaviour.expires_in = 31  # renewed 30 s before expiry: after about one second
    api.behaviour.delay = 0.1
    source = write_input(tmp_path / "f.csv", api.persons)
    outcome = collecte.collect(source, settings, ft(concurrency=4), "2A", today=DAY)
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


def test_a_resource_outside_the_scopes_is_reported(api, settings, tmp_path) -> None:
    api.behaviour.forbidden = {"contraintes"}
    source = write_input(tmp_path / "f.csv", api.persons)
    outcome = collecte.collect(source, settings, ft(), "2A", today=DAY)
    assert outcome.report.collecte["par_code_retour"] == {"S002": 6, "http_403": 30}
    assert "PILOTAGE_FT_SCOPE" in outcome.message
    assert rows(settings, "SELECT count(*) FROM ft_statut WHERE code_retour = 'S001'") == [(0,)]


def test_429_waits_for_retry_after(api, settings, tmp_path) -> None:
    api.behaviour.throttle, api.behaviour.retry_after = 5, "1"
    source = write_input(tmp_path / "f.csv", api.persons[:10])
    started = time.monotonic()
    outcome = collecte.collect(source, settings, ft(), "2A", today=DAY)
    assert time.monotonic() - started >= 1.0
    assert outcome.status == "loaded" and outcome.report.collecte["erreurs"] == 0
    assert outcome.report.collecte["reponses_429"] == 5


def test_5xx_backs_off_then_succeeds_or_counts_the_error(api, settings, tmp_path) -> None:
    api.behaviour.fail = 6
    source = write_input(tmp_path / "f.csv", api.persons[:10])
    outcome = collecte.collect(source, settings, ft(), "2A", today=DAY)
    assert outcome.status == "loaded" and outcome.report.collecte["reponses_5xx"] == 6
    assert outcome.report.collecte["erreurs"] == 0
    api.behaviour.fail = 10**6  # down for good: bounded attempts, nothing loaded
    outcome = collecte.collect(source, settings, ft(max_attempts=2), "2A", today=DAY + timedelta(1))
    assert outcome.status == "failed"
    assert outcome.report.collecte["par_code_retour"] == {"http_503": 10}
    assert rows(
        settings, "SELECT count(*) FROM ft_statut WHERE date_collecte = ?", [DAY + timedelta(1)]
    ) == [(0,)]


def test_slow_answers_time_out_and_only_those_persons_are_asked_again(
    api, settings, tmp_path
) -> None:
    slow = [p.identifiant for p in list(api.people.values())[:3]]
    api.behaviour.slow, api.behaviour.slow_delay = set(slow), 1.5
    source = write_input(tmp_path / "f.csv", api.persons)
    outcome = collecte.collect(source, settings, ft(timeout=0.5, max_attempts=2), "2A", today=DAY)
    assert outcome.status == "loaded"
    assert outcome.report.collecte["par_code_retour"]["delai_depasse"] == 3
    assert outcome.report.collecte["delais_depasses"] >= 6
    api.behaviour.slow = set()
    before = dict(api.per_person)
    again = collecte.collect(source, settings, ft(), "2A", today=DAY)
    assert again.report.collecte["deja_collectees"] == 33
    asked = {nir for nir, n in api.per_person.items() if n > before.get(nir, 0)}
    assert len(asked) == 3 and again.report.collecte["trouvees"] == 3
    assert rows(settings, "SELECT count(DISTINCT person_key) FROM ft_statut") == [(36,)]


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
    statuts = {}
    for p in profiles:
        code = p.statut["statutDE"] if p else "non_trouve"
        statuts[code] = statuts.get(code, 0) + 1
    assert november["statut_de"] == statuts
    categories = {}
    for p in profiles:
        if p and p.statut["statutDE"] == "Inscrit":
            c = p.statut["categInscriptionCode"]
            categories[c] = categories.get(c, 0) + 1
    assert november["categorie_api"] == categories

    parcours = {
        "05": "professionnel",
        "06": "socio_professionnel",
        "01": "social",
        "02": "professionnel",
    }
    expected: dict[str, dict[str, int]] = {}
    for p, nature in zip(profiles, natures, strict=True):
        if p is None:
            continue
        for group in ("ensemble", parcours[nature]):
            counts = expected.setdefault(group, {"personnes": 0})
            counts["personnes"] += 1
            for t in p.contraintes:
                oui = any(c["valeur"] == "OUI" for c in t["contraintes"])
                counts[t["code"]] = counts.get(t["code"], 0) + oui
    got = november["contraintes"]
    assert {"personnes": got["personnes"], **got["thematiques"]} == expected.pop("ensemble")
    assert {
        k: {"personnes": v["personnes"], **v["thematiques"]} for k, v in got["par_parcours"].items()
    } == expected

    ft_oriented = [p for p, n in zip(profiles, natures, strict=True) if n in ("05", "06")]
    registered = sum(1 for p in ft_oriented if p and p.statut["statutDE"] == "Inscrit")
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


def test_nothing_personal_secret_or_identifying_anywhere(
    api, settings, tmp_path, capsys, caplog, monkeypatch
) -> None:
    """NIRs (13 and 15 characters), birth dates, encrypted identifiers, tokens, the secret and
    the advisers' names: none in the warehouse file, its tables, the reports, the resume
    state, the command's output or the logs, whatever happened during the run."""
    caplog.set_level(logging.DEBUG)
    api.behaviour.throttle, api.behaviour.fail, api.behaviour.revoke_after = 3, 3, 20
    api.behaviour.slow, api.behaviour.slow_delay = {next(iter(api.by_id))}, 1.2
    monkeypatch.setenv("PILOTAGE_FT_DELAI", "0.4")
    monkeypatch.setenv("PILOTAGE_FT_TENTATIVES", "2")
    source = write_input(tmp_path / "f.csv", api.persons)
    code = cli.main(["api", str(source), "--departement", "2A", "--db", str(settings.db_path)])
    assert code == 0
    out = capsys.readouterr()
    forbidden = {CLIENT_SECRET, "Conseiller Fictif", *api.tokens, *api.by_id}
    for nir, birth in api.persons:
        y, m, d = birth.split("-")
        forbidden |= {nir, collecte.nir_complet(nir), birth, f"{d}/{m}/{y}"}
    forbidden |= {i.split("/")[0] for i in api.by_id}  # the identifier's parts too
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
    one = {"code": "23", "libelle": "Mobilité", "contraintes": [{"valeur": "oui"}]}
    assert collecte.kept_contraintes([one]) == ({"23": True}, {"23": "Mobilité"})
    both = [one, {"code": "27", "contraintes": [{"valeur": "NON"}]}, {"libelle": "sans code"}]
    assert collecte.kept_contraintes(both)[0] == {"23": True, "27": False}
    assert (
        json.dumps(collecte.kept_statut({"statutDE": "Inscrit", "idNat": "x#y"})).count("x#y") == 0
    )
