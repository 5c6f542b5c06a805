"""Indicators, defined once in `sql/indicators/*.sql` (shared/spec/indicators.md).

Every page, export and the `indicators` command read figures through this module.
Families: stock (PECGM), orientations, flows, orientation delay, first appointment, time
to contract (with its Kaplan–Meier curve), intensity, share oriented (DREES). A family whose
data are absent for the département gives null values, never an error.
"""

from __future__ import annotations

from functools import cache

import duckdb

from pipelines.settings import SQL_DIR

SHARE_DECIMALS = 4
Communes = tuple[str, ...] | None  # a territory's communes; None: the whole département


def _territory(departement: str, communes: Communes) -> dict:
    """The bound parameters every indicator SQL takes: département and territory."""
    return {"departement": departement, "communes": list(communes) if communes else None}


def _params(departement: str, month: str, communes: Communes = None) -> dict:
    """The bound parameters of a monthly indicator SQL."""
    return {**_territory(departement, communes), "mois": f"{month}-01"}


@cache
def indicator_sql(name: str) -> str:
    return (SQL_DIR / "indicators" / f"{name}.sql").read_text(encoding="utf-8")


def share(numerator: int, denominator: int) -> float | None:
    """A share in [0, 1], rounded; null when the denominator is 0 (shown « n.d. »)."""
    if not denominator:
        return None
    return round(numerator / denominator, SHARE_DECIMALS)


def stock(
    con: duckdb.DuckDBPyConnection, departement: str, month: str, communes: Communes = None
) -> dict:
    """Stock indicators of one PECGM month, as in the command-line contract."""
    rows = con.execute(indicator_sql("stock"), _params(departement, month, communes)).fetchall()
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
    scalars: dict[str, int] = {}
    for name, code, n in rows:
        if name in counts:
            counts[name][code] = int(n)
        else:
            scalars[name] = int(n)
    total = scalars.get("stock_total", 0)
    return {
        "stock_total": total,
        "categorie": dict(sorted(counts["categorie"].items())),
        "modalite": dict(sorted(counts["modalite"].items())),
        "axe": dict(sorted(counts["axe"].items())),
        "sexe": dict(sorted(counts["sexe"].items())),
        "tranche_age": dict(sorted(counts["tranche_age"].items())),
        "commune": dict(sorted(counts["commune"].items())),
        "cer_notifie_share": share(scalars.get("cer_notifie", 0), total),
        "contact_90j_share": share(scalars.get("contact_90j", 0), total),
        "structure_suivi": {
            "principale": dict(sorted(counts["structure_principale"].items())),
            "deleguee": dict(sorted(counts["structure_deleguee"].items())),
        },
    }


def months_available(con: duckdb.DuckDBPyConnection, departement: str) -> list[str]:
    """Months with a loaded PECGM file for a département, newest first."""
    rows = con.execute(
        "SELECT DISTINCT strftime(mois, '%Y-%m') FROM pecgm_stock WHERE departement = ? ORDER BY 1 DESC",
        [departement],
    ).fetchall()
    return [r[0] for r in rows]


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
    if not has_rows(con, "orientation", departement):
        return None
    maps, scalars = _counts(
        con.execute(indicator_sql("orientations"), _params(departement, month, communes)).fetchall()
    )
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
    maps, _ = _counts(
        con.execute(indicator_sql("flux"), _params(departement, month, communes)).fetchall()
    )

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


POPULATION_CAPTIONS = {
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
    """The population the cohort indicators of a département count: 'caf_msa' once a
    CAF/MSA flux of the département is loaded, else 'sources' (macro of migration 0013)."""
    return con.execute("SELECT population_cohortes(?)", [departement]).fetchone()[0]


def has_population(con: duckdb.DuckDBPyConnection, departement: str) -> bool:
    """Whether a cohort indicator has anything to count: orientations or a CAF/MSA flux."""
    return has_rows(con, "orientation", departement) or has_rows(
        con, "caf_beneficiaire", departement
    )


def liaison_flux(con: duckdb.DuckDBPyConnection, departement: str) -> dict | None:
    """Persons of the orientation sources found in the département's CAF/MSA flux; None
    without a flux (the population is then the sources themselves)."""
    if not has_rows(con, "caf_beneficiaire", departement):
        return None
    oriented, found = con.execute(
        indicator_sql("liaison_flux"), {"departement": departement}
    ).fetchone()
    return {
        "personnes_orientees": oriented,
        "retrouvees_dans_flux": found,
        "taux": share(found, oriented),
    }


def delai_orientation(
    con: duckdb.DuckDBPyConnection,
    departement: str,
    month: str,
    communes: Communes = None,
    seuils: tuple[int, int] = (30, 42),
) -> dict | None:
    """Entry cohort of the month: delay to orientation and the shares within the thresholds,
    over the entrants of the population (`population`: caf_msa or sources)."""
    if not has_population(con, departement):
        return None
    groups = _groups(
        con,
        "delai_orientation",
        departement,
        month,
        communes,
        {"seuil_1": seuils[0], "seuil_2": seuils[1]},
    )

    def shaped(row: dict) -> dict:
        return {
            "delai_orientation_jours": {
                **_quantiles(row, "orientes"),
                "moyenne": float(row["moyenne"]) if row["moyenne"] is not None else None,
            },
            "entrants": row["entrants"],
            "orientes_30j_share": share(row["dans_seuil_1"], row["entrants"]),
            "orientes_6sem_share": share(row["dans_seuil_2"], row["entrants"]),
        }

    everyone = groups.pop("ensemble")
    return {
        **shaped(everyone),
        "anomalies_avant_entree": everyone["anomalies_avant_entree"],
        "cohorte_provisoire": not everyone["complete"],
        "population": everyone["population"],
        "par_sexe": {},
        "par_tranche_age": {},
        **breakdowns(groups, shaped),
    }


BREAKDOWNS = {"parcours": "par_parcours", "sexe": "par_sexe", "age": "par_tranche_age"}
EMPTY_BREAKDOWNS: dict[str, dict] = {"par_parcours": {}, "par_sexe": {}, "par_tranche_age": {}}


def breakdowns(groups: dict[str, dict], shaped) -> dict[str, dict]:
    """Rows keyed 'parcours:social', 'sexe:F', 'age:25_34' (GROUPING SETS of the SQL) ->
    {'par_parcours': {...}, 'par_sexe': {...}, 'par_tranche_age': {...}}, each shaped."""
    out: dict[str, dict] = {}
    for key, row in sorted(groups.items()):
        dimension, _, code = key.partition(":")
        out.setdefault(BREAKDOWNS[dimension], {})[code] = shaped(row)
    return out


def _groups(
    con, name: str, departement: str, month: str, communes: Communes, extra: dict | None = None
) -> dict[str, dict]:
    """Rows of an indicator SQL with a `groupe` column, keyed by it ('ensemble' = all)."""
    cursor = con.execute(
        indicator_sql(name), {**_params(departement, month, communes), **(extra or {})}
    )
    columns = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(columns[1:], row[1:], strict=True)) for row in cursor.fetchall()}


def _quantiles(row: dict, n_key: str) -> dict:
    return {"mediane": row["mediane"], "p25": row["p25"], "p75": row["p75"], "n": row[n_key]}


def contrat(
    con: duckdb.DuckDBPyConnection, departement: str, month: str, communes: Communes = None
) -> dict | None:
    """Time to contract of the orientation cohort of the month, overall and by parcours."""
    if not has_rows(con, "orientation", departement):
        return None
    groups = _groups(con, "contrat", departement, month, communes)

    def shaped(row: dict) -> dict:
        return {
            "delai_contrat_jours": _quantiles(row, "contractes"),
            "orientes": row["orientes"],
            "contrat_30j_share": share(row["dans_30j"], row["orientes"]),
            "contrat_60j_share": share(row["dans_60j"], row["orientes"]),
        }

    everyone = groups.pop("ensemble", None) or {
        "orientes": 0,
        "contractes": 0,
        "mediane": None,
        "p25": None,
        "p75": None,
        "dans_30j": 0,
        "dans_60j": 0,
    }
    return {**shaped(everyone), **EMPTY_BREAKDOWNS, **breakdowns(groups, shaped)}


def contrat_courbe(
    con: duckdb.DuckDBPyConnection, departement: str, communes: Communes = None
) -> list[dict]:
    """Kaplan–Meier share contracted by day 0…180, per orientation-month cohort."""
    if not has_rows(con, "orientation", departement):
        return []
    cursor = con.execute(
        indicator_sql("contrat_courbe"),
        _territory(departement, communes),
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def premier_rdv(
    con: duckdb.DuckDBPyConnection, departement: str, month: str, communes: Communes = None
) -> dict | None:
    if not has_rows(con, "parcours_personne", departement):
        return None
    cursor = con.execute(indicator_sql("premier_rdv"), _params(departement, month, communes))
    row = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
    return {**_quantiles(row, "avec_rdv"), "orientes": row["orientes"]}


def intensite(
    con: duckdb.DuckDBPyConnection, departement: str, month: str, communes: Communes = None
) -> dict | None:
    """Weekly hours of prestations and appointments per person in parcours."""
    if not has_rows(con, "parcours_personne", departement):
        return None
    groups = _groups(con, "intensite", departement, month, communes)

    def shaped(row: dict) -> dict:
        return {
            "personnes": row["personnes"],
            "moyenne": row["moyenne"],
            "mediane": row["mediane"],
            "heures_15_share": share(row["a_15h"], row["personnes"]),
        }

    everyone = groups.pop("ensemble", None)
    if everyone is None:
        return {"heures_hebdo": None, "rdv_par_personne": None, **EMPTY_BREAKDOWNS}
    return {
        "heures_hebdo": shaped(everyone),
        "rdv_par_personne": (
            round(everyone["rendez_vous"] / everyone["personnes"], 2)
            if everyone["personnes"]
            else None
        ),
        **EMPTY_BREAKDOWNS,
        **breakdowns(groups, shaped),
    }


def part_orientes(
    con: duckdb.DuckDBPyConnection, departement: str, month: str, communes: Communes = None
) -> dict | None:
    """DREES share oriented among persons in RSA at the end of the month, by seniority
    ('ensemble', 'moins_6_mois', '6_12_mois', '12_mois_et_plus'), each with the population
    it counts (the CAF/MSA flux of the month when one is loaded, else the parcours persons)."""
    if not has_rows(con, "parcours_personne", departement) and not has_rows(
        con, "caf_beneficiaire", departement
    ):
        return None
    groups = _groups(con, "part_orientes", departement, month, communes)
    return {
        k: {
            "personnes": v["personnes"],
            "part": share(v["orientes"], v["personnes"]),
            "population": v["population"],
        }
        for k, v in groups.items()
    }


COHORT_FILTERS = ("parcours", "sexe", "commune", "modalite", "tranche_age")
AGE_BANDS = ("moins_25", "25_34", "35_44", "45_54", "55_plus")


def cohorte(
    con: duckdb.DuckDBPyConnection,
    departement: str,
    base: str,
    mois_debut: str,
    mois_fin: str,
    communes: Communes = None,
    **filters: str | None,
) -> dict:
    """Funnel of one cohort (entry or orientation months, optional filters): entered,
    oriented, first appointment, contract, return to work, and two median delays."""
    if base not in ("entree", "orientation"):
        raise ValueError(base)
    unknown = set(filters) - set(COHORT_FILTERS)
    if unknown:
        raise ValueError(f"unknown cohort filters: {sorted(unknown)}")
    if not has_population(con, departement) and not has_rows(con, "parcours_personne", departement):
        return {
            "population": "sources",
            "entres": 0,
            "orientes": 0,
            "premier_rdv": 0,
            "contrat": 0,
            "reprise_emploi": 0,
            "delai_orientation_median": None,
            "delai_contrat_median": None,
        }
    params = {
        **_territory(departement, communes),
        "base": base,
        "mois_debut": f"{mois_debut}-01",
        "mois_fin": f"{mois_fin}-01",
        **{name: filters.get(name) for name in COHORT_FILTERS},
    }
    cursor = con.execute(indicator_sql("cohorte"), params)
    return dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))


def summary(
    con: duckdb.DuckDBPyConnection, departement: str, month: str, communes: Communes = None
) -> dict:
    """The JSON object of `python -m pipelines indicators` (unmasked: an operator tool).

    Keys whose data are absent for the département are null, never a crash.
    """
    result: dict = {"departement": departement, "month": month}
    result.update(stock(con, departement, month, communes))
    orient = orientations(con, departement, month, communes)
    result["orientations"] = orient["orientations"] if orient else None
    result["organisme_referent"] = orient["organisme_referent"] if orient else None
    result["personnes_orientees"] = orient["personnes_orientees"] if orient else None
    result.update(flux(con, departement, month, communes))
    delay = delai_orientation(con, departement, month, communes)
    for key in (
        "delai_orientation_jours",
        "orientes_30j_share",
        "orientes_6sem_share",
        "anomalies_avant_entree",
        "cohorte_provisoire",
    ):
        result[key] = delay[key] if delay else None
    result["population"] = population(con, departement)
    result["liaison_flux"] = liaison_flux(con, departement)
    contract = contrat(con, departement, month, communes)
    for key in ("delai_contrat_jours", "contrat_30j_share", "contrat_60j_share"):
        result[key] = contract[key] if contract else None
    first = premier_rdv(con, departement, month, communes)
    result["delai_premier_rdv_jours"] = first
    intensity = intensite(con, departement, month, communes)
    result["heures_hebdo"] = intensity["heures_hebdo"] if intensity else None
    result["rdv_par_personne"] = intensity["rdv_par_personne"] if intensity else None
    shares = part_orientes(con, departement, month, communes)
    result["part_orientes"] = shares
    return result
