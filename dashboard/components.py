"""What every page draws the same way: masked distributions, time series, tiles and the
download of the data behind each chart (committee views are masked, see masking.py)."""

from __future__ import annotations

import io
from collections.abc import Callable

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import auth, charts
from dashboard.formatting import fmt_month
from pipelines import masking
from pipelines.nomenclatures import nomenclature


def short_labels(name: str) -> dict[str, str]:
    """Code -> short French label of a code list (the label when no short one exists)."""
    return {r["code"]: r.get("libelle_court") or r["libelle"] for r in nomenclature(name)}


PARCOURS_LABELS = {
    "social": "Social",
    "socio_professionnel": "Socio-professionnel",
    "professionnel": "Professionnel",
    "non_renseigne": "Non renseigné",
    "ensemble": "Ensemble",
}


SEXE_LABELS = {"F": "Femmes", "M": "Hommes", "non_renseigne": "Non renseigné"}
AGE_LABELS = {
    "moins_25": "Moins de 25 ans",
    "25_34": "25 à 34 ans",
    "35_44": "35 à 44 ans",
    "45_54": "45 à 54 ans",
    "55_plus": "55 ans ou plus",
    "non_renseignee": "Non renseignée",
}
BREAKDOWNS = {  # key of an indicator result -> (what the user picks, group labels)
    "par_parcours": ("Type de parcours", PARCOURS_LABELS),
    "par_sexe": ("Sexe", SEXE_LABELS),
    "par_tranche_age": ("Tranche d'âge", AGE_LABELS),
}


def breakdown_table(
    result: dict,
    population: str,
    columns: dict[str, Callable[[dict], object]],
    shares: tuple[str, ...],
    title: str,
    caption: str,
    key: str,
) -> None:
    """One indicator broken down by parcours type, sex or age band (the user picks), as a
    table: the group's population masked under the threshold, and its figures hidden
    when that population is too small to publish them (masking.share_allowed)."""
    available = [k for k in BREAKDOWNS if result.get(k)]
    if not available:
        return
    st.markdown(f"**{title}**")
    dimension = st.radio(
        "Répartition par",
        available,
        format_func=lambda k: BREAKDOWNS[k][0],
        horizontal=True,
        key=f"dim_{key}",
    )
    labels = BREAKDOWNS[dimension][1]
    limit = masking.threshold()
    records = []
    for code, group in result[dimension].items():
        n = group[population]
        allowed = masking.share_allowed(n, limit)
        records.append(
            {
                "groupe": labels.get(code, code),
                "personnes": masking.masked_label(masking.mask_distribution({"n": n}, limit)["n"]),
                **{name: (get(group) if allowed else None) for name, get in columns.items()},
            }
        )
    frame = pd.DataFrame(records, columns=["groupe", "personnes", *columns])
    config = {name: st.column_config.NumberColumn(format="percent") for name in shares}
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config)
    st.caption(caption + masked_note() + " Chiffres d'un groupe trop petit non affichés.")
    download(frame, f"{key}_{dimension}", f"dl_{key}")


def download(
    frame: pd.DataFrame,
    name: str,
    key: str,
    excel: bool = False,
    label: str = "Télécharger les données (CSV)",
    where=None,
) -> None:
    """A table as CSV (and Excel), French separators, the export written to the audit.

    Behind a chart it is the data as the committee may see it (already masked). `where` is
    the container to draw in (a column), the page by default.
    """
    cols = st.columns(2) if excel else [where or st]
    cols[0].download_button(
        label,
        frame.to_csv(index=False, sep=";").encode("utf-8-sig"),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"csv_{key}",
        disabled=frame.empty,
        on_click=auth.log_export,
        args=(f"{name}.csv",),
    )
    if excel:
        buffer = io.BytesIO()
        frame.to_excel(buffer, index=False, sheet_name="donnees")
        cols[1].download_button(
            "Télécharger les données (Excel)",
            buffer.getvalue(),
            file_name=f"{name}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"xlsx_{key}",
            on_click=auth.log_export,
            args=(f"{name}.xlsx",),
        )


def masked_note() -> str:
    """What a caption says about masking in this view."""
    limit = masking.threshold()
    if limit <= 1:
        return " Chiffres non masqués (vue d'analyste, tracée) : ne pas diffuser."
    return f" Effectifs de 1 à {limit - 1} masqués (« < {limit} »)."


def masked_frame(counts: dict[str, int], labels: dict[str, str]) -> pd.DataFrame:
    """A distribution with masking applied: 'effectif' for the bars (0 when masked) and
    'affiche' for what is printed ('< 11' when masked)."""
    limit = masking.threshold()
    masked = masking.mask_distribution(counts, limit)
    return pd.DataFrame(
        {
            "code": list(masked),
            "libelle": [labels.get(c, "Non renseigné") for c in masked],
            "effectif": [v if v is not None else 0 for v in masked.values()],
            "affiche": [masking.masked_label(v, limit) for v in masked.values()],
        }
    )


def distribution(
    counts: dict[str, int], family: str, labels: dict[str, str], title: str, caption: str, key: str
) -> None:
    """A bar per code, masked, with its caption and download."""
    if not counts:
        st.info(f"{title} : aucune donnée pour cette période.")
        return
    frame = masked_frame(counts, labels)
    fig = charts.bar(
        frame.rename(columns={"affiche": "libelle_valeur"}),
        "code",
        "effectif",
        family,
        title,
        {"code": "", "effectif": "Personnes"},
    )
    fig.update_xaxes(ticktext=frame["libelle"], tickvals=frame["code"])
    st.plotly_chart(fig, width="stretch", key=f"chart_{key}")
    st.caption(caption + masked_note())
    download(
        frame[["code", "libelle", "affiche"]].rename(columns={"affiche": "effectif"}), key, key
    )


def monthly_counts(
    rows: list[tuple[str, dict[str, int]]], labels: dict[str, str], family: str
) -> pd.DataFrame:
    """Long table (mois, code, libelle, effectif, affiche, part) of counts per month, each
    month masked as its own distribution."""
    records = []
    for month, counts in rows:
        counts = counts or {}
        total = sum(counts.values())
        for code, value in masking.mask_distribution(counts).items():
            records.append(
                {
                    "mois": month,
                    "mois_libelle": fmt_month(month),
                    "code": code,
                    "libelle": labels.get(code, PARCOURS_LABELS.get(code, code)),
                    "effectif": value,
                    "affiche": masking.masked_label(value),
                    "part": (value / total) if value is not None and total else None,
                }
            )
    return pd.DataFrame(
        records,
        columns=["mois", "mois_libelle", "code", "libelle", "effectif", "affiche", "part"],
    )


def stacked(frame: pd.DataFrame, family: str, title: str, as_share: bool, key: str) -> None:
    """Stacked bars per month; masked cells are left out of the bars."""
    if frame.empty:
        st.info(f"{title} : aucune donnée.")
        return
    y = "part" if as_share else "effectif"
    fig = px.bar(
        frame.dropna(subset=[y]),
        x="mois",
        y=y,
        color="code",
        color_discrete_map=charts.COLOURS.get(family, {}),
        title=title,
        labels={"mois": "", y: "Part" if as_share else "Personnes", "code": ""},
        hover_data={"libelle": True, "affiche": True},
    )
    fig.update_layout(separators=", ", barmode="stack", legend_title_text="")
    if as_share:
        fig.update_yaxes(tickformat=".0%")
    for trace in fig.data:
        label = frame.loc[frame["code"] == trace.name, "libelle"]
        if not label.empty:
            trace.name = label.iloc[0]
    st.plotly_chart(fig, width="stretch", key=f"chart_{key}")


def monthly_chart(
    rows: list[tuple[str, dict[str, int]]],
    labels: dict[str, str],
    family: str,
    title: str,
    caption: str,
    key: str,
    name: str,
) -> None:
    """Counts per month as stacked bars (counts or shares, the user's choice), masked
    month by month, with the definition and the download of the masked table."""
    frame = monthly_counts(rows, labels, family)
    as_share = st.toggle("Afficher les parts plutôt que les effectifs", key=f"parts_{key}")
    stacked(frame, family, title, as_share, key)
    st.caption(caption + masked_note())
    download(frame.drop(columns=["effectif", "part"]), name, key)


def lines(
    frame: pd.DataFrame,
    x: str,
    y: str,
    color: str | None,
    title: str,
    ytitle: str,
    key: str,
    share: bool = False,
) -> None:
    if frame.empty or frame[y].isna().all():
        st.info(f"{title} : aucune donnée.")
        return
    fig = px.line(
        frame,
        x=x,
        y=y,
        color=color,
        markers=True,
        title=title,
        labels={x: "", y: ytitle, color or "": ""},
        color_discrete_map=charts.COLOURS.get("parcours", {}),
    )
    fig.update_layout(separators=", ", legend_title_text="")
    if share:
        fig.update_yaxes(tickformat=".0%", range=[0, 1])
    st.plotly_chart(fig, width="stretch", key=f"chart_{key}")


def population_caption(population: str | None, sentence: bool = False) -> str:
    """The words that say which persons a cohort indicator counts (the `population` of
    pipelines/indicators.py: the CAF/MSA flux, else the orientation and parcours files);
    `sentence`: with a capital and a full stop, to stand alone."""
    from pipelines.indicators import POPULATION_CAPTIONS

    text = POPULATION_CAPTIONS.get(population or "sources", POPULATION_CAPTIONS["sources"])
    return f"{text[0].upper()}{text[1:]}." if sentence else text
