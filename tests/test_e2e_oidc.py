"""The production sign-in, end to end in headless Chromium: PILOTAGE_AUTH=oidc, `st.login`
against an OpenID Connect provider started on 127.0.0.1 (tests/oidc_provider.py), role and
départements from the local allow-list, an identity absent from it refused and audited, an
expired or wrongly signed ID token refused, sign-out clearing the session."""

from __future__ import annotations

import secrets
import time

import pytest
from playwright.sync_api import expect

from pipelines import access, loader
from pipelines.settings import Settings
from tests import oidc_provider
from tests.conftest import TEST_KEY, pecgm_lines, write_pecgm
from tests.test_e2e_browser import ARTIFACTS, _free_port, _wait_rendered, serve

AGENT = "agent.2b@exemple.fr"  # allow-listed: comité of 2B only
STRANGER = "inconnue@exemple.fr"  # known to the provider, absent from the allow-list


@pytest.fixture(scope="module")
def provider():
    provider, server = oidc_provider.start()
    yield provider
    server.should_exit = True


@pytest.fixture(scope="module")
def oidc_app(provider, tmp_path_factory):
    """The dashboard in OIDC mode, on a warehouse holding 2A and 2B, with its [auth]
    configuration in a secrets.toml of its own (the form Streamlit 1.67 reads)."""
    folder = tmp_path_factory.mktemp("oidc")
    db = folder / "pilotage.duckdb"
    mp = pytest.MonkeyPatch()
    mp.setenv("PILOTAGE_SECRET_KEY", TEST_KEY)
    settings = Settings.from_env(db)
    for dep in ("2A", "2B"):
        path = write_pecgm(folder / f"PECGM_{dep}.txt", pecgm_lines(persons=30, departement=dep))
        assert loader.load("pecgm", path, settings).status == "loaded"
    mp.undo()
    access.add_user(db, AGENT, secrets.token_urlsafe(16), "comite", ["2B"], by="test")
    port = _free_port()
    secrets_toml = folder / "secrets.toml"
    secrets_toml.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        f'client_id = "{oidc_provider.CLIENT_ID}"\n'
        f'client_secret = "{oidc_provider.CLIENT_SECRET}"\n'
        f'server_metadata_url = "{provider.issuer}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    env = {"PILOTAGE_DB": str(db), "PILOTAGE_SECRET_KEY": TEST_KEY, "PILOTAGE_AUTH": "oidc"}
    for url in serve(env, "--secrets.files", str(secrets_toml), port=port):
        yield url, db


def _sign_in(page, url: str, identity: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Se connecter avec ProConnect").click()
    page.get_by_role("textbox", name="Identité").fill(identity, timeout=30_000)
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url(f"{url}/**", timeout=30_000)


def _actions(db, login: str) -> list[tuple[str, str]]:
    return [(r[3], r[6]) for r in access.audit_rows(db) if r[2] == login]


def test_sign_in_takes_role_and_departements_from_the_allow_list(oidc_app, provider, page):
    url, db = oidc_app
    provider.mode = "valide"
    _sign_in(page, url, AGENT)
    _wait_rendered(page, "Synthèse")
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar).to_contain_text(f"Connecté : {AGENT} — comité de pilotage")
    caption = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first
    expect(caption).to_contain_text("Département 2B", timeout=30_000)  # never 2A
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.get_by_text("Cohortes", exact=True).count() == 0  # a comité's navigation
    assert ("connexion", "ok") in _actions(db, AGENT)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "oidc_connecte.png"), full_page=True)

    page.reload()  # Streamlit's own signed identity cookie keeps the OIDC session
    _wait_rendered(page, "Synthèse")

    sidebar.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("button", name="Se connecter avec ProConnect")).to_be_visible(
        timeout=30_000
    )
    deadline = time.monotonic() + 30  # the sign-out's own round trip deletes the cookie
    while any(c["name"].startswith("_streamlit_user") for c in page.context.cookies()):
        assert time.monotonic() < deadline, "le cookie d'identité n'a pas été effacé"
        page.wait_for_timeout(200)
    page.reload()  # the identity cookie is gone: still signed out
    expect(page.get_by_role("button", name="Se connecter avec ProConnect")).to_be_visible(
        timeout=30_000
    )
    assert not any(c["name"].startswith("_streamlit_user") for c in page.context.cookies())
    assert ("deconnexion", "ok") in _actions(db, AGENT)


def test_an_identity_absent_from_the_allow_list_is_refused_and_audited(oidc_app, provider, page):
    url, db = oidc_app
    provider.mode = "valide"
    _sign_in(page, url, STRANGER)
    expect(page.get_by_text("n'est pas habilité ici")).to_be_visible(timeout=30_000)
    assert page.locator('[data-testid="stMetricValue"]').count() == 0
    assert ("echec_connexion", "non_habilite") in _actions(db, STRANGER)
    assert ("connexion", "ok") not in _actions(db, STRANGER)


@pytest.mark.parametrize("mode", ["expire", "mauvaise_signature"])
def test_an_expired_or_wrongly_signed_id_token_is_refused(oidc_app, provider, page, mode):
    url, _ = oidc_app
    provider.mode = mode
    issued = len(provider.issued)
    try:
        _sign_in(page, url, AGENT)
        expect(page.get_by_role("button", name="Se connecter avec ProConnect")).to_be_visible(
            timeout=30_000
        )
    finally:
        provider.mode = "valide"
    assert provider.issued[issued:] == [AGENT]  # a token was issued, and refused
    assert not any(c["name"].startswith("_streamlit_user") for c in page.context.cookies())
    assert page.locator('[data-testid="stSidebar"]').get_by_text("Connecté").count() == 0


@pytest.mark.parametrize(
    ("claims", "refusal"),
    [
        ({"email_verified": False}, "n'est pas vérifiée"),
        ({"email_verified": None}, "n'est pas vérifiée"),  # the claim is missing
        ({"email": None, "preferred_username": "admin"}, "n'a pas transmis"),
    ],
)
def test_an_unverified_or_incomplete_identity_is_refused_in_french(
    oidc_app, provider, page, claims, refusal
):
    """`email_verified` false or missing, no e-mail but a `preferred_username` naming a local
    admin account: refused with a French message, never signed in as that account."""
    url, db = oidc_app
    access.add_user(db, "admin", secrets.token_urlsafe(16), "admin", ["2A"], by="test")
    provider.mode, provider.claims = "valide", claims
    try:
        _sign_in(page, url, AGENT)
        expect(page.get_by_text(refusal)).to_be_visible(timeout=30_000)
    finally:
        provider.claims = {}
    assert page.locator('[data-testid="stSidebar"]').get_by_text("Connecté").count() == 0
    assert page.locator('[data-testid="stMetricValue"]').count() == 0
    assert ("echec_connexion", "identite_refusee") in [
        (r[3], r[6]) for r in access.audit_rows(db) if (r[2] or "").startswith("inconnu:")
    ]
    assert "admin" not in [r[2] for r in access.audit_rows(db) if r[3] == "connexion"]
