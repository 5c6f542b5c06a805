"""The repository documents itself: no file cites a document it does not contain, and every
link of its Markdown (and every `docs/…md#anchor` named in code) reaches a file and heading
that exist.

What the product relies on (formats of the sources, indicator definitions, masking and
confidentiality rules) is written in `docs/`; a comment or a page that sends the reader to a
reference text kept elsewhere (a sibling `shared/` folder, "seed 003", "spec §5") sends them
nowhere once the repository is cloned alone. Static: reads the tracked files as text.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import subprocess
import unicodedata
import zipfile
from functools import cache
from pathlib import Path

import pytest

from tests.synthetic import NIR_SHAPED, is_synthetic_nir

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().relative_to(ROOT).as_posix()

# Citations of reference texts that live outside the repository. URLs are removed from a
# line before these are searched, so a web address that happens to contain "shared/" is fine.
OUTSIDE = {
    "a `shared/` folder": re.compile(r"(?<![\w.-])shared/"),
    "a folder above the repository": re.compile(r"(?:\.\./)+(?:shared|seeds?|spec)\b"),
    "a seed by number": re.compile(r"\bseeds?\s*`?\d{3}", re.IGNORECASE),
    "the convention seeds": re.compile(r"\bconvention seeds?\b", re.IGNORECASE),
    "a section of the spec": re.compile(r"\bspec\b\s*(?:§|\(|,\s*\")", re.IGNORECASE),
    "a numbered section of a Markdown file": re.compile(r"\.md\s*§"),
}
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)


@cache
def tracked_files() -> tuple[str, ...]:
    """Paths git tracks (the tree as committed), else every file outside build folders."""
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True
        ).stdout
        paths = [p for p in out.decode("utf-8").split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "data", "__pycache__", "node_modules", ".pytest_cache"}
        paths = [
            p.relative_to(ROOT).as_posix()
            for p in ROOT.rglob("*")
            if p.is_file() and not skip & set(p.relative_to(ROOT).parts)
        ]
    return tuple(sorted(p for p in paths if (ROOT / p).is_file()))


def text_of(path: str) -> str | None:
    """The file as text, or None for a binary file (a NUL byte, or not UTF-8)."""
    data = (ROOT / path).read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def outside_citations(text: str) -> list[tuple[int, str]]:
    """(line number, what is cited) for each citation of a document outside the repository."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        bare = URL.sub(" ", line)
        found += [(number, what) for what, pattern in OUTSIDE.items() if pattern.search(bare)]
    return found


def test_no_file_cites_a_document_outside_the_repository() -> None:
    offences = []
    for path in tracked_files():
        if path == HERE or (text := text_of(path)) is None:
            continue
        offences += [f"{path}:{n}: {what}" for n, what in outside_citations(text)]
    assert not offences, "Citez docs/ (sources.md, indicateurs.md, securite.md) :\n" + "\n".join(
        offences
    )


@pytest.mark.parametrize(
    ("line", "cited"),
    [
        ("# Source: seed 003, annexe 4, option 2", True),
        ('-- (shared/spec/indicators.md, "Masking")', True),
        ("built from the seeds (`../../../shared/seeds/`)", True),
        ("template from sources.md §5.", True),
        ("keyed by identifiant RSA (spec §5)", True),
        ("Seed `004_…` lists the contrat d'engagement", True),
        ("# Source: docs/sources.md#parcours", False),
        ("see https://example.org/shared/spec/page", False),
        ("sudo ln -s ../sites-available/pilotage-rsa.conf /etc/nginx/sites-enabled/", False),
        ("rng = random.Random(seed * 9_000_011 + p.serial)", False),
        ("parser.add_argument('--seed', type=int, default=20261)", False),
        ("spec = importlib.util.find_spec(name)", False),
    ],
)
def test_the_citation_patterns(line: str, cited: bool) -> None:
    assert bool(outside_citations(line)) is cited


# --- links -----------------------------------------------------------------------------

FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
INLINE_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$", re.MULTILINE)
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"", re.IGNORECASE)
# `docs/x.md#anchor` named in code, comments or YAML (a reader follows it by hand).
DOC_REFERENCE = re.compile(r"(?<![\w/.-])(docs/[\w.-]+\.md)#([\w%-]+)")


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: inline markup dropped, lower case, punctuation removed
    (letters of any script, digits, `_` and `-` kept), spaces turned into hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    text = unicodedata.normalize("NFC", text).lower()
    text = "".join(c for c in text if c.isalnum() or c in " _-")
    return text.replace(" ", "-")


@cache
def anchors(path: str) -> frozenset[str]:
    """Every anchor a Markdown file offers: its headings' slugs (with GitHub's -1, -2 for a
    repeated heading) and explicit `<a id=…>` anchors."""
    text = FENCE.sub("", (ROOT / path).read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    found = set(HTML_ANCHOR.findall(text))
    for _, title in HEADING.findall(text):
        base = slug(title)
        count = seen.get(base, 0)
        found.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    return frozenset(found)


def link_problem(source: str, target: str) -> str | None:
    """Why a relative link of `source` goes nowhere, or None when it reaches its target."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # https:, mailto:…
        return None
    file_part, _, anchor = target.partition("#")
    base = (ROOT / source).parent
    resolved = (base / file_part).resolve() if file_part else (ROOT / source).resolve()
    if not resolved.is_relative_to(ROOT):
        return f"{target} : hors du dépôt"
    relative = resolved.relative_to(ROOT).as_posix()
    if not resolved.exists():
        return f"{target} : fichier absent"
    if file_part and relative not in tracked_files() and not resolved.is_dir():
        return f"{target} : fichier non suivi par git"
    if anchor and relative.endswith(".md") and anchor not in anchors(relative):
        return f"{target} : ancre absente de {relative}"
    return None


def markdown_links(text: str) -> list[str]:
    prose = CODE_SPAN.sub("", FENCE.sub("", text))
    return INLINE_LINK.findall(prose) + REFERENCE_LINK.findall(prose)


def markdown_files() -> list[str]:
    return [p for p in tracked_files() if p.endswith(".md")]


def test_every_relative_link_of_the_markdown_reaches_a_file_and_anchor() -> None:
    assert "README.md" in markdown_files() and "docs/sources.md" in markdown_files()
    broken = [
        f"{path} : {problem}"
        for path in markdown_files()
        for target in markdown_links((ROOT / path).read_text(encoding="utf-8"))
        if (problem := link_problem(path, target))
    ]
    assert not broken, "\n".join(broken)


def test_every_docs_anchor_named_in_code_exists() -> None:
    """`docs/securite.md#13-masquage-des-petits-effectifs` in a docstring is a link too."""
    broken, named = [], 0
    for path in tracked_files():
        if path == HERE or (text := text_of(path)) is None:
            continue
        for document, anchor in DOC_REFERENCE.findall(text):
            named += 1
            if not (ROOT / document).is_file():
                broken.append(f"{path} : {document} absent")
            elif anchor not in anchors(document):
                broken.append(f"{path} : {document}#{anchor} absente")
    assert named, "aucune référence docs/…#ancre trouvée : le motif ne lit plus rien"
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        (
            "11. Dates dans le futur : une règle pour toutes les sources",
            "11-dates-dans-le-futur--une-règle-pour-toutes-les-sources",
        ),
        (
            "Fichier PECGM au format XML (`fichier-PE-CG`)",
            "fichier-pecgm-au-format-xml-fichier-pe-cg",
        ),
        ("Flux bénéficiaires CAF / MSA (`caf`)", "flux-bénéficiaires-caf--msa-caf"),
        ("En-têtes des fichiers délimités", "en-têtes-des-fichiers-délimités"),
        ("**Reprise** de `stock`", "reprise-de-stock"),
    ],
)
def test_slug_follows_github(heading: str, expected: str) -> None:
    assert slug(heading) == expected


def test_a_broken_link_is_seen() -> None:
    """The checker itself: a missing file, a missing anchor and an escape are reported."""
    assert link_problem("docs/sources.md", "pecgm_xml.md") is None
    assert link_problem("docs/sources.md", "#pecgm") is None
    assert link_problem("docs/sources.md", "securite.md#13-masquage-des-petits-effectifs") is None
    assert "absent" in link_problem("docs/sources.md", "absent.md")
    assert "ancre" in link_problem("docs/sources.md", "#pas-de-titre-ainsi")
    assert "hors du dépôt" in link_problem("README.md", "../shared/spec/sources.md")


# Paths the Markdown names that are made on a machine, never committed.
MADE_LOCALLY = {
    "tests/artifacts": "screenshots of the browser tests (git-ignored)",
    ".streamlit/secrets.toml": "the deployment's OpenID Connect secrets",
}


def named_paths(text: str) -> list[str]:
    """Paths in backticks that start with a top-level folder of the repository."""
    tops = sorted({p.split("/")[0] for p in tracked_files() if "/" in p})
    pattern = re.compile(r"`((?:" + "|".join(map(re.escape, tops)) + r")/[^`\s<>*{}]*)`")
    return [m.split("#")[0].split(":")[0].rstrip("/") for m in pattern.findall(text)]


def test_every_repository_path_the_markdown_names_exists() -> None:
    """`pipelines/layouts/stock.yaml` in a sentence is a promise: the file is there."""
    missing, named = [], 0
    for path in markdown_files():
        for name in named_paths((ROOT / path).read_text(encoding="utf-8")):
            named += 1
            if name not in MADE_LOCALLY and not (ROOT / name).exists():
                missing.append(f"{path} : {name}")
    assert named > 50, named
    assert not missing, "\n".join(missing)


def contents(path: str) -> list[bytes]:
    """The bytes a reader of the file sees: gzip unpacked, each member of an .xlsx."""
    data = (ROOT / path).read_bytes()
    if path.endswith(".gz"):
        return [gzip.decompress(data)]
    if path.endswith(".xlsx"):
        with zipfile.ZipFile(ROOT / path) as book:
            return [book.read(name) for name in book.namelist()]
    return [data]


def real_looking_nirs(data: bytes) -> list[str]:
    found = (m.group().decode("ascii") for m in NIR_SHAPED.finditer(data))
    return [value for value in found if not is_synthetic_nir(value)]


def test_every_nir_shaped_number_in_the_repository_is_synthetic() -> None:
    """Fixtures, suites' examples, sample files (unpacked), golden files: a 13- or 15-digit
    number shaped like a NIR is in the never-assigned range of tests/synthetic.py."""
    skipped = vendored()
    offences = [
        f"{path}: {value[:5]}…"
        for path in tracked_files()
        if path not in skipped
        for data in contents(path)
        for value in real_looking_nirs(data)
    ]
    assert not offences, "NIR d'apparence réelle (utilisez la plage de tests/synthetic.py) :\n" + (
        "\n".join(offences)
    )


def vendored() -> set[str]:
    """Third-party files kept as published (plotly.js's basic bundle: its numbers are a
    minified library's constants), each while its checksum is its manifest's: changed by
    anyone, it is scanned again."""
    vendor = ROOT / "dashboard" / "templates" / "vendor"
    manifest = json.loads((vendor / "plotly-basic.json").read_text(encoding="utf-8"))
    path = vendor / manifest["fichier"]
    if hashlib.sha256(path.read_bytes()).hexdigest() != manifest["sha256"]:
        return set()
    return {path.relative_to(ROOT).as_posix()}


def test_the_nir_scan_sees_a_real_looking_number() -> None:
    # Built from parts, so that this file holds no such literal: département 75, commune 056.
    real_looking = ("1" + "8507" + "75" + "056" + "123").encode()
    assert real_looking_nirs(b"nir;" + real_looking + b";x") == [real_looking.decode()]
    assert real_looking_nirs(b"1850799912345 185079991234551 12345678901234567") == []
