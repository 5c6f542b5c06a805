"""The France Travail collection in the dashboard: the Accompagnement section « Situation à
France Travail et freins périphériques » (masked like every committee view) and the
Chargement panel that starts a collection for an uploaded file (data stewards only).

Kept apart from the pages so that a page only calls `section(...)` or `panel(...)`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import auth, db, widgets
from dashboard.formatting import fmt_share
from dashboard.uploads import departement_field, new_staging_dir, stage, uploaded_mapping
from pipelines import access, glossary, indicators, masking
from pipelines.errors import PilotageError
from pipelines.masking import count_label
from pipelines.settings import FranceTravailSettings, Settings

STATUT_LABELS = {
    "Inscrit": "Inscrit",
    "Cessé": "Inscription cessée",
    "Radié": "Radié",
    "Non inscrit": "Non inscrit",
    "Identifié": "Identifié, non inscrit",
    "non_renseigne": "Trouvé, sans contrat",
    "non_trouve": "Inconnu de France Travail",
    "homonymes": "Homonymes (rien de collecté)",
    "identite_non_certifiee": "Identité non certifiée (rien de collecté)",
}


def thematique_labels() -> dict[str, str]:
    """The thématiques' short labels, from their nomenclature (not from a collection)."""
    return indicators.thematique_labels()


def share_help() -> str:
    """The « part réellement inscrite » tile's tooltip: its numerator and denominator as
    the indicator's definition words them (sql/indicators/inscrits_orientes_ft.yaml)."""
    words = glossary.families()["inscrits_orientes_ft"]
    return f"Numérateur : {words['numerateur']} Dénominateur : {words['denominateur']}"


def _date(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def section(departement: str, month: str, communes, parcours: str | None) -> None:
    """Status at France Travail, categories, peripheral obstacles and the registered share
    of persons oriented to France Travail, from the latest collection of the month."""
    st.subheader("Situation à France Travail et freins périphériques")
    result = db.family("france_travail", departement, month, communes)
    if result is None or result["date_collecte"] is None:
        st.info(
            "Aucune collecte auprès des API France Travail pour ce département à cette date "
            "(un gestionnaire de données la lance depuis la page « Chargement »)."
        )
        return
    st.caption(
        f"Dernière collecte au plus tard à la fin du mois : {_date(result['date_collecte'])} "
        "(API Statut usager et Diagnostic individu, personnes des fichiers du département)."
    )
    _inscrits_orientes(result["inscrits_orientes_ft"])
    left, right = st.columns(2)
    with left:
        widgets.distribution(
            result["statut_de"],
            "statut_de",
            {**{c: c for c in result["statut_de"]}, **STATUT_LABELS},
            "Statut à France Travail",
            glossary.caption("statut_de"),
            "ft_statut",
        )
    with right:
        widgets.distribution(
            result["categorie_api"],
            "categorie",
            {
                **{c: c for c in result["categorie_api"]},
                **widgets.short_labels("categorie"),
                "non_renseignee": "Non renseignée",
            },
            "Catégorie des inscrits",
            glossary.caption("categorie_api"),
            "ft_categorie",
        )
    _contraintes(result["contraintes"], parcours)


def _inscrits_orientes(share: dict | None) -> None:
    if not share or not share["orientes"]:
        return
    limit = masking.threshold()
    inscrits = masking.mask_distribution(
        {"inscrits": share["inscrits"], "autres": share["collectes"] - share["inscrits"]}, limit
    )
    c1, c2, c3 = st.columns(3)
    c1.metric(
        "Orientés vers France Travail",
        count_label(share["orientes"], limit),
        help=glossary.caption("inscrits_orientes_ft"),
    )
    c2.metric(
        "dont interrogés lors de la collecte",
        count_label(share["collectes"], limit),
    )
    allowed = masking.share_allowed(share["collectes"], limit) and inscrits["inscrits"] is not None
    c3.metric(
        "Part réellement inscrite",
        fmt_share(share["part_inscrits"]) if allowed else "n.d.",
        help=share_help(),
    )


def _contraintes(contraintes: dict | None, parcours: str | None) -> None:
    if not contraintes or not contraintes["personnes"]:
        st.info("Aucun diagnostic France Travail parmi les personnes trouvées.")
        return
    labels = thematique_labels()
    groups = {"ensemble": contraintes, **contraintes["par_parcours"]}
    if parcours:
        groups = {k: v for k, v in groups.items() if k in ("ensemble", parcours)}
    limit = masking.threshold()
    records = []
    for group, data in groups.items():
        masked = masking.mask_distribution(data["thematiques"], limit)
        for code, n in masked.items():
            allowed = n is not None and masking.share_allowed(data["personnes"], limit)
            records.append(
                {
                    "groupe": widgets.PARCOURS_LABELS.get(group, group),
                    "thématique": labels.get(code, code),
                    "personnes avec une contrainte": masking.masked_label(n, limit),
                    "part": data["parts"][code] if allowed else None,
                    "personnes avec un diagnostic": count_label(data["personnes"], limit),
                }
            )
    frame = pd.DataFrame(records)
    st.markdown("**Freins périphériques (contraintes du diagnostic), par type de parcours**")
    widgets.share_table(frame)
    st.caption(glossary.caption("contraintes") + widgets.masked_note())
    widgets.download(
        frame.assign(part=frame["part"].map(fmt_share)), "freins_peripheriques", "ft_freins"
    )


# -- Chargement: start a collection ------------------------------------------------------


def panel(user: access.User, settings: Settings) -> None:
    """An expander of the Chargement page: upload a file with NIR and date of birth, run
    the collection with a progress bar, show its report. Data stewards only."""
    with st.expander("Collecte du statut et des contraintes auprès de France Travail (API)"):
        if user.role != "donnees":
            st.caption("Réservé au rôle « données » (gestionnaire de données).")
            return
        ft = FranceTravailSettings.from_env()
        if not ft.configured:
            st.warning(
                "Accès aux API France Travail non configuré sur ce serveur "
                "(PILOTAGE_FT_CLIENT_ID, PILOTAGE_FT_CLIENT_SECRET : voir docs/api_france_travail.md)."
            )
            return
        upload = st.file_uploader(
            "Fichier du département avec NIR et date de naissance (reprise de stock, CGPEM…)",
            key="ft_fichier",
        )
        mapping_file = st.file_uploader(
            "Correspondance d'en-têtes de ce fichier (YAML, facultatif)",
            type=["yaml", "yml"],
            key="ft_mapping",
        )
        departement = departement_field(
            st, "Département de la collecte", settings.default_departement, key="ft_departement"
        )
        ready = upload is not None and bool(departement)
        if refusal := auth.not_granted(user, departement):
            st.error(refusal)
            ready = False
        if st.button("Lancer la collecte", disabled=not ready, key="ft_lancer"):
            _run(user, settings, ft, upload, mapping_file, departement)
        if "ft_rapport" in st.session_state:
            show_report(*st.session_state["ft_rapport"])


def _run(user, settings: Settings, ft, upload, mapping_file, departement: str) -> None:
    from pipelines.francetravail import collecte

    folder = Path(new_staging_dir(settings.db_path))
    path = stage(folder, upload)
    mapping = uploaded_mapping(folder, mapping_file)
    bar = st.progress(0.0, text="Collecte en cours…")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total if total else 1.0, text=f"{done} / {total} personnes")

    try:
        outcome = collecte.collect(
            path, settings, ft, departement, {"mapping": mapping}, progress=progress
        )
    except PilotageError as error:
        st.error(str(error))
        return
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    bar.progress(1.0, text="Collecte terminée")
    access.audit(
        settings.db_path,
        user.login,
        "collecte",
        outcome.status,
        departement,
        fichier=upload.name,
        chargement=outcome.load_id,
    )
    st.session_state["ft_rapport"] = (outcome.status, outcome.message, outcome.report.to_dict())


def show_report(status: str, message: str, report: dict) -> None:
    """A collection's report: persons found, not found, uncertified, with homonyms, in
    error, by codeRetour; the parcours mix of each source's orientations."""
    (st.success if status == "loaded" else st.error)(message)
    for finding in report.get("findings") or []:
        (st.error if finding["severity"] == "bloquant" else st.warning)(finding["message"])
    collecte = report.get("collecte")
    if not collecte:
        return
    c1, c2, c3, c4, c5, c6 = st.columns(6)
    c1.metric("Personnes", collecte["personnes"])
    c2.metric("Trouvées", collecte["trouvees"])
    c3.metric("Non trouvées", collecte["non_trouvees"])
    c4.metric(
        "Identité non certifiée",
        collecte.get("identite_non_certifiee", 0),
        help="Trouvées, mais identité non certifiée par France Travail : rien n'est collecté.",
    )
    c5.metric(
        "Homonymes",
        collecte.get("homonymes", 0),
        help="Plusieurs personnes répondent au NIR et à la date de naissance (S003) : "
        "rien n'est collecté.",
    )
    c6.metric("En erreur", collecte["erreurs"])
    st.dataframe(
        pd.DataFrame(
            [{"code retour": c, "personnes": n} for c, n in collecte["par_code_retour"].items()]
        ),
        hide_index=True,
    )
    st.caption(
        f"{collecte['appels']} appels en {collecte['duree_secondes']} s ; "
        f"{collecte['relances']} relance(s), {collecte['reponses_429']} réponse(s) 429, "
        f"{collecte['reponses_5xx']} réponse(s) 5xx ; {collecte['reprises']} reprise(s) d'une "
        f"collecte interrompue, {collecte['deja_collectees']} déjà collectée(s) ce jour. "
        "Les personnes en erreur seront interrogées de nouveau au prochain lancement."
    )
    mix = collecte.get("parcours_par_source") or {}
    if mix:
        st.markdown("**Types de parcours des orientations, par source**")
        st.dataframe(
            pd.DataFrame(
                [
                    {"source": source, "parcours": code, "décisions": n}
                    for source, counts in mix.items()
                    for code, n in counts.items()
                ]
            ),
            hide_index=True,
        )
        st.caption(
            "france_travail : code de lectureOrientation → type de parcours "
            "(pipelines/nomenclatures/type_parcours.csv). Une répartition inversée par rapport "
            "aux autres sources signale une correspondance à vérifier."
        )
