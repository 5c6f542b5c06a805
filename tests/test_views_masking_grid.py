"""Distributions inside the territoires (categories, modalités of the inscrits) on every
Synthèse a user can open, the département's and each territoire's, with the inscrits
tiles: no cell printed « < seuil » can be worked out from all of them together
(« département − the other territoires » on one code, second audit, point 5)."""

from __future__ import annotations

import copy

import pytest

from dashboard import figures, widgets
from dashboard.views.accompagnement import accompagnement_view
from dashboard.views.demandeurs import demandeurs_view
from dashboard.views.synthese import synthese_view
from pipelines import indicators, masking, masking_grids

MONTH = "2026-06"
# The inscrits' distributions, as each view's row reads them.
STOCK = {
    **{n: (lambda s, n=n: s[n]) for n in ("categorie", "modalite", "sexe", "tranche_age", "axe")},
    "structure": lambda s: s["structure_suivi"]["principale"],
    "commune": lambda s: s["commune"],  # the Demandeurs page's inscrits by commune
}


def _month_cells(chart, limit: int) -> dict[str, str]:
    """A monthly chart's cells of MONTH as printed (page, PDF, export)."""
    frame = figures.monthly_counts(
        chart.rows, chart.labels, limit, chart.codes, getattr(chart, "linked", None)
    )
    frame = frame[frame["mois"] == MONTH]
    return dict(zip(frame["code"], frame["affiche"], strict=True))


def _topic_pages(demo_scope, communes, limit: int) -> dict[str, dict[str, str]]:
    """What the Demandeurs and Accompagnement pages print of MONTH's inscrits."""
    demandeurs = demandeurs_view(demo_scope(communes=communes))
    accompagnement = accompagnement_view(demo_scope(communes=communes))
    out = {
        "categorie": _month_cells(demandeurs.categories, limit),
        "modalite": _month_cells(accompagnement.modalites, limit),
    }
    for block in (*demandeurs.profile, *accompagnement.distributions):
        frame = figures.masked_frame(
            block.counts, block.labels, limit, getattr(block, "linked", None)
        )
        out[block.family] = dict(zip(frame["code"], frame["affiche"], strict=True))
    communes = demandeurs.communes  # the table as printed and exported
    out["commune"] = dict(zip(communes["commune (code INSEE)"], communes["inscrits"], strict=True))
    return out


def _printed(view, limit: int) -> tuple[dict, dict]:
    """A Synthèse as printed: each distribution's cells, and the inscrits tile."""
    rows = {}
    for block in view.distributions:
        frame = figures.masked_frame(
            block.counts, block.labels, limit, getattr(block, "linked", None)
        )
        rows[block.family] = dict(zip(frame["code"], frame["affiche"], strict=True))
    return rows, view.stock[0].value


def _commune_threshold(con) -> int:
    """A threshold that masks the demo's smallest commune of residence and none of its
    territoires (the demo's communes are all above 30): the issue's « département − the
    other communes » case, on a territoire's Demandeurs page."""
    return min(indicators.stock(con, "2A", MONTH)["commune"].values()) + 1


@pytest.mark.parametrize("limit", [11, 30, None])  # None: _commune_threshold
def test_no_hidden_category_follows_from_every_view(
    view_reader, demo_scope, publish_at, limit
) -> None:
    """Every Synthèse (the département's, each territoire's), and the Demandeurs and
    Accompagnement pages of each (the inscrits by commune de résidence too, parts of
    their territoire's inscrits and of the département's): one decision, nothing
    recomputed from all together, and a commune printed alike on every page."""
    by_commune_case = limit is None
    limit = publish_at(limit or _commune_threshold(view_reader))
    known = indicators.communes_par_territoire(view_reader, "2A")
    tables, cells, hidden = _crossed(view_reader, "stock", STOCK, MONTH)
    masked = f"< {limit}"
    printed_hidden = set()
    by_commune: dict[str, set] = {}  # each commune's cell as every page prints it
    for row, communes in {**known, "département": None}.items():
        rows, inscrits = _printed(synthese_view("2A", MONTH, communes), limit)
        pages = _topic_pages(demo_scope, communes, limit)
        for code, shown in pages["commune"].items():
            by_commune.setdefault(code, set()).add(shown)
        for name in set(rows) & set(pages):  # the same cells, the same decision
            assert pages[name] == rows[name], (row, name)
        for name, shown in {**rows, **pages}.items():
            printed_hidden |= {(name, row, c) for c, v in shown.items() if v == masked}
        if inscrits == masked:
            printed_hidden.add((masking.MARGIN, row))
    shown_on_a_territoire = {c[0] for c in printed_hidden if c[1] != "département"}
    assert "commune" in shown_on_a_territoire if by_commune_case else shown_on_a_territoire
    assert {c: s for c, s in by_commune.items() if len(s) > 1} == {}  # one cell, one masking
    pins = masking.pinned(tables, cells, hidden | printed_hidden)
    assert [c for c in pins if c in printed_hidden] == []


@pytest.mark.parametrize("limit", [11, 30])
def test_the_pdf_masks_the_departements_distributions_as_the_synthese(
    view_reader, publish_at, limit
) -> None:
    """The committee PDF prints the département's categories and modalités with the
    decision taken over its territoires, the one the Synthèse page applies."""
    from dashboard import comite

    publish_at(limit)
    linked = comite._linked(comite.Reads(view_reader, "2A", limit), MONTH)
    page = synthese_view("2A", MONTH, None)
    assert all(d.linked == linked[d.family] for d in page.distributions)
    for block in page.distributions:
        pdf = figures.masked_frame(block.counts, block.labels, limit, linked[block.family])
        shown = figures.masked_frame(block.counts, block.labels, limit, block.linked)
        assert pdf["affiche"].tolist() == shown["affiche"].tolist()


# The other families a territoire's pages show, each crossed with the partition: the
# month's decisions (by parcours type, by organisme, and the persons oriented), the axes and
# structures of the inscrits, the flows. Each reader gives a view's row of one table.
REST = "hors territoire"
ONE = masking.MARGIN  # a single count's own total: the same printed figure
PROFILE_WITH_PARCOURS = ("par_parcours", "par_sexe", "par_tranche_age")


def _single(key: str):
    return lambda r: {key: (r or {}).get(key) or 0}


DECISIONS = {
    "orientations": lambda r: (r or {}).get("orientations") or {},
    "organisme_referent": lambda r: (r or {}).get("organisme_referent") or {},
    "personnes_orientees": _single("personnes_orientees"),
    **{
        k: (lambda r, k=k: {g: sum(c.values()) for g, c in ((r or {}).get(k) or {}).items()})
        for k in ("par_sexe", "par_tranche_age")
    },  # the decisions of each group of the profile table
}
FLOWS = {
    "cessations": _single("cessations"),
    "cessations_motif": lambda r: (r or {}).get("cessations_motif") or {},
    "inscriptions": _single("inscriptions"),
    "radiations": _single("radiations"),
}


_CROSSED: dict = {}  # (warehouse file, family, readers, month) -> _crossed's answer


def _crossed(con, family: str, readers: dict, month: str) -> tuple[list, dict, set]:
    """The tables a reader combines for `family` in `month` (territoires, the rest, the
    département), and the cells no view prints (the rest's row, a total of its own)."""
    return _crossed_months(con, family, readers, [month])[month]


def _crossed_months(con, family: str, readers: dict, months: list[str]) -> dict[str, tuple]:
    """`_crossed` for each of `months`. They depend on the warehouse alone, not on the
    threshold: read once per worker for every test and threshold that asks, the months
    not read yet in one period query per territoire (PERIOD_FAMILIES), each caller
    getting its own copy."""
    (path,) = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()

    def key(month: str) -> tuple:
        return (path, family, tuple(readers), month)

    missing = sorted({m for m in months if key(m) not in _CROSSED})
    if missing:
        for month, answer in _read_crossed(con, family, readers, missing).items():
            _CROSSED[key(month)] = answer
    return {m: copy.deepcopy(_CROSSED[key(m)]) for m in months}


def _read_crossed(con, family: str, readers: dict, months: list[str]) -> dict[str, tuple]:
    known = indicators.communes_par_territoire(con, "2A")
    whole = indicators.months_of(con, family, "2A", months)
    parts = {t: indicators.months_of(con, family, "2A", months, cs) for t, cs in known.items()}
    return {m: _grids(readers, whole[m], {t: p[m] for t, p in parts.items()}) for m in months}


def _grids(readers: dict, whole, parts: dict) -> tuple[list, dict, set]:
    grids = {}
    for name, get in readers.items():
        rows = {t: dict(get(p)) for t, p in parts.items()}
        rest = {c: v - sum(r.get(c, 0) for r in rows.values()) for c, v in get(whole).items()}
        if any(rest.values()):
            rows[REST] = rest
        grids[name] = rows
    tables, cells = masking.grid_tables(grids, "département")
    unseen = {c for c in cells if (REST in c or (len(c) == 3 and c[2] == ONE)) and cells[c]}
    return tables, cells, unseen


def _assert_nothing_pinned(tables, cells, unseen, printed_hidden) -> None:
    assert any(c[1] != "département" for c in printed_hidden)  # or this proves nothing
    pins = masking.pinned(tables, cells, unseen | printed_hidden)
    assert [c for c in pins if c in printed_hidden] == []


def _profile_hidden(profile, dimensions: tuple[str, ...], row: str, masked: str) -> set:
    """The cells of a profile table (the month's) that `row`'s page prints masked."""
    hidden = set()
    for dimension in dimensions:
        frame = widgets.breakdown_frame(
            profile.result, dimension, profile.population, profile.columns, None, profile.linked
        )
        hidden.update(
            (dimension, row, code)
            for code, shown in zip(profile.result[dimension], frame["personnes"], strict=True)
            if shown == masked
        )
    return hidden


def _assert_months_unpinned(
    con, family: str, readers: dict, printed: dict[str, set], total: str, month_only: set
) -> None:
    """No cell printed masked in a month (`printed`) follows from every view of `family`
    together; `total`: the single count whose cell is also its row's margin; `month_only`:
    the groups printed for MONTH alone (unseen in the other months)."""
    assert any(c[1] != "département" for cs in printed.values() for c in cs)
    crossed = _crossed_months(con, family, readers, list(printed))
    for m, hidden in printed.items():
        tables, cells, unseen = crossed[m]
        if m != MONTH:  # only the month's profile is printed
            unseen |= {c for c in cells if c[0] in month_only and cells[c]}
        hidden = hidden | {(masking.MARGIN, c[1]) for c in hidden if c[0] == total}
        hidden |= {(c[0], c[1], ONE) for c in hidden if len(c) == 3} & set(cells)
        pins = masking.pinned(tables, cells, unseen | hidden)
        assert [c for c in pins if c in hidden] == [], m


@pytest.mark.parametrize("limit", [11, 30])
def test_no_hidden_decision_follows_from_every_view(
    view_reader, demo_scope, publish_at, limit
) -> None:
    """The Orientations page of the département and of each territoire (by parcours type,
    unfiltered and filtered, by organisme, by sexe and tranche d'âge, the tiles), with the Synthèse's decisions tile
    and the table by territoire: one decision, nothing recomputed from all together."""
    from dashboard.views.orientations import orientations_view
    from dashboard.views.synthese import territoire_table

    publish_at(limit)
    masked = f"< {limit}"
    known = indicators.communes_par_territoire(view_reader, "2A")
    tables, cells, unseen = _crossed(view_reader, "orientations", DECISIONS, MONTH)
    printed_hidden = set()
    table = territoire_table(synthese_view("2A", MONTH, None)).frame
    by_table = dict(zip(table["territoire"], table["décisions d'orientation"], strict=True))
    for row, communes in {**known, "département": None}.items():
        block = orientations_view(demo_scope(communes=communes)).decisions
        chart = _month_cells(block.monthly, limit)
        organismes = figures.masked_frame(
            block.organismes.counts, block.organismes.labels, limit, block.organismes.linked
        )
        printed_hidden |= {("orientations", row, c) for c, v in chart.items() if v == masked}
        printed_hidden |= {
            ("organisme_referent", row, c)
            for c, v in zip(organismes["code"], organismes["affiche"], strict=True)
            if v == masked
        }
        profile = block.profile
        for dimension in ("par_sexe", "par_tranche_age"):
            frame = widgets.breakdown_frame(
                profile.result, dimension, profile.population, profile.columns, None, profile.linked
            )
            printed_hidden |= {
                (dimension, row, code)
                for code, shown in zip(profile.result[dimension], frame["personnes"], strict=True)
                if shown == masked
            }
        if block.personnes == masked:
            printed_hidden |= {("personnes_orientees", row, "personnes_orientees")}
            printed_hidden |= {("personnes_orientees", row, ONE)} & set(cells)
        synthese = synthese_view("2A", MONTH, communes).main[0][0][0]
        assert synthese.value == block.decisions, row  # the same tile, the same decision
        assert by_table.get(row, block.decisions) == block.decisions, row
        if block.decisions == masked:
            printed_hidden.add((masking.MARGIN, row))
        for parcours in chart:  # a filter shows the unfiltered decision's cell
            scope = demo_scope(communes=communes, parcours=parcours)
            assert orientations_view(scope).decisions.decisions == chart[parcours]
    _assert_nothing_pinned(tables, cells, unseen, printed_hidden)


@pytest.mark.parametrize("limit", [11, 30])
def test_no_hidden_flow_follows_from_every_view(view_reader, demo_scope, publish_at, limit):
    """Inscriptions, cessations (with their motifs) and radiations of every month of the
    Demandeurs page, the département's and each territoire's: territoire flows are parts of
    the département's flows of the same month."""
    publish_at(limit)
    masked = f"< {limit}"
    known = indicators.communes_par_territoire(view_reader, "2A")
    printed: dict[str, set] = {}
    for row, communes in {**known, "département": None}.items():
        flows = demandeurs_view(demo_scope(communes=communes)).flows
        for m, flux, shown in flows.download[["mois", "flux", "affiche"]].itertuples(index=False):
            if shown == masked:
                printed.setdefault(m, set()).add((flux, row, flux))
        motifs = figures.masked_frame(
            flows.motifs.counts, flows.motifs.labels, limit, flows.motifs.linked
        )
        printed.setdefault(MONTH, set()).update(
            ("cessations_motif", row, c)
            for c, v in zip(motifs["code"], motifs["affiche"], strict=True)
            if v == masked
        )
    assert any(c[1] != "département" for cs in printed.values() for c in cs)
    crossed = _crossed_months(view_reader, "flux", FLOWS, list(printed))
    for m, hidden in printed.items():
        tables, cells, unseen = crossed[m]
        if m != MONTH:  # only the month's motifs are printed
            unseen |= {c for c in cells if c[0] == "cessations_motif" and cells[c]}
        hidden = hidden | {(masking.MARGIN, c[1]) for c in hidden if c[0] == "cessations"}
        hidden |= {(c[0], c[1], ONE) for c in hidden if len(c) == 3} & set(cells)
        pins = masking.pinned(tables, cells, unseen | hidden)
        assert [c for c in pins if c in hidden] == [], m


def test_the_partition_can_hide_the_departements_own_total() -> None:
    """The edge case: two territoires of 10 inscrits each at threshold 11, hidden both;
    the département's 20 would give both away (each at most 10), so it goes too, though
    it is above the threshold: every surface must read that decision, not the threshold."""
    counts = {"categorie": {"01": 10}}
    hidden = masking_grids.grid_hidden(counts, {"A": counts, "B": counts}, 11)
    assert masking_grids.total_hidden(hidden, masking_grids.DEPARTEMENT)


@pytest.mark.parametrize("limit", [11, 30])
def test_the_pdf_prints_the_departements_row_of_every_decision(
    view_reader, demo_scope, publish_at, monkeypatch, request, limit
) -> None:
    """The committee PDF's tiles (inscrits, decisions, their deltas), decisions by parcours
    type and organisme, axes and flows are the département's row of the decisions the
    pages take, including when that row's own total is withheld (the edge case above,
    forced here on the demo: the partition hides the département's totals)."""
    from dashboard import comite, figure_cache
    from dashboard.views import partition
    from dashboard.views.accompagnement import accompagnement_view
    from dashboard.views.orientations import orientations_view

    publish_at(limit)
    real = masking_grids.crossed_hidden

    def departement_withheld(family, whole, by_territoire, limit):
        return real(family, whole, by_territoire, limit) | {
            (masking.MARGIN, masking_grids.DEPARTEMENT)
        }

    monkeypatch.setattr(masking_grids, "crossed_hidden", departement_withheld)
    partition._decision.clear()  # decisions cached by earlier tests, and for later ones:
    request.addfinalizer(partition._decision.clear)
    figure_cache._view.clear()  # views built on those decisions too
    request.addfinalizer(figure_cache._view.clear)
    report = comite.build(view_reader, "2A", MONTH, limit=limit)
    page = synthese_view("2A", MONTH, None)
    pdf = {t.label: (t.value, t.delta_words) for t in report.tiles}
    for tile in (page.stock[0], page.main[0][0][0]):
        assert tile.value == f"< {limit}"
        assert pdf[tile.label] == (tile.value, tile.delta_words) == (tile.value, None)
    tables = [b for s in report.sections for b in s.blocks if isinstance(b, comite.Table)]
    printed = [row[1:] for table in tables for row in table.rows]
    scope = demo_scope()
    decisions = orientations_view(scope).decisions
    assert any(t.caption == f"{decisions.personnes_label} : {decisions.personnes}." for t in tables)
    for row in demandeurs_view(scope).flows.table.to_dict("records"):
        assert [row[k] for k in ("inscriptions", "cessations", "radiations")] in printed, row
    axes = accompagnement_view(scope).distributions[0]
    for block in (decisions.organismes, axes):
        shown = figures.masked_frame(block.counts, block.labels, limit, block.linked)
        # a table prints (code,) label, count: internal codes are left out (comite.IDENTIFIER)
        same = [t for t in tables if [r[-2] for r in t.rows] == shown["libelle"].tolist()]
        assert [[r[-1] for r in t.rows] for t in same] == [shown["affiche"].tolist()]


def test_a_profile_group_is_masked_with_the_rest_of_its_row() -> None:
    """The Orientations profile table: 20 decisions for women and « < 11 » for men under a
    tile of 24 gave the men's 4 back; the groups are a row of the decision over the
    territoires (with the tile and the other territoires), so a second cell goes too."""
    from dashboard.views.orientations import Linked, decisions_block

    def decisions(women: int, men: int) -> dict:
        groups = {"F": {"social": women}, "M": {"social": men}}
        n = women + men
        return {"orientations": {"social": n}, "organisme_referent": {"CAF": n},
                "personnes_orientees": n, "par_sexe": groups, "par_tranche_age": {}}  # fmt: skip

    a, b = decisions(20, 4), decisions(30, 30)
    whole = decisions(50, 34)
    hidden = masking_grids.crossed_hidden("orientations", whole, {"A": a, "B": b}, 11)
    codes = {n: masking_grids.row_hidden(hidden, n, "A") for n in masking_grids.DECISION_GRIDS}
    linked = Linked(codes, masking_grids.total_hidden(hidden, "A"))
    block = decisions_block(a, [], "2A", MONTH, None, 11, linked)
    profile = block.profile
    frame = widgets.breakdown_frame(
        profile.result, "par_sexe", profile.population, profile.columns, None, profile.linked
    )
    shown = dict(zip(profile.result["par_sexe"], frame["personnes"], strict=True))
    assert shown["M"] == "< 11"
    assert "< 11" in (shown["F"], block.decisions)


ENTRANTS = {  # the entrants of a month's orientation cohorte, and of each profile group
    "entrants": _single("entrants"),
    **{
        k: (lambda r, k=k: {g: c["entrants"] for g, c in ((r or {}).get(k) or {}).items()})
        for k in ("par_sexe", "par_tranche_age")
    },
}


@pytest.mark.parametrize("limit", [11, 30])
def test_no_hidden_entrant_follows_from_every_view(
    view_reader, demo_scope, publish_at, limit
) -> None:
    """The Orientations cohorte table (entrants of each month, page and export) and its
    profile table (entrants of each sexe and tranche d'âge) of the département and of each
    territoire: a territoire's entrants are parts of the département's and of its own
    cohorte, so nothing hidden is recomputed from all together; the PDF prints the
    département's page."""
    from dashboard import comite
    from dashboard.views.orientations import orientations_view

    publish_at(limit)
    masked = f"< {limit}"
    known = indicators.communes_par_territoire(view_reader, "2A")
    printed: dict[str, set] = {}
    page = None
    for row, communes in {**known, "département": None}.items():
        block = orientations_view(demo_scope(communes=communes)).cohortes
        for m, shown in block.download[["cohorte", "entrants"]].itertuples(index=False):
            if shown == masked:
                printed.setdefault(m, set()).update({("entrants", row, "entrants")})
        printed.setdefault(MONTH, set()).update(
            _profile_hidden(block.profile, ("par_sexe", "par_tranche_age"), row, masked)
        )
        page = block.download if row == "département" else page
    _assert_months_unpinned(
        view_reader,
        "delai_orientation",
        ENTRANTS,
        printed,
        "entrants",
        set(ENTRANTS) - {"entrants"},
    )
    months = demo_scope().months
    section = comite._delai_orientation(comite.Reads(view_reader, "2A", limit), MONTH, months)
    pdf = next(b for b in section.blocks if isinstance(b, comite.Table))
    at = pdf.columns.index("Entrants")
    assert [r[at] for r in pdf.rows] == page["entrants"].tolist()


@pytest.mark.parametrize("limit", [11, 30])
def test_no_hidden_anomaly_follows_from_every_view(
    view_reader, demo_scope, publish_at, limit
) -> None:
    """The « orientation avant entrée » column of the Orientations cohorte table (page,
    export) of the département and of each territoire: a territoire's are parts of the
    département's of the same cohorte, so nothing hidden is recomputed from all together;
    the PDF prints the département's page."""
    from dashboard import comite
    from dashboard.views.orientations import ANOMALIES, orientations_view

    publish_at(limit)
    masked = f"< {limit}"
    known = indicators.communes_par_territoire(view_reader, "2A")
    printed: dict[str, set] = {}
    page = None
    for row, communes in {**known, "département": None}.items():
        block = orientations_view(demo_scope(communes=communes)).cohortes
        for m, shown in block.download[["cohorte", "anomalies"]].itertuples(index=False):
            printed.setdefault(m, set())
            if shown == masked:
                printed[m].add((ANOMALIES, row, ANOMALIES))
        page = block.download if row == "département" else page
    _assert_months_unpinned(
        view_reader, "delai_orientation", {ANOMALIES: _single(ANOMALIES)}, printed, ANOMALIES, set()
    )
    section = comite._delai_orientation(
        comite.Reads(view_reader, "2A", limit), MONTH, demo_scope().months
    )
    pdf = next(b for b in section.blocks if isinstance(b, comite.Table))
    at = pdf.columns.index("Orientation avant entrée")
    assert [r[at] for r in pdf.rows] == page["anomalies"].tolist()


def test_an_anomaly_count_is_masked_with_the_other_territoires() -> None:
    """The issue's case on « orientation avant entrée »: 5 in A (hidden at 11), 15 in B,
    20 in the département: masked alone, A = 20 − 15; in the decision, B or the
    département goes too."""
    name = masking_grids.DEPARTEMENT
    anomalies = {"A": 5, "B": 15}
    parts = {t: {"entrants": 50, ANOMALY: n} for t, n in anomalies.items()}
    hidden = masking_grids.crossed_hidden(
        "delai_orientation", {"entrants": 100, ANOMALY: 20}, parts, 11
    )
    rows = {r: ANOMALY in masking_grids.row_hidden(hidden, ANOMALY, r) for r in ("A", "B", name)}
    assert rows["A"] and (rows["B"] or rows[name])


ANOMALY = "anomalies_avant_entree"


CONTRACTS = {  # the persons oriented in a month (the contract cohorte), by group
    "orientes": _single("orientes"),
    **{
        k: (lambda r, k=k: {g: c["orientes"] for g, c in ((r or {}).get(k) or {}).items()})
        for k in ("par_parcours", "par_sexe", "par_tranche_age")
    },
}


@pytest.mark.parametrize("limit", [11, 30])
def test_no_hidden_contract_cohorte_follows_from_every_view(
    view_reader, demo_scope, publish_at, limit
) -> None:
    """The Délais et contrats page of the département and of each territoire: a curve
    (drawn and exported) prints its cohorte's size, the profile table each group's; a
    territoire's are parts of the département's. A cohorte not drawn is a hidden size;
    nothing hidden is recomputed from all together; the PDF draws the département's."""
    from dashboard import comite
    from dashboard.views.delais import CURVE_COHORTES, delais_view

    publish_at(limit)
    masked = f"< {limit}"
    known = indicators.communes_par_territoire(view_reader, "2A")
    months = demo_scope().months[-CURVE_COHORTES:]
    printed: dict[str, set] = {}
    page = None
    for row, communes in {**known, "département": None}.items():
        view = delais_view(demo_scope(communes=communes))
        drawn = set(view.curve["cohorte"]) if not view.curve.empty else set()
        for m in set(months) - drawn:
            printed.setdefault(m, set()).add(("orientes", row, "orientes"))
        printed.setdefault(MONTH, set()).update(
            _profile_hidden(view.profile, PROFILE_WITH_PARCOURS, row, masked)
        )
        page = view.curve if row == "département" else page
    _assert_months_unpinned(
        view_reader, "contrat", CONTRACTS, printed, "orientes", set(CONTRACTS) - {"orientes"}
    )
    section = comite._contrat(comite.Reads(view_reader, "2A", limit), MONTH, demo_scope().months)
    assert any(isinstance(b, comite.Chart) for b in section.blocks) == (not page.empty)


INTENSITY = {  # the persons in an active parcours of a month, by group
    "personnes": lambda r: {
        "personnes": ((r or {}).get("heures_hebdo") or {}).get("personnes") or 0
    },
    **{
        k: (lambda r, k=k: {g: c["personnes"] for g, c in ((r or {}).get(k) or {}).items()})
        for k in ("par_parcours", "par_sexe", "par_tranche_age")
    },
}


@pytest.mark.parametrize("limit", [11, 30])
def test_no_hidden_person_in_parcours_follows_from_every_view(
    view_reader, demo_scope, publish_at, limit
) -> None:
    """The intensité block of the Accompagnement page (persons in parcours of each month,
    all and by parcours type, page and export; the month's profile table) of the
    département and of each territoire: nothing hidden is recomputed from all together;
    the PDF prints the département's page."""
    from dashboard import comite
    from dashboard.figures import PARCOURS_LABELS

    publish_at(limit)
    masked = f"< {limit}"
    code = {label: c for c, label in PARCOURS_LABELS.items()}
    known = indicators.communes_par_territoire(view_reader, "2A")
    printed: dict[str, set] = {}
    page = None
    for row, communes in {**known, "département": None}.items():
        block = accompagnement_view(demo_scope(communes=communes)).intensite
        for m, groupe, shown in block.download[["mois", "groupe", "personnes"]].itertuples(
            index=False
        ):
            if shown == masked and code[groupe] == "ensemble":
                printed.setdefault(m, set()).add(("personnes", row, "personnes"))
            elif shown == masked:
                printed.setdefault(m, set()).add(("par_parcours", row, code[groupe]))
        printed.setdefault(MONTH, set()).update(
            _profile_hidden(block.profile, PROFILE_WITH_PARCOURS, row, masked)
        )
        page = block.download if row == "département" else page
    _assert_months_unpinned(
        view_reader, "intensite", INTENSITY, printed, "personnes", {"par_sexe", "par_tranche_age"}
    )
    section = comite._intensite(comite.Reads(view_reader, "2A", limit), MONTH, demo_scope().months)
    pdf = next(b for b in section.blocks if isinstance(b, comite.Table))
    at = pdf.columns.index(comite.HOURS_HEADINGS["personnes"])
    shown = page[page["groupe"] == PARCOURS_LABELS["ensemble"]]["personnes"].tolist()
    assert [r[at] for r in pdf.rows] == shown
