"""Synthetic sample data: one coherent population, written month after month.

    python -m sample_data.generate --departement 2A --months 18 --persons 3000 --out DIR

Deterministic for a given --seed. No real person: NIRs use département 99 (born abroad)
with a country code from 99900 to 99999, which INSEE does not assign; names come from a
small fixed list of obviously fictitious names. See sample_data/README.md for the
distributions assumed. The population model lives in `population`, the fixed-width PECGM
records in `pecgm_fixed`; this module writes the files (PECGM plain or --dirty, XML, the
tabular sources) and re-exports both, so callers keep reading them from here.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from pipelines.readers.layout import Layout, available_layouts
from sample_data.pecgm_fixed import (
    footer_record,
    footer_values,
    header_record,
    header_values,
    pecgm_lines,
    write_lines,
)
from sample_data.population import (
    AGENCES,
    AXES,
    CATEGORIES,
    CESSATIONS,
    DELEGUEES,
    FAKE_FIRST,
    FAKE_NAMES,
    MODALITES,
    MONTHLY_CESSATION,
    MONTHLY_RADIATION,
    NIVEAUX,
    PLEIN_EMPLOI,
    RADIATIONS,
    Person,
    categorie_du_mois,
    communes,
    detail_values,
    make_person,
    month_end,
    months_back,
    pick,
    simulate,
)

# The model (population) and the fixed-width records (pecgm_fixed), named here too: callers
# and tests read them from `generate`, as before the split.
__all__ = [
    "AGENCES",
    "AXES",
    "CATEGORIES",
    "CESSATIONS",
    "DEFECTS",
    "DELEGUEES",
    "FAKE_FIRST",
    "FAKE_NAMES",
    "MODALITES",
    "MONTHLY_CESSATION",
    "MONTHLY_RADIATION",
    "NIVEAUX",
    "PLEIN_EMPLOI",
    "RADIATIONS",
    "Person",
    "categorie_du_mois",
    "communes",
    "detail_values",
    "dirty",
    "footer_record",
    "footer_values",
    "generate",
    "header_record",
    "header_values",
    "main",
    "make_person",
    "month_end",
    "months_back",
    "pecgm_lines",
    "pick",
    "set_field",
    "simulate",
    "write_lines",
]


def set_field(line: str, layout: Layout, record_type: str, name: str, value: str) -> str:
    """Overwrite one field of a record in place (the line is padded first if needed)."""
    f = layout.field(record_type, name)
    padded = line.ljust(f.end)
    return padded[: f.start - 1] + value.ljust(f.width)[: f.width] + padded[f.end :]


DEFECTS = (
    "footer_count",
    "invalid_dates",
    "unknown_codes",
    "duplicate_people",
    "truncated",
    "windows_1252",
)


def dirty(lines: list[str], layout: Layout, month_index: int) -> tuple[list[str], str, str]:
    """Apply one documented defect per month, in turn; returns (lines, encoding, defect).

    Lines are 0-based here: lines[0] is the header, so lines[2] is file line 3.
    """
    defect = DEFECTS[month_index % len(DEFECTS)]
    out, encoding = list(lines), "latin-1"
    if defect == "footer_count":
        out[-1] = set_field(out[-1], layout, "F", "nb_enregistrements", "000999999")
    elif defect == "invalid_dates":
        out[2] = set_field(out[2], layout, "D", "date_debut_ide", "20251340")
        out[5] = set_field(out[5], layout, "D", "date_dernier_contact", "20250230")
    elif defect == "unknown_codes":
        out[3] = set_field(out[3], layout, "D", "code_categorie", "9")
        out[4] = set_field(out[4], layout, "D", "modalite", "XYZ")
    elif defect == "duplicate_people":
        out.insert(4, out[3])
        out[-1] = set_field(out[-1], layout, "F", "nb_enregistrements", f"{len(out) - 2:09d}")
    elif defect == "truncated":
        out = [*out[: len(out) // 2], out[len(out) // 2][:100]]
    elif defect == "windows_1252":
        out[2] = set_field(out[2], layout, "D", "nom_naissance", "ŒUVRE-FICTIF €")
        encoding = "cp1252"
    return out, encoding, defect


def generate(
    departement: str,
    months: int,
    persons: int,
    seed: int,
    out: Path,
    last: date,
    is_dirty: bool = False,
    compress: bool = False,
    with_tabular: bool = True,
    xml_months: int = 0,
) -> list[Path]:
    """Write the files; the last `xml_months` PECGM months in the XML form (`--format xml`:
    all of them), the others fixed width."""
    from sample_data.tabular_files import snapshot, write_dirty_tabular, write_tabular_files

    layout = available_layouts("pecgm")["001,0"]
    target = out / "pecgm"
    target.mkdir(parents=True, exist_ok=True)
    written, snapshots = [], []
    for index, (ref, people) in enumerate(simulate(departement, months, persons, seed, last)):
        snapshots.append(snapshot(ref, people))
        lines = pecgm_lines(layout, departement, ref, people)
        encoding, suffix = "latin-1", ""
        if is_dirty:
            lines, encoding, defect = dirty(lines, layout, index)
            suffix = f"_{defect}"
        as_xml = not is_dirty and index >= months - xml_months
        name = f"PECGM_{departement}_{ref:%Y%m}{suffix}.{'xml' if as_xml else 'txt'}"
        name += ".gz" if compress else ""
        if as_xml:
            _write_xml(target / name, layout, departement, ref, people)
        else:
            write_lines(target / name, lines, encoding)
        written.append(target / name)
    if with_tabular and not is_dirty:
        written += write_tabular_files(departement, snapshots, seed, out)
        from sample_data.oarsa_sample import enrich

        enrich(out, departement, seed)  # réorientations, previous spells, contracts (OARSA)
    elif with_tabular:
        written += write_dirty_tabular(departement, snapshots, seed, out)
    return written


def _write_xml(path: Path, layout: Layout, departement: str, ref: date, people) -> None:
    from sample_data import pecgm_xml

    records = (detail_values(p, ref) for p in people)
    pecgm_xml.write(path, pecgm_xml.document(layout, departement, ref, records, len(people)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sample_data.generate",
        description="Génère des données synthétiques (aucune donnée réelle).",
    )
    parser.add_argument("--departement", default="2A")
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--persons", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20261)
    parser.add_argument("--last-month", default="2026-10", help="dernier mois généré (AAAA-MM)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--dirty", action="store_true", help="fichiers avec défauts documentés")
    parser.add_argument("--gzip", action="store_true", help="fichiers compressés (.gz)")
    parser.add_argument(
        "--format",
        choices=("largeur-fixe", "xml"),
        default="largeur-fixe",
        help="forme des fichiers PECGM : largeur fixe (défaut) ou XML (fichier-PE-CG)",
    )
    parser.add_argument(
        "--xml-mois",
        type=int,
        default=0,
        help="écrire les N derniers mois PECGM en XML, les autres en largeur fixe "
        "(l'exemple livré : 1)",
    )
    parser.add_argument(
        "--scale",
        choices=("departement", "national"),
        default="departement",
        help="national : tous les départements, 2 000 000 personnes sur 24 mois (PECGM, "
        "extraits CGPEM, parcours et reprise de stock), écrits au fil de l'eau",
    )
    parser.add_argument(
        "--formats",
        default="pecgm,departement",
        help="échelle nationale : pecgm, departement (extraits du département) ou les deux",
    )
    args = parser.parse_args(argv)
    year, month = map(int, args.last_month.split("-"))
    if args.scale == "national":
        from sample_data.national import generate_national, peak_memory_mb

        persons = args.persons if args.persons != 3000 else 2_000_000
        months = args.months if args.months != 18 else 24
        count = 0
        formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
        for _ in generate_national(
            args.out, persons, months, args.seed, month_end(year, month), args.gzip, formats
        ):
            count += 1
        print(
            f"{count} fichiers écrits dans {args.out}, mémoire maximale {peak_memory_mb():.0f} Mo"
        )
        return 0
    paths = generate(
        args.departement,
        args.months,
        args.persons,
        args.seed,
        args.out,
        month_end(year, month),
        args.dirty,
        args.gzip,
        xml_months=args.months if args.format == "xml" else args.xml_mois,
    )
    for p in paths:
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
