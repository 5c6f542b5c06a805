"""dashboard/views/synthese.py on the demo warehouse: tiles, trend, sentences and the
territoire table equal the indicator layer, masked at the published threshold."""

from __future__ import annotations

from dashboard import headlines
from dashboard.formatting import MINUS, fmt_int, fmt_share, of_month
from dashboard.views.synthese import NO_PREVIOUS, synthese_view, territoire_table
from pipelines import indicators
from pipelines.masking import count_label

MONTH = "2026-06"  # a demo month with a month before it and complete cohortes


def test_tiles_trend_and_sentences_are_the_indicator_layers(view_reader) -> None:
    view = synthese_view("2A", MONTH, None)
    now = indicators.summary(view_reader, "2A", MONTH)
    before = indicators.summary(view_reader, "2A", "2026-05")
    assert view.stock[0].value == fmt_int(now["stock_total"])
    assert view.stock[0].delta_words == headlines.delta_words(
        now["stock_total"], before["stock_total"], headlines.NUMBER, headlines.MONTH_SPAN
    )
    assert view.stock[0].delta_words.startswith(("+", MINUS))
    assert [t.value for t in view.stock[2:]] == [
        fmt_share(now["cer_notifie_share"]),
        fmt_share(now["contact_90j_share"]),
    ]
    months = sorted(m for m in indicators.months_available(view_reader, "2A") if m <= MONTH)
    expected = tuple(  # the 12 months ending with the month shown
        (m, indicators.stock(view_reader, "2A", m)["stock_total"]) for m in months[-12:]
    )
    assert view.stock[0].trend == expected
    diff = now["stock_total"] - before["stock_total"]
    assert diff  # the demo's stock moves from May to June, or the sentence test proves nothing
    assert view.sentences[0] == (
        "Le nombre de bénéficiaires du RSA inscrits à France Travail "
        f"{'augmente' if diff > 0 else 'baisse'} de {fmt_int(abs(diff))} par rapport à mai 2026."
    )
    # a cohorte sentence: the figures of the two complete cohortes it names
    tile = next(t for row in view.main for t, _ in row if t.label == "Contrat en 30 jours")
    now_30, then_30 = (
        indicators.contrat(view_reader, "2A", m)["contrat_30j_share"]
        for m in (tile.cohorte, tile.previous)
    )
    compared = (
        f"Contrat en 30 jours : {fmt_share(now_30)} pour la cohorte {of_month(tile.cohorte)}, "
        f"contre {fmt_share(then_30)} pour la cohorte {of_month(tile.previous)}"
    )  # then « . » or, with a target (objectifs.yaml), « ; sous l'objectif de … »
    assert any(s.startswith(compared) for s in view.sentences), view.sentences
    # month tiles name the month, cohorte tiles the cohorte they show
    captions = [caption for row in view.main for _, caption in row]
    assert captions[0] == "mois de juin 2026" and captions[-1] == "mois de juin 2026"
    assert all(c.startswith("cohorte ") for c in captions[1:-1])
    assert "Population" not in view.population and "flux bénéficiaires CAF/MSA" in view.population


def test_the_first_month_has_nothing_to_compare(view_reader) -> None:
    first = indicators.months_available(view_reader, "2A")[-1]
    view = synthese_view("2A", first, None)
    assert view.sentences[0] == NO_PREVIOUS or not view.sentences[0].startswith("Le nombre")
    assert view.stock[0].delta_words is None


def test_cat_1_3_is_the_share_of_categories_1_to_3_in_the_stock(view_reader) -> None:
    """Counted here straight from the PECGM stock table, not through the indicator code."""
    (n, total) = view_reader.execute(
        "SELECT count(*) FILTER (WHERE code_categorie IN ('1', '2', '3')), count(*) "
        "FROM pecgm_stock WHERE departement = '2A' AND mois = CAST(? AS DATE)",
        [f"{MONTH}-01"],
    ).fetchone()
    assert indicators.stock(view_reader, "2A", MONTH)["cat_1_3_share"] == round(n / total, 4)
    assert synthese_view("2A", MONTH, None).stock[1].value == fmt_share(n / total)


def test_territoire_table_masks_each_territoire(view_reader, publish_at) -> None:
    known = indicators.communes_par_territoire(view_reader, "2A")
    view = synthese_view("2A", MONTH, None)
    assert view.territoires == known and view.compare_label == "Comparer les 4 territoires"
    table = territoire_table(view).frame.set_index("territoire")
    for label, communes in known.items():
        stock = indicators.stock(view_reader, "2A", MONTH, communes)
        orientations = indicators.orientations(view_reader, "2A", MONTH, communes)
        assert table.loc[label, "inscrits"] == fmt_int(stock["stock_total"])
        assert table.loc[label, "décisions d'orientation"] == fmt_int(
            sum(orientations["orientations"].values())
        )
        assert table.loc[label, "catégories 1 à 3"] == stock["cat_1_3_share"]
    # published at 100: every territoire's decisions (22 to 38) are masked, the stock is not
    publish_at(100)
    masked = territoire_table(synthese_view("2A", MONTH, None)).frame
    assert set(masked["décisions d'orientation"]) == {"< 100"}
    assert all(v == count_label(int(v.replace("\u202f", "")), 100) for v in masked["inscrits"])
    # at 500 the stock of a territoire (about 430) is masked and its share withheld
    publish_at(500)
    table = territoire_table(synthese_view("2A", MONTH, None))
    assert set(table.frame["inscrits"]) == {"< 500"}
    assert table.frame["catégories 1 à 3"].isna().all()
    assert "Effectifs de 1 à 499 masqués" in table.caption


def test_a_territoire_view_offers_no_comparison(view_reader) -> None:
    communes = next(iter(indicators.communes_par_territoire(view_reader, "2A").values()))
    view = synthese_view("2A", MONTH, communes)
    assert view.territoires == {}
    stock = indicators.stock(view_reader, "2A", MONTH, communes)["stock_total"]
    assert view.stock[0].value == fmt_int(stock)


def test_differencing_the_territoires_gives_no_masked_count_away(view_reader, publish_at) -> None:
    """A threshold that hides one territoire's decisions alone: another is hidden with it,
    in the table and on that territoire's own Synthèse, and the département stays shown."""
    known = indicators.communes_par_territoire(view_reader, "2A")
    decisions = {
        label: sum(indicators.orientations(view_reader, "2A", MONTH, cs)["orientations"].values())
        for label, cs in known.items()
    }
    second = sorted(set(decisions.values()))[1]
    limit = publish_at(second)  # only the smallest territoire is below it
    table = territoire_table(synthese_view("2A", MONTH, None)).frame.set_index("territoire")
    hidden = {t for t in known if table.loc[t, "décisions d'orientation"] == f"< {limit}"}
    assert len(hidden) >= 2 and any(decisions[t] >= limit for t in hidden)
    for label in hidden:
        own = synthese_view("2A", MONTH, known[label])
        tile = next(t for row in own.main for t, _ in row if t.label == "Décisions d'orientation")
        assert (tile.value, tile.delta_words) == (f"< {limit}", None)
    whole = synthese_view("2A", MONTH, None)
    tile = next(t for row in whole.main for t, _ in row if t.label == "Décisions d'orientation")
    assert tile.value == fmt_int(sum(decisions.values()))


def test_the_category_chart_counts_every_code(view_reader) -> None:
    """F, G, 6 to 8 and « non renseignée » are bars of the chart: it adds up to the stock,
    as on the Demandeurs page and in the PDF."""
    from dashboard import figures

    view = synthese_view("2A", MONTH, None)
    categories = view.distributions[0]
    stock = indicators.stock(view_reader, "2A", MONTH)
    assert categories.counts == stock["categorie"]
    assert sum(categories.counts.values()) == stock["stock_total"]
    frame = figures.masked_frame(categories.counts, categories.labels, 11)
    assert set(frame["code"]) == set(stock["categorie"])
    assert all(code in categories.labels for code in stock["categorie"])
