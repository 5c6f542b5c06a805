"""The DREES return laid out as the questionnaire's six tables: one grid per table (rows =
the total then each breakdown, columns = the DREES's), read by the xlsx written here, the
PDF annex (dashboard/oarsa_annexe.py) and the page (dashboard/views/oarsa.py), so that the
three show the cells of the same JSON (`oarsa.compute`).

The xlsx is the return itself: exact counts, numbers stored as numbers, one sheet per
table with the DREES's labels, and a sheet of definitions, sources and data dates. A
committee surface masks the grid first (`masquer`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

from pipelines import masking, oarsa
from pipelines.export import neutralise

Cell = int | float | str | None  # a count, a mean, « non disponible », or masked (None)


@dataclass(frozen=True)
class Ligne:
    dimension: str  # ensemble, sexe, age, anciennete, sitfam
    libelle: str
    cellules: tuple[Cell, ...]


@dataclass(frozen=True)
class Grille:
    cle: str
    titre: str
    colonnes: tuple[oarsa.Colonne, ...]
    lignes: tuple[Ligne, ...]
    message: str | None = None  # the table cannot be filled: why (never zeros)


def _flat(result: dict, cle: str) -> tuple[dict, dict]:
    """(the totals by column code, the cross-tables) of one table of the JSON."""
    table = result[cle]
    totals = {k: v for k, v in table.items() if not isinstance(v, dict)}
    for nested in ("par_organisme", "actions"):
        totals.update(table.get(nested, {}))
    if cle == "t1":
        totals.pop("france_travail", None)  # the column « orientées vers France Travail »
    return totals, table.get("croisements", {})


def grille(result: dict, cle: str) -> Grille:
    """The table `cle` of a computed return, as the questionnaire lays it out."""
    tableau = oarsa.questionnaire()[cle]
    labels = oarsa.modalites()
    if not result["disponible"]:
        return Grille(cle, tableau.titre, tableau.colonnes, (), result["manques"][0])
    table = result[cle]
    if table.get("disponible") is False:
        return Grille(cle, tableau.titre, tableau.colonnes, (), table["message"])
    totals, crosses = _flat(result, cle)
    codes = [c.code for c in tableau.colonnes]
    lignes = [Ligne("ensemble", labels["ensemble"]["total"], tuple(totals[c] for c in codes))]
    for dimension in oarsa.DIMENSIONS:
        for modalite, line in crosses[dimension].items():
            lignes.append(
                Ligne(dimension, labels[dimension][modalite], tuple(line[c] for c in codes))
            )
    return Grille(cle, tableau.titre, tableau.colonnes, tuple(lignes))


def grilles(result: dict) -> list[Grille]:
    return [grille(result, cle) for cle in oarsa.TABLES]


def masquer(g: Grille, limit: int | None = None) -> Grille:
    """The grid as a committee view shows it: each row's counts masked as one distribution
    (masking.mask_distribution, secondary suppression included); a mean is hidden when it
    averages fewer persons than the threshold (its count column is the one before)."""
    limit = masking.threshold() if limit is None else limit
    lignes = []
    for ligne in g.lignes:
        counts = {
            str(i): v
            for i, (c, v) in enumerate(zip(g.colonnes, ligne.cellules, strict=True))
            if not c.moyenne and isinstance(v, int)
        }
        masked = masking.mask_distribution(counts, limit)
        cells: list[Cell] = []
        for i, (c, v) in enumerate(zip(g.colonnes, ligne.cellules, strict=True)):
            if c.moyenne:
                base = ligne.cellules[_mean_base(g, i)]
                cells.append(
                    v if isinstance(base, int) and masking.share_allowed(base, limit) else None
                )
            else:
                cells.append(masked.get(str(i), v))
        lignes.append(replace(ligne, cellules=tuple(cells)))
    return replace(g, lignes=tuple(lignes))


def _mean_base(g: Grille, index: int) -> int:
    """The count a mean column averages: T5's primo-oriented for the delay to orientation,
    its primo-CER for the delay to the contract."""
    code = g.colonnes[index].code
    base = {"delai_moyen_orientation": "primo_orientes", "delai_moyen_cer": "primo_cer"}[code]
    return [c.code for c in g.colonnes].index(base)


def cellule_texte(value: Cell, moyenne: bool = False, limit: int | None = None) -> str:
    """A cell as a page or a PDF prints it (1 234 ; 12,3 ; « < 11 » ; non disponible)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "n.d." if moyenne else masking.masked_label(None, limit)
    if moyenne:
        return f"{value:.1f}".replace(".", ",")
    return masking.masked_label(value, limit)


# --- the xlsx -----------------------------------------------------------------------------

SHEET_NAMES = {cle: f"Tableau {cle[1]}" for cle in oarsa.TABLES}
DEFINITIONS_SHEET = "Définitions et sources"


def xlsx_bytes(result: dict) -> bytes:
    """The return as an .xlsx workbook: one sheet per table (title, column labels of the
    DREES, the total then each breakdown; counts as numbers, means rounded to the unit as
    the questionnaire asks), then the definitions, sources and data dates."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    head = _heading(result)
    for g in grilles(result):
        sheet = book.create_sheet(SHEET_NAMES[g.cle])
        sheet.append([g.titre])
        sheet["A1"].font = bold
        sheet.append([head])
        sheet.append([])
        sheet.append(["", *(neutralise(c.libelle) for c in g.colonnes)])
        for cell in sheet[4]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if g.message:
            sheet.append([neutralise(g.message)])
        current = None
        for ligne in g.lignes:
            if ligne.dimension != current and ligne.dimension != "ensemble":
                sheet.append([oarsa.modalites()["dimension"][ligne.dimension]])
                sheet.cell(sheet.max_row, 1).font = bold
            current = ligne.dimension
            sheet.append(
                [
                    ligne.libelle,
                    *(_xlsx_value(c, v) for c, v in zip(g.colonnes, ligne.cellules, strict=True)),
                ]
            )
        sheet.column_dimensions["A"].width = 42
    _definitions_sheet(book.create_sheet(DEFINITIONS_SHEET), result, bold)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_value(colonne: oarsa.Colonne, value: Cell) -> Cell:
    if colonne.moyenne and isinstance(value, float):
        return round(value)  # the questionnaire: « arrondi à l'unité »
    return neutralise(value)


def _heading(result: dict) -> str:
    return (
        f"Département {result['departement']} — année {result['annee']} — situation au "
        f"31/12/{result['annee']} — population : {result['regle_libelle']}"
    )


def _definitions_sheet(sheet, result: dict, bold) -> None:
    sheet.append(["Bilan annuel de la DREES (enquête OARSA) — définitions et sources"])
    sheet["A1"].font = bold
    sheet.append([_heading(result)])
    sheet.append([])
    src = result["sources"]
    sheet.append(["Source", "Date des données"])
    for label, value in (
        ("Flux bénéficiaires CAF/MSA (état au 31/12)", src["flux_caf"]),
        ("Fichier PECGM de décembre (inscription à France Travail)", src["pecgm_decembre"]),
        ("Dernière collecte France Travail au 31/12", src["collecte_france_travail"]),
        ("Dates de contrat (fichier parcours)", "chargées" if src["contrats"] else "absentes"),
        ("Organismes classés par le département", src["organismes_classes"]),
    ):
        sheet.append([label, value if value is not None else "aucun"])
    sheet.append([])
    sheet.append(["Ce qui manque"])
    sheet.cell(sheet.max_row, 1).font = bold
    for text in result["manques"] or ["Rien : toutes les sources du bilan sont chargées."]:
        sheet.append([neutralise(text)])
    if result.get("non_classes"):
        sheet.append([])
        sheet.append(["Organisme non classé", "Personnes orientées au 31/12"])
        for row in result["non_classes"]:
            sheet.append([neutralise(row["organisme"]), row["personnes"]])
    sheet.append([])
    sheet.append(["Tableau", "Colonne", "Définition"])
    for tableau in oarsa.questionnaire().values():
        sheet.append([SHEET_NAMES[tableau.cle], "(tableau)", neutralise(tableau.definition)])
        for c in tableau.colonnes:
            sheet.append(
                [SHEET_NAMES[tableau.cle], neutralise(c.libelle), neutralise(c.definition)]
            )
    sheet.column_dimensions["A"].width = 50
    sheet.column_dimensions["B"].width = 50
    sheet.column_dimensions["C"].width = 90
