"""Great Expectations Data Docs of a validation, made safe to open offline.

GX builds the pages (its own renderer, from a real GX checkpoint run on the staged fields),
then every page is rewritten so that it makes no request to any outside address: the
stylesheets and scripts GX pulls from CDNs and the logo it loads from S3 (with an
identifier in the URL) are removed, links to GX's site become plain text, and GX's own
local stylesheet is inlined. Unexpected values are never listed (partial_unexpected_count
0): the pages show counts and shares, not a person's NIR or birth date.

GX's pandas engine reads the whole table once per expectation; on a national file that
costs minutes, so Data Docs are built on request (`validate --data-docs DIR`), while the
product's own report (validation/html.py) comes with every validation and load.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from pipelines.validation.suite import Suite

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

    work = Path(tempfile.mkdtemp(prefix="gx_"))
    try:
        context = gx.get_context(mode="file", project_root_dir=str(work))
        batch = (
            context.data_sources.add_pandas("fichier")
            .add_dataframe_asset(name)
            .add_batch_definition_whole_dataframe("tout")
        )
        gx_suite = context.suites.add(
            gx.ExpectationSuite(**{k: v for k, v in suite.raw.items() if k != "id"})
        )
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name="validation", data=batch, suite=gx_suite)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name="pilotage",
                validation_definitions=[definition],
                actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": 0},
            )
        )
        data = frame.astype(object).where(frame.notna(), None)
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
