"""Indicators, defined once in `sql/indicators/*.sql` (each described by the YAML file beside
it, from which docs/indicateurs.md is generated).

Every page, export and the `indicators` command read figures through this module. The
SQL computes every figure, shares included (macro `part`, migration 0015); this module
binds the parameters and shapes the rows into the JSON contract.
Families: stock (PECGM), orientations, flows, orientation delay, first appointment, time
to contract (with its Kaplan–Meier curve), intensity, share oriented (DREES), situation at
France Travail (status, category and constraints collected from its APIs). A family whose
data are absent for the département gives null values, never an error.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

import duckdb

from pipelines.mois import shift_month
from pipelines.nomenclatures import nomenclature
from pipelines.settings import SQL_DIR

SHARE_DECIMALS = 4  # the decimals of the SQL macro `part` (migration 0015)
Communes = tuple[str, ...] | None  # a territoire's communes; None: the whole département
# (family name, month) -> that family's result for the caller's département and communes
# (month None: a family of the whole département, e.g. liaison_flux): how a caller that
# caches each family (dashboard/db.py) lends its cache to `summary`.
Family = Callable[[str, str | None], Any]


def direct(con: duckdb.DuckDBPyConnection, departement: str, communes: Communes) -> Family:
    """Each family computed by its query, kept by this reader only (the command line, the
    committee report, the tests): a period family is read once over the département's
    loaded months (`loaded_span`, one query) and served month by month from there; a
    month outside them is read alone."""
    spans: dict[str, dict[str, Any]] = {}
    loaded: list[str] = []  # the département's loaded months, read on first need

    def family(name: str, month: str | None):
        function = globals()[name]
        if month is None:
            return function(con, departement)
        if name in PERIOD_FAMILIES:
            loaded[:] = loaded or sorted(months_available(con, departement)) or ["0000-00"]
            if loaded[0] <= month <= loaded[-1]:  # else read alone: no span for one month
                if name not in spans:
                    spans[name] = loaded_span(con, name, departement, communes, loaded)
                return copy.deepcopy(spans[name][month])  # each caller its own result
        return function(con, departement, month, communes)

    return family


def _territoire(departement: str, communes: Communes) -> dict:
    """The bound parameters every indicator SQL takes: département and territoire."""
    return {"departement": departement, "communes": list(communes) if communes else None}


def _params(departement: str, month: str, communes: Communes = None) -> dict:
    """The bound parameters of a monthly indicator SQL."""
    return {**_territoire(departement, communes), "mois": f"{month}-01"}


def period_parameters(
    departement: str, debut: str, fin: str, communes: Communes = None, **extra
) -> dict:
    """The bound parameters of a period family's SQL: territoire, first and last month
    ('2026-03'), and the file's own (`seuil_1`, ...)."""
    return {
        **_territoire(departement, communes),
        "debut": f"{debut}-01",
        "fin": f"{fin}-01",
        **extra,
    }


def months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` included ('2026-03' form), oldest first."""
    out = [first]
    while out[-1] < last:
        out.append(shift_month(out[-1], 1))
    return out


def loaded_span(
    con: duckdb.DuckDBPyConnection,
    name: str,
    departement: str,
    communes: Communes = None,
    loaded: list[str] | None = None,
) -> dict[str, dict | None]:
    """Period family `name` for every month from the département's first loaded month to
    its last ({} when none is loaded), in one query: what a page, the report or the
    command line asks of a family is nearly always among these months, twelve at a time.
    `loaded`: the département's loaded months when the caller has them already
    (`months_available`; a page reads them once for its seven families)."""
    loaded = sorted(months_available(con, departement) if loaded is None else loaded)
    if not loaded:
        return {}
    return months_of(con, name, departement, months_between(loaded[0], loaded[-1]), communes)


def monthly_rows(
    con: duckdb.DuckDBPyConnection,
    name: str,
    departement: str,
    months: list[str],
    communes: Communes = None,
    **extra,
) -> dict[str, list[dict]]:
    """Month -> the rows of period family `name` for it (without their `mois`), for each
    of `months`, from one query over their span (the months between are counted and
    dropped: one query over a span is cheaper than one per month)."""
    ordered = sorted(set(months))
    if not ordered:
        return {}
    rows = run(
        con, name, period_parameters(departement, ordered[0], ordered[-1], communes, **extra)
    )
    out: dict[str, list[dict]] = {m: [] for m in ordered}
    for row in rows:
        month = row.pop("mois").strftime("%Y-%m")
        if month in out:
            out[month].append(row)
    return out


def parameters(
    departement: str, month: str | None = None, communes: Communes = None, **extra
) -> dict:
    """The bound parameters of an indicator SQL: territoire, the month when it has one,
    and the file's own (`seuil_1`, ...)."""
    base = (
        _territoire(departement, communes)
        if month is None
        else _params(departement, month, communes)
    )
    return {**base, **extra}


@cache
def indicator_sql(name: str) -> str:
    return (SQL_DIR / "indicators" / f"{name}.sql").read_text(encoding="utf-8")


def kaplan_meier_sql(chain: str) -> str:
    """A WITH clause ending with a `durations` CTE, followed by the shared Kaplan–Meier
    tail (kaplan_meier.sql): one estimator for every time-to-event curve."""
    return chain.rstrip() + "\n" + indicator_sql("kaplan_meier")


CURVES = ("contrat_courbe",)  # SQL files ending with `durations`, run with the KM tail


def query(name: str) -> str:
    """The text the product executes for an indicator SQL file: the file, followed by the
    Kaplan–Meier tail for a curve."""
    return kaplan_meier_sql(indicator_sql(name)) if name in CURVES else indicator_sql(name)


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[dict]:
    """Rows of one indicator SQL file, as dicts by column: the one place the indicator
    SQL is executed (the definitions' unit tests run it through here too)."""
    cursor = con.execute(query(name), params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def iso_date(value) -> str | None:
    """A data date as the JSON carries it (YYYY-MM-DD), None when there is none."""
    return value.isoformat() if value is not None else None


def share(numerator: int, denominator: int) -> float | None:
    """A share in [0, 1], rounded; null when the denominator is 0 (shown « n.d. »).

    The indicators compute their shares in SQL (macro `part`); this is the same rule for
    a caller holding two counts outside SQL (a test checks that both agree)."""
    if not denominator:
        return None
    return round(numerator / denominator, SHARE_DECIMALS)


def stock(
    con: duckdb.DuckDBPyConnection, departement: str, month: str, communes: Communes = None
) -> dict:
    """Stock indicators of one PECGM month, as in the command-line contract; the shares
    are the `part` of their row (over stock_total)."""
    return months_of(con, "stock", departement, [month], communes)[month]


def _stock_result(rows: list[dict]) -> dict:
    """stock.sql's rows of one month in the contract's shape."""
    counts: dict[str, dict[str, int]] = {
        "categorie": {},
        "modalite": {},
        "axe": {},
        "sexe": {},
        "tranche_age": {},
        "commune": {},
        "structure_principale": {},
        "structure_deleguee": {},
    }
    scalars: dict[str, dict] = {}
    for row in rows:
        if row["indicateur"] in counts:
            counts[row["indicateur"]][row["code"]] = int(row["n"])
        else:
            scalars[row["indicateur"]] = row
    total = int(scalars["stock_total"]["n"])
    return {
        "stock_total": total,
        "categorie": dict(sorted(counts["categorie"].items())),
        "modalite": dict(sorted(counts["modalite"].items())),
        "axe": dict(sorted(counts["axe"].items())),
        "sexe": dict(sorted(counts["sexe"].items())),
        "tranche_age": dict(sorted(counts["tranche_age"].items())),
        "commune": dict(sorted(counts["commune"].items())),
        "cer_notifie_share": scalars["cer_notifie"]["part"],
        "contact_90j_share": scalars["contact_90j"]["part"],
        "cat_1_3_share": scalars["cat_1_3"]["part"],
        "structure_suivi": {
            "principale": dict(sorted(counts["structure_principale"].items())),
            "deleguee": dict(sorted(counts["structure_deleguee"].items())),
        },
    }


# stock_grille.sql's distributions: every one the masking grid crosses (masking_grids.STOCK_GRIDS)
GRILLE = (
    "categorie", "modalite", "sexe", "tranche_age", "axe", "structure_principale", "commune"
)  # fmt: skip


def _as_stock(scope: dict) -> dict:
    """A grid row in `stock`'s shape: the main structure under structure_suivi."""
    scope["structure_suivi"] = {"principale": scope.pop("structure_principale")}
    return scope


def _grille_rows(partition: dict[str, tuple[str, ...]]) -> tuple[dict, dict[str, dict]]:
    """The département's and each territoire's rows as stock_grille.sql fills them
    (GRILLE flat), before any record: totals 0, distributions empty."""

    def empty() -> dict:
        return {"stock_total": 0, **{name: {} for name in GRILLE}}

    return empty(), {t: empty() for t in partition}


def grille_vide(partition: dict[str, tuple[str, ...]]) -> tuple[dict, dict[str, dict]]:
    """A month without records in `stock_grille`'s shape: totals 0, distributions empty."""
    whole, by_territoire = _grille_rows(partition)
    return _as_stock(whole), {t: _as_stock(row) for t, row in by_territoire.items()}


def grille_parameters(
    departement: str, months: list[str], partition: dict[str, tuple[str, ...]]
) -> dict:
    """The bound parameters of stock_grille.sql: the period that holds `months`, and the
    partition as a list of {territoire, communes}."""
    return {
        "departement": departement,
        "debut": f"{min(months)}-01",
        "fin": f"{max(months)}-01",
        "territoires": [{"territoire": t, "communes": list(cs)} for t, cs in partition.items()],
    }


def stock_grille(
    con: duckdb.DuckDBPyConnection,
    departement: str,
    months: list[str],
    partition: dict[str, tuple[str, ...]],
) -> dict[str, tuple[dict, dict[str, dict]]]:
    """Per month: the département's and each territoire's registered persons as the
    masking grid reads them (`stock_total` and the GRILLE distributions of `stock`, the
    same counts), all read by one query over the period (stock_grille.sql) instead of one
    `stock` per territoire and month. A month or a territoire without records has a
    total of 0 and empty distributions, as `stock` gives them (`grille_vide`)."""
    if not months:
        return {}
    out = {m: _grille_rows(partition) for m in months}
    for row in run(con, "stock_grille", grille_parameters(departement, months, partition)):
        if row["mois"] not in out:
            continue
        whole, by_territoire = out[row["mois"]]
        scope = whole if row["territoire"] is None else by_territoire[row["territoire"]]
        if row["code"] is None:
            scope[row["indicateur"]] = int(row["n"])
        else:
            scope[row["indicateur"]][row["code"]] = int(row["n"])
    for whole, by_territoire in out.values():
        for scope in (whole, *by_territoire.values()):
            for name in GRILLE:
                scope[name] = dict(sorted(scope[name].items()))
            _as_stock(scope)
    return out


def months_available(con: duckdb.DuckDBPyConnection, departement: str) -> list[str]:
    """Months with a loaded PECGM file for a département, newest first."""
    rows = con.execute(
        "SELECT DISTINCT strftime(mois, '%Y-%m') FROM pecgm_stock WHERE departement = ? ORDER BY 1 DESC",
        [departement],
    ).fetchall()
    return [r[0] for r in rows]


TREND_MONTHS = 12  # the months of a tile's trend (dashboard/headlines.py), a year back
DEFAULT_PERIOD_MONTHS = 12  # the period a page opens with (dashboard/filters.py)
# The families a page reads one by one (dashboard/db.py `family`), each a function here.
FAMILIES = (
    "stock",
    "orientations",
    "flux",
    "delai_orientation",
    "contrat",
    "contrat_courbe",
    "premier_rdv",
    "intensite",
    "part_orientes",
    "france_travail",
)
GRID_LOOK_BACK = TREND_MONTHS  # months before the first file a first month's tiles look at


def communes_par_territoire(
    con: duckdb.DuckDBPyConnection, departement: str
) -> dict[str, tuple[str, ...]]:
    """Territoire label -> its communes, in label order: the partition the pages filter
    and mask by. The département's own territoires when it gave them (pipelines/
    territoires.py), else one territoire per commune known to the sources."""
    rows = con.execute(
        "SELECT territoire, list(code_commune ORDER BY code_commune) FROM territoire "
        "WHERE departement = ? GROUP BY territoire ORDER BY territoire",
        [departement],
    ).fetchall()
    if rows:
        return {label: tuple(communes) for label, communes in rows}
    communes = con.execute(
        "SELECT DISTINCT code_commune FROM commune_personne WHERE departement = ? ORDER BY 1",
        [departement],
    ).fetchall()
    return {f"Commune {c}": (c,) for (c,) in communes}


def grid_months(
    con: duckdb.DuckDBPyConnection,
    departement: str,
    before: bool = False,
    loaded: list[str] | None = None,
) -> list[str]:
    """The months the masking grids are read over at once (`grille`): the loaded months;
    with `before`, the year before the first one instead, whose cohortes the first months'
    tiles look back over. Read apart, only when a view asks (a grid's query grows faster
    than its months); a month outside both is read territoire by territoire. `loaded`: as
    `loaded_span`'s."""
    loaded = sorted(months_available(con, departement) if loaded is None else loaded)
    if not before or not loaded:
        return loaded
    return months_between(shift_month(loaded[0], -GRID_LOOK_BACK), shift_month(loaded[0], -1))


def departements(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute("SELECT DISTINCT departement FROM pecgm_stock ORDER BY 1").fetchall()
    ]


def _counts(rows) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """(indicateur, code, n) rows -> ({indicateur: {code: n}}, {indicateur: n} when no code)."""
    maps: dict[str, dict[str, int]] = {}
    scalars: dict[str, int] = {}
    for name, code, n in rows:
        if code is None:
            scalars[name] = int(n)
        else:
            maps.setdefault(name, {})[code] = int(n)
    return {k: dict(sorted(v.items())) for k, v in maps.items()}, scalars


def has_rows(con: duckdb.DuckDBPyConnection, table: str, departement: str) -> bool:
    return bool(
        con.execute(
            f"SELECT 1 FROM {table} WHERE departement = ? LIMIT 1", [departement]
        ).fetchone()
    )


def orientations(
    con: duckdb.DuckDBPyConnection, departement: str, month: str, communes: Communes = None
) -> dict | None:
    """Decisions of the month per parcours type and organisme; None without orientation data."""
    return months_of(con, "orientations", departement, [month], communes)[month]


def _orientations_rows(rows: list[dict]) -> dict:
    """orientations.sql's rows of one month in the contract's shape."""
    return _orientations_result(*_counts(tuple(row.values()) for row in rows))


def _orientations_result(maps: dict[str, dict[str, int]], scalars: dict[str, int]) -> dict:
    """orientations.sql's counts (as `_counts` reads them) in the contract's shape."""
    return {
        "orientations": maps.get("orientations", {}),
        "organisme_referent": maps.get("organisme_referent", {}),
        "personnes_orientees": scalars.get("personnes_orientees", 0),
        "par_sexe": _nested(maps.get("orientations_sexe", {})),
        "par_tranche_age": _nested(maps.get("orientations_tranche_age", {})),
    }


def _nested(counts: dict[str, int]) -> dict[str, dict[str, int]]:
    """{'F|social': 3} -> {'F': {'social': 3}}: a breakdown of counts by parcours type."""
    out: dict[str, dict[str, int]] = {}
    for key, n in counts.items():
        group, _, code = key.partition("|")
        out.setdefault(group, {})[code] = n
    return out


def flux(
    con: duckdb.DuckDBPyConnection, departement: str, month: str, communes: Communes = None
) -> dict:
    """Registrations, cessations (with motif groups) and radiations of the month."""
    return months_of(con, "flux", departement, [month], communes)[month]


def _flux_rows(rows: list[dict]) -> dict:
    """flux.sql's rows of one month in the contract's shape."""
    return _flux_result(_counts(tuple(row.values()) for row in rows)[0])


def _flux_result(maps: dict[str, dict[str, int]]) -> dict:
    """flux.sql's counts (list -> origin -> n, cessations_motif) in the contract's shape."""

    def total(name: str) -> int | None:
        return sum(maps[name].values()) if name in maps else None

    origins = {
        o for name in ("inscriptions", "cessations", "radiations") for o in maps.get(name, {})
    }
    return {
        "inscriptions": total("inscriptions"),
        "cessations": total("cessations") or 0,
        "radiations": total("radiations") or 0,
        "cessations_motif": maps.get("cessations_motif", {}),
        "flux_source": "lrsa" if origins == {"lrsa"} else ("pecgm" if origins else None),
    }


def _cohorte_counts(population: str, totals: dict[str, int], maps: dict[str, dict]) -> dict:
    """A cohorte family's counts in its result's shape: the population's total (`entrants`,
    `orientes`, ...), and each profile group's {'F': {population: n}}."""
    groups = {k: {c: {population: n} for c, n in v.items()} for k, v in maps.items()}
    return {**totals, **groups}


# How familles_grille.sql's counts of a scope (`_counts`: maps, scalars) take each family's
# result shape, for the keys masking_grids.GRIDS reads (the same lambdas read both).
GRILLE_FAMILIES: dict[str, Callable[[dict, dict], dict]] = {
    "orientations": _orientations_result,
    "flux": lambda maps, scalars: _flux_result(maps),
    "delai_orientation": lambda maps, scalars: _cohorte_counts(
        "entrants",
        {k: scalars.get(k, 0) for k in ("entrants", "anomalies_avant_entree")},
        {k: maps.get(k, {}) for k in ("par_sexe", "par_tranche_age")},
    ),
    "contrat": lambda maps, scalars: _cohorte_counts(
        "orientes",
        {"orientes": scalars.get("orientes", 0)},
        {k: maps.get(k, {}) for k in ("par_parcours", "par_sexe", "par_tranche_age")},
    ),
    "intensite": lambda maps, scalars: _cohorte_counts(
        "personnes",
        {"heures_hebdo": {"personnes": scalars.get("personnes", 0)}},
        {k: maps.get(k, {}) for k in ("par_parcours", "par_sexe", "par_tranche_age")},
    ),
}


def familles_vides(
    family: str, partition: dict[str, tuple[str, ...]]
) -> tuple[dict, dict[str, dict]]:
    """A month without records in `familles_grille`'s shape for `family`."""
    shape = GRILLE_FAMILIES[family]
    return shape({}, {}), {t: shape({}, {}) for t in partition}


def familles_grille(
    con: duckdb.DuckDBPyConnection,
    departement: str,
    months: list[str],
    partition: dict[str, tuple[str, ...]],
) -> dict[str, dict[str, tuple[dict, dict[str, dict]]]]:
    """Per family of GRILLE_FAMILIES and month: the département's and each territoire's
    counts as the masking grid reads them (masking_grids.GRIDS), all read by one query
    over the period (familles_grille.sql) instead of one family query per territoire and
    month (the quantiles and shares, which the grid never reads, are left out). A month
    or a territoire without records has the counts of an empty family result."""
    if not months:
        return {}
    rows: dict[tuple[str, str, str | None], list] = {}
    for row in run(con, "familles_grille", grille_parameters(departement, months, partition)):
        key = (row["famille"], row["mois"], row["territoire"])
        rows.setdefault(key, []).append((row["indicateur"], row["code"], row["n"]))
    out: dict[str, dict[str, tuple[dict, dict[str, dict]]]] = {}
    for family, shape in GRILLE_FAMILIES.items():

        def scope(month: str, territoire: str | None, family=family, shape=shape) -> dict:
            return shape(*_counts(rows.get((family, month, territoire), [])))

        out[family] = {m: (scope(m, None), {t: scope(m, t) for t in partition}) for m in months}
    return out


def grille(
    con: duckdb.DuckDBPyConnection,
    departement: str,
    months: list[str],
    partition: dict[str, tuple[str, ...]],
) -> dict[str, dict[str, tuple[dict, dict[str, dict]]]]:
    """Every family the masking grid crosses (masking_grids.GRIDS) -> month -> the
    département's and each territoire's counts: two queries for the period
    (`stock_grille`, `familles_grille`), what the pages, the committee PDF and
    `indicators --masque` decide from."""
    return {
        "stock": stock_grille(con, departement, months, partition),
        **familles_grille(con, departement, months, partition),
    }


POPULATION_LABELS = {  # the population of the cohortes, named in a table cell
    "caf_msa": "Flux CAF / MSA",
    "sources": "Fichiers d'orientation et de parcours",
}
POPULATION_CAPTIONS = {  # and said in a caption
    "caf_msa": (
        "population : personnes soumises aux droits et devoirs d'un foyer au droit RSA ouvert "
        "dans le flux bénéficiaires CAF/MSA, orientées ou non"
    ),
    "sources": (
        "population : personnes connues des fichiers d'orientation et de parcours (sans flux "
        "CAF/MSA, les non-orientés peuvent manquer)"
    ),
}


def population(con: duckdb.DuckDBPyConnection, departement: str) -> str:
    """The population the cohorte indicators of a département count: 'caf_msa' once a
    CAF/MSA flux of the département is loaded, else 'sources' (macro of migration 0012)."""
    return con.execute("SELECT population_cohortes(?)", [departement]).fetchone()[0]


def has_population(con: duckdb.DuckDBPyConnection, departement: str) -> bool:
    """Whether a cohorte indicator has anything to count: orientations or a CAF/MSA flux."""
    return has_rows(con, "orientation", departement) or has_rows(
        con, "caf_beneficiaire", departement
    )


def liaison_flux(con: duckdb.DuckDBPyConnection, departement: str) -> dict | None:
    """Persons of the orientation sources found in the département's CAF/MSA flux; None
    without a flux (the population is then the sources themselves)."""
    if not has_rows(con, "caf_beneficiaire", departement):
        return None
    (row,) = run(con, "liaison_flux", {"departement": departement})
    return row


def delai_orientation(
    con: duckdb.DuckDBPyConnection,
    departement: str,
    month: str,
    communes: Communes = None,
    seuils: tuple[int, int] | None = None,
) -> dict | None:
    """Entry cohorte of the month: delay to orientation and the shares within the thresholds,
    over the entrants of the population (`population`: caf_msa or sources). The thresholds
    are the SQL's (30 days, six weeks) unless `seuils` gives others."""
    return months_of(con, "delai_orientation", departement, [month], communes, seuils)[month]


def _seuils(seuils: tuple[int, int] | None) -> dict:
    """delai_orientation.sql's thresholds: the SQL's own (NULL) unless `seuils` gives others."""
    return (
        {"seuil_1": seuils[0], "seuil_2": seuils[1]}
        if seuils
        else {"seuil_1": None, "seuil_2": None}
    )


def _delai_orientation_result(rows: list[dict]) -> dict:
    """delai_orientation.sql's rows of one month in the contract's shape."""
    everyone, groups = _split(rows, _delai_orientation_row, ("sexe", "age"))
    return {
        **_delai_orientation_row(everyone),
        "date_donnees": iso_date(everyone["date_donnees"]),
        "anomalies_avant_entree": everyone["anomalies_avant_entree"],
        # kept for earlier readers: true while any window of the cohorte is still open
        "cohorte_provisoire": everyone["provisoire_quantiles"],
        "population": everyone["population"],
        **groups,
    }


def _delai_orientation_row(row: dict) -> dict:
    return {
        "delai_orientation_jours": {
            **_quantiles(row, "orientes"),
            "moyenne": float(row["moyenne"]) if row["moyenne"] is not None else None,
        },
        "entrants": row["entrants"],
        "orientes_30j_share": row["part_seuil_1"],
        "orientes_6sem_share": row["part_seuil_2"],
        "orientes_30j_provisoire": row["provisoire_seuil_1"],
        "orientes_6sem_provisoire": row["provisoire_seuil_2"],
        "delai_orientation_provisoire": row["provisoire_quantiles"],
    }


BREAKDOWNS = {"parcours": "par_parcours", "sexe": "par_sexe", "age": "par_tranche_age"}


def breakdowns(
    groups: dict[str, dict], shaped, dimensions: tuple[str, ...] = tuple(BREAKDOWNS)
) -> dict[str, dict]:
    """Rows keyed 'parcours:social', 'sexe:F', 'age:25_34' (GROUPING SETS of the SQL) ->
    {'par_parcours': {...}, 'par_sexe': {...}, 'par_tranche_age': {...}}, each shaped; a
    dimension of the SQL without any group gives {} (an empty cohorte), never a missing key."""
    out: dict[str, dict] = {BREAKDOWNS[d]: {} for d in dimensions}
    for key, row in sorted(groups.items()):
        dimension, _, code = key.partition(":")
        out[BREAKDOWNS[dimension]][code] = shaped(row)
    return out


def _split(
    rows: list[dict], shaped, dimensions: tuple[str, ...] = tuple(BREAKDOWNS)
) -> tuple[dict, dict[str, dict]]:
    """(the 'ensemble' row, the shaped breakdowns) of an indicator SQL with GROUPING SETS,
    whose grand total is there even for an empty cohorte."""
    groups = {row.pop("groupe"): row for row in rows}
    everyone = groups.pop("ensemble")
    return everyone, breakdowns(groups, shaped, dimensions)


def _groups(
    con, name: str, departement: str, month: str, communes: Communes, extra: dict | None = None
) -> dict[str, dict]:
    """Rows of an indicator SQL with a `groupe` column, keyed by it ('ensemble' = all)."""
    rows = run(con, name, parameters(departement, month, communes, **(extra or {})))
    return {row.pop("groupe"): row for row in rows}


def _quantiles(row: dict, n_key: str) -> dict:
    return {"mediane": row["mediane"], "p25": row["p25"], "p75": row["p75"], "n": row[n_key]}


def contrat(
    con: duckdb.DuckDBPyConnection, departement: str, month: str, communes: Communes = None
) -> dict | None:
    """Time to contract of the orientation cohorte of the month, overall and by parcours."""
    return months_of(con, "contrat", departement, [month], communes)[month]


def _contrat_result(rows: list[dict]) -> dict:
    """contrat.sql's rows of one month in the contract's shape."""
    everyone, groups = _split(rows, _contrat_row)
    return {**_contrat_row(everyone), "date_donnees": iso_date(everyone["date_donnees"]), **groups}


def _contrat_row(row: dict) -> dict:
    return {
        "delai_contrat_jours": _quantiles(row, "contractes"),
        "orientes": row["orientes"],
        "contrat_30j_share": row["part_30j"],
        "contrat_60j_share": row["part_60j"],
        "contrat_30j_provisoire": row["provisoire_30j"],
        "contrat_60j_provisoire": row["provisoire_60j"],
        "delai_contrat_provisoire": row["provisoire_60j"],  # its longest window
    }


def contrat_courbe(
    con: duckdb.DuckDBPyConnection, departement: str, communes: Communes = None
) -> list[dict]:
    """Kaplan–Meier share contracted by day 0…180, per orientation-month cohorte."""
    if not has_rows(con, "orientation", departement):
        return []
    rows = run(con, "contrat_courbe", _territoire(departement, communes))
    return [{("part_contractes" if k == "part" else k): v for k, v in r.items()} for r in rows]


def premier_rdv(
    con: duckdb.DuckDBPyConnection, departement: str, month: str, communes: Communes = None
) -> dict | None:
    if not has_rows(con, "parcours_personne", departement):
        return None
    (row,) = run(con, "premier_rdv", _params(departement, month, communes))
    return {**_quantiles(row, "avec_rdv"), "orientes": row["orientes"]}


def intensite(
    con: duckdb.DuckDBPyConnection, departement: str, month: str, communes: Communes = None
) -> dict | None:
    """Weekly hours of prestations and appointments per person in parcours."""
    return months_of(con, "intensite", departement, [month], communes)[month]


def _intensite_result(rows: list[dict]) -> dict:
    """intensite.sql's rows of one month in the contract's shape."""
    everyone, groups = _split(rows, _intensite_row)
    rdv = everyone["rdv_par_personne"]
    return {"heures_hebdo": _intensite_row(everyone), "rdv_par_personne": rdv, **groups}


def _intensite_row(row: dict) -> dict:
    return {
        "personnes": row["personnes"],
        "moyenne": row["moyenne"],
        "mediane": row["mediane"],
        "heures_15_share": row["part_15h"],
    }


def part_orientes(
    con: duckdb.DuckDBPyConnection, departement: str, month: str, communes: Communes = None
) -> dict | None:
    """DREES share oriented among persons in RSA at the end of the month, by seniority
    ('ensemble', 'moins_6_mois', '6_12_mois', '12_mois_et_plus'), each with the population
    it counts (the CAF/MSA flux of the month when one is loaded, else the parcours persons)."""
    return months_of(con, "part_orientes", departement, [month], communes)[month]


def _part_orientes_result(rows: list[dict]) -> dict:
    """part_orientes.sql's rows of one month in the contract's shape."""
    groups = {row.pop("groupe"): row for row in rows}
    return {
        k: {
            "personnes": v["personnes"],
            "part": v["part"],
            "population": v["population"],
        }
        for k, v in groups.items()
    }


def _has_parcours_or_flux(con: duckdb.DuckDBPyConnection, departement: str) -> bool:
    return has_rows(con, "parcours_personne", departement) or has_rows(
        con, "caf_beneficiaire", departement
    )


@dataclass(frozen=True)
class _Period:
    """A family whose SQL counts every month of a period: how one month's rows become its
    result, and whether the département has anything it counts (else None each month)."""

    result: Callable[[list[dict]], dict]
    ready: Callable[[duckdb.DuckDBPyConnection, str], bool]


def _always(con: duckdb.DuckDBPyConnection, departement: str) -> bool:
    return True


# Families whose SQL counts every month of a period in one query ($debut, $fin; a `mois`
# column in each row): a page's history of twelve months is one query, not twelve, and a
# single month is the period of that month (the same SQL, one definition).
_PERIODS: dict[str, _Period] = {
    "stock": _Period(_stock_result, _always),
    "orientations": _Period(_orientations_rows, partial(has_rows, table="orientation")),
    "flux": _Period(_flux_rows, _always),
    "delai_orientation": _Period(_delai_orientation_result, has_population),
    "contrat": _Period(_contrat_result, partial(has_rows, table="orientation")),
    "intensite": _Period(_intensite_result, partial(has_rows, table="parcours_personne")),
    "part_orientes": _Period(_part_orientes_result, _has_parcours_or_flux),
}
PERIOD_FAMILIES = tuple(_PERIODS)


def months_of(
    con: duckdb.DuckDBPyConnection,
    name: str,
    departement: str,
    months: list[str],
    communes: Communes = None,
    seuils: tuple[int, int] | None = None,
) -> dict[str, dict | None]:
    """Month -> the result of period family `name` (PERIOD_FAMILIES) for each of `months`,
    from one query; None for every month when the département has nothing it counts.
    `seuils`: delai_orientation's thresholds (see `delai_orientation`)."""
    period = _PERIODS[name]
    if not period.ready(con, departement=departement):
        return {m: None for m in months}
    extra = _seuils(seuils) if name == "delai_orientation" else {}
    rows = monthly_rows(con, name, departement, months, communes, **extra)
    return {m: period.result(month_rows) for m, month_rows in rows.items()}


def _rows(con, name: str, departement: str, month: str, communes: Communes) -> list[dict]:
    return run(con, name, _params(departement, month, communes))


def france_travail(
    con: duckdb.DuckDBPyConnection, departement: str, month: str, communes: Communes = None
) -> dict | None:
    """DE status, category and constraints of the latest France Travail collection on or
    before the end of the month, and the registered share of persons oriented to France
    Travail; None when nothing was ever collected for the département."""
    try:
        if not has_rows(con, "ft_statut", departement):
            return None
    except duckdb.CatalogException:  # a warehouse older than the collection
        return None
    statut = _rows(con, "statut_de", departement, month, communes)
    if not statut:
        return {
            "date_collecte": None,
            "statut_de": {},
            "categorie_api": {},
            "contraintes": None,
            "inscrits_orientes_ft": None,
        }
    categories = _rows(con, "categorie_api", departement, month, communes)
    return {
        "date_collecte": statut[0]["date_collecte"].isoformat(),
        "statut_de": {r["code"]: int(r["personnes"]) for r in statut},
        "categorie_api": {r["code"]: int(r["personnes"]) for r in categories},
        "contraintes": _contraintes(_rows(con, "contraintes", departement, month, communes)),
        "inscrits_orientes_ft": _inscrits_orientes_ft(
            _groups(con, "inscrits_orientes_ft", departement, month, communes)
        ),
    }


def _contraintes(rows: list[dict]) -> dict:
    """{'personnes', 'thematiques': {code: n}, 'parts': {code: share}, 'par_parcours'}."""
    groups: dict[str, dict] = {}
    for r in rows:
        group = groups.setdefault(r["groupe"], {"personnes": 0, "thematiques": {}})
        if r["thematique"] is None:
            group["personnes"] = int(r["personnes"])
        else:
            group["thematiques"][r["thematique"]] = int(r["personnes"])
            group.setdefault("parts", {})[r["thematique"]] = r["part"]
    for group in groups.values():
        group.setdefault("parts", {})
    everyone = groups.pop("ensemble", {"personnes": 0, "thematiques": {}, "parts": {}})
    by_parcours = {k.partition(":")[2]: v for k, v in sorted(groups.items())}
    return {**everyone, "par_parcours": by_parcours}


def _inscrits_orientes_ft(groups: dict[str, dict]) -> dict:
    def shaped(row: dict) -> dict:
        return {
            "orientes": int(row["orientes"]),
            "collectes": int(row["collectes"]),
            "inscrits": int(row["inscrits"]),
            "part_inscrits": row["part_inscrits"],
        }

    everyone = groups.pop("ensemble", {"orientes": 0, "collectes": 0, "inscrits": 0})
    return {**shaped(everyone), "par_nature": {k: shaped(v) for k, v in sorted(groups.items())}}


def thematique_labels() -> dict[str, str]:
    """Short labels of the diagnostic's thématiques under the keys `contraintes` uses
    (mobilite, famille, …), from nomenclatures/thematique_contrainte.csv."""
    return {row["groupe"]: row["libelle_court"] for row in nomenclature("thematique_contrainte")}


COHORTE_FILTERS = ("parcours", "sexe", "commune", "modalite", "tranche_age")
AGE_BANDS = ("moins_25", "25_34", "35_44", "45_54", "55_plus")


HORIZONS = (30, 90, 180)  # days of follow-up the cohorte explorer offers
DEFAULT_HORIZON = 90  # ...and the one it opens with
IMMATURES = ("marquer", "exclure")  # a cohorte short of the horizon: marked, or its months left out
COHORTE_BASES = ("entree", "orientation")  # a cohorte's months: of RSA entry, or of orientation


def default_cohorte_months(months: list[str]) -> tuple[list[str], list[str]]:
    """The months of cohortes A and B before the user picks (`months` oldest first): the
    three latest, and the same three a year earlier (the three first when there is no
    year of history). The Cohortes page opens with them, at the first base and immatures
    choice and the default horizon; a load stores their results (pipelines/precalcul.py)."""
    recent = months[-3:] if len(months) >= 3 else months
    earlier = months[-15:-12] if len(months) >= 15 else months[:3]
    return recent, earlier


def cohorte_parameters(
    departement: str,
    base: str,
    mois_debut: str,
    mois_fin: str,
    communes: Communes,
    horizon: int | None,
    immatures: str,
    filters: dict[str, str | None],
) -> dict:
    """The bound parameters of cohorte.sql, checked (an unknown value is a caller's bug)."""
    if base not in ("entree", "orientation"):
        raise ValueError(base)
    if immatures not in IMMATURES:
        raise ValueError(immatures)
    unknown = set(filters) - set(COHORTE_FILTERS)
    if unknown:
        raise ValueError(f"unknown cohorte filters: {sorted(unknown)}")
    return {
        **_territoire(departement, communes),
        "base": base,
        "mois_debut": f"{mois_debut}-01",
        "mois_fin": f"{mois_fin}-01",
        "horizon": horizon,
        "immatures": immatures,
        **{name: filters.get(name) for name in COHORTE_FILTERS},
    }


def _has_cohorte_data(con: duckdb.DuckDBPyConnection, departement: str) -> bool:
    """Orientations, a CAF/MSA flux or parcours persons: something a cohorte can count."""
    return has_population(con, departement) or has_rows(con, "parcours_personne", departement)


def cohorte(
    con: duckdb.DuckDBPyConnection,
    departement: str,
    base: str,
    mois_debut: str,
    mois_fin: str,
    communes: Communes = None,
    horizon: int | None = None,
    immatures: str = "marquer",
    **filters: str | None,
) -> dict:
    """Funnel of one cohorte (entry or orientation months, optional filters): entered,
    oriented, first appointment, contract, return to work, and two median delays.

    With a horizon, every step counts the events within `horizon` days of the cohorte's
    start event, so two cohortes are compared at equal follow-up; `provisoire` says the
    cohorte's last month has not had that time yet by `date_donnees`, and with immatures =
    'exclure' those months are left out instead (`mois_exclus` of them)."""
    params = cohorte_parameters(
        departement, base, mois_debut, mois_fin, communes, horizon, immatures, filters
    )
    if not _has_cohorte_data(con, departement):
        return {
            "population": "sources",
            "entres": 0,
            "orientes": 0,
            "premier_rdv": 0,
            "contrat": 0,
            "reprise_emploi": 0,
            "delai_orientation_median": None,
            "delai_contrat_median": None,
            "date_donnees": None,
            "provisoire": None if horizon is None else True,
            "mois_exclus": 0,
        }
    (row,) = run(con, "cohorte", params)
    return {**row, "date_donnees": iso_date(row["date_donnees"])}


COHORTE_FUNNEL_MARK = "\n-- entonnoir\n"  # where cohorte.sql's CTE chain ends


def cohorte_courbes(
    con: duckdb.DuckDBPyConnection,
    departement: str,
    base: str,
    mois_debut: str,
    mois_fin: str,
    communes: Communes = None,
    horizon: int | None = None,
    immatures: str = "marquer",
    **filters: str | None,
) -> list[dict]:
    """Kaplan–Meier curves of one cohorte (the same persons as `cohorte`): the share
    oriented by day t since entry (`cohorte` = 'orientation', entry cohortes only) and the
    share with a contract by day t since orientation ('contrat'), t = 0…180, persons
    without the event censored at the data date."""
    params = cohorte_parameters(
        departement, base, mois_debut, mois_fin, communes, horizon, immatures, filters
    )
    if not _has_cohorte_data(con, departement):
        return []
    chain = indicator_sql("cohorte").split(COHORTE_FUNNEL_MARK)[0]
    cursor = con.execute(kaplan_meier_sql(chain), params)
    columns = [{"cohorte": "courbe"}.get(d[0], d[0]) for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


# A cohorte figure of the Synthèse: key -> (family, its `_provisoire` flag, its population).
COMPLETE_FIGURES = {
    "delai_orientation_jours": ("delai_orientation", "delai_orientation_provisoire", "entrants"),
    "orientes_30j_share": ("delai_orientation", "orientes_30j_provisoire", "entrants"),
    "delai_contrat_jours": ("contrat", "delai_contrat_provisoire", "orientes"),
    "contrat_30j_share": ("contrat", "contrat_30j_provisoire", "orientes"),
}
COHORTES_LOOKED_BACK = 6  # months scanned for the latest complete cohorte (60 days: 3 back)


def figure_value(key: str, result: dict) -> float | int | None:
    """A cohorte figure of a family result: the median of a delay, else the share."""
    return result[key]["mediane"] if key.endswith("_jours") else result[key]


def latest_complete(
    series: list[tuple[str, dict | None]], provisional: str, month: str
) -> tuple[str, dict] | None:
    """The latest cohorte on or before `month` whose `provisional` flag is false: the one
    the Synthèse shows, never a provisional one."""
    for cohorte, result in sorted(series, key=lambda x: x[0], reverse=True):
        if cohorte <= month and result is not None and result.get(provisional) is False:
            return cohorte, result
    return None


def looked_back(months: list[str], month: str) -> list[str]:
    """The cohortes scanned for the latest complete one (newest first among `months`)."""
    return sorted((m for m in months if m <= month), reverse=True)[:COHORTES_LOOKED_BACK]


def complete_cohortes(
    con: duckdb.DuckDBPyConnection,
    departement: str,
    month: str,
    communes: Communes = None,
    family: Family | None = None,
) -> dict[str, dict | None]:
    """Each Synthèse cohorte figure at the latest complete cohorte on or before `month`:
    {cohorte, valeur, population}; None when none of the months looked back is complete.
    `family` computes each month's family (`direct` by default)."""
    family = family or direct(con, departement, communes)
    scanned = looked_back(sorted({*months_available(con, departement), month}), month)
    families = {f for f, _, _ in COMPLETE_FIGURES.values()}
    series = {f: [(m, family(f, m)) for m in scanned] for f in families}
    out: dict[str, dict | None] = {}
    for key, (family, provisional, population_key) in COMPLETE_FIGURES.items():
        chosen = latest_complete(series[family], provisional, month)
        out[key] = (
            None
            if chosen is None
            else {
                "cohorte": chosen[0],
                "valeur": figure_value(key, chosen[1]),
                population_key: chosen[1][population_key],
            }
        )
    return out


def summary(
    con: duckdb.DuckDBPyConnection,
    departement: str,
    month: str,
    communes: Communes = None,
    family: Family | None = None,
) -> dict:
    """The JSON object of `python -m pipelines indicators` (unmasked: an operator tool).

    Keys whose data are absent for the département are null, never a crash. `family`
    computes each family of a month (`direct` by default): the dashboard passes its cache,
    so that the months a Synthèse reads twice (this month's summary, the previous month's,
    the cohortes looked back) are queried once. A given `family` must read the scope
    `communes` names (it is called with a family and a month only): the committee report's
    reads (dashboard/comite.py) cover the whole département, with `communes` None.
    """
    family = family or direct(con, departement, communes)
    result: dict = {"departement": departement, "month": month}
    result.update(family("stock", month))
    stock_date = con.execute("SELECT date_donnees(?, ['pecgm'])", [departement]).fetchone()[0]
    orient = family("orientations", month)
    result["orientations"] = orient["orientations"] if orient else None
    result["organisme_referent"] = orient["organisme_referent"] if orient else None
    result["personnes_orientees"] = orient["personnes_orientees"] if orient else None
    result.update(family("flux", month))
    delay = family("delai_orientation", month)
    for key in (
        "delai_orientation_jours",
        "orientes_30j_share",
        "orientes_6sem_share",
        "anomalies_avant_entree",
        "orientes_30j_provisoire",
        "orientes_6sem_provisoire",
        "delai_orientation_provisoire",
        "cohorte_provisoire",
    ):
        result[key] = delay[key] if delay else None
    result["entrants"] = delay["entrants"] if delay else None
    result["population"] = population(con, departement)
    result["liaison_flux"] = family("liaison_flux", None)
    contract = family("contrat", month)
    for key in (
        "delai_contrat_jours",
        "contrat_30j_share",
        "contrat_60j_share",
        "contrat_30j_provisoire",
        "contrat_60j_provisoire",
        "delai_contrat_provisoire",
    ):
        result[key] = contract[key] if contract else None
    result["orientes"] = contract["orientes"] if contract else None
    # The figures above are those of the cohorte of `month` (possibly provisional: its
    # `_provisoire` flags say so); the Synthèse shows the latest complete one, given here.
    result["cohorte_du_mois"] = {
        "cohorte": month,
        "provisoire": {k: result[flag] for k, (_, flag, _) in COMPLETE_FIGURES.items()},
    }
    result["derniere_cohorte_complete"] = complete_cohortes(
        con, departement, month, communes, family
    )
    result["date_donnees"] = {  # per family: the cohorte figures are complete up to it
        "stock": iso_date(stock_date),
        "delai_orientation": delay["date_donnees"] if delay else None,
        "contrat": contract["date_donnees"] if contract else None,
    }
    first = family("premier_rdv", month)
    result["delai_premier_rdv_jours"] = first
    intensity = family("intensite", month)
    result["heures_hebdo"] = intensity["heures_hebdo"] if intensity else None
    result["rdv_par_personne"] = intensity["rdv_par_personne"] if intensity else None
    shares = family("part_orientes", month)
    result["part_orientes"] = shares
    ft = family("france_travail", month)
    for key in ("date_collecte", "statut_de", "categorie_api", "contraintes"):
        result[key if key != "date_collecte" else "date_collecte_ft"] = ft[key] if ft else None
    result["inscrits_orientes_ft"] = ft["inscrits_orientes_ft"] if ft else None
    return result
