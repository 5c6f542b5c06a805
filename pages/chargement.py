"""Chargement (data stewards): upload a file, read its quality report, then load it only
when nothing is blocking. The load writes a new warehouse generation beside the live one,
so the other users keep reading meanwhile (the flow: dashboard/views/chargement.py)."""

import streamlit as st

from dashboard import auth, france_travail, widgets
from dashboard.uploads import Arrival, arrivals, departement_field, french_uploader_css
from dashboard.views import chargement as view
from dashboard.views import qualite as qualite_view

user = auth.require("chargement")
st.title("Chargement")
st.caption(view.INTRO)
settings = view.settings_for(user)
france_travail.panel(user, settings)
source = st.selectbox("Source", list(view.SOURCES), format_func=view.SOURCES.get)
arrivals_dir = view.arrivals_dir(settings)
origin = st.radio(
    "Origine du fichier",
    list(view.ORIGINS),
    format_func=view.ORIGINS.get,
    horizontal=True,
    help=f"Dossier d'arrivée (dépôt SFTP par exemple) : {arrivals_dir}",
)
max_mb = st.get_option("server.maxUploadSize")
if origin == "televerse":
    st.html(french_uploader_css("upload", max_mb))
    uploads = st.file_uploader(
        "Fichier(s)",
        accept_multiple_files=True,
        type=None,
        key="upload",
        help="Texte à largeur fixe (PECGM), texte délimité ou classeur .xlsx ; .gz accepté, "
        "et archive 7z chiffrée (AES-256) dont chaque fichier est contrôlé à part.",
    )
    password = st.text_input(
        "Mot de passe de l'archive 7z (s'il y a lieu)",
        type="password",
        help="Transmis par un autre canal que l'archive ; jamais enregistré ni journalisé.",
    )
    chosen: list[Arrival] = []
else:
    uploads, password = [], None
    available = arrivals(arrivals_dir)
    chosen = st.multiselect(
        "Fichier(s) reçu(s)",
        available,
        format_func=Arrival.label,
        placeholder="Choisissez un ou plusieurs fichiers",
    )
    if not available:
        st.info(f"Aucun fichier dans le dossier d'arrivée ({arrivals_dir}).")
c1, c2, c3 = st.columns(3)
departement = departement_field(
    c1,
    "Département",
    view.default_departement(user, settings),
    help="Obligatoire pour les fichiers qui ne le portent pas (tous sauf PECGM).",
)
liste = c2.selectbox("Liste LRSA DE", view.LISTES, format_func=view.liste_label)
mois = c3.text_input("Mois (AAAA-MM)", help="Sinon déduit du fichier").strip() or None
st.html(french_uploader_css("mapping", max_mb, ["yaml", "yml"]))
mapping_file = st.file_uploader(
    "Correspondance d'en-têtes (YAML, facultatif)", type=["yaml", "yml"], key="mapping"
)
request = view.Request(
    source, uploads or [], chosen, departement, liste, mois, mapping_file, password or None
)
if request.empty:
    st.info("Aucun fichier déposé.")
    st.stop()

checked = view.check(user, settings, request, st.session_state)
if isinstance(checked, view.Refused):
    st.error(checked.message)
    st.stop()

st.subheader("Rapport qualité")
verdict = st.success if checked.loadable else (st.info if checked.prior else st.error)
verdict(checked.verdict)
checks = checked.checks()
st.markdown(f"**{checks.summary}** {checked.rows_caption}")
if checked.comparison:
    st.markdown(f"**Comparaison.** {checked.comparison}")
for blocking, message in checked.findings:
    (st.error if blocking else st.warning)(message)
if not checks.failed.empty:
    widgets.share_table(checks.failed)
    widgets.download(
        checks.failed,
        checked.failed_name,
        "controles",
        label="Télécharger les contrôles en écart (CSV)",
    )
if not checks.passed.empty and st.toggle(
    f"Voir les {len(checks.passed)} contrôle(s) réussi(s)", key="voir_reussis"
):
    st.dataframe(checks.passed, hide_index=True, width="stretch")
for column, (label, value) in zip(st.columns(4), checked.metrics, strict=True):
    column.metric(label, value)
st.caption(checked.caption)
left, right = st.columns(2)
left.download_button(
    "Rapport qualité (HTML)",
    checked.html,
    file_name=checked.html_name,
    mime="text/html",
    type="primary",
    on_click=auth.log_export,
    args=(checked.html_name,),
)
right.download_button(
    qualite_view.ZIP_LABEL,
    checked.zipped,
    help=qualite_view.ZIP_HELP,
    file_name=checked.zip_name,
    mime="application/zip",
    on_click=auth.log_export,
    args=(checked.export_name,),
)

if st.button("Charger dans l'entrepôt", type="primary", disabled=not checked.loadable):
    with st.status("Chargement en cours…", expanded=True) as status:
        loaded = view.load(
            user,
            settings,
            request,
            checked,
            st.session_state,
            progress=lambda step: status.write(f"Étape : {step}"),
        )
        status.update(label=loaded.message, state="complete" if loaded.ok else "error")
