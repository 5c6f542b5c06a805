"""dashboard/views/cohortes.py on the demo warehouse: two cohortes at equal follow-up,
their funnel, shares and delays, masked, and the export's definition row."""

from __future__ import annotations

from dashboard.formatting import fmt_int, fmt_share
from dashboard.views import cohortes
from pipelines import indicators


def _pair(con, horizon: int = 90, immatures: str = "marquer"):
    months = sorted(indicators.months_available(con, "2A"))
    recent, earlier = cohortes.default_months(months)
    a = cohortes.Choice("entree", recent[0], recent[-1])
    b = cohortes.Choice("entree", earlier[0], earlier[-1], parcours="social")
    return [
        cohortes.cohorte("2A", "A", a, None, horizon, immatures),
        cohortes.cohorte("2A", "B", b, None, horizon, immatures),
    ]


def test_funnel_is_the_indicator_layers_with_shares_of_entrants(view_reader) -> None:
    a, b = _pair(view_reader)
    expected = indicators.cohorte(
        view_reader, "2A", "entree", b.definition["debut"], b.definition["fin"], horizon=90,
        parcours="social",
    )  # fmt: skip
    assert b.result == expected
    view = cohortes.comparison("2A", [a, b], 90)
    rows = view.export.set_index("étape")
    assert rows.loc["Entrées", "cohorte B"] == fmt_int(expected["entres"])
    assert rows.loc["Orientées", "part B"] == round(expected["orientes"] / expected["entres"], 4)
    assert view.table.set_index("étape").loc["Orientées", "part B"] == fmt_share(
        expected["orientes"] / expected["entres"]
    )
    assert b.label.endswith("· Social") and b.warning is None
    assert a.label.endswith("(provisoire)") and "90 jours de suivi" in a.warning
    assert view.export.loc[0, "définition"] == f"A : {a.label} | B : {b.label} | suivi : 90 jours"
    median = expected["delai_orientation_median"]
    assert view.delays[0] == (
        "Délai médian d'orientation (A / B) · A provisoire",
        f"{a.result['delai_orientation_median']} j / {median} j",
    )
    assert [c.kind for c in view.curves] == ["orientation", "contrat"]


def test_immature_months_left_out(view_reader) -> None:
    a, _ = _pair(view_reader, immatures="exclure")
    assert a.warning is None and not a.label.endswith("(provisoire)")
    assert a.info.endswith("exclu(s) de la cohorte.")


def test_small_steps_are_masked_and_their_shares_withheld(view_reader, publish_at) -> None:
    publish_at(10_000)
    pair = _pair(view_reader)
    view = cohortes.comparison("2A", pair, 90)
    assert set(view.export["cohorte A"]) <= {"< 10000", "0"}
    assert view.export["part A"].isna().all()
    assert view.delays[1][1] == "n.d. / n.d."
    assert all(c.figure is None and "10000 personnes" in c.message for c in view.curves)
