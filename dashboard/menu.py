"""What app.py hands to `st.navigation`: every page of the registry (dashboard/navigation.py)
at its own address, and a French page for every address a user may land on without a page
to show.

Streamlit shows an English « Page not found » dialog and runs the default page whenever
the address matches no registered page: /synthese (the default page answers only at /),
an address typed by hand, an old bookmark, a page the role may not open. Here every such
address is a registered page:
- / sends to /synthese (with its filters), so that each page has one address;
- a page the role may not open is registered hidden and says so, with links to the
  pages the role does open (the refusal is audited, as auth.require does);
- any other address typed is registered hidden, for this run, as « Page introuvable ».
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard import auth, navigation
from pipelines import access
from pipelines.access import User
from pipelines.roles import ROLE_LABELS

ICON = Path(__file__).resolve().parent / "static" / "icone.png"  # served by Streamlit itself
HOME = "synthese"
NOT_FOUND_TITLE = "Page introuvable"
REFUSED_TITLE = "Page non autorisée"
# The chart toolbar of plotly.js only speaks English and its PNG export duplicates the
# pages' own downloads: hidden everywhere. Style only: nothing is fetched.
CHROME_CSS = "<style>.js-plotly-plot .modebar-container{display:none !important}</style>"


def requested_path() -> str:
    """The address the browser asked for on this run ('' for the root, or when the page
    was chosen in the menu: Streamlit then sends the page's hash, not its address)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return ""
    return (ctx.pages_manager.intended_page_name or "").strip().strip("/")


def _unknown(path: str) -> bool:
    """An address that names no page of the registry (and that st.Page can register)."""
    return bool(path) and "/" not in path and path not in navigation.BY_SLUG


def _links(user: User) -> None:
    st.markdown("**Pages que vous pouvez ouvrir :**")
    for page in navigation.for_role(user.role):
        st.page_link(page.file, label=page.title, icon=page.icon)


def not_found_page(path: str) -> Callable[[], None]:
    def render() -> None:
        st.title(NOT_FOUND_TITLE)
        st.warning(
            f"L'adresse « /{path} » ne correspond à aucune page du tableau de bord "
            "(lien ancien ou adresse mal recopiée)."
        )
        user = auth.current_user()
        if user is not None:
            _links(user)

    return render


def refused_page(page: navigation.Page) -> Callable[[], None]:
    def render() -> None:
        user = auth.current_user()
        st.title(REFUSED_TITLE)
        if user is None:  # app.py shows the sign-in form instead; kept for safety
            return
        access.audit(auth.db_path(), user.login, "acces_refuse", "refuse", page=page.slug)
        st.warning(
            f"La page « {page.title} » n'est pas ouverte à votre rôle : "
            f"{ROLE_LABELS[user.role]}. Si vous en avez besoin, demandez-le à "
            "l'administrateur du tableau de bord de votre département."
        )
        _links(user)

    return render


def _home() -> None:
    """The root address: the Synthèse, at its own address, with the link's filters."""
    st.switch_page(navigation.BY_SLUG[HOME].file, query_params=st.query_params.to_dict())


def pages(user: User | None) -> list:
    """The pages to register: the role's pages in the menu,
    every other page of the registry and the address typed (when it names no page)
    registered hidden. Signed out, the sign-in form is the default page and every page
    hidden, so that a link keeps its address and filters through the sign-in."""
    requested = requested_path()
    allowed = set() if user is None else {p.slug for p in navigation.for_role(user.role)}
    if user is None:
        listed = [
            st.Page(auth.login_page, title="Connexion", icon=":material/login:", default=True)
        ]
    else:
        listed = [st.Page(_home, title="Accueil", default=True, visibility="hidden")]
    for p in navigation.PAGES:
        if p.slug in allowed:
            listed.append(st.Page(p.file, title=p.title, icon=p.icon, url_path=p.slug))
        else:
            target = p.file if user is None else refused_page(p)
            listed.append(
                st.Page(target, title=p.title, icon=p.icon, url_path=p.slug, visibility="hidden")
            )
    if _unknown(requested):
        listed.append(
            st.Page(
                not_found_page(requested),
                title=NOT_FOUND_TITLE,
                url_path=requested,
                visibility="hidden",
            )
        )
    return listed


def open_navigation(user: User | None):
    """`st.navigation` over `pages(user)`: the menu in the sidebar once signed in."""
    return st.navigation(pages(user), position="hidden" if user is None else "sidebar")


def chrome() -> None:
    """What every view carries, whatever the page: the toolbar rule above."""
    st.html(CHROME_CSS)
