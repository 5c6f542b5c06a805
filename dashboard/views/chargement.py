"""Chargement (data stewards): the upload flow of the page, from the files chosen to the
confirmed load, with its audit rows and its refusals; the page only draws widgets and
lays out what these functions return.

The flow: the files are staged (uploads) or read where they are (arrivals folder), the
département typed is checked against the user's (`auth.not_granted`), the file is
validated once per set of inputs (the report is kept in the session: a national file
takes seconds to check and any widget reruns the page), and the load, confirmed by the
user, writes a new warehouse generation beside the live one (pipelines/warehouse.py)."""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard import auth
from dashboard.formatting import fmt_date, fmt_int, fmt_share
from dashboard.uploads import (
    Arrival,
    Upload,
    new_staging_dir,
    safe_name,
    stage_all,
    uploaded_mapping,
)
from pipelines import access, journal, loader, retention, warehouse
from pipelines.access import User
from pipelines.errors import NotAuthorised, PilotageError
from pipelines.settings import Settings, private_dir
from pipelines.validation import archive, drift, html
from pipelines.validation.report import BLOQUANT, Report, severity_label

SOURCES = {
    "auto": "Détecter d'après le contenu",
    "pecgm": "PECGM — stock mensuel France Travail",
    "cgpem": "CGPEM — décisions d'orientation",
    "lrsa": "LRSA DE — une des quatre listes",
    "stock": "Reprise de stock",
    "parcours": "Parcours — personnes, rendez-vous et prestations (trois fichiers)",
    "caf": "Flux bénéficiaires CAF / MSA (XML)",
}


def source_label(code: str | None) -> str:
    """A source in words, short: « PECGM », « CGPEM », « Flux bénéficiaires CAF / MSA »."""
    if not code:
        return "n.d."
    return SOURCES.get(code, code).split(" — ")[0].removesuffix(" (XML)")


ORIGINS = {
    "televerse": "Téléverser depuis mon poste",
    "arrivee": "Fichier reçu dans le dossier d'arrivée",
}
LISTES = [None, "inscriptions", "inscrits", "cessations", "radiations"]
INTRO = (
    "Déposez un fichier : il est contrôlé sans rien écrire, le rapport qualité s'affiche, "
    "puis vous confirmez le chargement. Un fichier bloquant ne peut pas être chargé."
)
UPLOAD_DIR = "upload_dir"  # session keys: the staging folder of this session's uploads,
CONTROL = "controle"  # and (inputs, report, resolved source) of the last validation


def default_departement(user: User, settings: Settings) -> str | None:
    """What the Département field starts with: the user's département when they have
    only one, else the server's default (PILOTAGE_DEPARTEMENT), else nothing."""
    if len(user.departements) == 1:
        return user.departements[0]
    return settings.default_departement


def liste_label(liste: str | None) -> str:
    return "Déduite du fichier" if liste is None else liste


def settings_for(user: User) -> Settings:
    """The settings of the environment, with the signed-in user as the operator (the
    journal and the audit name them)."""
    return dataclasses.replace(Settings.from_env(), operator=user.login)


def arrivals_dir(settings: Settings) -> Path:
    return retention.arrivals_dir(settings.db_path)


@dataclass(frozen=True)
class Request:
    """What the user asked for: the files (uploaded or from the arrivals folder), the
    source and the options of the form."""

    source: str
    uploads: Sequence  # Streamlit UploadedFile objects (name, size, file_id, getvalue)
    chosen: Sequence[Arrival]
    departement: str | None
    liste: str | None
    mois: str | None
    mapping_file: Upload | None = None
    password: str | None = field(default=None, repr=False)  # of a 7z archive; never kept

    @property
    def empty(self) -> bool:
        return not self.uploads and not self.chosen

    def key(self) -> tuple:
        """What identifies one validation: a change of any input checks again."""
        return (
            tuple((u.name, u.size, u.file_id) for u in self.uploads) or tuple(self.chosen),
            self.source,
            self.departement,
            self.liste,
            self.mois,
            getattr(self.mapping_file, "file_id", None),
        )


def staged_paths(request: Request, settings: Settings, state: MutableMapping) -> list[Path]:
    """The uploads written to a private folder kept for this session only; files of the
    arrivals folder are read where they are."""
    if request.chosen:
        return [a.path for a in request.chosen]
    if UPLOAD_DIR not in state:
        state[UPLOAD_DIR] = new_staging_dir(settings.db_path)
    folder = Path(state[UPLOAD_DIR])
    return [p for upload in request.uploads for p in stage_all(folder, upload, request.password)]


def options(request: Request, settings: Settings, state: MutableMapping) -> dict:
    """The source options of the request: header mapping, LRSA list, month."""
    folder = Path(state.get(UPLOAD_DIR) or new_staging_dir(settings.db_path))
    mapping = uploaded_mapping(folder, request.mapping_file)
    return {"mapping": mapping, "liste": request.liste, "mois": request.mois}


@dataclass(frozen=True)
class Prior:
    """The current load a checked file meets in the warehouse: the same bytes (`same`),
    or the load it would replace."""

    load_id: int
    started_at: object  # datetime of the load
    same: bool

    @property
    def when(self) -> str:
        return fmt_date(str(self.started_at)[:10])


def prior_load(settings: Settings, source: str, report: Report) -> Prior | None:
    """The current load of the same bytes, else the one this file would replace."""
    if not settings.db_path.exists() or not report.sha256:
        return None
    con = warehouse.open_reader(settings.db_path)
    try:
        if warehouse.schema_version(con) == 0:
            return None
        if row := journal.already_loaded(con, source, report.sha256, catalog=None):
            started = con.execute(
                "SELECT started_at FROM load_journal WHERE id = ?", [row[0]]
            ).fetchone()
            return Prior(row[0], started[0] if started else None, True)
        row = journal.replaced_by(con, source, report.departement, report.month, report.variant)
        return None if row is None else Prior(row[0], row[1], False)
    finally:
        con.close()


@dataclass(frozen=True)
class CheckTables:
    """The expectations of a check: those with lines in error first, then the others
    (shown behind a toggle), and the sentence that counts them."""

    failed: pd.DataFrame
    passed: pd.DataFrame
    summary: str


FAILED_COLUMNS = ["champ", "lignes en écart", "part", "premières lignes", "conséquence",
                  "contrôle", "fichier"]  # fmt: skip
PASSED_COLUMNS = ["champ", "contrôle", "fichier"]


@dataclass(frozen=True, eq=False)
class Checked:
    """A validated file's report, as the page shows it."""

    report: Report
    resolved: str  # the source, detected when "auto" was asked
    target: Path | list[Path]  # what loader.load is given
    prior: Prior | None = None

    @property
    def loadable(self) -> bool:
        """Whether the load button is on: nothing blocking, and not the same bytes again."""
        return self.report.loadable and not (self.prior and self.prior.same)

    @property
    def verdict(self) -> str:
        prior = self.prior
        if prior and prior.same:
            return (
                f"Fichier déjà chargé (chargement n° {prior.load_id} du {prior.when}) : "
                "rien de nouveau à charger."
            )
        if not self.report.loadable:
            return "Fichier refusé : rien ne peut être chargé."
        if prior:
            return (
                f"Fichier chargeable : il remplace le chargement n° {prior.load_id} du "
                f"{prior.when}."
            )
        return "Fichier chargeable."

    @property
    def comparison(self) -> str | None:
        """What the file was compared with (the drift): the load it replaces when it is a
        corrected re-send, else the previous month's file; None when nothing was compared
        or the same bytes are already loaded."""
        if self.prior and self.prior.same:
            return None
        return drift.comparison_sentence(self.report.drift)

    @property
    def metrics(self) -> tuple[tuple[str, str], ...]:
        r = self.report
        return (
            ("Source", source_label(self.resolved)),
            ("Département / mois", f"{r.departement or '?'} / {r.month or '?'}"),
            ("Enregistrements", fmt_int(r.rows_read)),
            ("Lignes rejetées", fmt_int(r.rows_rejected)),
        )

    @property
    def caption(self) -> str:
        return f"Fichier {self.report.file_name} · encodage lu : {self.report.encoding}"

    @property
    def zip_name(self) -> str:
        """The name the archive is downloaded under, and the one the audit records."""
        return f"rapport_{safe_name(self.report.file_name)}.zip"

    @property
    def export_name(self) -> str:
        return f"rapport_{self.report.file_name}.zip"

    def html(self) -> bytes:
        """The French HTML report, standalone (pipelines/validation/html.py)."""
        return html.render(self.report.to_dict()).encode("utf-8")

    @property
    def html_name(self) -> str:
        return f"rapport_{safe_name(self.report.file_name)}.html"

    def zipped(self) -> bytes:
        """The HTML report and Great Expectations' Data Docs, zipped."""
        return archive.zipped(self.report.to_dict())

    @property
    def findings(self) -> tuple[tuple[bool, str], ...]:
        """(blocking, message) of each structural finding, in the report's order."""
        return tuple((f.severity == BLOQUANT, f.message) for f in self.report.findings)

    def checks(self) -> CheckTables:
        """The expectations with lines in error, most lines first (count, share, first
        line numbers, field, what happens to those lines), and the passing ones apart:
        a passing check has no consequence to print."""
        r = self.report
        frame = pd.DataFrame(
            [
                {
                    "fichier": c.file_name or r.file_name,
                    "champ": c.expectation.field_label,
                    "contrôle": c.expectation.description,
                    "conséquence": severity_label(c.expectation.severity),
                    "lignes en écart": c.unexpected_count,
                    "part": round(c.unexpected_share, 4),
                    "premières lignes": ", ".join(map(str, c.line_numbers)),
                }
                for c in r.checks
            ],
            columns=FAILED_COLUMNS,
        )
        if frame["fichier"].nunique() <= 1:  # one file: its name is in the caption already
            failed_cols = [c for c in FAILED_COLUMNS if c != "fichier"]
            passed_cols = [c for c in PASSED_COLUMNS if c != "fichier"]
        else:
            failed_cols, passed_cols = FAILED_COLUMNS, PASSED_COLUMNS
        bad = frame["lignes en écart"] > 0
        failed = frame[bad].sort_values("lignes en écart", ascending=False)[failed_cols]
        passed = frame[~bad][passed_cols]
        rejecting = int((failed["conséquence"] == severity_label("critical")).sum())
        if failed.empty:
            summary = f"Les {len(frame)} contrôles sont réussis."
        else:
            summary = (
                f"{len(failed)} contrôle(s) en écart sur {len(frame)}, dont {rejecting} "
                f"rejette(nt) les lignes concernées ; {len(passed)} réussi(s)."
            )
        return CheckTables(failed.reset_index(drop=True), passed.reset_index(drop=True), summary)

    @property
    def rows_caption(self) -> str:
        """Lines read and rejected, as a sentence under the verdict."""
        r = self.report
        share = r.rows_rejected / r.rows_read if r.rows_read else None
        return (
            f"{fmt_int(r.rows_read)} enregistrement(s) lus, {fmt_int(r.rows_rejected)} "
            f"rejeté(s) ({fmt_share(share)})."
        )

    @property
    def failed_name(self) -> str:
        return f"controles_{self.report.file_name}"


@dataclass(frozen=True)
class Refused:
    """The flow stopped before a report: a département not granted, a file that cannot be
    read (its French message, naming the file, never a value)."""

    message: str


def check(
    user: User, settings: Settings, request: Request, state: MutableMapping
) -> Checked | Refused:
    """Validate the request's files (once per set of inputs), archive the report and
    audit the check; a file of a département the user may not see is refused (audited
    `acces_refuse`) before anything is shown of it."""
    if refusal := auth.not_granted(user, request.departement):
        return Refused(refusal)
    key = request.key()
    try:
        paths = staged_paths(request, settings, state)  # a refused 7z archive raises here
    except PilotageError as error:
        return Refused(str(error))
    target = paths[0] if len(paths) == 1 else paths
    try:
        if state.get(CONTROL, (None,))[0] != key:
            report, con, _, resolved = loader.validate(
                request.source,
                target,
                settings,
                request.departement,
                options=options(request, settings, state),
                authorise=user.sees,
            )
            con.close()
            archive.keep(settings.db_path, report)
            access.audit(
                settings.db_path,
                user.login,
                "controle",
                "refuse" if not report.loadable else "ok",
                report.departement,
                fichier=report.file_name,
                source=resolved,
            )
            state[CONTROL] = (key, report, resolved)
    except NotAuthorised as error:
        access.audit(settings.db_path, user.login, "acces_refuse", "refuse", fichier=paths[0].name)
        return Refused(str(error))
    except PilotageError as error:
        return Refused(str(error))
    _, report, resolved = state[CONTROL]
    return Checked(report, resolved, target, prior_load(settings, resolved, report))


@dataclass(frozen=True)
class Loaded:
    ok: bool  # loaded now, or the same bytes were already loaded
    message: str


def load(
    user: User,
    settings: Settings,
    request: Request,
    checked: Checked,
    state: MutableMapping,
    progress: Callable[[str], None],
) -> Loaded:
    """Load a checked file (the user confirmed), archive its report, audit the load; once
    loaded, the staged copies are deleted and the files of the arrivals folder moved to
    its `charges` folder, out of the list of files waiting."""
    outcome = loader.load(
        checked.resolved,
        checked.target,
        settings,
        request.departement,
        progress=progress,
        options=options(request, settings, state),
        authorise=user.sees,
    )
    if outcome.report is not None:
        archive.keep(settings.db_path, outcome.report, outcome.load_id)
    access.audit(
        settings.db_path,
        user.login,
        "chargement",
        outcome.status,
        checked.report.departement,
        fichier=checked.report.file_name,
        source=checked.resolved,
        chargement=outcome.load_id,
    )
    ok = outcome.status in ("loaded", loader.ALREADY_LOADED)
    if ok:
        shutil.rmtree(state.pop(UPLOAD_DIR, ""), ignore_errors=True)
        for arrival in request.chosen:
            done = private_dir(arrivals_dir(settings) / "charges")
            kept = arrival.path.replace(done / arrival.path.name)
            with contextlib.suppress(OSError):  # a file dropped by another account
                kept.chmod(0o600)
    return Loaded(ok, outcome.message)
