"""Backup and restore of an existing warehouse, and what a reader sees meanwhile.

    python benchmarks/bench_sauvegarde.py --db data/pilotage.duckdb --departement 2A --month 2026-10

Prints the size backed up, the time of `sauvegarde` and of `restauration` (into a fresh
temporary folder), and the latency of the indicator query a dashboard reader runs in a
loop: while idle, then during the backup (readers are never stopped: the median and the
maximum should stay of the same order). Works on a copy: the given warehouse is not
touched. Report the machine's load (`uptime`) beside the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines import access, indicators, sauvegarde, warehouse
from pipelines.settings import Settings


def _latencies(db: Path, departement: str, month: str, stop: threading.Event) -> list[float]:
    pool = warehouse.ReaderPool(db)
    out = []
    while not stop.is_set():
        started = time.perf_counter()
        indicators.summary(pool.cursor(), departement, month)
        out.append(time.perf_counter() - started)
    return out


def _reader_during(work, db: Path, departement: str, month: str) -> tuple[float, list[float]]:
    stop, box = threading.Event(), {}
    thread = threading.Thread(
        target=lambda: box.setdefault("lat", _latencies(db, departement, month, stop))
    )
    thread.start()
    time.sleep(0.5)
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    stop.set()
    thread.join()
    return elapsed, box["lat"]


def _fmt(lat: list[float]) -> str:
    return (
        f"{len(lat)} requêtes, médiane {statistics.median(lat) * 1000:.1f} ms, "
        f"max {max(lat) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--departement", default="2A")
    parser.add_argument("--month", default="2026-10")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_sauvegarde_") as tmp:
        root = Path(tmp)
        db = root / "service" / "pilotage.duckdb"
        db.parent.mkdir()
        shutil.copyfile(args.db, db)
        source_access = access.access_path(Path(args.db))
        if source_access.exists():
            shutil.copyfile(source_access, access.access_path(db))
        settings = Settings.from_env(db)
        _, idle = _reader_during(lambda: time.sleep(2), db, args.departement, args.month)
        backup_s, during = _reader_during(
            lambda: sauvegarde.backup(settings, root / "sauvegarde"),
            db,
            args.departement,
            args.month,
        )
        size = sum(p.stat().st_size for p in (root / "sauvegarde").rglob("*") if p.is_file())
        fresh = Settings.from_env(root / "neuf" / "pilotage.duckdb")
        started = time.perf_counter()
        sauvegarde.restore(fresh, root / "sauvegarde")
        restore_s = time.perf_counter() - started
    print(f"charge de la machine : {os.getloadavg()[0]:.2f} (1 min)")
    print(f"sauvegarde : {size / 1e6:.1f} Mo en {backup_s:.2f} s")
    print(f"restauration (empreintes vérifiées) : {restore_s:.2f} s")
    print(f"lecteur au repos        : {_fmt(idle)}")
    print(f"lecteur pendant la sauvegarde : {_fmt(during)}")


if __name__ == "__main__":
    main()
