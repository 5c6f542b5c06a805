"""CAF/MSA flux bénéficiaires: reading, checks, history, and the population it gives the
cohorte indicators — on hand-built fluxes (fictitious values) loaded by the real loader."""

from __future__ import annotations

import dataclasses
import gzip
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines import indicators, loader
from pipelines.readers.encoding import inspect_file
from pipelines.sources import detect_source
from sample_data.caf_flux import Foyer, Personne, fake_nir, flux_chunks, write_flux

D = date.fromisoformat
DEP = "2A"

# person: (household, role, soumis, orientation dates); households: (DTDEMRSA, ETATDOSRSA)
FOYERS_MAI = {
    "H1": ("2026-01-05", "2"),
    "H2": ("2026-01-10", "2"),
    "H3": ("2026-01-20", "3"),
    "H4": ("2026-02-01", "4"),
    "H5": ("2026-02-10", "2"),
    "H6": ("2026-03-03", "2"),
    "H7": ("2026-03-05", "2"),
    "H8": ("2026-03-31", "2"),
    "H9": ("2026-04-10", "2"),
    "H10": ("2026-04-20", "2"),
    "H11": ("2025-03-01", "2"),
    "H12": ("2025-09-01", "2"),
    "H13": ("2025-12-15", "5"),  # closed since the February flux
    "H14": ("2026-02-15", "1"),  # refused: never in the population
    "H15": ("2026-03-10", "2"),  # its only person is not soumis aux droits et devoirs
}
PERSONNES = {
    "A1": ("H1", "DEM", True, ["2026-01-20"]),  # 15 days
    "A4": ("H1", "CJT", True, ["2026-02-04"]),  # conjoint, same entry: 30 days
    "K1": ("H1", "ENF", False, []),  # child, not soumis
    "A2": ("H2", "DEM", True, ["2026-02-25", "2026-04-01"]),  # 46 days; oriented twice
    "A3": ("H3", "DEM", True, []),  # never oriented
    "B1": ("H4", "DEM", True, ["2026-03-15"]),  # 42 days
    "B2": ("H5", "DEM", True, ["2026-02-20"]),  # 10 days
    "C1": ("H6", "DEM", True, ["2026-03-13"]),  # 10 days
    "C2": ("H7", "DEM", True, []),
    "C3": ("H8", "DEM", True, ["2026-05-11"]),  # 41 days
    "D1": ("H9", "DEM", True, ["2026-04-30"]),  # 20 days
    "D2": ("H10", "DEM", True, []),  # closed by the daily flux of 5 June
    "E1": ("H11", "DEM", True, []),  # in RSA for more than 12 months
    "F1": ("H12", "DEM", True, ["2025-10-01"]),  # 6 to 12 months
    "G1": ("H13", "DEM", True, []),
    "R1": ("H14", "DEM", True, []),
    "N1": ("H15", "DEM", False, []),
}
OUTSIDE = {"X1": ["2026-03-01"]}  # a decision for a person no flux holds
FEVRIER = ("H1", "H2", "H3", "H4", "H5", "H11", "H12", "H13", "H14")
NIR = {name: fake_nir(i, "1") for i, name in enumerate([*PERSONNES, *OUTSIDE], start=1)}


def _foyers(names, etats=None) -> list[Foyer]:
    out = []
    for h in names:
        demande, etat = FOYERS_MAI[h]
        etat = (etats or {}).get(h, etat)
        persons = [
            Personne(NIR[p], date(1990, 1, 1), "1", role, soumis)
            for p, (home, role, soumis, _) in PERSONNES.items()
            if home == h
        ]
        closed = etat in ("5", "6")
        out.append(
            Foyer(
                f"90000000000{h[1:].zfill(2)}",
                D(demande),
                etat,
                "2A004",
                persons,
                date_cloture=D("2026-04-30") if closed else None,
                motif_cloture="PCG" if closed else None,
            )
        )
    return out


def _cgpem(path: Path) -> Path:
    header = (
        "NIR;NOM DE NAISSANCE;PRENOM;DATE DE NAISSANCE;NATURE DE L'ACCOMPAGNEMENT;"
        "DATE DE LA DECISION D'ORIENTATION"
    )
    rows = [
        f"{NIR[p]};FICTIF;PERSONNE;01/01/1990;01;{D(d).strftime('%d/%m/%Y')}"
        for p, (_, _, _, dates) in PERSONNES.items()
        for d in dates
    ] + [
        f"{NIR[p]};FICTIF;PERSONNE;01/01/1990;05;{D(d).strftime('%d/%m/%Y')}"
        for p, dates in OUTSIDE.items()
        for d in dates
    ]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def loaded(settings, built_warehouses):
    """February and May monthly fluxes, a daily flux of 5 June, and the CGPEM decisions
    (loaded once per run, copied for each test)."""
    built_warehouses("caf_fevrier_mai_juin", _load_fluxes)
    con = duckdb.connect(str(settings.db_path), read_only=True)
    yield con
    con.close()


def _load_fluxes(settings, folder: Path) -> None:
    files = [
        write_flux(folder / "RSABEM_fevrier.xml", DEP, D("2026-02-28"), _foyers(FEVRIER, {"H13": "2", "H14": "0"})),
        write_flux(folder / "RSABEM_mai.xml", DEP, D("2026-05-31"), _foyers(FOYERS_MAI)),
        write_flux(folder / "RSABEI_0605.xml", DEP, D("2026-06-05"), _foyers(["H10"], {"H10": "5"}), "I"),
    ]  # fmt: skip
    for path in files:
        outcome = loader.load("auto", path, settings)
        assert outcome.status == "loaded", outcome.message
    outcome = loader.load("cgpem", _cgpem(folder / "decisions.csv"), settings, DEP)
    assert outcome.status == "loaded", outcome.message


def _complete(cohorte: str, threshold: int, data_date: date) -> bool:
    """The maturity rule of docs/indicateurs.md, computed here: the product's per-share
    flags arrive with the cohorte maturity work (this branch has `cohorte_provisoire` only)."""
    first = D(f"{cohorte}-01")
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return last + timedelta(days=threshold) <= data_date


# cohorte: entrants, oriented, (median, p25, p75), 30-day share, 42-day share
EXPECTED = {
    "2026-01": (4, 3, (30, 15, 46), 0.5, 0.5),  # A1 15, A4 30, A2 46; A3 never
    "2026-02": (2, 2, (10, 10, 42), 0.5, 1.0),  # B2 10, B1 42
    "2026-03": (3, 2, (10, 10, 41), round(1 / 3, 4), round(2 / 3, 4)),  # C1 10, C3 41; C2
    "2026-04": (2, 1, (20, 20, 20), 0.5, 0.5),  # D1 20; D2 never
}


def test_four_cohortes_exact_values_with_the_flux_population(loaded) -> None:
    data_date = D("2026-06-05")  # the latest DTREF (daily flux) is after the last decision
    for month, (entrants, oriented, (med, p25, p75), s30, s42) in EXPECTED.items():
        got = indicators.delai_orientation(loaded, DEP, month)
        assert got["population"] == "caf_msa"
        assert (got["entrants"], got["delai_orientation_jours"]["n"]) == (entrants, oriented)
        quantiles = got["delai_orientation_jours"]
        assert (quantiles["mediane"], quantiles["p25"], quantiles["p75"]) == (med, p25, p75)
        assert (got["orientes_30j_share"], got["orientes_6sem_share"]) == (s30, s42), month
    maturity = {m: (_complete(m, 30, data_date), _complete(m, 42, data_date)) for m in EXPECTED}
    assert maturity == {
        "2026-01": (True, True),
        "2026-02": (True, True),
        "2026-03": (True, True),
        "2026-04": (True, False),  # the six-week share of April is still provisional
    }
    funnel = indicators.cohorte(loaded, DEP, "entree", "2026-01", "2026-04")
    assert (funnel["population"], funnel["entres"], funnel["orientes"]) == ("caf_msa", 11, 8)
    assert indicators.summary(loaded, DEP, "2026-03")["population"] == "caf_msa"


def test_part_orientes_uses_the_flux_of_the_month(loaded) -> None:
    """End of February: the February flux (G1 still open, nine persons, five oriented by
    then: A1, A4, A2, B2, F1). End of May: G1 closed, thirteen persons, nine oriented. End
    of June: the daily flux of 5 June closed D2's household."""
    february = indicators.part_orientes(loaded, DEP, "2026-02")
    assert february["ensemble"]["personnes"] == 9
    assert february["ensemble"]["part"] == round(5 / 9, 4)
    may = indicators.part_orientes(loaded, DEP, "2026-05")
    assert {k: v["personnes"] for k, v in may.items()} == {
        "ensemble": 13,
        "moins_6_mois": 11,
        "6_12_mois": 1,
        "12_mois_et_plus": 1,
    }
    assert may["ensemble"]["part"] == round(9 / 13, 4)
    assert may["12_mois_et_plus"]["part"] == 0.0 and may["6_12_mois"]["part"] == 1.0
    assert {v["population"] for v in may.values()} == {"caf_msa"}
    june = indicators.part_orientes(loaded, DEP, "2026-06")
    assert june["ensemble"]["personnes"] == 12


def test_link_rate_between_flux_and_orientation_sources(loaded) -> None:
    got = indicators.liaison_flux(loaded, DEP)
    # ten persons have a decision, nine of them are in a flux (X1 is not)
    assert got == {"personnes_orientees": 10, "retrouvees_dans_flux": 9, "taux": 0.9}


def test_kept_columns_hold_no_identifier_or_name(loaded) -> None:
    rows = loaded.execute("SELECT * FROM caf_beneficiaire").fetchall()
    text = repr(rows)
    assert "FICTIF" not in text and "PERSONNE" not in text
    assert not any(nir in text for nir in NIR.values())
    assert "1990-01-01" not in text  # the birth date: only the year is kept
    columns = {d[0] for d in loaded.execute("SELECT * FROM caf_beneficiaire LIMIT 0").description}
    assert {
        "person_key",
        "annee_naissance",
        "code_commune",
        "role",
        "soumis_droits_devoirs",
    } <= columns
    assert not {"nir", "nom", "prenom", "adresse", "montant"} & columns


def test_a_flux_sent_again_replaces_its_month(tmp_path, settings) -> None:
    first = write_flux(tmp_path / "a.xml", DEP, D("2026-05-31"), _foyers(["H1", "H2"]))
    again = write_flux(tmp_path / "b.xml", DEP, D("2026-05-31"), _foyers(["H1"]))
    assert loader.load("caf", first, settings).status == "loaded"
    assert loader.load("caf", again, settings).status == "loaded"
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM caf_beneficiaire").fetchone()[0] == 3


def test_without_a_flux_the_population_is_the_sources(tmp_path, settings) -> None:
    loader.load("cgpem", _cgpem(tmp_path / "decisions.csv"), settings, DEP)
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        assert indicators.population(con, DEP) == "sources"
        assert indicators.summary(con, DEP, "2026-03")["population"] == "sources"


# --- bad input --------------------------------------------------------------------------


def _stage(settings, path: Path, departement: str | None = None):
    report, con, _, _ = loader.validate("caf", path, settings, departement)
    con.close()
    return report


def _messages(report) -> str:
    return "\n".join([*(f.message for f in report.findings), *report.check_messages()])


def test_auto_detects_a_flux(tmp_path) -> None:
    path = write_flux(tmp_path / "flux.xml.gz", DEP, D("2026-05-31"), _foyers(["H1"]))
    path.write_bytes(gzip.compress(path.read_bytes()))
    assert detect_source(inspect_file(path)) == "caf"


@pytest.mark.parametrize(
    ("mangle", "expected"),
    [
        (lambda t: t[: len(t) // 2], "XML mal formé ou fichier tronqué (ligne"),
        (lambda t: t.replace("<Racine", '<!DOCTYPE Racine [<!ENTITY x "y">]><Racine', 1), "déclare des entités"),
        (lambda t: t.replace("<TransmissionFlux>", "<Autre>").replace("</TransmissionFlux>", "</Autre>"), "TransmissionFlux absent"),
        (lambda t: t.replace("<TYPEFLUX>M<", "<TYPEFLUX>Z<"), "IdentificationFlux/TYPEFLUX : type de flux inconnu"),
    ],
    ids=["cut", "entities", "no-footer", "type"],
)  # fmt: skip
def test_broken_fluxes_are_refused_naming_file_and_element(tmp_path, settings, mangle, expected):
    path = write_flux(tmp_path / "flux.xml", DEP, D("2026-05-31"), _foyers(["H1", "H2"]))
    path.write_text(mangle(path.read_text(encoding="cp1252")), encoding="cp1252")
    report = _stage(settings, path)
    assert not report.loadable
    assert "flux.xml" in _messages(report) and expected in _messages(report)
    assert NIR["A1"] not in _messages(report)


def test_wrong_ideparte_and_departement_argument(tmp_path, settings) -> None:
    foyers = _foyers(["H1", "H2", "H3"])
    foyers[2].departement = "052"
    path = write_flux(tmp_path / "flux.xml", DEP, D("2026-05-31"), foyers)
    report = _stage(settings, path)
    assert report.departement == "2A" and report.rows_rejected == 1
    assert (
        "flux.xml, foyer 3, champ InfosFoyerRSA/IdentificationRSA/Partenaire/IDEPARTE"
        in _messages(report)
    )
    refused = _stage(settings, path, "52")
    assert not refused.loadable and "département 2A, pas du 52 demandé" in _messages(refused)  # fmt: skip


def test_household_without_person_and_person_without_nir_are_quarantined(tmp_path, settings):
    foyers = _foyers([h for h in FOYERS_MAI if h != "H15"])  # 14 households
    foyers[1].personnes = []
    foyers[2].personnes[0].nir = None
    path = write_flux(tmp_path / "flux.xml", DEP, D("2026-05-31"), foyers)
    report = _stage(settings, path)
    text = _messages(report)
    assert "flux.xml, foyer 2, champ InfosFoyerRSA/Personne : foyer sans personne" in text
    assert "flux.xml, foyer 3, champ InfosFoyerRSA/Personne/Identification/NIR : personne sans NIR" in text  # fmt: skip
    assert report.rows_read == 14 and report.rows_rejected == 2
    assert not report.loadable  # 2 of 14 is above the 1 % threshold
    lenient = dataclasses.replace(settings, line_error_threshold=0.2)
    assert _stage(lenient, path).loadable  # under the threshold: loads, both quarantined


def test_unknown_codes_are_warnings_naming_the_code_never_a_value(tmp_path, settings) -> None:
    foyers = _foyers(["H1", "H2"])
    foyers[0].etat = "9"
    foyers[1].personnes[0].role = "XYZ"
    path = write_flux(tmp_path / "flux.xml", DEP, D("2026-05-31"), foyers)
    report = _stage(settings, path)
    assert report.loadable and report.rows_rejected == 0
    text = _messages(report)
    assert "ETATDOSRSA : état du dossier RSA inconnu (attendu 0 à 6) (valeurs : 9)" in text
    assert "ROLEPERS : rôle de la personne au RSA inconnu (valeurs : XYZ)" in text


def test_schema_error_names_the_element_never_the_value(tmp_path, settings) -> None:
    path = write_flux(tmp_path / "flux.xml", DEP, D("2026-05-31"), _foyers(["H1", "H2"]))
    text = path.read_text(encoding="cp1252").replace("<DTNAI>1990-01-01<", "<DTNAI>SECRET-1990<", 1)
    path.write_text(text, encoding="cp1252")
    report = _stage(settings, path)
    messages = _messages(report)
    assert "InfosFoyerRSA/Personne/Identification/DTNAI : valeur hors du type attendu" in messages
    assert "SECRET" not in messages and "SECRET" not in report.to_json()


def test_future_dates_are_line_errors_like_every_source(tmp_path, settings) -> None:
    """A date after the flux's reference date (DTREF) rejects its household with the message
    every source gives a future date, naming the household and the element, never the date;
    a closure may fall in the month after (the layout's tolerance)."""
    from pipelines.validation.suite import load_suite

    foyers = _foyers(["H1", "H2", "H3", "H4", "H5"], etats={"H4": "5", "H5": "5"})
    foyers[1].date_demande = D("2026-06-15")
    foyers[2].personnes[0].date_naissance = D("2099-01-01")
    foyers[3].date_cloture = D("2026-06-30")  # within the 31 days a closure may run ahead
    foyers[4].date_cloture = D("2026-07-31")
    path = write_flux(tmp_path / "flux.xml", DEP, D("2026-05-31"), foyers)
    report = _stage(settings, path)
    text = _messages(report)
    rules = {
        e.column: e.description
        for source in ("caf", "pecgm")
        for e in load_suite(source).expectations
        if e.column and e.column.endswith("_futur")
    }
    assert rules["date_demande_rsa_futur"] == rules["date_naissance_futur"]  # PECGM's words
    assert rules["date_cloture_futur"] == rules["date_radiation_futur"]  # with a tolerance
    for household, element, flag in (
        (2, "IdentificationRSA/DemandeRSA/DTDEMRSA", "date_demande_rsa_futur"),
        (3, "Personne/Identification/DTNAI", "date_naissance_futur"),
        (5, "PrestationRSA/SituationDossierRSA/FinDroit/DTCLORSA", "date_cloture_futur"),
    ):
        line = f"flux.xml, foyer {household}, champ InfosFoyerRSA/{element} : {rules[flag]} "
        assert line + "(valeurs : oui) [1 foyer(s), ligne rejetée]" in text, text
    assert report.rows_rejected == 3 and not report.loadable  # 3 of 5: beyond the threshold
    assert "2026-06-15" not in text and "2099" not in text and "2026-07-31" not in text


def test_public_test_files_shape_validates(tmp_path, settings) -> None:
    """The shape of the public test fluxes: a monthly CAF flux with resources and a daily
    MSA flux (written here with fictitious values), loadable as sent."""
    monthly = _foyers(["H1", "H2"])
    for f in monthly:
        f.date_demande = D("2021-11-02")  # before the reference date, as in those files
        for p in f.personnes:
            p.ressources, p.identifiant_pe = True, "9000001X"
    path = tmp_path / "RSABEM.xml"
    path.write_text("".join(flux_chunks("52", D("2022-02-28"), monthly)), encoding="cp1252")
    report = _stage(settings, path)
    assert report.loadable and report.departement == "52" and report.variant == "mensuel"
    daily = tmp_path / "MSABEI.xml"
    foyers = _foyers(["H3"])
    foyers[0].date_demande = D("2021-12-31")  # the reference day itself is not in the future
    daily.write_text(
        "".join(flux_chunks("92", D("2021-12-31"), foyers, "I", "MSA")), encoding="cp1252"
    )
    report = _stage(settings, daily)
    assert (
        report.loadable
        and report.variant == "quotidien 2021-12-31"
        and not report.checks[-1].unexpected_count
    )


def test_sql_engine_agrees_with_gx_on_a_bad_flux(tmp_path) -> None:
    """Household without person, person without NIR, bad NIR, unknown codes, other
    département: both engines count and place them alike."""
    from pipelines.sources import caf
    from pipelines.validation.suite import load_suite
    from tests.engines import assert_engines_agree

    foyers = _foyers(["H1", "H2", "H3", "H4", "H5", "H6"])
    foyers[1].personnes = []
    foyers[2].personnes[0].nir = None
    foyers[3].personnes[0].nir = "ABC"
    foyers[4].etat, foyers[4].departement = "9", "052"
    foyers[0].personnes[2].role = "XYZ"
    path = write_flux(tmp_path / "flux.xml", DEP, D("2026-05-31"), foyers)
    con = duckdb.connect()
    report = caf.stage(con, inspect_file(path))
    assert assert_engines_agree(con, report, caf.FIELDS, load_suite("caf")) >= 6
    assert report.rows_rejected == 4  # households 2, 3, 4 and 5
