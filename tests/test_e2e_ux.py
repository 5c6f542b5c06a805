"""In a real headless Chromium, what every user meets before any figure (issue 31): French
pages for every address (no « Page not found »), `lang="fr"`, no English menu or chart
toolbar, no request leaving the machine, filters that follow the user across pages, and
the phone layout. Screenshots go to tests/artifacts/ux/; the important ones are checked
by their DOM (headings, ARIA roles), not by eye."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.conftest import DESKTOP
from tests.test_e2e_browser import _IDLE, ARTIFACTS, _after_run, _open, _wait_rendered

SHOTS = ARTIFACTS / "ux"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _no_english_dialog(page) -> None:
    assert page.get_by_text("Page not found").count() == 0
    assert page.get_by_role("dialog").count() == 0


def test_every_address_has_a_french_page(server, page) -> None:
    """/synthese, an unknown address, a nested one, a page the role may not open, and the
    page after signing out: a French page saying what happened, in a `lang="fr"` page."""
    _open(page, f"{server}/synthese?dep=2A&mois=2026-03", "Synthèse", "comite")
    _no_english_dialog(page)
    assert page.evaluate("document.documentElement.lang") == "fr"
    expect(page).to_have_url(re.compile(r"/synthese\?.*mois=2026-03"))

    page.goto(f"{server}/tableau-de-bord")
    _wait_rendered(page, "Page introuvable")
    expect(page.get_by_text("« /tableau-de-bord »", exact=False)).to_be_visible()
    expect(page.get_by_role("link", name="Orientations")).to_have_count(2)  # menu and links
    _no_english_dialog(page)
    _shot(page, "introuvable")

    page.goto(f"{server}/orientations/ancien-lien")
    _wait_rendered(page, "Orientations")  # sent to its first segment, a page
    _no_english_dialog(page)

    page.goto(f"{server}/cohortes")
    _wait_rendered(page, "Page non autorisée")
    expect(page.get_by_text("« Cohortes » n'est pas ouverte à votre rôle")).to_be_visible()
    _no_english_dialog(page)
    _shot(page, "non_autorisee")

    page.goto(f"{server}/")
    _wait_rendered(page, "Synthèse")
    expect(page).to_have_url(re.compile(r"/synthese"))
    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("textbox", name="Identifiant").wait_for(timeout=30_000)
    _no_english_dialog(page)
    assert page.evaluate("document.documentElement.lang") == "fr"


def test_no_english_menu_nor_chart_toolbar(server, page) -> None:
    _open(page, f"{server}/orientations?dep=2A&mois=2026-03", "Orientations", "analyste")
    page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=90_000)
    assert page.locator('[data-testid="stMainMenu"]').count() == 0
    page.locator(".js-plotly-plot").first.hover()
    toolbars = page.locator(".js-plotly-plot .modebar-container")
    assert toolbars.count() == 0 or not toolbars.first.is_visible()


def test_no_request_leaves_the_machine(server, browser) -> None:
    """Every request a page makes (scripts, fonts, icon, charts), on the sign-in form and
    on the pages of each role, goes to the server itself (#32 item 10)."""
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")  # its own: every request
    requested: list[str] = []
    context.on("request", lambda r: requested.append(r.url))
    tab = context.new_page()
    try:
        _open(tab, f"{server}/orientations?dep=2A&mois=2026-03", "Orientations", "analyste")
        tab.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=90_000)
        tab.get_by_role("link", name="Cohortes").click()
        _wait_rendered(tab, "Cohortes")
        tab.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=90_000)
        favicon = tab.locator('link[rel="shortcut icon"]').get_attribute("href") or ""
    finally:
        context.close()
    outside = sorted(
        {u for u in requested if u.startswith(("http:", "https:", "ws:", "wss:"))
         and urlsplit(u).hostname not in LOOPBACK}
    )  # fmt: skip
    assert requested, "no request recorded"
    assert outside == []
    assert urlsplit(favicon).hostname in LOOPBACK


def test_filters_follow_the_user_through_the_menu(server, page) -> None:
    """mars 2026 / 6 mois / Social chosen on Orientations are still chosen on Délais et
    contrats opened from the menu, in the sidebar and in the address."""
    _open(page, f"{server}/orientations?dep=2A", "Orientations", "analyste")
    sidebar = page.locator('[data-testid="stSidebar"]')
    for name, option in (
        ("Mois", "mars 2026"),
        ("Période (mois)", "6 derniers mois"),
        ("Type de parcours", "Social"),
    ):
        sidebar.get_by_role("combobox", name=name, exact=True).click()
        _after_run(page, page.get_by_role("option", name=option, exact=True).click)
    expect(page).to_have_url(re.compile(r"mois=2026-03.*"))
    page.locator('[data-testid="stSidebarNav"]').get_by_role(
        "link", name="Délais et contrats"
    ).click()
    _wait_rendered(page, "Délais et contrats")
    expect(sidebar.get_by_role("combobox", name="Mois", exact=True)).to_have_value("mars 2026")
    expect(sidebar.get_by_role("combobox", name="Période (mois)")).to_have_value("6 derniers mois")
    expect(sidebar.get_by_role("combobox", name="Type de parcours")).to_have_value("Social")
    for kept in ("mois=2026-03", "periode=6", "parcours=social", "dep=2A"):
        expect(page).to_have_url(re.compile(re.escape(kept)))
    _shot(page, "filtres_suivis")


@pytest.mark.parametrize("slug,login", [("orientations", "analyste")])
def test_phone_layout(server, page, slug, login) -> None:
    """At 390 px: legends under the charts and chart titles not cut."""
    page.set_viewport_size({"width": 390, "height": 844})
    _open(page, f"{server}/{slug}?dep=2A&mois=2026-03", "Orientations", login)
    page.locator(".js-plotly-plot .legend").first.wait_for(timeout=90_000)
    _shot(page, f"telephone_{slug}")
    for chart in page.locator(".js-plotly-plot").all():
        plot = chart.locator(".draglayer .nsewdrag").first.bounding_box()  # the plot area
        legend = chart.locator(".legend")
        if plot is None or legend.count() == 0:
            continue
        box = legend.first.bounding_box()
        assert box["y"] >= plot["y"] + plot["height"] - 1, "légende à côté du graphique"
        title = chart.locator(".gtitle")
        if title.count():
            width = chart.bounding_box()["width"]
            assert title.first.bounding_box()["width"] <= width + 1, "titre coupé"


ROLE_HOMES = {  # role -> the page the README shows it on (docs/img/<role>.png)
    "comite": ("synthese", "Synthèse"),
    "analyste": ("cohortes", "Cohortes"),
    "donnees": ("qualite", "Qualité des données"),
    "admin": ("administration", "Administration"),
}


@pytest.mark.parametrize("role", ROLE_HOMES)
def test_each_role_lands_on_its_pages(server, page, role) -> None:
    """One screenshot per role (the README's, docs/img/), checked by its DOM: the page's
    heading, the menu holding the role's pages only, no error."""
    from dashboard import navigation

    slug, title = ROLE_HOMES[role]
    page.set_viewport_size({"width": 1200, "height": 760})
    _open(page, f"{server}/{slug}?dep=2A&mois=2026-10", title, role)
    expect(page.get_by_role("textbox", name="Identifiant")).to_have_count(0, timeout=30_000)
    if slug == "synthese":
        page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=60_000)
    if page.locator(".js-plotly-plot").count():
        page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=90_000)
    if role == "donnees":  # the steward's first look: the coverage calendar
        page.get_by_role("tab", name="Calendrier de couverture").click()
        expect(page.get_by_role("tab", name="Calendrier de couverture")).to_have_attribute(
            "aria-selected", "true"
        )
        panel = page.get_by_role("tabpanel", name="Calendrier de couverture")
        cells = panel.locator('[data-testid^="glide-cell-"]', has_text="chargé")
        expect(cells.first).to_be_attached(timeout=60_000)  # the grid's cells (ARIA)
    if page.locator('[data-testid="stDataFrame"]').count():
        grid = page.locator('[data-testid="data-grid-canvas"]:visible').first
        grid.wait_for(timeout=60_000)
        page.wait_for_function(_IDLE, timeout=60_000)  # the run that drew it has ended
    assert page.locator('[data-testid="stException"]').count() == 0
    nav = page.locator('[data-testid="stSidebarNav"]')
    shown = {p.title for p in navigation.PAGES if nav.get_by_text(p.title, exact=True).count()}
    assert shown == {p.title for p in navigation.for_role(role)}
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"role_{role}.png"))
