"""Sign-in, roles and département scoping for the pages, with the audit of what users do.

Embedded default: local accounts (pipelines/access.py). Production can put an OpenID
Connect broker in front (README, "Authentification"): `st.login` then gives the identity
and the local allow-list gives the role and départements. Every page calls `require()`
first, so a page reached by its URL without the right role refuses to render.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import datetime, timedelta

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard import navigation, web
from dashboard.texte import for_markdown
from pipelines import access, masking
from pipelines.access import IDLE_TIMEOUT, SESSION_LIFETIME, User
from pipelines.roles import ROLE_LABELS
from pipelines.settings import Settings

SESSION_USER = "utilisateur"
SESSION_SEEN = "derniere_activite"
SESSION_UNMASKED = "non_masque"
SESSION_ID = "session_web"  # the row of access.session_web behind the cookie
SESSION_TICKET = "ticket_de_session"  # handed to the browser once, right after sign-in
SESSION_TOUCHED = "session_web_vue"
COOKIE_TO_CLEAR = "cookie_a_effacer"
TOUCH_EVERY = timedelta(minutes=1)

ROLE_PAGES = navigation.ROLE_PAGES  # pages each role may open (dashboard/navigation.py)
# The département whose default views the server's filling builds (dashboard/warm.py), in
# the filling thread only (a thread starts with no context value: a page run never has one).
_FILLING: ContextVar[str | None] = ContextVar("prechargement", default=None)


def db_path():
    return Settings.from_env().db_path


def oidc() -> bool:
    """PILOTAGE_AUTH=oidc: identity from the OpenID Connect broker configured in
    .streamlit/secrets.toml ([auth] section; README, "Authentification")."""
    return os.environ.get("PILOTAGE_AUTH", "local") == "oidc"


OIDC_REFUSAL = "refus_oidc"  # why an identity the broker asserted was refused
_IDLE_MINUTES = int(IDLE_TIMEOUT.total_seconds()) // 60
_LIFETIME_HOURS = int(SESSION_LIFETIME.total_seconds()) // 3600
IDLE_MESSAGE = f"Session expirée après {_IDLE_MINUTES} minutes d'inactivité."
SESSION_ENDED = {  # check_web_session's outcome -> what the sign-in page then says
    "expiration": IDLE_MESSAGE,
    "perimee": f"Session terminée : {_LIFETIME_HOURS} heures au plus après la connexion. "
    "Reconnectez-vous.",
    "revoquee": "Session terminée (compte modifié, ou session fermée). Reconnectez-vous.",
    "desactive": "Session terminée : ce compte n'est plus actif.",
}


def _oidc_user() -> User | None:
    if not st.user.is_logged_in:
        return None
    st.session_state.pop(OIDC_REFUSAL, None)  # this run's identity says why, if it must
    login, refusal = access.oidc_identity(st.user.to_dict())
    if login is None:
        st.session_state[OIDC_REFUSAL] = refusal
        tag = access.unknown_login_tag(db_path(), str(st.user.get("email") or ""))
        access.audit(db_path(), tag, "echec_connexion", "identite_refusee")
        return None
    user = access.lookup(db_path(), login)
    if user is None:
        access.audit(db_path(), login, "echec_connexion", "non_habilite")
        return None
    st.session_state[SESSION_ID] = access.open_web_session(db_path(), login, cookie=False)[0]
    return user


def current_user() -> User | None:
    """The signed-in user, or None (never signed in, or idle for more than 30 minutes).
    Cheap (the session state only, besides sign-in): the check against the access file is
    signed_in_user(), once at the top of every page run."""
    if oidc() and SESSION_USER not in st.session_state:
        user = _oidc_user()
        if user is not None:
            st.session_state[SESSION_USER] = user
            access.audit(db_path(), user.login, "connexion", "ok", fournisseur="oidc")
    if not oidc() and SESSION_USER not in st.session_state:
        _resume_from_cookie()
    user = st.session_state.get(SESSION_USER)
    if user is None:
        return None
    seen = st.session_state.get(SESSION_SEEN)
    now = datetime.now()
    if seen is not None and now - seen > IDLE_TIMEOUT:
        sign_out(reason="expiration")
        st.session_state["message_connexion"] = IDLE_MESSAGE
        return None
    st.session_state[SESSION_SEEN] = now
    session_id = st.session_state.get(SESSION_ID)
    touched = st.session_state.get(SESSION_TOUCHED)
    if session_id is not None and (touched is None or now - touched > TOUCH_EVERY):
        access.touch_web_session(db_path(), session_id)
        st.session_state[SESSION_TOUCHED] = now
    return user


def signed_in_user() -> User | None:
    """current_user(), checked against the access file: the web session behind it must be
    neither revoked (sign-out, `users disable`, `users add` on the login: reset, role or
    départements), nor past its 10-hour lifetime (however active the tab), nor idle, and
    the account active. The user is read afresh from the file. Otherwise the session ends
    and the sign-in page says why.

    Called at the top of every page run (app.py, and require() for a page run alone): a
    tab left open is refused at its next click, not at its next reload. A signed-in state
    without a web session (only code could make one) is refused too."""
    user = current_user()
    if user is None:
        return None
    session_id = st.session_state.get(SESSION_ID)
    fresh, outcome = (
        (None, "revoquee")
        if session_id is None
        else access.check_web_session(db_path(), session_id)
    )
    if fresh is None:
        sign_out(reason="fin_de_session", motif=outcome)
        st.session_state["message_connexion"] = SESSION_ENDED[outcome]
        return None
    st.session_state[SESSION_USER] = fresh
    return fresh


def _resume_from_cookie() -> None:
    """A reload (a new Streamlit session) signed in by the session cookie, if it still
    opens a live session (access.resume_web_session)."""
    cookie = st.context.cookies.get(access.SESSION_COOKIE)
    if not isinstance(cookie, str) or not cookie:  # none (or AppTest's stand-in runtime)
        return
    user, session_id, outcome = access.resume_web_session(db_path(), cookie)
    if user is None:
        if outcome in SESSION_ENDED:
            st.session_state["message_connexion"] = SESSION_ENDED[outcome]
            st.session_state[COOKIE_TO_CLEAR] = True
        return
    st.session_state[SESSION_USER] = user
    st.session_state[SESSION_ID] = session_id
    st.session_state[SESSION_SEEN] = st.session_state[SESSION_TOUCHED] = datetime.now()
    access.audit(db_path(), user.login, "reprise_de_session", "ok")


def _post(path: str, body: str = "") -> None:
    """Have the browser POST to one of dashboard/web.py's routes (same origin, cookies
    included): how the HttpOnly cookie is set and deleted. The body never goes in a URL."""
    st.html(
        f"<script>fetch({json.dumps(path)}, {{method: 'POST', body: {json.dumps(body)}, "
        "credentials: 'same-origin', headers: {'Content-Type': 'text/plain'}});</script>",
        unsafe_allow_javascript=True,
    )


def sign_out(reason: str = "deconnexion", **details: object) -> None:
    """End the session: the web session behind the cookie is revoked (a copy of the
    cookie opens nothing more) and the next page asks the browser to delete it."""
    user = st.session_state.pop(SESSION_USER, None)
    st.session_state.pop(SESSION_UNMASKED, None)
    st.session_state.pop(SESSION_TICKET, None)
    session_id = st.session_state.pop(SESSION_ID, None)
    if session_id is not None:
        access.revoke_web_session(db_path(), session_id)
        st.session_state[COOKIE_TO_CLEAR] = True
    if user is not None:
        access.audit(db_path(), user.login, reason, **details)
    if oidc() and st.user.is_logged_in:
        st.logout()


def login_page() -> None:
    st.title("Pilotage RSA")
    st.caption("Accès réservé aux personnes habilitées par leur département ou France Travail.")
    if oidc():
        if st.user.is_logged_in:
            st.error(
                st.session_state.get(OIDC_REFUSAL)
                or "Votre identité est reconnue mais votre compte n'est pas habilité ici."
            )
            st.button("Se déconnecter", on_click=st.logout)
        else:
            st.button("Se connecter avec ProConnect", type="primary", on_click=st.login)
        return
    if st.session_state.pop(COOKIE_TO_CLEAR, False):
        _post(web.END_PATH)
    if st.session_state.get("message_connexion"):
        st.info(st.session_state.pop("message_connexion"))
    with st.form("connexion"):
        login = st.text_input("Identifiant", max_chars=access.MAX_LOGIN)
        password = st.text_input("Mot de passe", type="password", max_chars=access.MAX_PASSWORD)
        submitted = st.form_submit_button("Se connecter", type="primary")
    if submitted:
        user, message = access.authenticate(db_path(), login, password)
        if user is None:
            st.error(message)
        else:
            session_id, ticket = access.open_web_session(db_path(), user.login)
            st.session_state[SESSION_USER] = user
            st.session_state[SESSION_SEEN] = datetime.now()
            st.session_state[SESSION_ID] = session_id
            st.session_state[SESSION_TICKET] = ticket
            st.rerun()


def require(page: str) -> User:
    """Stop the page unless the signed-in user's session is still valid and their role
    may open it."""
    user = signed_in_user()
    if user is None:
        st.error("Connectez-vous pour accéder à cette page.")
        st.stop()
    if page not in ROLE_PAGES[user.role]:
        access.audit(db_path(), user.login, "acces_refuse", "refuse", page=page)
        st.error("Votre rôle ne donne pas accès à cette page.")
        st.stop()
    st.session_state["page_courante"] = page
    masking.set_view_threshold(mask_limit())  # again here: a page may run without app.py
    return user


def authorise(departement: str) -> None:
    """Stop the run unless the signed-in user may see this département (audited).

    Called by dashboard/db.py before any figure is read, so that a page cannot forget it;
    the pages' own filters, which only offer the user's départements, stay as a second line.
    The server's filling (`filling`) builds views of one département outside any page run.
    """
    if _FILLING.get() == departement and get_script_run_ctx(suppress_warning=True) is None:
        return
    user = current_user()
    if user is not None and user.sees(departement):
        return
    login = user.login if user is not None else None
    access.audit(db_path(), login, "acces_refuse", "refuse", departement=departement)
    st.error("Vous n'avez pas accès aux données de ce département.")
    st.stop()
    # Outside a page run (a background thread, a bare call) `st.stop` does nothing: the
    # read is refused here, so that no caller with no page to stop gets the data.
    raise PermissionError(f"accès refusé aux données du département {departement}")


@contextlib.contextmanager
def filling(departement: str) -> Iterator[None]:
    """Build a page's view of `departement` with no user, for the server's filling of the
    caches after a load (dashboard/warm.py, `figure_cache.prebuild_view`): `authorise` lets this
    département, and only it, through, in this thread and outside any page run. What is
    built goes into the shared caches only; a page authorises its own user before it reads
    them (`figure_cache.view`)."""
    if get_script_run_ctx(suppress_warning=True) is not None:
        raise RuntimeError("le préchargement ne s'exécute pas dans une page")
    token = _FILLING.set(departement)
    try:
        yield
    finally:
        _FILLING.reset(token)


def sees_load(user: User, departement: str | None, operator: str | None) -> bool:
    """Whether a load journal row is the user's to see: a load of one of their
    départements, or an attempt they made themselves that names none (a file refused
    before its département was read)."""
    return user.sees(departement) if departement else operator == user.login


def not_granted(user: User, departement: str | None) -> str | None:
    """The refusal shown when a user types a département they may not act for (upload,
    France Travail collection); None when the département is theirs or not given yet."""
    if departement and not user.sees(departement):
        return f"Vous n'êtes pas habilité pour le département {departement}."
    return None


def departements(available: list[str]) -> list[str]:
    """The départements the user may see, among those loaded."""
    user = current_user()
    return [d for d in available if user is not None and user.sees(d)]


def mask_limit() -> int:
    """The masking threshold of this view: 1 (nothing masked) only for an analyst who asked
    for unmasked figures, which the audit records; else the published threshold.

    Computed from this run's user and toggle only, never from `masking.threshold()`: that
    one reads the view's ContextVar, which still holds the previous run's value when
    Streamlit chains reruns in one script thread (an analyst turning the toggle off would
    stay unmasked)."""
    user = current_user()
    if user is not None and user.role == "analyste" and st.session_state.get(SESSION_UNMASKED):
        return 1
    return masking.committee_threshold()


def sidebar(user: User) -> None:
    if SESSION_TICKET in st.session_state:  # first run after sign-in: get the cookie
        _post(web.SESSION_PATH, st.session_state.pop(SESSION_TICKET))
    st.sidebar.caption(f"Connecté : {for_markdown(user.login)} — {ROLE_LABELS[user.role]}")
    if user.role == "analyste":
        unmasked = st.sidebar.toggle(
            "Chiffres non masqués",
            key=SESSION_UNMASKED,
            help=f"Affiche les effectifs de moins de {masking.committee_threshold()} ; "
            "chaque vue non masquée est tracée.",
        )
        if unmasked:
            st.sidebar.warning("Chiffres non masqués : ne pas diffuser.")
    if st.sidebar.button("Se déconnecter"):
        sign_out()
        if not oidc():  # st.logout() navigates to the provider's sign-out and back itself:
            st.rerun()  # a rerun here would draw the sign-in page before the cookie is gone


def log_view(page: str, **filters: object) -> None:
    """Audit a page view with its filters, once per distinct view in the session."""
    user = current_user()
    if user is None:
        return
    unmasked = mask_limit() == 1
    key = (page, tuple(sorted(filters.items())), unmasked)
    if st.session_state.get("derniere_vue") == key:
        return
    st.session_state["derniere_vue"] = key
    access.audit(
        db_path(),
        user.login,
        "vue_non_masquee" if unmasked else "consultation",
        departement=str(filters.get("departement") or "") or None,
        page=page,
        **{k: v for k, v in filters.items() if k != "departement"},
    )


def log_export(name: str) -> None:
    user = current_user()
    if user is not None:
        access.audit(db_path(), user.login, "export", fichier=name, non_masque=mask_limit() == 1)


def audited_on_delivery(name: str, build: Callable[[], bytes]) -> Callable[[], bytes]:
    """The data of a download built only when the browser asks for it, audited then.

    Streamlit runs such a callable on a thread of its own, outside the page's run (no
    session state there): the login and whether this view is unmasked are taken now, when
    the button is drawn. The button must not rerun the page on click (`on_click="ignore"`):
    the browser sends the rerun before the file request, and a rerun that ends first
    replaces the callable the click asked for, so the download never comes (seen in CI on
    a loaded machine). The audit row is written when the file really leaves the server."""
    user = current_user()
    login = user.login if user is not None else None
    unmasked = mask_limit() == 1
    path = db_path()

    def deliver() -> bytes:
        data = build()
        if login is not None:
            access.audit(path, login, "export", fichier=name, non_masque=unmasked)
        return data

    return deliver
