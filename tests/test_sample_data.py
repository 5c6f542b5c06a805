"""The generator is deterministic, its files pass validation, --dirty fails as documented."""

from __future__ import annotations

import hashlib
import re

import duckdb

from pipelines.encoding import inspect_file
from pipelines.sources import pecgm
from sample_data.demo import sample_files
from sample_data.generate import DEFECTS, generate, month_end

NIR_SHAPE = re.compile(r"^[12][0-9]{4}99 9[0-9]{5}$".replace(" ", ""))


def _digest(paths) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def test_deterministic_for_a_seed(tmp_path) -> None:
    a = generate("2A", 3, 200, 5, tmp_path / "a", month_end(2026, 10))
    b = generate("2A", 3, 200, 5, tmp_path / "b", month_end(2026, 10))
    c = generate("2A", 3, 200, 6, tmp_path / "c", month_end(2026, 10))
    assert _digest(a) == _digest(b) != _digest(c)


def test_committed_sample_passes_validation_and_is_synthetic() -> None:
    files = sample_files()
    assert len(files) == 18
    for _, path in files:
        con = duckdb.connect()
        report = pecgm.stage(con, inspect_file(path))
        assert report.loadable and report.rows_rejected == 0, path.name
        nirs = con.execute("SELECT nir FROM pecgm_fields").fetchall()
        assert all(NIR_SHAPE.match(n) for (n,) in nirs), "sample NIRs use the reserved fake pattern"


def test_dirty_files_fail_in_the_documented_ways(tmp_path) -> None:
    paths = generate("2A", len(DEFECTS), 300, 9, tmp_path, month_end(2026, 10), is_dirty=True)
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
