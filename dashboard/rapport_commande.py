"""The `rapport` command's work (`python -m pipelines rapport`): the committee's monthly PDF
is a dashboard product (its figures, masking and words are the pages'), so the command
lives here, and the command line only names it (`pipelines/cli.py`, `ENTRIES`): the
library never imports the dashboard."""

from __future__ import annotations

from pathlib import Path

from dashboard import comite
from pipelines import access, warehouse
from pipelines.settings import Settings


def run(settings: Settings, departement: str, month: str, pdf: str | None) -> str:
    """Write the masked committee PDF of `departement` and `month` (to `pdf`, else its
    default name), audit it as an export, and return the line the command prints."""
    target = Path(pdf or comite.file_name(departement, month))
    generated = comite.generate(warehouse.open_reader(settings.db_path), departement, month)
    target.write_bytes(generated.pdf)
    access.audit(
        settings.db_path, settings.operator, "export", "ok", departement, fichier=target.name
    )
    return (
        f"Rapport du comité {departement} {month} : {target} "
        f"({len(generated.rapport.charts)} graphiques, {len(generated.pdf) // 1024} Ko)."
    )
