"""Before/after screenshots for the note of issue 31 (docs/img/avant-apres/): the Chargement
check of a file with failing checks and the Synthèse at 1440×900, the Synthèse on a phone
(390×844), and two pages of the committee PDF. It drives a running dashboard (any version:
the app before the UX work and today's) in Debian's headless Chromium, signed in with the
demo accounts, and waits for page state (headings, the app's script-run state, charts
drawn), never for a fixed time.

Not a test (no `test_` prefix): a tool run by hand against a served demo warehouse, e.g.

    python tests/captures_avant_apres.py --base-url http://127.0.0.1:8501 \\
        --out docs/img/avant-apres --pdf data/comite.pdf --prefix apres
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: the repository's packages are importable
    sys.path.insert(0, str(REPO))
from streamlit import logger  # noqa: E402

logger.set_log_level("error")  # the dashboard's caches warn when imported outside a server

from pipelines.access import DEMO_PASSWORD  # noqa: E402
from tests.test_e2e_browser import _IDLE, _after_run, _wait_rendered  # noqa: E402

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
HEADER = 64  # Streamlit's header bar, over the page's top
MAX_BYTES = 400_000  # each PNG stays small enough for a note
CGPEM_LABEL = "CGPEM — décisions d'orientation"

# every Plotly chart on the page has drawn its SVG
_CHARTS_DRAWN = """() => [...document.querySelectorAll('.js-plotly-plot')]
                        .every(p => p.querySelector('.main-svg'))"""
# no element still waiting for its code (Streamlit draws a skeleton until it has loaded)
_NO_SKELETON = """() => !document.querySelector('[data-testid="stSkeleton"]')"""
# every data grid on the page has its canvas (the glide grid draws there)
_GRIDS_DRAWN = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
                       .every(g => g.querySelector('[data-testid="data-grid-canvas"]'))"""


FAULTS = (  # (CGPEM column, value written in two of its rows)
    ("NATURE DE L'ACCOMPAGNEMENT", "09"),
    ("DATE DE LA DECISION D'ORIENTATION", "20261345"),
    ("IDENTIFIANT Pôle emploi du bénéficiaire RSA", "ABC"),
    ("PRENOM", ""),
)


# A state wait, never a sleep: generous, for a loaded machine signs in and draws slowly.
WAIT_MS = 300_000


def failing_cgpem(folder: Path, departement: str) -> Path:
    """A CGPEM file of the sample data with a few faults, so that checks fail: an unknown
    nature of accompaniment, an impossible date, a malformed France Travail identifier,
    a missing first name (FAULTS) and a duplicated line. Synthetic rows only (sample_data/)."""
    source = sorted((REPO / "sample_data" / "cgpem").glob(f"CGPEM_{departement}_*.csv"))[-1]
    lines = source.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(";")
    column = {name: i for i, name in enumerate(header)}
    rows = [line.split(";") for line in lines[1:]]
    for n, (name, value) in enumerate(FAULTS):
        for row in rows[2 + 5 * n : 4 + 5 * n]:  # two rows per fault
            row[column[name]] = value
    rows.append(list(rows[0]))  # a duplicate
    target = folder / f"controle_{source.name}"
    target.write_text("\n".join(";".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return target


@contextmanager
def tab(browser, viewport: dict[str, int]) -> Iterator:
    """A page in a browser context of its own: each account signs in in its own browser
    (the session cookie would keep a shared context signed in)."""
    context = browser.new_context(viewport=viewport, locale="fr-FR")
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page, url: str, title: str, login: str) -> None:
    """Open `url`, sign in on the form it shows, land on the page titled `title`. If the
    app sends the user elsewhere after signing in (an older version went to its first
    page), follow the menu link to the page."""
    page.goto(url)
    page.get_by_role("textbox", name="Identifiant").fill(login, timeout=WAIT_MS)
    page.get_by_role("textbox", name="Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("textbox", name="Identifiant").wait_for(state="detached", timeout=WAIT_MS)
    page.wait_for_function(_IDLE, timeout=WAIT_MS)
    heading = page.get_by_role("heading", name=title, exact=True)
    if heading.count() == 0:
        nav = page.locator('[data-testid="stSidebarNav"]')
        nav.get_by_role("link", name=title, exact=True).click()
    _wait_rendered(page, title)


def settle(page) -> None:
    """The run has ended: wait for what the browser draws after it (charts, grids, fonts)."""
    page.wait_for_function(_IDLE, timeout=WAIT_MS)
    page.wait_for_function(_NO_SKELETON, timeout=WAIT_MS)
    page.wait_for_function(_CHARTS_DRAWN, timeout=WAIT_MS)
    page.wait_for_function(_GRIDS_DRAWN, timeout=WAIT_MS)
    page.evaluate("document.fonts.ready.then(() => true)")
    # two animation frames: what the last run changed is painted
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def scroll_to_top(element) -> None:
    """Scroll the page until `element` is at the top of the screen, below Streamlit's
    header (which covers the first HEADER pixels of the page)."""
    element.evaluate(
        f"e => {{ e.style.scrollMarginTop = '{HEADER}px'; e.scrollIntoView({{block: 'start'}}) }}"
    )


def capture_chargement(browser, base: str, departement: str, out: Path) -> None:
    """As `donnees`: Chargement, source CGPEM, the département, the faulty file uploaded;
    the capture starts at the quality report (the check's verdict and its checks)."""
    with tab(browser, DESKTOP) as page, tempfile.TemporaryDirectory() as folder:
        sign_in(page, f"{base}/chargement", "Chargement", "donnees")
        page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').first.click()
        _after_run(page, page.get_by_role("option", name=CGPEM_LABEL).click)
        field = page.get_by_role("textbox", name="Département")
        if field.input_value() != departement:  # the older page started empty
            field.fill(departement)
            _after_run(page, lambda: field.press("Enter"))
        dropzone = page.locator('[data-testid="stFileUploaderDropzoneInput"]').first
        path = failing_cgpem(Path(folder), departement)
        _after_run(page, lambda: dropzone.set_input_files(str(path)))
        report = page.get_by_role("heading", name="Rapport qualité", exact=True)
        report.wait_for(timeout=WAIT_MS)
        settle(page)
        scroll_to_top(report)
        settle(page)
        page.screenshot(path=str(out))


def capture_synthese(browser, base: str, query: str, out: Path, viewport: dict[str, int]):
    """As `comite`: the Synthèse of `query`'s département and month, its tiles and charts
    drawn; what the first screen shows."""
    with tab(browser, viewport) as page:
        sign_in(page, f"{base}/synthese?{query}", "Synthèse", "comite")
        page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=WAIT_MS)
        settle(page)
        page.screenshot(path=str(out))


def capture_phone(browser, base: str, query: str, out: Path) -> None:
    """As `comite` on a phone: two screens of the Synthèse side by side, its top (title,
    first tiles) and its first chart (legend, labels, title at 390 px)."""
    with tab(browser, PHONE) as page:
        sign_in(page, f"{base}/synthese?{query}", "Synthèse", "comite")
        page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=WAIT_MS)
        settle(page)
        top = page.screenshot()
        chart = page.locator('[data-testid="stPlotlyChart"]').first
        chart.wait_for(timeout=WAIT_MS)
        scroll_to_top(chart)
        settle(page)
        side_by_side([top, page.screenshot()], out)


def side_by_side(screens: list[bytes], out: Path, gap: int = 16) -> None:
    """Screens of the same size next to each other on a white background, as one PNG."""
    from PIL import Image

    images = [Image.open(io.BytesIO(screen)) for screen in screens]
    width, height = images[0].size
    sheet = Image.new("RGB", (len(images) * (width + gap) - gap, height), "white")
    for n, image in enumerate(images):
        sheet.paste(image, (n * (width + gap), 0))
    sheet.save(out, optimize=True)


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page of the PDF (poppler's pdftotext, one form feed per page)."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    return text.split("\f")


def orientations_page(pages: list[str]) -> int:
    """The first page whose title (its first line) names the orientations (1-based)."""
    for number, text in enumerate(pages, start=1):
        title = next((line.strip() for line in text.splitlines() if line.strip()), "")
        if re.match(r"orientations?\b", title, re.IGNORECASE):
            return number
    raise SystemExit("Aucune page du PDF ne parle des orientations.")


def capture_pdf_page(pdf: Path, number: int, out: Path) -> None:
    """One page of the PDF as a PNG (poppler's pdftoppm), 900 pixels on its long side."""
    stem = out.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-singlefile", "-f", str(number), "-l", str(number),
         "-scale-to", "900", str(pdf), str(stem)],
        check=True,
    )  # fmt: skip


def shrink(path: Path) -> None:
    """Keep a PNG under MAX_BYTES: a 256-colour palette first, then smaller if needed."""
    from PIL import Image

    if path.stat().st_size <= MAX_BYTES:
        return
    image = Image.open(path).convert("RGB")
    while True:
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
        if path.stat().st_size <= MAX_BYTES:
            return
        image = image.resize((image.width * 4 // 5, image.height * 4 // 5), Image.LANCZOS)


def capture_pages(browser, base: str, departement: str, query: str, named) -> None:
    """The dashboard's captures, in `browser` (the tool's own Chromium, or the test
    suite's): `named(name)` gives each picture's path."""
    capture_chargement(browser, base, departement, named("chargement"))
    capture_synthese(browser, base, query, named("synthese"), DESKTOP)
    capture_phone(browser, base, query, named("telephone"))


def main(argv: list[str] | None = None, browser=None) -> int:
    """The tool's command line; `browser`, when given, is a Chromium already started
    (the test suite's), else the tool starts its own."""
    parser = argparse.ArgumentParser(
        description="Captures avant/après du ticket 31 : Chargement, Synthèse (écran et "
        "téléphone), pages du rapport PDF du comité.",
        epilog="Exemple : python tests/captures_avant_apres.py --base-url "
        "http://127.0.0.1:8501 --out docs/img/avant-apres --pdf data/comite.pdf --prefix apres",
    )
    parser.add_argument("--base-url", required=True, help="adresse du tableau de bord servi")
    parser.add_argument("--out", required=True, type=Path, help="dossier des PNG")
    parser.add_argument("--pdf", type=Path, help="rapport du comité (PDF) déjà produit")
    parser.add_argument("--prefix", default="apres", help="début des noms : avant ou apres")
    parser.add_argument("--departement", default="2A")
    parser.add_argument("--mois", default="2026-10", help="mois de la Synthèse (AAAA-MM)")
    parser.add_argument(
        "--chromium", default=os.environ.get("PILOTAGE_CHROMIUM", "/usr/bin/chromium")
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    base = args.base_url.rstrip("/")
    query = f"dep={args.departement}&mois={args.mois}"
    shots: list[Path] = []

    def named(name: str) -> Path:
        shots.append(args.out / f"{args.prefix}-{name}.png")
        return shots[-1]

    if browser is not None:
        capture_pages(browser, base, args.departement, query, named)
    else:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            own = p.chromium.launch(executable_path=args.chromium, headless=True)
            try:
                capture_pages(own, base, args.departement, query, named)
            finally:
                own.close()
    if args.pdf:
        capture_pdf_page(args.pdf, 1, named("pdf-page1"))
        number = orientations_page(pdf_pages(args.pdf))
        capture_pdf_page(args.pdf, number, named("pdf-orientations"))
    for path in shots:
        shrink(path)
        print(f"{path} ({path.stat().st_size // 1000} ko)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
