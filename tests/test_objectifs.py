"""pipelines/objectifs.py: the targets file and the national references are checked whole
on load, and a bad one is refused with a French message naming the file, the line and the
field (never half a file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines import objectifs, settings
from pipelines.errors import UsageError

GOOD = """\
"2A":
  - indicateur: orientes_30j_share
    sens: ">="
    valeur: 80 %
  - indicateur: delai_orientation_jours
    sens: "<="
    valeur: 30 jours
"""


def _write(tmp_path: Path, text: str, name: str = "objectifs.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_targets_are_read_in_the_indicators_unit(tmp_path) -> None:
    got = objectifs.objectifs_of("2A", _write(tmp_path, GOOD))
    assert got["orientes_30j_share"].valeur == pytest.approx(0.8)
    assert got["orientes_30j_share"].sens == "≥" and got["orientes_30j_share"].met(0.72) is False
    assert got["delai_orientation_jours"].valeur == 30
    assert got["delai_orientation_jours"].met(30) is True
    assert objectifs.objectifs_of("2B", _write(tmp_path, GOOD)) == {}


@pytest.mark.parametrize(
    ("broken", "line", "field", "said"),
    [
        (
            GOOD.replace("orientes_30j_share", "part_orientee_6_semaines"),
            2,
            "indicateur",
            "inconnu",
        ),
        (GOOD.replace("80 %", "quatre-vingts %"), 2, "valeur", "n'est pas un nombre"),
        (GOOD.replace("80 %", "0.8"), 2, "valeur", "pourcentage"),
        (GOOD.replace("30 jours", "30 %"), 5, "valeur", "ne convient pas"),
        (GOOD.replace('"<="', '"moins"'), 5, "sens", "« >= »"),
    ],
)
def test_a_bad_target_names_file_line_and_field(tmp_path, broken, line, field, said) -> None:
    path = _write(tmp_path, broken)
    with pytest.raises(UsageError) as error:
        objectifs.objectifs(path)
    message = str(error.value)
    assert f"{path}, ligne {line}, champ « {field} »" in message and said in message


def test_an_unknown_departement_is_refused_by_the_one_rule(tmp_path) -> None:
    path = _write(tmp_path, GOOD.replace('"2A"', '"2C"'))
    with pytest.raises(UsageError, match=r"département « 2C » inconnu : codes attendus"):
        objectifs.objectifs(path)


def test_the_shipped_files_are_valid_and_the_settings_can_point_elsewhere(
    tmp_path, monkeypatch
) -> None:
    assert objectifs.objectifs(settings.DEFAULT_OBJECTIFS)  # the demo's example
    keyed = [r for r in objectifs.references(settings.DEFAULT_REFERENCES) if r.indicateur]
    assert {r.indicateur for r in keyed} == {"part_orientes", "delai_moyen_orientation"}
    monkeypatch.setenv("PILOTAGE_OBJECTIFS", str(_write(tmp_path, GOOD)))
    assert set(objectifs.objectifs_of("2A")) == {"orientes_30j_share", "delai_orientation_jours"}
    monkeypatch.setenv("PILOTAGE_REFERENCES", str(_write(tmp_path, "references: []\n", "r.yaml")))
    with pytest.raises(UsageError, match="rubrique « references: »"):
        objectifs.references()


def test_a_reference_needs_its_source_and_date(tmp_path) -> None:
    text = """\
references:
  drees:
    libelle: Orientées
    valeur: 86 %
    source: DREES
    publication: OARSA 2023
    definition: Part des SDD orientées au 31/12.
    indicateur: part_orientes
"""
    path = _write(tmp_path, text, "references.yaml")
    with pytest.raises(UsageError, match=r"ligne 3, champ « date » : champ obligatoire"):
        objectifs.references(path)
    dated = text.replace("    definition", "    date: 31/12/2023\n    definition")
    path = _write(tmp_path, dated.replace("86 %", "86 jours"), "references.yaml")
    with pytest.raises(UsageError, match="ne convient pas à cet indicateur"):
        objectifs.references(path)
