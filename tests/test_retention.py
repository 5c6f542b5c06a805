"""Retention: purge before a month, automatic retention after a load, purge of everything
at the end of an agreement; each leaves a purge_journal row and an audit row."""

from __future__ import annotations

import duckdb

from pipelines import access, loader
from pipelines.cli import main
from pipelines.retention import arrivals_dir, uploads_dir
from tests.conftest import pecgm_lines, table_rows, write_pecgm


def _load_months(tmp_path, settings, months: list[str]) -> None:
    for month in months:
        path = write_pecgm(
            tmp_path / f"PECGM_2A_{month.replace('-', '')}.txt", pecgm_lines(30, month)
        )
        assert loader.load("pecgm", path, settings).status == "loaded"


def _months(settings) -> list[str]:
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        return [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT strftime(mois, '%Y-%m') FROM pecgm_stock ORDER BY 1"
            ).fetchall()
        ]


def test_purge_before_a_month(tmp_path, settings, capsys) -> None:
    _load_months(tmp_path, settings, ["2026-01", "2026-02", "2026-03"])
    older = sum(1 for r in table_rows(settings, "pecgm_stock") if str(r[2]) < "2026-03")
    assert main(["purge", "--before", "2026-03"]) == 0
    assert _months(settings) == ["2026-03"]
    journal = table_rows(settings, "purge_journal")
    assert len(journal) == 1 and journal[0][3] == "avant 2026-03" and journal[0][2] == "test"
    assert f'"pecgm_stock": {older}' in journal[0][5]
    assert len(table_rows(settings, "load_journal")) == 3  # the history stays
    assert any(r[3] == "purge" for r in access.audit_rows(settings.db_path))


def test_retention_applies_after_each_load(tmp_path, settings, monkeypatch) -> None:
    monkeypatch.setenv("PILOTAGE_RETENTION_MOIS", "2")
    _load_months(tmp_path, settings, ["2026-01", "2026-02", "2026-03", "2026-04"])
    assert _months(settings) == ["2026-02", "2026-03", "2026-04"]
    reasons = {r[4] for r in table_rows(settings, "purge_journal")}
    assert reasons == {"conservation automatique"}


def test_purge_all_needs_confirm_and_erases_everything(tmp_path, settings, capsys) -> None:
    _load_months(tmp_path, settings, ["2026-01"])
    uploads = uploads_dir(settings.db_path) / "depot_x"
    uploads.mkdir(parents=True)
    (uploads / "PECGM_2A_202601.txt").write_text("fichier déposé")
    received = arrivals_dir(settings.db_path) / "charges"
    received.mkdir(parents=True)
    (received / "PECGM_2A_202601.txt").write_text("fichier reçu par SFTP")
    assert main(["purge", "--all"]) == 2
    assert "--confirm" in capsys.readouterr().err
    assert table_rows(settings, "pecgm_stock")  # nothing erased without --confirm
    assert main(["purge", "--all", "--confirm"]) == 0
    assert table_rows(settings, "pecgm_stock") == [] and table_rows(settings, "quarantine") == []
    assert all(r[-2] is None for r in table_rows(settings, "load_journal"))  # no stored report
    assert not uploads_dir(settings.db_path).exists()
    assert not arrivals_dir(settings.db_path).exists()
    assert [r[3] for r in table_rows(settings, "purge_journal")] == ["tout"]


def _derived_matches_its_view(settings) -> tuple[int, int]:
    """Rows of each derived table, after checking it equals its view (both directions)."""
    sizes = []
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        for table, view in (
            ("date_contrat_personne", "date_contrat"),
            ("commune_personne", "personne_commune"),
        ):
            for a, b in ((table, view), (view, table)):
                extra = con.execute(f"SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b}").fetchall()
                assert extra == [], (a, b)
            sizes.append(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    return tuple(sizes)


def test_derived_tables_follow_loads_reloads_and_purges(tmp_path, settings) -> None:
    _load_months(tmp_path, settings, ["2026-01", "2026-02"])
    contracts, communes = _derived_matches_its_view(settings)
    assert contracts > 0 and communes > 0
    lines = pecgm_lines(45, "2026-02", seed=9)  # February sent again, with other people
    path = write_pecgm(tmp_path / "PECGM_2A_202602_bis.txt", lines)
    assert loader.load("pecgm", path, settings).status == "loaded"
    assert _derived_matches_its_view(settings) != (contracts, communes)
    assert main(["purge", "--before", "2026-02"]) == 0
    _derived_matches_its_view(settings)
    assert main(["purge", "--all", "--confirm"]) == 0
    assert _derived_matches_its_view(settings) == (0, 0)
