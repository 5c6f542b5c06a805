"""dashboard/views/qualite.py against a real warehouse: two PECGM months of 2A (the second
drifting, one line quarantined, loaded after its due day) and one of 2B. The journal is
read by name and scoped to the user, the drift of every load comes from one query, the
calendar says late and missing from a given date, a report of another département is
refused by the data layer."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import auth
from dashboard.formatting import fmt_month
from dashboard.views import qualite as view
from pipelines import access, loader, warehouse
from pipelines.access import User
from pipelines.readers.layout import available_layouts
from pipelines.settings import Settings
from sample_data.generate import set_field
from tests.conftest import TEST_KEY, pecgm_lines, write_pecgm
from tests.streamlit_session import in_session, result

LAYOUT = available_layouts("pecgm")["001,0"]
AGENT_2A = User("agent.2a", "donnees", ("2A",))
AGENT_2B = User("agent.2b", "donnees", ("2B",))
# when each load happened (written into the journal: the calendar's facts)
STARTED = {"2026-09": "2026-10-15 09:00:00", "2026-10": "2026-11-25 09:00:00"}


@pytest.fixture(scope="module")
def loads(tmp_path_factory) -> tuple[str, dict]:
    """The warehouse path and the load outcomes by (département, month)."""
    folder = tmp_path_factory.mktemp("qualite")
    mp = pytest.MonkeyPatch()
    mp.setenv("PILOTAGE_SECRET_KEY", TEST_KEY)
    settings = Settings.from_env(folder / "pilotage.duckdb")
    outcomes = {}
    try:
        september = pecgm_lines(persons=400, month="2026-09", seed=3)
        october = pecgm_lines(persons=400, month="2026-10", seed=3)
        for i in range(1, len(october) // 2):  # half of the people move to category 5
            october[i] = set_field(october[i], LAYOUT, "D", "code_categorie", "5")
        october[4] = set_field(october[4], LAYOUT, "D", "motif_cessation_ide", "77")
        files = {
            ("2A", "2026-09"): september,
            ("2A", "2026-10"): october,
            ("2B", "2026-10"): pecgm_lines(persons=30, month="2026-10", departement="2B"),
        }
        for (dep, month), lines in files.items():
            path = write_pecgm(folder / f"PECGM_{dep}_{month.replace('-', '')}.txt", lines)
            outcomes[dep, month] = loader.load("pecgm", path, settings)
            assert outcomes[dep, month].status == "loaded"
    finally:
        mp.undo()
    with duckdb.connect(str(settings.db_path)) as con:
        for month, started in STARTED.items():
            con.execute(
                "UPDATE load_journal SET started_at = ? WHERE departement = '2A' AND month = ?",
                [started, month],
            )
    return str(settings.db_path), outcomes


@pytest.fixture
def db_path(loads, monkeypatch) -> Path:
    monkeypatch.setenv("PILOTAGE_DB", loads[0])
    return Path(loads[0])


def _journal(user: User) -> view.Journal:
    journal = result(in_session(user, view.journal, user))
    assert journal is not None
    return journal


def test_the_journal_is_read_by_name_and_scoped_to_the_user(db_path, loads) -> None:
    outcomes = loads[1]
    journal = _journal(AGENT_2A)
    assert [(r.departement, r.month) for r in journal.rows] == [
        ("2A", "2026-10"),
        ("2A", "2026-09"),
    ]
    latest = journal.rows[0]
    report = outcomes["2A", "2026-10"].report
    assert latest.id == outcomes["2A", "2026-10"].load_id
    assert (latest.source, latest.file_name, latest.status) == (
        "pecgm",
        "PECGM_2A_202610.txt",
        "loaded",
    )
    assert (latest.rows_read, latest.rows_rejected) == (report.rows_read, report.rows_rejected)
    assert latest.rows_rejected == 1  # the line with cessation motive 77
    assert latest.started_at.isoformat(" ") == STARTED["2026-10"]
    assert list(journal.table["statut"]) == ["chargé", "chargé"]
    assert "sha256" in journal.table and "sha256" not in journal.shown
    assert journal.choices[latest.id] == f"n° {latest.id} — PECGM_2A_202610.txt (chargé)"
    other = _journal(AGENT_2B)
    assert [(r.departement, r.month) for r in other.rows] == [("2B", "2026-10")]


def test_a_user_sees_a_load_of_their_departement_or_their_own_attempt_naming_none() -> None:
    assert auth.sees_load(AGENT_2A, "2A", "quelqu.un")
    assert not auth.sees_load(AGENT_2A, "2B", "agent.2a")
    assert auth.sees_load(AGENT_2A, None, "agent.2a")
    assert not auth.sees_load(AGENT_2A, None, "agent.2b")


def test_the_load_report_shows_drift_first_and_the_quarantined_line(db_path, loads) -> None:
    outcome = loads[1]["2A", "2026-10"]
    shown = result(in_session(AGENT_2A, view.load_report, outcome.load_id))
    assert shown.loadable and shown.verdict == "Fichier chargeable."
    assert dict(shown.metrics) == {
        "Enregistrements": outcome.report.rows_read,
        "Lignes rejetées": 1,
        "Encodage": outcome.report.encoding.split(",")[0],
        "Liaison avec le PECGM": "n.d.",  # a PECGM file is the reference of the link
    }
    blocking, first = shown.findings[0]
    assert not blocking and "PECGM_2A_202610.txt : dérive — " in first
    assert any("categorie 5 : part en hausse" in message for _, message in shown.findings)
    motive = shown.checks.iloc[0]  # most lines in error first
    assert (motive["champ"], motive["gravité"], motive["résultat"]) == (
        "MOTIF CESSATION IDE",
        "ligne rejetée",
        "échec",
    )
    assert (motive["lignes en écart"], motive["premières lignes"], motive["codes"]) == (
        1,
        "5",
        "77",
    )
    assert set(shown.checks["gravité"]) <= {"ligne rejetée", "avertissement"}
    assert shown.quarantine.values.tolist()[0][:2] == [5, "MOTIF CESSATION IDE"]
    assert shown.quarantine_label == "Lignes en quarantaine (1) — CSV"
    html = shown.html().decode("utf-8")
    assert "Rapport qualité — PECGM_2A_202610.txt" in html and "ligne rejetée" in html


def test_a_report_of_another_departement_is_refused_and_audited(db_path, loads) -> None:
    load_id = loads[1]["2A", "2026-10"].load_id
    at = in_session(AGENT_2B, view.load_report, load_id)
    assert result(at) is None
    assert [e.value for e in at.error] == ["Vous n'avez pas accès aux données de ce département."]
    rows = access.audit_rows(db_path, 5)
    assert any(r[2] == "agent.2b" and r[3] == "acces_refuse" and r[4] == "2A" for r in rows)


def _journal_drift(user: User) -> pd.DataFrame:
    """The Qualité page's drift tab, as the page computes it."""
    return view.drift(view.journal(user).rows)


def test_drift_of_every_load_in_one_query_equals_each_stored_report(db_path, loads) -> None:
    frame = result(in_session(AGENT_2A, _journal_drift, AGENT_2A))
    assert list(zip(frame["source"], frame["département"], frame["mois"], strict=True)) == [
        ("pecgm", "2A", "2026-09"),
        ("pecgm", "2A", "2026-10"),
    ]
    con = warehouse.open_reader(db_path)
    try:
        stored = {
            month: json.loads(text)
            for month, text in con.execute(
                "SELECT month, report_json FROM load_journal WHERE departement = '2A'"
            ).fetchall()
        }
    finally:
        con.close()
    october = frame.set_index("mois").loc["2026-10"]
    drift = stored["2026-10"]["drift"]
    warnings = [f["message"] for f in stored["2026-10"]["findings"] if f["code"] == "derive"]
    assert warnings and october["avertissements de dérive"] == len(warnings)
    assert october["variation des lignes"] == pytest.approx(drift["variation_lignes"])
    assert october["personnes absentes"] == pytest.approx(drift["personnes_absentes"]["part"])
    assert october["détail"].split(" ; ")[0] == warnings[0].split("dérive — ", 1)[-1]
    assert "categorie 5" in october["détail"]
    september = frame.set_index("mois").loc["2026-09"]  # the first file: nothing to compare
    assert september["avertissements de dérive"] == 0 and september["détail"] == ""
    assert pd.isna(september["variation des lignes"])


def test_the_calendar_says_late_and_missing_from_the_date_it_is_read(db_path) -> None:
    rows = _journal(AGENT_2A).rows
    calendar = view.calendar(rows, today=date(2026, 12, 5))
    assert list(calendar.table.columns[:3]) == ["département", "source", fmt_month("2025-12")]
    assert calendar.table.columns[-1] == fmt_month("2026-11")  # not the current month
    pecgm = calendar.table.set_index("source").loc["pecgm"]
    assert pecgm[fmt_month("2026-09")] == "chargé"  # 15 October, due 20 October
    assert pecgm[fmt_month("2026-10")] == "chargé en retard"  # 25 November, due 20 November
    assert pecgm[fmt_month("2026-08")] == "manquant"  # due 20 September, never loaded
    assert pecgm[fmt_month("2026-11")] == "—"  # due 20 December: not yet
    cgpem = calendar.table.set_index("source").loc["cgpem"]
    assert set(cgpem.drop("département")) == {"—"}  # no agreed day: never late
    after = view.calendar(rows, today=date(2026, 12, 21)).table.set_index("source")
    assert after.loc["pecgm", fmt_month("2026-11")] == "manquant"
    assert list(calendar.table["département"].unique()) == ["2A"]
    assert "attendu le 20 du mois suivant" in calendar.caption


def test_the_drift_benchmark_finds_the_same_warnings_both_ways(db_path) -> None:
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_qualite.py"
    out = subprocess.run(
        [sys.executable, str(script), "--db", str(db_path), "--repeat", "1"],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout  # fmt: skip
    assert "loads in the journal: 3" in out
    found = {
        line.split(":")[0]: line.split(": ")[1].split(" drift")[0] for line in out.splitlines()[1:]
    }
    assert set(found) == {"one report per load", "one query"}
    assert len(set(found.values())) == 1 and int(found["one query"]) > 0


def test_drift_and_calendar_read_as_words_latest_month_first(db_path, loads) -> None:
    """No literal « None » in the drift tab; the calendar coloured by state, newest month
    at the left (the months a steward looks at first)."""
    shown = view.drift_shown(result(in_session(AGENT_2A, _journal_drift, AGENT_2A)))
    assert "None" not in shown.to_string() and "nan" not in shown.to_string()
    assert list(shown["mois"]) == [fmt_month("2026-10"), fmt_month("2026-09")]
    assert set(shown["source"]) == {"PECGM"}
    september = shown.set_index("mois").loc[fmt_month("2026-09")]
    assert september["variation des lignes"] == "n.d."
    calendar = view.calendar(_journal(AGENT_2A).rows, today=date(2026, 12, 5))
    styled = calendar.styled()
    assert list(styled.data.columns[2:4]) == [fmt_month("2026-11"), fmt_month("2026-10")]
    html = styled.to_html()
    for state in ("chargé", "chargé en retard", "manquant"):
        assert view.STATE_COLOURS[state][0].lower() in html.lower()
    assert "PECGM" in set(styled.data["source"])
