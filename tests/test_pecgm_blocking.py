"""Every blocking case: exit code 1, a message naming file/line/field, warehouse data unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.readers.layout import available_layouts
from sample_data.generate import set_field
from tests.conftest import pecgm_lines, table_rows, write_pecgm

LAYOUT = available_layouts("pecgm")["001,0"]


def _footer(lines, name, value):
    return [*lines[:-1], set_field(lines[-1], LAYOUT, "F", name, value)]


def _header(lines, name, value):
    return [set_field(lines[0], LAYOUT, "E", name, value), *lines[1:]]


def _bad_lines(lines, count):
    out = list(lines)
    for i in range(1, count + 1):
        out[i] = set_field(out[i], LAYOUT, "D", "date_debut_ide", "20261340")
    return out


CASES = {
    "empty": (lambda lines: [], "fichier vide"),
    "csv": (
        lambda lines: ["NIR;NOM;PRENOM;DATE", "1;EXEMPLE;ALEX;2020-01-01"],
        "n'est pas un fichier PECGM",
    ),
    "no_header": (lambda lines: lines[1:], "ligne 1 : en-tête absent"),
    "fichier_not_pecg": (lambda lines: _header(lines, "fichier", "CGPE"), "champ FICHIER"),
    "unknown_version": (
        lambda lines: _header(lines, "version", "002,0"),
        "champ VERSION : version de format inconnue",
    ),
    "bad_header_date": (
        lambda lines: _header(lines, "date_reference", "20261340"),
        "champ DATE DE REFERENCE",
    ),
    "cut_short": (
        lambda lines: lines[:-3],
        "fichier tronqué, l'enregistrement de fin (F) est absent",
    ),
    "footer_count": (
        lambda lines: _footer(lines, "nb_enregistrements", "41"),
        "le pied annonce 41 enregistrements détail, le fichier en contient 40",
    ),
    "footer_departement": (
        lambda lines: _footer(lines, "departement", "2B"),
        "champ DEPARTEMENT : le pied et l'en-tête",
    ),
    "footer_date": (
        lambda lines: _footer(lines, "date_reference", "20260930"),
        "champ DATE DE REFERENCE : le pied et l'en-tête",
    ),
    "double_header": (lambda lines: [lines[0], *lines], "ligne 2 : enregistrement « E » inattendu"),
    "too_many_line_errors": (lambda lines: _bad_lines(lines, 2), "au-delà du seuil de 1,00 %"),
}


@pytest.fixture
def loaded_before(settings, built_warehouses):
    """A warehouse holding one good month, to prove a refused file changes none of it
    (loaded by the command line once per run, copied for each test)."""

    def build(_, folder: Path) -> None:
        good = write_pecgm(folder / "PECGM_2A_202609.txt", pecgm_lines(month="2026-09"))
        assert main(["load", "pecgm", str(good)]) == 0

    built_warehouses("pecgm_2A_202609", build)
    return table_rows(settings, "pecgm_stock")


@pytest.mark.parametrize("case", sorted(CASES))
def test_blocking_case_refuses_and_changes_nothing(case, tmp_path, settings, loaded_before, capsys):
    mutate, expected = CASES[case]
    path = write_pecgm(tmp_path / f"PECGM_{case}.txt", mutate(pecgm_lines(month="2026-10")))
    if case == "empty":
        path.write_bytes(b"")
    refused_and_unchanged(path, expected, settings, loaded_before, capsys)


def refused_and_unchanged(path, expected: str, settings, loaded_before, capsys) -> str:
    """Load and validate both exit 1 with `expected` and the file's name in the output,
    the warehouse is unchanged and the journal says refused (both forms of PECGM use it).
    Returns the output, for further checks."""
    capsys.readouterr()
    assert main(["load", "pecgm", str(path)]) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    assert expected in text
    assert path.name in text
    assert table_rows(settings, "pecgm_stock") == loaded_before
    journal = table_rows(settings, "load_journal")
    assert [r[11] for r in journal] == ["loaded", "refused"]
    assert main(["validate", "pecgm", str(path)]) == 1
    return text


def test_departement_argument_must_match_header(tmp_path, settings, loaded_before, capsys):
    path = write_pecgm(tmp_path / "PECGM_2A.txt", pecgm_lines(month="2026-10"))
    assert main(["load", "pecgm", str(path), "--departement", "2B"]) == 1
    assert "pas du 2B demandé" in capsys.readouterr().out
    assert table_rows(settings, "pecgm_stock") == loaded_before


def test_line_errors_below_threshold_are_quarantined(tmp_path, settings, capsys):
    lines = pecgm_lines(persons=400, month="2026-10")
    n = len(lines) - 2
    lines[5] = set_field(lines[5], LAYOUT, "D", "motif_cessation_ide", "77")
    lines[9] = set_field(lines[9], LAYOUT, "D", "date_debut_ide", "20260231")
    path = write_pecgm(tmp_path / "PECGM_2A_202610.txt", lines)
    assert main(["load", "pecgm", str(path)]) == 0
    out = capsys.readouterr().out
    assert "PECGM_2A_202610.txt, ligne 6, champ MOTIF CESSATION IDE" in out
    assert "(valeurs : 77)" in out
    assert "PECGM_2A_202610.txt, ligne 10, champ DATE DEBUT IDE : date invalide" in out
    assert len(table_rows(settings, "pecgm_stock")) == n - 2
    quarantine = table_rows(settings, "quarantine")
    assert sorted((r[1], r[2]) for r in quarantine) == [
        (6, "MOTIF CESSATION IDE"),
        (10, "DATE DEBUT IDE"),
    ]


def test_warning_does_not_reject_the_line(tmp_path, settings):
    lines = pecgm_lines(persons=30, month="2026-10")
    lines[2] = set_field(lines[2], LAYOUT, "D", "motif_radiation", "77")
    lines[2] = set_field(lines[2], LAYOUT, "D", "date_radiation", "20261003")
    lines[2] = set_field(lines[2], LAYOUT, "D", "libelle_motif_radiation", "REFUS ACTION INSERTI")
    path = write_pecgm(tmp_path / "PECGM_2A_202610.txt", lines)
    assert main(["load", "pecgm", str(path)]) == 0
    rows = {r[4]: r for r in table_rows(settings, "pecgm_stock")}
    assert len(rows) == len(lines) - 2
    # unknown code, truncated file label recovered from the code list (one label starts that way)
    assert (
        rows[3][20] == "77"
        and rows[3][21] == "Refus action insertion, suspension de durée variable"
    )


def test_short_line_ending_inside_a_fixed_field_is_rejected(tmp_path, settings, capsys):
    lines = pecgm_lines(persons=200, month="2026-10")
    debut = LAYOUT.field("D", "date_debut_ide")
    lines[4] = lines[4][: debut.start + 3]
    path = write_pecgm(tmp_path / "PECGM_2A_202610.txt", lines)
    assert main(["validate", "pecgm", str(path)]) == 0
    out = capsys.readouterr().out
    assert "ligne 5, champ LONGUEUR DE LIGNE : ligne trop courte" in out
    assert "(valeurs : DATE DEBUT IDE)" in out


def test_partly_blank_fixed_field_is_rejected_not_trimmed(tmp_path, settings, capsys):
    """Fixed-width fields (codes, dates, identifiers) fill their width or are blank: a
    partly blank value is malformed, rejected by the exact checks, never silently fixed."""
    lines = pecgm_lines(persons=400, month="2026-10")
    lines[7] = set_field(lines[7], LAYOUT, "D", "code_commune_residence", "2A00 ")
    lines[8] = set_field(lines[8], LAYOUT, "D", "motif_cessation_ide", " 1")
    lines[11] = set_field(lines[11], LAYOUT, "D", "modalite", "   ")  # blank: NULL, accepted
    path = write_pecgm(tmp_path / "PECGM_2A_202610.txt", lines)
    assert main(["load", "pecgm", str(path)]) == 0
    quarantine = sorted((r[1], r[2]) for r in table_rows(settings, "quarantine"))
    assert quarantine == [(8, "CODE INSEE COMMUNE RESIDENCE"), (9, "MOTIF CESSATION IDE")]
    assert len(table_rows(settings, "pecgm_stock")) == len(lines) - 2 - 2
