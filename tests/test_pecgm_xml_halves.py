"""The PECGM XML file read in two halves at once (the second in a child process) gives
exactly what the single pass gives: the same rows of `pecgm_xml_details` in the same order
(ordinals, file lines, every column) and the same report, findings and messages included;
where the halves cannot (a split inside a comment, a malformed half), the single pass runs
again and its messages are the ones shown."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines import pseudonymise
from pipelines.readers import xml_halves
from pipelines.readers.encoding import inspect_file
from pipelines.readers.layout import available_layouts
from pipelines.sources import pecgm, pecgm_xml
from pipelines.validation.report import BLOQUANT
from sample_data import generate
from sample_data import pecgm_xml as xml_writer

LAYOUT = available_layouts("pecgm")["001,0"]
GOLDEN_XML = Path(__file__).parent / "golden" / "pecgm_xml"


@functools.cache  # the same document for the same arguments: made once per worker
def xml_text(persons: int, encoding: str = "ISO-8859-1") -> str:
    ref = generate.month_end(2026, 10)
    _, people = list(generate.simulate("2A", 1, persons, 7, ref))[-1]
    records = [generate.detail_values(p, ref) for p in people]
    return "".join(xml_writer.document(LAYOUT, "2A", ref, records, len(records), encoding))


@pytest.fixture(scope="module")
def big_text() -> str:
    return xml_text(3000)  # about 100,000 lines: line numbers past 65,535 too


def _stage(path, monkeypatch, threshold: int) -> tuple[list, list, str, str]:
    """(rows in table order, findings, summary text, JSON report) of one staging."""
    monkeypatch.setattr(pecgm_xml, "SPLIT_THRESHOLD", threshold)
    con = duckdb.connect()
    pseudonymise.register_macros(con, b"\xab" * 32)
    report = pecgm.stage(con, inspect_file(path))
    try:
        rows = con.execute(f"SELECT * FROM {pecgm_xml.DETAILS}").fetchall()
    except duckdb.CatalogException:
        rows = []
    assert not con.execute(
        f"SELECT * FROM duckdb_tables() WHERE table_name = '{pecgm_xml.SECOND}'"
    ).fetchall()
    findings = [(f.code, f.message, f.severity, f.line_no, f.field) for f in report.findings]
    con.close()
    return rows, findings, report.summary_text(), report.to_json()


def _halves_outcome(monkeypatch) -> list[str]:
    """What each two-half attempt ended in: "ok", or the exception's class name."""
    outcomes: list[str] = []
    inner = pecgm_xml._parse_halves

    def spy(*args, **kwargs):
        try:
            stream = inner(*args, **kwargs)
        except Exception as error:
            outcomes.append(type(error).__name__)
            raise
        outcomes.append("ok")
        return stream

    monkeypatch.setattr(pecgm_xml, "_parse_halves", spy)
    return outcomes


def _same_both_ways(path, monkeypatch) -> tuple[list, list[str], list]:
    """Stage the file in one pass then in halves; assert the results are identical."""
    outcomes = _halves_outcome(monkeypatch)
    single = _stage(path, monkeypatch, 1 << 62)
    assert outcomes == []
    halves = _stage(path, monkeypatch, 0)
    assert halves[0] == single[0]
    assert halves[1] == single[1]
    assert halves[2] == single[2]
    assert halves[3] == single[3]
    return single[0], outcomes, single[1]


def _write(tmp_path, text: str, name: str = "PECGM_2A_202610.xml", codec: str = "latin-1"):
    path = tmp_path / name
    path.write_bytes(text.encode(codec))
    return path


def test_generated_file_same_rows_and_report(tmp_path, monkeypatch, big_text) -> None:
    path = _write(tmp_path, big_text)
    rows, outcomes, findings = _same_both_ways(path, monkeypatch)
    assert outcomes == ["ok"]
    assert len(rows) == 3000 and [r[0] for r in rows] == list(range(1, 3001))
    assert max(r[-1] for r in rows) > 65_535  # file_line, the last column
    assert not [f for f in findings if f[2] == BLOQUANT]


def test_split_lands_in_the_middle(tmp_path, big_text) -> None:
    path = _write(tmp_path, big_text)
    facts = inspect_file(path)
    original = pecgm_xml.SPLIT_THRESHOLD
    try:
        pecgm_xml.SPLIT_THRESHOLD = 0
        split = pecgm_xml._split_plan(facts)
    finally:
        pecgm_xml.SPLIT_THRESHOLD = original
    data = path.read_bytes()
    assert split is not None and data[: split.offset].endswith(b"</dossier>")
    assert abs(split.offset - len(data) * pecgm_xml.SPLIT_AT) < 2_000
    assert split.declaration == b'<?xml version="1.0" encoding="ISO-8859-1"?>'
    assert split.root == b"<fichier-PE-CG>"
    assert pecgm_xml._split_plan(facts) is None  # 64 MB threshold: one pass


@pytest.mark.parametrize(
    ("encoding", "codec"),
    [("ISO-8859-1", "latin-1"), ("UTF-8", "utf-8"), ("Windows-1252", "cp1252")],
)
def test_accents_in_each_encoding(tmp_path, monkeypatch, encoding, codec) -> None:
    text = xml_text(400, encoding)
    text = re.sub(
        r"<libelle-categorie>[^<]*</libelle-categorie>",
        "<libelle-categorie>CATÉGORIE ÈÇŒ</libelle-categorie>",
        text,
    )
    if codec == "latin-1":
        text = text.replace("Œ", "OE")
    path = _write(tmp_path, text, codec=codec)
    rows, outcomes, _ = _same_both_ways(path, monkeypatch)
    assert outcomes == ["ok"]
    assert any("CATÉGORIE È" in str(r) for r in rows[300:])


def test_crlf_line_ends(tmp_path, monkeypatch) -> None:
    path = _write(tmp_path, xml_text(400).replace("\n", "\r\n"))
    rows, outcomes, _ = _same_both_ways(path, monkeypatch)
    assert outcomes == ["ok"] and len(rows) == 400


def test_lone_cr_falls_back(tmp_path, monkeypatch) -> None:
    text = xml_text(400)
    middle = text.index("<dossier>", len(text) // 4)
    path = _write(tmp_path, text[:middle] + "\r" + text[middle:])
    _, outcomes, _ = _same_both_ways(path, monkeypatch)
    assert outcomes == ["SplitFallback"]


@pytest.mark.parametrize(
    "hiding",
    [
        "<!-- {pad} </dossier> <dossier> -->",
        "<?note {pad} </dossier> <dossier> ?>",
        "<dossier><![CDATA[{pad} </dossier> <dossier> ]]></dossier>",
    ],
    ids=["comment", "processing_instruction", "cdata"],
)
def test_close_tag_hidden_at_the_middle_falls_back(tmp_path, monkeypatch, hiding) -> None:
    """The cut found inside a comment, a PI or a CDATA section: the first half ends
    unclosed, and the file, well formed, is read in one pass."""
    text = xml_text(400)
    middle = text.index("<dossier>", int(len(text) * pecgm_xml.SPLIT_AT) - 3000)
    hidden = hiding.format(pad="x" * 6000) + "\n  "
    path = _write(tmp_path, text[:middle] + hidden + text[middle:])
    rows, outcomes, findings = _same_both_ways(path, monkeypatch)
    assert outcomes == ["FileRefused"]  # the first half ends unclosed
    extra = hiding.startswith("<dossier>")  # one dossier more than the footer says
    assert len(rows) == 400 + extra
    assert [f[0] for f in findings if f[2] == BLOQUANT] == ["fin_compte"] * extra


@pytest.mark.parametrize(
    ("where", "bad"), [(0.25, "</nom>"), (0.75, "</nom>"), (0.75, "&ext;</nir>")]
)
def test_malformed_half_gives_the_single_pass_message(tmp_path, monkeypatch, where, bad) -> None:
    text = xml_text(400)
    at = text.index("</nir>", int(len(text) * where))
    path = _write(tmp_path, text[:at] + bad + text[at + 6 :])
    _, outcomes, findings = _same_both_ways(path, monkeypatch)
    assert outcomes == ["FileRefused" if where < 0.5 else "SplitFallback"]
    assert [f[0] for f in findings if f[2] == BLOQUANT] == ["structure"]
    assert "XML mal formé ou fichier tronqué (ligne" in findings[-1][1]


def test_cut_file_gives_the_single_pass_message(tmp_path, monkeypatch) -> None:
    text = xml_text(400)
    path = _write(tmp_path, text[: int(len(text) * 0.8)])
    _, outcomes, findings = _same_both_ways(path, monkeypatch)
    assert outcomes == ["SplitFallback"]
    assert "fichier tronqué" in findings[-1][1]


def test_unknown_elements_only_in_the_second_half(tmp_path, monkeypatch) -> None:
    text = xml_text(400)
    starts = [m.start() for m in re.finditer("<dossier>", text)]
    late = [s for s in starts if s > len(text) * 0.7][:3]
    for at in reversed(late):  # two dossiers with one, the first of them with two
        text = text[:at] + "<dossier>\n    <zone-secrete>X</zone-secrete>" + text[at + 9 :]
    at = late[0]
    text = text[:at] + "<dossier><autre/>" + text[at + 9 :]
    _, outcomes, findings = _same_both_ways(_write(tmp_path, text), monkeypatch)
    assert outcomes == ["ok"]
    warnings = {f[4]: f for f in findings if f[0] == "element_inconnu"}
    assert set(warnings) == {"autre", "zone-secrete"}
    ordinal = starts.index(late[0]) + 1
    line = text[: text.index("<dossier><autre/>")].count("\n") + 1
    assert warnings["autre"][3] == ordinal
    assert f"dossier {ordinal} (ligne {line}), élément dossier/autre" in warnings["autre"][1]


FOOTER_CASES = {  # mutation, what the halves end in, the finding expected
    "count": (
        lambda t: re.sub(r"<nb-dossiers>\d+<", "<nb-dossiers>0000401<", t),
        "ok",
        "fin_compte",
    ),
    "count_not_digits": (
        lambda t: re.sub(r"<nb-dossiers>\d+<", "<nb-dossiers>abc<", t),
        "ok",
        "fin_compte",
    ),
    "departement": (
        lambda t: re.sub(r"(<fin>\s*<departement>)2A", r"\g<1>2B", t),
        "ok",
        "fin_departement",
    ),
    "month": (
        lambda t: re.sub(
            r"(<fin>.*?)<date-reference>[^<]*", r"\g<1><date-reference>2026-09-30", t, flags=re.S
        ),
        "ok",
        "fin_date_reference",
    ),
    "after_fin": (
        lambda t: re.sub(r"(</fin>\n)", r"\g<1>  <dossier>\n  </dossier>\n", t),
        "ok",
        "dossier_apres_fin",
    ),
    "double_fin": (
        lambda t: re.sub(r"(<fin>.*?</fin>\n)", r"\g<1>\g<1>", t, flags=re.S),
        "SplitFallback",
        "structure",
    ),
    "no_fin": (lambda t: re.sub(r"<fin>.*?</fin>\n", "", t, flags=re.S), "ok", "fin_absente"),
    "fin_unknown": (
        lambda t: re.sub(r"(<fin>)", r"\g<1><commentaire>X</commentaire>", t),
        "ok",
        "element_inconnu",
    ),
}


@pytest.mark.parametrize("case", sorted(FOOTER_CASES))
def test_footer_problems_in_the_second_half(tmp_path, monkeypatch, case) -> None:
    mutation, outcome, code = FOOTER_CASES[case]
    path = _write(tmp_path, mutation(xml_text(400)))
    _, outcomes, findings = _same_both_ways(path, monkeypatch)
    assert outcomes == [outcome]
    assert code in [f[0] for f in findings]


def test_footer_in_the_first_half_dossiers_after_it(tmp_path, monkeypatch) -> None:
    text = xml_text(400)
    fin = re.search(r"  <fin>.*?</fin>\n", text, flags=re.S).group(0)
    text = text.replace(fin, "")
    at = text.index("<dossier>", len(text) // 3)
    path = _write(tmp_path, text[:at] + fin.lstrip() + "  " + text[at:])
    _, outcomes, findings = _same_both_ways(path, monkeypatch)
    assert outcomes == ["ok"]
    assert any("dossier(s) après la fin" in f[1] for f in findings)


def test_second_header_falls_back(tmp_path, monkeypatch) -> None:
    text = xml_text(400)
    header = re.search(r"  <entete>.*?</entete>\n", text, flags=re.S).group(0)
    at = text.index("<dossier>", int(len(text) * 0.75))
    path = _write(tmp_path, text[:at] + header.lstrip() + "  " + text[at:])
    _, outcomes, findings = _same_both_ways(path, monkeypatch)
    assert outcomes == ["SplitFallback"]
    assert "en-tête en double" in findings[-1][1]


def test_entities_are_refused_as_today(tmp_path, monkeypatch) -> None:
    text = xml_text(400).replace(
        "<fichier-PE-CG>",
        '<!DOCTYPE fichier-PE-CG [<!ENTITY x SYSTEM "file:///etc/hostname">]>\n<fichier-PE-CG>',
    )
    path = _write(tmp_path, text)
    _, outcomes, findings = _same_both_ways(path, monkeypatch)
    assert outcomes == []  # a DOCTYPE: one pass, which refuses it
    assert "le document déclare des entités" in findings[-1][1]


def test_gzip_and_small_files_keep_one_pass(tmp_path, monkeypatch) -> None:
    path = tmp_path / "PECGM.xml.gz"
    xml_writer.write(path, [xml_text(100)])
    outcomes = _halves_outcome(monkeypatch)
    monkeypatch.setattr(pecgm_xml, "SPLIT_THRESHOLD", 0)
    assert pecgm_xml._split_plan(inspect_file(path)) is None
    _stage(path, monkeypatch, 0)
    assert outcomes == []


HALVES_CLI = """
import sys
from pipelines.sources import pecgm_xml
pecgm_xml.SPLIT_THRESHOLD = int(sys.argv[2])
inner = pecgm_xml._parse_halves
def spy(*args):
    stream = inner(*args)
    print("HALVES OK", file=sys.stderr)
    return stream
pecgm_xml._parse_halves = spy
from pipelines.cli import main
raise SystemExit(main(["validate", "pecgm", sys.argv[1]]))
"""


def test_command_line_reads_in_halves_once(tmp_path) -> None:
    """An unguarded main (like `python -m pipelines`) is not run again by the child."""
    path = _write(tmp_path, xml_text(400))
    runs = [
        subprocess.run(
            [sys.executable, "-c", HALVES_CLI, str(path), str(threshold)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=Path(pecgm_xml.__file__).parents[2],
        )
        for threshold in (1 << 62, 0)
    ]
    assert [r.stderr.count("HALVES OK") for r in runs] == [0, 1]
    assert runs[0].returncode == runs[1].returncode == 0
    assert runs[0].stdout == runs[1].stdout and "400" in runs[0].stdout


@pytest.mark.parametrize(
    "name", sorted(p.name for p in GOLDEN_XML.glob("*.xml") if p.name != "utf8.xml.gz")
)
def test_golden_files_in_halves(name, monkeypatch) -> None:
    """The five-dossier golden files (BOM, CRLF, each encoding, unknown and renamed tags)."""
    _, outcomes, _ = _same_both_ways(GOLDEN_XML / name, monkeypatch)
    assert outcomes == ["ok"]


@pytest.mark.parametrize("declared", [True, False])
def test_utf8_with_a_bom(tmp_path, monkeypatch, declared) -> None:
    text = xml_text(400, "UTF-8").replace("CATEGORIE", "CATÉGORIE")
    if not declared:
        text = text.split("?>", 1)[1].lstrip("\n")
    path = tmp_path / "PECGM_2A_202610.xml"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    rows, outcomes, _ = _same_both_ways(path, monkeypatch)
    assert outcomes == ["ok"] and len(rows) == 400
    assert any("CATÉGORIE" in str(r) for r in rows[300:])


def test_child_never_left_running(tmp_path, monkeypatch) -> None:
    """The first half fails while the child is at work: the child is ended and waited for."""
    text = xml_text(3000)
    at = text.index("</nir>", int(len(text) * 0.05))
    path = _write(tmp_path, text[:at] + "</nom>" + text[at + 6 :])
    ended: list = []
    inner = xml_halves.SecondHalf.stop

    def stop(self) -> None:
        inner(self)
        ended.append(None if self.process is None else self.process.poll())

    monkeypatch.setattr(xml_halves.SecondHalf, "stop", stop)
    _, outcomes, findings = _same_both_ways(path, monkeypatch)
    assert outcomes == ["FileRefused"]
    assert len(ended) == 1 and ended[0] is not None  # started, then ended
    assert "XML mal formé" in findings[-1][1]


@pytest.mark.parametrize("broken", ["no_interpreter", "child_crashes"])
def test_child_failing_falls_back(tmp_path, monkeypatch, broken) -> None:
    path = _write(tmp_path, xml_text(400))
    if broken == "no_interpreter":
        monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    else:  # a job the child cannot use: it reports a failure, never a message
        monkeypatch.setattr(xml_halves, "split_to_json", lambda split: {"offset": "?"})
    rows, outcomes, _ = _same_both_ways(path, monkeypatch)
    assert outcomes == ["FileNotFoundError" if broken == "no_interpreter" else "SplitFallback"]
    assert len(rows) == 400


def test_byte_range_reads_prefix_range_suffix_in_asked_sizes(tmp_path) -> None:
    from pipelines.readers.xml_safe import ByteRange

    path = tmp_path / "f.bin"
    path.write_bytes(b"0123456789")
    with ByteRange(path, 2, 7, prefix=b"<<<<", suffix=b">>") as part:
        pieces = list(iter(lambda: part.read(3), b""))
    assert pieces == [b"<<<", b"<", b"234", b"56", b">>"]
    with ByteRange(path, 5, 99) as part:  # the file is shorter: the range just ends
        assert part.read() == b"56789" and part.read() == b""


def test_the_child_gets_none_of_the_products_settings(tmp_path, monkeypatch) -> None:
    """The pseudonymisation key and the service secrets stay out of the child's
    environment: it only parses."""
    monkeypatch.setenv("PILOTAGE_SECRET_KEY", "ab" * 32)
    monkeypatch.setenv("PILOTAGE_SMTP_PASSWORD", "not-a-real-password")
    seen: list[dict] = []
    real = subprocess.Popen

    def popen(*args, **kwargs):
        seen.append(dict(kwargs.get("env") or {}))
        return real(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", popen)
    path = tmp_path / "f.xml"
    path.write_text(xml_text(200), encoding="latin-1")
    outcomes = _halves_outcome(monkeypatch)
    rows, findings, _, _ = _stage(path, monkeypatch, 0)
    assert outcomes == ["ok"] and rows and not [f for f in findings if f[2] == BLOQUANT]
    assert seen and all(not k.startswith("PILOTAGE_") for env in seen for k in env)
    assert all("PYTHONPATH" in env for env in seen)
