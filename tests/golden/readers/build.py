"""Rebuild the inputs of tests/test_reader_golden.py (committed; run only when a sample
file's shape changes): the first persons of committed sample files, bytes and encoding
kept, and a CAF/MSA flux of three hand-built households. All values are synthetic.

    .venv/bin/python tests/golden/readers/build.py
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sample_data.caf_flux import Foyer, Personne, fake_nir, write_flux

HERE = Path(__file__).parent
SAMPLE = HERE.parents[2] / "sample_data"
ROWS = 8  # data rows kept from each file


def head(source: Path, target: Path, keep=None) -> None:
    """The header line and the data lines `keep` accepts (the first ROWS by default)."""
    lines = source.read_bytes().splitlines(keepends=True)
    kept = [line for line in lines[1:] if keep(line)] if keep else lines[1 : ROWS + 1]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(lines[0] + b"".join(kept))


def main() -> None:
    head(
        SAMPLE / "lrsa" / "LRSA_2A_202507_inscriptions.csv",
        HERE / "lrsa" / "LRSA_2A_202507_inscriptions.csv",
    )
    head(SAMPLE / "stock" / "REPRISE_STOCK_2A.csv", HERE / "stock" / "REPRISE_STOCK_2A.csv")
    personnes = SAMPLE / "parcours" / "PARCOURS_2A_personnes.csv"
    head(personnes, HERE / "parcours" / personnes.name)
    ids = {line.split(b";")[0] for line in personnes.read_bytes().splitlines()[1 : ROWS + 1]}
    for name in ("PARCOURS_2A_rendez_vous.csv", "PARCOURS_2A_prestations.csv"):
        head(
            SAMPLE / "parcours" / name,
            HERE / "parcours" / name,
            lambda line: line.split(b";")[0] in ids,
        )
    foyers = [
        Foyer("9000000000001", date(2025, 11, 3), personnes=[Personne(fake_nir(1), date(1980, 2, 1), "2")]),
        Foyer("9000000000002", date(2026, 1, 15), etat="2", personnes=[
            Personne(fake_nir(2), date(1975, 6, 1), "1"),
            Personne(fake_nir(3), date(1978, 9, 1), "2", role="CJT", soumis=False),
        ]),
        Foyer("9000000000003", date(2024, 5, 2), etat="5", date_cloture=date(2026, 4, 30),
              motif_cloture="PCG", personnes=[Personne(fake_nir(4), date(1990, 1, 1), "1")]),
    ]  # fmt: skip
    write_flux(HERE / "caf" / "RSABEM_2A_202605.xml", "2A", date(2026, 5, 31), foyers)


if __name__ == "__main__":
    main()
