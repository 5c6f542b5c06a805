"""The other families' masking grids read grouped (familles_grille.sql: one query for the
period, every territoire at once) give, through the GRIDS lambdas, exactly what each
family's own query gives per territoire and month, on the demo warehouse: every family,
month and territoire, and a month without records."""

from __future__ import annotations

import pytest

from dashboard import db
from pipelines import indicators, masking_grids

FAMILIES = sorted(masking_grids.GRIDS.keys() - {"stock"})


def _read(family: str, result: dict | None) -> dict:
    """What the masking grid reads of a family result (masking_grids.GRIDS)."""
    return {name: read(result) for name, read in masking_grids.GRIDS[family].items()}


def _next(month: str) -> str:
    year, number = map(int, month.split("-"))
    return f"{year + number // 12}-{number % 12 + 1:02d}"


def test_every_family_of_the_grid_is_read_grouped() -> None:
    assert set(indicators.GRILLE_FAMILIES) == set(FAMILIES)


@pytest.mark.parametrize("family", FAMILIES)
def test_the_grouped_counts_are_the_family_counts(view_reader, family) -> None:
    partition = indicators.communes_par_territoire(view_reader, "2A")
    months = indicators.months_available(view_reader, "2A")
    assert len(partition) > 1 and len(months) > 1
    after = _next(max(months))  # a month past the files: no record of most families
    before = indicators.grid_months(view_reader, "2A", before=True)  # the year before them
    assert len(before) == indicators.GRID_LOOK_BACK and max(before) < min(months)
    months = [*before, *months]
    grouped = indicators.familles_grille(view_reader, "2A", [*months, after], partition)[family]
    function = getattr(indicators, family)
    # each scope's months in one query of the family's own SQL (each month of it is the
    # month asked alone: tests/test_period_families.py)
    own = {
        cs: indicators.months_of(view_reader, family, "2A", [*months, after], cs)
        for cs in (None, *partition.values())
    }
    counted = False
    for month in [*months, after, "2099-01"]:  # 2099: outside the period, read per territoire
        whole, by_territoire = masking_grids.family_rows(
            lambda cs, month=month: (
                own[cs][month] if month in own[cs] else function(view_reader, "2A", month, cs)
            ),
            partition,
        )
        got_whole, got_by = grouped.get(month) or db.family_grille(family, "2A", month, partition)
        assert _read(family, got_whole) == _read(family, whole), month
        assert {t: _read(family, r) for t, r in got_by.items()} == {
            t: _read(family, r) for t, r in by_territoire.items()
        }, month
        counted |= any(any(v for v in d.values()) for d in _read(family, got_whole).values())
    assert counted, "no count on any month: the comparison would prove little"


# (table, its commune column, NIR key, identifiant PE key, identifiant RSA key) as the
# families' macros look them up (migration 0018); NULL: not looked up.
RECORDS = [
    ("orientation", "NULL", "person_key", "pe_key", "NULL"),
    ("entrant", "code_commune", "person_key", "pe_key", "NULL"),
    ("lrsa_de", "NULL", "person_key", "pe_key", "NULL"),
    ("pecgm_stock", "code_commune_residence", "NULL", "NULL", "NULL"),
    ("parcours_personne", "NULL", "NULL", "NULL", "rsa_key"),
]


@pytest.mark.parametrize(("table", "commune", "nir", "pe", "rsa"), RECORDS)
def test_a_record_of_a_scope_is_one_of_dans_territoire(
    view_reader, table, commune, nir, pe, rsa
) -> None:
    """The families' macros join a record's keys to its scopes' (`portee_cles`); the other
    indicators ask `dans_territoire` (migration 0015): on the demo, both put the same
    records in each territoire, whatever keys a family looks up."""
    partition = indicators.communes_par_territoire(view_reader, "2A")
    keys = f"cles_record({commune}, {nir}, {pe}, {rsa})"
    named = f"commune := {commune}, cle_nir := {nir}, cle_pe := {pe}, cle_rsa := {rsa}"
    found = False
    for communes in partition.values():
        params = {"c": list(communes)}
        inside, disagree = view_reader.execute(
            f"""SELECT count(*) FILTER (WHERE by_rule), count(*) FILTER (WHERE by_rule <> by_keys)
            FROM (SELECT dans_territoire('2A', $c, {named}) AS by_rule,
                         coalesce(list_has_any({keys}, (SELECT list(cle) FROM portee_cles(
                             '2A', [{{'territoire': NULL, 'communes': $c}}]))), false) AS by_keys
                  FROM {table} WHERE departement = '2A')""",
            params,
        ).fetchone()
        assert disagree == 0, communes
        found |= inside > 0
    assert found, f"no {table} record in any territoire: the comparison would prove little"
