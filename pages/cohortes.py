"""Cohortes (analysts): define two cohortes by entry or orientation month and attributes,
see each funnel (entry -> orientation -> first appointment -> contract -> return to work)
side by side, and export the aggregated table (CSV, Excel)."""

import streamlit as st

from dashboard import filters, widgets
from dashboard.formatting import fmt_month
from dashboard.views import cohortes

departement, month, communes = filters.open_page("cohortes", "Cohortes")
months = cohortes.cohorte_months(departement)
caption = st.empty()  # filled once the data date is known

top_left, top_right = st.columns(2)
horizon = (
    top_left.segmented_control(
        "Suivi égal : étapes comptées dans les",
        cohortes.HORIZONS,
        default=filters.url_choice("horizon", cohortes.HORIZONS, cohortes.DEFAULT_HORIZON),
        format_func=lambda d: f"{d} jours",
        key="horizon",
        help="Chaque étape est comptée si elle a lieu dans ce nombre de jours après l'entrée "
        "(cohorte définie par le mois d'entrée) ou après l'orientation (cohorte définie par le "
        "mois d'orientation) : deux cohortes sont ainsi comparées à durée de suivi égale.",
    )
    or cohortes.DEFAULT_HORIZON
)
filters.to_url(horizon=horizon)
immatures = top_right.radio(
    "Cohorte pas encore suivie aussi longtemps",
    list(cohortes.IMMATURES),
    index=filters.url_index("immatures", list(cohortes.IMMATURES)),
    horizontal=True,
    key="immatures",
    format_func=cohortes.IMMATURES.get,
)
filters.to_url(immatures=immatures)


def cohorte_form(column, name: str, default_months: list[str]) -> cohortes.Cohorte:
    """The controls of one cohorte, then its funnel and what to say of its follow-up."""
    with column:
        st.subheader(f"Cohorte {name}")
        base = st.radio(
            "Définie par le mois",
            list(cohortes.BASES),
            index=filters.url_index(f"{name}_base", list(cohortes.BASES)),
            horizontal=True,
            key=f"base_{name}",
            format_func=cohortes.BASES.get,
        )
        debut, fin = st.select_slider(
            "Mois",
            options=months,
            value=filters.url_range(
                f"{name}_mois", months, (default_months[0], default_months[-1])
            ),
            format_func=fmt_month,
            key=f"mois_{name}",
        )
        a, b = st.columns(2)
        choice = cohortes.Choice(
            base,
            debut,
            fin,
            parcours=a.selectbox("Type de parcours", cohortes.PARCOURS,
                                 index=filters.url_index(f"{name}_parcours", cohortes.PARCOURS),
                                 format_func=cohortes.parcours_label, key=f"parcours_{name}"),
            tranche_age=b.selectbox("Âge", cohortes.AGES, format_func=cohortes.age_label,
                                    index=filters.url_index(f"{name}_age", cohortes.AGES),
                                    key=f"age_{name}"),
            sexe=a.selectbox("Sexe", list(cohortes.SEXES), format_func=cohortes.SEXES.get,
                             index=filters.url_index(f"{name}_sexe", list(cohortes.SEXES)),
                             key=f"sexe_{name}"),
            modalite=b.selectbox("Modalité", cohortes.MODALITES,
                                 index=filters.url_index(f"{name}_modalite", cohortes.MODALITES),
                                 format_func=cohortes.modalite_label, key=f"modalite_{name}"),
            commune=st.text_input("Commune (code INSEE)", key=f"commune_{name}").strip().upper()
            or None,
        )  # fmt: skip
        filters.to_url(**{f"{name}_base": base, f"{name}_mois": (debut, fin),
                          f"{name}_parcours": choice.parcours, f"{name}_age": choice.tranche_age,
                          f"{name}_sexe": choice.sexe, f"{name}_modalite": choice.modalite})  # fmt: skip
        result = cohortes.cohorte(departement, name, choice, communes, horizon, immatures)
        if result.warning:
            st.warning(result.warning)
        if result.info:
            st.info(result.info)
        return result


left, right = st.columns(2)
recent, earlier = cohortes.default_months(months)
pair = [cohorte_form(left, "A", recent), cohorte_form(right, "B", earlier)]
view = cohortes.comparison(departement, pair, horizon)
caption.caption(view.caption)

st.plotly_chart(view.funnel, width="stretch", key="chart_funnel")
st.caption(view.funnel_caption)
st.dataframe(view.table, hide_index=True, width="stretch")
for column, (label, value) in zip(st.columns(2), view.delays, strict=True):
    column.metric(label, value)
widgets.download(view.export, f"cohortes_{departement}", "cohortes", excel=True)

st.subheader("Délais des deux cohortes, en tenant compte des personnes encore en attente")
for column, curve in zip(st.columns(2), view.curves, strict=True):
    with column:
        if curve.figure is None:
            st.info(curve.message)
        else:
            st.plotly_chart(curve.figure, width="stretch", key=f"chart_km_{curve.kind}")
st.caption(view.curves_caption)
