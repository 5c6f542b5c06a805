"""The DREES return (enquête OARSA) printed: an annex of the committee report (masked, as
every committee surface) and a PDF of its own (`python -m pipelines oarsa --pdf`: the
return, exact). One template fragment (`templates/oarsa_annexe.html.j2`) over the grids
of pipelines/oarsa_export.py, so the PDF shows the cells of the xlsx and the page."""

from __future__ import annotations

from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, select_autoescape

from pipelines import oarsa, oarsa_export

TEMPLATES = Path(__file__).parent / "templates"
EXACT = "Chiffres exacts, tels qu'ils sont transmis au service statistique (diffusion restreinte)."


def fragment(result: dict, limit: int | None = None) -> str:
    """The annex as HTML (autoescaped): exact without `limit`, else masked at `limit`."""
    grilles = oarsa_export.grilles(result)
    if limit is not None:
        grilles = [oarsa_export.masquer(g, limit) for g in grilles]
        note = (
            f"Vue du comité : effectifs de 1 à {limit - 1} masqués (« < {limit} »), avec "
            "masquage secondaire par ligne ; délais moyens non publiés sous ce seuil. Le bilan "
            "transmis à la DREES (page « Bilan annuel (DREES) », export exact) porte les chiffres exacts."
        )
    else:
        note = EXACT
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"])
    )
    return env.get_template("oarsa_annexe.html.j2").render(
        result=result,
        grilles=grilles,
        note=note,
        dimensions=oarsa.modalites()["dimension"],
        zip=zip,
        texte=lambda v, moyenne: oarsa_export.cellule_texte(v, moyenne, limit),
    )


def annee_du_rapport(con: duckdb.DuckDBPyConnection, departement: str, month: str) -> int | None:
    """The year whose return a report of `month` annexes: the latest with a December
    CAF/MSA flux, ending on or before the report's month."""
    year, mon = map(int, month.split("-"))
    years = [a for a in oarsa.annees_disponibles(con, departement) if a < year or mon == 12]
    return years[0] if years else None


def for_report(con: duckdb.DuckDBPyConnection, departement: str, month: str, limit: int) -> str:
    """The committee report's annex (masked): its HTML, or '' when no year can be filled."""
    annee = annee_du_rapport(con, departement, month)
    if annee is None:
        return ""
    return fragment(oarsa.compute(con, departement, annee), limit)


def document(result: dict) -> str:
    """The return alone, as a self-contained HTML document (the report's styles)."""
    from dashboard.palette import css_variables

    css = css_variables() + (TEMPLATES / "comite.css").read_text(encoding="utf-8")
    title = f"Bilan OARSA {result['departement']} {result['annee']}"
    from markupsafe import escape

    return (
        f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{css}</style></head><body>{fragment(result)}"
        "<script>window.rapportPret = 0;</script></body></html>"
    )


def pdf_bytes(result: dict) -> bytes:
    """The return printed to A4 by the system Chromium (as the committee report)."""
    from dashboard import pdf

    return pdf.html_to_pdf(document(result), 0).pdf
