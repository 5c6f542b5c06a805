"""Collect the DE status and diagnostic constraints of a département's beneficiaries.

`python -m pipelines api FILE --departement D`: FILE is any file of the département with
the NIR and the date of birth (reprise de stock, CGPEM, ...), read through the `statut`
template (`layouts/statut.yaml`, `expectations/statut.json`: header aliases, --mapping,
line checks and the rejection threshold, as for every tabular source). Then, for each
distinct person: Recherche usager, and when found Statut usager and Contraintes, in
parallel, through `client.FranceTravailClient`.

The collection is one load like the others: journaled (source `statut`), written in one
warehouse generation swapped in atomically (`loader._write_generation`), with a quality
report counting persons found, not found and in error by `codeRetour`.

Resume. Each person's result is appended, as soon as it is known, to a resume state
beside the warehouse (`collectes/statut_<D>_<day>.jsonl`, mode 0600) that holds the person
key (the keyed hash of the NIR) and the codes to keep, never the NIR, the date of birth or
the encrypted identifier. A run interrupted and started again the same day reads it back,
skips those persons and loads them with the others; persons the warehouse already holds
for that day (an earlier run with the same or another file) are skipped too. Calls that
failed for good (after the retries) are not definitive: the next run asks again.

What is kept (migration 0014): person key, collection date, `statutDE`, `dateEffetStatut`,
the category, motif and situation codes and, per thématique, whether a constraint is `OUI`.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import httpx
import pyarrow as pa

from pipelines import pseudonymise, retention, warehouse
from pipelines.errors import UsageError
from pipelines.francetravail.client import ApiError, AuthenticationError, FranceTravailClient
from pipelines.loader import (
    Outcome,
    _inspect,
    _journal_only,
    _staging_connection,
    _write_generation,
    journal_row,
)
from pipelines.settings import FranceTravailSettings, Settings
from pipelines.sources.tabular import TabularSource

SOURCE = "statut"
FOUND = "S001"
NOT_FOUND = "S002"
CODE_MAX = 20  # a code longer than this is not a code: not kept
LABEL_MAX = 200

statut_source = TabularSource(SOURCE, "ft_statut", supersede="none", month_column="date_naissance")

Progress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    return None


@dataclass(repr=False)
class Person:
    """What one call needs: in memory only, never printed (no repr)."""

    key: str
    nir: str  # 15 characters, control key included
    date_naissance: str  # AAAA-MM-JJ

    def __repr__(self) -> str:
        return "Person(…)"


@dataclass
class Result:
    """What is kept of one person's answers (codes only)."""

    key: str
    code_retour: str
    statut_de: str | None = None
    date_effet_statut: str | None = None
    categorie: str | None = None
    motif_inscription: str | None = None
    situation_emploi: str | None = None
    motif_cloture: str | None = None
    contraintes: dict[str, bool] = field(default_factory=dict)
    libelles: dict[str, str] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return self.code_retour == FOUND


def nir_complet(nir13: str) -> str:
    """The 15-character NIR Recherche usager wants: the 13 characters and their control
    key, 97 - (number mod 97), Corsica's 2A and 2B counted as 19 and 18."""
    nir = nir13.upper()
    numeric = nir[:5] + {"2A": "19", "2B": "18"}.get(nir[5:7], nir[5:7]) + nir[7:]
    return f"{nir}{97 - int(numeric) % 97:02d}"


def _code(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text if text and len(text) <= CODE_MAX else None


def _iso_date(value: object) -> str | None:
    try:
        return date.fromisoformat(str(value)[:10]).isoformat() if value else None
    except ValueError:
        return None


def kept_statut(body: dict | None) -> dict:
    """The fields of Statut usager the warehouse keeps (no identifier, no label)."""
    body = body or {}
    return {
        "statut_de": _code(body.get("statutDE")),
        "date_effet_statut": _iso_date(body.get("dateEffetStatut")),
        "categorie": _code(body.get("categInscriptionCode")),
        "motif_inscription": _code(body.get("motifInscriptionCode")),
        "situation_emploi": _code(body.get("situationRegEmpCode")),
        "motif_cloture": _code(body.get("motifClotureCode")),
    }


def kept_contraintes(thematiques: list[dict]) -> tuple[dict[str, bool], dict[str, str]]:
    """Per thématique code, whether one of its constraints is `OUI`; and its label."""
    present: dict[str, bool] = {}
    labels: dict[str, str] = {}
    for thematique in thematiques:
        code = _code(thematique.get("code"))
        if code is None:
            continue
        items = thematique.get("contraintes") or []
        oui = any(
            isinstance(c, dict) and str(c.get("valeur") or "").strip().upper() == "OUI"
            for c in items
        )
        present[code] = present.get(code, False) or oui
        if thematique.get("libelle"):
            labels[code] = str(thematique["libelle"]).strip()[:LABEL_MAX]
    return present, labels


def collect_person(client: FranceTravailClient, person: Person) -> Result:
    """Recherche usager, then Statut usager and Contraintes. Raises ApiError when a call
    failed for good (the person is counted in error and asked again next run)."""
    code, identifiant = client.rechercher_usager(person.nir, person.date_naissance)
    if code != FOUND or identifiant is None:
        return Result(person.key, code if code != FOUND else "sans_identifiant")
    statut = client.statut_usager(identifiant)
    thematiques = client.contraintes(identifiant)
    del identifiant  # nothing below needs it; nothing keeps it
    kept = kept_statut(statut)
    if statut and kept["statut_de"] is None and statut.get("messageErreur"):
        raise ApiError("statut_message_erreur")
    present, labels = kept_contraintes(thematiques)
    return Result(person.key, code, **kept, contraintes=present, libelles=labels)


@dataclass
class RunCounts:
    """What one run of the calls gives the report."""

    results: list[Result] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    stats: dict = field(default_factory=dict)
    seconds: float = 0.0


def collect_all(
    persons: list[Person],
    ft: FranceTravailSettings,
    on_result: Callable[[Result], None],
    progress: Progress = _no_progress,
    transport: httpx.BaseTransport | None = None,
) -> RunCounts:
    """Every person through `ft.concurrency` worker threads sharing one client (one
    token, one bound on requests in flight). Results, progress and the resume state are
    handled here, in the calling thread, as persons complete: an interruption there
    (Ctrl-C) stops the workers after their current person. An authentication failure
    stops everything."""
    counts = RunCounts()
    started = time.perf_counter()
    stop = threading.Event()
    queue = iter(persons)
    queue_lock = threading.Lock()

    def next_person() -> Person | None:
        with queue_lock:
            return None if stop.is_set() else next(queue, None)

    def worker(client: FranceTravailClient, out: list) -> None:
        while (person := next_person()) is not None:
            try:
                out.append(collect_person(client, person))
            except AuthenticationError:
                stop.set()
                raise
            except ApiError as error:
                out.append(error)

    workers = max(1, min(ft.concurrency, len(persons)))
    done = 0
    with (
        FranceTravailClient(ft, transport) as client,
        ThreadPoolExecutor(workers, thread_name_prefix="collecte-ft") as pool,
    ):
        outputs: list[list] = [[] for _ in range(workers)]
        futures = {pool.submit(worker, client, out) for out in outputs}

        def drain(report_progress: bool = True) -> None:
            nonlocal done
            for out in outputs:
                while out:
                    item = out.pop(0)
                    if isinstance(item, ApiError):
                        counts.errors[item.code] += 1
                    else:
                        counts.results.append(item)
                        on_result(item)
                    done += 1
                    if report_progress:
                        progress(done, len(persons))

        try:
            while futures or any(outputs):
                finished, futures = wait(futures, timeout=0.2, return_when=FIRST_COMPLETED)
                drain()
                for future in finished:
                    future.result()  # re-raises an AuthenticationError
        except BaseException:  # interrupted: keep what the workers finish meanwhile
            stop.set()
            pool.shutdown(wait=True)
            drain(report_progress=False)
            raise
        counts.stats = client.stats.as_dict()
    counts.seconds = time.perf_counter() - started
    return counts


class ResumeState:
    """The results of today's collection for a département, appended line by line."""

    def __init__(self, db_path: Path, departement: str, day: date) -> None:
        self.folder = retention.collectes_dir(db_path)
        self.path = self.folder / f"{SOURCE}_{departement}_{day.isoformat()}.jsonl"
        self._prefix = f"{SOURCE}_{departement}_"
        self._handle = None

    def read(self) -> dict[str, Result]:
        """Results already collected today; older days' states are stale and deleted."""
        if self.folder.exists():
            for stale in self.folder.glob(f"{self._prefix}*.jsonl"):
                if stale != self.path:
                    stale.unlink(missing_ok=True)
        if not self.path.exists():
            return {}
        results = {}
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                result = Result(**json.loads(line))
            except (ValueError, TypeError):
                continue  # a line cut by the interruption
            results[result.key] = result
        return results

    def append(self, result: Result) -> None:
        if self._handle is None:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._handle = os.fdopen(fd, "a", encoding="utf-8")
        self._handle.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


def _persons(con: duckdb.DuckDBPyConnection) -> list[Person]:
    """Distinct persons of the lines that passed the checks (first line of each wins)."""
    rows = con.execute(
        """SELECT person_key(nir, NULL, NULL) AS k, any_value(nir ORDER BY line_no),
                  any_value(date_naissance ORDER BY line_no)
           FROM statut_fields
           WHERE line_no NOT IN (SELECT line_no FROM statut_rejected)
           GROUP BY k ORDER BY min(line_no)"""
    ).fetchall()
    return [Person(k, nir_complet(nir), ddn) for k, nir, ddn in rows]


def _collected_today(settings: Settings, departement: str, day: date) -> set[str]:
    """Person keys the warehouse already holds for this département and day."""
    if not settings.db_path.exists():
        return set()
    con = warehouse.open_reader(settings.db_path)
    try:
        rows = con.execute(
            "SELECT DISTINCT person_key FROM ft_statut WHERE departement = ? AND date_collecte = ?",
            [departement, day],
        ).fetchall()
    except duckdb.CatalogException:  # a warehouse older than the collection's tables
        return set()
    finally:
        con.close()
    return {r[0] for r in rows}


def _summary(
    results: Iterable[Result], run: RunCounts, persons: int, skipped: int, resumed: int, day: date
) -> dict:
    """The report's `collecte` block: counts by codeRetour, calls, retries; no identifier."""
    by_code: Counter = Counter(r.code_retour for r in results)
    found = by_code.get(FOUND, 0)
    not_found = by_code.get(NOT_FOUND, 0)
    other_codes = sum(n for c, n in by_code.items() if c not in (FOUND, NOT_FOUND))
    return {
        "date_collecte": day.isoformat(),
        "personnes": persons,
        "deja_collectees": skipped,
        "reprises": resumed,
        "interrogees": persons - skipped - resumed,
        "trouvees": found,
        "non_trouvees": not_found + other_codes,
        "erreurs": sum(run.errors.values()),
        "par_code_retour": dict(sorted((by_code + run.errors).items())),
        "appels": run.stats.get("requests", 0),
        "relances": run.stats.get("retries", 0),
        "reponses_429": run.stats.get("throttled", 0),
        "reponses_5xx": run.stats.get("server_errors", 0),
        "delais_depasses": run.stats.get("timeouts", 0),
        "jetons": run.stats.get("tokens", 0),
        "duree_secondes": round(run.seconds, 1),
    }


STATUT_COLUMNS = (
    "person_key",
    "code_retour",
    "statut_de",
    "date_effet_statut",
    "categorie",
    "motif_inscription",
    "situation_emploi",
    "motif_cloture",
)


def _insert_results(
    con: duckdb.DuckDBPyConnection, results: list[Result], load_id: int, departement: str, day
) -> int:
    """The results into ft_statut, ft_contrainte and ft_thematique of `wh` (Arrow, one
    INSERT each, not a statement per person)."""
    statut = pa.table(  # noqa: F841 (read by DuckDB's replacement scan)
        {
            "person_key": [r.key for r in results],
            "code_retour": [r.code_retour for r in results],
            **{c: [getattr(r, c) for r in results] for c in STATUT_COLUMNS[2:]},
        },
        schema=pa.schema([(c, pa.string()) for c in STATUT_COLUMNS]),
    )
    con.execute(
        f"""INSERT INTO wh.ft_statut (load_id, departement, date_collecte, {", ".join(STATUT_COLUMNS)})
        SELECT ?, ?, ?, person_key, code_retour, statut_de, CAST(date_effet_statut AS DATE),
               categorie, motif_inscription, situation_emploi, motif_cloture FROM statut""",
        [load_id, departement, day],
    )
    pairs = [(r.key, code, oui) for r in results for code, oui in r.contraintes.items()]
    contraintes = pa.table(  # noqa: F841
        {
            "person_key": pa.array([p[0] for p in pairs], pa.string()),
            "thematique": pa.array([p[1] for p in pairs], pa.string()),
            "contrainte": pa.array([p[2] for p in pairs], pa.bool_()),
        }
    )
    con.execute(
        """INSERT INTO wh.ft_contrainte
        SELECT ?, ?, ?, person_key, thematique, contrainte FROM contraintes""",
        [load_id, departement, day],
    )
    labels = {code: text for r in results for code, text in r.libelles.items()}
    if labels:
        con.executemany(
            "INSERT OR REPLACE INTO wh.ft_thematique VALUES (?, ?)", sorted(labels.items())
        )
    return len(results)


def collect(
    path: Path,
    settings: Settings,
    ft: FranceTravailSettings,
    departement: str | None,
    options: dict | None = None,
    progress: Progress = _no_progress,
    today: date | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Outcome:
    """Check the file, call the APIs for each person not yet collected today, then load
    everything in one generation. See the module docstring."""
    if not ft.configured:
        raise UsageError(
            "Accès aux API France Travail non configuré : renseignez PILOTAGE_FT_CLIENT_ID "
            "et PILOTAGE_FT_CLIENT_SECRET (voir le README, « API France Travail »)."
        )
    started = datetime.now()
    day = today or date.today()
    facts = _inspect(path)
    key = pseudonymise.load_or_create_key(settings.key_file)
    con = _staging_connection(key)
    try:
        report = statut_source.stage(
            con,
            facts,
            departement=departement or settings.default_departement,
            threshold=settings.line_error_threshold,
            options=options or {},
        )
        report.month = day.strftime("%Y-%m")
        if not report.loadable:
            message = " ".join(f.message for f in report.blocking)
            load_id = _journal_only(
                settings, con, key, SOURCE, facts, report, "refused", started, message
            )
            return Outcome("refused", report, message, load_id)
        return _collect_and_load(
            con, key, facts, report, settings, ft, progress, day, started, transport
        )
    finally:
        con.close()


def _collect_and_load(con, key, facts, report, settings, ft, progress, day, started, transport):
    persons = _persons(con)
    dep = report.departement
    skipped = _collected_today(settings, dep, day)
    state = ResumeState(settings.db_path, dep, day)
    resumed = {k: r for k, r in state.read().items() if k not in skipped}
    todo = [p for p in persons if p.key not in skipped and p.key not in resumed]
    try:
        run = collect_all(todo, ft, state.append, progress, transport)
    except AuthenticationError as error:
        message = str(error)
        load_id = _journal_only(
            settings, con, key, SOURCE, facts, report, "failed", started, message
        )
        return Outcome("failed", report, message, load_id)
    finally:
        state.close()
    results = list(resumed.values()) + run.results
    known = {p.key for p in persons}
    results = [r for r in results if r.key in known]
    report.collecte = _summary(
        results, run, len(persons), len(skipped & known), len(resumed.keys() & known), day
    )
    summary = report.collecte
    message = (
        f"Collecte du {day.strftime('%d/%m/%Y')} : {summary['trouvees']} personne(s) "
        f"trouvée(s), {summary['non_trouvees']} non trouvée(s), {summary['erreurs']} en erreur"
        + (f", {summary['deja_collectees']} déjà collectée(s) ce jour" if skipped else "")
        + "."
    )
    if run.errors.keys() & {"http_401", "http_403"}:
        message += (
            " Appels refusés (401/403) : vérifiez les scopes (PILOTAGE_FT_SCOPE) et "
            "l'abonnement de l'application aux API sur francetravail.io."
        )
    if run.errors and not results:
        message += " Rien n'est chargé ; relancez plus tard."
        load_id = _journal_only(
            settings, con, key, SOURCE, facts, report, "failed", started, message
        )
        return Outcome("failed", report, message, load_id)

    def write() -> tuple[int, int]:
        load_id = journal_row(
            con, SOURCE, facts, report, "loaded", started, settings.operator, message
        )
        rows = _insert_results(con, results, load_id, dep, day)
        retention.apply_retention(con, report.month, settings.operator)
        con.execute(
            "UPDATE wh.load_journal SET rows_loaded = ?, ended_at = ? WHERE id = ?",
            [rows, datetime.now(), load_id],
        )
        return load_id, rows

    load_id, rows = _write_generation(settings, con, key, write)
    state.remove()  # now in the warehouse: a new run today skips these persons from there
    if run.errors:
        message += " Les personnes en erreur seront interrogées de nouveau au prochain lancement."
    return Outcome("loaded", report, f"{message} (chargement n° {load_id})", load_id, rows)


def summary_lines(collecte: dict | None) -> list[str]:
    """What the command line prints of a collection's report (counts only)."""
    if not collecte:
        return []
    codes = ", ".join(f"{c} : {n}" for c, n in collecte["par_code_retour"].items()) or "—"
    return [
        f"Collecte    : {collecte['personnes']} personne(s) distincte(s), "
        f"{collecte['interrogees']} interrogée(s), {collecte['reprises']} reprise(s), "
        f"{collecte['deja_collectees']} déjà collectée(s) ce jour",
        f"Résultat    : {collecte['trouvees']} trouvée(s), {collecte['non_trouvees']} non "
        f"trouvée(s), {collecte['erreurs']} en erreur",
        f"Codes retour: {codes}",
        f"Appels      : {collecte['appels']} en {collecte['duree_secondes']} s, "
        f"{collecte['relances']} relance(s), {collecte['reponses_429']} réponse(s) 429, "
        f"{collecte['reponses_5xx']} réponse(s) 5xx",
    ]
