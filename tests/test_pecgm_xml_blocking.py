"""Every blocking case of the XML form: exit code 1, a message naming the file (and the line
or element where known) but never a value, the warehouse unchanged, a refused journal row.
Plus the shape of the public test file of the flux, and the parser's safety."""

from __future__ import annotations

import gzip
import re

import pytest

from pipelines import loader
from pipelines.cli import main
from pipelines.readers.layout import available_layouts
from sample_data import generate
from sample_data import pecgm_xml as xml_writer
from tests.conftest import table_rows
from tests.test_pecgm_blocking import loaded_before as loaded_before_fixture
from tests.test_pecgm_blocking import refused_and_unchanged

LAYOUT = available_layouts("pecgm")["001,0"]
loaded_before = loaded_before_fixture  # the same good month, loaded as fixed width


def xml_text(persons: int = 40, month: str = "2026-10") -> str:
    year, m = map(int, month.split("-"))
    ref = generate.month_end(year, m)
    _, people = list(generate.simulate("2A", 1, persons, 7, ref))[-1]
    records = [generate.detail_values(p, ref) for p in people]
    return "".join(xml_writer.document(LAYOUT, "2A", ref, records, len(records)))


def _sub(pattern: str, repl: str, count: int = 1):
    return lambda t: re.sub(pattern, repl, t, count=count, flags=re.S)


def _case(pattern: str, repl: str, message: str) -> tuple:
    """A blocking case made by one substitution in the good file: (mutation, message)."""
    return _sub(pattern, repl), message


def _cut(text: str) -> str:
    return text[: len(text) // 2]


def _bad_dates(text: str) -> str:
    return re.sub(
        r"<date-debut-ide>[^<]*</date-debut-ide>",
        "<date-debut-ide>2020-02-30</date-debut-ide>",  # a year alone is a warning only
        text,
        count=3,
    )


CASES = {
    "not_well_formed": (_sub(r"</nir>", "</nom>"), "XML mal formé ou fichier tronqué (ligne"),
    "cut_short": (_cut, "XML mal formé ou fichier tronqué (ligne"),
    "root": (
        lambda t: t.replace("fichier-PE-CG>", "fichier-CAF>"),
        "ligne 1 : élément racine « fichier-PE-CG » attendu",
    ),
    "no_entete": (_sub(r"<entete>.*?</entete>\n", ""), "en-tête absent (élément « entete »"),
    "no_fin": (
        _sub(r"<fin>.*?</fin>\n", ""),
        "fichier tronqué, l'élément de fin « fin » est absent",
    ),
    "fichier_not_pecg": (
        lambda t: t.replace("<fichier>PECG</fichier>", "<fichier>CGPE</fichier>"),
        "ligne 4, élément entete/fichier : « PECG » attendu",
    ),
    "unknown_version": (
        lambda t: t.replace("<version>001,0</version>", "<version>002,0</version>"),
        "champ VERSION : version de format inconnue (versions connues : 001,0)",
    ),
    "fin_departement": _case(
        r"(<fin>\s*<departement>)2A",
        r"\g<1>2B",
        "élément fin/departement : la fin et l'en-tête ne portent pas le même département",
    ),
    "fin_date": _case(
        r"(<fin>.*?<date-reference>)2026-10-31",
        r"\g<1>2026-09-30",
        "élément fin/date-reference : la fin et l'en-tête ne portent pas le même mois",
    ),
    "nb_dossiers": _case(
        r"<nb-dossiers>\d+</nb-dossiers>",
        "<nb-dossiers>0000041</nb-dossiers>",
        "élément fin/nb-dossiers : la fin annonce 41 dossiers, le fichier en contient 40",
    ),
    "entities": (
        lambda t: t.replace(
            "<fichier-PE-CG>",
            '<!DOCTYPE fichier-PE-CG [<!ENTITY x SYSTEM "file:///etc/hostname">]>\n<fichier-PE-CG>',
        ),
        "le document déclare des entités",
    ),
    "too_many_line_errors": (_bad_dates, "au-delà du seuil de 1,00 %"),
    "dossier_after_fin": _case(
        r"(</fin>\n)",
        r"\g<1>  <dossier>\n  </dossier>\n",
        "élément fin : 1 dossier(s) après la fin",
    ),
    "double_entete": _case(
        r"(<entete>.*?</entete>\n)", r"\g<1>\g<1>", "élément entete : en-tête en double"
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_blocking_case_refuses_and_changes_nothing(case, tmp_path, settings, loaded_before, capsys):
    mutate, expected = CASES[case]
    path = tmp_path / f"PECGM_{case}.xml"
    path.write_bytes(mutate(xml_text()).encode("latin-1"))
    text = refused_and_unchanged(path, expected, settings, loaded_before, capsys)
    assert not re.search(r"\d{13}|\d{7}[A-Z]", text)  # no NIR, no identifiant PE


def test_cut_gzip_is_refused(tmp_path, settings, capsys) -> None:
    path = tmp_path / "PECGM_2A_202610.xml.gz"
    data = gzip.compress(xml_text(persons=600).encode("latin-1"))
    path.write_bytes(data[: len(data) // 2])
    assert main(["load", "pecgm", str(path)]) == 1
    assert "PECGM_2A_202610.xml.gz : archive gzip tronquée ou illisible" in capsys.readouterr().out
    assert table_rows(settings, "pecgm_stock") == []


def test_departement_argument_must_match_header(tmp_path, settings, capsys) -> None:
    path = tmp_path / "PECGM.xml"
    path.write_bytes(xml_text().encode("latin-1"))
    assert main(["load", "pecgm", str(path), "--departement", "2B"]) == 1
    assert (
        "élément entete/departement : le fichier est celui du département 2A, pas du 2B"
        in capsys.readouterr().out
    )


def test_bare_external_doctype_is_ignored_never_fetched(tmp_path, settings) -> None:
    path = tmp_path / "PECGM.xml"
    text = xml_text().replace(
        "<fichier-PE-CG>",
        '<!DOCTYPE fichier-PE-CG SYSTEM "http://127.0.0.1:9/pecgm.dtd">\n<fichier-PE-CG>',
    )
    path.write_bytes(text.encode("latin-1"))
    outcome = loader.load("pecgm", path, settings)
    assert outcome.status == "loaded", outcome.message


def test_billion_laughs_is_refused_without_expansion(tmp_path, settings) -> None:
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 9))
    text = (
        xml_text(persons=4)
        .replace(
            "<fichier-PE-CG>",
            f'<!DOCTYPE fichier-PE-CG [<!ENTITY l0 "lol">{lol}]>\n<fichier-PE-CG>',
        )
        .replace("<nom-naissance>", "<nom-naissance>&l8;", 1)
    )
    path = tmp_path / "PECGM.xml"
    path.write_bytes(text.encode("latin-1"))
    outcome = loader.load("pecgm", path, settings)
    assert outcome.status == "refused"
    assert "déclare des entités" in outcome.message


# The public test file of the flux, in shape: header, an empty dossier, dossiers holding
# only a <ppae> group, `2020` as a date, an empty date, footer counting every dossier.
PUBLIC_SHAPE = """<?xml version="1.0" encoding="ISO-8859-1"?>
<fichier-PE-CG>
  <entete>
    <fichier>PECG</fichier>
    <periodicite>M</periodicite>
    <departement>06</departement>
    <date-reference>2021-01-01</date-reference>
    <date-fabrication>2021-01-15</date-fabrication>
    <version>001,0</version>
  </entete>
  <dossier>
  </dossier>
  <dossier>
    <ppae>
      <date-signature>2010-03-02</date-signature>
      <date-dernier-ent>2020-12-01</date-dernier-ent>
    </ppae>
  </dossier>
  <dossier>
    <ppae>
      <date-signature>2013-06-20</date-signature>
      <date-dernier-ent>2020</date-dernier-ent>
    </ppae>
  </dossier>
  <dossier>
    <ppae>
      <date-signature>2012-10-08</date-signature>
      <date-dernier-ent></date-dernier-ent>
    </ppae>
  </dossier>
  <fin>
    <departement>06</departement>
    <date-reference>2021-01-01</date-reference>
    <nb-dossiers>0000004</nb-dossiers>
  </fin>
</fichier-PE-CG>
"""


def test_public_test_file_shape_gets_the_right_messages(tmp_path, settings, capsys) -> None:
    path = tmp_path / "test-pe.xml"
    path.write_bytes(PUBLIC_SHAPE.encode("latin-1"))
    assert main(["validate", "auto", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Département  : 06    Mois : 2021-01" in out
    assert "fin" not in " ".join(
        line
        for line in out.splitlines()
        if line.startswith("BLOQUANT : test-pe.xml :") and "seuil" not in line
    )
    assert (
        "test-pe.xml, dossier 1 (ligne 11), champ ENREGISTREMENT DETAIL / DOSSIER : enregistrement vide"
        in out
    )
    assert (
        "test-pe.xml, dossiers 1 (ligne 11), 2 (ligne 13), 3 (ligne 19), 4 (ligne 25), "
        "champ NIR / IDENTIFIANT INDIVIDU PE : ni NIR ni identifiant France Travail" in out
    )
    assert (  # a year alone: a warning on that field, the date unknown (not a line error)
        "test-pe.xml, élément dossier/ppae/date-dernier-ent : 1 dossier(s) avec une date "
        "partielle" in out
    )
    assert "DATE DU DERNIER CONTACT : date" not in out
    assert (
        "4 dossiers en erreur sur 4" in out
    )  # nb-dossiers counts the empty dossier: no count error
    assert "2020" not in out.replace("2020-", "")


def test_a_date_written_ssaammjj_in_xml_is_read(tmp_path, settings) -> None:
    text = re.sub(
        r"<date-debut-ide>(\d{4})-(\d{2})-(\d{2})</date-debut-ide>",
        r"<date-debut-ide>\1\2\3</date-debut-ide>",
        xml_text(persons=30),
    )
    path = tmp_path / "PECGM.xml"
    path.write_bytes(text.encode("latin-1"))
    outcome = loader.load("pecgm", path, settings)
    assert outcome.status == "loaded" and outcome.report.rows_rejected == 0
