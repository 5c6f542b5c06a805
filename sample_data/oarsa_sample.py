"""What the DREES return (enquête OARSA) needs in the sample, added to the files the
generator has just written (every value fictitious, deterministic for a seed):

- réorientations: some persons of the CGPEM files get a later decision, to an organisme
  on the other side of the SPE / hors SPE line, in the file of that later month; the
  organismes drawn cover every DREES category (sample_data/organismes/2A.csv classifies
  them, loaded by the demo);
- a previous spell: some persons whose first CGPEM decision is after their entry get, in
  the reprise de stock, an orientation of an earlier passage through the RSA;
- contracts: the parcours persons with a signed contract get its start, end (3, 6 or 12
  months) and DREES actions (codes of pipelines/nomenclatures/action_cer.csv).

Called by generate.write (one line), so regenerating the sample keeps them.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, timedelta
from pathlib import Path

from sample_data.tabular_files import write_delimited

REORIENTATION = 0.15  # share of CGPEM persons reoriented later
PREVIOUS_SPELL = 0.12  # share of CGPEM persons with a decision of an earlier RSA spell
# The organismes a réorientation goes to, by the side it crosses to (fictitious names).
VERS_SPE = (
    "FRANCE TRAVAIL",
    "MISSION LOCALE",
    "CAP EMPLOI",
    "PLIE DU PAYS AJACCIEN (FICTIF)",
    "CHANTIER D'INSERTION (FICTIF)",
    "RESEAU D'APPUI A LA CREATION",
    "OPERATEUR PRIVE DE PLACEMENT",
)
VERS_HORS_SPE = (
    "SERVICE SOCIAL DEPARTEMENTAL",
    "CCAS DE LA VILLE CHEF-LIEU",
    "CAF",
    "MSA",
    "ASSOCIATION D'INSERTION (FICTIVE)",
)
SPE = {"FRANCE TRAVAIL", "FRANCE TRAVAIL - ACCOMPAGNEMENT GLOBAL", *VERS_SPE}
DURATIONS = (3, 6, 6, 12)  # months of a contract
CONTRACT_HEADERS = ("Date de début du contrat", "Date de fin du contrat", "Actions du contrat")


def _read(path: Path, encoding: str = "utf-8") -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode(encoding)), delimiter=";"))
    return rows[0], rows[1:]


def _months_later(d: date, months: int) -> date:
    year, month = divmod(d.month - 1 + months, 12)
    return date(d.year + year, month + 1, min(d.day, 28))


def add_reorientations(out: Path, departement: str, seed: int) -> None:
    """A later decision to the other side for some persons, in that month's CGPEM file."""
    files = {p.stem[-6:]: p for p in sorted((out / "cgpem").glob(f"CGPEM_{departement}_*.csv"))}
    if not files:
        return
    contents = {month: _read(path) for month, path in files.items()}
    header = next(iter(contents.values()))[0]
    day = header.index("DATE DE LA DECISION D'ORIENTATION")
    organisme = header.index("ORGANISME REFERENT POUR L'ACCOMPAGNEMENT")
    rng = random.Random(seed * 31 + 3)
    added: dict[str, list[list[str]]] = {}
    for month in sorted(contents):
        for row in contents[month][1]:
            if rng.random() >= REORIENTATION:
                continue
            first = datetime.strptime(row[day], "%Y%m%d").date()
            later = first + timedelta(days=rng.randint(45, 200))
            target = f"{later:%Y%m}"
            if target not in contents:
                continue
            side = VERS_HORS_SPE if row[organisme] in SPE else VERS_SPE
            new = list(row)
            new[day] = f"{later:%Y%m%d}"
            new[organisme] = rng.choice(side)
            new[header.index("NATURE DE L'ACCOMPAGNEMENT")] = (
                "01" if side is VERS_HORS_SPE else "02"
            )
            added.setdefault(target, []).append(new)
    for month, rows in added.items():
        write_delimited(files[month], header, contents[month][1] + rows)


def add_previous_spells(out: Path, departement: str, seed: int) -> None:
    """Some CGPEM persons get, in the reprise de stock, an orientation of an earlier spell
    (entry and orientation two to four years before their first CGPEM decision)."""
    stock = out / "stock" / f"REPRISE_STOCK_{departement}.csv"
    files = sorted((out / "cgpem").glob(f"CGPEM_{departement}_*.csv"))
    if not stock.exists() or not files:
        return
    header, rows = _read(stock, "cp1252")
    known = {r[header.index("NIR ou NIA")] for r in rows}
    rng = random.Random(seed * 37 + 5)
    extra = []
    for path in files:
        cg_header, cg_rows = _read(path)
        for r in cg_rows:
            nir = r[0]
            if nir in known or rng.random() >= PREVIOUS_SPELL:
                continue
            known.add(nir)
            first = datetime.strptime(
                r[cg_header.index("DATE DE LA DECISION D'ORIENTATION")], "%Y%m%d"
            ).date()
            entree = first - timedelta(days=rng.randint(730, 1460))
            oriented = entree + timedelta(days=rng.randint(15, 60))
            born = datetime.strptime(r[4], "%Y%m%d").date()
            serial = int(r[6][1:7])
            extra.append([
                "M." if nir[0] == "1" else "Mme", r[1], r[3], f"{born:%d/%m/%Y}", nir,
                "M" if nir[0] == "1" else "F", "Française", "Demandeur", "0000000000",
                "personne@exemple.invalid", "1 RUE FICTIVE", "20000", "BŒUF-SUR-MER (FICTIVE)",
                f"{entree:%d/%m/%Y}", "CAF", f"99{serial:07d}", "Social", "REFERENT FICTIF",
                f"{oriented:%d/%m/%Y}",
            ])  # fmt: skip
    write_delimited(stock, header, rows + extra, encoding="cp1252")


def add_contracts(out: Path, departement: str, seed: int) -> None:
    """Start, end and actions for the parcours persons with a signed contract."""
    path = out / "parcours" / f"PARCOURS_{departement}_personnes.csv"
    if not path.exists():
        return
    header, rows = _read(path)
    if CONTRACT_HEADERS[0] in header:
        return
    signed = header.index("Date de signature du contrat d'engagement")
    rng = random.Random(seed * 41 + 7)
    out_rows = []
    for row in rows:
        extra = ["", "", ""]
        if row[signed]:
            start = datetime.strptime(row[signed], "%d/%m/%Y").date() + timedelta(
                days=rng.randint(0, 10)
            )
            end = _months_later(start, rng.choice(DURATIONS)) - timedelta(days=1)
            actions = sorted(rng.sample(range(1, 16), rng.randint(1, 3)))
            extra = [f"{start:%d/%m/%Y}", f"{end:%d/%m/%Y}", ",".join(f"{a:02d}" for a in actions)]
        out_rows.append(row + extra)
    write_delimited(path, [*header, *CONTRACT_HEADERS], out_rows)


def enrich(out: Path, departement: str, seed: int) -> None:
    """Everything the DREES return needs, added to the generated files."""
    add_previous_spells(out, departement, seed)  # from the CGPEM files as generated
    add_reorientations(out, departement, seed)
    add_contracts(out, departement, seed)
