"""The defects an outside security audit found, one test (or a few) per finding, each at the
mechanism that let it through: messages built from file cells, drift shown across
départements, a person's name kept as an organisation, formulas in exports, world-readable
files, a cut archive, a workbook judged by its name, future dates, unchecked arguments."""

from __future__ import annotations

import errno
import gzip
import re
import stat
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines import access, export, loader, pseudonymise
from pipelines.cli import main
from pipelines.errors import NotAuthorised, UsageError
from pipelines.readers.layout import available_layouts
from pipelines.readers.tabular import template
from pipelines.settings import LAYOUTS_DIR, REPO_DIR
from pipelines.sources.pecgm import SOURCE as PECGM
from pipelines.validation.suite import load_suite
from sample_data.generate import set_field
from tests.conftest import pecgm_lines, write_pecgm

LAYOUT = available_layouts("pecgm")["001,0"]
CGPEM_HEADER = (
    "NIR;NOM DE NAISSANCE;PRENOM;DATE DE NAISSANCE;NATURE DE L'ACCOMPAGNEMENT;"
    "DATE DE LA DECISION D'ORIENTATION"
)
# Synthetic NIR (département 99, country 999xx), built from parts.
NIR = "1" + "8507" + "99" + "912345"


def _cgpem_row(
    nom: str = "ZORGLUBIENNE", prenom: str = "PERSONNAFICTA", nature: str = "06", nir: str = NIR
) -> str:
    return f"{nir};{nom};{prenom};17/07/1985;{nature};03/02/2026"


def _validate(tmp_path, name: str, text: str, *extra: str, capsys) -> tuple[int, str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code = main(["validate", *extra, str(path)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# --- 1. a file without a header row ----------------------------------------------------


def test_a_headerless_file_is_refused_without_echoing_its_first_row(tmp_path, capsys) -> None:
    text = _cgpem_row() + "\n" + _cgpem_row("QWERTYAZERTY", "FICTIVANA") + "\n"
    code, out = _validate(
        tmp_path, "sans_entete.csv", text, "cgpem", "--departement", "2A", capsys=capsys
    )
    assert code == 1
    assert "ligne d'en-tête absente" in out
    for value in (NIR, "ZORGLUBIENNE", "PERSONNAFICTA", "17/07/1985"):
        assert value not in out
    report = next((tmp_path / "wh" / "rapports").glob("controle_*")) / "rapport.html"
    assert "ZORGLUBIENNE" not in report.read_text(encoding="utf-8")


def test_unknown_columns_that_look_like_data_are_named_by_position_and_shape(
    tmp_path, capsys
) -> None:
    """A header row holding a value (here a NIR, then a name next to it) shows no cell."""
    header = CGPEM_HEADER + f";{NIR};ZORGLUBIENNE"
    text = header + "\n" + _cgpem_row() + ";x;y\n"
    code, out = _validate(tmp_path, "d.csv", text, "cgpem", "--departement", "2A", capsys=capsys)
    assert "colonne 7 : 13 chiffres" in out and "colonne 8 : texte de 12 caractères" in out
    assert NIR not in out and "ZORGLUBIENNE" not in out
    # A plain header row still names its unknown columns, which helps whoever sent it.
    code, out = _validate(
        tmp_path, "e.csv", CGPEM_HEADER + ";Commentaire\n" + _cgpem_row() + ";x\n",
        "cgpem", "--departement", "2A", capsys=capsys,
    )  # fmt: skip
    assert code == 0 and "« Commentaire »" in out


@pytest.mark.parametrize(
    ("cell", "shape"),
    [
        ("12", "2 chiffres"),
        ("17/07/1985", "date"),
        ("alex@exemple.invalid", "adresse électronique de 20 caractères"),
        ("A" * 61, "texte de 61 caractères"),
        ("N° 123456", "texte de 9 caractères, chiffres compris"),
    ],
)
def test_one_cell_that_looks_like_data_hides_every_unknown_header(cell, shape) -> None:
    from pipelines.readers.tabular import match_columns

    matching = match_columns(["NIR", "Nom", cell, "ZORGLUB"], template("cgpem"), {})
    assert matching.ignored == [f"colonne 3 : {shape}", "colonne 4 : texte de 7 caractères"]


def test_unexpected_values_are_listed_only_when_they_look_like_codes(tmp_path, capsys) -> None:
    text = (
        CGPEM_HEADER
        + "\n"
        + _cgpem_row(nature="ZORGLUBIENNE")
        + "\n"
        + _cgpem_row(nature="7")
        + "\n"
    )
    code, out = _validate(tmp_path, "n.csv", text, "cgpem", "--departement", "2A", capsys=capsys)
    assert code == 1  # line errors beyond the threshold
    assert "ZORGLUBIENNE" not in out
    assert re.search(r"valeurs : 07\)", out)  # a code the list lacks is still shown


def test_a_headerless_territoire_file_is_refused_without_its_values(tmp_path) -> None:
    from pipelines import territoires

    path = tmp_path / "t.csv"
    path.write_text("2A004;Zorglub-Nord\n2A017;Zorglub-Sud\n", encoding="utf-8")
    with pytest.raises(UsageError, match="ligne d'en-tête absente") as error:
        territoires.read_file(path, "2A")
    assert "Zorglub" not in str(error.value) and "2A004" not in str(error.value)


# --- 3. drift of another département's file ---------------------------------------------


def test_a_file_of_a_departement_not_granted_is_refused_before_any_drift(
    tmp_path, settings
) -> None:
    previous = write_pecgm(tmp_path / "p9.txt", pecgm_lines(month="2026-09", departement="2B"))
    assert main(["load", "pecgm", str(previous)]) == 0
    other = write_pecgm(tmp_path / "p10.txt", pecgm_lines(month="2026-10", departement="2B"))
    with pytest.raises(NotAuthorised, match="département 2B"):
        loader.validate("pecgm", other, settings, authorise=lambda d: d == "2A")
    with pytest.raises(NotAuthorised):
        loader.load("pecgm", other, settings, authorise=lambda d: d == "2A")
    report, con, _, _ = loader.validate("pecgm", other, settings, authorise=lambda d: d == "2B")
    con.close()
    assert report.drift  # the same check, for a user of 2B, does compare


def test_chargement_page_shows_no_figure_of_a_departement_not_granted(settings) -> None:
    from tests.test_app import _arrival, _chargement

    previous = write_pecgm(
        settings.db_path.parent.parent / "p9.txt", pecgm_lines(month="2026-09", departement="2B")
    )
    assert main(["load", "pecgm", str(previous)]) == 0
    lines = pecgm_lines(month="2026-10", departement="2B", persons=5)
    at = _chargement(settings, {"PECGM_2B_202610.txt": "\r\n".join(lines) + "\r\n"})
    at.multiselect[0].select(_arrival(settings, "PECGM_2B_202610.txt")).run()
    assert not at.exception, at.exception
    shown = " ".join(
        str(e.value)
        for kind in ("error", "warning", "success", "metric", "markdown")
        for e in getattr(at, kind)
    )
    assert "pas habilité" in shown
    assert "enregistrement" not in shown
    assert not at.metric and not at.dataframe
    rows = access.audit_rows(settings.db_path)
    assert any(r[3] == "acces_refuse" for r in rows)


# --- 5. a referent's name ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "mapping", "kept"),
    [
        ("Référent", None, False),
        ("Nom du référent", None, False),
        ("Référent", "Référent: organisme_referent\n", False),  # personal wins over a mapping
        ("Organisme référent", None, True),
        ("Structure", None, True),
    ],
)
def test_a_column_naming_a_person_is_never_kept(tmp_path, settings, header, mapping, kept) -> None:
    path = tmp_path / "decisions.csv"
    path.write_text(
        f"{CGPEM_HEADER};{header}\n{_cgpem_row()};MISSION LOCALE ZORGLUB\n", encoding="utf-8"
    )
    args = ["load", "cgpem", str(path), "--departement", "2A"]
    if mapping:
        (tmp_path / "m.yaml").write_text(mapping, encoding="utf-8")
        args += ["--mapping", str(tmp_path / "m.yaml")]
    assert main(args) == 0
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        values = con.execute("SELECT organisme_referent FROM orientation").fetchall()
    assert values == [("MISSION LOCALE ZORGLUB" if kept else None,)]
    if not kept:
        assert b"ZORGLUB" not in settings.db_path.read_bytes()


def test_the_cgpem_template_keeps_no_person_header_as_organisation() -> None:
    organisation = template("cgpem").column("organisme_referent").spellings
    personal = template("cgpem").column("referent").spellings
    assert "referent" in personal and "referent" not in organisation
    assert not organisation & personal


# --- 6. formulas in exports --------------------------------------------------------------


@pytest.mark.parametrize("value", ["=1+1", "+33", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_export_neutralises_formula_starts(value) -> None:
    assert export.neutralise(value) == "'" + value
    frame = pd.DataFrame({"libellé": [value], "n": [-3]})
    text = export.csv_bytes(frame).decode("utf-8-sig")
    assert f"'{value}" in text and ";-3" in text  # numbers stay numbers
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(export.xlsx_bytes(frame))).worksheets[0]
    assert sheet["A2"].value == "'" + value and sheet["A2"].data_type == "s"


def test_indicators_csv_neutralises_a_territoire_label(tmp_path, settings, capsys) -> None:
    main(["load", "pecgm", str(write_pecgm(tmp_path / "f.txt", pecgm_lines()))])
    mapping = tmp_path / "t.csv"
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        communes = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT code_commune_residence FROM pecgm_stock "
                "WHERE code_commune_residence LIKE '2A%'"
            ).fetchall()
        ]
    mapping.write_text(
        "code_commune;territoire\n" + "".join(f"{c};=HYPERLINK(1)\n" for c in communes),
        encoding="utf-8",
    )
    assert main(["territoires", str(mapping), "--departement", "2A"]) == 0
    capsys.readouterr()
    args = ["indicators", "--departement", "2A", "--month", "2026-10", "--csv"]
    assert main([*args, "--territoire", "=HYPERLINK(1)"]) == 0
    out = capsys.readouterr().out
    assert "territoire;;'=HYPERLINK(1)" in out
    assert not any(
        cell.startswith(export.FORMULA_STARTS)
        for line in out.splitlines()
        for cell in line.split(";")
    )


def test_every_csv_and_excel_writer_goes_through_the_export_module() -> None:
    """The mechanism, checked on the code: no other module writes CSV or Excel itself."""
    writers = re.compile(r"\.to_csv\(|\.to_excel\(|csv\.writer\(|ExcelWriter\(|DictWriter\(")
    offenders = [
        str(path.relative_to(REPO_DIR))
        for folder in ("pipelines", "dashboard", "pages")
        for path in (REPO_DIR / folder).rglob("*.py")
        if path.name != "export.py" and writers.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    assert writers.search((REPO_DIR / "app.py").read_text(encoding="utf-8")) is None


# --- 8. file modes and the key -----------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_product_files_are_private(tmp_path, settings, monkeypatch) -> None:
    monkeypatch.delenv("PILOTAGE_SECRET_KEY")
    path = write_pecgm(tmp_path / "PECGM_2A_202610.txt", pecgm_lines())
    assert main(["load", "pecgm", str(path)]) == 0
    access.audit(settings.db_path, "test", "essai")
    folder = settings.db_path.parent
    assert _mode(folder) == 0o700
    assert _mode(settings.db_path) == 0o600
    assert _mode(access.access_path(settings.db_path)) == 0o600
    assert _mode(settings.key_file) == 0o600 and _mode(settings.key_file.parent) == 0o700
    reports = folder / "rapports"
    for p in [reports, *reports.rglob("*")]:
        assert _mode(p) == (0o700 if p.is_dir() else 0o600), p


def test_an_access_file_left_readable_is_made_private(settings) -> None:
    target = access.access_path(settings.db_path)
    target.parent.mkdir(parents=True)
    access.audit(settings.db_path, "test", "essai")
    target.chmod(0o644)
    access.audit(settings.db_path, "test", "essai")
    assert _mode(target) == 0o600


def test_a_key_file_readable_by_others_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("PILOTAGE_SECRET_KEY")
    key_file = tmp_path / "cle"
    key_file.write_text("ab" * 32 + "\n", encoding="ascii")
    key_file.chmod(0o640)
    with pytest.raises(UsageError, match=r"lisible par d.autres comptes.*chmod 600"):
        pseudonymise.load_or_create_key(key_file)
    key_file.chmod(0o600)
    assert pseudonymise.load_or_create_key(key_file) == bytes.fromhex("ab" * 32)


def test_a_short_text_key_is_refused(monkeypatch) -> None:
    for weak in ("motdepasse-du-service", "x" * 31):
        with pytest.raises(UsageError, match="32 caractères"):
            pseudonymise._decode_key(weak)
    assert pseudonymise._decode_key("une phrase de passe assez longue !") == (
        b"une phrase de passe assez longue !"
    )


# --- 9, 10. archives and workbooks -------------------------------------------------------


def _cut_gzip(path: Path, text: str, cut: int) -> Path:
    whole = gzip.compress(text.encode("latin-1"))
    path.write_bytes(whole[: len(whole) - cut] if cut > 0 else whole[:-cut])
    return path


@pytest.mark.parametrize("source", ["pecgm", "auto", "cgpem"])
@pytest.mark.parametrize("cut", [8, 1000, -200])  # the trailer, half of it, all but its start
def test_a_cut_gzip_is_refused_with_its_name(tmp_path, capsys, source, cut) -> None:
    if source == "cgpem":
        text = CGPEM_HEADER + "\n" + "\n".join(_cgpem_row(nom=f"N{i}é") for i in range(300))
        name = "decisions.csv.gz"
    else:
        text = "\r\n".join(pecgm_lines(persons=60)) + "\r\n"
        name = "PECGM_2A_202610.txt.gz"
    path = _cut_gzip(tmp_path / name, text, cut)
    code = main(["validate", source, str(path), "--departement", "2A"])
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert code == 1, text
    assert f"{name} : fichier compressé (gzip) tronqué ou endommagé" in text
    assert "EOFError" not in text and "erreur interne" not in text


def test_chargement_page_refuses_a_cut_gzip_by_name(settings) -> None:
    from tests.test_app import _arrival, _chargement

    at = _chargement(settings, {})
    folder = settings.db_path.parent / "arrivees"
    _cut_gzip(folder / "PECGM_2A_202610.txt.gz", "\r\n".join(pecgm_lines(persons=60)), 1000)
    at.run()  # the arrivals folder is listed again
    at.multiselect[0].select(_arrival(settings, "PECGM_2A_202610.txt.gz")).run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert (
        "PECGM_2A_202610.txt.gz : fichier compressé (gzip) tronqué ou endommagé, illisible : "
        "demandez un nouvel envoi."
    ) in errors  # named, in French, shown as the file's refusal (no raw exception)
    assert all("EOFError" not in e and "Traceback" not in e for e in errors)


def test_a_workbook_named_csv_is_read_as_a_workbook(tmp_path, capsys) -> None:
    frame = pd.DataFrame(
        [r.split(";") for r in (_cgpem_row(), _cgpem_row(nir=NIR[:-1] + "9"))],
        columns=CGPEM_HEADER.split(";"),
    )
    path = tmp_path / "decisions.csv"
    path.write_bytes(export.xlsx_bytes(frame))
    assert main(["validate", "auto", str(path), "--departement", "2A"]) == 0
    assert "Excel (.xlsx)" in capsys.readouterr().out


# --- 11. future dates --------------------------------------------------------------------


def test_pecgm_rejects_a_date_in_2099_by_line_and_field(tmp_path, capsys) -> None:
    lines = pecgm_lines(persons=200)
    lines[5] = set_field(lines[5], LAYOUT, "D", "date_signature_ppae", "20990101")
    path = write_pecgm(tmp_path / "PECGM_2A_202610.txt", lines)
    assert main(["validate", "pecgm", str(path)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"ligne 6, champ DATE SIGNATURE PPAE : date postérieure", out), out
    assert "20990101" not in out and "2099" not in out
    assert "1 rejetés" in out


def test_pecgm_xml_rejects_a_date_in_2099_like_the_fixed_width_file(tmp_path, capsys) -> None:
    """The XML form is read through the same layout: same rule, same message (the dossier's
    ordinal stands for the line, its element for the field), never the date."""
    from sample_data import generate
    from sample_data import pecgm_xml as xml_writer

    ref = generate.month_end(2026, 10)
    _, people = list(generate.simulate("2A", 1, 200, 5, ref))[-1]
    records = [generate.detail_values(p, ref) for p in people]
    records[4]["date_signature_ppae"] = "20990101"
    path = xml_writer.write(
        tmp_path / "PECGM_2A_202610.xml",
        xml_writer.document(LAYOUT, "2A", ref, records, len(records)),
    )
    assert main(["validate", "pecgm", str(path)]) == 0
    out = capsys.readouterr().out
    assert "champ DATE SIGNATURE PPAE : date postérieure à la date de référence du fichier" in out
    assert "2099" not in out and "1 rejetés" in out


def test_one_future_date_rule_for_every_source() -> None:
    """Every date a layout marks `not_future` has its critical `<field>_futur` expectation in
    its source's suite, and no suite checks a future flag no layout declares. The PECGM XML
    files are read through the PECGM layout (their tag map names its fields), so every
    future-checked PECGM date must be reachable from the tag map too."""
    from pipelines.sources import caf, pecgm_xml

    declared: dict[str, set[str]] = {
        PECGM: {f"{f.name}_futur" for f in LAYOUT.fields("D") if f.not_future},
        "caf": {
            f"{f.name}_futur"
            for block in (caf.layout().foyer, caf.layout().personne)
            for f in block.fields
            if f.not_future
        },
    }
    for path in LAYOUTS_DIR.glob("*.yaml"):
        # the PECGM layouts and tag maps and the CAF/MSA element paths are handled above
        if not path.stem.startswith(("pecgm", "caf")):
            tpl = template(path.stem)
            declared[path.stem] = {f"{c.name}_futur" for c in tpl.columns if c.not_future}
    for source, flags in declared.items():
        checked = {
            e.column
            for e in load_suite(source).expectations
            if e.column and e.column.endswith("_futur") and e.severity == "critical"
        }
        assert checked == flags, source
    assert declared[PECGM] and declared["cgpem"] and declared["caf"]
    for tags in pecgm_xml.available_maps().values():
        mapped = {f"{name}_futur" for name in tags.dossier.values()}
        assert declared[PECGM] <= mapped, tags.name


# --- 12. arguments and messages ----------------------------------------------------------


def test_indicators_month_is_checked(tmp_path, capsys) -> None:
    main(["load", "pecgm", str(write_pecgm(tmp_path / "f.txt", pecgm_lines()))])
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:  # refused by the parser, before any command runs
        main(["indicators", "--departement", "2A", "--month", "2026-13"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "argument --month : mois attendu au format AAAA-MM" in err
    assert "erreur interne" not in err


def test_unreadable_file_message_is_french_and_named() -> None:
    error = PermissionError(errno.EACCES, "Permission denied", "/depot/decisions.csv")
    message = loader.unreadable_message(error, Path("/depot/decisions.csv"))
    assert message == "decisions.csv : lecture impossible (accès refusé (droits du fichier))."
    assert "Permission" not in message


def test_validate_detects_a_key_mismatch(tmp_path, monkeypatch, capsys) -> None:
    assert (
        main(["load", "pecgm", str(write_pecgm(tmp_path / "a.txt", pecgm_lines(month="2026-09")))])
        == 0
    )
    monkeypatch.setenv("PILOTAGE_SECRET_KEY", "ff" * 32)
    capsys.readouterr()
    code = main(["validate", "pecgm", str(write_pecgm(tmp_path / "b.txt", pecgm_lines()))])
    out = capsys.readouterr().out
    assert code == 1 and "clé de pseudonymisation n'est pas celle" in out


def test_the_staging_connection_never_spills_rows_to_disk(tmp_path, monkeypatch) -> None:
    """Staged rows hold NIRs and names: past the memory limit DuckDB must fail, not write
    them to a temporary directory."""
    monkeypatch.chdir(tmp_path)
    con = loader._staging_connection(b"\xab" * 32)
    try:
        assert con.execute("SELECT current_setting('temp_directory')").fetchall() == [("",)]
        con.execute("SET memory_limit = '32MB'")
        with pytest.raises(duckdb.OutOfMemoryException):
            con.execute(
                "CREATE TEMP TABLE t AS SELECT md5(i::VARCHAR) AS a FROM range(2000000) r(i)"
            )
    finally:
        con.close()
    assert not list(tmp_path.iterdir())
