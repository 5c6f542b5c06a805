"""dashboard/views/delais.py on the demo warehouse: the delay to contract per orientation
cohorte and parcours type, the curves and the first appointment, masked."""

from __future__ import annotations

from dashboard.formatting import fmt_share
from dashboard.views.delais import delais_view
from pipelines import indicators

MONTH = "2026-06"


def test_cohorte_table_is_the_indicator_layer_per_group(view_reader, demo_scope) -> None:
    months = demo_scope().months
    view = delais_view(demo_scope())
    rows = view.download.set_index(["cohorte", "groupe"])
    for m in months:
        r = indicators.contrat(view_reader, "2A", m)
        groups = {"Ensemble": r, "Social": r["par_parcours"].get("social")}
        for label, g in groups.items():
            if g is None:
                continue
            allowed = g["orientes"] >= 11
            assert rows.loc[(m, label), "contrat_30j"] == (
                fmt_share(g["contrat_30j_share"]) if allowed else "n.d."
            )
            median = rows.loc[(m, label), "mediane_jours"]
            assert (median if allowed else None) == (
                g["delai_contrat_jours"]["mediane"] if allowed else None
            )
    assert view.data_date == indicators.contrat(view_reader, "2A", MONTH)["date_donnees"]
    assert set(view.curve["cohorte"]) <= set(months[-6:]) and not view.curve.empty
    assert (view.curve["effectif"] >= 11).all()
    first = indicators.premier_rdv(view_reader, "2A", MONTH)
    assert view.first_rdv == (
        "Délai médian jusqu'au premier rendez-vous — orientés en juin 2026",
        f"{first['mediane']} jours",
    )


def test_the_sidebar_parcours_keeps_its_rows_only(view_reader, demo_scope) -> None:
    view = delais_view(demo_scope(parcours="professionnel"))
    assert set(view.median.frame["groupe"]) == {"Professionnel"}


def test_everything_is_withheld_under_a_high_threshold(view_reader, demo_scope, publish_at) -> None:
    publish_at(10_000)
    view = delais_view(demo_scope())
    assert view.median.frame["mediane_jours"].isna().all()
    assert set(view.download["contrat_30j"]) == {"n.d."}
    assert view.curve.empty
    assert view.first_rdv[1] == "n.d."
