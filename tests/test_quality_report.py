"""The data-quality report: drift against the previous file (shown first), the standalone
HTML report (no outside address, no personal value), the --dirty files named right."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

from pipelines import loader, warehouse
from pipelines.readers.layout import available_layouts
from sample_data.generate import set_field
from tests.conftest import pecgm_lines, write_pecgm

LAYOUT = available_layouts("pecgm")["001,0"]


def test_drift_is_reported_first_and_never_blocks(tmp_path, settings) -> None:
    first = pecgm_lines(persons=400, month="2026-09", seed=3)
    assert (
        loader.load("pecgm", write_pecgm(tmp_path / "PECGM_2A_202609.txt", first), settings).status
        == "loaded"
    )
    lines = pecgm_lines(persons=400, month="2026-10", seed=3)
    details = list(range(1, len(lines) - 1))
    for i in details[: len(details) // 2]:  # half of the people move to category 5
        lines[i] = set_field(lines[i], LAYOUT, "D", "code_categorie", "5")
    lines[3] = set_field(lines[3], LAYOUT, "D", "modalite", "APR")
    outcome = loader.load("pecgm", write_pecgm(tmp_path / "PECGM_2A_202610.txt", lines), settings)
    assert outcome.status == "loaded"
    report = outcome.report
    assert report.findings[0].code == "derive"
    messages = [f.message for f in report.findings if f.code == "derive"]
    assert any("categorie 5 : part en hausse" in m for m in messages)
    assert report.drift["precedent"]["mois"] == "2026-09"
    assert report.drift["parts"]["categorie"]["5"] > 0.2
    assert "personnes_absentes" in report.drift


def test_html_report_has_no_outside_address_and_no_personal_value(tmp_path, settings) -> None:
    """A file with known personal values and bad lines: the HTML names lines, fields and
    codes, and holds no URL and none of the values."""
    from pipelines.cli import main

    lines = pecgm_lines(persons=300, month="2026-10")
    secrets = {
        "nom_naissance": "NOMSECRETUNIQUE",
        "prenom": "PRENOMSECRET",
        "conseiller_pe": "CONSEILLERSECRET",
    }
    for name, value in secrets.items():
        lines[5] = set_field(lines[5], LAYOUT, "D", name, value)
    lines[5] = set_field(lines[5], LAYOUT, "D", "code_categorie", "9")
    lines[7] = set_field(lines[7], LAYOUT, "D", "date_debut_ide", "20251340")
    path = write_pecgm(tmp_path / "PECGM_2A_202610.txt", lines)
    out = tmp_path / "rapport.html"
    assert main(["validate", "pecgm", str(path), "--html", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE), (
        "outside address"
    )
    assert "<script" not in html and " src=" not in html
    for value in [*secrets.values(), lines[5][1:14], lines[7][1:14]]:
        assert value not in html
    assert re.search(r"CODE CATEGORIE[^\n]*<td>6</td>", html), "the category check names line 6"
    assert "Fichier chargeable." in html


def test_report_command_writes_html_and_quarantine_csv(tmp_path, settings) -> None:
    from pipelines.cli import main

    lines = pecgm_lines(persons=300, month="2026-10")
    lines[4] = set_field(lines[4], LAYOUT, "D", "motif_cessation_ide", "77")
    path = write_pecgm(tmp_path / "PECGM_2A_202610.txt", lines)
    assert main(["load", "pecgm", str(path)]) == 0
    html, csv = tmp_path / "r.html", tmp_path / "q.csv"
    assert main(["report", "1", "--html", str(html), "--quarantine", str(csv)]) == 0
    rows = csv.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0] == "ligne;champ;controle;motif"
    assert rows[1].startswith("5;MOTIF CESSATION IDE")
    assert "77" in html.read_text(encoding="utf-8")  # a public code, listed in the report


def test_dirty_sample_reports_name_the_right_lines_and_expectations(tmp_path) -> None:
    import duckdb

    from pipelines.readers.encoding import inspect_file
    from pipelines.sources import pecgm
    from sample_data.generate import DEFECTS, generate, month_end

    paths = generate("2A", len(DEFECTS), 300, 9, tmp_path, month_end(2026, 10), is_dirty=True)
    by_defect = {p.stem.split("_", 3)[3]: p for p in paths if p.parent.name == "pecgm"}
    report = pecgm.stage(duckdb.connect(), inspect_file(by_defect["invalid_dates"]))
    failed = {c.expectation.column: c.line_numbers for c in report.checks if c.unexpected_count}
    assert failed["date_debut_ide"] == [3] and failed["date_dernier_contact"] == [6]
    report = pecgm.stage(duckdb.connect(), inspect_file(by_defect["unknown_codes"]))
    failed = {
        c.expectation.column: (c.line_numbers, c.unexpected_codes)
        for c in report.checks
        if c.unexpected_count
    }
    assert failed["code_categorie"] == ([4], ["9"]) and failed["modalite"] == ([5], ["XYZ"])
    report = pecgm.stage(duckdb.connect(), inspect_file(by_defect["footer_count"]))
    assert [f.code for f in report.blocking] == ["fin_compte"]
    assert "NB ENREGISTREMENTS TRANSMIS" in report.blocking[0].message


def _two_decisions(tmp_path, nir: str, first: tuple[str, str, str], other: str = "AUTRENOMSECRET"):
    """A CGPEM file of two synthetic decisions: `first` (name, first name, birth date) with
    a valid NIR and nature 01, then `other` with a NIR whose last digit differs and the
    unknown nature 09 (a failed expectation for the report to name)."""
    name, first_name, birth = first
    rows = [
        "NIR;NOM DE NAISSANCE;PRENOM;DATE DE NAISSANCE;NATURE DE L'ACCOMPAGNEMENT;DATE DE LA DECISION D'ORIENTATION",
        f"{nir};{name};{first_name};{birth};01;03/02/2026",
        f"{nir[:-1]}8;{other};ALEX;18/08/1986;09;04/02/2026",
    ]
    path = tmp_path / "cgpem.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_gx_data_docs_work_offline_and_hold_no_personal_value(tmp_path, settings) -> None:
    """GX's own pages, rewritten: no outside address in any page, no value of the file."""
    from pipelines.cli import main

    nir = "1" + "8501" + "99" + "901" + "007"
    path = _two_decisions(tmp_path, nir, ("NOMSECRETDOCS", "PRENOMSECRET", "17/07/1985"))
    docs = tmp_path / "docs"
    main(["validate", "cgpem", str(path), "--departement", "2A", "--data-docs", str(docs)])
    pages = list(docs.rglob("*.html"))
    assert (docs / "cgpem" / "index.html").exists() and len(pages) >= 3
    everything = ""
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE), page.name
        everything += text
    for value in (
        nir,
        "NOMSECRETDOCS",
        "AUTRENOMSECRET",
        "PRENOMSECRET",
        "1985-07-17",
        "17/07/1985",
    ):
        assert value not in everything
    assert "nature_accompagnement" in everything
    # The date-bounded range check (orientation not before 2009) is run by GX on dates, as
    # the SQL engine compares them: GX 1.x raises on ISO text against a date bound.
    assert "décision antérieure à la création du RSA" in everything
    assert "raised an exception" not in everything


def test_gx_data_docs_run_only_the_variant_s_expectations(tmp_path, settings) -> None:
    """An LRSA DE list's Data Docs hold that list's checks, not the other three lists'."""
    from pipelines.cli import main

    docs = tmp_path / "docs"
    source = next(Path("sample_data/lrsa").glob("LRSA_2A_*_radiations.csv"))
    main(["validate", "lrsa", str(source), "--departement", "2A", "--data-docs", str(docs)])
    everything = "".join(p.read_text(encoding="utf-8") for p in docs.rglob("*.html"))
    assert "date_radiation" in everything and "date_cessation" not in everything


URL = re.compile(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)


def test_every_validation_leaves_its_report_and_data_docs_are_rendered_when_asked(
    tmp_path, settings
) -> None:
    """`validate` and `load` each write rapport.html in the report folder, and no Data Docs
    (GX's renderer is not on the path of the answer); `report N --data-docs` and the
    pages' zip render them from the stored results: offline, no personal value, the
    failed expectation named."""
    from pipelines.cli import main
    from pipelines.validation.archive import reports_dir

    nir = "2" + "9104" + "99" + "902" + "011"
    path = _two_decisions(
        tmp_path, nir, ("NOMSECRETDOSSIER", "CAMILLE", "04/04/1991"), "AUTRESECRETDOSSIER"
    )
    assert main(["validate", "cgpem", str(path), "--departement", "2A"]) in (0, 1)
    main(["load", "cgpem", str(path), "--departement", "2A"])
    folders = sorted(p.name for p in reports_dir(settings.db_path).iterdir())
    assert len(folders) == 2 and folders[0].startswith("chargement_")
    assert folders[1].startswith("controle_") and folders[1].endswith("_cgpem")
    for folder in reports_dir(settings.db_path).iterdir():
        assert sorted(p.name for p in folder.iterdir()) == ["rapport.html"]
    load_id = folders[0].removeprefix("chargement_")
    asked = tmp_path / "demande"
    assert main(["report", load_id, "--data-docs", str(asked)]) == 0
    index = (asked / "data_docs" / "index.html").read_text(encoding="utf-8")
    assert "cgpem.csv" in index and "en échec" in index
    page = (asked / "data_docs" / "validation_1.html").read_text(encoding="utf-8")
    assert "nature_accompagnement" in page
    written = [*asked.rglob("*.html"), *reports_dir(settings.db_path).rglob("*.html")]
    for html_file in written:
        text = html_file.read_text(encoding="utf-8")
        assert not URL.search(text), html_file
        for value in (nir, "NOMSECRETDOSSIER", "AUTRESECRETDOSSIER", "04/04/1991"):
            assert value not in text, (html_file, value)
    from pipelines.validation.archive import zipped

    stored = json.loads(
        warehouse.open_reader(settings.db_path)
        .execute("SELECT report_json FROM load_journal ORDER BY id DESC LIMIT 1")
        .fetchone()[0]
    )
    with zipfile.ZipFile(io.BytesIO(zipped(stored))) as archive:  # the app's download
        names = set(archive.namelist())
        assert {"rapport.html", "data_docs/index.html", "data_docs/validation_1.html"} <= names
        assert all(nir not in archive.read(n).decode("utf-8") for n in names)
    assert main(["purge", "--all", "--confirm"]) == 0
    assert not reports_dir(settings.db_path).exists()


def test_a_lot_leaves_one_report_folder_per_file(tmp_path, settings) -> None:
    from pipelines.cli import main
    from pipelines.validation.archive import reports_dir

    paths = [
        write_pecgm(tmp_path / f"PECGM_2A_2026{m}.txt", pecgm_lines(30, f"2026-{m}"))
        for m in ("09", "10")
    ]
    assert main(["load", "pecgm", *map(str, paths), "--lot"]) == 0
    folders = sorted(p.name for p in reports_dir(settings.db_path).iterdir())
    assert folders == ["chargement_1", "chargement_2"]
    assert all((reports_dir(settings.db_path) / f / "rapport.html").exists() for f in folders)
