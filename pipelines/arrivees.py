"""Scheduled intake: load what has arrived in the arrivals folder (`python -m pipelines arrivees`).

Files reach a département by SFTP or a secure share, into the arrivals folder
(`retention.arrivals_dir`). A run takes the complete files only (no `.part` or `.tmp`, no
hidden file, size and time unchanged between two looks `wait` seconds apart), tells each
one's source by its content (`sources.detect_file`: the three parcours files are grouped
into their unit), orders them by month then source (PECGM first, so that the other
sources' link rates are measured against it), and loads them as one lot
(`loader.load_batch`): one copy and one swap of the warehouse. Then each file moves to
`charges/` (loaded, or already loaded: same sha256) or to `refuses/` beside its quality
report (`<file>.rapport.html`). A lot that fails leaves every file where it was.

A run is idempotent (the files it took are no longer in the folder, a file sent again is
recognised by its hash) and two runs never overlap: each holds the arrivals lock of the
warehouse for its whole length, the second waits then finds nothing left; the writes
themselves are serialised by the warehouse's writer lock as for any load.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipelines import access, journal, loader, retention, warehouse
from pipelines.errors import FileRefused, FileUnusable, LoadFailed, UsageError
from pipelines.readers import archive7z
from pipelines.readers.encoding import (
    SPECIAL_REASON,
    SYMLINK_REASON,
    inspect_file,
    printable,
)
from pipelines.settings import Settings, private_dir
from pipelines.sources import detect_file, pecgm
from pipelines.sources.lrsa import MONTH_IN_NAME
from pipelines.validation import archive, html

LOADED_DIR = "charges"
REFUSED_DIR = "refuses"
PARTIAL_SUFFIXES = (".part", ".tmp")
REPORT_SUFFIX = ".rapport.html"
# Within a month: PECGM first (the others' link rates are measured against it).
LOAD_ORDER = ("pecgm", "stock", "cgpem", "lrsa", "parcours")
NO_MONTH = "9999-99"  # files that carry no month (parcours unit) go last


def look(folder: Path) -> tuple[dict[Path, os.stat_result], list[tuple[Path, str]]]:
    """(files directly in the folder that may be loaded, entries skipped with the reason).

    Hidden files and those of a transfer in progress (`.part`, `.tmp`) are left out, and so
    are folders (`charges/`, `refuses/`), silently. Everything is judged by `lstat`, never
    through a link: a symbolic link (to another folder's data, to a secret of the service),
    a file with several names (a hard link), a FIFO, a socket or a device is never read,
    and is named in the run's summary. Reads then open with O_NOFOLLOW
    (`encoding.open_regular`), so a file swapped for a link after this look is refused too.
    """
    found: dict[Path, os.stat_result] = {}
    skipped: list[tuple[Path, str]] = []
    entries = sorted(os.scandir(folder), key=lambda e: e.name) if folder.is_dir() else []
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith(".") or path.suffix in PARTIAL_SUFFIXES:
            continue
        st = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            continue
        if stat.S_ISLNK(st.st_mode):
            skipped.append((path, SYMLINK_REASON))
        elif not stat.S_ISREG(st.st_mode):
            skipped.append((path, SPECIAL_REASON))
        elif st.st_nlink > 1:
            skipped.append((path, HARDLINK_REASON))
        else:
            found[path] = st
    return found, skipped


HARDLINK_REASON = "lien physique (le même fichier sous plusieurs noms), jamais lu"


def candidates(folder: Path) -> dict[Path, os.stat_result]:
    """The files an arrivals run may load (see `look`); the Chargement page lists the same."""
    return look(folder)[0]


def _looks(folder: Path) -> dict[Path, tuple[int, int]]:
    """(size, modification time) of the candidate files."""
    return {p: (st.st_size, st.st_mtime_ns) for p, st in candidates(folder).items()}


def complete_files(
    folder: Path, wait: float, sleep: Callable[[float], None] = time.sleep
) -> tuple[list[Path], list[Path]]:
    """(complete, still arriving): a file is complete when its size and time are the same
    at two looks `wait` seconds apart (a transfer in progress changes them)."""
    first = _looks(folder)
    if not first:
        return [], []
    sleep(wait)
    second = _looks(folder)
    complete = sorted(p for p, seen in first.items() if second.get(p) == seen)
    arriving = sorted(p for p in second if p not in complete)
    return complete, arriving


@dataclass
class Arrival:
    """One unit to load: a file, or the three files of the parcours unit."""

    paths: list[Path]
    source: str
    departement: str | None
    month: str | None

    @property
    def name(self) -> str:
        return ", ".join(p.name for p in self.paths)

    def sort_key(self) -> tuple:
        rank = LOAD_ORDER.index(self.source) if self.source in LOAD_ORDER else len(LOAD_ORDER)
        return (self.month or NO_MONTH, rank, self.name)

    @property
    def target(self) -> Path | list[Path]:
        return self.paths if len(self.paths) > 1 else self.paths[0]


def _month_in_name(name: str) -> str | None:
    found = MONTH_IN_NAME.search(name)
    return f"{found.group(1)}-{found.group(2)}" if found else None


def screen(paths: list[Path], departement: str | None) -> tuple[list[Arrival], list[Path]]:
    """(arrivals in load order, files waiting for the rest of their parcours unit).

    A file no reader recognises is kept as its own arrival (source "auto"): the lot
    journals it as refused. The month comes from the PECGM header, else AAAAMM in the name.
    """
    arrivals: list[Arrival] = []
    parcours_files: list[Path] = []
    for path in paths:
        try:
            facts = inspect_file(path)
        except FileRefused:  # swapped for a link or a special file since the look
            continue
        # The lot hashes each file again when it loads it: a hash queued now would only
        # delay those (one hashing thread), so it is dropped.
        facts.digest.cancel()
        try:
            source = detect_file(facts)
        except FileUnusable:
            arrivals.append(Arrival([path], "auto", departement, _month_in_name(path.name)))
            continue
        if source == "parcours":
            parcours_files.append(path)
            continue
        dep, month = pecgm.header_facts(facts) if source == pecgm.SOURCE else (None, None)
        arrivals.append(
            Arrival([path], source, dep or departement, month or _month_in_name(path.name))
        )
    waiting: list[Path] = []
    if len(parcours_files) == 3:  # the unit checks that they are the three roles
        arrivals.append(Arrival(parcours_files, "parcours", departement, None))
    else:
        waiting = parcours_files
    return sorted(arrivals, key=Arrival.sort_key), waiting


@dataclass
class FileResult:
    """What happened to one arrival, and where its files and report went."""

    arrival: Arrival
    outcome: loader.Outcome
    moved: list[Path] = field(default_factory=list)
    report_path: Path | None = None

    @property
    def departement(self) -> str | None:
        report = self.outcome.report
        return (report.departement if report else None) or self.arrival.departement


@dataclass
class Run:
    """The outcome of one pass over the arrivals folder."""

    folder: Path
    started: datetime
    results: list[FileResult] = field(default_factory=list)
    waiting: list[Path] = field(default_factory=list)  # arriving, or parcours unit incomplete
    failure: str | None = None  # the lot failed: nothing loaded, nothing moved
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # links, special files

    @property
    def exit_code(self) -> int:
        if self.failure or any(r.outcome.exit_code for r in self.results):
            return 1
        return 0

    @property
    def nothing_done(self) -> bool:
        return not self.results and not self.failure


def _unique(target: Path) -> Path:
    """`target`, or a name not taken yet beside it (a file sent again under the same name);
    a name taken by a link counts as taken (`lexists`)."""
    if not os.path.lexists(target):
        return target
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        candidate = target.with_name(f"{target.name}.{stamp}-{n}")
        if not os.path.lexists(candidate):
            return candidate
    raise FileExistsError(target)


def _own_dir(folder: Path, create: bool = True) -> Path:
    """`folder`, created if missing; refused if the name is taken by a link or a file (the
    sender may plant `refuses` -> the service's folder, to have files moved or reports
    written there)."""
    if create:
        with contextlib.suppress(FileExistsError):
            folder.mkdir()
    if os.path.lexists(folder) and not stat.S_ISDIR(folder.lstat().st_mode):
        raise UsageError(
            f"{folder} n'est pas un dossier (lien symbolique ou fichier) : les fichiers ne "
            "peuvent y être rangés. Supprimez-le ; il sera recréé au prochain passage."
        )
    return folder


def _move(path: Path, folder: Path) -> Path:
    target = _unique(_own_dir(folder) / path.name)
    path.replace(target)  # rename: moves the name, never follows a link
    return target


def _write_new(path: Path, text: str) -> None:
    """Write a new file, never through a name planted beforehand (O_EXCL, O_NOFOLLOW)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def _settle(result: FileResult, folder: Path, settings: Settings) -> None:
    """Move the files of a processed arrival, and keep its report."""
    outcome = result.outcome
    if outcome.report is not None:
        archive.keep(settings.db_path, outcome.report, outcome.load_id)
    if outcome.status in ("loaded", loader.ALREADY_LOADED):
        result.moved = [_move(p, folder / LOADED_DIR) for p in result.arrival.paths]
        return
    result.moved = [_move(p, folder / REFUSED_DIR) for p in result.arrival.paths]
    if outcome.report is not None:
        report_path = _unique(result.moved[0].with_name(result.moved[0].name + REPORT_SUFFIX))
        _write_new(report_path, html.render(outcome.report.to_dict()))
        result.report_path = report_path


def arrivals_lock_path(db_path: Path) -> Path:
    """The lock one arrivals run holds on a warehouse (as `warehouse.writer_lock` names it)."""
    return db_path.with_name(db_path.name + ".arrivees")


def run_once(
    settings: Settings,
    folder: Path | None = None,
    wait: float = 10.0,
    departement: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Run:
    """One pass: take the complete files, load them as one lot, move them; see the module."""
    folder = folder or retention.arrivals_dir(settings.db_path)
    departement = departement or settings.default_departement
    if not folder.is_dir():
        raise UsageError(f"Dossier d'arrivée introuvable : {folder} (PILOTAGE_ARRIVEES).")
    with warehouse.writer_lock(arrivals_lock_path(settings.db_path)):
        run = Run(folder, datetime.now())
        complete, arriving = complete_files(folder, wait, sleep)
        complete, unpacked = _unpack_archives(complete, settings)
        try:
            _load_pass(run, settings, complete, arriving, unpacked, departement)
        finally:
            unpacked.cleanup()
    return run


def _load_pass(
    run: Run,
    settings: Settings,
    complete: list[Path],
    arriving: list[Path],
    unpacked: _Unpacked,
    departement: str | None,
) -> None:
    """Screen, load as one lot, settle (the body of `run_once`, under its lock)."""
    folder = run.folder
    arrivals, incomplete = screen(complete, departement)
    run.waiting = sorted(p for p in arriving + incomplete if p not in unpacked.member_of)
    run.skipped = look(folder)[1]
    if not arrivals and not unpacked.refused:
        return
    try:
        for name in (LOADED_DIR, REFUSED_DIR):  # before loading: never half a pass
            _own_dir(folder / name, create=False)
    except UsageError as error:
        run.failure = str(error)
        return
    for path, message in unpacked.refused:
        result = FileResult(
            Arrival([path], "7z", departement, None), loader.Outcome("refused", None, message)
        )
        _settle(result, folder, settings)
        run.results.append(result)
    if arrivals:
        try:
            outcomes = loader.load_batch(
                "auto",
                [a.target for a in arrivals],
                settings,
                departements=[a.departement for a in arrivals],
                refuse_unusable=True,
            )
        except LoadFailed as error:
            run.failure = str(error)
        else:
            for arrival, outcome in zip(arrivals, outcomes, strict=True):
                result = FileResult(arrival, outcome)
                if arrival.paths[0] in unpacked.member_of:  # the archive moves, not its members
                    if outcome.report is not None:
                        archive.keep(settings.db_path, outcome.report, outcome.load_id)
                else:
                    _settle(result, folder, settings)
                run.results.append(result)
            _settle_archives(run, unpacked, folder)
    access.audit(
        settings.db_path,
        settings.operator,
        "arrivees",
        "echec" if run.failure else ("refuse" if run.exit_code else "ok"),
        departement,
        fichiers=sum(len(a.paths) for a in arrivals) + len(unpacked.refused),
        charges=sum(r.outcome.status == "loaded" for r in run.results),
        refuses=sum(r.outcome.status == "refused" for r in run.results),
    )


@dataclass
class _Unpacked:
    """The 7z archives of a pass: where their members were written (a private folder beside
    the warehouse, deleted after the pass), which archive each member comes from, and the
    archives refused whole (password, member not encrypted or outside, bomb)."""

    work: Path | None = None
    member_of: dict[Path, Path] = field(default_factory=dict)
    refused: list[tuple[Path, str]] = field(default_factory=list)

    def cleanup(self) -> None:
        if self.work is not None:
            shutil.rmtree(self.work, ignore_errors=True)


def _unpack_archives(complete: list[Path], settings: Settings) -> tuple[list[Path], _Unpacked]:
    """The complete files with each 7z archive replaced by its members, each then loaded
    like a file of its own (pipelines/readers/archive7z.py); the password comes from the
    0600 file PILOTAGE_7Z_MOT_DE_PASSE_FILE names, read once per pass, never shown."""
    unpacked = _Unpacked()
    files: list[Path] = []
    password: str | None = None
    for index, path in enumerate(complete):
        try:
            is_archive = archive7z.is_7z(path)
        except FileRefused:
            continue  # swapped for a link since the look: skipped next pass
        if not is_archive:
            files.append(path)
            continue
        if unpacked.work is None:
            base = private_dir(settings.db_path.parent / "arrivees_7z")
            unpacked.work = Path(tempfile.mkdtemp(prefix="passage_", dir=base))
        try:
            password = password or archive7z.configured_password()
            members = archive7z.unpack(path, password, unpacked.work / str(index) / path.name)
        except (FileRefused, UsageError) as error:
            unpacked.refused.append((path, str(error)))
            continue
        for member in members:
            unpacked.member_of[member] = path
            files.append(member)
    return files, unpacked


def _settle_archives(run: Run, unpacked: _Unpacked, folder: Path) -> None:
    """Move each archive whose members were loaded: to `charges/` when every member was
    loaded (or already), else to `refuses/`; its members are deleted with the pass."""
    status: dict[Path, bool] = {}
    for result in run.results:
        for path in result.arrival.paths:
            if path in unpacked.member_of:
                ok = result.outcome.status in ("loaded", loader.ALREADY_LOADED)
                archive_path = unpacked.member_of[path]
                status[archive_path] = status.get(archive_path, True) and ok
    for archive_path, ok in status.items():
        _move(archive_path, folder / (LOADED_DIR if ok else REFUSED_DIR))


STATUS_FR = {**journal.STATUS_LABELS, loader.ALREADY_LOADED: "déjà chargé"}


def summary_lines(run: Run) -> list[str]:
    """What a run prints and mails: one line per file (names, counts, never a value)."""
    lines = []
    for r in run.results:
        o = r.outcome
        # most messages name the file (as FileFacts.file_name shows it)
        named = o.message.startswith(printable(r.arrival.paths[0].name))
        text = o.message if named else f"{r.arrival.name} : {o.message}"
        lines.append(f"[{STATUS_FR.get(o.status, o.status)}] {text}")
    if run.failure:
        lines.append(f"[échec] {run.failure} Les fichiers restent dans {run.folder}.")
    lines += [
        f"[en attente] {p.name} : transfert en cours, ou unité parcours incomplète "
        "(personnes, rendez-vous et prestations arrivent ensemble)."
        for p in run.waiting
    ]
    lines += [f"[ignoré] {p.name} : {why} ; déposez le fichier lui-même." for p, why in run.skipped]
    return [printable(line) for line in lines]
