"""The département's files for the simulated population: CGPEM decisions, the four LRSA DE
lists, the reprise de stock. Delimited text in the templates of `pipelines/layouts/`.

Orientation facts (RSA entry, delay, parcours type) are drawn from a generator seeded by
the person's serial, not from the population's stream, so adding them leaves the PECGM
files (and their golden tests) byte-identical.
"""

from __future__ import annotations

import csv
import io
import random
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sample_data.population import Person

PARCOURS = (("professionnel", 40), ("socio_professionnel", 35), ("social", 25))
NATURE = {  # parcours type -> CGPEM NATURE DE L'ACCOMPAGNEMENT codes, weighted
    "social": (("01", 1),),
    "socio_professionnel": (("06", 1),),
    "professionnel": (("05", 70), ("02", 12), ("03", 12), ("04", 6)),
}
ORGANISMES = {
    "01": ("CCAS DE LA VILLE CHEF-LIEU", "SERVICE SOCIAL DEPARTEMENTAL"),
    "02": ("MISSION LOCALE",),
    "03": ("OPERATEUR PRIVE DE PLACEMENT",),
    "04": ("RESEAU D'APPUI A LA CREATION",),
    "05": ("FRANCE TRAVAIL",),
    "06": ("FRANCE TRAVAIL - ACCOMPAGNEMENT GLOBAL",),
}
# Spellings met in real exports of the reprise de stock (the reader normalises them).
PARCOURS_SPELLINGS = {
    "social": ("Social", "SOCIAL", "PSO", "social"),
    "socio_professionnel": ("Socio-professionnel", "SOCIO PRO", "socioprofessionnel", "PSP"),
    "professionnel": ("Professionnel", "PRO", "PED", "professionnel"),
}
NEVER_ORIENTED = 0.08


@dataclass(frozen=True)
class Orientation:
    entree_rsa: date
    date: date | None  # None: not (yet) oriented
    type_parcours: str
    nature: str
    organisme: str
    statut: str
    organisme_payeur: str


def _pick(rng: random.Random, weighted) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def orientation_of(p: Person, seed: int) -> Orientation:
    """RSA entry shortly before the job-seeker registration; orientation delay log-normal
    (median about a month, long right tail), 8 % never oriented."""
    rng = random.Random(seed * 1_000_003 + p.serial)
    entree = p.debut_ide - timedelta(days=int(rng.expovariate(1 / 60)))
    delay = int(rng.lognormvariate(3.4, 0.8))  # median e^3.4 = 30 days
    oriented = None if rng.random() < NEVER_ORIENTED else entree + timedelta(days=delay)
    parcours = _pick(rng, PARCOURS)
    nature = _pick(rng, NATURE[parcours])
    return Orientation(
        entree_rsa=entree,
        date=oriented,
        type_parcours=parcours,
        nature=nature,
        organisme=rng.choice(ORGANISMES[nature]),
        statut="Demandeur" if rng.random() < 0.85 else "Conjoint",
        organisme_payeur="CAF" if rng.random() < 0.94 else "MSA",
    )


def write_delimited(
    path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8", sep=";"
) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def _fr(d: date | None) -> str:
    return f"{d:%d/%m/%Y}" if d else ""


CGPEM_HEADER = [
    "NIR",
    "NOM DE NAISSANCE",
    "NOM MARITAL",
    "PRENOM",
    "DATE DE NAISSANCE",
    "N° du Pôle emploi",
    "IDENTIFIANT Pôle emploi du bénéficiaire RSA",
    "NATURE DE L'ACCOMPAGNEMENT",
    "DATE DE LA DECISION D'ORIENTATION",
    "ORGANISME REFERENT POUR L'ACCOMPAGNEMENT",
    "NOM DU CORRESPONDANT",
    "PRENOM DU CORRESPONDANT",
    "NO TEL DU CORRESPONDANT",
    "EMAIL DU CORRESPONDANT",
    "SERVICE DU CORRESPONDANT",
]


def cgpem_row(p: Person, o: Orientation) -> list[str]:
    return [
        p.nir,
        p.names[0],
        p.names[1],
        p.names[2],
        f"{p.naissance:%Y%m%d}",
        "199",
        p.identifiant_pe,
        o.nature,
        f"{o.date:%Y%m%d}",
        o.organisme,
        "CORRESPONDANT",
        "FICTIF",
        "0000000000",
        "correspondant@exemple.invalid",
        "SERVICE INSERTION",
    ]


LRSA_HEADERS = {
    "inscriptions": [
        "NIR",
        "Identifiant PE",
        "Nom usuel et prénom",
        "Adresse",
        "Date de naissance",
        "Date de l'inscription",
        "Catégorie d'inscription",
    ],
    "cessations": [
        "NIR",
        "Identifiant PE",
        "Nom usuel et prénom",
        "Adresse",
        "Date de naissance",
        "Date de cessation d'inscription",
        "Code motif de cessation",
        "Libellé motif de cessation",
    ],
    "radiations": [
        "NIR",
        "Identifiant PE",
        "Nom usuel et prénom",
        "Adresse",
        "Date de naissance",
        "Date de radiation",
        "Code motif de radiation",
        "Libellé motif de radiation",
        "Durée de radiation",
    ],
}
LRSA_HEADERS["inscrits"] = LRSA_HEADERS["inscriptions"]


def lrsa_row(p: Person, liste: str, event: date, code: str, categorie: str) -> list[str]:
    who = [
        p.nir,
        p.identifiant_pe,
        f"{p.names[0]} {p.names[2]}",
        "1 RUE FICTIVE 20000 VILLE",
        _fr(p.naissance),
        _fr(event),
    ]
    if liste in ("inscriptions", "inscrits"):
        return [*who, categorie]
    if liste == "cessations":
        return [*who, code, ""]
    return [*who, code, "", "1 mois" if code != "18" else ""]


STOCK_HEADER = [
    "Civilité",
    "Nom",
    "Prénom",
    "Date de naissance",
    "NIR ou NIA",
    "Sexe",
    "Nationalité",
    "Statut",
    "Téléphone",
    "Courriel",
    "Adresse",
    "Code postal",
    "Commune",
    "Date d'entrée RSA",
    "Organisme",
    "Numéro allocataire",
    "Type de parcours",
    "Référent",
    "Date d'orientation",
]


def stock_row(p: Person, o: Orientation, index: int) -> list[str]:
    spellings = PARCOURS_SPELLINGS[o.type_parcours]
    return [
        "M." if p.sexe == "1" else "Mme",
        p.names[0],
        p.names[2],
        _fr(p.naissance),
        p.nir,
        "M" if p.sexe == "1" else "F",
        "Française",
        o.statut,
        "0000000000",
        "personne@exemple.invalid",
        "1 RUE FICTIVE",
        "20000",
        "BŒUF-SUR-MER (FICTIVE)",
        _fr(o.entree_rsa),
        o.organisme_payeur,
        f"99{p.serial:07d}",
        spellings[index % len(spellings)],
        "REFERENT FICTIF",
        _fr(o.date),
    ]


PERSONNES_HEADER = [
    "Identifiant RSA",
    "Identifiant Pôle emploi",
    "Date de naissance",
    "Sexe",
    "Code commune",
    "Date d'ouverture des droits RSA",
    "Date d'entrée dans le dispositif",
    "Date de rendez-vous d'orientation",
    "Type de parcours",
    "Date de signature du contrat d'engagement",
]
RDV_HEADER = [
    "Identifiant RSA",
    "Date du rendez-vous",
    "Type de rendez-vous",
    "Statut du rendez-vous",
]
PRESTATIONS_HEADER = [
    "Identifiant RSA",
    "Prestation",
    "Modalité",
    "Date de début",
    "Date de fin",
    "Durée en heures",
]
# (label, modality, hours per session range, sessions range, days between sessions)
PRESTATIONS = (
    ("ATELIER CV ET CANDIDATURE", "Collectif", (2, 3), (1, 3), 7),
    ("ENTRETIEN DIAGNOSTIC APPROFONDI", "Individuel", (1, 2), (1, 1), 0),
    ("IMMERSION EN ENTREPRISE", "Individuel", (20, 35), (1, 2), 7),
    ("FORMATION PRE-QUALIFIANTE", "Collectif", (15, 30), (2, 6), 7),
    ("ACCOMPAGNEMENT SOCIAL RENFORCE", "Individuel", (1, 3), (2, 6), 14),
    ("ATELIER MOBILITE", "Collectif", (3, 4), (1, 2), 7),
)


def _french_hours(value: float) -> str:
    return f"{value:.1f}".replace(".", ",").removesuffix(",0")


def parcours_rows(
    everyone: dict[int, Person],
    orientations: dict[int, Orientation],
    seed: int,
    start: date,
    last: date,
) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    """Persons who entered the RSA during the experimentation, their appointments (first
    one about two weeks after orientation, then every two to five weeks) and prestations
    (workshops, immersion, training: part-time and collective ones included)."""
    personnes, rdvs, prestations = [], [], []
    for serial in sorted(everyone):
        p, o = everyone[serial], orientations[serial]
        if o.entree_rsa < start or o.entree_rsa > last:
            continue
        rng = random.Random(seed * 7_000_003 + serial)
        rsa = f"99{serial:07d}"
        oriented = o.date if o.date and o.date <= last else None
        # Entry into the scheme a few days after the RSA opens, never after the orientation.
        latest = min(10, (oriented - o.entree_rsa).days) if oriented else 10
        entree_dispositif = o.entree_rsa + timedelta(days=rng.randint(0, max(0, latest)))
        contrat = None
        if oriented and rng.random() < 0.75:
            contrat = oriented + timedelta(days=int(rng.lognormvariate(3.1, 0.7)))
            contrat = contrat if contrat <= last else None
        personnes.append(
            [
                rsa,
                p.identifiant_pe,
                _fr(p.naissance),
                "M" if p.sexe == "1" else "F",
                p.commune,
                _fr(o.entree_rsa),
                _fr(entree_dispositif),
                _fr(oriented),
                PARCOURS_SPELLINGS[o.type_parcours][0] if oriented else "",
                _fr(contrat),
            ]
        )
        if not oriented:
            continue
        day = oriented + timedelta(days=int(rng.lognormvariate(2.6, 0.6)))
        while day <= last:
            statut = "Honoré" if rng.random() < 0.85 else "Non honoré"
            rdvs.append([rsa, _fr(day), "Accompagnement", statut])
            day += timedelta(days=rng.randint(14, 35))
        for label, modalite, hours, sessions, gap in rng.sample(
            PRESTATIONS, rng.choice((0, 1, 1, 2, 3))
        ):
            begin = oriented + timedelta(days=rng.randint(7, 120))
            if begin > last:
                continue
            for k in range(rng.randint(*sessions)):
                d = begin + timedelta(days=k * gap)
                if d > last:
                    break
                h = rng.uniform(*hours)
                prestations.append(
                    [
                        rsa,
                        label,
                        modalite,
                        _fr(d),
                        _fr(d + timedelta(days=4 if h > 10 else 0)),
                        _french_hours(round(h * 2) / 2),
                    ]
                )
    return personnes, rdvs, prestations


@dataclass
class MonthSnapshot:
    """What the LRSA lists need of one month of the simulation."""

    ref: date
    people: list[Person]
    categorie: dict[int, str]
    cessation: dict[int, tuple[date, str]]
    radiation: dict[int, tuple[date, str]]


def snapshot(ref: date, people: list[Person]) -> MonthSnapshot:
    return MonthSnapshot(
        ref,
        list(people),
        {p.serial: p.categorie for p in people},
        {p.serial: p.cessation for p in people if p.cessation},
        {p.serial: p.radiation for p in people if p.radiation},
    )


def lrsa_lists(
    snapshots: list[MonthSnapshot], index: int
) -> dict[str, list[tuple[Person, date, str, str]]]:
    """The four lists published for month index+1, from months index (M-1) and index-1 (M-2)."""
    m1 = snapshots[index]
    first = m1.ref.replace(day=1)
    lists: dict[str, list] = {
        "inscriptions": [
            (p, p.debut_ide, "", m1.categorie[p.serial])
            for p in m1.people
            if first <= p.debut_ide <= m1.ref
        ],
        "inscrits": [
            (p, p.debut_ide, "", m1.categorie[p.serial])
            for p in m1.people
            if p.serial not in m1.cessation and p.serial not in m1.radiation
        ],
        "radiations": [
            (p, *m1.radiation[p.serial], "") for p in m1.people if p.serial in m1.radiation
        ],
        "cessations": [],
    }
    if index > 0:
        m2 = snapshots[index - 1]
        lists["cessations"] = [
            (p, *m2.cessation[p.serial], "") for p in m2.people if p.serial in m2.cessation
        ]
    return lists


def write_parcours_and_stock(
    departement: str,
    everyone: dict[int, Person],
    orientations: dict[int, Orientation],
    seed: int,
    start: date,
    last: date,
    out: Path,
) -> list[Path]:
    """The three parcours files and the reprise de stock (everyone oriented before the
    first simulated month) of one département."""
    written = []
    parcours_dir, stock_dir = out / "parcours", out / "stock"
    for d in (parcours_dir, stock_dir):
        d.mkdir(parents=True, exist_ok=True)
    personnes, rdvs, prestations = parcours_rows(everyone, orientations, seed, start, last)
    for name, header, rows in (
        ("personnes", PERSONNES_HEADER, personnes),
        ("rendez_vous", RDV_HEADER, rdvs),
        ("prestations", PRESTATIONS_HEADER, prestations),
    ):
        path = parcours_dir / f"PARCOURS_{departement}_{name}.csv"
        write_delimited(path, header, rows)
        written.append(path)
    before = sorted((s for s, o in orientations.items() if o.date and o.date < start), key=int)
    path = stock_dir / f"REPRISE_STOCK_{departement}.csv"
    write_delimited(
        path,
        STOCK_HEADER,
        [stock_row(everyone[s], orientations[s], i) for i, s in enumerate(before)],
        encoding="cp1252",
    )
    written.append(path)
    return written


def write_national_extracts(
    departement: str, everyone: dict[int, Person], seed: int, start: date, last: date, out: Path
) -> list[Path]:
    """National scale: one CGPEM extract of the whole period per département (a yearly
    export, say), the parcours files and the reprise de stock. No LRSA DE lists: at
    national scale the flows come from the PECGM files (flux.sql), which keeps the
    sample to a few hundred files besides PECGM."""
    orientations = {s: orientation_of(p, seed) for s, p in everyone.items()}
    written = write_parcours_and_stock(departement, everyone, orientations, seed, start, last, out)
    cgpem_dir = out / "cgpem"
    cgpem_dir.mkdir(parents=True, exist_ok=True)
    path = cgpem_dir / f"CGPEM_{departement}_{start:%Y%m}_{last:%Y%m}.csv"
    rows = [
        cgpem_row(everyone[s], o)
        for s, o in sorted(orientations.items())
        if o.date and start <= o.date <= last
    ]
    write_delimited(path, CGPEM_HEADER, rows)
    return [*written, path]


def write_tabular_files(
    departement: str,
    snapshots: list[MonthSnapshot],
    seed: int,
    out: Path,
) -> list[Path]:
    """CGPEM per month, LRSA DE lists per publication month, one reprise de stock."""
    everyone: dict[int, Person] = {}
    for snap in snapshots:
        for p in snap.people:
            everyone.setdefault(p.serial, p)
    orientations = {s: orientation_of(p, seed) for s, p in everyone.items()}
    start = snapshots[0].ref.replace(day=1)
    last = snapshots[-1].ref
    cgpem_dir, lrsa_dir = out / "cgpem", out / "lrsa"
    for d in (cgpem_dir, lrsa_dir):
        d.mkdir(parents=True, exist_ok=True)
    written = write_parcours_and_stock(departement, everyone, orientations, seed, start, last, out)
    from sample_data.caf_flux import write_sample_fluxes

    written += write_sample_fluxes(departement, snapshots, orientations, seed, out)

    for snap in snapshots:
        first = snap.ref.replace(day=1)
        rows = [
            cgpem_row(everyone[s], o)
            for s, o in sorted(orientations.items())
            if o.date and first <= o.date <= snap.ref and o.date <= last
        ]
        path = cgpem_dir / f"CGPEM_{departement}_{snap.ref:%Y%m}.csv"
        write_delimited(path, CGPEM_HEADER, rows)
        written.append(path)

    for index in range(len(snapshots) - 1):
        published = snapshots[index + 1].ref
        for liste, entries in lrsa_lists(snapshots, index).items():
            if liste == "cessations" and index == 0:
                continue  # M-2 is before the simulation
            path = lrsa_dir / f"LRSA_{departement}_{published:%Y%m}_{liste}.csv"
            write_delimited(
                path,
                LRSA_HEADERS[liste],
                [lrsa_row(p, liste, d, code, cat) for p, d, code, cat in entries],
            )
            written.append(path)
    return written


def write_templates(out: Path, seed: int = 20261) -> list[Path]:
    """`sample_data/templates/`: each source's header and two synthetic rows."""
    from sample_data.population import month_end, simulate

    out.mkdir(parents=True, exist_ok=True)
    ref = month_end(2026, 10)
    people = list(simulate("2A", 1, 4, seed, ref))[-1][1][:2]
    done = []
    for p in people:  # two complete, oriented people
        o = orientation_of(p, seed)
        done.append((p, o if o.date else Orientation(**{**o.__dict__, "date": o.entree_rsa})))
    files = {
        "cgpem.csv": (CGPEM_HEADER, [cgpem_row(p, o) for p, o in done]),
        "stock.csv": (STOCK_HEADER, [stock_row(p, o, i) for i, (p, o) in enumerate(done)]),
        "lrsa_inscriptions.csv": (
            LRSA_HEADERS["inscriptions"],
            [lrsa_row(p, "inscriptions", p.debut_ide, "", "1") for p, _ in done],
        ),
        "lrsa_inscrits.csv": (
            LRSA_HEADERS["inscrits"],
            [lrsa_row(p, "inscrits", p.debut_ide, "", "1") for p, _ in done],
        ),
        "lrsa_cessations.csv": (
            LRSA_HEADERS["cessations"],
            [lrsa_row(p, "cessations", ref, "90", "") for p, _ in done],
        ),
        "lrsa_radiations.csv": (
            LRSA_HEADERS["radiations"],
            [lrsa_row(p, "radiations", ref, "14", "") for p, _ in done],
        ),
    }
    paths = []
    for name, (header, rows) in files.items():
        write_delimited(out / name, header, rows)
        paths.append(out / name)
    return paths


# --dirty: one documented defect per département file, for the quality tests and demos.
# (file, defect, what the product must do)
TABULAR_DEFECTS = (  # (file, defect, what the product does with it)
    # 40 decisions, one bad: 2.5 % of lines, over the 1 % threshold: refused, line named.
    ("CGPEM_{dep}_{month}_unknown_nature.csv", "nature 07, line 3", "refused, line 3 named"),
    ("CGPEM_{dep}_{month}_future_decision.csv", "dated 2099, line 2", "refused, line 2 named"),
    ("CGPEM_{dep}_{month}_missing_column.csv", "no NATURE DE L'ACCOMPAGNEMENT", "refused"),
    ("LRSA_{dep}_{month}_radiations_bad_dates.csv", "31/02, lines 2 and 3", "refused, lines named"),
    # 200 persons, one bad: 0.5 %: loaded, the line quarantined.
    (
        "REPRISE_STOCK_{dep}_unknown_parcours.csv",
        "'Intensif', line 2; cp1252",
        "line 2 quarantined",
    ),
    # With the clean persons and appointments files of the same unit.
    ("PARCOURS_{dep}_prestations.csv", "unknown person, line 2", "line 2 quarantined"),
)


def write_dirty_tabular(
    departement: str, snapshots: list[MonthSnapshot], seed: int, out: Path
) -> list[Path]:
    """The département's files with the documented defects of TABULAR_DEFECTS."""
    clean = write_tabular_files(departement, snapshots, seed, out / "_propre")
    by_name = {p.name: p for p in clean}
    month = f"{snapshots[-1].ref:%Y%m}"
    target = out / "dirty"
    target.mkdir(parents=True, exist_ok=True)

    def rows_of(name: str) -> tuple[list[str], list[list[str]], str]:
        path = by_name[name]
        encoding = "cp1252" if name.startswith("REPRISE") else "utf-8"
        reader = csv.reader(
            io.StringIO(path.read_bytes().decode(encoding), newline=""), delimiter=";"
        )
        header, *rows = list(reader)
        return header, rows, encoding

    written = []

    def emit(template: str, header, rows, encoding="utf-8") -> None:
        path = target / template.format(dep=departement, month=month)
        write_delimited(path, header, rows, encoding=encoding)
        written.append(path)

    header, rows, _ = rows_of(f"CGPEM_{departement}_{month}.csv")
    rows = [list(r) for r in rows[:40]]
    bad = [list(r) for r in rows]
    bad[1][7] = "07"
    emit(TABULAR_DEFECTS[0][0], header, bad)
    bad = [list(r) for r in rows]
    bad[0][8] = "20990101"
    emit(TABULAR_DEFECTS[1][0], header, bad)
    keep = [i for i, h in enumerate(header) if h != "NATURE DE L'ACCOMPAGNEMENT"]
    emit(TABULAR_DEFECTS[2][0], [header[i] for i in keep], [[r[i] for i in keep] for r in rows])
    header, rows, _ = rows_of(f"LRSA_{departement}_{month}_radiations.csv")
    bad = [list(r) for r in rows]
    for r in bad[:2]:
        r[5] = "31/02/2026"
    emit(TABULAR_DEFECTS[3][0], header, bad)
    header, rows, encoding = rows_of(f"REPRISE_STOCK_{departement}.csv")
    bad = [list(r) for r in rows[:200]]
    bad[0][16] = "Intensif"
    emit(TABULAR_DEFECTS[4][0], header, bad, encoding)
    header, rows, _ = rows_of(f"PARCOURS_{departement}_prestations.csv")
    bad = [list(r) for r in rows]
    bad[0][0] = "999999999"
    emit(TABULAR_DEFECTS[5][0], header, bad)
    for companion in ("personnes", "rendez_vous"):
        name = f"PARCOURS_{departement}_{companion}.csv"
        shutil.copyfile(by_name[name], target / name)
        written.append(target / name)
    shutil.rmtree(out / "_propre")
    return written
