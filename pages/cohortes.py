"""Cohortes (analysts): define two cohorts by entry or orientation month and attributes,
see each funnel (entry -> orientation -> first appointment -> contract -> return to work)
side by side, and export the aggregated table (CSV, Excel)."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import charts, components, db, filters
from dashboard.formatting import fmt_month
from pipelines import masking
from pipelines.indicators import AGE_BANDS, HORIZONS

departement, month, communes = filters.open_page("cohortes", "Cohortes")
months = sorted(db.months(departement))
caption = st.empty()  # filled once the data date is known

top_left, top_right = st.columns(2)
horizon = (
    top_left.segmented_control(
        "Suivi égal : étapes comptées dans les",
        HORIZONS,
        default=90,
        format_func=lambda d: f"{d} jours",
        key="horizon",
        help="Chaque étape est comptée si elle a lieu dans ce nombre de jours après l'entrée "
        "(cohorte définie par le mois d'entrée) ou après l'orientation (cohorte définie par le "
        "mois d'orientation) : deux cohortes sont ainsi comparées à durée de suivi égale.",
    )
    or 90
)
immatures = top_right.radio(
    "Cohorte pas encore suivie aussi longtemps",
    ["marquer", "exclure"],
    horizontal=True,
    key="immatures",
    format_func={
        "marquer": "la marquer provisoire",
        "exclure": "exclure ses mois trop récents",
    }.get,
)

AGE_FR = {
    "moins_25": "Moins de 25 ans",
    "25_34": "25 à 34 ans",
    "35_44": "35 à 44 ans",
    "45_54": "45 à 54 ans",
    "55_plus": "55 ans et plus",
}
COHORT_COLOURS = (charts.OKABE_ITO[4], charts.OKABE_ITO[0])  # A, B: the same on every chart
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
        definition = {
            "base": base,
            "debut": debut,
            "fin": fin,
            "communes": communes,
            "horizon": horizon,
            "immatures": immatures,
            "parcours": parcours,
            "tranche_age": age,
            "sexe": sexe,
            "modalite": modalite,
            "commune": commune,
        }
        result = db.cohort(departement, **definition)
        if result["provisoire"]:
            st.warning(
                f"Provisoire : les personnes de {fmt_month(fin)} n'ont pas toutes {horizon} "
                "jours de suivi à la date des données ; leurs étapes sont encore incomplètes."
            )
        if result["mois_exclus"]:
            st.info(
                f"{result['mois_exclus']} mois trop récent(s) pour {horizon} jours de suivi "
                "exclu(s) de la cohorte."
            )
        return label, result, definition


left, right = st.columns(2)
recent = months[-3:] if len(months) >= 3 else months
earlier = months[-15:-12] if len(months) >= 15 else months[:3]
label_a, a, definition_a = cohort_form(left, "A", recent)
label_b, b, definition_b = cohort_form(right, "B", earlier)
caption.caption(
    f"Département {departement} · une cohorte = les personnes entrées au RSA (ou orientées) "
    "pendant les mois choisis ; toutes sources reliées par identifiants pseudonymisés"
    + components.data_date_note(a["date_donnees"] or b["date_donnees"])
)
label_a += " (provisoire)" if a["provisoire"] else ""
label_b += " (provisoire)" if b["provisoire"] else ""

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
for col, label, colour, result in (
    ("_a", f"A : {label_a}", COHORT_COLOURS[0], a),
    ("_b", f"B : {label_b}", COHORT_COLOURS[1], b),
):
    fig.add_trace(
        go.Funnel(
            name=label,
            y=table["étape"],
            x=table[col].fillna(0),
            text=table["cohorte A" if col == "_a" else "cohorte B"],
            textinfo="text",
            # a provisional cohort drawn apart: hollow bars, its label says so
            marker={
                "color": "rgba(255,255,255,0)" if result["provisoire"] else colour,
                "line": {"color": colour, "width": 3 if result["provisoire"] else 0},
            },
        )
    )
fig.update_layout(
    title=f"Parcours des deux cohortes, de l'entrée à la reprise d'emploi, en {horizon} jours",
    separators=", ",
    legend={"orientation": "h"},
)
st.plotly_chart(fig, width="stretch", key="chart_funnel")
st.caption(
    f"Chaque étape est comptée dans les {horizon} jours suivant l'entrée (cohorte par mois "
    "d'entrée) ou l'orientation (cohorte par mois d'orientation). "
    "Entrées : personnes de la cohorte ; orientées : orientation à la date d'entrée ou après ; "
    "premier rendez-vous (fichiers parcours), contrat (contrat d'engagement ou PPAE valant "
    "contrat, après l'orientation), reprise d'emploi (cessation d'inscription pour reprise "
    "d'emploi, motifs 11 à 25, après l'orientation). Effectifs de 1 à 10 masqués ; parts "
    "non affichées sous 11 personnes. "
    + components.population_caption(a["population"], sentence=True)
)
export = table.drop(columns=["_a", "_b"]).assign(
    **{c: pd.to_numeric(table[c], errors="coerce").round(4) for c in ("part A", "part B")},
    **{
        f"provisoire {name}": "oui" if r["provisoire"] else "non"
        for name, r in (("A", a), ("B", b))
    },
)
st.dataframe(components.readable(export, ("part A", "part B")), hide_index=True, width="stretch")
c1, c2 = st.columns(2)
provisional_note = "".join(
    f" · {name} provisoire" for name, r in (("A", a), ("B", b)) if r["provisoire"]
)
c1.metric(
    f"Délai médian d'orientation (A / B){provisional_note}",
    " / ".join(
        "n.d."
        if r["delai_orientation_median"] is None or not masking.share_allowed(r["orientes"])
        else f"{r['delai_orientation_median']} j"
        for r in (a, b)
    ),
)
c2.metric(
    f"Délai médian jusqu'au contrat (A / B){provisional_note}",
    " / ".join(
        "n.d."
        if r["delai_contrat_median"] is None or not masking.share_allowed(r["contrat"])
        else f"{r['delai_contrat_median']} j"
        for r in (a, b)
    ),
)
export.insert(0, "définition", "")
export.loc[0, "définition"] = f"A : {label_a} | B : {label_b} | suivi : {horizon} jours"
export["population"] = a["population"]
components.download(export, f"cohortes_{departement}", "cohortes", excel=True)

st.subheader("Délais des deux cohortes, en tenant compte des personnes encore en attente")
curves = pd.DataFrame(
    [
        {**point, "cohorte": name}
        for name, definition in ((f"A : {label_a}", definition_a), (f"B : {label_b}", definition_b))
        for point in db.cohort_curves(departement, **definition)
    ],
    columns=["courbe", "jour", "part", "effectif", "observe", "provisoire", "cohorte"],
)
curves = curves[curves["observe"] & (curves["effectif"] >= masking.threshold())]
k1, k2 = st.columns(2)
for column, kind, title, xtitle in (
    (k1, "orientation", "Part orientée, selon les jours depuis l'entrée", "Jours depuis l'entrée"),
    (k2, "contrat", "Part avec contrat, selon les jours depuis l'orientation",
     "Jours depuis l'orientation"),
):  # fmt: skip
    points = curves[curves["courbe"] == kind]
    with column:
        if points.empty:
            st.info(
                f"{title} : pas de cohorte d'au moins {masking.threshold()} personnes"
                + (" définie par le mois d'entrée." if kind == "orientation" else ".")
            )
            continue
        fig = charts.cohort_lines(
            points, "jour", "part", "cohorte", "provisoire", title,
            {"jour": xtitle, "part": "Part"}, family="cohorte", markers=False,
            palette=COHORT_COLOURS,
        )  # fmt: skip
        fig.update_yaxes(tickformat=".0%", range=[0, 1])
        fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.3})
        st.plotly_chart(fig, width="stretch", key=f"chart_km_{kind}")
st.caption(
    "Estimation de Kaplan–Meier (comme contrat_courbe) : une personne sans orientation ou "
    "sans contrat est suivie jusqu'à la date des données puis censurée ; en tirets "
    "(provisoire), les jours au-delà du suivi de la personne la moins suivie. Cohortes de "
    "moins de 11 personnes non tracées."
)
