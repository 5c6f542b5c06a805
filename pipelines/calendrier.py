"""When each monthly file is expected, and whether it came: the coverage calendar.

One rule, used by the Qualité page's calendar, by the "fichier attendu manquant" mail of
an arrivals run (pipelines/notifications.py) and by `python -m pipelines etat`: the PECGM
stock of month M is made available by France Travail on the 20th of month M+1, so it is
expected by then and "manquant" after. The départements' own files (CGPEM, LRSA DE) have
no agreed day: they are shown when loaded, never late.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from pipelines.mois import shift_month

EXPECTED_DAY = 20
# Source -> day of month M+1 by which the file of month M is expected.
EXPECTED = {"pecgm": EXPECTED_DAY}
CALENDAR_SOURCES = ("pecgm", "cgpem", "lrsa")

CHARGE = "chargé"
EN_RETARD = "chargé en retard"
MANQUANT = "manquant"
SANS_OBJET = "—"


def today() -> date:
    """The day the rules are applied on: one place, so that a test can fix it."""
    return date.today()


def due_date(source: str, month: str) -> date | None:
    """The day by which the file of `month` (AAAA-MM) is expected; None when no day is agreed."""
    day = EXPECTED.get(source)
    return None if day is None else date.fromisoformat(f"{shift_month(month, 1)}-{day:02d}")


def state(source: str, month: str, loaded_at: datetime | None, today: date) -> str:
    """The calendar cell of one (source, month): chargé, chargé en retard, manquant or —."""
    due = due_date(source, month)
    if loaded_at is not None:
        return EN_RETARD if due is not None and loaded_at.date() > due else CHARGE
    if due is not None and today > due:
        return MANQUANT
    return SANS_OBJET


def last_due_month(source: str, today: date) -> str | None:
    """The latest month whose file should be there by `today` (None: no agreed day)."""
    day = EXPECTED.get(source)
    if day is None:
        return None
    back = 1 if today.day > day else 2
    return shift_month(f"{today:%Y-%m}", -back)


@dataclass(frozen=True)
class Missing:
    """An expected file that has not been loaded by its day."""

    source: str
    departement: str
    month: str
    due: date


def missing(
    loaded: Mapping[tuple[str, str, str], datetime],
    departements: Iterable[str],
    today: date,
) -> list[Missing]:
    """The expected files of the latest due month not loaded, per département.

    `loaded` maps (source, département, month) to the time of the load. Only the latest
    due month is checked: an older gap is a fact of the calendar, not news to mail.
    """
    found = []
    for departement in sorted(set(departements)):
        for source in EXPECTED:
            month = last_due_month(source, today)
            if month and (source, departement, month) not in loaded:
                found.append(Missing(source, departement, month, due_date(source, month)))
    return found


def loaded_map(rows: Iterable[tuple]) -> dict[tuple[str, str, str], datetime]:
    """(source, département, month) -> load time, from (source, département, month,
    started_at, status) rows of the load journal; current loads only."""
    return {
        (source, dep, month): started
        for source, dep, month, started, status in rows
        if status == "loaded" and dep and month
    }


def window(today: date, months: int = 12) -> list[str]:
    """The `months` months before the month of `today`, oldest first: the calendar's columns
    (the current month is left out: none of its files can be due yet)."""
    current = f"{today:%Y-%m}"
    return [shift_month(current, -k) for k in range(months, 0, -1)]


@dataclass(frozen=True)
class CoverageLine:
    """One line of the coverage calendar: a source of a département, a state per month."""

    departement: str
    source: str
    states: tuple[str, ...]  # in the order of the months asked for


def coverage(
    loaded: Mapping[tuple[str, str, str], datetime],
    departements: Iterable[str],
    months: list[str],
    today: date,
) -> list[CoverageLine]:
    """The calendar: for each département (sorted) and source of CALENDAR_SOURCES, the
    state of each month on `today` (`loaded` as from loaded_map)."""
    return [
        CoverageLine(
            departement,
            source,
            tuple(state(source, m, loaded.get((source, departement, m)), today) for m in months),
        )
        for departement in sorted(set(departements))
        for source in CALENDAR_SOURCES
    ]
