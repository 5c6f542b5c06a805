"""Faults of a writer (issue #32, item 13): a load killed with SIGKILL in the middle of
its generation, a disk too small for the working copy, a disk that fills during the load."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pipelines import warehouse
from pipelines.cli import main
from tests.conftest import pecgm_lines, table_rows, write_pecgm

# A real load that blocks inside its write generation until it is killed: it says so by
# creating `ready`, then waits on its stdin (never written).
KILLED_LOAD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from pipelines import loader
    from pipelines.settings import Settings

    ready = Path(sys.argv[2])
    def blocking(*args, **kwargs):
        ready.write_text("écriture commencée")
        sys.stdin.read()
    loader._write_loaded = blocking
    loader.load("pecgm", Path(sys.argv[1]), Settings.from_env())
    """
)


def _work_copies(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.iterdir() if p.name.endswith((".tmp", ".wal")))


def _wait_for(condition, what: str, process: subprocess.Popen, limit: float = 240) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_killed_load_is_cleaned_and_journaled_by_the_next_writer(tmp_path, settings) -> None:
    first = write_pecgm(tmp_path / "PECGM_2A_202609.txt", pecgm_lines(persons=30, month="2026-09"))
    assert main(["load", "pecgm", str(first)]) == 0
    db = settings.db_path
    live_before = db.read_bytes()
    second = write_pecgm(tmp_path / "PECGM_2A_202610.txt", pecgm_lines(persons=30, month="2026-10"))
    ready = tmp_path / "pret"
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_LOAD, str(second), str(ready)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_for(ready.exists, "the load never reached its write generation", child)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    stale = _work_copies(db)
    assert stale, "the killed load left no working copy: the test proves nothing"
    assert db.read_bytes() == live_before  # the serving warehouse is intact

    assert main(["load", "pecgm", str(second)]) == 0  # the next writer
    assert not set(stale) & set(_work_copies(db)), "stale working copy left"
    assert not warehouse.marker_path(db).exists()
    journal = [(r[2], r[11], r[15]) for r in table_rows(settings, "load_journal")]
    interrupted = [j for j in journal if j[0] == warehouse.INTERRUPTED_FILE]
    assert len(interrupted) == 1 and interrupted[0][1] == "failed"
    assert "interrompu" in interrupted[0][2] and second.name in interrupted[0][2]
    assert [j[1] for j in journal if j[0] == second.name] == ["loaded"]
    assert main(["load", "pecgm", str(first)]) == 0  # journaled once, not at every start
    assert (
        len([r for r in table_rows(settings, "load_journal") if r[2] == warehouse.INTERRUPTED_FILE])
        == 1
    )


def test_a_disk_too_small_for_the_copy_is_said_before_copying(
    tmp_path, settings, monkeypatch, capsys
) -> None:
    first = write_pecgm(tmp_path / "PECGM_2A_202609.txt", pecgm_lines(persons=20, month="2026-09"))
    assert main(["load", "pecgm", str(first)]) == 0
    live_before = settings.db_path.read_bytes()
    free = 5 * warehouse.MB  # as on a nearly full 40 MB file system
    monkeypatch.setattr(warehouse, "free_bytes", lambda folder: free)
    second = write_pecgm(tmp_path / "PECGM_2A_202610.txt", pecgm_lines(persons=20, month="2026-10"))
    capsys.readouterr()
    assert main(["load", "pecgm", str(second)]) == 1
    err = capsys.readouterr().err
    needed = -(-(len(live_before) * 11 // 10 + warehouse.MARGIN_BYTES) // warehouse.MB)
    assert (
        f"espace disque insuffisant : {needed} Mo nécessaires, 5 Mo libres sur "
        f"{settings.db_path.parent}" in err
    ), err
    assert settings.db_path.read_bytes() == live_before and not _work_copies(settings.db_path)


def test_a_disk_that_fills_during_the_copy_is_said_too(
    tmp_path, settings, monkeypatch, capsys
) -> None:
    first = write_pecgm(tmp_path / "PECGM_2A_202609.txt", pecgm_lines(persons=20, month="2026-09"))
    assert main(["load", "pecgm", str(first)]) == 0
    live_before = settings.db_path.read_bytes()

    def full(src, dst):
        Path(dst).write_bytes(b"debut")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(warehouse.shutil, "copyfile", full)
    second = write_pecgm(tmp_path / "PECGM_2A_202610.txt", pecgm_lines(persons=20, month="2026-10"))
    capsys.readouterr()
    assert main(["load", "pecgm", str(second)]) == 1
    err = capsys.readouterr().err
    assert "espace disque insuffisant" in err and "IOException" not in err, err
    assert settings.db_path.read_bytes() == live_before and not _work_copies(settings.db_path)


@pytest.mark.parametrize("kind", ["tmp", "restauration"])
def test_stale_copies_of_both_kinds_go_under_the_lock(tmp_path, settings, kind) -> None:
    path = write_pecgm(tmp_path / "PECGM_2A_202609.txt", pecgm_lines(persons=10, month="2026-09"))
    db = settings.db_path
    db.parent.mkdir(parents=True)
    stale = db.parent / f".{db.name}.abc123.{kind}"
    stale.write_bytes(b"x" * 1000)
    other = db.parent / "autre.tmp"  # not ours: kept
    other.write_bytes(b"y")
    assert main(["load", "pecgm", str(path)]) == 0
    assert not stale.exists() and other.exists()
