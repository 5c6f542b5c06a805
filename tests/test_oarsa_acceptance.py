"""Acceptance of the DREES return on data nobody tuned: a seeded random population (a CAF
flux dated 31/12 and a later one, several years of CGPEM decisions with réorientations and
previous spells, contracts in a parcours file, an organismes file written with other
spellings) goes through the real loaders, and `oarsa --json` must give T1, T5 and T6
exactly as plain Python computes them over the same synthetic rows."""

from __future__ import annotations

import json
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipelines import loader, organismes
from pipelines.cli import main
from sample_data.caf_flux import Foyer, Personne, fake_nir, write_flux
from sample_data.tabular_files import CGPEM_HEADER, PERSONNES_HEADER, PRESTATIONS_HEADER, RDV_HEADER
from tests.conftest import TEST_KEY

YEAR = 2025
END = date(YEAR, 12, 31)
# (spelling in the decisions, spelling in the organismes file, category); None: not classified
ORGANISMES = (
    ("FRANCE TRAVAIL", "France Travail", "france_travail"),
    ("France  travail", "France Travail", "france_travail"),
    ("MISSION LOCALE", "Mission Locale", "spe_mission_locale"),
    ("CAP EMPLOI", "Cap emploi", "spe_mde_plie_cap_emploi"),
    ("CHANTIER D'INSERTION", "Chantier d'insertion", "spe_iae"),
    ("SERVICE SOCIAL DÉPARTEMENTAL", "Service social departemental", "hors_spe_ssd"),
    ("CCAS DE LA VILLE", "ccas de la ville", "hors_spe_ccas_cias"),
    ("CAF", "CAF", "hors_spe_caf"),
    ("ASSOCIATION INCONNUE", None, None),
)
# the parcours unit needs its three files: one appointment and one prestation
RDV = ["15/01/2025", "Individuel", "Honoré"]
PRESTATION = ["ATELIER", "Collectif", "15/01/2025", "15/01/2025", "2"]
SITFAM = ("CEL", "DIV", "ISO", "MAR", "PAC", "VIM", "VEU", "XXX")
COUPLE = {"MAR", "PAC", "RPA", "RVC", "RVM", "VIM"}
SEUL = {"CEL", "DIV", "ISO", "SEF", "SEL", "VEU"}


@dataclass
class Adulte:
    nir: str
    pe: str
    sexe: str
    naissance: date
    role: str
    soumis: bool
    decisions: list[tuple[date, str]] = field(default_factory=list)  # (date, organisme)
    signature: date | None = None


@dataclass
class Menage:
    matricule: str
    entree: date
    etat: str
    sitfam: str
    enfant: bool
    adultes: list[Adulte]


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def population(seed: int = 30, size: int = 260) -> list[Menage]:
    rng = random.Random(seed)
    out = []
    serial = 0
    for h in range(size):
        entree = (
            _day(rng, date(2016, 1, 1), END)
            if rng.random() < 0.6
            else _day(rng, date(YEAR, 1, 1), END)
        )
        adultes = []
        for role in ("DEM", "CJT") if rng.random() < 0.3 else ("DEM",):
            serial += 1
            sexe = rng.choice("12")
            a = Adulte(
                fake_nir(300_000 + serial, sexe),
                f"7{serial:06d}X",
                sexe,
                date(rng.randint(1950, 2006), rng.randint(1, 12), 1),
                role,
                rng.random() < 0.9,
            )
            dates = set()
            for _ in range(rng.choice((0, 1, 1, 2, 3, 4))):
                # some before the entry (a previous spell), some after 31/12 (not counted)
                dates.add(_day(rng, date(2019, 1, 1), date(2026, 6, 30)))
            a.decisions = [(d, rng.choice(ORGANISMES)[0]) for d in sorted(dates)]
            if a.decisions and rng.random() < 0.6:
                a.signature = a.decisions[-1][0] + timedelta(days=rng.randint(-20, 90))
            adultes.append(a)
        out.append(
            Menage(
                f"88{h:07d}",
                entree,
                rng.choice("2222222344"),
                rng.choice(SITFAM),
                rng.random() < 0.4,
                adultes,
            )
        )
    return out


def _foyers(menages: list[Menage], closed_later: bool) -> list[Foyer]:
    out = []
    for m in menages:
        people = [Personne(a.nir, a.naissance, a.sexe, a.role, a.soumis, a.pe) for a in m.adultes]
        if m.enfant:
            people.append(
                Personne(fake_nir(900_000 + int(m.matricule)), date(2015, 1, 1), "1", "ENF", False)
            )
        etat = "5" if closed_later else m.etat
        out.append(Foyer(m.matricule, m.entree, etat, "2A004", people, sitfam=m.sitfam))
    return out


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join(";".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def load_everything(tmp_path: Path, settings, menages: list[Menage]) -> None:
    flux = write_flux(tmp_path / "RSABEM_2A_202512.xml", "2A", END, _foyers(menages, False))
    later = write_flux(  # a later flux closes every right: it must not change 31/12
        tmp_path / "RSABEM_2A_202601.xml", "2A", date(2026, 1, 31), _foyers(menages, True)
    )
    cgpem = [
        [a.nir, "FICTIF", "", "CAMILLE", f"{a.naissance:%Y%m%d}", "199", a.pe, "06",
         f"{d:%Y%m%d}", org, "CORRESPONDANT", "FICTIF", "0000000000",
         "correspondant@exemple.invalid", "SERVICE INSERTION"]
        for m in menages for a in m.adultes for d, org in a.decisions
    ]  # fmt: skip
    decisions = _write_csv(tmp_path / "CGPEM_2A_202606.csv", CGPEM_HEADER, cgpem)
    personnes = [
        [f"77{a.pe[1:7]}", a.pe, f"{a.naissance:%d/%m/%Y}", "F" if a.sexe == "2" else "M", "2A004",
         "", f"{m.entree:%d/%m/%Y}", "", "", f"{a.signature:%d/%m/%Y}"]
        for m in menages for a in m.adultes if a.signature and a.signature <= date(2026, 6, 30)
    ]  # fmt: skip
    parcours = [
        _write_csv(tmp_path / "PARCOURS_2A_personnes.csv", PERSONNES_HEADER, personnes),
        _write_csv(tmp_path / "PARCOURS_2A_rendez_vous.csv", RDV_HEADER, [[personnes[0][0], *RDV]]),
        _write_csv(
            tmp_path / "PARCOURS_2A_prestations.csv",
            PRESTATIONS_HEADER,
            [[personnes[0][0], *PRESTATION]],
        ),
    ]
    for source, path in (
        ("caf", flux),
        ("caf", later),
        ("cgpem", decisions),
        ("parcours", parcours),
    ):
        outcome = loader.load(source, path, settings, departement="2A")
        assert outcome.status == "loaded", outcome.message
    rows = ["organisme;categorie"] + [f"{f};{c}" for _, f, c in ORGANISMES if f]
    (tmp_path / "organismes.csv").write_text("\n".join(rows) + "\n", encoding="cp1252")
    organismes.load_file(settings.db_path, tmp_path / "organismes.csv", "2A")


# --- the definitions, in plain Python over the same rows ---------------------------------


def _key(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return "".join(plain.lower().split())


CATEGORY = {_key(f): c for _, f, c in ORGANISMES if f}


def category(organisme: str) -> str:
    return CATEGORY.get(_key(organisme), "non_classe")


def side(cat: str) -> str | None:
    if cat == "france_travail" or cat.startswith("spe_"):
        return "spe"
    return "hors_spe" if cat.startswith("hors_spe_") else None


def sdd(menages: list[Menage]) -> list[tuple[Menage, Adulte]]:
    return [(m, a) for m in menages for a in m.adultes if a.soumis and m.etat == "2"]


def expected_t1(menages) -> dict:
    people = sdd(menages)
    t1 = {"sdd": len(people), "orientes": 0, "par_organisme": {}, "par_age": {}, "sitfam": {}}
    for m, a in people:
        past = [(d, o) for d, o in a.decisions if d <= END]
        if past:
            t1["orientes"] += 1
            cat = category(past[-1][1])
            t1["par_organisme"][cat] = t1["par_organisme"].get(cat, 0) + 1
        age = YEAR - a.naissance.year
        band = next(b for limit, b in ((25, "moins_25"), (30, "25_29"), (40, "30_39"),
                                       (50, "40_49"), (60, "50_59"), (999, "60_plus")) if age < limit)  # fmt: skip
        t1["par_age"][band] = t1["par_age"].get(band, 0) + 1
        group = "couple" if m.sitfam in COUPLE else "seul" if m.sitfam in SEUL else None
        fam = f"{group}_{'avec_enfants' if m.enfant else 'sans_enfant'}" if group else "inconnu"
        t1["sitfam"][fam] = t1["sitfam"].get(fam, 0) + 1
    return t1


def expected_t5(menages) -> dict:
    entrants = [(m, a) for m, a in sdd(menages) if m.entree.year == YEAR]
    delays, cer_delays, hors_ft = [], [], 0
    for m, a in entrants:
        since = [(d, o) for d, o in a.decisions if m.entree <= d <= END]
        if not since:
            continue
        primo, organisme = since[0]
        delays.append((primo - m.entree).days)
        if category(organisme) != "france_travail":
            hors_ft += 1
            if a.signature and primo <= a.signature <= END:
                cer_delays.append((a.signature - primo).days)
    return {
        "entrants": len(entrants),
        "primo_orientes": len(delays),
        "delai_moyen_orientation": round(sum(delays) / len(delays), 1) if delays else None,
        "primo_orientes_hors_ft": hors_ft,
        "primo_cer": len(cer_delays),
        "delai_moyen_cer": round(sum(cer_delays) / len(cer_delays), 1) if cer_delays else None,
    }


def expected_t6(menages) -> dict:
    t6 = {"reorientes": 0, "spe_vers_hors_spe": 0, "hors_spe_vers_spe": 0}
    for _, a in sdd(menages):
        past = [(d, side(category(o))) for d, o in a.decisions if d <= END]
        if not past:
            continue
        last, previous = None, None
        for d, s in past:
            if s is None:
                continue
            if previous is not None and s != previous and d.year == YEAR:
                last = f"{previous}_vers_{s}"
            previous = s
        if last:
            t6["reorientes"] += 1
            t6[last] += 1
    return t6


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    from pipelines.settings import Settings

    tmp = tmp_path_factory.mktemp("oarsa")
    mp = pytest.MonkeyPatch()
    mp.setenv("PILOTAGE_DB", str(tmp / "wh" / "pilotage.duckdb"))
    mp.setenv("PILOTAGE_SECRET_KEY", TEST_KEY)
    mp.setenv("PILOTAGE_KEY_FILE", str(tmp / "keys" / "cle"))
    menages = population()
    load_everything(tmp, Settings.from_env(), menages)
    yield menages, tmp
    mp.undo()


def _json(capsys) -> dict:
    assert main(["oarsa", "--departement", "2A", "--annee", str(YEAR), "--regle", "drees"]) == 0
    return json.loads(capsys.readouterr().out)


def test_t1_t5_t6_are_the_definitions_computed_independently(computed, capsys, monkeypatch):
    menages, tmp = computed
    monkeypatch.setenv("PILOTAGE_DB", str(tmp / "wh" / "pilotage.duckdb"))
    got = _json(capsys)
    want = expected_t1(menages)
    assert got["t1"]["sdd"] == want["sdd"] and want["sdd"] > 100
    assert got["t1"]["orientes"] == want["orientes"]
    assert got["t1"]["non_orientes"] == want["sdd"] - want["orientes"]
    assert {k: v for k, v in got["t1"]["par_organisme"].items() if v} == want["par_organisme"]
    assert {k: v for k, v in got["t1"]["par_age"].items() if v} == want["par_age"]
    assert {k: v for k, v in got["t1"]["par_situation_familiale"].items() if v} == want["sitfam"]
    t5 = {k: got["t5"][k] for k in expected_t5(menages)}
    assert t5 == expected_t5(menages)
    assert t5["primo_cer"] > 0 and t5["entrants"] > 20
    t6 = {k: got["t6"][k] for k in expected_t6(menages)}
    assert t6 == expected_t6(menages) and t6["reorientes"] > 0
    assert got["date_reference"] == f"{YEAR}-12-31" and got["regle_population"] == "drees"
    assert got["non_classes"][0]["organisme"] == "ASSOCIATION INCONNUE"
