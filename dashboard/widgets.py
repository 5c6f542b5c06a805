"""What every page draws the same way: masked distributions, time series, tiles and the
download of the data behind each chart (committee views are masked, see masking.py)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import auth, figure_cache, figures
from dashboard.formatting import fmt_date, fmt_int, fmt_share
from dashboard.texte import for_markdown
from dashboard.views.elements import Distribution, MonthlyChart
from pipelines import export, masking
from pipelines.indicators import POPULATION_LABELS
from pipelines.masking import NOT_AVAILABLE, count_label
from pipelines.masking import masking_note as masked_note
from pipelines.nomenclatures import nomenclature


def short_labels(name: str) -> dict[str, str]:
    """Code -> short French label of a code list (the label when no short one exists)."""
    return {r["code"]: r.get("libelle_court") or r["libelle"] for r in nomenclature(name)}


PARCOURS_LABELS = figures.PARCOURS_LABELS


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


FAMILY_LABELS = {"stock": "PECGM", "delai_orientation": "orientations", "contrat": "contrats"}


def data_date_note(dates: dict[str, str | None] | str | None) -> str:
    """' · données au 31 octobre 2026', for a caption: the data date of the page's
    families (one date, or one per family when they differ)."""
    if isinstance(dates, str) or dates is None:
        return f" · données au {fmt_date(dates)}" if dates else ""
    known = {k: v for k, v in dates.items() if v}
    if not known:
        return ""
    if len(set(known.values())) == 1:
        return f" · données au {fmt_date(next(iter(known.values())))}"
    return " · données au " + ", ".join(
        f"{fmt_date(v)} ({FAMILY_LABELS.get(k, k)})" for k, v in known.items()
    )


def provisional_label(result: dict | None, flags: dict[str, str]) -> str:
    """The `provisoire` cell of a table row: 'non', or 'oui : ' and the figures of the row
    whose window has not closed at the data date (flags: `<share>_provisoire` -> label)."""
    if not result:
        return NOT_AVAILABLE
    open_ = [label for key, label in flags.items() if result.get(key)]
    return "oui : " + ", ".join(open_) if open_ else "non"


def readable(frame: pd.DataFrame, shares=(), numbers=()) -> pd.DataFrame:
    """A table as the committee reads it, as text: shares as '12,5 %', other numbers in
    French ('12', '0,45'), and 'n.d.' where a value is missing or withheld — never 'None'
    or 'nan' (st.dataframe prints an empty cell as 'None', whatever a Styler says). The
    exports keep the numbers."""

    def number(value) -> str:
        if pd.isna(value):
            return NOT_AVAILABLE
        value = float(value)
        return fmt_int(int(value)) if value.is_integer() else f"{round(value, 2)}".replace(".", ",")

    def share(value) -> str:
        return NOT_AVAILABLE if pd.isna(value) else fmt_share(float(value))

    formats = {c: share for c in shares if c in frame} | {c: number for c in numbers if c in frame}
    out = frame.astype(object).where(frame.notna(), NOT_AVAILABLE)
    for column, fmt in formats.items():
        out[column] = frame[column].map(fmt)
    return out


def share_table(frame: pd.DataFrame, shares: tuple[str, ...] = ("part",)) -> None:
    """A table whose `shares` columns are drawn as percentages (the one way every page
    shows a table of shares)."""
    percent = st.column_config.NumberColumn(format="percent")
    st.dataframe(
        frame, hide_index=True, width="stretch", column_config=dict.fromkeys(shares, percent)
    )


def breakdown_table(
    result: dict,
    population: str,
    columns: dict[str, Callable[[dict], object]],
    shares: tuple[str, ...],
    title: str,
    caption: str,
    key: str,
    provisional: dict[str, str] | None = None,
    linked: dict[str, frozenset[str]] | None = None,
) -> None:
    """One indicator broken down by parcours type, sex or age band (the user picks), as a
    table: the group's population masked under the threshold, and its figures hidden
    when that population is too small to publish them (masking.share_allowed). Every
    group belongs to the same cohorte, so they are compared at equal follow-up; with
    `provisional` (`<share>_provisoire` key -> label) a `provisoire` column says which
    figures of the cohorte are still provisional."""
    available = [k for k in BREAKDOWNS if result.get(k)]
    if not available:
        return
    st.markdown(f"**{for_markdown(title)}**")
    dimension = st.radio(
        "Répartition par",
        available,
        format_func=lambda k: BREAKDOWNS[k][0],
        horizontal=True,
        key=f"dim_{key}",
    )
    frame = breakdown_frame(result, dimension, population, columns, provisional, linked)
    numbers = [c for c in columns if c not in shares]
    st.dataframe(readable(frame, shares, numbers), hide_index=True, width="stretch")
    st.caption(
        caption
        + masked_note()
        + " Chiffres d'un groupe trop petit : « n.d. »."
        + (" Provisoire : fenêtre pas encore écoulée à la date des données." if provisional else "")
    )
    download(frame, f"{key}_{dimension}", f"dl_{key}")


def breakdown_frame(
    result: dict,
    dimension: str,
    population: str,
    columns: dict[str, Callable[[dict], object]],
    provisional: dict[str, str] | None = None,
    linked: dict[str, frozenset[str]] | None = None,
) -> pd.DataFrame:
    """The rows `breakdown_table` prints for one dimension: each group's population masked
    alone, or, with `linked` (dimension -> the groups the partition's decision hides in
    the scope's row), as its row of that decision; a group's figures withheld when its
    population is too small or hidden."""
    labels = BREAKDOWNS[dimension][1]
    limit = masking.threshold()
    groups = result[dimension]
    hidden = None if linked is None else linked.get(dimension)
    counts = {code: group[population] for code, group in groups.items()}
    shown = (
        masking.mask_cells(counts, limit)
        if hidden is None
        else masking.mask_distribution(counts, limit, hidden)
    )
    records = []
    for code, group in groups.items():
        n = group[population]
        allowed = masking.share_allowed(n, limit) and (n == 0 or shown[code] is not None)
        records.append(
            {
                "groupe": labels.get(code, code),
                "personnes": count_label(n, limit)
                if shown[code] is not None or n is None
                else masking.masked_label(None, limit),
                **{name: (get(group) if allowed else None) for name, get in columns.items()},
                **({"provisoire": provisional_label(group, provisional)} if provisional else {}),
            }
        )
    extra = ["provisoire"] if provisional else []
    return pd.DataFrame(records, columns=["groupe", "personnes", *columns, *extra])


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
    name = export.file_stem(name, st.query_params.get("dep"), st.query_params.get("mois"))
    # built on click only: most views never download
    built_on_click(
        cols[0], label, lambda: export.csv_bytes(frame), f"{name}.csv", "text/csv",
        key=f"csv_{key}", disabled=frame.empty,
    )  # fmt: skip
    if excel:
        built_on_click(
            cols[1], "Télécharger les données (Excel)", lambda: export.xlsx_bytes(frame),
            f"{name}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"xlsx_{key}",
        )  # fmt: skip


def built_on_click(
    where,
    label: str,
    build: Callable[[], bytes],
    file_name: str,
    mime: str,
    key: str,
    disabled: bool = False,
) -> None:
    """A download button whose file is built when clicked, audited when delivered.

    The click does not rerun the page: see `auth.audited_on_delivery` for the race a rerun
    would start with the file request."""
    where.download_button(
        label,
        auth.audited_on_delivery(file_name, build),
        file_name=file_name,
        mime=mime,
        key=key,
        disabled=disabled,
        on_click="ignore",
    )


def masked_frame(
    counts: dict[str, int], labels: dict[str, str], linked: frozenset[str] | None = None
) -> pd.DataFrame:
    """A distribution masked at this view's threshold (see `figures.masked_frame`)."""
    return figures.masked_frame(counts, labels, masking.threshold(), linked)


def distribution_args(
    counts: dict[str, int],
    family: str,
    labels: dict[str, str],
    title: str,
    linked: frozenset[str] | None = None,
) -> tuple:
    """The arguments of `figures.distribution` for a distribution masked at this view's
    threshold: `distribution` draws it, the server's filling builds it ahead
    (dashboard/warm.py)."""
    return masked_frame(counts, labels, linked), family, title


def distribution(
    counts: dict[str, int],
    family: str,
    labels: dict[str, str],
    title: str,
    caption: str,
    key: str,
    linked: frozenset[str] | None = None,
) -> None:
    """A bar per code, masked (`linked`: a decision over linked tables), with its caption
    and download."""
    if not counts:
        st.info(f"{for_markdown(title)} : aucune donnée pour cette période.")
        return
    args = distribution_args(counts, family, labels, title, linked)
    frame = args[0]
    figure_cache.chart(figures.distribution, *args, key=key)
    st.caption(caption + masked_note())
    download(
        frame[["code", "libelle", "affiche"]].rename(columns={"affiche": "effectif"}), key, key
    )


def monthly_counts(
    rows: list[tuple[str, dict[str, int]]],
    labels: dict[str, str],
    family: str,
    codes: tuple[str, ...] | None = None,
    linked: dict[str, frozenset[str]] | None = None,
) -> pd.DataFrame:
    """Counts per month masked at this view's threshold (see `figures.monthly_counts`)."""
    return figures.monthly_counts(rows, labels, masking.threshold(), codes, linked)


def stacked_args(
    chart: MonthlyChart, as_share: bool = False, frame: pd.DataFrame | None = None
) -> tuple | None:
    """The arguments of `figures.stacked` for a monthly chart masked at this view's
    threshold (`frame`: its `monthly_counts`, when already computed; None: nothing to
    draw): `monthly_chart` draws it, the server's filling builds it ahead with the page's
    default, counts (dashboard/warm.py)."""
    if frame is None:
        frame = monthly_counts(chart.rows, chart.labels, chart.family, chart.codes, chart.linked)
    return None if frame.empty else (frame, chart.family, chart.title, as_share)


def figure_calls(*elements: object) -> list[tuple[Callable[..., go.Figure], tuple]]:
    """The figures the widgets draw for view elements (a `MonthlyChart`, a `Distribution`,
    a `figures.LineChart`, each as its widget below draws it with the page's default
    choices), as (builder, arguments): the keys under which the server's filling builds
    a page's figures ahead (dashboard/warm.py), computed by the widgets' own helpers."""
    calls: list[tuple[Callable[..., go.Figure], tuple]] = []
    for element in elements:
        if isinstance(element, MonthlyChart):
            args = stacked_args(element)
            if args is not None:
                calls.append((figures.stacked, args))
        elif isinstance(element, Distribution):
            if element.counts:
                calls.append((figures.distribution, distribution_args(
                    element.counts, element.family, element.labels, element.title,
                    element.linked,
                )))  # fmt: skip
        elif isinstance(element, figures.LineChart):
            if figures.has_values(element.frame, element.y):
                calls.append((figures.lines, tuple(element)))
        else:
            raise TypeError(f"pas de graphique pour {type(element).__name__}")
    return calls


def monthly_chart(
    rows: list[tuple[str, dict[str, int]]],
    labels: dict[str, str],
    family: str,
    title: str,
    caption: str,
    key: str,
    name: str,
    codes: tuple[str, ...] | None = None,
    linked: dict[str, frozenset[str]] | None = None,
) -> None:
    """Counts per month as stacked bars (counts or shares, the user's choice), masked
    month by month (`codes`: the subset shown; `linked`: see `figures.monthly_counts`),
    with the definition and the download of the masked table."""
    chart = MonthlyChart(rows, labels, family, title, caption, key, name, codes, linked)
    frame = monthly_counts(rows, labels, family, codes, linked)
    as_share = st.toggle("Afficher les parts plutôt que les effectifs", key=f"parts_{key}")
    args = stacked_args(chart, as_share, frame)
    if args is None:
        st.info(f"{for_markdown(title)} : aucune donnée.")
    else:
        figure_cache.chart(figures.stacked, *args, key=key)
    st.caption(caption + masked_note())
    download(frame.drop(columns=["effectif", "part"]), name, key)


def lines(chart: figures.LineChart, key: str) -> None:
    """Lines over months or cohortes (`figures.lines`), or a note when every value is
    missing or withheld."""
    calls = figure_calls(chart)
    if not calls:
        st.info(f"{for_markdown(chart.title)} : aucune donnée.")
        return
    build, args = calls[0]
    figure_cache.chart(build, *args, key=key)


def line_pair(*charts: tuple[figures.LineChart, str]) -> None:
    """Line charts side by side, one column each (chart, key)."""
    for column, (chart, key) in zip(st.columns(len(charts)), charts, strict=True):
        with column:
            lines(chart, key)


def population_label(population: str | None) -> str:
    """The population of a cohorte in a table cell: « Flux CAF / MSA », never `caf_msa`."""
    return POPULATION_LABELS.get(population or "sources", POPULATION_LABELS["sources"])


def population_caption(population: str | None, sentence: bool = False) -> str:
    """The words that say which persons a cohorte indicator counts (the `population` of
    pipelines/indicators.py: the CAF/MSA flux, else the orientation and parcours files);
    `sentence`: with a capital and a full stop, to stand alone."""
    from pipelines.indicators import POPULATION_CAPTIONS

    text = POPULATION_CAPTIONS.get(population or "sources", POPULATION_CAPTIONS["sources"])
    return f"{text[0].upper()}{text[1:]}." if sentence else text
