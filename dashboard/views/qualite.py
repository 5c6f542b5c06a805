"""Qualité des données: the load journal the user may see, one load's stored quality report,
the drift of the last 12 months and the coverage calendar, ready to lay out.

Rules live elsewhere and are only applied here: which journal rows a user sees
(`auth.sees_load`, already applied by `db.recent_loads`), when a file is late or missing
(pipelines/calendrier.py), what a severity is called (pipelines/validation/report.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from dashboard import auth, db
from dashboard.formatting import fmt_month, fmt_share
from dashboard.views.chargement import source_label
from pipelines import calendrier
from pipelines.access import User
from pipelines.journal import STATUS_LABELS, JournalRow
from pipelines.validation import archive, html
from pipelines.validation.report import BLOQUANT, severity_label

# French headers of the journal table, in the order of pipelines.journal.JournalRow.
JOURNAL_HEADERS = [
    "n°", "source", "fichier", "sha256", "octets", "département", "mois", "encodage", "lus",
    "chargés", "rejetés", "statut", "début", "fin", "opérateur", "message",
]  # fmt: skip
SHOWN_ROWS = 200  # journal lines on screen (the CSV has them all)
CHOICES = 300  # loads offered in the report's list
EMPTY = (
    "Aucun chargement enregistré pour l'instant : déposez un fichier depuis la page « Chargement »."
)
NO_REPORT = (
    "Pas de rapport conservé pour ce chargement (purgé, ou chargement antérieur aux rapports)."
)
NO_DRIFT = "Pas encore deux fichiers successifs d'une même source à comparer."
DRIFT_NOTE = (
    "Seuils dans pipelines/drift.yaml ; une dérive au-delà est un avertissement, jamais un blocage."
)
DRIFT_SHARES = ("variation des lignes", "personnes absentes")  # shown as percentages
ZIP_LABEL = "Rapport technique Great Expectations, en anglais (zip)"
ZIP_HELP = (
    "Les « Data Docs » produits par la bibliothèque Great Expectations : en anglais, sans "
    "mise en forme, pour un informaticien. Le rapport qualité à lire est le rapport HTML."
)
# The calendar's colours (background, text), one per state of pipelines/calendrier.py:
# told apart by their words too, never by colour alone.
STATE_COLOURS = {
    calendrier.CHARGE: ("#CDEBDD", "#0B4F33"),
    calendrier.EN_RETARD: ("#FBE1B6", "#6B3D00"),
    calendrier.MANQUANT: ("#F5C6C6", "#7A1010"),
    calendrier.SANS_OBJET: ("#F2F2F2", "#555555"),
}


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


@dataclass(frozen=True, eq=False)
class Journal:
    """The journal rows the user may see, newest first, and their tables."""

    rows: tuple[JournalRow, ...]
    table: pd.DataFrame  # every column, French headers and statut: the CSV
    shown: pd.DataFrame  # the screen's: no hash nor size, the latest SHOWN_ROWS
    choices: dict[int, str]  # load id -> label, for the report's list


def journal(user: User, limit: int = 1000) -> Journal | None:
    """None when the user has no load to see. The rows are checked again against
    `auth.sees_load` (a second line behind the data layer's)."""
    rows = tuple(
        r for r in db.recent_loads(limit) if auth.sees_load(user, r.departement, r.operator)
    )
    if not rows:
        return None
    table = pd.DataFrame(rows, columns=JOURNAL_HEADERS)
    table["statut"] = table["statut"].map(STATUS_LABELS)
    choices = {
        int(r.id): f"n° {r.id} — {r.file_name} ({status_label(r.status)})" for r in rows[:CHOICES]
    }
    return Journal(rows, table, table.drop(columns=["sha256", "octets"]).head(SHOWN_ROWS), choices)


@dataclass(frozen=True, eq=False)
class LoadReport:
    """One load's stored report, as the Qualité page shows it."""

    load_id: int
    report: dict  # Report.to_dict(), as stored in the journal
    loadable: bool
    verdict: str
    metrics: tuple[tuple[str, object], ...]  # (label, value), left to right
    findings: tuple[tuple[bool, str], ...]  # (blocking, message): drift first, then blocking
    checks: pd.DataFrame  # the expectations, most lines in error first
    quarantine: pd.DataFrame  # the quarantined lines (number, field, check, reason)

    def html(self) -> bytes:
        """The standalone HTML report (pipelines/validation/html.py)."""
        return html.render(self.report).encode("utf-8")

    def zipped(self) -> bytes:
        """The HTML report with Great Expectations' Data Docs, zipped."""
        return archive.zipped(self.report)

    @property
    def name(self) -> str:
        return f"rapport_{self.load_id}"

    @property
    def quarantine_label(self) -> str:
        return f"Lignes en quarantaine ({len(self.quarantine)}) — CSV"


def load_report(load_id: int) -> LoadReport | None:
    """None when no report is kept for the load (purged, or older than the reports)."""
    report, quarantined = db.report(load_id)
    if report is None:
        return None
    link = report.get("liaison") or {}
    metrics = (
        ("Enregistrements", report["rows_read"]),
        ("Lignes rejetées", report["rows_rejected"]),
        ("Encodage", report["encoding"].split(",")[0]),
        (
            html.link_label(report["source"]),
            "n.d." if link.get("taux") is None else f"{link['taux']:.0%}".replace(".", ","),
        ),
    )
    findings = html.ordered_findings(report["findings"])
    checks = pd.DataFrame(
        [
            {
                "champ": c["champ"],
                "attente": c["description"],
                "gravité": severity_label(c["severity"]),
                "résultat": "réussie" if c["success"] else "échec",
                "lignes en écart": c["unexpected_count"],
                "premières lignes": ", ".join(map(str, c["line_numbers"])),
                "codes": ", ".join(c.get("unexpected_codes") or []),
            }
            for c in report["checks"]
        ]
    )
    if not checks.empty:
        checks = checks.sort_values("lignes en écart", ascending=False)
    return LoadReport(
        load_id,
        report,
        bool(report["loadable"]),
        "Fichier chargeable." if report["loadable"] else "Fichier refusé : rien n'a été chargé.",
        metrics,
        tuple((f["severity"] == BLOQUANT, f["message"]) for f in findings),
        checks,
        pd.DataFrame(quarantined, columns=["ligne", "champ", "contrôle", "motif"]),
    )


def drift(rows: tuple[JournalRow, ...], months: int = 12) -> pd.DataFrame:
    """The drift of each current or replaced load of the last `months` months that have
    one, by source and month (empty: nothing to compare yet). One query for all loads."""
    frame = pd.DataFrame(
        [
            {
                "source": d.source,
                "département": d.departement,
                "mois": d.month,
                "variation des lignes": d.variation_lignes,
                "personnes absentes": d.personnes_absentes,
                "avertissements de dérive": len(d.derive),
                "détail": " ; ".join(w.split("dérive — ", 1)[-1] for w in d.derive[:3]),
            }
            for d in db.drift(list(rows))
        ]
    )
    if frame.empty:
        return frame
    last = sorted(frame["mois"].unique())[-months:]
    return frame[frame["mois"].isin(last)].sort_values(["source", "mois"])


def drift_shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The drift table as the page shows it: latest month first, sources and months in
    words, shares in French, « n.d. » where there was nothing to compare (never « None »)."""
    shown = frame.sort_values(["mois", "source"], ascending=[False, True]).copy()
    shown["source"] = shown["source"].map(source_label)
    shown["mois"] = shown["mois"].map(lambda m: fmt_month(m) if m else "n.d.")
    for column in DRIFT_SHARES:
        shown[column] = shown[column].map(
            lambda v: "n.d." if v is None or pd.isna(v) else fmt_share(float(v))
        )
    shown["détail"] = shown["détail"].map(lambda d: d or "aucune dérive au-delà des seuils")
    return shown.fillna("n.d.")


@dataclass(frozen=True, eq=False)
class Calendar:
    table: pd.DataFrame  # a line per département and source, a column per month
    caption: str

    def styled(self):
        """The calendar as the page shows it: the latest month first, sources in words,
        each cell coloured by its state (on time, late, missing, not expected)."""
        months = [c for c in self.table.columns if c not in ("département", "source")]
        shown = self.table.assign(source=self.table["source"].map(source_label))
        shown = shown[["département", "source", *reversed(months)]]
        return shown.style.map(state_style, subset=list(reversed(months)))


def state_style(state: str) -> str:
    """The CSS of a calendar cell (`STATE_COLOURS`)."""
    background, text = STATE_COLOURS.get(state, ("", ""))
    return f"background-color: {background}; color: {text}" if background else ""


def calendar(rows: tuple[JournalRow, ...], today: date | None = None) -> Calendar:
    """The coverage calendar of the last 12 months on `today` (calendrier.today() when not
    given): chargé, chargé en retard, manquant or — (pipelines/calendrier.py)."""
    today = today or calendrier.today()
    months = calendrier.window(today)
    loaded = calendrier.loaded_map(
        (r.source, r.departement, r.month, r.started_at, r.status) for r in rows
    )
    lines = calendrier.coverage(
        loaded, {r.departement for r in rows if r.departement}, months, today
    )
    table = pd.DataFrame(
        [
            {
                "département": line.departement,
                "source": line.source,
                **dict(zip(map(fmt_month, months), line.states, strict=True)),
            }
            for line in lines
        ]
    )
    caption = (
        f"PECGM du mois M attendu le {calendrier.EXPECTED_DAY} du mois suivant (date de mise "
        "à disposition) : « manquant » après cette date ; CGPEM et listes LRSA DE indiqués "
        "quand chargés. Le même jour déclenche le courriel « fichier attendu manquant »."
    )
    return Calendar(table, caption)
