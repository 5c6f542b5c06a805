"""What the pages open with, computed when a warehouse generation is written and stored in it.

Why: the first view of a page after a load spent 0.5 to 1.2 s in its DuckDB queries (a
year of each indicator family, the masking grids, a cohorte's funnel, the DREES return);
with their results at hand the same view takes 0.1 to 0.3 s (docs/performances.md). The
server's filling after a load (dashboard/warm.py) computed them too, but only once it had
seen the new file: a user who came first waited for them, and every server start paid
them again. Here they are computed once, by the writer, before its generation is swapped
in: the file a reader opens already holds them, consistent with its data by construction.

- `READS`: each stored read, by name, as a function `(con, *key) -> result`. The pages'
  cached reads (dashboard/db.py) call the same functions when nothing is stored, so a
  stored result and a computed one come from one piece of code.
- `opening_reads`: the keys stored, per département: what each page opens with (the
  whole département, the default period and the month a year before, the default
  cohortes, the Bilan DREES of the year offered first). Any other choice of a user is
  computed by the page as before.
- `refresh`: run by `generation.write_generation` on every generation it writes (loads,
  territoires, organismes, purges), whose copy starts with the table emptied: it is
  filled again from the new data, or left empty when storing is off
  (PILOTAGE_PRECALCUL=0, `deferred`: the demo build, a schema upgrade), never left from
  older data (but by the journal row of a refused file alone, which no read reads).
- `code_version`: a digest of the code the results come from, stored with each. A
  result of other code (a release since, a restored backup) is never read (`stored`);
  the command `precalcul`, run after each arrivals pass, stores them anew (`outdated`).
- Results are raw counts, before masking, as the reads return them: each page masks at
  its own threshold when it draws them, exactly as it did with the reads themselves.

Values are stored as JSON (tuples tagged), and only when they decode to the very same
value (types, key order): a result that JSON cannot carry exactly is left to the page.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import logging
import math
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb

from pipelines import indicators, oarsa, warehouse

TABLE = "resultat_precalcule"  # emptied by every new generation (pipelines/generation.py)
VARIABLE = "PILOTAGE_PRECALCUL"  # "0": store nothing (the test suite's many small writes)
# The months of each monthly family stored, newest first: the default period, and as many
# again before it (the Synthèse's tiles also read the month a year before, and a trend).
OPENED_MONTHS = 2 * indicators.DEFAULT_PERIOD_MONTHS
WORKERS = 2  # reads run two at a time: one query keeps about one core busy
MARKER = "_version"  # the row a completed storing leaves, whatever it stored (`outdated`)
LOG = logging.getLogger(__name__)
_TUPLE = "\x00tuple"  # the tag of a tuple in the stored JSON (a key no result has)
_DEFERRED = threading.local()

Key = tuple


# --- The reads -------------------------------------------------------------------------


def periode(
    con: duckdb.DuckDBPyConnection, name: str, departement: str, communes, loaded=None
) -> dict:
    """A period family for every loaded month (`indicators.loaded_span`); `loaded`: the
    département's loaded months when the caller holds them (a page's memo), else read."""
    loaded = indicators.months_available(con, departement) if loaded is None else loaded
    return indicators.loaded_span(con, name, departement, communes, loaded)


def famille(
    con: duckdb.DuckDBPyConnection, name: str, departement: str, month: str | None, communes
):
    """One indicator family of a month (None: a family over every month, contrat_courbe)."""
    function = getattr(indicators, name)
    if month is None:
        return function(con, departement, communes=communes)
    return function(con, departement, month, communes=communes)


def departement_entier(con: duckdb.DuckDBPyConnection, name: str, departement: str):
    """A family of the whole département, whatever the month (liaison_flux)."""
    return getattr(indicators, name)(con, departement)


def grille_stock(
    con: duckdb.DuckDBPyConnection, departement: str, partition: tuple, before: bool, loaded=None
) -> dict:
    """The masking grid of the registered persons over `indicators.grid_months`
    (`loaded` as `periode`'s)."""
    months = indicators.grid_months(con, departement, before, loaded)
    return indicators.stock_grille(con, departement, months, dict(partition))


def grilles_familles(
    con: duckdb.DuckDBPyConnection, departement: str, partition: tuple, before: bool, loaded=None
) -> dict:
    """The other families' masking grids over `indicators.grid_months` (`loaded` as
    `periode`'s)."""
    months = indicators.grid_months(con, departement, before, loaded)
    return indicators.familles_grille(con, departement, months, dict(partition))


def synthese(con: duckdb.DuckDBPyConnection, departement: str, month: str, communes) -> dict:
    """The month's summary (`indicators.summary`, each family by its query)."""
    return indicators.summary(con, departement, month, communes)


def cohorte(
    con: duckdb.DuckDBPyConnection,
    what: str,
    departement: str,
    base: str,
    debut: str,
    fin: str,
    communes,
    horizon: int | None,
    immatures: str,
    filters: tuple,
):
    """A cohorte's funnel (`what` « entonnoir ») or survival curves (« courbes »)."""
    function = {"entonnoir": indicators.cohorte, "courbes": indicators.cohorte_courbes}[what]
    return function(
        con, departement, base, debut, fin, communes, horizon=horizon, immatures=immatures,
        **dict(filters),
    )  # fmt: skip


def bilan(con: duckdb.DuckDBPyConnection, departement: str, annee: int, regle: str) -> dict:
    """The DREES return of a year (`oarsa.compute`, exact counts)."""
    return oarsa.compute(con, departement, annee, regle)


READS: dict[str, Callable[..., Any]] = {
    "periode": periode,
    "famille": famille,
    "departement_entier": departement_entier,
    "grille_stock": grille_stock,
    "grilles_familles": grilles_familles,
    "synthese": synthese,
    "cohorte": cohorte,
    "bilan": bilan,
}


def cohorte_filters() -> tuple[tuple[str, None], ...]:
    """The filters of a cohorte the page opens with: every one at « all », as the page's
    cached read keys them (sorted)."""
    return tuple(sorted((name, None) for name in indicators.COHORTE_FILTERS))


def opening_reads(con: duckdb.DuckDBPyConnection) -> Iterator[tuple[str, str, Key]]:
    """(read, département, key) of what each page opens with, for every département: the
    whole département, the default period and the year before it, every parcours, the
    default cohortes and Bilan DREES (see the module docstring)."""
    for departement in indicators.departements(con):
        months = indicators.months_available(con, departement)  # newest first
        if not months:
            continue
        partition = indicators.communes_par_territoire(con, departement)
        if partition:
            grid = (departement, tuple(partition.items()), False)
            yield "grille_stock", departement, grid
            yield "grilles_familles", departement, grid
        for name in indicators.PERIOD_FAMILIES:
            yield "periode", departement, (name, departement, None)
        for name in indicators.FAMILIES:
            if name in indicators.PERIOD_FAMILIES:
                continue  # each month from its period (`periode`)
            if not monthly(name):
                yield "famille", departement, (name, departement, None, None)
                continue
            for month in months[:OPENED_MONTHS]:
                yield "famille", departement, (name, departement, month, None)
        yield "departement_entier", departement, ("liaison_flux", departement)
        for month in months[:2]:  # the Synthèse's month, and the one before: its changes
            yield "synthese", departement, (departement, month, None)
        base, immatures = indicators.COHORTE_BASES[0], indicators.IMMATURES[0]
        for chosen in indicators.default_cohorte_months(sorted(months)):
            for what in ("entonnoir", "courbes") if chosen else ():
                yield "cohorte", departement, (
                    what, departement, base, chosen[0], chosen[-1], None,
                    indicators.DEFAULT_HORIZON, immatures, cohorte_filters(),
                )  # fmt: skip
        year = oarsa.annees_proposees(oarsa.annees_disponibles(con, departement))[0]
        yield "bilan", departement, (departement, year, oarsa.regle_par_defaut())


def monthly(name: str) -> bool:
    """Whether a family is read month by month (its function takes `month`)."""
    return "month" in inspect.signature(getattr(indicators, name)).parameters


# --- The stored form -------------------------------------------------------------------


def key_text(key: Key) -> str:
    """A read's key as stored (`cle`): its arguments as JSON, tuples as lists."""
    return json.dumps(key, ensure_ascii=False, separators=(",", ":"))


def _tagged(value: Any) -> Any:
    if isinstance(value, tuple):
        return {_TUPLE: [_tagged(v) for v in value]}
    if isinstance(value, list):
        return [_tagged(v) for v in value]
    if isinstance(value, dict):
        return {k: _tagged(v) for k, v in value.items()}
    return value


def _untag(obj: dict) -> Any:
    if len(obj) == 1 and _TUPLE in obj:
        return tuple(obj[_TUPLE])
    return obj


def encode(value: Any) -> str:
    """A result as stored (`valeur`): JSON, tuples tagged; TypeError for a value JSON has
    no form for (a date, say)."""
    return json.dumps(_tagged(value), ensure_ascii=False, separators=(",", ":"))


def decode(text: str) -> Any:
    return json.loads(text, object_hook=_untag)


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types, dictionaries in the same key order (a page draws
    bars in that order): what `==` does not check (1 == 1.0 == True, [1] vs (1,))."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def storable(value: Any) -> str | None:
    """`encode(value)` when it decodes to the same value (`same`), else None."""
    try:
        text = encode(value)
    except (TypeError, ValueError):
        return None
    return text if same(decode(text), value) else None


# --- Writing and reading ---------------------------------------------------------------


def enabled() -> bool:
    """Whether a generation written now stores its results: yes, unless PILOTAGE_PRECALCUL
    is "0" or this thread is inside `deferred`."""
    return os.environ.get(VARIABLE, "1") != "0" and not getattr(_DEFERRED, "on", False)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Generations written in the block store nothing (their table emptied): for a writer
    that writes several in a row (the demo build) and stores once, at the last."""
    before = getattr(_DEFERRED, "on", False)
    _DEFERRED.on = True
    try:
        yield
    finally:
        _DEFERRED.on = before


def _code_digest() -> str:
    """A digest of the code and reference files the stored results come from: every
    Python, SQL, YAML and CSV file of this package (indicator SQL and macros, migrations,
    code lists, the functions that shape results), and DuckDB's version. Any release of
    them makes the results stored by the previous one unread, until they are stored
    anew: a few seconds per département, once, rather than a figure of an older
    definition beside a newer one. Taken once, when the module is imported: the digest
    of the code this process runs, not of files replaced on disk since."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256(duckdb.__version__.encode() + b"\0")
    files = (
        path
        for path in root.rglob("*")
        if path.suffix in {".py", ".sql", ".yaml", ".csv"}
        and "__pycache__" not in path.parts
        and path.is_file()  # not an editor's dangling link
    )
    for path in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:20]


CODE_VERSION = _code_digest()


def code_version() -> str:
    return CODE_VERSION


Row = tuple[str, str, str, str, str]  # read, département, key, value, code version


def compute(con: duckdb.DuckDBPyConnection) -> tuple[list[Row], int]:
    """(rows to store, reads left out) of every opening read (`opening_reads`), two at a
    time on cursors of `con`. A read that fails, or whose result JSON cannot carry
    exactly, is left out (the page computes it), the failure logged with the read's name
    and département (no data); a disk found full is raised."""
    wanted = list(dict.fromkeys(opening_reads(con)))  # the two cohortes may be one
    cursors: queue.SimpleQueue = queue.SimpleQueue()  # one per worker, made here: a
    for _ in range(WORKERS):  # connection busy on one thread refuses another's call
        cursors.put(warehouse.sibling(con))
    version = code_version()

    def run(item: tuple[str, str, Key]) -> Row | None:
        read, departement, key = item
        cursor = cursors.get()
        try:
            value = storable(READS[read](cursor, *key))
        except Exception as error:
            if warehouse.is_disk_full(error):
                raise
            LOG.error(
                "résultat précalculé %s de %s non enregistré (%s) : la page le calculera",
                read, departement, type(error).__name__,
            )  # fmt: skip
            return None
        finally:
            cursors.put(cursor)
        return None if value is None else (read, departement, key_text(key), value, version)

    try:
        with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="precalcul") as pool:
            done = list(pool.map(run, wanted))
    finally:
        while not cursors.empty():
            cursors.get().close()
    rows = [row for row in done if row is not None]
    return sorted(rows), len(done) - len(rows)


def refresh(db_file: Path) -> None:
    """Store the results of the generation being written at `db_file` (closed by its
    writer, its table emptied by `generation.write_generation`), computed from its data.
    Whatever fails here, but a full disk, leaves the table empty or without the reads
    that failed, and says so on the process's error output: the pages compute what is
    missing, as without this module, and the generation is written all the same. A disk
    found full is raised (the writer reports it and keeps the live file)."""
    con = warehouse.connect(**warehouse.WRITER_CONFIG)
    try:
        con.execute("ATTACH ? AS wh", [str(db_file)])
        con.execute("USE wh")
        start = time.perf_counter()
        rows, left_out = compute(con)
        done = (MARKER, "", "", "", code_version())  # stored by this code, all it could
        con.execute("BEGIN TRANSACTION")
        con.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?)", [*rows, done])
        con.execute("COMMIT")
        con.execute("CHECKPOINT wh")
        LOG.info(
            "%d résultats précalculés en %.1f s (%d laissés aux pages)",
            len(rows), time.perf_counter() - start, left_out,
        )  # fmt: skip
    except Exception as error:
        if warehouse.is_disk_full(error):
            raise
        LOG.error(
            "résultats précalculés non enregistrés (%s) : les pages les calculeront",
            type(error).__name__,
        )
    finally:
        con.close()


def outdated(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse `con` reads should have its results stored anew: storing is
    on, it holds data, and no storing of this code completed on it (`MARKER`: none at all,
    written with storing off or deferred, or of other code). A storing whose reads all
    failed still leaves its marker: it is not tried again at every pass. Asked by
    `generation.store_if_outdated`."""
    if not enabled():
        return False
    try:
        done = con.execute(
            f"SELECT count(*) FROM {TABLE} WHERE lecture = ? AND version_code = ?",
            [MARKER, code_version()],
        ).fetchone()[0]
    except duckdb.CatalogException:  # not migrated yet: `migrer` first
        return False
    return not done and bool(indicators.departements(con))


def stored(con: duckdb.DuckDBPyConnection, read: str, departement: str) -> dict[str, str]:
    """Key (`key_text`) -> stored value (`decode` it) of one read and département, stored
    by this very code (`code_version`), in one query: what a page asks of a read it asks
    together. Empty for a warehouse that has no such table yet (written before it
    existed, not yet upgraded)."""
    try:
        rows = con.execute(
            f"SELECT cle, valeur FROM {TABLE} "
            "WHERE lecture = ? AND departement = ? AND version_code = ?",
            [read, departement, code_version()],
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    return dict(rows)
