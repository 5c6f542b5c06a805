"""Pseudonymisation is a real HMAC, and no personal value ever reaches the warehouse."""

from __future__ import annotations

import hashlib
import hmac
import stat

import duckdb
import pytest

from pipelines import pseudonymise
from pipelines.cli import main
from pipelines.errors import UsageError
from pipelines.readers.layout import available_layouts
from sample_data.generate import set_field
from tests.conftest import TEST_KEY, pecgm_lines, table_rows, write_pecgm

LAYOUT = available_layouts("pecgm")["001,0"]


def test_sql_macro_equals_python_hmac() -> None:
    key = bytes.fromhex(TEST_KEY)
    con = duckdb.connect()
    pseudonymise.register_macros(con, key)
    cases = [(FAKE_NIR + "45", None), (None, "9000123A"), ("2 85 07 99 912 34 5", "9000123A")]
    for nir, pe in cases:
        got = con.execute("SELECT person_key(?, ?, NULL)", [nir, pe]).fetchone()[0]
        assert got == pseudonymise.person_key(key, nir=nir, pe=pe)
    expected = hmac.new(key, f"NIR:{FAKE_NIR}".encode(), hashlib.sha256).hexdigest()[:32]
    assert (
        con.execute("SELECT person_key(?, NULL, NULL)", [FAKE_NIR + "45"]).fetchone()[0] == expected
    )
    long_key = b"k" * 100  # longer than a SHA-256 block: hashed first, as RFC 2104 says
    pseudonymise.register_macros(con, long_key)
    assert (
        con.execute("SELECT pseudo('PE', 'X')").fetchone()[0]
        == (hmac.new(long_key, b"PE:X", hashlib.sha256).hexdigest()[:32])
    )


def test_has_macros_sees_only_this_connections_macros(tmp_path) -> None:
    """A bare staging connection (the tests') hashes nothing; a load's has the macros. The
    answer is the connection's own, as its TEMP macros are: another connection to the
    same database, or a cursor of this one, has none until it registers them."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    other, cursor = duckdb.connect(str(tmp_path / "w.duckdb")), con.cursor()
    assert not pseudonymise.has_macros(con)
    pseudonymise.register_macros(con, bytes.fromhex(TEST_KEY))
    assert pseudonymise.has_macros(con)
    assert con.execute("SELECT person_key(NULL, 'X', NULL) IS NOT NULL").fetchone()[0]
    assert not pseudonymise.has_macros(other) and not pseudonymise.has_macros(cursor)
    pseudonymise.register_macros(cursor, bytes.fromhex(TEST_KEY))
    assert pseudonymise.has_macros(cursor) and not pseudonymise.has_macros(other)


def test_prefixes_keep_identifier_kinds_apart() -> None:
    key = bytes.fromhex(TEST_KEY)
    assert pseudonymise.keyed_hash(key, "NIR", "12345678") != pseudonymise.keyed_hash(
        key, "PE", "12345678"
    )


def test_key_file_created_private(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("PILOTAGE_SECRET_KEY")
    path = tmp_path / "k" / "cle"
    key = pseudonymise.load_or_create_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert pseudonymise.load_or_create_key(path) == key


def test_a_different_key_is_refused(tmp_path, settings, monkeypatch, capsys) -> None:
    path = write_pecgm(tmp_path / "a.txt", pecgm_lines(month="2026-09"))
    assert main(["load", "pecgm", str(path)]) == 0
    monkeypatch.setenv("PILOTAGE_SECRET_KEY", "ff" * 32)
    other = write_pecgm(tmp_path / "b.txt", pecgm_lines(month="2026-10"))
    assert main(["load", "pecgm", str(other)]) == 2
    assert "clé de pseudonymisation" in capsys.readouterr().err
    with pytest.raises(UsageError):
        pseudonymise._decode_key("court")


# Synthetic NIRs: département 99 + country code 9xx, never assigned by INSEE (the rule:
# tests/synthetic.py). Built from parts, as a reminder that none is anyone's number.
FAKE_NIR = "1" + "8507" + "99" + "912345"
FAKE_NIR_2 = "2" + "9901" + "99" + "912399"

PERSONAL = {
    "nir": FAKE_NIR,
    "nom_naissance": "ZORGLUBIENNE",
    "nom_marital": "QWERTYAZERTY",
    "prenom": "PERSONNAFICTA",
    "no_allocataire_caf": "CAF7654321XYZ",
    "no_allocataire_msa": "MSA1234509876",
    "conseiller_pe": "CONSEILLERUNIQUEXY",
    "identifiant_pe": "9876543Q",
    "date_naissance": "19850717",
}


def test_no_personal_value_in_the_warehouse(tmp_path, settings) -> None:
    lines = pecgm_lines(persons=300, month="2026-10")
    for name, value in PERSONAL.items():
        lines[3] = set_field(lines[3], LAYOUT, "D", name, value)
    # A second person with a bad line: its values must not leak through the quarantine either.
    lines[4] = set_field(lines[4], LAYOUT, "D", "nom_naissance", "QUARANTAINOM")
    lines[4] = set_field(lines[4], LAYOUT, "D", "motif_cessation_ide", "77")
    lines[4] = set_field(lines[4], LAYOUT, "D", "nir", FAKE_NIR_2)
    path = write_pecgm(tmp_path / "PECGM_2A_202610.txt", lines)
    assert main(["load", "pecgm", str(path)]) == 0
    assert len(table_rows(settings, "quarantine")) == 1

    secrets = [*PERSONAL.values(), "QUARANTAINOM", FAKE_NIR_2, FAKE_NIR[:10], "987654"]
    raw = settings.db_path.read_bytes()
    for value in secrets:
        for encoded in {value.encode("latin-1"), value.encode("utf-16-le")}:
            assert encoded not in raw, f"{value!r} found in the warehouse file"
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        tables = [
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        ]
        assert "pecgm_stock" in tables and "load_journal" in tables
        for table in tables:
            text = " ".join(
                str(v) for row in con.execute(f"SELECT * FROM {table}").fetchall() for v in row
            )
            for value in secrets:
                assert value not in text, f"{value!r} found in table {table}"
    # Year of birth is kept (age bands), the full date is not.
    assert any(row[9] == 1985 for row in table_rows(settings, "pecgm_stock"))


def test_keys_hashed_while_cutting_are_the_python_hmac(tmp_path, settings, monkeypatch) -> None:
    """The keys computed chunk by chunk beside the cut (`pecgm.KeyHasher`) land on their
    own rows: chunks of 7 rows here, so every chunk boundary falls inside the file."""
    from pipelines import loader
    from pipelines.sources import pecgm

    monkeypatch.setattr(pecgm.KeyHasher, "CHUNK_ROWS", 7)
    lines = pecgm_lines(persons=60, month="2026-10")
    path = write_pecgm(tmp_path / "PECGM_2A_202610.txt", lines)
    assert loader.load("pecgm", path, settings).status == "loaded"
    key = pseudonymise.load_or_create_key(settings.key_file)
    expected = {}
    for line_no, line in enumerate(lines, 1):
        if line.startswith("D"):
            values = {f.name: line[f.start - 1 : f.end].strip() for f in LAYOUT.fields("D")}
            expected[line_no] = (
                pseudonymise.person_key(key, nir=values["nir"], pe=values["identifiant_pe"]),
                pseudonymise.keyed_hash(key, "PE", values["identifiant_pe"]),
            )
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        got = con.execute("SELECT line_no, person_key, pe_key FROM pecgm_stock").fetchall()
    assert len(got) == len(expected) > 14
    assert {line_no: (person, pe) for line_no, person, pe in got} == expected


def test_a_failed_key_computation_refuses_the_load_with_its_own_message(
    tmp_path, settings, monkeypatch
) -> None:
    from pipelines import loader
    from pipelines.sources import pecgm

    def fail(self, chunk):
        raise duckdb.OutOfMemoryException("simulated")

    monkeypatch.setattr(pecgm.KeyHasher, "_hash", fail)
    path = write_pecgm(tmp_path / "PECGM_2A_202610.txt", pecgm_lines(persons=20))
    outcome = loader.load("pecgm", path, settings)
    assert outcome.status == "refused"
    assert "le calcul des clés pseudonymisées a échoué (OutOfMemoryException)" in outcome.message
    assert "illisible" not in outcome.message
