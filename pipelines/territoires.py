"""Territoires of a département: its own grouping of communes (territoires d'action
sociale, bassins d'emploi), the unit its steering committee reads figures by.

A département gives a small file (`code_commune;territoire`, delimited text or .xlsx,
read like the sources' files), loaded with `python -m pipelines territoires FICHIER --departement D`,
which replaces that département's territoires atomically. Without a file, each commune
known to the sources is its own territoire. Every indicator takes the chosen territoire as
the list of its communes (`communes`), applied through the `personne_commune` view (materialised as
`commune_personne`, refreshed at each load).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from pipelines import generation
from pipelines.errors import UsageError
from pipelines.nomenclatures import departement_code
from pipelines.readers.tabular import reference_file

COMMUNE = re.compile(r"^([0-9]{5}|2[AB][0-9]{3})$")


def read_file(path: Path, departement: str) -> list[tuple[str, str]]:
    """(code_commune, territoire) rows of a département's file, checked line by line: the
    message names the file, the line and the field (no personal data in such a file).

    Read like the sources' files (pipelines/readers/tabular.py): `;`, `,` or tab, UTF-8 or
    Windows-1252, or .xlsx; headers matched whatever their case, accents or spacing."""
    departement = departement_code(departement)
    table, ci, ti = reference_file(path, ("code_commune", "territoire"))
    out: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for number, row in zip(table.line_numbers, table.rows, strict=True):
        commune = (row[ci] or "").upper() if ci < len(row) else ""
        territoire = (row[ti] or "") if ti < len(row) else ""
        if not COMMUNE.match(commune):
            raise UsageError(
                f"{path.name}, ligne {number}, champ code_commune : code INSEE invalide."
            )
        if not commune.startswith(departement):
            raise UsageError(
                f"{path.name}, ligne {number}, champ code_commune : commune hors du "
                f"département {departement}."
            )
        if not territoire:
            raise UsageError(f"{path.name}, ligne {number}, champ territoire : vide.")
        if commune in out and out[commune] != territoire:
            raise UsageError(
                f"{path.name}, ligne {number}, champ code_commune : commune déjà rattachée "
                f"à un autre territoire, ligne {first_line[commune]}."
            )
        out[commune] = territoire
        first_line.setdefault(commune, number)
    if not out:
        raise UsageError(f"{path.name} : aucune commune.")
    return sorted(out.items())


def load_file(db_path: Path, path: Path, departement: str) -> int:
    """Replace the département's territoires by the file's, in one new generation."""
    rows = read_file(path, departement)

    def write(con: duckdb.DuckDBPyConnection) -> int:
        con.execute("DELETE FROM wh.territoire WHERE departement = ?", [departement])
        con.executemany(
            "INSERT INTO wh.territoire VALUES (?, ?, ?)", [(departement, c, t) for c, t in rows]
        )
        return len(rows)

    return generation.in_generation(db_path, write)
