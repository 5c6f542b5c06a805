"""dashboard/headlines.py: the context of each Synthèse tile, built once for the page and
the committee report: the département's targets (tile, sentence, reference line), the
national figures only where the definition is ours, the month a year before (masked as
the month is) and the 12-month trend, the tiles grouped by the period they cover.

Synthetic indicator results (the shape of `pipelines.indicators`), so that each rule is
seen on the figures that decide it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard import figures, headlines
from dashboard.formatting import MINUS, NNBSP, fmt_share

MONTH, BEFORE, YEAR = "2026-06", "2026-05", "2025-06"
LIMIT = 11
MONTHS = tuple(headlines.shift_month(MONTH, -i) for i in range(14))  # 2025-05 .. 2026-06

REFERENCES = """\
references:
  drees_orientes:
    libelle: SDD orientées
    valeur: 86 %
    source: DREES
    publication: OARSA 2023
    date: 31/12/2023
    definition: Part des SDD orientées au 31/12.
    indicateur: part_orientes
    detail: ensemble
    population: caf_msa
  drees_moins_6_mois:
    libelle: Orientées depuis moins de six mois
    valeur: 57 %
    source: DREES
    publication: OARSA 2023
    date: 31/12/2023
    definition: Parmi les SDD au RSA depuis moins de six mois.
    indicateur: part_orientes
    detail: moins_6_mois
    population: caf_msa
  cne_parcours_emploi:
    libelle: Parcours emploi
    valeur: 44 %
    source: Comité national pour l'emploi
    publication: bilan des territoires pilotes, juin 2024
    date: juin 2024
    definition: Répartition des orientés de l'expérimentation, autre champ que le nôtre.
"""


@pytest.fixture
def yardsticks(tmp_path: Path, monkeypatch):
    """Targets of 2A and the references above, through the settings."""

    def use(targets: str, references: str = REFERENCES) -> None:
        (tmp_path / "objectifs.yaml").write_text(targets, encoding="utf-8")
        (tmp_path / "references.yaml").write_text(references, encoding="utf-8")
        monkeypatch.setenv("PILOTAGE_OBJECTIFS", str(tmp_path / "objectifs.yaml"))
        monkeypatch.setenv("PILOTAGE_REFERENCES", str(tmp_path / "references.yaml"))

    use('"2A": []\n')
    return use


def _stock(month: str, total: int, contact: float = 0.7) -> dict:
    return {
        "stock_total": total,
        "cat_1_3_share": 0.66,
        "cer_notifie_share": 0.67,
        "contact_90j_share": contact,
    }


def _part(month: str, share: float = 0.79, population: str = "caf_msa") -> dict:
    group = {"personnes": 1800, "part": share, "population": population}
    return {"ensemble": group, "moins_6_mois": {**group, "part": share - 0.1}}


def _delai(month: str, share: float = 0.72, median: int = 30) -> dict:
    return {
        "delai_orientation_jours": {"mediane": median},
        "orientes_30j_share": share,
        "delai_orientation_provisoire": False,
        "orientes_30j_provisoire": False,
        "entrants": 60,
    }


def _contrat(month: str) -> dict:
    return {
        "delai_contrat_jours": {"mediane": 20},
        "contrat_30j_share": 0.5,
        "delai_contrat_provisoire": False,
        "contrat_30j_provisoire": False,
        "orientes": 120,
    }


def _results(stock_year: int = 1594, part_population: str = "caf_msa") -> dict[str, dict]:
    """family -> month -> result, for the 14 months up to MONTH."""
    index = {m: i for i, m in enumerate(sorted(MONTHS))}
    return {
        "stock": {m: _stock(m, 1600 + 10 * index[m]) for m in MONTHS}
        | {YEAR: _stock(YEAR, stock_year, 0.73), MONTH: _stock(MONTH, 1733, 0.76)},
        "orientations": {m: {"orientations": {"social": 50, "professionnel": 90}} for m in MONTHS},
        "intensite": {
            m: {"heures_hebdo": {"personnes": 900, "heures_15_share": 0.01}} for m in MONTHS
        },
        "part_orientes": {m: _part(m, population=part_population) for m in MONTHS}
        | {"2025-12": _part("2025-12", 0.783, part_population)},
        "delai_orientation": {m: _delai(m, 0.6 + 0.01 * index[m]) for m in MONTHS}
        | {MONTH: _delai(MONTH, 0.72)},
        "contrat": {m: _contrat(m) for m in MONTHS},
    }


def _summary(results: dict, month: str) -> dict:
    out = {"departement": "2A", "population": "caf_msa"}
    for family, by_month in results.items():
        if family in ("delai_orientation", "contrat"):
            continue
        out.update(headlines.as_summary(family, by_month[month]))
    return out


def _headline(
    results: dict | None = None,
    withheld: headlines.Withheld | None = None,
    history: bool = True,
):
    results = results or _results()

    def read(family: str, months: list[str]) -> dict:
        return {m: results[family].get(m) for m in months}

    cohortes = {
        f: [(m, results[f][m]) for m in headlines.looked_back(list(MONTHS), MONTH)]
        for f in headlines.COHORTE_FAMILIES
    }
    return headlines.headline(
        _summary(results, MONTH),
        _summary(results, BEFORE),
        MONTH,
        BEFORE,
        cohortes,
        LIMIT,
        withheld or headlines.Withheld(),
        headlines.History(MONTHS, read) if history else None,
    )


def _tile(head: headlines.Headline, key: str) -> headlines.Tile:
    return next(t for t in head.tiles if t.key == key)


def test_a_target_is_on_its_tile_in_the_sentences_and_on_its_chart(yardsticks) -> None:
    yardsticks('"2A":\n  - {indicateur: orientes_30j_share, sens: ">=", valeur: 80 %}\n')
    head = _headline()
    tile = _tile(head, "orientes_30j_share")
    assert tile.objectif_text == "Objectif : ≥ 80\u202f%" and tile.objectif_atteint is False
    assert tile.objectif_text in tile.context
    said = [s for s in head.sentences if s.startswith("Orientés en 30 jours")]
    assert said and said[0].endswith(f"{fmt_share(0.72)} pour la cohorte de juin 2026, "
                                     "sous l'objectif de 80\u202f%.")  # fmt: skip
    chart = figures.trend_with_target(list(tile.trend), "t", True, tile.objectif.valeur, "o")
    lines = [s for s in chart.layout.shapes if s.line.dash == "dash"]
    assert [(s.y0, s.y1) for s in lines] == [(0.8, 0.8)]
    # the tiles without a target say none
    assert _tile(head, "contrat_30j_share").objectif is None
    assert not any("objectif" in s for s in head.sentences if s.startswith("Contrat"))


def test_a_target_met_is_said_so(yardsticks) -> None:
    yardsticks('"2A":\n  - {indicateur: delai_orientation_jours, sens: "<=", valeur: 30 jours}\n')
    head = _headline()
    assert _tile(head, "delai_orientation_jours").objectif_atteint is True
    assert any(s.startswith("Délai médian d'orientation : 30 j pour la cohorte de juin 2026, "
                            "objectif de 30 j tenu") for s in head.sentences)  # fmt: skip


def test_national_figures_only_beside_ours_of_the_same_definition(yardsticks) -> None:
    yardsticks('"2A": []\n')
    tile = _tile(_headline(), "part_orientes")
    texts = [r.text for r in tile.references]
    assert texts == [
        "France : 86\u202f% au 31/12/2023 (DREES, OARSA 2023) ; 2A : 78,3\u202f% au 31/12/2025",
        "Orientées depuis moins de six mois — France : 57\u202f% au 31/12/2023 (DREES, OARSA "
        "2023) ; 2A : 68,3\u202f% au 31/12/2025",
    ]  # ours at the same date of the year (the latest December loaded), not the month's
    every = " ".join(t for t in _headline().tiles for t in t.context)
    assert "44" not in every and "Comité national" not in every  # no key: never beside ours
    # without the CAF/MSA flux our population is not the SDD: not the DREES definition
    other = _tile(_headline(_results(part_population="sources")), "part_orientes")
    assert other.references == ()


def test_the_year_before_is_masked_as_the_month_is(yardsticks) -> None:
    head = _headline()
    stock = _tile(head, "stock_total")
    assert stock.year_ago == YEAR and stock.year_value == "1\u202f594"
    assert stock.year_delta == "+139 sur un an"
    assert stock.year_text == "Un an plus tôt (juin 2025) : 1\u202f594, +139 sur un an"
    contact = _tile(head, "contact_90j_share")
    assert contact.year_delta == "+3,0 points sur un an" and contact.delta_words.endswith("un mois")
    # a year before below the threshold: neither its count nor the difference is given
    small = _tile(_headline(_results(stock_year=LIMIT - 1)), "stock_total")
    assert small.year_value is None and small.year_delta is None
    # the partition hides the territoire's count a year before: no year-on-year delta
    hidden = _headline(withheld=headlines.Withheld(year=(True, False)))
    assert _tile(hidden, "stock_total").year_delta is None
    assert _tile(hidden, "contact_90j_share").year_delta == "+3,0 points sur un an"


def test_signed_deltas_in_words(yardsticks) -> None:
    head = _headline()
    assert _tile(head, "stock_total").delta_words == "+13 sur un mois"  # 1733 − 1720
    # a cohorte is compared with the cohorte before it, not with « un mois »
    share = _tile(head, "orientes_30j_share")  # 72 % for juin as for mai
    assert share.delta_words == "inchangé sur la cohorte précédente"
    assert (share.direction, share.tone) == (0, None)
    results = _results()
    results["delai_orientation"][MONTH] = _delai(MONTH, 0.69, 33)
    worse = _headline(results)
    share, delay = _tile(worse, "orientes_30j_share"), _tile(worse, "delai_orientation_jours")
    assert share.delta_words == f"{MINUS}3,0 points sur la cohorte précédente"
    assert delay.delta_words == "+3 jours sur la cohorte précédente"
    assert (share.direction, share.tone) == (-1, "moins-bien")
    assert (delay.direction, delay.tone) == (1, "moins-bien")  # a longer delay is worse
    contact = _tile(head, "contact_90j_share")  # 76 % against 70 %
    assert (contact.delta_words, contact.tone) == ("+6,0 points sur un mois", "mieux")


@pytest.mark.parametrize(
    ("now", "then", "kind", "said"),
    [
        (1733, 1717, headlines.NUMBER, "+16 sur un mois"),
        (10, 26, headlines.NUMBER, f"{MINUS}16 sur un mois"),
        (1, 1235, headlines.NUMBER, f"{MINUS}1{NNBSP}234 sur un mois"),
        (0.69, 0.72, headlines.SHARE, f"{MINUS}3,0 points sur un mois"),
        (0.735, 0.72, headlines.SHARE, "+1,5 point sur un mois"),
        (0.72, 0.72004, headlines.SHARE, "inchangé sur un mois"),
        (31, 30, headlines.DAYS, "+1 jour sur un mois"),
        (25, 30, headlines.DAYS, f"{MINUS}5 jours sur un mois"),
        (30, 30, headlines.DAYS, "inchangé sur un mois"),
        (None, 30, headlines.DAYS, None),
        (30, None, headlines.NUMBER, None),
    ],
)
def test_delta_words(now, then, kind, said) -> None:
    assert headlines.delta_words(now, then, kind, headlines.MONTH_SPAN) == said


NUMBER_SAID = re.compile(rf"([+{MINUS}])([\d{NNBSP}]+(?:,\d)?)(?: (points?|jours?))? (.+)")
UNITS = {headlines.NUMBER: None, headlines.SHARE: "point", headlines.DAYS: "jour"}
PRECISION = {headlines.NUMBER: 0.5, headlines.SHARE: 0.05, headlines.DAYS: 0.5}  # printed unit


@given(
    st.sampled_from([headlines.NUMBER, headlines.SHARE, headlines.DAYS]),
    st.floats(-1e6, 1e6) | st.integers(-1_000_000, 1_000_000),
    st.floats(-1e6, 1e6) | st.integers(-1_000_000, 1_000_000),
)
def test_delta_words_say_the_sign_and_the_size(kind, now, then) -> None:
    """For any two values of any kind: « inchangé » exactly when the difference rounds to
    zero as printed, else its sign (« + » or the typeset « − », never a hyphen), its size
    within the printed precision, its unit in words (singular below 2), the span last."""
    if kind == headlines.SHARE:
        now, then = now / 1e6, then / 1e6  # shares: fractions
    said = headlines.delta_words(now, then, kind, headlines.YEAR_SPAN)
    diff = 100 * (now - then) if kind == headlines.SHARE else now - then
    precision = PRECISION[kind]
    if abs(diff) < precision * 0.999:  # rounds to zero whatever the float's last bit
        assert said == f"{headlines.UNCHANGED} {headlines.YEAR_SPAN}"
        return
    if abs(diff) <= precision * 1.001:  # on the rounding edge: either is right
        return
    match = NUMBER_SAID.fullmatch(said)
    assert match and "-" not in said, said
    sign, number, unit, span = match.groups()
    assert sign == ("+" if diff > 0 else MINUS)
    size = float(number.replace(NNBSP, "").replace(",", "."))
    assert abs(size - abs(diff)) <= precision * 1.001
    expected_unit = UNITS[kind]
    assert unit == (None if expected_unit is None else expected_unit + "s" * (size >= 2))
    assert span == headlines.YEAR_SPAN


def test_trend_of_twelve_months_ending_with_the_month(yardsticks) -> None:
    tile = _tile(_headline(), "orientes_30j_share")
    assert [m for m, _ in tile.trend] == sorted(MONTHS)[-12:]
    assert tile.trend_words == "en hausse sur 12 cohortes"
    assert _tile(_headline(history=False), "orientes_30j_share").trend == ()


def test_tiles_are_grouped_by_the_period_they_cover(yardsticks) -> None:
    head = _headline()
    titles = [g.title for g in head.groups]
    assert titles[0].startswith("À la fin de juin 2026")
    assert titles[1].startswith("Au cours de juin 2026")
    assert titles[2].startswith("Entrants au RSA de la cohorte de juin 2026 (complète")
    assert titles[3].startswith("Personnes orientées de la cohorte de juin 2026")
    keys = [[t.key for t in g.tiles] for g in head.groups]
    assert keys[0] == ["stock_total", "cat_1_3_share", "cer_notifie_share",
                       "contact_90j_share", "part_orientes"]  # fmt: skip
    assert keys[1] == ["orientations", "heures_hebdo"]
    assert sorted(k for g in keys[2:] for k in g) == sorted(
        f.key for f in headlines.COHORTE_FIGURES
    )
    assert head.tiles == [t for g in head.groups for t in g.tiles]


def test_a_refused_targets_file_gives_no_target_and_says_why(yardsticks) -> None:
    yardsticks('"2A":\n  - {indicateur: inconnue, sens: ">=", valeur: 80 %}\n')
    head = _headline()
    assert not any(t.objectif for t in head.tiles)
    assert head.warnings and head.warnings[0].startswith("Objectifs non affichés : ")
    assert "indicateur « inconnue » inconnu" in head.warnings[0]


def test_the_synthese_page_shows_groups_targets_and_references(
    sample_db, monkeypatch, yardsticks
) -> None:
    """The page as the committee opens it (AppTest, signed in as `comite` of 2A): tiles
    under a heading per period, the target under its tile and as a dashed line on the
    indicator's trend chart, the DREES figure beside the département's."""
    from streamlit.testing.v1 import AppTest

    from dashboard.texte import for_markdown
    from pipelines.access import User
    from pipelines.settings import DEFAULT_REFERENCES
    from tests.conftest import APP
    from tests.streamlit_session import sign_in

    yardsticks(
        '"2A":\n  - {indicateur: part_orientes, sens: ">=", valeur: 80 %}\n',
        DEFAULT_REFERENCES.read_text(encoding="utf-8"),
    )
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    at = AppTest.from_file(APP, default_timeout=300)  # a first view computes 12 months
    sign_in(at, User("c", "comite", ("2A",)))
    at.query_params.update({"dep": "2A", "mois": MONTH})
    at.run()
    assert not at.exception, at.exception
    headings = [m.value for m in at.markdown if m.value.startswith("**")]
    assert headings[:2] == [
        f"**{for_markdown('À la fin de juin 2026 : personnes suivies à cette date')}**",
        f"**{for_markdown('Au cours de juin 2026 : décisions et prestations du mois')}**",
    ]
    assert any(h.startswith("**" + for_markdown("Entrants au RSA de la cohorte")) for h in headings)
    captions = " ".join(c.value for c in at.caption)
    assert for_markdown("Objectif : ≥ 80\u202f%") in captions
    assert for_markdown("France : 86\u202f% au 31/12/2023 (DREES, OARSA 2023) ; 2A : ") in captions
    assert for_markdown("Un an plus tôt (juin 2025) : ") in captions
    labels = [m.label for m in at.metric]
    assert "Part orientée (DREES)" in labels
    # each metric's delta is the builder's words, as the committee report prints them
    deltas = [m.delta for m in at.metric if m.delta]
    assert any(d.endswith(" sur la cohorte précédente") for d in deltas), deltas
    assert all(re.match(rf"[+{MINUS}]\d|inchangé ", d) for d in deltas), deltas
    charts = [c for c in at.get("plotly_chart") if "objectif_part_orientes" in str(c.proto.id)]
    assert len(charts) == 1 and '"dash":"dash"' in charts[0].proto.spec.replace(" ", "")
