"""Synthetic CAF/MSA flux bénéficiaires (vrsb0801 XML), valid against the public schema.

Every value is fictitious: names are placeholders, NIRs are built from a counter with
impossible month digits, addresses are a fictitious street. Used by the sample data (the
demo's population), the tests (hand-built fluxes with known dates) and the benchmark.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path


@dataclass
class Personne:
    nir: str | None
    date_naissance: date
    sexe: str  # '1' | '2'
    role: str = "DEM"  # ROLEPERS for the RSA prestation: DEM, CJT, ENF, ...
    soumis: bool = True  # TOPPERSDRODEVORSA
    identifiant_pe: str | None = None
    ressources: bool = False  # add three months of (fictitious) resources, as real files do


@dataclass
class Foyer:
    matricule: str
    date_demande: date  # DTDEMRSA
    etat: str = "2"  # ETATDOSRSA
    commune: str = "2A004"
    personnes: list[Personne] = field(default_factory=list)
    date_cloture: date | None = None
    motif_cloture: str | None = None
    departement: str | None = None  # IDEPARTE, else the flux's
    sitfam: str = "CEL"  # SITFAM (situation familiale), a code


def fake_nir(n: int, sexe: str = "1") -> str:
    """A 13-character NIR-shaped number that no person has: month 99, département 99 and
    commune 9xxxx (the sample's reserved pattern); `n` below 10 million, unique."""
    return f"{sexe}{n // 100_000 % 100:02d}99999{n % 100_000:05d}"


def _personne(p: Personne) -> str:
    nir = f"<NIR>{p.nir}</NIR>" if p.nir else ""
    pe = (
        f"<DossierPoleEmploi><IDASSEDIC>{p.identifiant_pe}</IDASSEDIC></DossierPoleEmploi>"
        if p.identifiant_pe
        else ""
    )
    resources = ""
    if p.ressources:
        months = "".join(
            "<RessourcesMensuelles><GeneraliteRessourcesMensuelles>"
            f"<MOISRESS>2026-0{m}-01</MOISRESS><NBHEUMENTRA>000</NBHEUMENTRA>"
            "</GeneraliteRessourcesMensuelles>"
            + "".join(
                f"<DetailRessourcesMensuelles><NATRESS>{code}</NATRESS>"
                "<MTNATRESSMEN>0000000.00</MTNATRESSMEN></DetailRessourcesMensuelles>"
                for code in ("001", "010", "044")
            )
            + "</RessourcesMensuelles>"
            for m in (1, 2, 3)
        )
        resources = (
            "<Ressources><GeneraliteRessourcesTrimestre><TOPRESSNUL>0</TOPRESSNUL>"
            "<DDRESS>2026-01-01</DDRESS><DFRESS>2026-03-31</DFRESS>"
            f"</GeneraliteRessourcesTrimestre>{months}</Ressources>"
        )
    return (
        "<Personne><Identification><NOM>FICTIF</NOM><NOMNAI>FICTIF</NOMNAI>"
        "<PRENOM>PERSONNE</PRENOM><NOMCOMNAI>COMMUNE FICTIVE</NOMCOMNAI>"
        f"<DTNAI>{p.date_naissance.isoformat()}</DTNAI>{nir}<SEXE>{p.sexe}</SEXE>"
        "</Identification><DossierCAF><TOPRESPDOS>1</TOPRESPDOS>"
        "<DDRATDOS>2020-01-01</DDRATDOS></DossierCAF>"
        f"<Prestations><NATPREST>PFA</NATPREST><ROLEPERS>{p.role}</ROLEPERS>"
        "<TOPCHAPERS>0</TOPCHAPERS></Prestations>"
        f"<Prestations><NATPREST>RSA</NATPREST><ROLEPERS>{p.role}</ROLEPERS>"
        "<TOPCHAPERS>1</TOPCHAPERS></Prestations>"
        f"{pe}{resources}<MontantCalculDroitRSAPersonne>"
        f"<TOPPERSDRODEVORSA>{int(p.soumis)}</TOPPERSDRODEVORSA>"
        "</MontantCalculDroitRSAPersonne></Personne>"
    )


def _ideparte(departement: str) -> str:
    return departement.rjust(3, "0")


def foyer_xml(f: Foyer, departement: str, organisme: str = "CAF") -> str:
    closure = ""
    if f.date_cloture:
        closure = (
            f"<FinDroit><MOTICLORSA>{f.motif_cloture or 'PCG'}</MOTICLORSA>"
            f"<DTCLORSA>{f.date_cloture.isoformat()}</DTCLORSA></FinDroit>"
        )
    return (
        "<InfosFoyerRSA><IdentificationRSA>"
        f"<Organisme><FONORG>{organisme}</FONORG><NUMORG>201</NUMORG>"
        f"<MATRICULE>{f.matricule}</MATRICULE></Organisme>"
        "<Partenaire><TYPEPARTE>CG</TYPEPARTE>"
        f"<IDEPARTE>{_ideparte(f.departement or departement)}</IDEPARTE></Partenaire>"
        f"<DemandeRSA><DTDEMRSA>{f.date_demande.isoformat()}</DTDEMRSA>"
        f"<NUMDEMRSA>{f.matricule[-11:].rjust(11, '0')}</NUMDEMRSA></DemandeRSA>"
        "</IdentificationRSA>"
        + "".join(_personne(p) for p in f.personnes)
        + f"<DonneesAdministratives><SituationFamille><SITFAM>{f.sitfam}</SITFAM>"
        "<DDSITFAM>2020-01-01</DDSITFAM></SituationFamille><Adresse><TroncCommunAdresse>"
        "<RGADR>01</RGADR><PAYS>FRA</PAYS><TYPEADR>D</TYPEADR><ETATADR>CO</ETATADR>"
        "</TroncCommunAdresse><AdresseDetailleeFrance><COMPLIDEADR/><COMPLADR/>"
        "<NUMVOIE>1</NUMVOIE><LIBTYPEVOIE>RUE</LIBTYPEVOIE><NOMVOIE>FICTIVE</NOMVOIE>"
        f"<LIEUDIST/><NUMCOM>{f.commune}</NUMCOM><CODEPOS>00000</CODEPOS>"
        "<NOMCOM>COMMUNE FICTIVE</NOMCOM></AdresseDetailleeFrance></Adresse>"
        "</DonneesAdministratives><PrestationRSA><SituationDossierRSA>"
        f"<EtatDossierRSA><ETATDOSRSA>{f.etat}</ETATDOSRSA></EtatDossierRSA>{closure}"
        "</SituationDossierRSA><DetailDroitRSA><TroncCommunDroitRSA>"
        "<TOPSANSDOMFIXE>0</TOPSANSDOMFIXE><ORIDEMRSA>DEM</ORIDEMRSA>"
        f"<DTORIDEMRSA>{f.date_demande.isoformat()}</DTORIDEMRSA>"
        "</TroncCommunDroitRSA></DetailDroitRSA></PrestationRSA></InfosFoyerRSA>\n"
    )


def flux_chunks(
    departement: str,
    date_reference: date,
    foyers: Iterable[Foyer],
    type_flux: str = "M",
    organisme: str = "CAF",
) -> Iterator[str]:
    """The flux's text, piece by piece (a benchmark flux runs to hundreds of MB)."""
    yield (
        '<?xml version="1.0" encoding="windows-1252"?>\n'
        '<Racine xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        "<IdentificationFlux><APPLIEME>CRI</APPLIEME><NUMVERSIONAPPLIEME>6200"
        f"</NUMVERSIONAPPLIEME><TYPEFLUX>{type_flux}</TYPEFLUX><NATFLUX>D</NATFLUX>"
        f"<DTCREAFLUX>{date_reference.isoformat()}</DTCREAFLUX>"
        "<HEUCREAFLUX>01:00:00.0000</HEUCREAFLUX>"
        f"<DTREF>{date_reference.isoformat()}</DTREF></IdentificationFlux>\n"
    )
    count = 0
    for f in foyers:
        count += 1
        yield foyer_xml(f, departement, organisme)
    yield (
        f"<TransmissionFlux><NBTOTDOSRSATRANSM>{count:08d}</NBTOTDOSRSATRANSM>"
        "<NBTOTDOSRSATRANSMANO>00000000</NBTOTDOSRSATRANSMANO></TransmissionFlux>\n</Racine>\n"
    )


def write_flux(
    path: Path,
    departement: str,
    date_reference: date,
    foyers: Iterable[Foyer],
    type_flux: str = "M",
    organisme: str = "CAF",
) -> Path:
    """Write a flux in Windows-1252, as the CAF and the MSA send it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="cp1252", newline="\n") as out:
        for chunk in flux_chunks(departement, date_reference, foyers, type_flux, organisme):
            out.write(chunk)
    return path


# --- the sample's fluxes: the simulated people as the CAF sees them ---------------------

SAMPLE_FLUX_MONTHS = 12  # monthly fluxes written for the last months of the simulation
NOT_SOUMIS = 0.06  # DEM not soumis aux droits et devoirs (resources above the threshold)
WITH_CONJOINT = 0.2
CONJOINT_SOUMIS = 0.6
WITH_CHILD = 0.35


def sample_foyers(people, orientations, ref: date, seed: int) -> list[Foyer]:
    """The households of the persons in RSA at `ref`: each simulated person is the
    demandeur of a household entered at their RSA entry date; some have a conjoint (whom
    no orientation file knows: never oriented) and children (not soumis); a few are not
    soumis aux droits et devoirs; a person whose job-seeker spell ends this month with a
    return to work has their right closed (ETATDOSRSA 5) in this month's flux."""
    import random

    out = []
    first = ref.replace(day=1)
    for p in people:
        o = orientations[p.serial]
        if o.entree_rsa > ref:
            continue
        rng = random.Random(seed * 9_000_011 + p.serial)
        dem = Personne(
            p.nir, p.naissance, p.sexe, "DEM", rng.random() >= NOT_SOUMIS, p.identifiant_pe
        )
        members = [dem]
        if rng.random() < WITH_CONJOINT:
            sexe = "2" if p.sexe == "1" else "1"
            conjoint_nir = fake_nir(500_000 + p.serial, sexe)
            soumis = rng.random() < CONJOINT_SOUMIS
            members.append(Personne(conjoint_nir, p.naissance, sexe, "CJT", soumis))
        if rng.random() < WITH_CHILD:
            child = rng.choice("12")
            members.append(
                Personne(fake_nir(800_000 + p.serial, child), date(2015, 6, 1), child, "ENF", False)
            )
        closed = p.cessation is not None and first <= p.cessation[0] <= ref
        etat = "5" if closed else ("3" if rng.random() < 0.03 else "2")
        out.append(
            Foyer(
                f"99{p.serial:07d}",
                o.entree_rsa,
                etat,
                p.commune,
                members,
                date_cloture=p.cessation[0] if closed else None,
                motif_cloture="PCG" if closed else None,
                # SITFAM from the household's make-up, without a draw (the others stay put)
                sitfam=("MAR", "VIM", "PAC")[p.serial % 3]
                if len(members) > 1 and members[1].role == "CJT"
                else ("CEL", "DIV", "SEF", "VEU", "ISO")[p.serial % 5],
            )
        )
    return out


def write_sample_fluxes(departement, snapshots, orientations, seed: int, out: Path) -> list[Path]:
    """Monthly fluxes of the last months (gzip, as a département stores them) and one daily
    flux in the middle of the last month, holding the households whose right closed."""
    import gzip

    target = out / "caf"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for snap in snapshots[-SAMPLE_FLUX_MONTHS:]:
        foyers = sample_foyers(snap.people, orientations, snap.ref, seed)
        path = target / f"RSABEM_{departement}_{snap.ref:%Y%m}.xml.gz"
        text = "".join(flux_chunks(departement, snap.ref, foyers))
        path.write_bytes(gzip.compress(text.encode("cp1252"), mtime=0))
        written.append(path)
    last = snapshots[-1]
    mid = last.ref.replace(day=15)
    closing = [
        f
        for f in sample_foyers(last.people, orientations, last.ref, seed)
        if f.etat == "5" and f.date_cloture and f.date_cloture <= mid
    ]
    path = target / f"RSABEI_{departement}_{mid:%Y%m%d}.xml.gz"
    text = "".join(flux_chunks(departement, mid, closing, "I"))
    path.write_bytes(gzip.compress(text.encode("cp1252"), mtime=0))
    return [*written, path]
