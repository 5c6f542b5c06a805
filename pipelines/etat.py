"""Health of the data for monitoring (`python -m pipelines etat`): per source and
département, the last load attempt, the latest month of data, and whether an expected file
is late (the rule of pipelines/calendrier.py). The dashboard's own liveness is Streamlit's
`/_stcore/health` endpoint (README, « Mise en production »)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from pipelines import calendrier, warehouse
from pipelines.loader import UNRECOGNISED
from pipelines.settings import Settings


@dataclass(frozen=True)
class SourceState:
    source: str
    departement: str
    last_id: int | None  # last load attempt, whatever its status
    last_at: str | None
    last_status: str | None
    data_month: str | None  # latest month with current data
    late: str | None  # the month whose expected file is missing, if any
    due: str | None

    @property
    def label(self) -> str:
        if self.late:
            return f"en retard : {self.late} attendu le {self.due}"
        return "à jour" if self.data_month else "aucune donnée"


def states(settings: Settings, today: date) -> list[SourceState]:
    """One line per (source, département) seen in the journal, plus any expected source
    of a known département never loaded (late from its first due day)."""
    con = warehouse.open_reader(settings.db_path)
    try:
        rows = con.execute(
            "SELECT id, source, departement, month, started_at, status FROM load_journal "
            "ORDER BY id"
        ).fetchall()
    finally:
        con.close()
    last: dict[tuple[str, str], tuple] = {}
    data: dict[tuple[str, str], str] = {}
    for load_id, source, dep, month, started, status in rows:
        if not dep or source == UNRECOGNISED:  # a file no reader knew is not a source
            continue
        last[(source, dep)] = (load_id, started, status)
        if status == "loaded" and month:
            data[(source, dep)] = max(month, data.get((source, dep), month))
    departements = {dep for _, dep in last} | ({settings.default_departement} - {None})
    late = {
        (m.source, m.departement): m
        for m in calendrier.missing(calendrier.loaded_map(r[1:] for r in rows), departements, today)
    }
    out = []
    for source, dep in sorted(set(last) | set(late), key=lambda k: (k[1], k[0])):
        load_id, started, status = last.get((source, dep), (None, None, None))
        m = late.get((source, dep))
        out.append(
            SourceState(
                source,
                dep,
                load_id,
                started.strftime("%Y-%m-%d %H:%M") if started else None,
                status,
                data.get((source, dep)),
                m.month if m else None,
                m.due.isoformat() if m else None,
            )
        )
    return out


def as_dicts(found: list[SourceState]) -> list[dict]:
    return [{**asdict(s), "etat": s.label} for s in found]
