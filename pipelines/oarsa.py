"""The annual DREES return (enquête OARSA, tables T1 to T6), computed from the warehouse.

Each table is an indicator SQL file (`sql/indicators/oarsa_t<n>.sql`, run by
`indicators.run`) whose YAML beside it holds its definition, its unit tests and the
questionnaire's layout (title, columns as the DREES writes them, a definition per
column). This module binds the year and the population rule, says what is missing (no
CAF/MSA flux for the year, no contract dates, organismes not classified) and shapes the
rows into the JSON contract that the page, the xlsx, the PDF annex and the command line
all read: one computation, four surfaces (docs/oarsa.md).

Each SQL file writes the 31/12 of the year as an expression (`make_date($annee, 12,
31)`), never as a CTE read through a scalar subquery: DuckDB planned each such subquery,
once per macro that received it, as one more join, and searching the order of those
joins took 60 % of a table's time (docs/performances.md).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import cache

import duckdb

from pipelines import indicateurs_doc, indicators, warehouse
from pipelines.errors import UsageError
from pipelines.nomenclatures import nomenclature

TABLES = ("t1", "t2", "t3", "t4", "t5", "t6")
DIMENSIONS = ("sexe", "age", "anciennete", "sitfam")
# The population rule: the DREES's (open right, not suspended) or webrsa's (suspended
# rights included). PILOTAGE_OARSA_REGLE sets the département's default.
REGLES = {
    "drees": "droit ouvert et non suspendu au 31/12 (ETATDOSRSA 2), définition de la DREES",
    "avec_suspendus": "droit ouvert, suspendu ou non, au 31/12 (ETATDOSRSA 2, 3 ou 4), comme webrsa",
}
NON_DISPONIBLE = "non disponible"
CONTRAT_TABLES = ("t3", "t4")  # nothing to count without contract dates


def regle_par_defaut() -> str:
    """The population rule in force: PILOTAGE_OARSA_REGLE, else the DREES's."""
    regle = os.environ.get("PILOTAGE_OARSA_REGLE") or "drees"
    return check_regle(regle)


def check_regle(regle: str) -> str:
    if regle not in REGLES:
        raise UsageError(
            f"Règle de population inconnue : « {regle} » (possibles : {', '.join(REGLES)})."
        )
    return regle


def check_annee(annee: int) -> int:
    if not 2000 <= annee <= 2100:
        raise UsageError(f"Année invalide : {annee} (attendu AAAA, par exemple 2025).")
    return annee


# --- the questionnaire's layout, from the YAML beside each table's SQL -----------------


@dataclass(frozen=True)
class Colonne:
    code: str
    libelle: str
    definition: str
    contrat: bool = False  # needs contract dates (parcours template)
    moyenne: bool = False  # a mean delay in days, not a count


@dataclass(frozen=True)
class Tableau:
    cle: str  # t1 … t6
    titre: str
    colonnes: tuple[Colonne, ...]
    definition: str
    champ: str


@cache
def questionnaire() -> dict[str, Tableau]:
    """The six tables as the DREES questionnaire lays them out (titles, columns, the
    definition of each), read from `sql/indicators/oarsa_t<n>.yaml`."""
    by_file = {d["fichier"]: d for d in indicateurs_doc.definitions()}
    out = {}
    for cle in TABLES:
        d = by_file[f"oarsa_{cle}"]
        colonnes: list[Colonne] = []
        for c in d["questionnaire"]["colonnes"]:
            flags = {"contrat": bool(c.get("contrat")), "moyenne": bool(c.get("moyenne"))}
            if "nomenclature" in c:
                colonnes += [
                    Colonne(row["code"], row["libelle"], c["definition"], **flags)
                    for row in nomenclature(c["nomenclature"])
                    if row["code"] not in c.get("sauf", [])
                ]
            else:
                colonnes.append(Colonne(c["code"], c["libelle"], c["definition"], **flags))
        out[cle] = Tableau(
            cle,
            d["questionnaire"]["titre"],
            tuple(colonnes),
            " ".join(d["definition"].split()),
            " ".join(d["champ"].split()),
        )
    return out


@cache
def modalites() -> dict[str, dict[str, str]]:
    """Row labels by dimension ({'sexe': {'F': 'Femme', …}, 'dimension': {…}})."""
    out: dict[str, dict[str, str]] = {}
    for row in nomenclature("oarsa_modalite"):
        dimension, _, code = row["code"].partition(":")
        out.setdefault(dimension, {})[code] = row["libelle"]
    return out


def libelles_categories() -> dict[str, str]:
    return {row["code"]: row["libelle"] for row in nomenclature("oarsa_categorie")}


# --- what is loaded for the year ---------------------------------------------------------


def fin_annee(annee: int) -> date:
    return date(annee, 12, 31)


def sources(con: duckdb.DuckDBPyConnection, departement: str, annee: int) -> dict:
    """The data the return of the year reads, with their dates: the CAF/MSA flux whose
    state is that of 31/12 (it must be dated in December: an older one does not describe
    the end of the year), the PECGM file of December, the latest France Travail collection,
    contract dates, the organismes' classification."""
    fin = fin_annee(annee)
    flux = con.execute(
        "SELECT max(date_reference) FROM caf_beneficiaire "
        "WHERE departement = ? AND date_reference <= ?",
        [departement, fin],
    ).fetchone()[0]
    pecgm = con.execute(
        "SELECT max(date_reference) FROM pecgm_stock WHERE departement = ? AND mois = ?",
        [departement, date(annee, 12, 1)],
    ).fetchone()[0]
    try:
        collecte = con.execute(
            "SELECT max(date_collecte) FROM ft_statut WHERE departement = ? AND date_collecte <= ?",
            [departement, fin],
        ).fetchone()[0]
    except duckdb.CatalogException:
        collecte = None
    contrats = con.execute(
        "SELECT count(*) FROM parcours_personne "
        "WHERE departement = ? AND date_debut_contrat IS NOT NULL",
        [departement],
    ).fetchone()[0]
    organismes = con.execute(
        "SELECT count(*) FROM organisme_categorie WHERE departement = ?", [departement]
    ).fetchone()[0]
    return {
        "flux_caf": indicators.iso_date(flux),
        "flux_caf_utilisable": flux is not None and flux >= date(annee, 12, 1),
        "pecgm_decembre": indicators.iso_date(pecgm),
        "collecte_france_travail": indicators.iso_date(collecte),
        "contrats": contrats > 0,
        "organismes_classes": organismes,
    }


def manques(src: dict, annee: int, non_classes: list[dict]) -> list[str]:
    """What is missing to fill the return, in the words the page and the CLI print."""
    out = []
    if not src["flux_caf_utilisable"]:
        seen = f" (le plus récent date du {src['flux_caf']})" if src["flux_caf"] else ""
        out.append(
            f"Aucun flux CAF/MSA de décembre {annee} chargé{seen} : la population soumise aux "
            f"droits et devoirs au 31/12/{annee} est inconnue, aucun tableau n'est calculé."
        )
    if not src["contrats"]:
        out.append(
            "Aucune date de début et de fin de contrat chargée (colonnes « date debut "
            "contrat », « date fin contrat », « actions du contrat » du fichier parcours) : "
            "tableaux 3 et 4 et contrats du tableau 2 non disponibles."
        )
    if not src["pecgm_decembre"] and not src["collecte_france_travail"]:
        out.append(
            f"Ni fichier PECGM de décembre {annee} ni collecte France Travail : aucune "
            "personne orientée vers France Travail ne peut être vue inscrite (tableau 2)."
        )
    if not src["organismes_classes"]:
        out.append(
            "Aucun classement des organismes chargé (python -m pipelines organismes) : "
            "toutes les orientations sont « non classées »."
        )
    elif non_classes:
        out.append(
            f"{len(non_classes)} organisme(s) référent(s) non classé(s) : complétez le fichier "
            "organisme;categorie (voir la liste des organismes non classés)."
        )
    return out


# --- the computation ---------------------------------------------------------------------


def _cells(rows: list[dict]) -> dict[str, dict[str, dict[str, dict]]]:
    """{dimension: {modalite: {colonne: row}}} from a table's rows."""
    out: dict[str, dict[str, dict[str, dict]]] = {}
    for row in rows:
        out.setdefault(row["dimension"], {}).setdefault(row["modalite"], {})[row["colonne"]] = row
    return out


def _value(row: dict | None, colonne: Colonne):
    """A count (0 when the SQL has no row: nobody), or a mean (None when nobody)."""
    if colonne.moyenne:
        return row["moyenne"] if row else None
    return int(row["n"]) if row else 0


def _table(
    tableau: Tableau, rows: list[dict], contrats: bool
) -> tuple[dict, dict[str, dict[str, dict]]]:
    """(the totals, the cross-tables by dimension) of one table; a column that needs
    contract dates is 'non disponible' without them, never 0."""
    cells = _cells(rows)

    def line(by_colonne: dict[str, dict]) -> dict:
        return {
            c.code: (
                NON_DISPONIBLE if c.contrat and not contrats else _value(by_colonne.get(c.code), c)
            )
            for c in tableau.colonnes
        }

    totals = line(cells.get("ensemble", {}).get("total", {}))
    crosses = {
        dimension: {
            modalite: line(cells.get(dimension, {}).get(modalite, {}))
            for modalite in modalites()[dimension]
        }
        for dimension in DIMENSIONS
    }
    return totals, crosses


def _run(con, cle: str, departement: str, annee: int, regle: str) -> list[dict]:
    params = indicators.parameters(departement, None, None, annee=annee, regle=regle)
    return indicators.run(con, f"oarsa_{cle}", params)


def _tables(con, departement: str, annee: int, regle: str) -> dict[str, list[dict]]:
    """The six tables' rows, two queries at a time on cursors of the same reader
    (`warehouse.sibling`): a query plans, and mostly runs, on one core, so the page,
    the PDF annex and the command wait about half as long. The reader's committed
    data only: the callers read the warehouse, they never write to it."""
    cursors = [warehouse.sibling(con) for _ in TABLES]  # here: `con` takes one call at a time
    try:
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="oarsa") as pool:
            futures = [
                pool.submit(_run, cursor, cle, departement, annee, regle)
                for cle, cursor in zip(TABLES, cursors, strict=True)
            ]
            try:
                return {cle: f.result() for cle, f in zip(TABLES, futures, strict=True)}
            except BaseException:  # an error, or Ctrl-C: the other query stops too
                for future in futures:
                    future.cancel()
                for cursor in cursors:
                    cursor.interrupt()
                raise
    finally:
        for cursor in cursors:
            cursor.close()


def compute(
    con: duckdb.DuckDBPyConnection, departement: str, annee: int, regle: str | None = None
) -> dict:
    """The return of a département for a year, as the JSON contract (exact counts: it goes
    to the statistics service; committee surfaces mask it, see `masquer`). `con` is a
    reader: the tables are read beside it on cursors that see committed data only
    (`_tables`), never a transaction it has open.

    Without a CAF/MSA flux of December the tables are null and `disponible` is false:
    never zeros for a population that is not known."""
    annee = check_annee(annee)
    regle = check_regle(regle or regle_par_defaut())
    src = sources(con, departement, annee)
    result: dict = {
        "annee": annee,
        "departement": departement,
        "date_reference": fin_annee(annee).isoformat(),
        "regle_population": regle,
        "regle_libelle": REGLES[regle],
        "disponible": src["flux_caf_utilisable"],
        "sources": src,
    }
    if not src["flux_caf_utilisable"]:
        return {**result, "non_classes": [], "manques": manques(src, annee, [])} | {
            t: None for t in TABLES
        }
    layout = questionnaire()
    rows = _tables(con, departement, annee, regle)
    non_classes = [
        {"organisme": r["modalite"], "personnes": int(r["n"])}
        for r in rows["t1"]
        if r["dimension"] == "non_classe"
    ]
    shaped = {cle: _table(layout[cle], rows[cle], src["contrats"]) for cle in TABLES}
    result["non_classes"] = sorted(non_classes, key=lambda r: (-r["personnes"], r["organisme"]))
    result["manques"] = manques(src, annee, non_classes)
    result["t1"] = _t1(*shaped["t1"])
    result["t2"] = _with_categories(*shaped["t2"], prefix_keys=_T2_KEYS)
    for cle in ("t3", "t4"):
        totals, crosses = shaped[cle]
        result[cle] = (
            {"disponible": True, **totals, "croisements": crosses}
            if src["contrats"]
            else {
                "disponible": False,
                "message": f"{NON_DISPONIBLE} : aucune date de contrat chargée",
            }
        )
    if src["contrats"]:
        actions = {c.code for c in layout["t4"].colonnes} - {"contrats"}
        t4 = result["t4"]
        t4["actions"] = {code: t4.pop(code) for code in sorted(actions)}
    totals, crosses = shaped["t5"]
    result["t5"] = {**totals, "croisements": crosses}
    totals, crosses = shaped["t6"]
    result["t6"] = {**totals, "croisements": crosses}
    return result


_T1_KEYS = (
    "sdd",
    "orientes",
    "non_orientes",
    "orientes_ft",
    "orientes_hors_ft",
    "orientes_spe_hors_ft",
    "orientes_hors_spe",
)
_T2_KEYS = (
    "orientes_ft",
    "ft_inscrits",
    "orientes_hors_ft",
    "contrat",
    "contrat_spe",
    "contrat_hors_spe",
)


def _with_categories(totals: dict, crosses: dict, prefix_keys: tuple[str, ...]) -> dict:
    """The table's own keys, the categories grouped under `par_organisme`."""
    out = {k: totals[k] for k in prefix_keys}
    out["par_organisme"] = {k: v for k, v in totals.items() if k not in prefix_keys}
    out["croisements"] = crosses
    return out


def _t1(totals: dict, crosses: dict) -> dict:
    out = _with_categories(totals, crosses, _T1_KEYS)
    out["par_organisme"] = {"france_travail": totals["orientes_ft"], **out["par_organisme"]}
    for dimension in DIMENSIONS:  # the distribution of the SDD by each breakdown
        key = {"sitfam": "par_situation_familiale"}.get(dimension, f"par_{dimension}")
        out[key] = {m: line["sdd"] for m, line in crosses[dimension].items()}
    out["par_sexe"] = {k: v for k, v in out["par_sexe"].items() if k in ("F", "M") or v}
    return out


def annees_proposees(known: list[int], today: date | None = None) -> list[int]:
    """The years the Bilan DREES page offers, newest first (the first is the one it opens
    with): those with data (`annees_disponibles`), and the last ended year even without
    one (the page then says what is missing)."""
    last_ended = (today or date.today()).year - 1
    return sorted({*known, last_ended}, reverse=True)


def annees_disponibles(con: duckdb.DuckDBPyConnection, departement: str) -> list[int]:
    """Years with a CAF/MSA flux dated in December, newest first (those the return can fill)."""
    rows = con.execute(
        "SELECT DISTINCT year(date_reference) FROM caf_beneficiaire "
        "WHERE departement = ? AND month(date_reference) = 12 ORDER BY 1 DESC",
        [departement],
    ).fetchall()
    return [int(r[0]) for r in rows]
