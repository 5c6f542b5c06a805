"""Sidebar filters shared by every page, mirrored in the URL query string."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, db
from dashboard.formatting import fmt_date, fmt_month
from dashboard.texte import for_markdown
from dashboard.views.elements import Scope
from pipelines import indicators

SAVED = "filtres"  # session key: the last value of each filter, whatever the page


def chosen(key: str) -> str | None:
    """The value a filter had: the address's (a link reproduces a view), else the last one
    chosen in this session (the menu opens a page without the address's filters)."""
    return st.query_params.get(key) or st.session_state.get(SAVED, {}).get(key)


def remember(key: str, value: str) -> None:
    """Keep a filter's value in the address and in the session."""
    st.query_params[key] = value
    st.session_state.setdefault(SAVED, {})[key] = value


def url_choice(key: str, options, default):
    """The value a page's own widget starts with: the address's when it names one of
    `options` (compared as text), else `default`. Paired with `to_url` after the widget,
    a link reproduces the page's choices too (Cohortes)."""
    wanted = st.query_params.get(key)
    return next((o for o in options if str(o) == wanted), default)


def url_index(key: str, options: list, default: int = 0) -> int:
    """`url_choice` as an index, for the widgets that take one (radio, selectbox)."""
    return list(options).index(url_choice(key, options, options[default]))


def url_range(key: str, options: list, default: tuple):
    """A (first, last) pair of `options` from the address (« first..last »), else default."""
    first, _, last = (st.query_params.get(key) or "").partition("..")
    if first in options and last in options and first <= last:
        return first, last
    return default


def to_url(**values) -> None:
    """Write a page's choices into the address (None: removed); pairs as « first..last »."""
    for key, value in values.items():
        if value is None:
            st.query_params.pop(key, None)
        elif isinstance(value, tuple):
            st.query_params[key] = "..".join(map(str, value))
        else:
            st.query_params[key] = str(value)


def pick(label: str, options: list[str], key: str, fmt=str, default: int = 0, where=None):
    """A select box whose value lives in the address and the session (`chosen`), so that
    it follows the user from page to page; in the sidebar unless `where` is given."""
    if not options:
        return None
    wanted = chosen(key)
    index = options.index(wanted) if wanted in options else default
    value = (where or st.sidebar).selectbox(
        label, options, index=index, format_func=fmt, key=f"filtre_{key}", placeholder="Choisir"
    )
    remember(key, value)
    return value


def departement_and_month() -> tuple[str | None, str | None]:
    """The département and month chosen in the sidebar, among the user's own départements
    (None when nothing is loaded for them). The view is written to the audit trail."""
    departement = pick("Département", auth.departements(db.departements()), "dep")
    if departement is None:
        return None, None
    month = pick("Mois", db.months(departement), "mois", fmt_month)
    auth.log_view(st.session_state.get("page_courante", ""), departement=departement, mois=month)
    return departement, month


def no_data_message() -> None:
    st.info(
        "Aucune donnée chargée pour l'instant pour vos départements. Un gestionnaire de "
        "données les charge depuis la page « Chargement » ; les chiffres apparaissent ici "
        "dès le premier fichier PECGM chargé."
    )


PARCOURS_OPTIONS = ["tous", "social", "socio_professionnel", "professionnel"]
PARCOURS_FR = {
    "tous": "Tous les parcours",
    "social": "Social",
    "socio_professionnel": "Socio-professionnel",
    "professionnel": "Professionnel",
}
PERIODS = ["6", "12", "18", "24"]
DEFAULT_PERIOD = str(indicators.DEFAULT_PERIOD_MONTHS)  # months; the period a page opens with


def parcours_type() -> str | None:
    """The parcours type chosen in the sidebar; None for all."""
    value = pick("Type de parcours", PARCOURS_OPTIONS, "parcours", PARCOURS_FR.get)
    return None if value in (None, "tous") else value


def period(departement: str, month: str) -> list[str]:
    """The months of the chosen period ending with `month`, oldest first."""
    size = int(
        pick(
            "Période (mois)",
            PERIODS,
            "periode",
            lambda p: f"{p} derniers mois",
            default=PERIODS.index(DEFAULT_PERIOD),
        )
        or DEFAULT_PERIOD
    )
    return period_months(db.months(departement), month, size)


def period_months(loaded: list[str], month: str, size: int) -> list[str]:
    """The `size` latest of the months `loaded` (newest first) up to `month`, oldest first:
    the page's period, and the one the server's filling reads ahead (`default_scope`)."""
    return sorted([m for m in loaded if m <= month][:size])


def default_scope(departement: str, loaded: list[str]) -> Scope:
    """What a topic page opens with when nothing is chosen in the sidebar or the address:
    the whole département, its latest month, the default period, every parcours type (the
    scope dashboard/warm.py builds each topic page's view for, ahead of its first view)."""
    month = loaded[0]
    return Scope(departement, month, None, period_months(loaded, month, int(DEFAULT_PERIOD)))


ALL_TERRITOIRE = "tout"


def territoire(departement: str) -> tuple[str | None, tuple[str, ...] | None]:
    """The territoire chosen in the sidebar (the département's own territoires, else its
    communes): its label and communes, (None, None) for the whole département."""
    known = db.communes_par_territoire(departement)
    label = pick(
        "Territoire",
        [ALL_TERRITOIRE, *known],
        "terr",
        lambda t: "Tout le département" if t == ALL_TERRITOIRE else t,
    )
    if label in (None, ALL_TERRITOIRE):
        return None, None
    return label, known[label]


def open_page(slug: str, title: str) -> tuple[str, str, tuple[str, ...] | None]:
    """What every topic page starts with: the role check, the title, the département,
    month and territoire of the sidebar (communes None: the whole département); the page
    stops with a friendly message when nothing is loaded."""
    auth.require(slug)
    st.title(title)
    departement, month = departement_and_month()
    if not departement or not month:
        no_data_message()
        st.stop()
    label, communes = territoire(departement)
    if label:
        st.caption(f"Territoire : {for_markdown(label)} ({len(communes)} commune(s))")
    return departement, month, communes


def topic(slug: str, title: str, parcours: bool = True) -> Scope:
    """`open_page`, then the period (and the parcours type, for the pages that split by
    it) of the sidebar: what a topic page's view is computed for."""
    departement, month, communes = open_page(slug, title)
    months = period(departement, month)
    return Scope(departement, month, communes, months, parcours_type() if parcours else None)


def period_caption(
    departement: str, months: list[str], sources: str, what: str = "", data_date: str | None = None
) -> None:
    """The caption under a page title: département, period covered, sources, and the data
    date of the page's indicator family (cohorte figures are complete up to it)."""
    note = f" · données au {fmt_date(data_date)}" if data_date else ""
    st.caption(
        f"Département {departement} · {what}{fmt_month(months[0])} à {fmt_month(months[-1])}"
        f" · sources : {sources}{note}"
    )
