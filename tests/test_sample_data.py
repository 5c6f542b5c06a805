"""The generator is deterministic, its files pass validation, --dirty fails as documented."""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter

import duckdb

from pipelines.readers.encoding import inspect_file, unit_facts
from pipelines.sources import get_source, pecgm
from sample_data.demo import sample_files
from sample_data.generate import DEFECTS, generate, month_end
from tests.synthetic import is_synthetic_nir


def _digest(paths) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def test_deterministic_for_a_seed(tmp_path) -> None:
    a = generate("2A", 3, 200, 5, tmp_path / "a", month_end(2026, 10))
    b = generate("2A", 3, 200, 5, tmp_path / "b", month_end(2026, 10))
    c = generate("2A", 3, 200, 6, tmp_path / "c", month_end(2026, 10))
    assert _digest(a) == _digest(b) != _digest(c)


def test_committed_sample_passes_validation_and_is_synthetic() -> None:
    files = sample_files()
    counts = Counter(source for source, _ in files)
    assert counts == {"pecgm": 18, "stock": 1, "cgpem": 18, "lrsa": 67, "parcours": 1, "caf": 13}
    instance = duckdb.connect()  # one instance (17-25 ms each), a connection per file
    for source, path in files:
        con = instance.cursor()  # staged tables are TEMP: each file sees only its own
        facts = unit_facts(path) if isinstance(path, list) else inspect_file(path)
        report = get_source(source).stage(con, facts, departement="2A")
        assert report.loadable and report.rows_rejected == 0, report.summary_text()
        if source != "parcours":  # parcours files carry no NIR
            nirs = con.execute(f"SELECT nir FROM {source}_fields").fetchall()
            assert nirs and all(is_synthetic_nir(n) and len(n) == 13 for (n,) in nirs), (
                "reserved fake NIR pattern"
            )
        con.close()


def test_a_folder_without_a_multi_file_source_lists_no_empty_unit(tmp_path) -> None:
    """A sample folder with PECGM only (a smaller demo, as tests/test_precalcul.py builds):
    no parcours unit of no file, which the loader would have had to read (IndexError)."""
    (tmp_path / "pecgm").mkdir()
    one = tmp_path / "pecgm" / "PECGM_2A_202610.txt.gz"
    one.write_bytes(b"")
    assert sample_files(tmp_path) == [("pecgm", one)]


def test_sample_files_agree_with_each_other(tmp_path) -> None:
    """LRSA list 2 published for M = the PECGM stock of M-1 minus its leavers; list 1 = its
    newcomers; every CGPEM and reprise de stock person is a PECGM person."""
    root = tmp_path / "s"
    generate("2A", 4, 400, 11, root, month_end(2026, 10))

    def nirs(path, column) -> set[str]:
        with path.open(encoding="cp1252" if "REPRISE" in path.name else "utf-8") as f:
            return {row[column] for row in csv.DictReader(f, delimiter=";")}

    def pecgm_people(month: str) -> dict[str, str]:
        con = duckdb.connect()
        pecgm.stage(con, inspect_file(root / "pecgm" / f"PECGM_2A_{month}.txt"))
        return dict(
            con.execute(
                "SELECT nir, coalesce(date_cessation_ide, date_radiation, '') FROM pecgm_fields"
            ).fetchall()
        )

    september = pecgm_people("202609")
    inscrits = nirs(root / "lrsa" / "LRSA_2A_202610_inscrits.csv", "NIR")
    assert inscrits == {n for n, left in september.items() if not left}
    inscriptions = nirs(root / "lrsa" / "LRSA_2A_202610_inscriptions.csv", "NIR")
    assert inscriptions and inscriptions <= set(september)
    everyone = set().union(*(pecgm_people(m) for m in ("202607", "202608", "202609", "202610")))
    for path in (root / "cgpem").glob("*.csv"):
        assert nirs(path, "NIR") <= everyone, path.name
    assert nirs(root / "stock" / "REPRISE_STOCK_2A.csv", "NIR ou NIA") <= everyone


def test_dirty_files_fail_in_the_documented_ways(tmp_path) -> None:
    paths = generate("2A", len(DEFECTS), 300, 9, tmp_path, month_end(2026, 10), is_dirty=True)
    paths = [p for p in paths if p.parent.name == "pecgm"]
    outcome = {}
    for path in paths:
        report = pecgm.stage(duckdb.connect(), inspect_file(path))
        failed = {c.expectation.column for c in report.checks if c.unexpected_count}
        outcome[path.stem.split("_", 3)[3]] = (
            report.loadable,
            {f.code for f in report.blocking},
            failed,
            report.encoding,
        )
    assert outcome["footer_count"][:2] == (False, {"fin_compte"})
    assert (
        outcome["invalid_dates"][0]
        and {"date_debut_ide", "date_dernier_contact"} <= outcome["invalid_dates"][2]
    )
    assert (
        outcome["unknown_codes"][0]
        and {"code_categorie", "modalite"} <= outcome["unknown_codes"][2]
    )
    assert (
        outcome["duplicate_people"][0]
        and {"nir", "identifiant_pe"} <= outcome["duplicate_people"][2]
    )
    assert outcome["truncated"][:2] == (False, {"fin_absente"})
    assert outcome["windows_1252"][0] and outcome["windows_1252"][3] == "Windows-1252"


def test_dirty_departement_files_fail_as_documented(tmp_path) -> None:
    """sample_data/README.md, --dirty: each département file carries its defect."""
    from pipelines.sources import get_source

    paths = generate("2A", 3, 600, 9, tmp_path, month_end(2026, 10), is_dirty=True)
    dirty = {p.name: p for p in paths if p.parent.name == "dirty"}

    def stage(source: str, name: str | list[str]):
        facts = (
            unit_facts([dirty[n] for n in name])
            if isinstance(name, list)
            else inspect_file(dirty[name])
        )
        return get_source(source).stage(duckdb.connect(), facts, departement="2A")

    def failed(report) -> dict:
        return {c.expectation.column: c.line_numbers for c in report.checks if c.unexpected_count}

    report = stage("cgpem", "CGPEM_2A_202610_unknown_nature.csv")
    assert not report.loadable and failed(report)["nature_accompagnement"] == [3]
    report = stage("cgpem", "CGPEM_2A_202610_future_decision.csv")
    assert not report.loadable and failed(report)["date_orientation_futur"] == [2]
    report = stage("cgpem", "CGPEM_2A_202610_missing_column.csv")
    assert [f.code for f in report.blocking] == ["colonne_absente"]
    report = stage("lrsa", "LRSA_2A_202610_radiations_bad_dates.csv")
    assert not report.loadable and failed(report)["date_radiation"] == [2, 3]
    # One bad line: quarantined when it is at most 1 % of the file, else the file is refused.
    report = stage("stock", "REPRISE_STOCK_2A_unknown_parcours.csv")
    assert report.rows_rejected == 1 and failed(report)["type_parcours"] == [2]
    assert report.loadable == (1 / report.rows_read <= report.threshold)
    assert report.encoding.startswith("Windows-1252")
    report = stage(
        "parcours",
        ["PARCOURS_2A_personnes.csv", "PARCOURS_2A_rendez_vous.csv", "PARCOURS_2A_prestations.csv"],
    )
    assert report.rows_rejected == 1 and failed(report)["personne_connue"] == [2]


def test_national_scale_writes_every_departement_in_every_format(tmp_path, settings) -> None:
    """A small national run (101 départements): PECGM month by month, then each
    département's extracts (CGPEM, parcours, reprise de stock), which describe the same
    people: they load, and their persons are found in the PECGM files."""
    from pipelines import loader
    from sample_data.national import departements, generate_national

    paths = list(generate_national(tmp_path, 6000, 2, 11, month_end(2026, 10)))
    assert len(paths) == 101 * (2 + 5)
    extracts = {p.parent.name for p in paths}
    assert extracts == {"pecgm", "cgpem", "parcours", "stock"}
    assert {re.search(r"_(2A|2B|9\d\d|\d\d)[_.]", p.name).group(1) for p in paths} == set(
        departements()
    )
    mine = [p for p in paths if re.search(r"_59[_.]", p.name)]
    for source, unit in (
        ("pecgm", [p for p in mine if p.parent.name == "pecgm"]),
        ("stock", [p for p in mine if p.parent.name == "stock"]),
        ("cgpem", [p for p in mine if p.parent.name == "cgpem"]),
        ("parcours", sorted(p for p in mine if p.parent.name == "parcours")),
    ):
        if source == "pecgm":
            outcomes = loader.load_batch("pecgm", unit, settings)
        else:
            target = unit if source == "parcours" else unit[0]
            outcomes = [loader.load(source, target, settings, "59")]
        assert all(o.status == "loaded" for o in outcomes), [o.message for o in outcomes]
        if source in ("cgpem", "parcours"):
            assert outcomes[0].report.liaison["taux"] > 0.5, outcomes[0].report.liaison
    again = list(
        generate_national(
            tmp_path / "b", 6000, 2, 11, month_end(2026, 10), formats=("departement",)
        )
    )
    assert len(again) == 101 * 5
    assert _digest(sorted(again)) == _digest(sorted(p for p in paths if p.parent.name != "pecgm"))
