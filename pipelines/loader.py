"""Validate and load one file: the library behind `validate`, `load` and the Chargement page.

A load is: inspect (hash, encoding) -> skip if the same bytes are already loaded -> stage
and validate in an in-memory DuckDB -> open a new warehouse generation -> journal row,
replaced rows, quarantine -> swap. A refused file writes its journal row only; a failure
writes a 'failed' row in a generation of its own; the data either all land or none do.

A lot (`load_batch`: `load --lot`, the demo, an arrivals run) pays the fixed costs once:
one DuckDB instance holds the lot's working copy of the warehouse, each file is staged in
a connection of its own on that instance (its temporary tables and key macros vanish
with it) and written in a transaction of its own, and the copy is swapped in once.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines import generation, journal, personnes, pseudonymise, retention, warehouse
from pipelines.errors import FileUnusable, LoadFailed, NotAuthorised, PilotageError, UsageError
from pipelines.nomenclatures import departement_code
from pipelines.readers.encoding import FileFacts, inspect_file, unit_facts
from pipelines.settings import Settings
from pipelines.sources import detect_source, get_source
from pipelines.sources.protocol import Source
from pipelines.validation import drift
from pipelines.validation.report import Finding, Report

Progress = Callable[[str], None]

ALREADY_LOADED = "already_loaded"


@dataclass
class Outcome:
    """What happened to one file."""

    status: str  # loaded | refused | failed | already_loaded | valid (validate only)
    report: Report | None
    message: str
    load_id: int | None = None
    rows_loaded: int = 0
    error: BaseException | None = None  # the cause of a 'failed' load, for --debug

    @property
    def exit_code(self) -> int:
        return 1 if self.status in ("refused", "failed") else 0


def _noop(_: str) -> None:
    return None


def resolve_source(source: str, facts: FileFacts) -> str:
    """`auto` looks at the first line; otherwise the name must be a known source."""
    if source == "auto":
        return detect_source(facts)
    src = get_source(source)
    if facts.parts and not getattr(src, "MULTI_FILE", False):
        raise UsageError(f"La source « {source} » se charge fichier par fichier.")
    return source


def _inspect(path: Path | list[Path]) -> FileFacts:
    """Facts of one file, or of several files loaded as one unit (parcours)."""
    paths = [Path(p) for p in path] if isinstance(path, list | tuple) else [Path(path)]
    for p in paths:
        if not p.is_file():
            raise UsageError(f"Fichier introuvable : {p}")
    try:
        return inspect_file(paths[0]) if len(paths) == 1 else unit_facts(paths)
    except OSError as error:
        raise UsageError(unreadable_message(error, paths[0])) from error


# errno -> what a French user reads instead of the system's English strerror
_OS_REASONS = {
    errno.EACCES: "accès refusé (droits du fichier)",
    errno.EPERM: "opération non permise",
    errno.EISDIR: "c'est un dossier, pas un fichier",
    errno.ENOENT: "fichier introuvable",
    errno.EIO: "erreur d'entrée/sortie du disque",
}


def unreadable_message(error: OSError, path: Path) -> str:
    """'<file> : lecture impossible (accès refusé (droits du fichier)).'"""
    name = Path(error.filename).name if error.filename else Path(path).name
    reason = _OS_REASONS.get(error.errno or 0, "erreur du système de fichiers")
    return f"{name} : lecture impossible ({reason})."


@dataclass
class _Lot:
    """The lot being loaded (`load_batch`): its DuckDB instance, with the lot's working
    copy of the warehouse attached as `wh`."""

    con: duckdb.DuckDBPyConnection


_lot: ContextVar[_Lot | None] = ContextVar("lot_en_cours", default=None)


def _staging_connection(key: bytes) -> duckdb.DuckDBPyConnection:
    """The in-memory connection a file is staged in, with the key's macros (TEMP: they
    live and die with this connection). In a lot, a new connection to the lot's instance:
    the staged tables are its own, and the lot's copy is already attached."""
    lot = _lot.get()
    if lot is None:
        con = warehouse.connect(**warehouse.WRITER_CONFIG)
    else:
        con = lot.con.cursor()
        con.execute("SET enable_progress_bar = false")  # a connection's own setting
    pseudonymise.register_macros(con, key)
    return con


def validate(
    source: str,
    path: Path,
    settings: Settings,
    departement: str | None = None,
    progress: Progress = _noop,
    facts: FileFacts | None = None,
    key: bytes | None = None,
    options: dict | None = None,
    authorise: Callable[[str], bool] | None = None,
) -> tuple[Report, duckdb.DuckDBPyConnection, FileFacts, str]:
    """Parse and check a file; writes nothing. Returns the report and the staging connection.

    `authorise(département)` (the app's user) is asked about the file's own département,
    which a PECGM header names, before anything is read from the warehouse: the drift
    against a département's previous file is that département's data.
    """
    departement = departement or settings.default_departement
    if departement is not None:  # a file of a département nobody can be given is refused
        departement = departement_code(departement)
    progress("lecture")
    facts = facts or _inspect(path)
    source = resolve_source(source, facts)
    key_used = key or pseudonymise.load_or_create_key(settings.key_file)
    con = _staging_connection(key_used)
    progress("contrôles")
    report = get_source(source).stage(
        con,
        facts,
        departement=departement,
        threshold=settings.line_error_threshold,
        options=options or {},
    )
    if authorise is not None and report.departement and not authorise(report.departement):
        con.close()
        raise NotAuthorised(
            f"{facts.file_name} est un fichier du département {report.departement}, pour "
            "lequel vous n'êtes pas habilité : il n'est ni contrôlé ni comparé."
        )
    _compare_with_warehouse(con, settings, report, get_source(source), key_used)
    return report, con, facts, source


def _compare_with_warehouse(
    con, settings: Settings, report: Report, source: Source, key: bytes
) -> None:
    """What the live warehouse tells about the file (read-only): whether this key is the
    warehouse's (a file checked with another key could not be loaded), then the drift
    against the previous loaded file. In a lot, the lot's copy (the files before this
    one included), as if they had been loaded one by one."""
    if _lot.get() is not None:
        _compare_with(con, report, source, key)
        return
    if not settings.db_path.exists():
        return
    con.execute("ATTACH ? AS wh (READ_ONLY)", [str(settings.db_path)])
    try:
        if warehouse.schema_version(con, "wh") == warehouse.latest_version():
            _compare_with(con, report, source, key)
    finally:
        con.execute("DETACH wh")


def _compare_with(con, report: Report, source: Source, key: bytes) -> None:
    """The key check and the drift against the warehouse attached as `wh`."""
    if _stored_fingerprint(con) not in (None, pseudonymise.fingerprint(key)):
        report.findings.append(Finding("cle", f"{report.file_name} : {KEY_MISMATCH}"))
    elif report.loadable:
        drift.compare(con, report, source)


KEY_MISMATCH = (
    "la clé de pseudonymisation n'est pas celle qui a servi à construire cet entrepôt : "
    "chargement impossible (vérifiez PILOTAGE_SECRET_KEY ou PILOTAGE_KEY_FILE)."
)


def _stored_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute(
        "SELECT value FROM wh.warehouse_meta WHERE key = 'key_fingerprint'"
    ).fetchone()
    return row[0] if row else None


def _check_key(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Refuse to mix keys in one warehouse: people would silently stop linking."""
    current = pseudonymise.fingerprint(key)
    stored = _stored_fingerprint(con)
    if stored is None:
        con.execute("INSERT INTO wh.warehouse_meta VALUES ('key_fingerprint', ?)", [current])
    elif stored != current:
        raise UsageError(KEY_MISMATCH[0].upper() + KEY_MISMATCH[1:])


def _already_loaded(settings: Settings, source: str, facts: FileFacts) -> Outcome | None:
    lot = _lot.get()
    if lot is not None:
        row = journal.already_loaded(lot.con, source, facts.sha256, catalog="wh")
        return None if row is None else _already_loaded_outcome(facts, row)
    if not settings.db_path.exists():
        return None
    con = warehouse.open_reader(settings.db_path)
    try:
        if warehouse.schema_version(con) == 0:
            return None
        row = journal.already_loaded(con, source, facts.sha256)
    finally:
        con.close()
    return None if row is None else _already_loaded_outcome(facts, row)


def _already_loaded_outcome(facts: FileFacts, row: tuple) -> Outcome:
    message = (
        f"{facts.file_name} est déjà chargé (chargement n° {row[0]}, département {row[1]}, "
        f"mois {row[2]}) : rien n'a changé."
    )
    return Outcome(ALREADY_LOADED, None, message, load_id=row[0])


class _Duplicate(Exception):
    """The file's hash, known only after the writing, is that of a current load: the
    transaction is rolled back and the load reported as already done."""

    def __init__(self, row: tuple) -> None:
        super().__init__(row)
        self.row = row


def _previous_loads(con, src, report: Report) -> list[int]:
    """The loads a new file replaces (see `SUPERSEDE` in pipelines/sources)."""
    sql = (
        "SELECT id FROM wh.load_journal WHERE source = ? AND departement = ? AND status = 'loaded'"
    )
    params: list[object] = [src.SOURCE, report.departement]
    if src.SUPERSEDE == "month":
        sql += " AND month = ? AND variant IS NOT DISTINCT FROM ?"
        params += [report.month, report.variant]
    return [r[0] for r in con.execute(sql, params).fetchall()]


def _link_rate(con, src, report: Report, load_id: int) -> dict | None:
    """Share of the loaded persons found in the département's PECGM files (any month).

    A person matches on the person key (NIR) or on the identifiant PE: a low rate tells a
    département that its identifiers do not match France Travail's.
    """
    if src.TABLE == "caf_beneficiaire":
        return _flux_link_rate(con, report, load_id)
    if src.TABLE not in ("orientation", "lrsa_de", "parcours_personne"):
        return None
    row = con.execute(
        f"""WITH p AS (SELECT person_key, pe_key FROM wh.pecgm_stock WHERE departement = ?)
        SELECT count(*),
               count(*) FILTER (WHERE t.person_key IN (SELECT person_key FROM p)
                                   OR t.pe_key IN (SELECT pe_key FROM p)),
               (SELECT count(*) FROM p)
        FROM wh.{src.TABLE} t WHERE t.load_id = ?""",
        [report.departement, load_id],
    ).fetchone()
    lines, linked, pecgm_rows = row
    if not pecgm_rows:
        return {"lignes": lines, "liees": None, "taux": None, "pecgm_charge": False}
    return {
        "lignes": lines,
        "liees": linked,
        "taux": round(linked / lines, 4) if lines else None,
        "pecgm_charge": True,
    }


def _flux_link_rate(con, report: Report, load_id: int) -> dict:
    """A CAF/MSA flux: share of its persons soumis aux droits et devoirs (open right) that
    the département's orientation sources know (NIR, identifiant PE, identifiant RSA)."""
    lines, linked, oriented = con.execute(
        """WITH o AS (SELECT person_key, pe_key, rsa_key, cle_type FROM wh.orientation
                      WHERE departement = ?)
        SELECT count(DISTINCT c.person_key),
               count(DISTINCT c.person_key) FILTER (
                   WHERE c.person_key IN (SELECT person_key FROM o)
                      OR c.pe_key IN (SELECT pe_key FROM o)
                      OR c.rsa_key IN (SELECT rsa_key FROM o WHERE cle_type = 'RSA')),
               (SELECT count(*) FROM o)
        FROM wh.caf_beneficiaire c
        WHERE c.load_id = ? AND c.soumis_droits_devoirs AND c.etat_dossier IN ('2', '3', '4')""",
        [report.departement, load_id],
    ).fetchone()
    return {
        "lignes": lines,
        "liees": linked if oriented else None,
        "taux": round(linked / lines, 4) if lines and oriented else None,
        "orientations_chargees": bool(oriented),
    }


def journal_row(
    con: duckdb.DuckDBPyConnection,
    source: str,
    facts: FileFacts,
    report: Report,
    status: str,
    started: datetime,
    operator: str,
    message: str,
    **extra: str,
) -> int:
    """The load-journal row of one file, in the generation being written (`wh`): the one
    call of every loader, the France Travail collection's included."""
    return journal.insert_row(
        con,
        catalog="wh",
        source=source,
        facts=facts,
        report=report,
        status=status,
        started_at=started,
        operator=operator,
        message=message,
        **extra,
    )


def _write_loaded(
    con, src, report: Report, facts: FileFacts, settings: Settings, started: datetime
) -> tuple[int, int]:
    previous = _previous_loads(con, src, report)
    drift.keep_reference_persons(con, report)  # before the replaced rows are deleted
    message = (
        f"{report.rows_rejected} ligne(s) en quarantaine."
        if report.rows_rejected
        else "Chargé sans rejet."
    )
    if previous:
        message += f" Remplace le chargement n° {', '.join(map(str, previous))}."
    load_id = journal_row(
        con,
        src.SOURCE,
        facts,
        report,
        "loaded",
        started,
        settings.operator,
        message,
        sha256="",  # written below: the file's hash goes on in the background meanwhile
    )
    tables = tuple(getattr(src, "TABLES", (src.TABLE,)))
    for table in tables if previous else ():
        con.execute(
            f"DELETE FROM wh.{table} WHERE load_id IN ({', '.join('?' * len(previous))})",
            previous,
        )
    rows = src.insert(con, report, load_id, "wh")
    con.execute(f"INSERT INTO wh.quarantine SELECT {load_id}, * FROM ({src.quarantine_sql()})")
    report.liaison = _link_rate(con, src, report, load_id)
    drift.missing_persons(con, report, load_id)
    purged = retention.apply_retention(con, report.month, settings.operator)
    if not purged:  # a purge has just recomputed them, this load's rows included
        personnes.after_load(
            con, tables, load_id, report.departement, report.month, replaced=bool(previous)
        )
    duplicate = journal.already_loaded(con, src.SOURCE, facts.sha256, catalog="wh")
    if duplicate:
        raise _Duplicate(duplicate)
    con.execute(
        "UPDATE wh.load_journal SET rows_loaded = ?, ended_at = ?, report_json = ?, sha256 = ? "
        "WHERE id = ?",
        [rows, datetime.now(), report.to_json(), facts.sha256, load_id],
    )
    if previous:
        con.execute(
            f"UPDATE wh.load_journal SET status = 'superseded', superseded_by = ? "
            f"WHERE id IN ({', '.join('?' * len(previous))})",
            [load_id, *previous],
        )
    return load_id, rows


def _write_generation(
    settings: Settings,
    con: duckdb.DuckDBPyConnection,
    key: bytes,
    write: Callable[[], tuple[int, int]],
    results_kept: bool = False,
) -> tuple[int, int]:
    """Run `write` against a fresh generation attached as `wh`, in one transaction; in a
    lot, against the lot's copy, already attached, in a transaction of this file's own.
    `results_kept`: `write` changes no data the pages' stored results read (a journal row
    alone), so the generation keeps them (`generation.write_generation`)."""
    if _lot.get() is not None:
        return _in_transaction(con, key, write)
    with generation.write_generation(settings.db_path, results_kept=results_kept) as tmp:
        con.execute("ATTACH ? AS wh", [str(tmp)])
        try:
            result = _in_transaction(con, key, write)
            con.execute("CHECKPOINT wh")
        finally:
            con.execute("DETACH wh")
    return result


def _in_transaction(
    con: duckdb.DuckDBPyConnection, key: bytes, write: Callable[[], tuple[int, int]]
) -> tuple[int, int]:
    """`write` all or nothing: whatever fails, nothing of it stays in `wh`."""
    try:
        con.execute("BEGIN TRANSACTION")
        _check_key(con, key)
        result = write()
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    return result


def _journal_only(
    settings: Settings,
    con: duckdb.DuckDBPyConnection,
    key: bytes,
    source: str,
    facts: FileFacts,
    report: Report,
    status: str,
    started: datetime,
    message: str,
) -> int:
    """Write the journal row of a file that loads nothing (refused, failed), in a generation
    of its own or in the lot's; returns its id."""
    load_id, _ = _write_generation(
        settings,
        con,
        key,
        lambda: (
            journal_row(con, source, facts, report, status, started, settings.operator, message),
            0,
        ),
        results_kept=True,  # no indicator reads the journal: a refused file costs no storing
    )
    return load_id


UNRECOGNISED = "inconnue"  # the journal's source for a file no reader recognises


def journal_unusable(
    path: Path | list[Path],
    error: FileUnusable,
    settings: Settings,
    departement: str | None = None,
) -> Outcome:
    """Journal as refused a file that cannot be read as any source (see `FileUnusable`),
    with a report holding the reason, so that it is answered like any refused file."""
    started = datetime.now()
    facts = _inspect(path)
    report = Report.for_file(UNRECOGNISED, facts, settings.line_error_threshold)
    report.departement = departement or settings.default_departement
    message = f"{facts.file_name} : {error}"
    report.findings.append(Finding("source_non_reconnue", message))
    key = pseudonymise.load_or_create_key(settings.key_file)
    con = _staging_connection(key)
    try:
        load_id = _journal_only(
            settings, con, key, UNRECOGNISED, facts, report, "refused", started, message
        )
    finally:
        con.close()
    return Outcome("refused", report, message, load_id)


def load_batch(
    source: str,
    paths: list[Path] | list[Path | list[Path]],
    settings: Settings,
    departement: str | None = None,
    progress: Progress = _noop,
    options: dict | None = None,
    departements: list[str | None] | None = None,
    refuse_unusable: bool = False,
    sources: list[str] | None = None,
) -> list[Outcome]:
    """Load many files as one lot: one working copy of the warehouse, one DuckDB instance
    and one swap for the lot (a national month is thousands of files, the demo 118).
    Each file (or multi-file unit: parcours) is validated and journaled as by `load`, in
    a transaction of its own, with its own département when `departements` is given and
    its own source when `sources` is; a failure discards the whole lot, so the warehouse
    never holds part of it. With `refuse_unusable`, a file no reader recognises is
    journaled as refused (an arrivals run) instead of stopping the lot."""
    outcomes = []
    for given in (departements, sources):
        if given is not None and len(given) != len(paths):
            raise ValueError("one département and one source per file of the lot")
    with generation.working_copy(settings.db_path, **warehouse.WRITER_CONFIG) as con:
        token = _lot.set(_Lot(con))
        try:
            for index, path in enumerate(paths):
                own = departements[index] if departements is not None else departement
                kind = sources[index] if sources is not None else source
                try:
                    outcome = load(kind, path, settings, own, progress, options)
                except FileUnusable as error:
                    if not refuse_unusable:
                        raise
                    outcome = journal_unusable(path, error, settings, own)
                if outcome.status == "failed":
                    raise LoadFailed(
                        f"{outcome.message} Lot abandonné : aucun de ses fichiers n'est chargé."
                    ) from outcome.error
                outcomes.append(outcome)
        finally:
            _lot.reset(token)
    return outcomes


def load(
    source: str,
    path: Path,
    settings: Settings,
    departement: str | None = None,
    progress: Progress = _noop,
    options: dict | None = None,
    authorise: Callable[[str], bool] | None = None,
) -> Outcome:
    """Validate, then load atomically; see the module docstring.

    `options` are the source's own: `mapping` (header -> field), `liste` and `mois`;
    `authorise` as for `validate`.
    """
    started = datetime.now()
    facts = _inspect(path)
    source = resolve_source(source, facts)
    key = pseudonymise.load_or_create_key(settings.key_file)
    report, con, facts, source = validate(
        source, path, settings, departement, progress, facts, key, options, authorise
    )
    # The file's sha256 is computed in the background. When it is ready, a file already
    # loaded is recognised now; otherwise the hash overlaps the writing too, and the same
    # check, inside the write transaction, rolls it back (see _write_loaded).
    skipped = _already_loaded(settings, source, facts) if facts.digest.done() else None
    if skipped:
        con.close()
        return skipped
    src = get_source(source)
    try:
        if not report.loadable:
            progress("journal")
            message = " ".join(f.message for f in report.blocking)
            load_id = _journal_only(
                settings, con, key, source, facts, report, "refused", started, message
            )
            return Outcome("refused", report, message, load_id)
        progress("écriture")
        try:
            load_id, rows = _write_generation(
                settings,
                con,
                key,
                lambda: _write_loaded(con, src, report, facts, settings, started),
            )
        except _Duplicate as duplicate:
            return _already_loaded_outcome(facts, duplicate.row)
        except PilotageError:
            raise
        except Exception as error:  # journal the failure in its own generation, then report it
            message = f"Échec du chargement de {facts.file_name} : {type(error).__name__}."
            _journal_only(settings, con, key, source, facts, report, "failed", started, message)
            return Outcome("failed", report, message, error=error)
        progress("terminé")
        message = (
            f"{facts.file_name} chargé : {rows} enregistrement(s), "
            f"{report.rows_rejected} en quarantaine (chargement n° {load_id})."
        )
        return Outcome("loaded", report, message, load_id, rows)
    finally:
        con.close()
