"""The département's classification of its organismes référents into the DREES categories
of the annual return (enquête OARSA, docs/oarsa.md).

A small file `organisme;categorie` (delimited text or .xlsx, UTF-8 or Windows-1252, `;`
or `,`, read like the sources' files), loaded with
`python -m pipelines organismes FICHIER --departement D`, replaces the département's
classification whole, in one new generation of the warehouse (the `territoires`
contract): a bad file is refused whole, with the file, the line and the field. Names are
matched to the orientation decisions' organismes case-, accent- and space-insensitively,
by the warehouse's macro `organisme_cle` (migration 0017): one rule for the load and the
tables. Organismes are organisations, never persons: their names may be listed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines import generation
from pipelines.errors import UsageError
from pipelines.nomenclatures import codes
from pipelines.readers.tabular import reference_file

UNCLASSIFIED = "non_classe"  # what the tables count an organisme under when it is not here


def categories() -> list[str]:
    """The categories a département may give (the DREES's; `non_classe` is the tables')."""
    return [c for c in codes("oarsa_categorie") if c != UNCLASSIFIED]


def read_file(path: Path) -> list[tuple[int, str, str]]:
    """(line, organisme, categorie) rows, checked line by line; the message names the
    file, the line and the field."""
    table, oi, ci = reference_file(path, ("organisme", "categorie"))
    allowed = categories()
    rows = []
    for number, row in zip(table.line_numbers, table.rows, strict=True):
        organisme = " ".join((row[oi] or "").split()) if oi < len(row) else ""
        categorie = (row[ci] or "").strip().lower() if ci < len(row) else ""
        if not organisme:
            raise UsageError(f"{path.name}, ligne {number}, champ organisme : vide.")
        if categorie not in allowed:
            raise UsageError(
                f"{path.name}, ligne {number}, champ categorie : catégorie inconnue "
                f"(possibles : {', '.join(allowed)})."
            )
        rows.append((number, organisme, categorie))
    if not rows:
        raise UsageError(f"{path.name} : aucun organisme.")
    return rows


def _write(con: duckdb.DuckDBPyConnection, name: str, departement: str, rows) -> int:
    """Replace the département's rows; two lines naming the same organisme (by the
    matching rule) with different categories refuse the file, nothing written."""
    con.execute(
        "CREATE TEMP TABLE organismes_lus (ligne BIGINT, organisme VARCHAR, categorie VARCHAR)"
    )
    con.executemany("INSERT INTO organismes_lus VALUES (?, ?, ?)", rows)
    clash = con.execute(
        "SELECT max(ligne), min(ligne) FROM organismes_lus "
        "GROUP BY wh.organisme_cle(organisme) HAVING count(DISTINCT categorie) > 1 "
        "ORDER BY 1 LIMIT 1"
    ).fetchone()
    if clash:
        raise UsageError(
            f"{name}, ligne {clash[0]}, champ organisme : organisme déjà classé dans une autre "
            f"catégorie, ligne {clash[1]} (noms comparés sans casse, accents ni espaces)."
        )
    con.execute("DELETE FROM wh.organisme_categorie WHERE departement = ?", [departement])
    con.execute(
        "INSERT INTO wh.organisme_categorie "
        "SELECT ?, wh.organisme_cle(organisme), arg_min(organisme, ligne), any_value(categorie) "
        "FROM organismes_lus GROUP BY wh.organisme_cle(organisme)",
        [departement],
    )
    return con.execute(
        "SELECT count(*) FROM wh.organisme_categorie WHERE departement = ?", [departement]
    ).fetchone()[0]


def load_file(db_path: Path, path: Path, departement: str) -> int:
    """Replace the département's classification by the file's, all or nothing."""
    rows = read_file(path)
    return generation.in_generation(db_path, lambda con: _write(con, path.name, departement, rows))


def classification(con: duckdb.DuckDBPyConnection, departement: str) -> list[tuple[str, str]]:
    """(organisme, categorie) of the département, by category then name."""
    return con.execute(
        "SELECT organisme, categorie FROM organisme_categorie WHERE departement = ? "
        "ORDER BY categorie, organisme",
        [departement],
    ).fetchall()
