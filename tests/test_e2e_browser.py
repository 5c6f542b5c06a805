"""End to end, in a real headless Chromium (Debian's, driven by Playwright's Python client):
the dashboard served by Streamlit on the sample warehouse, every page, a link that
reproduces a view, and the upload page refusing a blocked file. Screenshots are kept in
tests/artifacts/ for review."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from dashboard import navigation
from dashboard.views.qualite import ZIP_LABEL
from pipelines import access
from pipelines.access import DEMO_PASSWORD

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
PAGES = {p.slug: p.title for p in navigation.PAGES}


def _chromium() -> str:
    path = os.environ.get("PILOTAGE_CHROMIUM") or shutil.which("chromium") or ""
    if not Path(path).exists():
        pytest.fail(
            "Chromium introuvable : `make test` l'installe (apt-get install chromium) ; "
            "ou indiquez son chemin dans PILOTAGE_CHROMIUM."
        )
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env: dict[str, str], options: tuple[str, ...], port: int, log):
    """`dashboard.serve` on 127.0.0.1:`port`, its output in the file `log` (a pipe nobody
    reads would block a talkative server), and whether it answered its health check
    (False: it died first, e.g. the port was taken meanwhile by another process)."""
    process = subprocess.Popen(
        [
            sys.executable, "-m", "dashboard.serve",
            "--server.address", "127.0.0.1", "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false", *options,
        ],
        cwd=REPO, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return process, True
        except OSError:
            time.sleep(0.3)  # polling the health check, not waiting for a fixed time
    process.kill()
    process.wait(timeout=10)
    return process, False


def serve(env: dict[str, str], *options: str, port: int | None = None):
    """The dashboard as `make run` serves it, on 127.0.0.1 (a free port unless given); a
    generator: yields its URL, stops it afterwards. Other browser tests reuse it.
    Under xdist each worker serves its own dashboard: a free port is picked anew if
    another process took it between the pick and Streamlit's bind."""
    with tempfile.TemporaryFile() as log:
        for _attempt in range(1 if port else 3):
            chosen = port or _free_port()
            process, healthy = _start(env, options, chosen, log)
            if healthy:
                break
        else:
            log.seek(0)
            output = log.read().decode(errors="replace")[-2000:]
            pytest.fail(f"le serveur Streamlit n'a pas démarré :\n{output}")
        yield f"http://127.0.0.1:{chosen}"
        process.terminate()
        process.wait(timeout=10)


# The fixtures `server` (the demo warehouse served by Streamlit), `browser` (one Chromium)
# and `page` (a fresh browser context per test) live in tests/conftest.py, session-scoped:
# one server and one Chromium for every browser module, on one xdist worker (BROWSER_GROUP).


# Streamlit marks its app root `data-test-script-state`: "rerunRequested" from the
# interaction, "running" while the server runs the script, "notRunning" once it has said
# the run ended. A MutationObserver, installed in the page before an interaction, counts
# the returns to "notRunning"; waiting for the count to grow waits for the run this
# interaction triggered, not for an earlier one, and never for a fixed time. It reads
# every change of a batch (`attributeOldValue`): a fast run can go through "running" and
# back within one batch, which a reading of the current value alone would miss. It watches
# the whole document, not one app root: a watch on a root that Streamlit replaced saw no
# run any more (a run that ended, counted 0, kept waiting for two minutes: 3 full runs in
# 11 on 7 December, the screenshot of tests/artifacts/run_never_ended.png showed the page
# done).
_RUN_WATCH = """() => {
  if (!window.__runWatch) {
    const watch = {ended: 0};
    new MutationObserver((records) => {
      const byNode = new Map();  // each app root's states in this batch, oldest first
      for (const r of records) {
        if (!byNode.has(r.target)) byNode.set(r.target, []);
        byNode.get(r.target).push(r.oldValue);
      }
      for (const [node, states] of byNode) {
        states.push(node.getAttribute('data-test-script-state'));
        for (let i = 1; i < states.length; i++) {
          if (states[i - 1] !== 'notRunning' && states[i] === 'notRunning') watch.ended += 1;
        }
      }
    }).observe(document.documentElement, {subtree: true, attributes: true,
      attributeOldValue: true, attributeFilter: ['data-test-script-state']});
    window.__runWatch = watch;
  }
  return window.__runWatch.ended;
}"""
_IDLE = """() => document.querySelector('[data-testid="stApp"]')
                .getAttribute('data-test-script-state') === 'notRunning'"""


def _after_run(page, action, timeout: int = 120_000) -> None:
    """Do `action` (a click, a key, a file chosen), then wait until the script run it
    triggers has ended: everything that run draws is on the page when this returns."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    before = page.evaluate(_RUN_WATCH)
    action()
    try:
        page.wait_for_function(
            f"() => window.__runWatch.ended > {before} && ({_IDLE})()", timeout=SEEN_MS
        )
        return
    except PlaywrightTimeout:
        # A fast run can leave no trace in the page: its request, start and end drawn in
        # one render, the root « notRunning » throughout (3 full runs of 11 on 7
        # December: the page drawn, the count still 0, even watching the whole
        # document). Then the page idle this long after the action is what the test
        # goes on from; what it expects next is checked with waits of its own.
        pass
    try:
        page.wait_for_function(_IDLE, timeout=timeout)
    except PlaywrightTimeout:  # say what the page was doing, keep what it showed
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "run_never_ended.png"), full_page=True)
        state = page.evaluate(_STATE)
        shown = page.locator(_SHOWN).all_inner_texts()
        raise AssertionError(
            f"the run never ended: script state {state['state']!r}, runs ended "
            f"{state['ended']} (before the action: {before}); shown: {shown}; screenshot "
            "tests/artifacts/run_never_ended.png"
        ) from None


SEEN_MS = 15_000  # a run is counted well within this; past it, an idle page has ended it
_STATE = """() => ({state: document.querySelector('[data-testid="stApp"]')
                             .getAttribute('data-test-script-state'),
                   ended: window.__runWatch.ended})"""
# what a stuck run may have left on the page: errors, alerts, the uploader's own state
_SHOWN = ('[data-testid="stException"], [data-testid="stAlert"], '
          '[data-testid="stFileUploaderFile"], [data-testid="stStatusWidget"]')  # fmt: skip


# a role that may open each page (the analyst's when it may); the analyst's pages chart figures
ROLE_FOR = {
    p.slug: "analyste" if "analyste" in p.roles else sorted(p.roles)[0] for p in navigation.PAGES
}


def _open(page, url: str, title: str, login: str) -> None:
    """Open a link signed in as a demo account, land on the page. On a server of the
    suite's (`SERVED`: its warehouse is known), the tab gets the session cookie the
    sign-in form would have had the browser set (`_session_cookie`), as Playwright's
    guides advise (sign in once, reuse the state): each test skips the form's two runs.
    The form itself is the subject of `_open_with_form`, which tests/test_e2e_session.py
    and the OpenID Connect server's tests use."""
    from tests.conftest import SERVED

    base = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    if base not in SERVED:
        _open_with_form(page, url, title, login)
        return
    page.context.add_cookies(
        [
            {
                "name": access.SESSION_COOKIE,
                "value": _session_cookie(SERVED[base], login),
                "url": base,
                "httpOnly": True,
                "sameSite": "Strict",
            }
        ]
    )
    page.goto(url)
    _wait_rendered(page, title)


def _session_cookie(db: Path, login: str) -> str:
    """The signed cookie of a new web session of `login` on the warehouse `db`: what the
    server answers the page's POST of its one-time ticket after the form (dashboard/web.py),
    made by the same functions."""
    _session, ticket = access.open_web_session(db, login)
    cookie = access.redeem_ticket(db, ticket)
    assert cookie is not None
    return cookie


def _open_with_form(page, url: str, title: str, login: str) -> None:
    """Open a link, sign in with a demo account on the form it shows, land on the page."""
    page.goto(url)
    try:
        page.get_by_role("textbox", name="Identifiant").fill(login, timeout=15_000)
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "connexion_echec.png"))
        raise
    page.get_by_role("textbox", name="Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    _wait_rendered(page, title)


def _wait_rendered(page, title: str) -> None:
    page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=120_000)
    # The heading is drawn by the page's run, so that run has started: wait for its end
    # (the app root's script state; the status widget only shows after a delay). A guard,
    # not a speed check: on a loaded machine, with another test's committee PDF being
    # built by the same server, a page's run can take minutes.
    page.wait_for_function(_IDLE, timeout=300_000)


@pytest.mark.parametrize("slug", PAGES)
def test_every_page_renders_without_error(server, page, slug) -> None:
    _open(page, f"{server}/{slug}?dep=2A&mois=2026-06", PAGES[slug], ROLE_FOR[slug])
    assert page.locator('[data-testid="stException"]').count() == 0
    if ROLE_FOR[slug] == "analyste":
        # Plotly draws in the browser: on a loaded machine the first chart takes its time
        page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=90_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{slug}.png"), full_page=True)


def test_navigation_shows_the_page_titles(server, page) -> None:
    """Deep link first: the navigation is app.py's (titles), not one built from file names."""
    _open(page, f"{server}/delais?dep=2A&mois=2026-06", "Délais et contrats", "analyste")
    nav = page.locator('[data-testid="stSidebarNav"]')
    analyst_pages = [p.title for p in navigation.for_role("analyste")]
    for title in analyst_pages:
        assert nav.get_by_text(title, exact=True).count() == 1, title
    for hidden in ("app", "Chargement", "Qualité des données", "Administration"):
        assert nav.get_by_text(hidden, exact=True).count() == 0, hidden


def test_a_link_reproduces_the_view(server, page) -> None:
    _open(page, f"{server}/synthese?dep=2A&mois=2026-03", "Synthèse", "comite")
    # The month chosen by the link is the sidebar's month and the one the page shows.
    # expect() waits: the first render may still be on its way when the heading appears.
    month_box = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Mois")
    expect(month_box).to_have_value("mars 2026", timeout=30_000)
    caption = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first
    expect(caption).to_contain_text("Département 2A · mars 2026", timeout=30_000)
    assert "mois=2026-03" in page.url


def _upload_cgpem(page, path: Path) -> None:
    """On the Chargement page: source CGPEM, département 2A, then the file uploaded."""
    page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').first.click()
    _after_run(page, page.get_by_role("option", name="CGPEM — décisions d'orientation").click)
    # the steward's only département is pre-filled (views.chargement.default_departement):
    # typing the same value again would change nothing and start no run to wait for
    expect(page.get_by_role("textbox", name="Département")).to_have_value("2A")
    dropzone = page.locator('[data-testid="stFileUploaderDropzoneInput"]').first
    # the run that validates the file: the quality report is drawn when it ends
    _after_run(page, lambda: dropzone.set_input_files(str(path)))


def test_upload_page_refuses_a_blocked_file(server, page, tmp_path) -> None:
    bad = tmp_path / "decisions.csv"
    bad.write_text(
        "NIR;NOM DE NAISSANCE;PRENOM;DATE DE NAISSANCE\n1;FICTIF;ALEX;01/01/1980\n",
        encoding="utf-8",
    )
    _open(page, f"{server}/chargement", "Chargement", "donnees")
    _upload_cgpem(page, bad)
    try:
        expect(page.get_by_text("decisions.csv").first).to_be_visible()
        expect(page.get_by_text("Fichier refusé").first).to_be_visible()
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chargement_refus.png"), full_page=True)
    expect(page.get_by_text("colonne obligatoire absente").first).to_be_visible()
    expect(page.get_by_role("button", name="Charger dans l'entrepôt")).to_be_disabled()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chargement_refus.png"), full_page=True)


def test_change_a_filter_check_a_figure_download_an_export(server, page, sample_db) -> None:
    from dashboard.formatting import fmt_int
    from pipelines import indicators, warehouse

    _open(page, f"{server}/synthese?dep=2A&mois=2026-03", "Synthèse", "comite")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stSelectbox"]').nth(1).click()  # Mois
    _after_run(page, page.get_by_role("option", name="juin 2026").click)
    expect(page).to_have_url(re.compile(r"mois=2026-06"))
    expected = indicators.summary(warehouse.open_reader(sample_db), "2A", "2026-06")
    tile = page.locator('[data-testid="stMetricValue"]').first
    expect(tile).to_have_text(fmt_int(expected["stock_total"]), timeout=30_000)
    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger les données (CSV)").first.click()
    download = info.value
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    saved = ARTIFACTS / download.suggested_filename
    download.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "code;libelle;effectif"
    assert download.suggested_filename == "categorie_2A_2026-06.csv"
    # the export is audited when the file left the server, under the signed-in login
    exports = [r for r in access.audit_rows(sample_db, 50) if r[3] == "export"]
    assert any(r[2] == "comite" and "categorie_2A_2026-06.csv" in r[5] for r in exports)


def test_provisional_values_are_drawn_apart(server, page, sample_db) -> None:
    """On the latest month the newest cohortes are still open: Synthèse names the complete
    cohorte each tile shows, and the cohorte charts carry a « provisoire » legend entry."""
    from pipelines import indicators, warehouse

    month = indicators.months_available(warehouse.open_reader(sample_db), "2A")[0]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # Tall enough for every chart of a page to be drawn without scrolling. The session
    # cookie keeps a tab signed in across links: it is dropped before each account signs in.
    page.set_viewport_size({"width": 1400, "height": 4200})
    for slug, login in (
        ("synthese", "comite"),
        ("orientations", "analyste"),
        ("delais", "analyste"),
    ):
        page.context.clear_cookies()
        _open(page, f"{server}/{slug}?dep=2A&mois={month}", PAGES[slug], login)
        if slug == "synthese":
            named = page.locator(
                '[data-testid="stCaptionContainer"]', has_text=re.compile("^cohorte d")
            )
            expect(named.first).to_be_visible(timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "synthese_cohortes.png"))
            continue
        # Plotly draws its legend as SVG text; a loaded machine takes its time
        page.wait_for_function(
            """() => [...document.querySelectorAll('.js-plotly-plot .legendtext')]
                     .some(e => e.textContent === 'provisoire')""",
            timeout=90_000,
        )
        page.screenshot(path=str(ARTIFACTS / f"{slug}_provisoire.png"))


def test_committee_downloads_the_monthly_report(server, page) -> None:
    """The committee asks for the report on Synthèse, is told while it is being built, then
    downloads and opens the PDF it receives."""
    from dashboard import comite_download

    _open(page, f"{server}/synthese?dep=2A&mois=2026-10", "Synthèse", "comite")
    page.get_by_role("button", name=comite_download.PREPARE).click()
    expect(page.get_by_text(comite_download.BUILDING)).to_be_visible(timeout=30_000)
    ready = page.get_by_role("button", name=comite_download.DOWNLOAD)
    expect(ready).to_be_visible(timeout=600_000)  # the build takes minutes on a loaded machine
    with page.expect_download(timeout=60_000) as info:
        ready.click()
    download = info.value
    assert download.suggested_filename == "rapport_comite_2A_2026-10.pdf"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    saved = ARTIFACTS / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-layout", str(saved), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "Rapport mensuel du comité de pilotage" in text
    assert "Département 2A — octobre 2026" in text
    # Its pages as pictures, kept with the other screenshots.
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(saved), str(ARTIFACTS / "rapport_page")], check=True
    )
    assert len(list(ARTIFACTS.glob("rapport_page-*.png"))) >= 9
    assert "Tagged: yes" in re.sub(
        r"\s+", " ", subprocess.run(["pdfinfo", str(saved)], capture_output=True, text=True).stdout
    )


def _opens_offline(browser, archive: Path, folder: Path) -> None:
    """Unzip a downloaded report and open its Data Docs as a user would, with no network:
    the index and a validation page render, and nothing is requested outside the folder."""
    with zipfile.ZipFile(archive) as z:
        z.extractall(folder)
    context = browser.new_context(offline=True, locale="fr-FR")
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    tab = context.new_page()
    try:
        tab.goto((folder / "data_docs" / "index.html").as_uri())
        expect(
            tab.get_by_role("heading", name=re.compile("^Data Docs Great Expectations"))
        ).to_be_visible()
        tab.locator("a").first.click()
        expect(tab.get_by_text("Expectation Validation Result").first).to_be_visible()
        expect(tab.get_by_text("Statistics").first).to_be_visible()
    finally:
        context.close()
    assert not [u for u in requested if not u.startswith(("file:", "data:", "about:"))], requested


def test_data_docs_open_offline_from_both_pages(server, page, browser, tmp_path) -> None:
    """The Data Docs are rendered when asked for, on either page's button (the technical
    zip beside the French HTML report; both pages read its label from views.qualite), and
    open offline."""
    _open(page, f"{server}/qualite", "Qualité des données", "donnees")
    page.get_by_role("tab", name="Rapport d'un chargement").click()
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name=ZIP_LABEL).click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    _opens_offline(browser, saved, tmp_path / "qualite")

    sound = next(p for p in sorted((REPO / "sample_data" / "cgpem").glob("CGPEM_*.csv")))
    page.goto(f"{server}/chargement")  # still signed in: the session cookie
    _wait_rendered(page, "Chargement")
    _upload_cgpem(page, sound)
    # the demo warehouse loaded these very bytes (sample_data/demo.py): the page names that
    # load instead of offering it again, and still draws the file's quality report
    page.get_by_text("Fichier déjà chargé").first.wait_for(timeout=60_000)
    expect(page.get_by_role("button", name="Charger dans l'entrepôt")).to_be_disabled()
    rejected = page.locator('[data-testid="stMetric"]', has_text="Lignes rejetées")
    expect(rejected.locator('[data-testid="stMetricValue"]')).to_have_text("0")  # a sound file
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name=ZIP_LABEL).click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    _opens_offline(browser, saved, tmp_path / "chargement")
