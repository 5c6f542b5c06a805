"""`--scale national`: every département, 2,000,000 persons x 24 months, for the
benchmarks: the PECGM files and, per département, one CGPEM extract of the period, the
parcours files and the reprise de stock. Streamed to disk one département at a time, so memory stays bounded by
the largest département's population (well under 2 GB), whatever the total.

Persons are shared out between the 101 départements in proportion to weights that look
like the RSA population (large urban départements and overseas ones weigh more); each
département is simulated with the same model as the sample (`population.simulate`), with a
seed derived from the département, so a file never depends on the others.
"""

from __future__ import annotations

import resource
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from pipelines.readers.layout import available_layouts
from sample_data.pecgm_fixed import pecgm_lines, write_lines
from sample_data.population import Person, simulate
from sample_data.tabular_files import write_national_extracts

HEAVY = {
    "13": 6,
    "59": 8,
    "62": 5,
    "69": 4,
    "75": 5,
    "93": 7,
    "971": 3,
    "972": 3,
    "974": 6,
    "976": 3,
}


def departements() -> list[str]:
    mainland = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"]
    return [*mainland, "971", "972", "973", "974", "976"]


def shares(total: int) -> dict[str, int]:
    weights = {d: HEAVY.get(d, 1) for d in departements()}
    whole = sum(weights.values())
    return {d: max(50, round(total * w / whole)) for d, w in weights.items()}


FORMATS = ("pecgm", "departement")  # PECGM files; the département's extracts


def generate_national(
    out: Path,
    persons: int,
    months: int,
    seed: int,
    last: date,
    compress: bool = False,
    formats: tuple[str, ...] = FORMATS,
) -> Iterator[Path]:
    """Yield each file as it is written (département by département, month by month).

    `formats` may leave out the PECGM files to add the départements' extracts (CGPEM,
    parcours, reprise de stock) to an existing national sample: the simulation is
    deterministic, so they describe the same people."""
    layout = available_layouts("pecgm")["001,0"]
    target = out / "pecgm"
    target.mkdir(parents=True, exist_ok=True)
    for index, (departement, count) in enumerate(shares(persons).items()):
        everyone: dict[int, Person] = {}
        first = None
        for ref, people in simulate(departement, months, count, seed * 1000 + index, last):
            first = first or ref.replace(day=1)
            for p in people:
                everyone.setdefault(p.serial, p)
            if "pecgm" in formats:
                name = f"PECGM_{departement}_{ref:%Y%m}.txt" + (".gz" if compress else "")
                write_lines(target / name, pecgm_lines(layout, departement, ref, people))
                yield target / name
        if "departement" in formats and first is not None:
            yield from write_national_extracts(departement, everyone, seed, first, last, out)


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
