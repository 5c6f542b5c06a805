"""The arrivals folder as an attacker with an SFTP account sees it: file names that forge
mail headers and log lines, links and special files, and the runs that must survive them
(issue #32, items 6 and 7)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines import arrivees
from pipelines.cli import main
from pipelines.settings import SAMPLE_DIR
from tests.local_servers import start_smtp
from tests.test_arrivees import MONTH_FILES, SMTP_PASSWORD, SMTP_USER, STEWARD, _journal, _mail_text

CGPEM = SAMPLE_DIR / MONTH_FILES[0]
# A name an SFTP client may write: CR/LF would forge a mail header and a log line.
FORGED = "CGPEM_2A_202610\r\nX-Forge: oui\r\n[charge] faux.csv"  # ASCII: no RFC 2231


@pytest.fixture
def smtp(tmp_path, monkeypatch):
    controller, mailbox, port, ca = start_smtp(tmp_path / "tls", SMTP_USER, SMTP_PASSWORD)
    password_file = tmp_path / "smtp_password"
    password_file.write_text(SMTP_PASSWORD, encoding="utf-8")
    for name, value in {
        "HOST": "127.0.0.1", "PORT": str(port), "USER": SMTP_USER, "CA_FILE": str(ca),
        "PASSWORD_FILE": str(password_file), "FROM": "pilotage-rsa@cd2a.example.fr",
    }.items():  # fmt: skip
        monkeypatch.setenv(f"PILOTAGE_SMTP_{name}", value)
    monkeypatch.setenv("PILOTAGE_NOTIFICATION_DESTINATAIRES", STEWARD)
    monkeypatch.setenv("PILOTAGE_DEPARTEMENT", "2A")
    yield mailbox
    controller.stop()


def _forged_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(("X-Forge", "[charge] faux"))]


def _run_mails(mailbox) -> list:
    """The mails of the passes (not the missing-file alerts the calendar adds)."""
    return [m for m in mailbox.messages if "fichiers reçus" in m["Subject"]]


def test_a_name_with_cr_lf_is_escaped_in_mail_and_log(tmp_path, settings, smtp, capsys) -> None:
    folder = tmp_path / "arrivees"
    folder.mkdir()
    shutil.copy(CGPEM, folder / FORGED)
    shutil.copy(SAMPLE_DIR / MONTH_FILES[1], folder)

    assert main(["arrivees", "--once", "--attente", "0", "--dossier", str(folder)]) == 0
    out = capsys.readouterr()
    assert "\\r\\nX-Forge" in out.out  # shown escaped, on its own line
    assert not _forged_lines(out.out + out.err)
    assert sorted(s for _, s in _journal(settings)) == ["loaded", "loaded"]
    (run_mail,) = _run_mails(smtp)  # the pass mailed, the bad name with the others
    text = _mail_text(run_mail.as_bytes())
    assert "\\r\\nX-Forge" in text
    assert not _forged_lines(text)
    assert "X-Forge" not in run_mail  # no forged header
    for part in run_mail.iter_attachments():
        assert "\r" not in part.get_filename() and "\n" not in part.get_filename()


def test_printable_escapes_every_control_and_format_character() -> None:
    hostile = "a\rb\nc\x00d\x1be\x85f\u2028g\u202eh\tî"
    shown = arrivees.printable(hostile)
    assert shown.isprintable() and shown.startswith("a\\rb\\nc\\x00d\\x1be")
    assert "\\u202e" in shown and shown.endswith("î")
    assert arrivees.printable("CGPEM_2A_202610 (1).csv") == "CGPEM_2A_202610 (1).csv"


def test_the_watch_service_survives_a_bad_name(tmp_path, settings, smtp) -> None:
    """In watch mode a name that once made the mail raise ended the service; it goes on
    and loads the next file."""
    folder = tmp_path / "arrivees"
    folder.mkdir()
    shutil.copy(CGPEM, folder / FORGED)
    command = [sys.executable, "-m", "pipelines", "arrivees", "--dossier", str(folder)]
    command += ["--attente", "0", "--intervalle", "0.2"]
    watch = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 240
        while len(_run_mails(smtp)) < 1 and watch.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert watch.poll() is None, watch.stderr.read().decode()
        shutil.copy(SAMPLE_DIR / MONTH_FILES[1], folder)
        while len(_run_mails(smtp)) < 2 and watch.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert watch.poll() is None, watch.stderr.read().decode()
    finally:
        watch.send_signal(signal.SIGINT)
        code = watch.wait(timeout=60)
    assert code == 0
    assert [s for _, s in _journal(settings)] == ["loaded", "loaded"]
    assert len(_run_mails(smtp)) == 2


def _secret(tmp_path) -> Path:
    """A 0600 file of the service account, outside the arrivals folder."""
    secret = tmp_path / "secret" / "cle"
    secret.parent.mkdir()
    secret.write_text("00112233445566778899aabbccddeeff\n", encoding="ascii")
    secret.chmod(0o600)
    return secret


def test_links_and_special_files_are_skipped_and_said(tmp_path, settings, capsys) -> None:
    """A link to another folder's data, a link to a secret, a hard link, a FIFO and a
    folder: none is read, each is named in the summary; the real file is loaded."""
    other = tmp_path / "autre_departement"
    other.mkdir()
    shutil.copy(SAMPLE_DIR / MONTH_FILES[1], other / "LRSA_2B.csv")
    folder = tmp_path / "arrivees"
    folder.mkdir()
    shutil.copy(CGPEM, folder)
    (folder / "LRSA_2A_202610_inscrits.csv").symlink_to(other / "LRSA_2B.csv")
    secret = _secret(tmp_path)
    (folder / "cle.csv").symlink_to(secret)
    os.link(other / "LRSA_2B.csv", folder / "lien_physique.csv")
    os.mkfifo(folder / "tube.csv")
    (folder / "sous_dossier").mkdir()

    code = main(
        ["arrivees", "--once", "--attente", "0", "--dossier", str(folder), "--departement", "2A"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert [name for name, _ in _journal(settings)] == [CGPEM.name]  # nothing else read
    for name, why in [
        ("LRSA_2A_202610_inscrits.csv", "lien symbolique"),
        ("cle.csv", "lien symbolique"),
        ("lien_physique.csv", "lien physique"),
        ("tube.csv", "pas un fichier ordinaire"),
    ]:
        assert f"[ignoré] {name} : {why}" in out
    assert "sous_dossier" not in out  # charges/ and refuses/ are folders too: not news
    assert (folder / "cle.csv").is_symlink() and secret.stat().st_mode & 0o777 == 0o600
    assert arrivees.candidates(folder) == {}


def test_a_file_swapped_for_a_link_after_the_look_is_refused_when_opened(tmp_path) -> None:
    """Between the look and the read, the sender replaces the file by a link: every read
    opens with O_NOFOLLOW, so the link is refused, naming the file, and nothing is read."""
    from pipelines.errors import FileRefused
    from pipelines.readers.encoding import file_sha256, inspect_file, open_bytes

    secret = _secret(tmp_path)
    path = tmp_path / "CGPEM_2A_202610.csv"
    path.symlink_to(secret)
    for read in (inspect_file, file_sha256, lambda p: open_bytes(p).__enter__()):
        with pytest.raises(FileRefused, match=r"CGPEM_2A_202610\.csv : lien symbolique"):
            read(path)


def test_planted_links_for_charges_and_reports_are_not_followed(tmp_path, settings) -> None:
    """`refuses/` made a link to the service's folder, and a report name planted as a
    link to the warehouse: the run writes neither through them."""
    folder = tmp_path / "arrivees"
    folder.mkdir()
    target = tmp_path / "service"
    target.mkdir()
    (folder / "refuses").symlink_to(target)
    (folder / "charges").mkdir()
    bad = folder / "PECGM_2A_202609.txt"
    bad.write_text("pas un PECGM\n", encoding="ascii")
    victim = tmp_path / "entrepot.duckdb"
    victim.write_bytes(b"precieux")
    code = main(["arrivees", "--once", "--attente", "0", "--dossier", str(folder)])
    assert code == 1
    assert list(target.iterdir()) == []  # nothing moved through the link
    assert bad.exists()  # left where it was, said in the summary
    (folder / "refuses").unlink()
    (folder / "refuses").mkdir()
    (folder / "refuses" / (bad.name + ".rapport.html")).symlink_to(victim)
    assert main(["arrivees", "--once", "--attente", "0", "--dossier", str(folder)]) == 1
    assert victim.read_bytes() == b"precieux"


def test_a_name_that_is_not_utf8_is_loaded_and_shown_escaped(tmp_path, settings, capsys) -> None:
    """An SFTP client on another system may write names in Latin-1: Python sees lone
    surrogates, which neither DuckDB (the journal) nor a mail may carry raw."""
    folder = tmp_path / "arrivees"
    folder.mkdir()
    name = os.fsdecode(b"CGPEM_2A_202610_\xe9t\xe9.csv")
    shutil.copy(CGPEM, folder / name)
    code = main(
        ["arrivees", "--once", "--attente", "0", "--dossier", str(folder), "--departement", "2A"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "CGPEM_2A_202610_\\udce9t\\udce9.csv" in out
    assert [(n, s) for n, s in _journal(settings)] == [
        ("CGPEM_2A_202610_\\udce9t\\udce9.csv", "loaded")
    ]
