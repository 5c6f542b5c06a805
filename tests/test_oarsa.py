"""The DREES return's surfaces: the organismes file (the `territoires` contract), the
`oarsa` command (a year without a December CAF flux says so), the xlsx read back by
LibreOffice headless, and the committee's masking of the grids."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines import oarsa, oarsa_export, organismes, warehouse
from pipelines.cli import main
from pipelines.errors import UsageError
from sample_data.caf_flux import Foyer, Personne, fake_nir, write_flux

SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"


@pytest.fixture
def warehouse_with_flux(tmp_path, settings) -> Path:
    """A warehouse holding a CAF flux of 31/12/2025: two households, one suspended."""
    from pipelines import loader

    foyers = [
        Foyer("880000001", date(2025, 3, 1), "2", personnes=[
            Personne(fake_nir(1), date(1990, 1, 1), "2", "DEM", True, "7000001X"),
            Personne(fake_nir(2), date(2015, 1, 1), "1", "ENF", False),
        ], sitfam="CEL"),
        Foyer("880000002", date(2020, 3, 1), "3", personnes=[
            Personne(fake_nir(3), date(1970, 1, 1), "1", "DEM", True, "7000003X"),
        ], sitfam="MAR"),
    ]  # fmt: skip
    path = write_flux(tmp_path / "RSABEM_2A_202512.xml", "2A", date(2025, 12, 31), foyers)
    assert loader.load("caf", path, settings, departement="2A").status == "loaded"
    return settings.db_path


# --- organismes ---------------------------------------------------------------------------


def test_organismes_file_in_windows_1252_with_commas_replaces_the_classification(
    warehouse_with_flux, tmp_path
) -> None:
    first = tmp_path / "a.csv"
    first.write_text("organisme;categorie\nCCAS Ajaccio;hors_spe_ccas_cias\n", encoding="utf-8")
    assert organismes.load_file(warehouse_with_flux, first, "2A") == 1
    second = tmp_path / "b.csv"
    second.write_text(
        "Organisme,Catégorie\nMission  locale,spe_mission_locale\nMISSION LOCALE,spe_mission_locale\n"
        "Réseau Création,spe_creation_entreprise\n",
        encoding="cp1252",
    )
    assert organismes.load_file(warehouse_with_flux, second, "2A") == 2
    con = warehouse.open_reader(warehouse_with_flux)
    assert organismes.classification(con, "2A") == [
        ("Réseau Création", "spe_creation_entreprise"),
        ("Mission locale", "spe_mission_locale"),
    ]
    # the warehouse's matching rule: case, accents and spaces ignored
    (key,) = con.execute("SELECT organisme_cle(' RESEAU  création ')").fetchone()
    assert (
        key
        == con.execute(
            "SELECT cle FROM organisme_categorie WHERE categorie = 'spe_creation_entreprise'"
        ).fetchone()[0]
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("organisme;categorie\nCCAS;hors_spe_ccas_cias\nPLIE;plie\n", "ligne 3, champ categorie"),
        ("organisme;categorie\n;hors_spe_ccas_cias\n", "ligne 2, champ organisme : vide"),
        (
            "nom;type\nCCAS;hors_spe_ccas_cias\n",
            "ligne 1 : en-tête attendu « organisme;categorie »",
        ),
        (
            "organisme;categorie\nCCAS;hors_spe_ccas_cias\nccas;hors_spe_autre\n",
            "ligne 3, champ organisme : organisme déjà classé dans une autre catégorie, ligne 2",
        ),
        ("organisme;categorie\nCCAS;non_classe\n", "ligne 2, champ categorie"),
    ],
)
def test_a_bad_organismes_file_is_refused_whole(warehouse_with_flux, tmp_path, text, message):
    good = tmp_path / "good.csv"
    good.write_text("organisme;categorie\nCAF;hors_spe_caf\n", encoding="utf-8")
    organismes.load_file(warehouse_with_flux, good, "2A")
    bad = tmp_path / "organismes.csv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as refused:
        organismes.load_file(warehouse_with_flux, bad, "2A")
    assert str(refused.value).startswith("organismes.csv") and message in str(refused.value)
    con = warehouse.open_reader(warehouse_with_flux)
    assert organismes.classification(con, "2A") == [("CAF", "hors_spe_caf")]  # untouched


# --- the command ------------------------------------------------------------------------


def test_a_year_without_a_december_flux_says_so_never_zeros(warehouse_with_flux, capsys):
    assert main(["oarsa", "--departement", "2A", "--annee", "2026", "--json"]) == 1
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["disponible"] is False
    assert all(result[t] is None for t in oarsa.TABLES)
    assert "Aucun flux CAF/MSA de décembre 2026" in captured.err
    assert main(["oarsa", "--departement", "2A", "--annee", "2026", "--xlsx", "x.xlsx"]) == 1
    assert not Path("x.xlsx").exists()


def test_the_population_rule_and_missing_contracts(warehouse_with_flux, capsys, monkeypatch):
    assert main(["oarsa", "--departement", "2A", "--annee", "2025"]) == 0
    drees = json.loads(capsys.readouterr().out)
    assert drees["regle_population"] == "drees" and drees["t1"]["sdd"] == 1
    assert drees["t1"]["par_situation_familiale"]["seul_avec_enfants"] == 1
    assert drees["t3"] == {
        "disponible": False,
        "message": "non disponible : aucune date de contrat chargée",
    }
    assert drees["t2"]["contrat"] == oarsa.NON_DISPONIBLE
    monkeypatch.setenv("PILOTAGE_OARSA_REGLE", "avec_suspendus")  # the département's setting
    assert main(["oarsa", "--departement", "2A", "--annee", "2025"]) == 0
    webrsa = json.loads(capsys.readouterr().out)
    assert webrsa["regle_population"] == "avec_suspendus" and webrsa["t1"]["sdd"] == 2


# --- the xlsx, read back by LibreOffice ------------------------------------------------------


@pytest.mark.skipif(not Path(SOFFICE).exists(), reason="LibreOffice absent : make libreoffice")
def test_the_xlsx_opens_in_libreoffice_with_the_six_tables(warehouse_with_flux, tmp_path):
    con = warehouse.open_reader(warehouse_with_flux)
    result = oarsa.compute(con, "2A", 2025)
    book = tmp_path / "oarsa.xlsx"
    book.write_bytes(oarsa_export.xlsx_bytes(result))
    out = tmp_path / "csv"
    # one CSV per sheet (the last token, -1), UTF-8 (76), comma-separated (44)
    subprocess.run(
        [SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
         "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
         "--outdir", str(out), str(book)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    sheets = {p.stem.removeprefix("oarsa-"): p for p in out.glob("*.csv")}
    assert set(sheets) == {*oarsa_export.SHEET_NAMES.values(), oarsa_export.DEFINITIONS_SHEET}
    for cle in oarsa.TABLES:
        rows = list(csv.reader(sheets[oarsa_export.SHEET_NAMES[cle]].open(encoding="utf-8")))
        tableau = oarsa.questionnaire()[cle]
        assert rows[0][0] == tableau.titre
        assert rows[3][1 : 1 + len(tableau.colonnes)] == [c.libelle for c in tableau.colonnes]
        if cle in ("t3", "t4"):
            assert rows[4][0].startswith("non disponible")
            continue
        total = rows[4]
        assert total[0] == "Effectif total"
        grille = oarsa_export.grille(result, cle)
        expected = [
            "" if v is None else str(round(v) if isinstance(v, float) else v)
            for v in grille.lignes[0].cellules
        ]
        assert total[1 : 1 + len(expected)] == expected
    t1 = list(csv.reader(sheets["Tableau 1"].open(encoding="utf-8")))
    assert t1[4][1] == str(result["t1"]["sdd"]) == "1"


def test_numbers_are_numbers_in_the_xlsx(warehouse_with_flux) -> None:
    import io

    from openpyxl import load_workbook

    con = warehouse.open_reader(warehouse_with_flux)
    book = load_workbook(io.BytesIO(oarsa_export.xlsx_bytes(oarsa.compute(con, "2A", 2025))))
    assert book.sheetnames[:6] == list(oarsa_export.SHEET_NAMES.values())
    assert book["Tableau 1"]["B5"].value == 1 and isinstance(book["Tableau 1"]["B5"].value, int)


# --- masking of the committee's view ----------------------------------------------------------


def test_the_committee_grid_is_masked_row_by_row() -> None:
    tableau = oarsa.questionnaire()["t6"]
    grille = oarsa_export.Grille(
        "t6", tableau.titre, tableau.colonnes,
        (oarsa_export.Ligne("ensemble", "Effectif total", (40, 4, 36)),),
    )  # fmt: skip
    masked = oarsa_export.masquer(grille, 11)
    assert masked.lignes[0].cellules == (40, None, None)  # 4 hidden, and the next smallest
    assert grille.lignes[0].cellules == (40, 4, 36)  # the return itself stays exact


def test_a_mean_is_hidden_when_it_averages_too_few_persons() -> None:
    tableau = oarsa.questionnaire()["t5"]
    cells = (120, 100, 60, 5, 31.4, 12.0)
    grille = oarsa_export.Grille(
        "t5",
        tableau.titre,
        tableau.colonnes,
        (oarsa_export.Ligne("ensemble", "Effectif total", cells),),
    )
    masked = oarsa_export.masquer(grille, 11).lignes[0].cellules
    assert masked[4] == 31.4 and masked[5] is None


def test_the_sql_key_of_an_organisme_ignores_case_accents_and_spaces() -> None:
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS wh")
    con.execute("USE wh")
    warehouse.migrate(con)
    keys = {con.execute("SELECT organisme_cle(?)", [n]).fetchone()[0] for n in (
        "Réseau d'appui", "RESEAU  D'APPUI", " reseau d'Appui ")}  # fmt: skip
    assert keys == {"reseaud'appui"}


@pytest.mark.skipif(not Path("/usr/bin/pdftotext").exists(), reason="poppler-utils absent")
def test_oarsa_pdf_prints_the_six_tables_exact(warehouse_with_flux, tmp_path, capsys):
    target = tmp_path / "oarsa.pdf"
    assert main(["oarsa", "--departement", "2A", "--annee", "2025", "--pdf", str(target)]) == 0
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", str(target), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    folded = " ".join(text.split())
    for tableau in oarsa.questionnaire().values():
        assert " ".join(tableau.titre.split()[:6]) in folded
    assert "Chiffres exacts" in folded and "non disponible" in folded


def test_the_tables_read_beside_the_reader_and_an_error_stops_them_all(
    warehouse_with_flux, monkeypatch
) -> None:
    """The six tables run two at a time on cursors of the caller's reader: each gets its
    own, the result is the sequential one, and a table's error reaches the caller with
    every cursor closed (none left running a query)."""
    con = warehouse.open_reader(warehouse_with_flux)
    regle = oarsa.regle_par_defaut()
    sequential = {cle: oarsa._run(con, cle, "2A", 2025, regle) for cle in oarsa.TABLES}
    used: list[duckdb.DuckDBPyConnection] = []
    run = oarsa._run

    def recorded(cursor, cle, *args):
        used.append(cursor)
        if cle == "t4" and fail:
            raise duckdb.InterruptException("essai")
        return run(cursor, cle, *args)

    monkeypatch.setattr(oarsa, "_run", recorded)
    fail = False
    assert oarsa._tables(con, "2A", 2025, regle) == sequential
    assert len({id(c) for c in used}) == len(oarsa.TABLES) and con not in used
    used.clear()
    fail = True
    with pytest.raises(duckdb.InterruptException):
        oarsa._tables(con, "2A", 2025, regle)
    for cursor in used:
        with pytest.raises(duckdb.ConnectionException):
            cursor.execute("SELECT 1")
    assert con.execute("SELECT count(*) FROM caf_beneficiaire").fetchone()[0] > 0
