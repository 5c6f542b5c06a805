"""Cohortes (analysts): define two cohorts by entry or orientation month and attributes,
see each funnel (entry -> orientation -> first appointment -> contract -> return to work)
side by side, and export the aggregated table (CSV, Excel)."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import charts, components, db, filters
from dashboard.formatting import fmt_month
from pipelines import masking
from pipelines.indicators import AGE_BANDS

departement, month, communes = filters.open_page("cohortes", "Cohortes")
months = sorted(db.months(departement))
st.caption(
    f"Département {departement} · une cohorte = les personnes entrées au RSA (ou orientées) "
    "pendant les mois choisis ; toutes sources reliées par identifiants pseudonymisés"
)

AGE_FR = {
    "moins_25": "Moins de 25 ans",
    "25_34": "25 à 34 ans",
    "35_44": "35 à 44 ans",
    "45_54": "45 à 54 ans",
    "55_plus": "55 ans et plus",
}
STEPS = [
    ("entres", "Entrées"),
    ("orientes", "Orientées"),
    ("premier_rdv", "Premier rendez-vous"),
    ("contrat", "Contrat d'engagement"),
    ("reprise_emploi", "Reprise d'emploi"),
]


def cohort_form(column, name: str, default_months: list[str]) -> tuple[str, dict]:
    with column:
        st.subheader(f"Cohorte {name}")
        base = st.radio(
            "Définie par le mois",
            ["entree", "orientation"],
            horizontal=True,
            key=f"base_{name}",
            format_func={"entree": "d'entrée au RSA", "orientation": "d'orientation"}.get,
        )
        debut, fin = st.select_slider(
            "Mois",
            options=months,
            value=(default_months[0], default_months[-1]),
            format_func=fmt_month,
            key=f"mois_{name}",
        )
        a, b = st.columns(2)
        parcours = a.selectbox(
            "Type de parcours",
            [None, "social", "socio_professionnel", "professionnel"],
            format_func=lambda v: "Tous" if v is None else components.PARCOURS_LABELS[v],
            key=f"parcours_{name}",
        )
        age = b.selectbox(
            "Âge",
            [None, *AGE_BANDS],
            format_func=lambda v: "Tous" if v is None else AGE_FR[v],
            key=f"age_{name}",
        )
        sexe = a.selectbox(
            "Sexe",
            [None, "F", "M"],
            format_func={None: "Tous", "F": "Femmes", "M": "Hommes"}.get,
            key=f"sexe_{name}",
        )
        modalite = b.selectbox(
            "Modalité",
            [None, "SUI", "GUI", "REN", "GLO", "APR"],
            format_func=lambda v: "Toutes" if v is None else v,
            key=f"modalite_{name}",
        )
        commune = (
            st.text_input("Commune (code INSEE)", key=f"commune_{name}").strip().upper() or None
        )
        label = f"{fmt_month(debut)} – {fmt_month(fin)}" + "".join(
            f" · {x}"
            for x in (
                components.PARCOURS_LABELS.get(parcours) if parcours else None,
                AGE_FR.get(age) if age else None,
                sexe,
                modalite,
                commune,
            )
            if x
        )
        result = db.cohort(
            departement,
            base,
            debut,
            fin,
            communes,
            parcours=parcours,
            tranche_age=age,
            sexe=sexe,
            modalite=modalite,
            commune=commune,
        )
        return label, result


left, right = st.columns(2)
recent = months[-3:] if len(months) >= 3 else months
earlier = months[-15:-12] if len(months) >= 15 else months[:3]
label_a, a = cohort_form(left, "A", recent)
label_b, b = cohort_form(right, "B", earlier)

rows = []
for key, step in STEPS:
    masked_a = masking.mask_distribution({"n": a[key]})["n"]
    masked_b = masking.mask_distribution({"n": b[key]})["n"]
    rows.append(
        {
            "étape": step,
            "cohorte A": masking.masked_label(masked_a),
            "part A": (a[key] / a["entres"])
            if a["entres"] and masked_a is not None and masking.share_allowed(a["entres"])
            else None,
            "cohorte B": masking.masked_label(masked_b),
            "part B": (b[key] / b["entres"])
            if b["entres"] and masked_b is not None and masking.share_allowed(b["entres"])
            else None,
            "_a": masked_a,
            "_b": masked_b,
        }
    )
table = pd.DataFrame(rows)

fig = go.Figure()
for col, label, colour in (
    ("_a", f"A : {label_a}", charts.OKABE_ITO[4]),
    ("_b", f"B : {label_b}", charts.OKABE_ITO[0]),
):
    fig.add_trace(
        go.Funnel(
            name=label,
            y=table["étape"],
            x=table[col].fillna(0),
            text=table["cohorte A" if col == "_a" else "cohorte B"],
            textinfo="text",
            marker={"color": colour},
        )
    )
fig.update_layout(
    title="Parcours des deux cohortes, de l'entrée à la reprise d'emploi",
    separators=", ",
    legend={"orientation": "h"},
)
st.plotly_chart(fig, width="stretch", key="chart_funnel")
st.caption(
    "Entrées : personnes de la cohorte ; orientées : orientation à la date d'entrée ou après ; "
    "premier rendez-vous (fichiers parcours), contrat (contrat d'engagement ou PPAE valant "
    "contrat, après l'orientation), reprise d'emploi (cessation d'inscription pour reprise "
    "d'emploi, motifs 11 à 25, après l'orientation). Effectifs de 1 à 10 masqués ; parts "
    "non affichées sous 11 personnes. "
    + components.population_caption(a["population"], sentence=True)
)
export = table.drop(columns=["_a", "_b"]).assign(
    **{c: pd.to_numeric(table[c], errors="coerce").round(4) for c in ("part A", "part B")}
)
st.dataframe(
    export,
    hide_index=True,
    width="stretch",
    column_config={
        "part A": st.column_config.NumberColumn(format="percent"),
        "part B": st.column_config.NumberColumn(format="percent"),
    },
)
c1, c2 = st.columns(2)
c1.metric(
    "Délai médian d'orientation (A / B)",
    " / ".join(
        "n.d."
        if r["delai_orientation_median"] is None or not masking.share_allowed(r["orientes"])
        else f"{r['delai_orientation_median']} j"
        for r in (a, b)
    ),
)
c2.metric(
    "Délai médian jusqu'au contrat (A / B)",
    " / ".join(
        "n.d."
        if r["delai_contrat_median"] is None or not masking.share_allowed(r["contrat"])
        else f"{r['delai_contrat_median']} j"
        for r in (a, b)
    ),
)
export.insert(0, "définition", "")
export.loc[0, "définition"] = f"A : {label_a} | B : {label_b}"
export["population"] = a["population"]
components.download(export, f"cohortes_{departement}", "cohortes", excel=True)
