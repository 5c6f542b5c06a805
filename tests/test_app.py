"""Streamlit AppTest: every page renders on the sample, an empty and a one-month warehouse,
and Synthèse shows the figures of the indicator layer."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import navigation
from dashboard.formatting import fmt_int, fmt_share
from pipelines import indicators, loader, warehouse
from pipelines.access import User
from sample_data.demo import sample_files
from tests.conftest import APPTEST_TIMEOUT, run_app

PAGES = [p.file for p in navigation.PAGES]
TITLES = {p.title for p in navigation.PAGES}
# a role that may open each page (the analyst's when it may)
ROLE_FOR = {
    p.file: "analyste" if "analyste" in p.roles else sorted(p.roles)[0] for p in navigation.PAGES
}


def _run(page: str | None = None, query: dict | None = None, user: User | None = None) -> AppTest:
    user = user or User("test", ROLE_FOR.get(page or "", "analyste"), ("2A",))
    at = run_app(user, query, page)
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_on_sample(page, sample_db, monkeypatch) -> None:
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    at = _run(page)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value in TITLES


@pytest.mark.parametrize("page", [p for p in PAGES if not p.endswith("administration.py")])
def test_pages_render_on_empty_warehouse(page) -> None:
    at = _run(page)
    assert "Aucun" in " ".join(i.value for i in at.info)


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_with_one_month(page, settings) -> None:
    path = [p for source, p in sample_files() if source == "pecgm"][-1]
    assert loader.load("pecgm", path, settings).status == "loaded"
    at = _run(page)
    if page.endswith("synthese.py"):
        assert not at.metric[0].delta  # no previous month to compare with


def test_synthese_figures_equal_indicator_layer(sample_db, monkeypatch) -> None:
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    at = _run(query={"dep": "2A", "mois": "2026-06"})
    expected = indicators.summary(warehouse.open_reader(sample_db), "2A", "2026-06")
    assert at.metric[0].value == fmt_int(expected["stock_total"])
    assert at.metric[2].value == fmt_share(expected["cer_notifie_share"])
    assert at.metric[3].value == fmt_share(expected["contact_90j_share"])
    assert at.query_params["mois"] in ("2026-06", ["2026-06"])
    assert at.sidebar.selectbox[1].value == "2026-06"


def _chargement(settings, arrivals: dict[str, str]) -> AppTest:
    """Chargement as a data steward of 2A, with files waiting in the arrivals folder."""
    folder = settings.db_path.parent / "arrivees"
    folder.mkdir(parents=True)
    for name, text in arrivals.items():
        (folder / name).write_text(text, encoding="utf-8")
    at = _run("pages/chargement.py", user=User("steward", "donnees", ("2A",)))
    at.radio[0].set_value("arrivee").run()
    return at


def test_chargement_refuses_a_blocked_file_from_the_arrivals_folder(settings) -> None:
    at = _chargement(
        settings,
        {"decisions.csv": "NIR;NOM DE NAISSANCE;PRENOM\n1;FICTIF;ALEX\n", ".envoi.part": "x"},
    )
    box = at.multiselect[0]
    assert [o.split(" · ")[0] for o in box.options] == ["decisions.csv"]  # not the .part
    at.selectbox[0].set_value("cgpem")
    at.text_input[0].input("2A")
    box.select(_arrival(settings, "decisions.csv")).run()
    assert not at.exception, at.exception
    assert any("Fichier refusé" in e.value for e in at.error)
    assert any("colonne obligatoire absente" in e.value for e in at.error)
    load = next(b for b in at.button if b.label == "Charger dans l'entrepôt")
    assert load.disabled
    assert table_count(settings, "orientation") == 0
    reports = list((settings.db_path.parent / "rapports").glob("controle_*_cgpem"))
    assert len(reports) == 1 and (reports[0] / "rapport.html").exists()


def test_chargement_loads_a_sound_file_from_the_arrivals_folder(settings) -> None:
    path = next(p for source, p in sample_files() if source == "cgpem")
    at = _chargement(settings, {path.name: path.read_text(encoding="utf-8")})
    at.selectbox[0].set_value("cgpem")
    at.text_input[0].input("2A")
    at.multiselect[0].select(_arrival(settings, path.name)).run()
    assert any("Fichier chargeable" in s.value for s in at.success)
    next(b for b in at.button if b.label == "Charger dans l'entrepôt").click().run()
    assert not at.exception, at.exception
    assert table_count(settings, "orientation") > 0
    folder = settings.db_path.parent / "arrivees"
    assert (folder / "charges" / path.name).exists() and not (folder / path.name).exists()


def test_chargement_compares_a_corrected_resend_with_the_load_it_replaces(settings) -> None:
    """The page named the load a corrected file replaces, but its drift compared it with
    the previous month: it now says what it compared the file with."""
    path = next(p for source, p in sample_files() if source == "cgpem")
    first = loader.load("cgpem", path, settings, "2A")
    assert first.status == "loaded"
    corrected = path.read_text(encoding="utf-8").splitlines()[:-1]
    at = _chargement(settings, {"corrige_" + path.name: "\n".join(corrected) + "\n"})
    at.selectbox[0].set_value("cgpem")
    at.text_input[0].input("2A")
    at.multiselect[0].select(_arrival(settings, "corrige_" + path.name)).run()
    assert not at.exception, at.exception
    said = f"Comparé au chargement n° {first.load_id} qu'il remplace"
    assert any(said in m.value for m in at.markdown), [m.value for m in at.markdown]


def _arrival(settings, name: str):
    from dashboard.uploads import arrivals

    return next(a for a in arrivals(settings.db_path.parent / "arrivees") if a.path.name == name)


def table_count(settings, table: str) -> int:
    if not settings.db_path.exists():  # no warehouse yet: nothing was loaded
        return 0
    con = warehouse.open_reader(settings.db_path)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize(
    ("page", "family", "column", "key", "table"),
    [
        ("pages/delais.py", "contrat", "contrat en 30 j", "contrat_30j_share", "contrat_profil"),
        ("pages/accompagnement.py", "intensite", "15 heures ou plus", "heures_15_share",
         "intensite_profil"),
        ("pages/orientations.py", "delai_orientation", "orientés en 30 j", "orientes_30j_share",
         "delai_profil"),
    ],
)  # fmt: skip
def test_breakdown_tables_show_the_indicator_layer(
    sample_db, monkeypatch, page, family, column, key, table
) -> None:
    """The user picks 'Sexe': the table's figures are the indicator layer's, group by group."""
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    at = _run(page, {"dep": "2A", "mois": "2026-06"})
    at.radio(key=f"dim_{table}").set_value("par_sexe").run()
    assert not at.exception, at.exception
    frame = next(d.value for d in at.dataframe if column in d.value.columns)
    expected = getattr(indicators, family)(warehouse.open_reader(sample_db), "2A", "2026-06")
    shown = frame.set_index("groupe")[column].to_dict()
    assert shown == {  # as the table prints them: '12,5 %', never 'None'
        {"F": "Femmes", "M": "Hommes"}[code]: fmt_share(group[key])
        for code, group in expected["par_sexe"].items()
    }
    assert len(shown) == 2


def test_breakdown_tables_mask_small_groups_for_the_committee(sample_db, monkeypatch) -> None:
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    query = {"dep": "2A", "mois": "2026-06", "terr": "Pays ajaccien"}  # a smaller population
    at = _run("pages/delais.py", query, User("c", "comite", ("2A",)))
    at.radio(key="dim_contrat_profil").set_value("par_tranche_age").run()
    frame = next(d.value for d in at.dataframe if "contrat en 30 j" in d.value.columns)
    reader = warehouse.open_reader(sample_db)
    expected = indicators.contrat(reader, "2A", "2026-06", ("2A004", "2A017"))
    groups = expected["par_tranche_age"]
    small = [c for c, g in groups.items() if 0 < g["orientes"] < 11]
    large = [c for c, g in groups.items() if g["orientes"] >= 11]
    assert small and large, groups  # the sample has both, or this test proves nothing
    rows = frame.set_index("groupe")
    from dashboard.widgets import AGE_LABELS

    for code in small:
        assert rows.loc[AGE_LABELS[code], "personnes"] == "< 11"
        assert rows.loc[AGE_LABELS[code], "contrat en 30 j"] == "n.d."  # withheld, not 'None'
    for code in large:
        shown = rows.loc[AGE_LABELS[code], "contrat en 30 j"]
        assert shown == fmt_share(groups[code]["contrat_30j_share"])


def test_committee_synthese_never_shows_a_provisional_share(sample_db, monkeypatch) -> None:
    """The latest month's cohortes are still open: every cohorte tile shows the latest
    complete cohorte, names it, and equals the indicator layer for it; no sentence uses a
    provisional cohorte."""
    from dashboard import headlines

    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    reader = warehouse.open_reader(sample_db)
    month = indicators.months_available(reader, "2A")[0]
    at = _run(query={"dep": "2A", "mois": month}, user=User("c", "comite", ("2A",)))
    shown = {m.label: m.value for m in at.metric}
    named = [c.value for c in at.caption if c.value.startswith("cohorte ")]
    assert len(named) == len(headlines.COHORTE_FIGURES)
    provisional_seen = 0
    for figure, caption in zip(headlines.COHORTE_FIGURES, named, strict=True):
        cohortes = {
            m: getattr(indicators, figure.family)(reader, "2A", m)
            for m in indicators.months_available(reader, "2A")[:6]
        }
        cohorte = next(m for m in cohortes if headlines.fmt_cohorte(m) == caption)
        result = cohortes[cohorte]
        assert result[figure.provisional] is False, (figure.label, cohorte)
        value = figure.value(result)
        expected = fmt_share(value) if figure.is_share else f"{value} j"
        assert shown[figure.label] == expected, figure.label
        open_ = [m for m, r in cohortes.items() if r[figure.provisional]]
        provisional_seen += len(open_)
        said = " ".join(md.value for md in at.markdown if md.value.startswith(f"- {figure.label}"))
        for m in open_:  # never a provisional cohorte in a tile or its sentence
            assert caption != headlines.fmt_cohorte(m)
            assert headlines.fmt_cohorte(m) not in said
    assert provisional_seen, "the sample's latest cohortes are open, or this proves nothing"


def test_cohortes_compare_at_equal_follow_up(sample_db, monkeypatch) -> None:
    """The default cohorte A (the three latest months) has not had 90 days: marked
    provisional; with its immature months left out it no longer is, and the page says
    how many months went."""
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    at = _run("pages/cohortes.py", {"dep": "2A"})
    assert any("Provisoire" in w.value for w in at.warning)
    frame = next(d.value for d in at.dataframe if "provisoire A" in d.value.columns)
    assert set(frame["provisoire A"]) == {"oui"} and set(frame["provisoire B"]) == {"non"}
    assert "None" not in frame.to_string()
    at.radio(key="immatures").set_value("exclure").run()
    assert not at.exception, at.exception
    assert not any("Provisoire" in w.value for w in at.warning)
    assert any("exclu(s) de la cohorte" in i.value for i in at.info)
    frame = next(d.value for d in at.dataframe if "provisoire A" in d.value.columns)
    assert set(frame["provisoire A"]) == {"non"}


def _reads_another_departement() -> None:
    """A page that forgot to scope its figures: it asks for 2B directly."""
    from dashboard import db

    db.summary("2B", "2026-10")
    import streamlit as st

    st.write("chiffres de 2B affichés")


def test_the_data_layer_refuses_a_departement_the_user_may_not_see(sample_db, monkeypatch):
    """Scoping is enforced where figures are read, whatever the page does (audited)."""
    from pipelines import access

    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    at = AppTest.from_function(_reads_another_departement, default_timeout=APPTEST_TIMEOUT)
    at.session_state["utilisateur"] = User("agent.2a", "analyste", ("2A",))
    at.run()
    assert not at.exception
    assert "Vous n'avez pas accès aux données de ce département." in [e.value for e in at.error]
    assert not any("chiffres de 2B" in m.value for m in at.markdown)
    rows = access.audit_rows(sample_db, 5)
    assert any(r[2] == "agent.2a" and r[3] == "acces_refuse" and r[4] == "2B" for r in rows)


def test_orientations_page_states_the_population_it_counts(sample_db, monkeypatch) -> None:
    """The sample has a CAF flux: the cohorte section says it counts the flux's persons,
    shows the link rate, and its table carries the population."""
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    at = _run("pages/orientations.py", {"dep": "2A", "mois": "2026-06"})
    captions = " ".join(c.value for c in at.caption)
    assert indicators.POPULATION_CAPTIONS["caf_msa"] in captions
    link = indicators.liaison_flux(warehouse.open_reader(sample_db), "2A")
    metric = next(m for m in at.metric if "retrouvées dans le flux" in m.label)
    assert metric.value == fmt_share(link["taux"])
    table = next(d.value for d in at.dataframe if "Population" in d.value.columns)
    assert set(table["Population"]) == {indicators.POPULATION_LABELS["caf_msa"]}


def test_orientations_page_without_a_flux_says_the_non_oriented_may_be_missing(settings) -> None:
    """June's PECGM file and CGPEM decisions, no flux: the population is the sources."""
    for source, path in sample_files():
        if source in ("pecgm", "cgpem") and "202606" in path.name:
            assert loader.load(source, path, settings, "2A").status == "loaded"
    at = _run("pages/orientations.py", {"dep": "2A", "mois": "2026-06"})
    captions = " ".join(c.value for c in at.caption)
    assert (
        "Population : personnes connues des fichiers d'orientation et de parcours (sans flux "
        "CAF/MSA, les non-orientés peuvent manquer)." in captions
    )
