"""Synthetic sample data: one coherent population, written month after month.

    python -m sample_data.generate --departement 2A --months 18 --persons 3000 --out DIR

Deterministic for a given --seed. No real person: NIRs use département 99 (born abroad)
with a country code from 99900 to 99999, which INSEE does not assign; names come from a
small fixed list of obviously fictitious names. See sample_data/README.md for the
distributions assumed. This version writes the PECGM monthly files (plain or --dirty).
"""

from __future__ import annotations

import argparse
import gzip
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from pipelines.readers.layout import Layout, available_layouts, format_record

FAKE_NAMES = ("EXEMPLE", "FICTIF", "MODELE", "ESSAI", "TEMOIN", "SPECIMEN", "FACTICE", "BIDON")
FAKE_FIRST = ("ALEX", "CAMILLE", "DOMINIQUE", "CLAUDE", "SACHA", "MORGAN", "CHARLIE", "ANDREA")
CATEGORIES = (("1", 55), ("2", 8), ("3", 7), ("4", 8), ("5", 20), ("", 2))
MODALITES = (("GUI", 40), ("REN", 33), ("SUI", 10), ("GLO", 12), ("APR", 3), ("", 2))
AXES = (("01", 18), ("02", 15), ("03", 12), ("04", 14), ("05", 17), ("06", 20), ("07", 4))
NIVEAUX = (
    ("AFS", 6),
    ("CFG", 8),
    ("CP4", 6),
    ("C12", 6),
    ("C3A", 12),
    ("NV5", 30),
    ("NV4", 20),
    ("NV3", 7),
    ("NV2", 3),
    ("NV1", 2),
)
CESSATIONS = (
    ("90", 35),
    ("11", 8),
    ("12", 8),
    ("13", 9),
    ("14", 5),
    ("15", 6),
    ("16", 2),
    ("21", 3),
    ("31", 5),
    ("32", 3),
    ("41", 2),
    ("45", 5),
    ("48", 2),
    ("49", 4),
    ("72", 3),
)
RADIATIONS = (("02", 10), ("05", 15), ("14", 25), ("17", 20), ("18", 30))
AGENCES = ("AGENCE FT NORD", "AGENCE FT SUD", "AGENCE FT CENTRE", "AGENCE FT LITTORAL")
DELEGUEES = ("MISSION LOCALE", "CAP EMPLOI", "OPERATEUR PRIVE PLACEMENT")
MONTHLY_CESSATION = 0.035
MONTHLY_RADIATION = 0.008


def pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def months_back(last: date, count: int) -> list[date]:
    """The last day of each of `count` months ending with the month of `last`."""
    out, y, m = [], last.year, last.month
    for _ in range(count):
        out.append(month_end(y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def communes(departement: str) -> list[str]:
    """A few commune codes of the département, shaped like INSEE codes."""
    prefix = departement if len(departement) == 2 else departement[:3]
    width = 5 - len(prefix)
    return [f"{prefix}{n:0{width}d}" for n in (4, 17, 41, 96, 139, 200, 247, 272)]


@dataclass
class Person:
    serial: int
    sexe: str
    naissance: date
    nir: str
    identifiant_pe: str
    commune: str
    debut_ide: date
    categorie: str
    modalite: str
    axe: str
    niveau: str
    agence: str
    deleguee: str | None
    cer: date | None
    contact: date | None = None
    cessation: tuple[date, str] | None = None
    radiation: tuple[date, str] | None = None
    names: tuple[str, str, str] = field(default=("", "", ""))


def make_person(rng: random.Random, serial: int, departement: str, debut: date) -> Person:
    sexe = rng.choice("12")
    naissance = date(rng.randint(1961, 2005), rng.randint(1, 12), rng.randint(1, 28))
    # Département 99 + country code 999xx: never assigned by INSEE, so never a real NIR.
    nir = f"{sexe}{naissance:%y%m}99{9}{serial % 100:02d}{(serial // 100) % 1000:03d}"
    pe = f"9{serial:06d}{chr(65 + serial % 26)}"
    cer = None
    if rng.random() < 0.7:
        cer = debut + timedelta(days=min(300, int(rng.lognormvariate(3.2, 0.7))))
    return Person(
        serial=serial,
        sexe=sexe,
        naissance=naissance,
        nir=nir,
        identifiant_pe=pe,
        commune=rng.choice(communes(departement)),
        debut_ide=debut,
        categorie=pick(rng, CATEGORIES),
        modalite=pick(rng, MODALITES),
        axe=pick(rng, AXES),
        niveau=pick(rng, NIVEAUX),
        agence=rng.choice(AGENCES),
        deleguee=rng.choice(DELEGUEES) if rng.random() < 0.15 else None,
        cer=cer,
        names=(
            rng.choice(FAKE_NAMES),
            rng.choice(FAKE_NAMES) if rng.random() < 0.2 else "",
            rng.choice(FAKE_FIRST),
        ),
    )


PLEIN_EMPLOI = date(2025, 1, 1)  # loi pour le plein emploi: every RSA beneficiary registered


def categorie_du_mois(p: Person, ref: date) -> str:
    """The category a month's file shows: since 2025, a third of the newcomers are in G
    (registered, awaiting orientation) in their first month, and a quarter of the persons
    in accompagnement global are in F (accompagnement social). Derived, not drawn: the
    random sequence, and so every other file, stays the same."""
    if ref < PLEIN_EMPLOI:
        return p.categorie
    if p.debut_ide.replace(day=1) == ref.replace(day=1) and p.serial % 3 == 0:
        return "G"
    if p.modalite == "GLO" and p.serial % 4 == 0:
        return "F"
    return p.categorie


def detail_values(p: Person, ref: date) -> dict[str, object]:
    cessation, radiation = p.cessation or (None, ""), p.radiation or (None, "")
    categorie = categorie_du_mois(p, ref)
    return {
        "nir": p.nir,
        "nom_naissance": p.names[0],
        "nom_marital": p.names[1],
        "prenom": p.names[2],
        "date_naissance": f"{p.naissance:%Y%m%d}",
        "statut_certification_identite": "O",
        "code_commune_residence": p.commune,
        "date_debut_ide": f"{p.debut_ide:%Y%m%d}",
        "code_categorie": categorie,
        "libelle_categorie": f"CATEGORIE {categorie}" if categorie else "",
        "code_institution_pe": "199",
        "identifiant_pe": p.identifiant_pe,
        "date_cessation_ide": f"{cessation[0]:%Y%m%d}" if cessation[0] else "",
        "motif_cessation_ide": cessation[1],
        "date_radiation": f"{radiation[0]:%Y%m%d}" if radiation[0] else "",
        "motif_radiation": radiation[1],
        "libelle_motif_radiation": "NON PRESENTATION A C" if radiation[1] == "14" else "",
        "structure_principale_nom": p.agence,
        "structure_principale_code_postal": "20000",
        "structure_deleguee_nom": p.deleguee or "",
        "niveau_formation": p.niveau,
        "date_signature_ppae": f"{p.debut_ide + timedelta(days=20):%Y%m%d}",
        "date_notification_cer": f"{p.cer:%Y%m%d}" if p.cer and p.cer <= ref else "",
        "axe_travail": p.axe,
        "modalite": p.modalite,
        "date_dernier_contact": f"{p.contact:%Y%m%d}" if p.contact else "",
        "conseiller_pe": "CONSEILLER FICTIF",
    }


def simulate(
    departement: str, months: int, persons: int, seed: int, last: date
) -> Iterator[tuple[date, list[Person]]]:
    """Yield (reference date, persons in that month's stock), month after month."""
    rng = random.Random(seed)
    refs = months_back(last, months)
    stock_size = max(1, persons // 2)
    serial = 0
    active: list[Person] = []
    start = refs[0].replace(day=1)
    for _ in range(stock_size):
        debut = start - timedelta(days=int(rng.expovariate(1 / 400)) + 1)
        active.append(make_person(rng, serial, departement, debut))
        serial += 1
    arrivals_per_month = max(1, (persons - stock_size) // max(1, months))
    for ref in refs:
        first = ref.replace(day=1)
        for _ in range(
            rng.randint(int(arrivals_per_month * 0.8), int(arrivals_per_month * 1.2) + 1)
        ):
            if serial >= persons:
                break
            debut = first + timedelta(days=rng.randint(0, ref.day - 1))
            active.append(make_person(rng, serial, departement, debut))
            serial += 1
        for p in active:
            if rng.random() < 0.03:
                p.categorie = pick(rng, CATEGORIES)
            if rng.random() < 0.04:
                p.modalite = pick(rng, MODALITES)
            if rng.random() < 0.6:
                p.contact = ref - timedelta(days=int(rng.expovariate(1 / 45)) % 400)
            if p.contact and p.contact < p.debut_ide:
                p.contact = p.debut_ide
            roll = rng.random()
            if p.debut_ide < first and roll < MONTHLY_CESSATION:
                p.cessation = (
                    first + timedelta(days=rng.randint(0, ref.day - 1)),
                    pick(rng, CESSATIONS),
                )
            elif p.debut_ide < first and roll < MONTHLY_CESSATION + MONTHLY_RADIATION:
                p.radiation = (
                    first + timedelta(days=rng.randint(0, ref.day - 1)),
                    pick(rng, RADIATIONS),
                )
        yield ref, list(active)
        active = [p for p in active if not (p.cessation or p.radiation)]


def header_values(layout: Layout, departement: str, ref: date) -> dict[str, object]:
    """The header's fields for reference date `ref` (made five days later), either form."""
    return {
        "fichier": "PECG",
        "periodicite": "M",
        "departement": departement,
        "date_reference": f"{ref:%Y%m%d}",
        "date_fabrication": f"{ref + timedelta(days=5):%Y%m%d}",
        "version": layout.version,
    }


def footer_values(departement: str, ref: date, count: int) -> dict[str, object]:
    """The footer's fields: same département and reference date, number of details."""
    return {
        "departement": departement,
        "date_reference": f"{ref:%Y%m%d}",
        "nb_enregistrements": count,
    }


def header_record(layout: Layout, departement: str, ref: date) -> str:
    """The E record of a PECGM file for reference date `ref`."""
    return format_record(layout, "E", header_values(layout, departement, ref))


def footer_record(layout: Layout, departement: str, ref: date, count: int) -> str:
    """The F record: same département and reference date, number of D records."""
    return format_record(layout, "F", footer_values(departement, ref, count))


def pecgm_lines(layout: Layout, departement: str, ref: date, people: list[Person]) -> list[str]:
    details = [format_record(layout, "D", detail_values(p, ref)).rstrip() for p in people]
    return [
        header_record(layout, departement, ref),
        *details,
        footer_record(layout, departement, ref, len(people)),
    ]


def write_lines(
    path: Path, lines: list[str], encoding: str = "latin-1", newline: str = "\r\n"
) -> None:
    data = (newline.join(lines) + newline).encode(encoding)
    if path.suffix == ".gz":
        with gzip.GzipFile(path, "wb", mtime=0) as f:  # mtime=0: byte-identical reruns
            f.write(data)
    else:
        path.write_bytes(data)


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
