"""One rule for a département code (`pipelines/nomenclatures/departement.csv`), the same at
every entry point: the command line's options, the settings, account creation and access
checks, and the load of every source. « 20 », « 96 », « 977 » never name a département;
« 2A » and « 976 » do."""

from __future__ import annotations

import argparse
import dataclasses
import io
from datetime import date
from pathlib import Path

import pytest

from pipelines import access, cli, loader, nomenclatures, territoires
from pipelines.errors import UsageError
from pipelines.readers.layout import available_layouts
from pipelines.settings import SAMPLE_DIR, Settings
from sample_data import generate
from sample_data import pecgm_xml as xml_sample
from sample_data.caf_flux import Foyer, Personne, fake_nir, write_flux
from tests.conftest import write_pecgm

REFUSED = ["20", "96", "977"]
ACCEPTED = ["2A", "976"]
PASSWORD = "un mot de passe assez long"
LAYOUT = available_layouts("pecgm")["001,0"]
TABULAR = {
    "cgpem": [SAMPLE_DIR / "cgpem" / "CGPEM_2A_202606.csv"],
    "lrsa": [SAMPLE_DIR / "lrsa" / "LRSA_2A_202507_inscriptions.csv"],
    "stock": [SAMPLE_DIR / "stock" / "REPRISE_STOCK_2A.csv"],
    "parcours": sorted((SAMPLE_DIR / "parcours").glob("PARCOURS_2A_*.csv")),
}


def test_the_nomenclature_lists_every_departement_and_nothing_else() -> None:
    expected = [f"{n:02d}" for n in range(1, 20)] + ["2A", "2B"]
    expected += [str(n) for n in range(21, 96)] + [str(n) for n in range(971, 977)]
    assert sorted(nomenclatures.departements()) == sorted(expected)
    assert all(nomenclatures.departements().values())  # every code has its name
    assert nomenclatures.departements()["2A"] == "Corse-du-Sud"


def _departement_options() -> list[tuple[str, object]]:
    """Every `--departement` option of every command and sub-command, with its parser."""
    found = []

    def walk(parser, name: str) -> None:
        for action in parser._actions:
            if "--departement" in action.option_strings:
                found.append((name, action))
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    walk(sub, f"{name} {sub_name}".strip())

    walk(cli.build_parser(), "")
    return found


def test_every_departement_option_of_the_command_line_reads_the_one_rule() -> None:
    options = _departement_options()
    assert {name for name, _ in options} >= {"load", "validate", "indicators", "users add"}
    for name, action in options:
        assert action.type is cli.departement, name


@pytest.mark.parametrize("code", REFUSED)
def test_the_command_line_refuses_a_departement_that_does_not_exist(code, capsys) -> None:
    for argv in (
        ["indicators", "--departement", code, "--month", "2026-10"],
        ["rapport", "--departement", code, "--month", "2026-10"],
        ["territoires", "--departement", code],
    ):
        with pytest.raises(SystemExit) as exit_:
            cli.main(argv)
        assert exit_.value.code == 2
        assert f"« {code} » inconnu : codes attendus 01 à 19, 2A" in capsys.readouterr().err


@pytest.mark.parametrize("code", REFUSED + ACCEPTED)
def test_users_add_on_the_command_line(code, settings, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    argv = ["users", "add", "carol", "--role", "comite", "--departement", code.lower()]
    if code in REFUSED:
        with pytest.raises(SystemExit) as exit_:
            cli.main(argv)
        assert exit_.value.code == 2 and "inconnu" in capsys.readouterr().err
        assert access.list_users(settings.db_path) == []
    else:
        assert cli.main(argv) == 0
        assert access.lookup(settings.db_path, "carol").departements == (code,)


@pytest.mark.parametrize("code", REFUSED + ACCEPTED)
def test_access_checks(code, settings) -> None:
    if code in REFUSED:
        with pytest.raises(UsageError, match="inconnu : codes attendus"):
            access.check_departements([code])
        with pytest.raises(UsageError):
            access.add_user(settings.db_path, "carol", PASSWORD, "comite", [code], by="test")
    else:
        assert access.check_departements([code.lower()]) == [code]
        access.add_user(settings.db_path, "carol", PASSWORD, "comite", [code], by="test")
        assert access.lookup(settings.db_path, "carol").departements == (code,)


@pytest.mark.parametrize("code", REFUSED + ACCEPTED)
def test_settings_default_departement(code, monkeypatch) -> None:
    monkeypatch.setenv("PILOTAGE_DEPARTEMENT", code)
    if code in REFUSED:
        with pytest.raises(UsageError, match=f"PILOTAGE_DEPARTEMENT : département « {code} »"):
            Settings.from_env()
    else:
        assert Settings.from_env().default_departement == code


@pytest.mark.parametrize("code", REFUSED + ACCEPTED)
@pytest.mark.parametrize("source", sorted(TABULAR))
def test_loads_of_files_without_a_departement(source, code, settings) -> None:
    files = TABULAR[source]
    path = files if len(files) > 1 else files[0]
    if code in REFUSED:
        with pytest.raises(UsageError, match=f"« {code} » inconnu"):
            loader.validate(source, path, settings, code)
        return
    report, con, _, _ = loader.validate(source, path, settings, code)
    con.close()
    assert report.departement == code and not report.blocking, report.check_messages()


def _stage(settings: Settings, source: str, path: Path):
    report, con, _, _ = loader.validate(source, path, settings)
    con.close()
    return report


def _people(code: str, ref: date) -> list:
    """A few synthetic people of the département, all in its first commune (the generator
    shapes only its first commune codes like INSEE codes for a three-digit département)."""
    people = list(generate.simulate(code, 1, 5, 7, ref))[-1][1]
    return [dataclasses.replace(p, commune=generate.communes(code)[0]) for p in people]


@pytest.mark.parametrize("code", REFUSED + ACCEPTED)
def test_pecgm_fixed_width_header(code, tmp_path, settings) -> None:
    ref = date(2026, 10, 31)
    lines = generate.pecgm_lines(LAYOUT, code, ref, _people(code, ref))
    path = write_pecgm(tmp_path / "pecgm.txt", lines)
    report = _stage(settings, "pecgm", path)
    if code in REFUSED:
        assert not report.loadable
        assert "champ DEPARTEMENT : code département invalide" in report.findings[0].message
    else:
        assert report.loadable and report.departement == code


@pytest.mark.parametrize("code", REFUSED + ACCEPTED)
def test_pecgm_xml_header(code, tmp_path, settings) -> None:
    ref = date(2026, 10, 31)
    records = [generate.detail_values(p, ref) for p in _people(code, ref)]
    path = xml_sample.write(
        tmp_path / "pecgm.xml", xml_sample.document(LAYOUT, code, ref, records, len(records))
    )
    report = _stage(settings, "pecgm", path)
    if code in REFUSED:
        assert not report.loadable
        assert "code département invalide" in report.findings[0].message
    else:
        assert report.loadable and report.departement == code


@pytest.mark.parametrize("code", REFUSED + ACCEPTED)
def test_caf_flux_ideparte(code, tmp_path, settings) -> None:
    foyers = [
        Foyer(f"9000000000{i:03d}", date(2020, 1, 1), personnes=[Personne(fake_nir(i), date(1990, 1, 1), "1")])
        for i in range(1, 4)
    ]  # fmt: skip
    path = write_flux(tmp_path / "flux.xml", code, date(2026, 5, 31), foyers)
    report = _stage(settings, "caf", path)
    if code in REFUSED:
        assert not report.loadable and report.departement is None
        assert any("aucun foyer ne porte un code département valide" in f.message for f in report.findings)  # fmt: skip
    else:
        assert report.loadable and report.departement == code


@pytest.mark.parametrize("code", REFUSED + ACCEPTED)
def test_territoires(code, tmp_path) -> None:
    path = tmp_path / "territoires.csv"
    commune = generate.communes(code)[0]
    path.write_text(f"code_commune;territoire\n{commune};Nord\n", encoding="utf-8")
    if code in REFUSED:
        with pytest.raises(UsageError, match=f"« {code} » inconnu"):
            territoires.read_file(path, code)
    else:
        assert territoires.read_file(path, code) == [(commune, "Nord")]
