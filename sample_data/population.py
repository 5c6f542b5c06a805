"""The synthetic population of the sample data: who is in a département's stock, month
after month, and the values each person's record carries (no file format here).

Deterministic for a given seed. No real person: NIRs use département 99 (born abroad)
with a country code from 99900 to 99999, which INSEE does not assign; names come from a
small fixed list of obviously fictitious names. See sample_data/README.md for the
distributions assumed. The writers (`generate`, `pecgm_fixed`, `pecgm_xml`,
`tabular_files`, `national`) read this model; it imports none of them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

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
