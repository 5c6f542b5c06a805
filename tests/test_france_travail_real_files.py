"""What real files showed (issue « France Travail's partner APIs as they really are… »,
second part): each case built from the shape of a public file or of what départements
receive, as a synthetic fixture of our own (no real person)."""

from __future__ import annotations

import duckdb
import openpyxl

from pipelines import loader
from pipelines.cli import main
from pipelines.readers.encoding import inspect_file
from pipelines.readers.tabular import normalise_header, template
from pipelines.sources import pecgm_xml
from pipelines.validation.report import AVERTISSEMENT
from tests.conftest import GOLDEN

# The shape of analyse-flux-insertion's public test-cnaf.xml: an IdentificationFlux
# without DTREF (the e-mail and names it carries are not reproduced).
FLUX_SANS_DTREF = """<?xml version="1.0" encoding="UTF-8"?>
<Racine>
  <IdentificationFlux>
    <APPLIEME>NRA</APPLIEME>
    <NUMVERSIONAPPLIEME>0366</NUMVERSIONAPPLIEME>
    <TYPEFLUX>I</TYPEFLUX>
    <NATFLUX>I</NATFLUX>
    <DTCREAFLUX>2021-02-07</DTCREAFLUX>
    <HEUCREAFLUX>03:00:17.52</HEUCREAFLUX>
  </IdentificationFlux>
  <InfosFoyerRSA>
    <IdentificationRSA>
      <DemandeRSA>
        <DTDEMRSA>2021-02-06</DTDEMRSA>
      </DemandeRSA>
    </IdentificationRSA>
  </InfosFoyerRSA>
  <TransmissionFlux>
  </TransmissionFlux>
</Racine>
"""


def test_a_caf_flux_without_dtref_is_refused_naming_the_element(tmp_path, settings, capsys):
    path = tmp_path / "test-cnaf.xml"
    path.write_text(FLUX_SANS_DTREF, encoding="utf-8")
    code = main(
        ["validate", "caf", str(path), "--departement", "2A", "--db", str(settings.db_path)]
    )
    out = capsys.readouterr()
    assert code == 1
    assert "IdentificationFlux/DTREF : date de référence absente" in out.out
    assert "erreur interne" not in out.err + out.out and "BinderException" not in out.err


def test_real_header_spellings_are_recognised() -> None:
    """rdv-insertion and carnet-de-bord import files."""
    stock = {a for c in template("stock").columns for a in (c.name, *c.aliases)}
    parcours = template("parcours_personnes")

    def field_of(tpl, header: str) -> str | None:
        wanted = normalise_header(header)
        return next(
            (
                c.name
                for c in tpl.columns
                if wanted in {normalise_header(a) for a in (c.name, c.label, *c.aliases)}
            ),
            None,
        )

    assert stock  # the template reads
    for header in ("N° CAF", "N° Allocataire", "Numéro allocataire CAF/MSA"):
        assert field_of(template("stock"), header) == "numero_allocataire", header
        assert field_of(parcours, header) == "identifiant_rsa", header
    assert field_of(template("stock"), "DATE DEMANDE RSA") == "date_entree_rsa"
    assert field_of(template("stock"), "ROLE PERSONNE") == "statut"
    assert field_of(parcours, "DATE DEMANDE RSA") == "date_ouverture_droits"
    assert field_of(parcours, "DATE DEBUT DROITS - DEVOIRS") == "date_entree_dispositif"


def test_a_reprise_de_stock_without_names_loads(tmp_path, settings) -> None:
    """Nom and Prénom are never kept: an export without them is loaded; what the
    indicators need (NIR or numéro allocataire, dates, parcours) stays required."""
    path = tmp_path / "reprise.csv"
    path.write_text(
        "N° CAF;NIR;Date de naissance;DATE DEMANDE RSA;Type de parcours;Date d'orientation;ROLE PERSONNE\n"
        "FICTIF001;1850799912345;01/07/1985;05/01/2026;PSO;20/01/2026;DEMANDEUR\n"
        "FICTIF002;2900199912399;01/01/1990;06/01/2026;PED;21/01/2026;CONJOINT\n",
        encoding="utf-8",
    )
    outcome = loader.load("stock", path, settings, "2A")
    assert outcome.status == "loaded", outcome.message
    assert outcome.report.rows_rejected == 0 and outcome.rows_loaded == 2
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        kept = con.execute(
            "SELECT type_parcours, statut, CAST(date_entree_rsa AS VARCHAR), rsa_key IS NOT NULL "
            "FROM orientation ORDER BY line_no"
        ).fetchall()
    assert kept == [
        ("social", "DEMANDEUR", "2026-01-05", True),
        ("professionnel", "CONJOINT", "2026-01-06", True),
    ]
    missing = tmp_path / "sans_parcours.csv"
    missing.write_text(
        "NIR;Date de naissance;DATE DEMANDE RSA\n1850799912345;01/07/1985;05/01/2026\n"
    )
    refused = loader.load("stock", missing, settings, "2A")
    assert refused.status == "refused" and "Type de parcours" in refused.message


def test_a_partial_date_in_pecgm_xml_is_one_warning_and_an_unknown_date(tmp_path, settings):
    """« 2020 » and « 2020-05 » in date-dernier-ent: 2 of 5 dossiers, far above the 1 %
    threshold if they were line errors; they are loaded with the date unknown, reported
    once, never also as « date incomplète » or « date invalide »."""
    text = (GOLDEN / "pecgm_xml" / "utf8.xml").read_text(encoding="utf-8")
    text = text.replace(
        "<date-dernier-ent>2026-08-12</date-dernier-ent>",
        "<date-dernier-ent>2020</date-dernier-ent>",
        1,
    )
    text = text.replace(
        "<date-dernier-ent>2026-09-14</date-dernier-ent>",
        "<date-dernier-ent>2020-05</date-dernier-ent>",
        1,
    )
    path = tmp_path / "partielle.xml"
    path.write_text(text, encoding="utf-8")
    outcome = loader.load("pecgm", path, settings)
    assert outcome.status == "loaded", outcome.message
    report = outcome.report
    assert report.rows_rejected == 0
    partial = [f for f in report.findings if f.code == "date_partielle"]
    assert len(partial) == 1 and partial[0].severity == AVERTISSEMENT
    assert "dossier/ppae/date-dernier-ent : 2 dossier(s)" in partial[0].message
    failed = [c for c in report.checks if c.unexpected_count and "date" in c.description]
    assert failed == []
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        dates = con.execute(
            "SELECT date_dernier_contact FROM pecgm_stock ORDER BY line_no"
        ).fetchall()
    assert dates[0] == (None,) and dates[1] == (None,) and dates[2][0] is not None
    assert pecgm_xml.PARTIAL_DATE  # the one rule, in the XML reader


def test_eleven_character_france_travail_identifiers_are_one_rule_everywhere() -> None:
    from pipelines.validation.suite import load_suite

    rules = {}
    for source in ("pecgm", "cgpem", "lrsa", "parcours_personnes"):
        for e in load_suite(source).expectations:
            if e.column == "identifiant_pe" and e.type == "expect_column_values_to_match_regex":
                rules[source] = e.kwargs["regex"]
    assert set(rules) == {"pecgm", "cgpem", "lrsa", "parcours_personnes"}
    assert len(set(rules.values())) == 1
    import re

    rule = re.compile(next(iter(rules.values())))
    assert rule.match("9000123A") and rule.match("9000123A001") and rule.match("12345678900")
    assert not rule.match("9000123A01") and not rule.match("P9000123")


def test_debug_prints_the_trace_whatever_its_place(tmp_path, settings, capsys, monkeypatch):
    """`python -m pipelines --debug validate …`, as the top-level help shows it."""
    from pipelines import cli

    def broken(args):
        raise RuntimeError("panne simulée")

    monkeypatch.setitem(cli.COMMANDS, "validate", broken)
    path = tmp_path / "f.csv"
    path.write_text("x\n", encoding="utf-8")
    for argv in (
        ["--debug", "validate", "cgpem", str(path)],
        ["validate", "cgpem", str(path), "--debug"],
    ):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert "Traceback" in err and "panne simulée" in err, argv
    assert cli.main(["validate", "cgpem", str(path)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_an_xlsx_refused_early_is_not_called_windows_1252(tmp_path, settings, capsys) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Nom", "NIR"])
    book.active.append(["FICTIF", "1850799912345"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    assert "xlsx" in inspect_file(path).encoding and "1252" not in inspect_file(path).encoding
    for source in ("pecgm", "caf"):
        main(["validate", source, str(path), "--db", str(settings.db_path)])
        out = capsys.readouterr().out
        assert "Windows-1252" not in out and "classeur Excel" in out, source
