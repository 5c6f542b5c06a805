"""HTML to PDF with Debian's Chromium, driven by Playwright, offline.

The browser is the system one (`PILOTAGE_CHROMIUM`, else `chromium` on the PATH), never
one downloaded by Playwright. Every network request the page would make is refused and
counted: the report's HTML is self-contained (styles, plotly.js and figures inline), so
a request is a defect, and the count is returned for the tests to check.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import UsageError

# Chromium's own background traffic (updates, safe browsing, sync) is switched off: the
# machines it runs on have no Internet access, and a report must never reach out.
CHROMIUM_ARGS = (
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
)
RENDER_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class Printed:
    pdf: bytes
    charts: int  # figures plotly.js drew before printing
    blocked_requests: int  # requests the page tried to make (refused)


def chromium_path() -> str:
    """The system Chromium, or a clear message saying how to install it."""
    path = os.environ.get("PILOTAGE_CHROMIUM") or shutil.which("chromium") or ""
    if not path or not Path(path).exists():
        raise UsageError(
            "Chromium est nécessaire pour produire le rapport PDF : installez le paquet "
            "Debian « chromium » (apt-get install chromium) ou indiquez son chemin dans "
            "PILOTAGE_CHROMIUM."
        )
    return path


def html_to_pdf(html: str, expected_charts: int) -> Printed:
    """Print a self-contained HTML document to A4 PDF once its charts are drawn."""
    from playwright.sync_api import sync_playwright

    blocked = 0

    def refuse(route) -> None:
        nonlocal blocked
        blocked += 1
        route.abort()

    args = list(CHROMIUM_ARGS)
    if os.geteuid() == 0:  # Chromium refuses to sandbox itself as root (CI, containers)
        args.append("--no-sandbox")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=args)
        try:
            page = browser.new_page(locale="fr-FR")
            page.route("**/*", refuse)
            page.set_content(html, wait_until="load", timeout=RENDER_TIMEOUT_MS)
            page.wait_for_function(
                f"() => window.rapportPret === {int(expected_charts)}", timeout=RENDER_TIMEOUT_MS
            )
            charts = int(page.evaluate("() => window.rapportPret"))
            pdf = page.pdf(
                format="A4",
                print_background=True,
                prefer_css_page_size=True,
                tagged=True,  # structure tags: headings, tables, lists for screen readers
                outline=True,  # the headings as the PDF's bookmarks
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=(
                    '<div style="font-size:7pt;width:100%;text-align:center;color:#666">'
                    'Pilotage RSA — diffusion restreinte — page <span class="pageNumber"></span>'
                    ' / <span class="totalPages"></span></div>'
                ),
            )
        finally:
            browser.close()
    return Printed(pdf=pdf, charts=charts, blocked_requests=blocked)
