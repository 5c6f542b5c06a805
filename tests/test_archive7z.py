"""Encrypted transfers (issue #32, item 12): an AES-256 7z archive uploaded on the
Chargement page, each member checked and loaded like a file of its own; a wrong password,
a member not encrypted, a member outside the archive, a bomb: a French refusal, nothing
written, and the password in no message."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import py7zr
import pytest

from dashboard.uploads import stage_all
from pipelines.cli import main
from pipelines.errors import FileRefused
from pipelines.readers import archive7z, encoding
from pipelines.settings import SAMPLE_DIR
from tests.conftest import table_rows

PASSWORD = "phrase-de-passe-transmise-à-part"
CGPEM = SAMPLE_DIR / "cgpem" / "CGPEM_2A_202610.csv"
LRSA = SAMPLE_DIR / "lrsa" / "LRSA_2A_202610_inscrits.csv"


@dataclass
class _Upload:
    name: str
    data: bytes

    def getvalue(self) -> bytes:
        return self.data


def _archive(path: Path, members: dict[str, bytes], password: str | None = PASSWORD) -> _Upload:
    with py7zr.SevenZipFile(path, "w", password=password) as z:
        for name, data in members.items():
            z.writestr(data, name)
    return _Upload("envoi_cd2a.7z", path.read_bytes())


def _refused(tmp_path, upload: _Upload, password: str | None, words: str) -> None:
    folder = tmp_path / "depot"
    folder.mkdir(exist_ok=True)
    with pytest.raises(FileRefused) as refused:
        stage_all(folder, upload, password)
    message = str(refused.value)
    assert words in message, message
    assert message.startswith("envoi_cd2a.7z : ")
    assert PASSWORD not in message and (password or "§") not in message
    assert list(folder.iterdir()) == []  # neither the archive nor a member left


def test_each_member_is_loaded_like_a_file_of_its_own(tmp_path) -> None:
    upload = _archive(
        tmp_path / "a.7z", {CGPEM.name: CGPEM.read_bytes(), f"lrsa/{LRSA.name}": LRSA.read_bytes()}
    )
    folder = tmp_path / "depot"
    folder.mkdir()
    members = stage_all(folder, upload, PASSWORD)
    assert [m.name for m in members] == [CGPEM.name, LRSA.name]
    assert not (folder / "envoi_cd2a.7z").exists()  # the archive is not kept
    assert main(["load", "cgpem", str(members[0]), "--departement", "2A"]) == 0
    assert main(["load", "lrsa", str(members[1]), "--departement", "2A"]) == 0
    from pipelines.settings import Settings

    names = [r[2] for r in table_rows(Settings.from_env(), "load_journal")]
    assert names == [CGPEM.name, LRSA.name]


def test_an_uploaded_plain_file_is_staged_as_before(tmp_path) -> None:
    folder = tmp_path / "depot"
    folder.mkdir()
    assert stage_all(folder, _Upload(CGPEM.name, CGPEM.read_bytes())) == [folder / CGPEM.name]


def test_a_wrong_or_missing_password_is_refused(tmp_path) -> None:
    upload = _archive(tmp_path / "a.7z", {CGPEM.name: CGPEM.read_bytes()})
    _refused(tmp_path, upload, "mauvais-mot-de-passe", "mot de passe incorrect")
    _refused(tmp_path, upload, None, "saisissez son mot de passe")


def test_an_unencrypted_member_is_refused_when_encryption_is_required(tmp_path) -> None:
    upload = _archive(tmp_path / "a.7z", {CGPEM.name: CGPEM.read_bytes()}, password=None)
    _refused(tmp_path, upload, PASSWORD, "n'est pas chiffré (AES-256)")


def test_the_requirement_can_be_lifted(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(archive7z.REQUIRED_ENV, "0")
    upload = _archive(tmp_path / "a.7z", {CGPEM.name: CGPEM.read_bytes()}, password=None)
    folder = tmp_path / "depot"
    folder.mkdir()
    assert [p.name for p in stage_all(folder, upload, PASSWORD)] == [CGPEM.name]


@pytest.mark.parametrize("name", ["../evasion.csv", "/etc/evasion.csv", "a/../../evasion.csv"])
def test_a_member_outside_the_archive_is_refused(tmp_path, name) -> None:
    path = tmp_path / "a.7z"
    placeholder = "x" * len(name)
    with py7zr.SevenZipFile(path, "w", password=PASSWORD) as z:
        z.set_encoded_header_mode(False)  # names in clear in the header, to be rewritten
        z.writestr(CGPEM.read_bytes(), placeholder)
    _patch_member_name(path, placeholder, name)
    _refused(tmp_path, _Upload("envoi_cd2a.7z", path.read_bytes()), PASSWORD, "sort de l'archive")
    assert not (tmp_path / "evasion.csv").exists()


def _patch_member_name(path: Path, old: str, new: str) -> None:
    """py7zr cleans names when writing: rewrite the archive's (unencrypted) header with a
    hostile one, as another tool could write it (names are UTF-16 in the header)."""
    data = bytearray(path.read_bytes())
    raw_old = old.encode("utf-16-le")
    assert data.count(raw_old) == 1 and len(new) == len(old)
    data = bytearray(data.replace(raw_old, new.encode("utf-16-le")))
    offset, size = struct.unpack_from("<QQ", data, 12)  # then recompute both CRCs
    struct.pack_into("<I", data, 28, zlib.crc32(data[32 + offset : 32 + offset + size]))
    struct.pack_into("<I", data, 8, zlib.crc32(data[12:32]))
    path.write_bytes(bytes(data))


def test_a_bomb_in_an_archive_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(encoding.MAX_ENV, "8")  # 40 MB inflated: past an 8 MB cap
    upload = _archive(tmp_path / "a.7z", {"CGPEM_2A_202610.csv": b"0" * (40 * encoding.MB)})
    _refused(tmp_path, upload, PASSWORD, "se décompresse au-delà de 8 Mo")


def test_an_archive_inside_the_archive_is_refused(tmp_path) -> None:
    inner = _archive(tmp_path / "inner.7z", {CGPEM.name: CGPEM.read_bytes()})
    upload = _archive(tmp_path / "a.7z", {"autre.7z": inner.data})
    _refused(tmp_path, upload, PASSWORD, "est lui-même une archive 7z")


def _password_file(tmp_path, mode: int = 0o600) -> Path:
    path = tmp_path / "secrets" / "mot_de_passe_7z"
    path.parent.mkdir(exist_ok=True)
    path.write_text(PASSWORD + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


def test_an_archive_in_the_arrivals_folder(tmp_path, settings, monkeypatch, capsys) -> None:
    """Members loaded like files of their own, the archive moved to charges/, no member
    left in the shared folder; the password read from a 0600 file and never printed."""
    folder = tmp_path / "arrivees"
    folder.mkdir()
    _archive(
        folder / "envoi_cd2a.7z", {CGPEM.name: CGPEM.read_bytes(), LRSA.name: LRSA.read_bytes()}
    )
    monkeypatch.setenv(archive7z.PASSWORD_FILE_ENV, str(_password_file(tmp_path)))
    capsys.readouterr()
    code = main(
        ["arrivees", "--once", "--attente", "0", "--dossier", str(folder), "--departement", "2A"]
    )
    out = "".join(capsys.readouterr())
    assert code == 0, out
    assert sorted(r[2] for r in table_rows(settings, "load_journal")) == sorted(
        [CGPEM.name, LRSA.name]
    )
    assert [p.name for p in (folder / "charges").iterdir()] == ["envoi_cd2a.7z"]
    assert sorted(p.name for p in folder.iterdir()) == ["charges"]
    assert PASSWORD not in out
    assert not any((settings.db_path.parent / "arrivees_7z").iterdir())  # members deleted


@pytest.mark.parametrize("case", ["mauvais", "lisible", "absent"])
def test_a_refused_archive_in_the_arrivals_folder(
    tmp_path, settings, monkeypatch, capsys, case
) -> None:
    folder = tmp_path / "arrivees"
    folder.mkdir()
    _archive(folder / "envoi_cd2a.7z", {CGPEM.name: CGPEM.read_bytes()})
    (folder / LRSA.name).write_bytes(LRSA.read_bytes())  # an ordinary file of the same pass
    if case == "mauvais":
        path = _password_file(tmp_path)
        path.write_text("autre-mot-de-passe", encoding="utf-8")
        words = "mot de passe incorrect"
    elif case == "lisible":
        path = _password_file(tmp_path, 0o644)
        words = "lisible par d'autres comptes"
    else:
        path = None
        words = "saisissez son mot de passe"
    if path:
        monkeypatch.setenv(archive7z.PASSWORD_FILE_ENV, str(path))
    capsys.readouterr()
    code = main(
        ["arrivees", "--once", "--attente", "0", "--dossier", str(folder), "--departement", "2A"]
    )
    out = "".join(capsys.readouterr())
    assert code == 1 and words in out and PASSWORD not in out, out
    assert [p.name for p in (folder / "refuses").iterdir()] == ["envoi_cd2a.7z"]
    assert [r[2] for r in table_rows(settings, "load_journal")] == [LRSA.name]  # nothing of it


def test_the_chargement_page_checks_each_member_and_refuses_a_wrong_password(tmp_path) -> None:
    """dashboard/views/chargement.py: the password typed beside the upload opens the
    archive; a wrong one is a Refused answer, with nothing staged; the password is in no
    repr of the request (Streamlit may show one in an error)."""
    from dashboard.views import chargement as view
    from pipelines.access import User

    steward = User("steward", "donnees", ("2A",))
    settings = view.settings_for(steward)
    upload = _archive(tmp_path / "a.7z", {CGPEM.name: CGPEM.read_bytes()})
    upload.size, upload.file_id = len(upload.data), "1"  # what the key reads of an upload
    wrong = view.Request("cgpem", [upload], [], "2A", None, None, None, "faux")
    state: dict = {}
    refused = view.check(steward, settings, wrong, state)
    assert isinstance(refused, view.Refused) and "mot de passe incorrect" in refused.message
    staged = Path(state[view.UPLOAD_DIR])
    assert list(staged.iterdir()) == []
    good = view.Request("cgpem", [upload], [], "2A", None, None, None, PASSWORD)
    assert PASSWORD not in repr(good)
    checked = view.check(steward, settings, good, state)
    assert isinstance(checked, view.Checked) and checked.report.file_name == CGPEM.name
