"""Each indicator of docs/indicateurs.md on a warehouse built by hand: a handful of
people with known dates, and the exact values they must give (edge cases included)."""

from __future__ import annotations

import duckdb
import pytest

from pipelines import indicators, personnes, warehouse

ORIENTATION = (
    "INSERT INTO orientation (load_id, departement, source, line_no, person_key, cle_type, "
    "pe_key, rsa_key, date_orientation, type_parcours, date_entree_rsa) "
    "VALUES (1, '2A', ?, 1, ?, 'NIR', ?, NULL, ?, ?, ?)"
)
PECGM = (
    "INSERT INTO pecgm_stock (load_id, departement, mois, date_reference, line_no, person_key, "
    "cle_type, pe_key, date_notification_cer, date_cessation_ide, motif_cessation_ide, "
    "code_categorie) VALUES (2, '2A', ?, ?, 1, ?, 'NIR', ?, ?, ?, ?, '1')"
)


@pytest.fixture
def wh(tmp_path):
    """P1…P5 as in the module docstring of each test; 2B holds nothing."""
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    warehouse.migrate(con)
    warehouse.refresh_nomenclatures(con)
    rows = [
        # source, person, pe key, orientation date, parcours type, RSA entry
        ("stock", "P1", "E1", "2026-03-11", "social", "2026-03-01"),
        ("stock", "P2", "E2", "2026-04-20", "professionnel", "2026-03-05"),
        ("cgpem", "P2", "E2", "2026-05-02", "professionnel", None),  # oriented twice
        ("stock", "P3", "E3", "2026-03-01", "social", "2026-03-10"),  # before entry: anomaly
        ("stock", "P4", "E4", "2026-04-10", "socio_professionnel", "2026-03-20"),  # no contract
        ("stock", "P5", "E5", "2026-02-25", "social", "2026-02-10"),  # another cohorte
    ]
    con.executemany(ORIENTATION, rows)
    pecgm = [
        # month, reference date, PECGM person key, pe key, CER date, cessation date, motif
        ("2026-03-01", "2026-03-31", "N1", "E1", "2026-03-21", None, None),  # linked by PE key
        ("2026-06-01", "2026-06-30", "N2", "E2", "2026-06-01", None, None),  # 42 days after 04-20
        ("2026-06-01", "2026-06-30", "N3", "E3", "2026-02-20", "2026-06-12", "90"),  # CER before
        ("2026-06-01", "2026-06-30", "N6", "E6", None, "2026-06-03", "11"),
    ]
    con.executemany(PECGM, pecgm)
    people = {  # sex and birth year (ages in 2026): P1 36, P2 22, P3 56, P4 31, P5 46
        "P1": ("F", 1990), "P2": ("M", 2004), "P3": ("F", 1970), "P4": ("M", 1995),
        "P5": ("F", 1980), "N2": ("F", 1990), "N3": ("M", 1960),
    }  # fmt: skip
    for key, (sexe, year) in people.items():
        for table in ("orientation", "pecgm_stock"):
            con.execute(
                f"UPDATE {table} SET sexe = ?, annee_naissance = ? WHERE person_key = ?",
                [sexe, year, key],
            )
    con.execute(
        "INSERT INTO parcours_personne (load_id, departement, line_no, person_key, cle_type, "
        "rsa_key, date_entree_dispositif, date_orientation, type_parcours) VALUES "
        "(3, '2A', 1, 'R1', 'RSA', 'R1', '2026-03-01', '2026-03-11', 'social'), "
        "(3, '2A', 2, 'R2', 'RSA', 'R2', '2026-03-02', '2026-04-01', 'professionnel'), "
        "(3, '2A', 3, 'R3', 'RSA', 'R3', '2025-01-15', NULL, NULL)"
    )
    con.execute(
        "UPDATE parcours_personne SET sexe = 'F', annee_naissance = 1990 WHERE rsa_key = 'R1'"
    )
    personnes.refresh(con, catalog="wh")  # as every load does
    con.execute(
        "INSERT INTO parcours_prestation (load_id, departement, line_no, rsa_key, modalite, "
        "date_debut, heures) VALUES (3, '2A', 1, 'R1', 'collectif', '2026-03-02', 10), "
        "(3, '2A', 2, 'R1', 'individuel', '2026-03-20', 60), "
        "(3, '2A', 3, 'R2', 'collectif', '2026-03-05', 5)"
    )
    con.execute(
        "INSERT INTO parcours_rdv (load_id, departement, line_no, rsa_key, date_rdv) VALUES "
        "(3, '2A', 1, 'R1', '2026-03-18'), (3, '2A', 2, 'R1', '2026-03-30'), "
        "(3, '2A', 3, 'R2', '2026-04-09')"
    )
    return con


def test_orientation_delay_of_an_entry_cohorte(wh) -> None:
    """March entrants P1 (10 days), P2 (46), P4 (21) and P3, oriented before entering: P3 is
    excluded from the delays, counted as an anomaly, and stays in the 30-day denominator."""
    got = indicators.delai_orientation(wh, "2A", "2026-03")
    assert got["delai_orientation_jours"] == {
        "mediane": 21,
        "p25": 10,
        "p75": 46,
        "moyenne": 25.7,
        "n": 3,
    }
    assert got["entrants"] == 4
    assert got["orientes_30j_share"] == 0.5  # P1, P4
    assert got["orientes_6sem_share"] == 0.5  # P2's 46 days are past six weeks
    assert got["anomalies_avant_entree"] == 1


def test_orientations_count_each_decision_and_distinct_persons(wh) -> None:
    assert indicators.orientations(wh, "2A", "2026-03") == {
        "orientations": {"social": 2},
        "organisme_referent": {"non_renseigne": 2},
        "personnes_orientees": 2,
        "par_sexe": {"F": {"social": 2}},  # P1 and P3
        "par_tranche_age": {"35_44": {"social": 1}, "55_plus": {"social": 1}},
    }
    may = indicators.orientations(wh, "2A", "2026-05")
    assert may["orientations"] == {"professionnel": 1}  # P2's second decision


def test_time_to_contract_per_orientation_cohorte(wh) -> None:
    """March cohorte: P1 contracted after 10 days (PECGM CER, found through the PE key); P3's
    CER predates the orientation, so P3 has no contract yet."""
    march = indicators.contrat(wh, "2A", "2026-03")
    assert march["orientes"] == 2
    assert march["delai_contrat_jours"] == {"mediane": 10, "p25": 10, "p75": 10, "n": 1}
    assert march["contrat_30j_share"] == 0.5 and march["contrat_60j_share"] == 0.5
    april = indicators.contrat(wh, "2A", "2026-04")
    assert april["delai_contrat_jours"]["mediane"] == 42
    assert (april["contrat_30j_share"], april["contrat_60j_share"]) == (0.0, 0.5)
    assert april["par_parcours"]["socio_professionnel"]["contrat_60j_share"] == 0.0


def test_kaplan_meier_censors_at_the_data_date(wh) -> None:
    """March cohorte: P1's contract on day 10 with 2 at risk -> 50 %; P3 is censored at the
    data date (2026-06-30, 121 days), so the curve is observed up to day 121 only."""
    curve = {r["jour"]: r for r in indicators.contrat_courbe(wh, "2A") if r["cohorte"] == "2026-03"}
    assert curve[9]["part_contractes"] == 0.0
    assert curve[10]["part_contractes"] == 0.5
    assert curve[121]["part_contractes"] == 0.5 and curve[121]["observe"]
    assert not curve[122]["observe"]
    assert curve[0]["effectif"] == 2


def test_kaplan_meier_differs_from_the_naive_share_when_censored(tmp_path) -> None:
    """Three persons: contract at day 5; censored at day 8; contract at day 20. KM gives
    1 - (2/3)(0/1) = 1 at day 20, where the naive share would be 2/3."""
    con = duckdb.connect(str(tmp_path / "km.duckdb"))
    warehouse.migrate(con)
    dates = [
        ("A", "2026-01-01", "2026-01-06"),
        ("B", "2026-01-23", None),
        ("C", "2026-01-01", "2026-01-21"),
    ]
    for person, oriented, cer in dates:
        con.execute(ORIENTATION, ["stock", person, person, oriented, "social", None])
        con.execute(PECGM, ["2026-01-01", "2026-01-31", person, person, cer, None, None])
    personnes.refresh(con, catalog="km")
    curve = {r["jour"]: r["part_contractes"] for r in indicators.contrat_courbe(con, "2A")}
    assert curve[4] == 0.0
    assert curve[5] == round(1 / 3, 4)
    assert curve[19] == round(1 / 3, 4)
    assert curve[20] == 1.0


def test_intensity_and_appointments(wh) -> None:
    """R1 (oriented 11 March) has 70 hours in March = 70 / (31/7) = 15.81 a week; R2, oriented
    in April, is not yet in an active parcours in March; R3 was never oriented."""
    got = indicators.intensite(wh, "2A", "2026-03")
    assert got["heures_hebdo"] == {
        "personnes": 1,
        "moyenne": 15.81,
        "mediane": 15.81,
        "heures_15_share": 1.0,
    }
    assert got["rdv_par_personne"] == 2.0
    april = indicators.intensite(wh, "2A", "2026-04")
    assert april["heures_hebdo"]["personnes"] == 2 and april["heures_hebdo"]["moyenne"] == 0.0
    assert april["rdv_par_personne"] == 0.5


def test_first_appointment_delay(wh) -> None:
    assert indicators.premier_rdv(wh, "2A", "2026-03") == {
        "mediane": 7,
        "p25": 7,
        "p75": 7,
        "n": 1,
        "orientes": 1,
    }


def test_part_orientes_keeps_the_not_yet_oriented(wh) -> None:
    """End of April: R1, R2 oriented, R3 (entered January 2025) never: 2/3 overall."""
    got = indicators.part_orientes(wh, "2A", "2026-04")
    assert got["ensemble"] == {"personnes": 3, "part": round(2 / 3, 4), "population": "sources"}
    assert got["12_mois_et_plus"] == {"personnes": 1, "part": 0.0, "population": "sources"}
    assert got["moins_6_mois"] == {"personnes": 2, "part": 1.0, "population": "sources"}


def test_flows_fall_back_on_pecgm_dates_without_lrsa_lists(wh) -> None:
    got = indicators.flux(wh, "2A", "2026-06")
    assert got["cessations"] == 2 and got["flux_source"] == "pecgm"
    assert got["cessations_motif"] == {"absence_controle": 1, "reprise_emploi": 1}
    assert got["inscriptions"] is None  # PECGM gives no registrations


def test_empty_month_and_departement_without_data(wh) -> None:
    empty = indicators.summary(wh, "2A", "2026-09")
    assert empty["orientations"] == {} and empty["contrat_30j_share"] is None
    assert empty["orientes_30j_share"] is None  # no entrant: n.d., never 0 %
    nothing = indicators.summary(wh, "2B", "2026-03")
    for key in ("orientations", "delai_contrat_jours", "heures_hebdo", "part_orientes"):
        assert nothing[key] is None, key
    assert nothing["stock_total"] == 0 and nothing["cer_notifie_share"] is None


def test_breakdowns_by_sex_and_age_band(wh) -> None:
    """March entrants: women P1 (10 days) and P3 (oriented before entry: an anomaly, in the
    denominator only), men P2 (46) and P4 (21). Ages are counted in years of 2026."""
    delay = indicators.delai_orientation(wh, "2A", "2026-03")
    women, men = delay["par_sexe"]["F"], delay["par_sexe"]["M"]
    assert (women["entrants"], women["delai_orientation_jours"]["mediane"]) == (2, 10)
    assert women["orientes_30j_share"] == 0.5
    assert (men["entrants"], men["delai_orientation_jours"]["mediane"]) == (2, 21)
    assert men["orientes_30j_share"] == 0.5 and men["orientes_6sem_share"] == 0.5
    assert set(delay["par_tranche_age"]) == {"moins_25", "25_34", "35_44", "55_plus"}
    assert delay["par_tranche_age"]["moins_25"]["delai_orientation_jours"]["mediane"] == 46
    contract = indicators.contrat(wh, "2A", "2026-03")  # P1 contracted at 10 days, P3 not
    assert contract["par_sexe"] == {
        "F": {
            "delai_contrat_jours": {"mediane": 10, "p25": 10, "p75": 10, "n": 1},
            "orientes": 2,
            "contrat_30j_share": 0.5,
            "contrat_60j_share": 0.5,
            # March's windows closed by the data date, 30 June (PECGM reference date)
            "contrat_30j_provisoire": False,
            "contrat_60j_provisoire": False,
            "delai_contrat_provisoire": False,
        }
    }
    assert contract["par_tranche_age"]["35_44"]["contrat_30j_share"] == 1.0
    assert contract["par_tranche_age"]["55_plus"]["contrat_30j_share"] == 0.0
    intensity = indicators.intensite(wh, "2A", "2026-03")
    assert intensity["par_sexe"]["F"]["heures_15_share"] == 1.0
    assert intensity["par_tranche_age"]["35_44"]["personnes"] == 1
    stock = indicators.stock(wh, "2A", "2026-06")  # N2 (F, 36), N3 (M, 66), N6 (unknown)
    assert stock["sexe"] == {"F": 1, "M": 1, "non_renseigne": 1}
    assert stock["tranche_age"] == {"35_44": 1, "55_plus": 1, "non_renseignee": 1}
    assert sum(stock["commune"].values()) == stock["stock_total"] == 3


def test_breakdowns_of_an_empty_cohorte_are_empty_not_missing(wh) -> None:
    empty = indicators.delai_orientation(wh, "2A", "2026-09")
    assert empty["entrants"] == 0 and empty["par_sexe"] == {} and empty["par_tranche_age"] == {}
    assert indicators.contrat(wh, "2A", "2026-09")["par_sexe"] == {}


def test_cohorte_funnel_exact_values(wh) -> None:
    """Entry cohorte of March: P1, P2, P3, P4. Oriented on or after entry: P1 (10 days), P2
    (46), P4 (21); P3 was oriented before entering. Contracts: P1 on day 10 (PECGM CER via
    the PE key), P2 on day 42; P4 none. No appointment (no RSA key), no return to work."""
    got = indicators.cohorte(wh, "2A", "entree", "2026-03", "2026-03")
    assert got == {
        "population": "sources",
        "entres": 4,
        "orientes": 3,
        "premier_rdv": 0,
        "contrat": 2,
        "reprise_emploi": 0,
        "delai_orientation_median": 21,
        "delai_contrat_median": 10,
        "date_donnees": "2026-06-30",  # the latest PECGM reference date
        "provisoire": None,  # no horizon asked
        "mois_exclus": 0,
    }
    by_orientation = indicators.cohorte(wh, "2A", "orientation", "2026-03", "2026-03")
    assert (by_orientation["entres"], by_orientation["orientes"]) == (2, 1)  # P1, P3
    assert by_orientation["contrat"] == 1  # P3's CER predates the orientation
    men = indicators.cohorte(wh, "2A", "entree", "2026-03", "2026-03", sexe="M")
    assert (men["entres"], men["contrat"]) == (2, 1)  # P2 and P4; P2 contracted


def test_cohorte_counts_a_return_to_work_after_orientation(wh) -> None:
    """P5 (oriented 25 February) ceases in June with motif 11, a return to work."""
    wh.execute(PECGM, ["2026-06-01", "2026-06-30", "P5", "E5", None, "2026-06-15", "11"])
    personnes.refresh(wh, catalog="wh")
    got = indicators.cohorte(wh, "2A", "orientation", "2026-02", "2026-02")
    assert (got["entres"], got["orientes"], got["reprise_emploi"]) == (1, 1, 1)
