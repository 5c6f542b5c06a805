"""The proof of the security audit (issue of the hostile files): a set of hostile inputs
goes through every path a file takes, and everything the product produces is scanned.

Inputs: a PECGM file and a file of every tabular source (CGPEM, LRSA DE, reprise de stock,
the three parcours files) with a distinctive marker in every column of one line and
formulas in the text columns of a line that loads; the same sources without their header
row; territoire files, one without a header, one whose labels are formulas; a file whose
name is a formula. They are validated (report, HTML, GX Data Docs), loaded, reported on
(`report --html --quarantine --data-docs`), listed (`journal`), exported (`indicators`,
the dashboard's downloads) and shown (the pages, through Streamlit's AppTest).

Scanned: every line printed, every log record, every journal and quarantine row, every
audit row, every file of the report folders and of the Data Docs, every page's text and
every download. Rules: no marker ever appears outside the warehouse's own statistics
(a marker of a personal, key or dropped column appears nowhere, the warehouse included);
no exported cell starts like a formula.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
import shutil
import sqlite3
import zipfile
from pathlib import Path

import duckdb
from openpyxl import load_workbook

from pipelines import access, export
from pipelines.access import User
from pipelines.cli import main
from pipelines.readers.layout import available_layouts
from pipelines.readers.tabular import match_columns, template
from pipelines.settings import SAMPLE_DIR
from sample_data.generate import set_field
from tests.conftest import pecgm_lines, run_app, write_pecgm

LAYOUT = available_layouts("pecgm")["001,0"]
PERSONAL_USAGES = ("key", "personal", "birth", "drop")
MARKER = re.compile(r"ZQ[SKF]\d{3}")  # S: personal column, K: kept statistic, F: formula


class Markers:
    """Distinctive values, one per column, remembered by kind: `secret` (a column the
    product must never keep) or `kept` (a statistic the warehouse keeps on purpose)."""

    def __init__(self) -> None:
        self.n = 0
        self.secret: set[str] = set()
        self.kept: set[str] = set()

    def marker(self, personal: bool) -> str:
        self.n += 1
        value = f"ZQ{'S' if personal else 'K'}{self.n:03d}X"
        (self.secret if personal else self.kept).add(value)
        return value

    def formula(self, personal: bool) -> str:
        self.n += 1
        value = f"{'=+-@'[self.n % 4]}ZQF{self.n:03d}"
        (self.secret if personal else self.kept).add(value[1:])
        return value


def _hostile_pecgm(folder: Path, m: Markers) -> Path:
    lines = pecgm_lines(persons=300, month="2026-10")
    marked = lines[3]
    for f in LAYOUT.fields("D"):
        if f.name != "type_enregistrement" and f.width >= 7:
            marked = set_field(marked, LAYOUT, "D", f.name, m.marker(f.usage in PERSONAL_USAGES))
    lines[3] = marked
    formulas = lines[4]  # a line that loads: formulas only in free-text fields
    for f in LAYOUT.fields("D"):
        if f.type == "AN" and f.width >= 7 and not f.fixed and not f.codelist:
            value = m.formula(f.usage in PERSONAL_USAGES)
            formulas = set_field(formulas, LAYOUT, "D", f.name, value)
    lines[4] = formulas
    write_pecgm(folder / "PECGM_sans_entete.txt", lines[3:])  # the marker line comes first
    return write_pecgm(folder / "PECGM_2A_202610.txt", lines)


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # some samples are Windows-1252, as départements send them
        text = data.decode("cp1252")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    return rows[0], rows[1:]


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=";", lineterminator="\r\n").writerows(rows)
    return path


def _hostile_tabular(sample: Path, tpl_name: str, target: Path, m: Markers) -> tuple[Path, Path]:
    """(the sample file plus a marker line and a formula line, the same without header)."""
    header, rows = _rows(sample)
    tpl = template(tpl_name)
    matching = match_columns(header, tpl, {})
    field_of = {index: name for name, index in matching.fields.items()}

    def personal(index: int) -> bool:
        name = field_of.get(index)
        return name is None or tpl.column(name).usage in PERSONAL_USAGES

    marked = [m.marker(personal(i)) for i in range(len(header))]
    formulas = rows[1]  # this line still loads: formulas in its free-text cells only
    for i in range(len(header)):
        name = field_of.get(i)
        if name and tpl.column(name).type == "text" and tpl.column(name).usage != "key":
            formulas[i] = m.formula(personal(i))
    full = _write(target, [header, *rows, marked])
    headerless = _write(
        target.with_name("sans_entete_" + target.name),
        [[m.marker(True) for _ in header], *rows],
    )
    return full, headerless


def _sample(pattern: str) -> Path:
    return sorted(SAMPLE_DIR.glob(pattern))[-1]


def _run(capsys, printed: list[str], *args: str) -> int:
    code = main(list(args))
    out = capsys.readouterr()
    printed += [out.out, out.err]
    return code


def _texts(node) -> list[str]:
    """Everything an AppTest element tree holds (text, tables' Arrow bytes), as text."""
    proto = getattr(node, "proto", None)
    out = [str(proto)] if proto is not None else []
    for child in getattr(node, "children", {}).values():
        out += _texts(child)
    return out


def _page_downloads(monkeypatch) -> list[tuple[str, bytes]]:
    """Every download a page offers, captured where Streamlit stores it; a download built
    on click (a callable, `widgets.download`) is built here, as a click would."""
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    captured: list[tuple[str, bytes]] = []
    original = MemoryMediaFileStorage.load_and_get_id
    original_deferred = MediaFileManager.add_deferred

    def keep(self, path_or_data, mimetype, kind, filename=None):
        if isinstance(path_or_data, bytes):
            captured.append((filename or "", path_or_data))
        return original(self, path_or_data, mimetype, kind, filename)

    def build(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        data = data_callable()
        data = data.read() if hasattr(data, "read") else data
        captured.append((file_name or "", data.encode("utf-8") if isinstance(data, str) else data))
        return original_deferred(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    monkeypatch.setattr(MediaFileManager, "add_deferred", build)
    return captured


def _cells(name: str, data: bytes) -> list[str]:
    """The text cells of an export (CSV or xlsx); formulas of a workbook as '=…'."""
    if name.endswith(".xlsx"):
        book = load_workbook(io.BytesIO(data))
        return [
            ("=" if c.data_type == "f" else "") + str(c.value)
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for c in row
            if c.value is not None
        ]
    if name.endswith(".csv"):
        text = data.decode("utf-8-sig")
        return [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]
    return []


def _files_text(folder: Path) -> dict[str, str]:
    out = {}
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix not in (".duckdb", ".sqlite", ".wal", ".lock"):
            if path.suffix == ".zip":
                with zipfile.ZipFile(path) as z:
                    for n in z.namelist():
                        out[f"{path}!{n}"] = z.read(n).decode("utf-8", "replace")
            else:
                out[str(path)] = path.read_bytes().decode("utf-8", "replace")
    return out


def test_no_hostile_value_reaches_any_output(tmp_path, monkeypatch, capsys, caplog, settings):
    monkeypatch.setenv("PILOTAGE_SEUIL_LIGNES", "0.5")  # the hostile lines alone do not block
    caplog.set_level(logging.DEBUG)
    m = Markers()
    depot = tmp_path / "depot"
    depot.mkdir()
    pecgm = _hostile_pecgm(depot, m)
    cgpem, cgpem_bare = _hostile_tabular(
        _sample("cgpem/CGPEM_2A_2026*.csv"), "cgpem", depot / "=HYPERLINK(1)_decisions.csv", m
    )
    lrsa, lrsa_bare = _hostile_tabular(
        _sample("lrsa/LRSA_2A_2026*_inscrits.csv"), "lrsa", depot / "LRSA_2A_202610_inscrits.csv", m
    )
    stock, stock_bare = _hostile_tabular(_sample("stock/*.csv"), "stock", depot / "reprise.csv", m)
    parcours, parcours_bare = [], []
    for part in ("personnes", "rendez_vous", "prestations"):
        full, bare = _hostile_tabular(
            _sample(f"parcours/PARCOURS_2A_{part}.csv"),
            f"parcours_{part}",
            depot / f"parcours_{part}.csv",
            m,
        )
        parcours.append(str(full))
        parcours_bare.append(str(bare))
    territoires_bare = _write(depot / "territoires_sans_entete.csv", [["2A004", m.marker(True)]])
    communes = sorted({row[0] for row in _rows(SAMPLE_DIR / "territoires" / "2A.csv")[1]})
    label = m.formula(False)
    territoires = _write(
        depot / "territoires.csv", [["code_commune", "territoire"], *([c, label] for c in communes)]
    )

    # Messages, reports and listings: no marker at all may reach them.
    messages: list[str] = []
    # Data the product shows or exports on purpose (indicators, territoires): only kept
    # statistics may appear there, never a personal column's marker, never a formula.
    data: list[str] = []
    run = lambda *args: _run(capsys, messages, *args)  # noqa: E731
    assert run("load", "pecgm", str(pecgm)) == 0
    assert run("validate", "cgpem", str(cgpem), "--departement", "2A", "--html",
               str(tmp_path / "v.html"), "--data-docs", str(tmp_path / "gx")) == 0  # fmt: skip
    assert run("load", "cgpem", str(cgpem), "--departement", "2A") == 0
    assert run("load", "lrsa", str(lrsa), "--departement", "2A", "--liste", "inscrits") == 0
    assert run("load", "stock", str(stock), "--departement", "2A") == 0
    assert run("load", "parcours", *parcours, "--departement", "2A") == 0
    for bare in (cgpem_bare, stock_bare):
        assert run("validate", "auto", str(bare), "--departement", "2A") == 2  # not recognised
    assert run("load", "cgpem", str(cgpem_bare), "--departement", "2A") == 1
    assert run("load", "lrsa", str(lrsa_bare), "--departement", "2A", "--liste", "inscrits") == 1
    assert run("load", "stock", str(stock_bare), "--departement", "2A") == 1
    assert run("load", "parcours", *parcours_bare, "--departement", "2A") != 0
    assert run("territoires", str(territoires_bare), "--departement", "2A") == 2
    for source in ("pecgm", "auto"):
        assert run("validate", source, str(depot / "PECGM_sans_entete.txt")) != 0
    assert "ligne d'en-tête absente" in " ".join(messages)
    assert _run(capsys, data, "territoires", str(territoires), "--departement", "2A") == 0

    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        journal = con.execute("SELECT * FROM load_journal ORDER BY id").fetchall()
        quarantine = con.execute("SELECT * FROM quarantine").fetchall()
    assert {r[11] for r in journal} >= {"loaded", "refused"}
    assert len({r[0] for r in quarantine}) >= 5  # every marker line rejected, by line and field
    exports: list[tuple[str, bytes]] = []
    for load_id in [r[0] for r in journal]:
        q = tmp_path / f"q{load_id}.csv"
        assert run("report", str(load_id), "--html", str(tmp_path / f"r{load_id}.html"),
                   "--quarantine", str(q), "--data-docs", str(tmp_path / f"dd{load_id}")) == 0  # fmt: skip
        exports.append((q.name, q.read_bytes()))
    assert run("journal") == 0
    indicators = ["indicators", "--departement", "2A", "--month", "2026-10"]
    assert _run(capsys, data, *indicators, "--json") == 0
    assert _run(capsys, data, *indicators, "--csv", f"--territoire={label}") == 0
    exports.append(("indicators.csv", data[-2].encode("utf-8")))

    downloads = _page_downloads(monkeypatch)
    pages: dict[str, list[str]] = {"messages": [], "data": []}
    login = "=LOGIN(1)"  # a login typed like a formula: the audit export neutralises it
    for page, role, kind in [
        ("pages/qualite.py", "donnees", "messages"),
        ("pages/administration.py", "admin", "messages"),
        ("pages/synthese.py", "analyste", "data"),
        ("pages/orientations.py", "analyste", "data"),
        ("pages/demandeurs.py", "analyste", "data"),
        ("pages/accompagnement.py", "analyste", "data"),
        ("pages/cohortes.py", "analyste", "data"),
    ]:
        at = run_app(User(login, role, ("2A",)), {"mois": "2026-10"}, page)
        assert not at.exception, (page, at.exception)
        pages[kind] += _texts(at._tree)
        if page == "pages/qualite.py":  # the report of the load with the most quarantined
            # lines: its quarantine export is offered only when it has lines (built on click)
            most = max((r for r in journal if r[11] == "loaded"), key=lambda r: r[10])
            assert most[10] > 0
            next(s for s in at.selectbox if s.label == "Chargement").set_value(most[0]).run()
            assert not at.exception, (page, at.exception)
            pages[kind] += _texts(at._tree)
    # The Chargement page checks the hostile CGPEM file and shows its report. The CLI loaded
    # these very bytes above, so the verdict is « déjà chargé » under that load's number
    # (the page never offers the same bytes twice); the report is shown all the same.
    from tests.test_app import _arrival, _chargement

    cgpem_sha = hashlib.sha256(cgpem.read_bytes()).hexdigest()
    (cgpem_load,) = [r[0] for r in journal if r[3] == cgpem_sha and r[11] == "loaded"]

    at = _chargement(settings, {})
    shutil.copy(cgpem, settings.db_path.parent / "arrivees" / cgpem.name)
    at.run()
    at.selectbox[0].set_value("cgpem")
    at.text_input[0].input("2A")
    at.multiselect[0].select(_arrival(settings, cgpem.name)).run()
    assert not at.exception, at.exception
    assert any(
        e.value.startswith(f"Fichier déjà chargé (chargement n° {cgpem_load} du ") for e in at.info
    )
    pages["messages"] += _texts(at._tree)
    exports += downloads
    names = " ".join(n for n, _ in downloads)
    for expected in (
        "journal_chargements",
        "journal_audit",
        "quarantaine",
        "organisme",
        "structure",
    ):
        assert expected in names, (expected, names)

    # --- the scan ---
    with sqlite3.connect(access.access_path(settings.db_path)) as con:
        audit = con.execute("SELECT * FROM audit").fetchall()
    strict = {
        "sortie des commandes": "\n".join(messages),
        "journal (logging)": caplog.text,
        "load_journal": json.dumps(journal, default=str, ensure_ascii=False),
        "quarantine": json.dumps(quarantine, default=str, ensure_ascii=False),
        "journal d'audit": json.dumps(audit, default=str, ensure_ascii=False),
        "pages Qualité et Administration": "\n".join(pages["messages"]),
        **{
            p: t for p, t in _files_text(tmp_path).items() if not re.search("/(depot|arrivees)/", p)
        },
    }
    leaks = {w: sorted(set(MARKER.findall(t))) for w, t in strict.items() if MARKER.search(t)}
    assert leaks == {}, leaks
    shown = "\n".join([*data, *pages["data"], *(d.decode("utf-8", "replace") for _, d in exports)])
    assert [s for s in m.secret if s in shown] == []
    assert m.kept & set(MARKER.findall(shown))  # the kept statistics are shown: not vacuous
    raw = settings.db_path.read_bytes()
    assert [s for s in m.secret if s.encode() in raw] == []

    cells = [(name, c) for name, d in exports for c in _cells(name, d)]
    assert [(n, c) for n, c in cells if c.startswith(export.FORMULA_STARTS)] == []
    values = {c for _, c in cells}
    assert f"'{label}" in values  # the territoire label is exported, neutralised
    assert any(c.startswith("'=HYPERLINK(1)") for c in values)  # so is the file name
    assert f"'{login}" in values  # and the typed login
    assert any(c.startswith("'=ZQF") or c.startswith("'+ZQF") for c in values)  # an organisation
