"""dashboard/views/chargement.py, the upload flow without the page: a département typed
that is not the user's, or a file of another département, is refused (audited) before
anything of it is shown; a sound file is checked once per set of inputs, then loaded and
moved out of the arrivals folder; uploads are staged under a safe name. One severity
table labels the checks of the page, the CLI and the HTML report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest

from dashboard.formatting import fmt_int
from dashboard.uploads import arrivals
from dashboard.views import chargement as view
from pipelines import access, warehouse
from pipelines.access import User
from pipelines.readers.layout import available_layouts
from pipelines.validation import html
from pipelines.validation.report import SEVERITY_LABELS, severity_label
from sample_data.demo import sample_files
from sample_data.generate import set_field
from tests.conftest import pecgm_lines, write_pecgm

STEWARD = User("steward", "donnees", ("2A",))
LAYOUT = available_layouts("pecgm")["001,0"]
CGPEM = next(p for source, p in sample_files() if source == "cgpem")


@pytest.fixture
def settings(settings):
    """The environment's settings with the steward as operator, as the page builds them."""
    return view.settings_for(STEWARD)


def _arrive(settings, name: str, text: str):
    folder = view.arrivals_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return next(a for a in arrivals(folder) if a.path.name == name)


def _request(source: str, arrival=None, departement: str | None = None, uploads=()):
    chosen = [arrival] if arrival is not None else []
    return view.Request(source, list(uploads), chosen, departement, None, None)


def _actions(settings) -> list[tuple[str, str | None, str | None]]:
    """(action, département, résultat) of the audit, oldest first."""
    return [(r[3], r[4], r[6]) for r in reversed(access.audit_rows(settings.db_path))]


def test_settings_name_the_signed_in_user_as_operator() -> None:
    assert view.settings_for(STEWARD).operator == "steward"


def test_a_departement_typed_that_is_not_the_users_is_refused_before_any_check(settings) -> None:
    state: dict = {}
    arrival = _arrive(settings, CGPEM.name, CGPEM.read_text(encoding="utf-8"))
    refused = view.check(STEWARD, settings, _request("cgpem", arrival, "2B"), state)
    assert refused == view.Refused("Vous n'êtes pas habilité pour le département 2B.")
    assert state == {}  # nothing validated, nothing staged
    assert not (settings.db_path.parent / "rapports").exists()


def test_a_file_of_another_departement_is_refused_unread_and_audited(settings) -> None:
    lines = pecgm_lines(persons=5, month="2026-10", departement="2B")
    arrival = _arrive(settings, "PECGM_2B_202610.txt", "\r\n".join(lines) + "\r\n")
    refused = view.check(STEWARD, settings, _request("pecgm", arrival), {})
    assert refused == view.Refused(
        "PECGM_2B_202610.txt est un fichier du département 2B, pour lequel vous n'êtes pas "
        "habilité : il n'est ni contrôlé ni comparé."
    )
    assert _actions(settings) == [("acces_refuse", None, "refuse")]
    assert "PECGM_2B_202610.txt" in access.audit_rows(settings.db_path)[0][5]
    assert not (settings.db_path.parent / "rapports").exists()  # no report kept of it


def test_a_sound_file_is_checked_once_then_loaded_and_moved_out_of_the_arrivals(settings) -> None:
    state: dict = {}
    arrival = _arrive(settings, CGPEM.name, CGPEM.read_text(encoding="utf-8"))
    request = _request("cgpem", arrival, "2A")
    checked = view.check(STEWARD, settings, request, state)
    assert isinstance(checked, view.Checked) and checked.loadable
    assert checked.verdict == "Fichier chargeable."
    report = checked.report
    assert dict(checked.metrics) == {
        "Source": "CGPEM",
        "Département / mois": f"2A / {report.month or '?'}",
        "Enregistrements": fmt_int(report.rows_read),
        "Lignes rejetées": fmt_int(report.rows_rejected),
    }
    assert report.rows_read > 0 and checked.target == arrival.path
    checks = checked.checks()
    failing = {
        (c.expectation.field_label, c.expectation.description, c.expectation.severity)
        for c in report.checks
        if c.unexpected_count
    }
    shown = set(zip(checks.failed["champ"], checks.failed["contrôle"],
                    checks.failed["conséquence"], strict=True))  # fmt: skip
    assert shown == {(f, d, severity_label(s)) for f, d, s in failing}
    assert len(checks.failed) + len(checks.passed) == len(report.checks)
    assert "conséquence" not in checks.passed  # no « ligne rejetée » on a passing check
    assert list(checks.failed["lignes en écart"]) == sorted(
        checks.failed["lignes en écart"], reverse=True
    )
    assert view.check(STEWARD, settings, request, state).report is report  # kept, not redone
    assert _actions(settings) == [("controle", "2A", "ok")]

    steps: list[str] = []
    loaded = view.load(STEWARD, settings, request, checked, state, steps.append)
    assert loaded.ok and "chargé" in loaded.message and steps
    assert _actions(settings)[-1] == ("chargement", "2A", "loaded")
    folder = view.arrivals_dir(settings)
    assert (folder / "charges" / CGPEM.name).exists() and not arrival.path.exists()
    con = warehouse.open_reader(settings.db_path)
    try:
        rows = con.execute("SELECT count(*) FROM orientation").fetchone()[0]
        operator = con.execute("SELECT operator FROM load_journal").fetchone()[0]
    finally:
        con.close()
    assert rows == report.rows_read - report.rows_rejected and operator == "steward"


def test_a_blocked_file_cannot_be_loaded_and_says_why(settings) -> None:
    arrival = _arrive(settings, "decisions.csv", "NIR;NOM DE NAISSANCE;PRENOM\n1;FICTIF;ALEX\n")
    checked = view.check(STEWARD, settings, _request("cgpem", arrival, "2A"), {})
    assert not checked.loadable
    assert checked.verdict == "Fichier refusé : rien ne peut être chargé."
    assert any(blocking and "colonne obligatoire absente" in m for blocking, m in checked.findings)
    assert _actions(settings) == [("controle", "2A", "refuse")]


@dataclass
class _Upload:
    """What the flow reads of a Streamlit UploadedFile."""

    name: str
    data: bytes
    file_id: str = "f1"

    @property
    def size(self) -> int:
        return len(self.data)

    def getvalue(self) -> bytes:
        return self.data


def test_uploads_are_staged_privately_under_a_safe_name_and_deleted_once_loaded(settings) -> None:
    state: dict = {}
    upload = _Upload("../autre dossier/décisions 2026.csv", CGPEM.read_bytes())
    request = _request("cgpem", departement="2A", uploads=[upload])
    checked = view.check(STEWARD, settings, request, state)
    staged = Path(state[view.UPLOAD_DIR])
    assert checked.target == staged / "d_cisions_2026.csv"
    assert staged.parent == settings.db_path.parent / "depots"
    assert checked.target.read_bytes() == CGPEM.read_bytes()
    assert view.load(STEWARD, settings, request, checked, state, lambda _: None).ok
    assert view.UPLOAD_DIR not in state and not staged.exists()


def test_one_severity_table_for_the_page_the_cli_and_the_html_report(settings) -> None:
    assert SEVERITY_LABELS == {"critical": "ligne rejetée", "warning": "avertissement"}
    assert severity_label("autre") == "autre"  # an unknown severity is shown as written
    arrival = _arrive(settings, "decisions.csv", CGPEM.read_text(encoding="utf-8"))
    report = view.check(STEWARD, settings, _request("cgpem", arrival, "2A"), {}).report
    page = report.to_dict()
    rendered = html.render(page)
    for check in page["checks"]:
        assert f"<td>{severity_label(check['severity'])}</td>" in rendered


def test_failed_checks_come_first_with_count_share_lines_and_field(settings) -> None:
    text = CGPEM.read_text(encoding="utf-8").splitlines()
    header, first = text[0], text[1]
    broken = "\n".join([header, *text[1:], first.replace(";", ";", 1)]) + "\n"  # a duplicate
    arrival = _arrive(settings, "decisions_doublon.csv", broken)
    checked = view.check(STEWARD, settings, _request("cgpem", arrival, "2A"), {})
    checks = checked.checks()
    assert not checks.failed.empty
    row = checks.failed.iloc[0]
    assert row["lignes en écart"] > 0 and 0 < row["part"] <= 1 and row["premières lignes"]
    assert row["champ"] and row["conséquence"] in SEVERITY_LABELS.values()
    assert checks.summary.startswith(f"{len(checks.failed)} contrôle(s) en écart sur ")


def test_a_file_already_loaded_says_so_and_cannot_be_loaded_again(settings) -> None:
    state: dict = {}
    arrival = _arrive(settings, CGPEM.name, CGPEM.read_text(encoding="utf-8"))
    request = _request("cgpem", arrival, "2A")
    checked = view.check(STEWARD, settings, request, state)
    assert view.load(STEWARD, settings, request, checked, state, lambda _: None).ok
    again = _arrive(settings, CGPEM.name, CGPEM.read_text(encoding="utf-8"))
    checked = view.check(STEWARD, settings, _request("cgpem", again, "2A"), {})
    assert checked.prior is not None and checked.prior.same
    assert checked.verdict.startswith(
        f"Fichier déjà chargé (chargement n° {checked.prior.load_id} du "
    )
    assert not checked.loadable  # the load button is off

    corrected = CGPEM.read_text(encoding="utf-8").splitlines()
    resent = _arrive(settings, "corrige_" + CGPEM.name, "\n".join(corrected[:-1]) + "\n")
    checked = view.check(STEWARD, settings, _request("cgpem", resent, "2A"), {})
    assert checked.prior is not None and not checked.prior.same
    assert f"il remplace le chargement n° {checked.prior.load_id} du " in checked.verdict
    assert checked.loadable


def test_the_departement_field_starts_with_the_users_own(settings) -> None:
    assert view.default_departement(STEWARD, settings) == "2A"
    two = User("deux", "donnees", ("2A", "2B"))
    assert view.default_departement(two, settings) == settings.default_departement


def test_an_unrecognised_file_says_what_was_tried_and_what_to_do(settings) -> None:
    arrival = _arrive(settings, "inconnu.csv", "NIR;NOM DE NAISSANCE;COULEUR\n1;FICTIF;bleu\n")
    refused = view.check(STEWARD, settings, _request("auto", arrival, "2A"), {})
    assert isinstance(refused, view.Refused)
    message = refused.message
    assert "Essayé" in message and "Décisions d'orientation" in message
    assert "Le plus proche" in message and "il manque les colonnes" in message
    assert "Choisissez la source" in message and "--" not in message


def _arrive_pecgm(settings, name: str, lines: list[str]):
    folder = view.arrivals_dir(settings)
    write_pecgm(folder / name, lines)
    return next(a for a in arrivals(folder) if a.path.name == name)


def test_a_corrected_resend_is_compared_with_the_load_it_replaces(settings) -> None:
    """A corrected October file was compared with September's (the previous month), not
    with the October load it replaces: the drift, its messages, the page's sentence and
    the HTML report now name that load; a new month still compares with the last one."""
    state: dict = {}
    for month in ("2026-09", "2026-10"):
        arrival = _arrive_pecgm(settings, f"PECGM_2A_{month[:4]}{month[5:]}.txt",
                                pecgm_lines(persons=300, month=month, seed=3))  # fmt: skip
        request = _request("pecgm", arrival, "2A")
        checked = view.check(STEWARD, settings, request, state)
        assert view.load(STEWARD, settings, request, checked, state, lambda _: None).ok

    corrected = pecgm_lines(persons=300, month="2026-10", seed=3)
    for i in range(1, len(corrected) // 2):  # half of the people move to category 5
        corrected[i] = set_field(corrected[i], LAYOUT, "D", "code_categorie", "5")
    resent = _arrive_pecgm(settings, "PECGM_2A_202610_corrige.txt", corrected)
    request = _request("pecgm", resent, "2A")
    checked = view.check(STEWARD, settings, request, {})
    replaced = checked.prior.load_id
    assert not checked.prior.same and f"remplace le chargement n° {replaced}" in checked.verdict
    precedent = checked.report.drift["precedent"]
    assert (precedent["chargement"], precedent["mois"]) == (replaced, "2026-10")
    said = f"omparé au chargement n° {replaced} qu'il remplace"
    assert said in checked.comparison
    assert said in unescape(checked.html().decode("utf-8"))
    derive = [m for blocking, m in checked.findings if "dérive" in m]
    assert derive and all(f"au chargement n° {replaced} qu'il remplace" in m for m in derive)
    assert "2026-09" not in " ".join(derive)

    loaded = view.load(STEWARD, settings, request, checked, {}, lambda _: None)
    assert loaded.ok
    with warehouse.open_reader(settings.db_path) as con:
        stored = con.execute(
            "SELECT report_json FROM load_journal WHERE status = 'loaded' AND month = '2026-10'"
        ).fetchone()[0]
    absent = json.loads(stored)["drift"]["personnes_absentes"]
    assert absent == {"nombre": 0, "part": 0.0}  # the same people: the replaced rows were read

    november = _arrive_pecgm(settings, "PECGM_2A_202611.txt",
                             pecgm_lines(persons=300, month="2026-11", seed=3))  # fmt: skip
    checked = view.check(STEWARD, settings, _request("pecgm", november, "2A"), {})
    assert checked.report.drift["precedent"]["mois"] == "2026-10"
    assert checked.comparison.startswith("Comparé au fichier précédent de la même source")
