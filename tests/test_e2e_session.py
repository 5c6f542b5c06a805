"""A page reload keeps a local-account user signed in, through a signed, expiring,
HttpOnly cookie set by the server's own route (never a token in a URL), and sign-out
revokes it: a copy of the cookie kept from before opens nothing."""

from __future__ import annotations

from playwright.sync_api import expect

from pipelines import access
from tests.test_e2e_browser import _open_with_form, _wait_rendered


def _session_cookie(context) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == access.SESSION_COOKIE), None)


def _wait_for_cookie(page, present: bool) -> dict | None:
    for _ in range(100):
        cookie = _session_cookie(page.context)
        if (cookie is not None) == present:
            return cookie
        page.wait_for_timeout(100)
    raise AssertionError("cookie de session " + ("absent" if present else "toujours là"))


def test_a_reload_keeps_the_user_signed_in_until_sign_out(server, page) -> None:
    _open_with_form(page, f"{server}/synthese?dep=2A&mois=2026-06", "Synthèse", "comite")
    cookie = _wait_for_cookie(page, present=True)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert cookie["expires"] > 0  # persistent, with the session's lifetime as Max-Age
    assert cookie["value"].split(".")[0] not in page.url
    assert access.SESSION_COOKIE not in page.evaluate("document.cookie")  # out of JS's reach

    page.reload()
    _wait_rendered(page, "Synthèse")
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar).to_contain_text("Connecté : comite")
    assert page.get_by_role("textbox", name="Mot de passe").count() == 0
    assert "mois=2026-06" in page.url  # the view's link survives the reload too

    sidebar.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("textbox", name="Mot de passe")).to_be_visible(timeout=30_000)
    _wait_for_cookie(page, present=False)
    page.reload()
    expect(page.get_by_role("textbox", name="Mot de passe")).to_be_visible(timeout=30_000)

    # A copy of the cookie taken before sign-out is revoked on the server side: a browser
    # holding that copy alone is asked to sign in.
    page.context.clear_cookies()
    page.context.add_cookies([{k: cookie[k] for k in ("name", "value", "domain", "path")}])
    page.goto(f"{server}/synthese")
    expect(page.get_by_role("textbox", name="Mot de passe")).to_be_visible(timeout=30_000)
    assert page.locator('[data-testid="stSidebar"]').get_by_text("Connecté").count() == 0


def test_an_open_tab_is_signed_out_at_its_next_click_after_users_disable(
    server, page, sample_db
) -> None:
    """The served app, a tab signed in and left open: `users disable` revokes its session,
    and the tab's next click (no reload) shows the sign-in form and why; the cookie, kept
    by the browser, opens nothing either."""
    access.add_user(sample_db, "onglet.ouvert", access.DEMO_PASSWORD, "comite", ["2A"], by="t")
    _open_with_form(page, f"{server}/synthese?dep=2A&mois=2026-06", "Synthèse", "onglet.ouvert")
    cookie = _wait_for_cookie(page, present=True)
    access.disable_user(sample_db, "onglet.ouvert", by="test")
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Orientations", exact=True).click()
    expect(page.get_by_role("textbox", name="Mot de passe")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Session terminée")).to_be_visible(timeout=30_000)
    assert page.locator('[data-testid="stMetricValue"]').count() == 0
    assert access.resume_web_session(sample_db, cookie["value"])[0] is None
