"""Scheduled intake: a month of files dropped in the arrivals folder, run twice; the mails
of a local SMTP server (STARTTLS and login required); the missing-file alert; `etat`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from pipelines import access, arrivees, calendrier, notifications
from pipelines.cli import main
from pipelines.readers.layout import available_layouts
from pipelines.settings import SAMPLE_DIR, Settings
from sample_data.generate import set_field
from tests.conftest import pecgm_lines, table_rows, write_pecgm
from tests.local_servers import free_port, start_smtp

LAYOUT = available_layouts("pecgm")["001,0"]
STEWARD = "referente.donnees@cd2a.example.fr"
OTHER_DEP_STEWARD = "gestion@cd2b.example.fr"
SMTP_USER, SMTP_PASSWORD = "pilotage", "mot-de-passe-smtp-de-test"
# Personal values planted in the files (a sound one and the broken one): none may reach a mail.
PERSONAL = {
    "nir": "2850799912456",
    "nom_naissance": "ARRIVEENOM",
    "prenom": "ARRIVEEPRENOM",
    "no_allocataire_caf": "7654321",
}
BROKEN_PERSONAL = {"nir": "1790599912321", "nom_naissance": "REFUSENOM"}
MONTH_FILES = [
    "cgpem/CGPEM_2A_202610.csv",
    *(f"lrsa/LRSA_2A_202610_{liste}.csv" for liste in ("inscriptions", "inscrits", "cessations", "radiations")),
]  # fmt: skip


def _planted(lines: list[str], values: dict[str, str]) -> list[str]:
    for name, value in values.items():
        lines[3] = set_field(lines[3], LAYOUT, "D", name, value)
    return lines


def drop_month(folder: Path) -> list[str]:
    """A month of files as an SFTP drop leaves them: PECGM, CGPEM, the four LRSA DE lists,
    a PECGM whose footer is missing (truncated: refused) and a transfer in progress."""
    folder.mkdir(parents=True, exist_ok=True)
    write_pecgm(
        folder / "PECGM_2A_202610.txt", _planted(pecgm_lines(persons=60, month="2026-10"), PERSONAL)
    )
    broken = _planted(pecgm_lines(persons=30, month="2026-09", seed=3), BROKEN_PERSONAL)[:-1]
    write_pecgm(folder / "PECGM_2A_202609.txt", broken)
    for name in MONTH_FILES:
        shutil.copy(SAMPLE_DIR / name, folder)
    (folder / "PECGM_2A_202611.txt.part").write_bytes(b"E" * 100)
    return ["PECGM_2A_202610.txt", *(Path(n).name for n in MONTH_FILES)]


@pytest.fixture
def smtp(tmp_path, monkeypatch):
    controller, mailbox, port, ca = start_smtp(tmp_path / "tls", SMTP_USER, SMTP_PASSWORD)
    monkeypatch.setenv("PILOTAGE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PILOTAGE_SMTP_PORT", str(port))
    monkeypatch.setenv("PILOTAGE_SMTP_USER", SMTP_USER)
    password_file = tmp_path / "smtp_password"
    password_file.write_text(SMTP_PASSWORD + "\n", encoding="utf-8")
    monkeypatch.setenv("PILOTAGE_SMTP_PASSWORD_FILE", str(password_file))
    monkeypatch.setenv("PILOTAGE_SMTP_FROM", "pilotage-rsa@cd2a.example.fr")
    monkeypatch.setenv("PILOTAGE_SMTP_CA_FILE", str(ca))
    monkeypatch.setenv("PILOTAGE_URL", "https://pilotage.cd2a.example.fr")
    yield mailbox
    controller.stop()


@pytest.fixture
def stewards(settings):
    access.add_user(settings.db_path, STEWARD, "x" * 16, "donnees", ["2A"], by="test")
    access.add_user(settings.db_path, OTHER_DEP_STEWARD, "y" * 16, "donnees", ["2B"], by="test")
    access.add_user(settings.db_path, "analyste.2a", "z" * 16, "analyste", ["2A"], by="test")


def _journal(settings: Settings) -> list[tuple[str, str]]:
    return [(r[2], r[11]) for r in table_rows(settings, "load_journal")]


def _mail_text(raw: bytes) -> str:
    """The whole message as text, its base64 attachments decoded."""
    from email import message_from_bytes, policy

    message = message_from_bytes(raw, policy=policy.default)
    parts = [raw.decode("utf-8", "replace")]
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if payload:
            parts.append(payload.decode("utf-8", "replace"))
    return "\n".join(parts)


def test_a_month_dropped_then_run_twice(tmp_path, settings, smtp, stewards, monkeypatch) -> None:
    # The day of the runs: October's PECGM (in the drop) is due, November's is not yet.
    monkeypatch.setattr(calendrier, "today", lambda: date(2026, 11, 25))
    monkeypatch.setenv("PILOTAGE_DEPARTEMENT", "2A")
    folder = tmp_path / "arrivees"
    monkeypatch.setenv("PILOTAGE_ARRIVEES", str(folder))
    sound = drop_month(folder)

    assert main(["arrivees", "--once", "--attente", "0"]) == 1  # one file refused
    loaded = sorted(name for name, status in _journal(settings) if status == "loaded")
    assert loaded == sorted(sound)
    assert sorted(p.name for p in (folder / "charges").iterdir()) == sorted(sound)
    refused = sorted(p.name for p in (folder / "refuses").iterdir())
    assert refused == ["PECGM_2A_202609.txt", "PECGM_2A_202609.txt.rapport.html"]
    report = (folder / "refuses" / "PECGM_2A_202609.txt.rapport.html").read_text("utf-8")
    assert "PECGM_2A_202609.txt" in report and "refus" in report.lower()
    assert [p.name for p in folder.iterdir() if p.is_file()] == ["PECGM_2A_202611.txt.part"]
    # Month order: the lot journals September's file before October's.
    names = [name for name, _ in _journal(settings)]
    assert names.index("PECGM_2A_202609.txt") < names.index("PECGM_2A_202610.txt")

    assert len(smtp.raw) == 1 and smtp.logins == [SMTP_USER]
    mail = smtp.messages[0]
    assert smtp.recipients[0] == [STEWARD]  # 2A's data steward only
    assert "2A" in mail["Subject"] and "6 chargé(s)" in mail["Subject"]
    assert "1 refusé(s)" in mail["Subject"]
    text = _mail_text(smtp.raw[0])
    for name in [*sound, "PECGM_2A_202609.txt"]:
        assert name in text
    assert "[refusé] PECGM_2A_202609.txt" in text
    assert "https://pilotage.cd2a.example.fr/qualite" in text
    attachments = [p.get_filename() for p in mail.iter_attachments()]
    assert "rapport_PECGM_2A_202609.txt.html" in attachments and len(attachments) == 7
    for value in [*PERSONAL.values(), *BROKEN_PERSONAL.values()]:
        assert value not in text, f"{value!r} in the mail"

    # The same files sent again by the SFTP client: recognised, nothing loaded twice.
    drop_month(folder)
    (folder / "PECGM_2A_202609.txt").unlink()
    (folder / "PECGM_2A_202611.txt.part").unlink()
    assert main(["arrivees", "--once", "--attente", "0"]) == 0
    assert sorted(n for n, s in _journal(settings) if s == "loaded") == sorted(sound)
    assert len(list((folder / "charges").iterdir())) == 2 * len(sound)
    assert len(smtp.raw) == 2
    assert "6 déjà chargé(s)" in smtp.messages[1]["Subject"]

    # Nothing left: nothing done, nothing mailed.
    journal_before = _journal(settings)
    assert main(["arrivees", "--once", "--attente", "0"]) == 0
    assert _journal(settings) == journal_before and len(smtp.raw) == 2


def test_a_growing_file_waits_for_the_next_run(tmp_path) -> None:
    folder = tmp_path / "arrivees"
    folder.mkdir()
    (folder / "fini.csv").write_text("a;b\n", encoding="utf-8")
    growing = folder / "en_cours.csv"
    growing.write_text("a;b\n", encoding="utf-8")
    (folder / ".cache").write_text("x", encoding="utf-8")
    (folder / "copie.tmp").write_text("x", encoding="utf-8")

    def sleep(_: float) -> None:  # the transfer goes on between the two looks
        with growing.open("a", encoding="utf-8") as f:
            f.write("1;2\n")

    complete, arriving = arrivees.complete_files(folder, 5, sleep)
    assert [p.name for p in complete] == ["fini.csv"]
    assert [p.name for p in arriving] == ["en_cours.csv"]


def test_two_runs_at_once_load_each_file_once(tmp_path, settings, monkeypatch) -> None:
    folder = tmp_path / "arrivees"
    folder.mkdir()
    for name in MONTH_FILES:
        shutil.copy(SAMPLE_DIR / name, folder)
    env = {**os.environ, "PILOTAGE_DEPARTEMENT": "2A"}
    command = [sys.executable, "-m", "pipelines", "arrivees", "--once", "--attente", "0.5"]
    command += ["--dossier", str(folder)]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)]
    runs.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    codes = [run.wait(timeout=300) for run in runs]
    assert codes == [0, 0], [run.stderr.read().decode() for run in runs]
    loaded = [name for name, status in _journal(settings) if status == "loaded"]
    assert sorted(loaded) == sorted(Path(n).name for n in MONTH_FILES)
    assert len(_journal(settings)) == len(MONTH_FILES)  # no duplicate, no refusal


def test_missing_file_alert_once_per_month(tmp_path, settings, smtp, stewards) -> None:
    path = write_pecgm(tmp_path / "PECGM_2A_202609.txt", pecgm_lines(persons=20, month="2026-09"))
    assert main(["load", "pecgm", str(path)]) == 0
    empty = arrivees.Run(tmp_path, datetime.now())

    # 15 November: October's file is not due before the 20th.
    assert notifications.notify(settings, empty, today=date(2026, 11, 15)) == []
    assert main(["etat", "--date", "2026-11-15"]) == 0
    # 21 November: it is late; one alert, to 2A's steward, not repeated by the next run.
    sent = notifications.notify(settings, empty, today=date(2026, 11, 21))
    assert len(sent) == 1 and len(smtp.raw) == 1
    mail = smtp.messages[0]
    assert smtp.recipients[0] == [STEWARD]
    assert "fichier attendu manquant" in mail["Subject"] and "2026-10" in mail["Subject"]
    assert "20/11/2026" in mail.get_body().get_content()
    assert notifications.notify(settings, empty, today=date(2026, 11, 21)) == []
    assert len(smtp.raw) == 1
    assert main(["etat", "--date", "2026-11-21"]) == 1


def test_etat_lists_last_load_and_data_month(tmp_path, settings, capsys) -> None:
    for month in ("2026-09", "2026-10"):
        path = write_pecgm(
            tmp_path / f"PECGM_2A_{month.replace('-', '')}.txt", pecgm_lines(month=month)
        )
        assert main(["load", "pecgm", str(path)]) == 0
    capsys.readouterr()
    assert main(["etat", "--json", "--date", "2026-11-25"]) == 0
    (state,) = json.loads(capsys.readouterr().out)
    assert state["source"] == "pecgm" and state["departement"] == "2A"
    assert state["data_month"] == "2026-10" and state["last_status"] == "loaded"
    assert state["etat"] == "à jour" and state["late"] is None
    assert main(["etat", "--date", "2026-12-21"]) == 1  # November's file is now late
    assert "en retard : 2026-11 attendu le 2026-12-20" in capsys.readouterr().out


def test_calendar_rule() -> None:
    """The one rule behind the Qualité calendar, the alert and `etat`."""
    assert calendrier.due_date("pecgm", "2026-12") == date(2027, 1, 20)
    assert calendrier.due_date("cgpem", "2026-12") is None
    on_time = datetime(2026, 11, 20, 23, 0)
    late = datetime(2026, 11, 21, 8, 0)
    assert calendrier.state("pecgm", "2026-10", on_time, date(2026, 12, 1)) == "chargé"
    assert calendrier.state("pecgm", "2026-10", late, date(2026, 12, 1)) == "chargé en retard"
    assert calendrier.state("pecgm", "2026-10", None, date(2026, 11, 20)) == "—"
    assert calendrier.state("pecgm", "2026-10", None, date(2026, 11, 21)) == "manquant"
    assert calendrier.state("lrsa", "2026-10", None, date(2027, 1, 1)) == "—"
    assert calendrier.last_due_month("pecgm", date(2026, 11, 20)) == "2026-09"
    assert calendrier.last_due_month("pecgm", date(2026, 11, 21)) == "2026-10"
    assert calendrier.last_due_month("pecgm", date(2026, 1, 25)) == "2025-12"


def test_a_missing_arrivals_folder_is_an_error(tmp_path, capsys) -> None:
    """A misconfigured folder must not pass for « nothing to do » run after run."""
    assert main(["arrivees", "--once", "--dossier", str(tmp_path / "absent")]) == 2
    assert "Dossier d'arrivée introuvable" in capsys.readouterr().err


def test_an_smtp_failure_exits_2_after_the_files_are_settled(
    tmp_path, settings, monkeypatch
) -> None:
    folder = tmp_path / "arrivees"
    folder.mkdir()
    shutil.copy(SAMPLE_DIR / MONTH_FILES[0], folder)
    monkeypatch.setenv("PILOTAGE_DEPARTEMENT", "2A")
    monkeypatch.setenv("PILOTAGE_NOTIFICATION_DESTINATAIRES", STEWARD)
    monkeypatch.setenv("PILOTAGE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PILOTAGE_SMTP_PORT", str(free_port()))  # nobody listens there
    assert main(["arrivees", "--once", "--attente", "0", "--dossier", str(folder)]) == 2
    assert [p.name for p in (folder / "charges").iterdir()] == [Path(MONTH_FILES[0]).name]


def test_without_once_it_keeps_watching_the_folder(tmp_path, settings) -> None:
    """The watch mode: a file dropped after the start is loaded by a later pass; Ctrl-C
    ends it cleanly."""
    import signal
    import time

    folder = tmp_path / "arrivees"
    folder.mkdir()
    command = [sys.executable, "-m", "pipelines", "arrivees", "--dossier", str(folder)]
    command += ["--attente", "0", "--intervalle", "0.2", "--departement", "2A"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # each pass's lines as they are printed
    watch = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # the first pass found the folder empty: the file dropped now is a later pass's
        assert "Rien à charger" in watch.stdout.readline().decode()
        shutil.copy(SAMPLE_DIR / MONTH_FILES[0], folder)
        deadline = time.monotonic() + 240
        while not (folder / "charges").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [p.name for p in (folder / "charges").iterdir()] == [Path(MONTH_FILES[0]).name]
    finally:
        watch.send_signal(signal.SIGINT)
        code = watch.wait(timeout=60)
    assert code == 0, watch.stderr.read().decode()
    assert [s for _, s in _journal(settings)] == ["loaded"]
