"""Collect the DE status and diagnostic constraints of a département's beneficiaries.

`python -m pipelines api FILE --departement D`: FILE is any file of the département with
the NIR and the date of birth (reprise de stock, CGPEM, ...), read through the `statut`
template (`layouts/statut.yaml`, `expectations/statut.json`: header aliases, --mapping,
line checks and the rejection threshold, as for every tabular source). Then, for each
distinct person: Rechercher usager v2, and when one certified identity is found, with its
jeton, Statut usager (contrat), the diagnostic's contraintes and the open orientations
(lectureOrientation), in parallel over persons, through `client.FranceTravailClient`.
An uncertified identity (topIdentiteCertifiee ≠ « O ») or several matches (S003) are
counted apart and nothing is collected for them. One malformed answer marks that person
in error; the others go on.

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

What is kept (migrations 0014, 0016): person key, collection date, code retour and
certification, `m_statut`, `m_date_effet_statut`, the category, motif, situation and closing
codes; per thématique (23 to 29) its value; the decided orientations as `orientation` rows
(source `france_travail`). Never the NIR, the date of birth or the jeton.
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
from pipelines.francetravail.client import (
    ApiError,
    Clock,
    CollectionStopped,
    FranceTravailClient,
)
from pipelines.loader import (
    Outcome,
    _inspect,
    _journal_only,
    _staging_connection,
    _write_generation,
    journal_row,
)
from pipelines.nomenclatures import codes
from pipelines.readers.tabular import normalise_header
from pipelines.settings import FranceTravailSettings, Settings
from pipelines.sources.tabular import TabularSource, type_parcours_variants

SOURCE = "statut"
FOUND = "S001"
NOT_FOUND = "S002"
HOMONYMS = "S003"
SOURCE_ORIENTATION = "france_travail"
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
    """What is kept of one person's answers (codes, dates, organisations; nobody's
    identifier). `orientations`: the decided ones, as kept_orientations gives them."""

    key: str
    code_retour: str
    identite_certifiee: bool | None = None
    statut_de: str | None = None
    date_effet_statut: str | None = None
    categorie: str | None = None
    motif_inscription: str | None = None
    situation_emploi: str | None = None
    motif_cloture: str | None = None
    contraintes: dict[str, str] = field(default_factory=dict)  # thématique -> valeur
    orientations: list[dict] = field(default_factory=list)
    sexe: str | None = None
    annee_naissance: int | None = None

    @property
    def found(self) -> bool:
        return self.code_retour == FOUND and self.identite_certifiee is not False

    @property
    def kind(self) -> str:
        """trouvee | non_trouvee | homonymes | identite_non_certifiee (the report's counts)."""
        if self.code_retour == FOUND:
            return "trouvee" if self.identite_certifiee is not False else "identite_non_certifiee"
        return "homonymes" if self.code_retour == HOMONYMS else "non_trouvee"


def nir_complet(nir13: str) -> str:
    """The 15-character NIR Recherche usager wants: the 13 characters and their control
    key, 97 - (number mod 97), Corsica's 2A and 2B counted as 19 and 18."""
    nir = nir13.upper()
    numeric = nir[:5] + {"2A": "19", "2B": "18"}.get(nir[5:7], nir[5:7]) + nir[7:]
    return f"{nir}{97 - int(numeric) % 97:02d}"


def _code(value: object) -> str | None:
    """A code as the API gives it (a string or a number), None for anything else."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text if text and len(text) <= CODE_MAX else None


def _text(value: object) -> str | None:
    """A label (an organisation, a structure): text, bounded, never markup-interpreted."""
    if not isinstance(value, str) or not value.strip():
        return None
    return " ".join(value.split())[:LABEL_MAX]


def _iso_date(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def kept_statut(contrat: dict | None) -> dict:
    """The fields of Statut usager's `m_contrat` the warehouse keeps (codes, no label).
    The category is kept when it is one of categorie.csv (1 to 8, F, G)."""
    contrat = contrat or {}
    categorie = _code(contrat.get("m_categ_inscription_code"))
    return {
        "statut_de": _code(contrat.get("m_statut")),
        "date_effet_statut": _iso_date(contrat.get("m_date_effet_statut")),
        "categorie": categorie if categorie in codes("categorie") else None,
        "motif_inscription": _code(contrat.get("m_motif_inscription_code")),
        "situation_emploi": _code(contrat.get("m_situation_reg_emp_code")),
        "motif_cloture": _code(contrat.get("m_motif_cloture_code")),
    }


CONTRAINTE_VALEURS = ("OUI", "NON", "NON_ABORDEE", "CLOTUREE")


def kept_contraintes(items: list[dict]) -> dict[str, str]:
    """Per thématique code (23 to 29), its value; an unknown value is dropped, and an
    item without a usable code is ignored (the others of the answer are kept)."""
    kept: dict[str, str] = {}
    for item in items:
        code, valeur = _code(item.get("code")), _code(item.get("valeur"))
        if code is not None and valeur is not None and valeur.upper() in CONTRAINTE_VALEURS:
            kept[code] = valeur.upper()
    return kept


def kept_orientations(items: list[dict]) -> list[dict]:
    """The decided orientations: `statut` DECIDE and a decision that is not REFUSEE,
    dated by `date_entree_parcours`; parcours PED/PSP/PSO through type_parcours.csv;
    organisme and structure as the organisme référent. `parcours_code` keeps the API's
    code for the quality report (so a swapped mapping shows)."""
    variants = type_parcours_variants()
    kept = []
    for item in items:
        decision = item.get("decision")
        etat = decision.get("etat_decision") if isinstance(decision, dict) else None
        day = _iso_date(item.get("date_entree_parcours"))
        if item.get("statut") != "DECIDE" or etat == "REFUSEE" or day is None:
            continue
        parcours = _code(item.get("parcours"))
        structure = item.get("structure")
        libelle = _text(structure.get("libelle_structure")) if isinstance(structure, dict) else None
        organisme = " — ".join(t for t in (_text(item.get("organisme")), libelle) if t)
        kept.append(
            {
                "date_orientation": day,
                "parcours_code": parcours,
                "type_parcours": variants.get(normalise_header(parcours)) if parcours else None,
                "organisme_referent": organisme[:LABEL_MAX] or None,
            }
        )
    return kept


def _sexe_annee(person: Person) -> tuple[str | None, int | None]:
    """Sex (NIR's first digit) and birth year: what every orientation row keeps."""
    return {"1": "M", "2": "F"}.get(person.nir[:1]), int(person.date_naissance[:4])


def collect_person(client: FranceTravailClient, person: Person) -> Result:
    """Rechercher usager, then, for one certified identity, Statut usager, the
    diagnostic's contraintes and the open orientations. Raises ApiError when a call failed
    for good or an answer is malformed (the person is counted in error and asked again next
    run); CollectionStopped when nothing can be collected."""
    found = client.rechercher_usager(person.nir, person.date_naissance)
    if found.code_retour not in (FOUND, NOT_FOUND, HOMONYMS):
        code = found.code_retour if found.code_retour.isalnum() else "?"
        raise ApiError(f"code_retour_{code[:8]}")
    if found.code_retour != FOUND:
        return Result(person.key, found.code_retour)
    if not found.certifiee:
        return Result(person.key, FOUND, identite_certifiee=False)
    jeton = found.jeton
    assert jeton is not None
    contrat = client.contrat(jeton)
    contraintes = client.diagnostic(jeton)
    orientations = client.orientations(jeton)
    del jeton, found  # nothing below needs it; nothing keeps it
    sexe, annee = _sexe_annee(person)
    return Result(
        person.key,
        FOUND,
        identite_certifiee=True,
        **kept_statut(contrat),
        contraintes=kept_contraintes(contraintes),
        orientations=kept_orientations(orientations),
        sexe=sexe,
        annee_naissance=annee,
    )


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
    clock: Clock | None = None,
) -> RunCounts:
    """Every person through `ft.concurrency` worker threads sharing one client (one
    token, one bound on requests in flight). Results, progress and the resume state are
    handled here, in the calling thread, as persons complete: an interruption there
    (Ctrl-C) stops the workers after their current person. CollectionStopped (credentials,
    scopes, agent headers) stops everything; any other failure, a malformed answer
    included, is that person's error only."""
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
            except CollectionStopped:
                stop.set()
                raise
            except ApiError as error:
                out.append(error)
            except (TypeError, ValueError, AttributeError, KeyError, IndexError):
                out.append(ApiError("reponse_illisible"))  # a shape nobody foresaw

    workers = max(1, min(ft.concurrency, len(persons)))
    done = 0
    with (
        FranceTravailClient(ft, transport, clock) as client,
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
                    future.result()  # re-raises a CollectionStopped
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
    """The report's `collecte` block: counts by kind and codeRetour, calls, retries; no
    identifier."""
    results = list(results)
    by_code: Counter = Counter(r.code_retour for r in results)
    kinds: Counter = Counter(r.kind for r in results)
    return {
        "date_collecte": day.isoformat(),
        "personnes": persons,
        "deja_collectees": skipped,
        "reprises": resumed,
        "interrogees": persons - skipped - resumed,
        "trouvees": kinds["trouvee"],
        "non_trouvees": kinds["non_trouvee"],
        "identite_non_certifiee": kinds["identite_non_certifiee"],
        "homonymes": kinds["homonymes"],
        "erreurs": sum(run.errors.values()),
        "orientations": sum(len(r.orientations) for r in results),
        "par_code_retour": dict(sorted((by_code + run.errors).items())),
        "appels": run.stats.get("requests", 0),
        "relances": run.stats.get("retries", 0),
        "reponses_429": run.stats.get("throttled", 0),
        "reponses_5xx": run.stats.get("server_errors", 0),
        "delais_depasses": run.stats.get("timeouts", 0),
        "jetons": run.stats.get("tokens", 0),
        "reponses_204": run.stats.get("no_content", 0),
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
    """The results into ft_statut, ft_contrainte and orientation of `wh` (Arrow, one
    INSERT each, not a statement per person)."""
    statut = pa.table(  # noqa: F841 (read by DuckDB's replacement scan)
        {
            "person_key": [r.key for r in results],
            **{c: [getattr(r, c) for r in results] for c in STATUT_COLUMNS[1:]},
            "identite_certifiee": pa.array([r.identite_certifiee for r in results], pa.bool_()),
        },
        schema=pa.schema(
            [(c, pa.string()) for c in STATUT_COLUMNS] + [("identite_certifiee", pa.bool_())]
        ),
    )
    con.execute(
        f"""INSERT INTO wh.ft_statut (load_id, departement, date_collecte,
                                       {", ".join(STATUT_COLUMNS)}, identite_certifiee)
        SELECT ?, ?, ?, person_key, code_retour, statut_de, CAST(date_effet_statut AS DATE),
               categorie, motif_inscription, situation_emploi, motif_cloture, identite_certifiee
        FROM statut""",
        [load_id, departement, day],
    )
    pairs = [(r.key, code, valeur) for r in results for code, valeur in r.contraintes.items()]
    contraintes = pa.table(  # noqa: F841
        {
            "person_key": pa.array([p[0] for p in pairs], pa.string()),
            "thematique": pa.array([p[1] for p in pairs], pa.string()),
            "valeur": pa.array([p[2] for p in pairs], pa.string()),
        }
    )
    con.execute(
        """INSERT INTO wh.ft_contrainte
               (load_id, departement, date_collecte, person_key, thematique, contrainte, valeur)
        SELECT ?, ?, ?, person_key, thematique, valeur = 'OUI', valeur FROM contraintes""",
        [load_id, departement, day],
    )
    decisions = [(r, o) for r in results for o in r.orientations]
    orientations = pa.table(  # noqa: F841
        {
            "line_no": pa.array(range(1, len(decisions) + 1), pa.int64()),
            "person_key": pa.array([r.key for r, _ in decisions], pa.string()),
            "sexe": pa.array([r.sexe for r, _ in decisions], pa.string()),
            "annee_naissance": pa.array([r.annee_naissance for r, _ in decisions], pa.int16()),
            **{
                c: pa.array([o[c] for _, o in decisions], pa.string())
                for c in ("date_orientation", "type_parcours", "organisme_referent")
            },
        }
    )
    con.execute(
        """INSERT INTO wh.orientation (load_id, departement, source, line_no, person_key,
               cle_type, sexe, annee_naissance, date_orientation, type_parcours,
               organisme_referent)
        SELECT ?, ?, ?, line_no, person_key, 'NIR', sexe, annee_naissance,
               CAST(date_orientation AS DATE), type_parcours, organisme_referent
        FROM orientations""",
        [load_id, departement, SOURCE_ORIENTATION],
    )
    return len(results)


def parcours_par_source(
    con: duckdb.DuckDBPyConnection, departement: str, results: list[Result]
) -> dict[str, dict[str, int]]:
    """The parcours mix of each source's orientations for the département: what the
    warehouse holds (CGPEM, stock, parcours, earlier collections) and this collection's
    decisions, France Travail's codes beside the mapped type (`PSO→social`), so that a
    swapped mapping (docs/api_france_travail.md) shows in the quality report."""
    mix: dict[str, dict[str, int]] = {}
    for source, parcours, n in con.execute(
        """SELECT source, coalesce(type_parcours, 'non_renseigne'), count(*)
        FROM wh.orientation WHERE departement = ? AND source <> ? GROUP BY ALL ORDER BY ALL""",
        [departement, SOURCE_ORIENTATION],
    ).fetchall():
        mix.setdefault(source, {})[parcours] = int(n)
    collected: Counter = Counter(
        f"{o['parcours_code'] or '?'}→{o['type_parcours'] or 'non_renseigne'}"
        for r in results
        for o in r.orientations
    )
    if collected:
        mix[SOURCE_ORIENTATION] = dict(sorted(collected.items()))
    return mix


AGENT_VARIABLES = {
    "agent_identifiant": "PILOTAGE_FT_AGENT_IDENTIFIANT",
    "agent_nom": "PILOTAGE_FT_AGENT_NOM",
    "agent_prenom": "PILOTAGE_FT_AGENT_PRENOM",
}


def check_agent_identity(ft: FranceTravailSettings) -> None:
    """The agent headers are HTTP header values: printable ASCII only (an accent would
    fail every call, a line break would forge a header). Said before any call."""
    for attribute, variable in AGENT_VARIABLES.items():
        value = getattr(ft, attribute)
        if not all(" " <= ch <= "~" for ch in value):
            raise UsageError(
                f"{variable} : caractères ASCII imprimables seulement (sans accent ni "
                "retour à la ligne), car la valeur part dans un en-tête HTTP."
            )


def collect(
    path: Path,
    settings: Settings,
    ft: FranceTravailSettings,
    departement: str | None,
    options: dict | None = None,
    progress: Progress = _no_progress,
    today: date | None = None,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
) -> Outcome:
    """Check the file, call the APIs for each person not yet collected today, then load
    everything in one generation. See the module docstring."""
    if not ft.configured:
        raise UsageError(
            "Accès aux API France Travail non configuré : renseignez PILOTAGE_FT_CLIENT_ID "
            "et PILOTAGE_FT_CLIENT_SECRET (voir docs/api_france_travail.md)."
        )
    check_agent_identity(ft)
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
            con, key, facts, report, settings, ft, progress, day, started, transport, clock
        )
    finally:
        con.close()


def _collect_and_load(
    con, key, facts, report, settings, ft, progress, day, started, transport, clock
):
    persons = _persons(con)
    dep = report.departement
    skipped = _collected_today(settings, dep, day)
    state = ResumeState(settings.db_path, dep, day)
    resumed = {k: r for k, r in state.read().items() if k not in skipped}
    todo = [p for p in persons if p.key not in skipped and p.key not in resumed]
    try:
        run = collect_all(todo, ft, state.append, progress, transport, clock)
    except CollectionStopped as error:
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
    message = collection_message(summary, day)
    if run.errors and not results:
        message += " Rien n'est chargé ; relancez plus tard."
        load_id = _journal_only(
            settings, con, key, SOURCE, facts, report, "failed", started, message
        )
        return Outcome("failed", report, message, load_id)

    def write() -> tuple[int, int]:
        summary["parcours_par_source"] = parcours_par_source(con, dep, results)
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


def collection_message(summary: dict, day: date) -> str:
    """The one-line outcome of a collection: every kind of person counted apart."""
    return (
        f"Collecte du {day.strftime('%d/%m/%Y')} : {summary['trouvees']} personne(s) "
        f"trouvée(s), {summary['non_trouvees']} non trouvée(s), "
        f"{summary['identite_non_certifiee']} à l'identité non certifiée, "
        f"{summary['homonymes']} avec homonymes (rien n'est collecté pour ces deux "
        f"dernières), {summary['erreurs']} en erreur"
        + (
            f", {summary['deja_collectees']} déjà collectée(s) ce jour"
            if summary["deja_collectees"]
            else ""
        )
        + "."
    )


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
        f"trouvée(s), {collecte.get('identite_non_certifiee', 0)} identité non certifiée, "
        f"{collecte.get('homonymes', 0)} homonymes, {collecte['erreurs']} en erreur",
        f"Codes retour: {codes}",
        f"Appels      : {collecte['appels']} en {collecte['duree_secondes']} s, "
        f"{collecte['relances']} relance(s), {collecte['reponses_429']} réponse(s) 429, "
        f"{collecte['reponses_5xx']} réponse(s) 5xx",
        f"Orientations: {collecte.get('orientations', 0)} décision(s) lue(s) (lectureOrientation)",
        *(
            f"Parcours    : {source} — " + ", ".join(f"{code} : {n}" for code, n in mix.items())
            for source, mix in (collecte.get("parcours_par_source") or {}).items()
        ),
    ]
