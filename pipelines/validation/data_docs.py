"""Great Expectations Data Docs of a validation, made safe to open offline.

GX builds the pages (its own renderer, from a real GX checkpoint run on the staged fields),
then every page is rewritten so that it makes no request to any outside address: the
stylesheets and scripts GX pulls from CDNs and the logo it loads from S3 (with an
identifier in the URL) are removed, links to GX's site become plain text, and GX's own
local stylesheet is inlined. Unexpected values are never listed (partial_unexpected_count
0): the pages show counts and shares, not a person's NIR or birth date.

Two ways in, both on request and never on the path of a check's answer (importing GX's
renderer alone costs seconds; see validation/archive.py):
- `render(report, target)`, when someone asks for the Data Docs of a stored report (the
  Qualité and Chargement pages' download, `report N --data-docs DIR`): GX's own page
  renderer applied to the results of that validation (the product's SQL engine runs the
  GX suite; the tests prove it agrees with GX's). No data are read again.
- `build(frame, suite, target, name)`, `validate --data-docs DIR`: a real GX checkpoint run
  on the staged fields, the independent audit. GX's pandas engine reads the whole table
  once per expectation, minutes on a national file.

This module imports neither GX nor pandas at import time: each function imports what it
uses.
"""

from __future__ import annotations

import html as html_lib
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.validation.suite import Suite

if TYPE_CHECKING:
    import pandas as pd

EXTERNAL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s"'<>)]*""")
TAG_WITH_URL = re.compile(
    r"""<(script|link|img|iframe|source)\b[^>]*(?:src|href)\s*=\s*["'](?:https?:)?//[^"']*["'][^>]*>"""
    r"""(?:\s*</\1>)?""",
    re.IGNORECASE,
)
ANCHOR_WITH_URL = re.compile(
    r"""<a\b[^>]*href\s*=\s*["'](?:https?:)?//[^"']*["'][^>]*>(.*?)</a>""",
    re.IGNORECASE | re.DOTALL,
)
CSS_IMPORT = re.compile(r"""@import\s+url\([^)]*\);?|url\((?:["'])?(?:https?:)?//[^)]*\)""")


def make_offline(html: str, local_css: str) -> str:
    """Remove every reference to an outside address; inline GX's local stylesheet."""
    html = TAG_WITH_URL.sub("", html)
    html = ANCHOR_WITH_URL.sub(r"\1", html)
    html = CSS_IMPORT.sub("", html)
    html = EXTERNAL.sub("", html)  # anything left (inline JS strings, text)
    return html.replace("</head>", f"<style>{local_css}</style></head>", 1)


def _local_css() -> str:
    import great_expectations

    styles = Path(great_expectations.__file__).parent / "render" / "view" / "static" / "styles"
    css = (styles / "data_docs_default_styles.css").read_text(encoding="utf-8")
    return CSS_IMPORT.sub("", css)


def build(frame: pd.DataFrame, suite: Suite, target: Path, name: str) -> Path:
    """Validate `frame` with GX, build its Data Docs, copy them offline-safe into `target`.

    Returns the index page.
    """
    import great_expectations as gx

    from pipelines.validation import gx_engine

    work = Path(tempfile.mkdtemp(prefix="gx_"))
    try:
        context = gx.get_context(mode="file", project_root_dir=str(work))
        batch = (
            context.data_sources.add_pandas("fichier")
            .add_dataframe_asset(name)
            .add_batch_definition_whole_dataframe("tout")
        )
        for i, (part_frame, part) in enumerate(gx_engine.gx_parts(frame, suite)):
            gx_suite = context.suites.add(
                gx.ExpectationSuite(**(part.as_gx() | {"name": f"{suite.name}_{i + 1}"}))
            )
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=f"validation_{i + 1}", data=batch, suite=gx_suite)
            )
            checkpoint = context.checkpoints.add(
                gx.Checkpoint(
                    name=f"pilotage_{i + 1}",
                    validation_definitions=[definition],
                    actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
                    result_format={"result_format": "SUMMARY", "partial_unexpected_count": 0},
                )
            )
            data = part_frame.astype(object).where(part_frame.notna(), None)
            checkpoint.run(batch_parameters={"dataframe": data})
        site = work / "gx" / "uncommitted" / "data_docs" / "local_site"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(site, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    css = _local_css()
    for page in target.rglob("*.html"):
        page.write_text(make_offline(page.read_text(encoding="utf-8"), css), encoding="utf-8")
    for asset in target.rglob("*"):
        if asset.is_file() and asset.suffix in (".js", ".css"):
            asset.write_text(
                EXTERNAL.sub("", CSS_IMPORT.sub("", asset.read_text(encoding="utf-8"))),
                encoding="utf-8",
            )
    return target / "index.html"


def _validation_result(report: dict, checks: list[dict], suite_name: str):
    """A GX ExpectationSuiteValidationResult made of one validation's stored results:
    counts and shares only (partial_unexpected_list stays empty: never a value)."""
    from great_expectations.core import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    results = []
    for check in checks:
        kwargs = check.get("kwargs") or ({"column": check["column"]} if check["column"] else {})
        config = ExpectationConfiguration(
            type=check["expectation_type"],
            kwargs=kwargs,
            meta={"champ": check.get("champ"), "gravite": check.get("severity")},
            notes=check.get("description"),
        )
        results.append(
            ExpectationValidationResult(
                success=check["success"],
                expectation_config=config,
                result={
                    "element_count": check["element_count"],
                    "unexpected_count": check["unexpected_count"],
                    "unexpected_percent": check["unexpected_percent"],
                    "missing_count": 0,
                    "partial_unexpected_list": [],
                },
            )
        )
    passed = sum(1 for r in results if r.success)
    return ExpectationSuiteValidationResult(
        success=passed == len(results),
        results=results,
        suite_name=suite_name,
        statistics={
            "evaluated_expectations": len(results),
            "successful_expectations": passed,
            "unsuccessful_expectations": len(results) - passed,
            "success_percent": 100 * passed / len(results) if results else 100.0,
        },
        meta={
            "great_expectations_version": "pilotage-rsa",
            "active_batch_definition": None,
            "batch_spec": {"fichier": report.get("file_name"), "sha256": report.get("sha256")},
        },
    )


def render(report: dict, target: Path) -> Path:
    """GX Data Docs of one validation (its stored report), offline-safe, into `target`:
    one page per checked file (parcours: three) and an index. Returns the index page."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    groups: dict[str, list[dict]] = {}
    for check in report.get("checks", []):
        groups.setdefault(check.get("file_name") or report["file_name"], []).append(check)
    target.mkdir(parents=True, exist_ok=True)
    css = _local_css()
    links = []
    for number, (file_name, checks) in enumerate(groups.items(), start=1):
        result = _validation_result(report, checks, f"{report['source']} · {file_name}")
        document = ValidationResultsPageRenderer().render(result)
        page = make_offline(DefaultJinjaPageView().render(document), css)
        name = f"validation_{number}.html"
        (target / name).write_text(page, encoding="utf-8")
        failed = sum(1 for c in checks if not c["success"])
        links.append(
            f'<li><a href="{name}">{html_lib.escape(file_name)}</a> : '
            f"{len(checks)} attentes, {failed} en échec</li>"
        )
    if not links:  # refused before any line was checked (a missing column, a bad header)
        reasons = "".join(
            f"<li>{html_lib.escape(f['message'])}</li>" for f in report.get("findings", [])
        )
        links.append(
            "<li>Aucune attente évaluée : le fichier a été refusé avant les contrôles "
            f"ligne à ligne.<ul>{reasons}</ul></li>"
        )
    index = target / "index.html"
    index.write_text(
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        "<title>Data Docs Great Expectations</title></head><body>"
        f"<h1>Data Docs Great Expectations : {html_lib.escape(report['file_name'])}</h1>"
        f"<p>Source {html_lib.escape(report['source'])} · sha256 "
        f"{html_lib.escape(report.get('sha256') or '')}</p><ul>{''.join(links)}</ul>"
        "</body></html>",
        encoding="utf-8",
    )
    return index
