"""Chargement (data stewards): upload a file, read its quality report, then load it only
when nothing is blocking. The load writes a new warehouse generation beside the live one,
so the other users keep reading meanwhile (pipelines/warehouse.py)."""

import contextlib
import shutil
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import auth, components, france_travail
from dashboard.uploads import Arrival, arrivals, french_uploader_css, new_staging_dir, safe_name
from pipelines import access, loader, retention
from pipelines.errors import NotAuthorised, PilotageError
from pipelines.settings import Settings, private_dir
from pipelines.tabular import read_mapping
from pipelines.validation import archive

SOURCES = {
    "auto": "Détecter d'après le contenu",
    "pecgm": "PECGM — stock mensuel France Travail",
    "cgpem": "CGPEM — décisions d'orientation",
    "lrsa": "LRSA DE — une des quatre listes",
    "stock": "Reprise de stock",
    "parcours": "Parcours — personnes, rendez-vous et prestations (trois fichiers)",
    "caf": "Flux bénéficiaires CAF / MSA (XML)",
}
SEVERITY = {"critical": "ligne rejetée", "warning": "avertissement"}

user = auth.require("chargement")
st.title("Chargement")
st.caption(
    "Déposez un fichier : il est contrôlé sans rien écrire, le rapport qualité s'affiche, "
    "puis vous confirmez le chargement. Un fichier bloquant ne peut pas être chargé."
)
settings = Settings.from_env()
settings = Settings(
    settings.db_path,
    settings.key_file,
    settings.line_error_threshold,
    settings.default_departement,
    operator=user.login,
)
france_travail.panel(user, settings)
source = st.selectbox("Source", list(SOURCES), format_func=SOURCES.get)
arrivals_dir = retention.arrivals_dir(settings.db_path)
origin = st.radio(
    "Origine du fichier",
    ["televerse", "arrivee"],
    format_func={
        "televerse": "Téléverser depuis mon poste",
        "arrivee": "Fichier reçu dans le dossier d'arrivée",
    }.get,
    horizontal=True,
    help=f"Dossier d'arrivée (dépôt SFTP par exemple) : {arrivals_dir}",
)
if origin == "televerse":
    st.html(french_uploader_css("upload", st.get_option("server.maxUploadSize")))
    uploads = st.file_uploader(
        "Fichier(s)",
        accept_multiple_files=True,
        type=None,
        key="upload",
        help="Texte à largeur fixe (PECGM), texte délimité ou classeur .xlsx ; .gz accepté.",
    )
    chosen: list[Arrival] = []
else:
    uploads = []
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
departement = (
    c1.text_input(
        "Département",
        value=settings.default_departement or "",
        help="Obligatoire pour les fichiers qui ne le portent pas (tous sauf PECGM).",
    )
    .strip()
    .upper()
    or None
)
liste = c2.selectbox(
    "Liste LRSA DE",
    [None, "inscriptions", "inscrits", "cessations", "radiations"],
    format_func=lambda v: "Déduite du fichier" if v is None else v,
)
mois = c3.text_input("Mois (AAAA-MM)", help="Sinon déduit du fichier").strip() or None
st.html(french_uploader_css("mapping", st.get_option("server.maxUploadSize"), ["yaml", "yml"]))
mapping_file = st.file_uploader(
    "Correspondance d'en-têtes (YAML, facultatif)", type=["yaml", "yml"], key="mapping"
)

if not uploads and not chosen:
    st.info("Aucun fichier déposé.")
    st.stop()


def staged_paths() -> list[Path]:
    """The uploads written to a private directory kept for this session only; files of the
    arrivals folder are read where they are."""
    if chosen:
        return [a.path for a in chosen]
    if "upload_dir" not in st.session_state:
        st.session_state.upload_dir = new_staging_dir(settings.db_path)
    folder = Path(st.session_state.upload_dir)
    paths = []
    for upload in uploads:
        path = folder / safe_name(upload.name)
        path.write_bytes(upload.getvalue())
        paths.append(path)
    return paths


def options() -> dict:
    mapping = {}
    if mapping_file is not None:
        path = (
            Path(st.session_state.get("upload_dir") or new_staging_dir(settings.db_path))
            / "correspondance.yaml"
        )
        path.write_bytes(mapping_file.getvalue())
        mapping = read_mapping(path)
    return {"mapping": mapping, "liste": liste, "mois": mois}


if departement and not user.sees(departement):
    st.error(f"Vous n'êtes pas habilité pour le département {departement}.")
    st.stop()
# Validate once per set of inputs: any widget change reruns the page, and a national file
# takes seconds to check. The report is kept in the session until an input changes.
inputs = (
    tuple((u.name, u.size, u.file_id) for u in uploads) or tuple(chosen),
    source,
    departement,
    liste,
    mois,
    mapping_file.file_id if mapping_file is not None else None,
)
paths = staged_paths()
target = paths[0] if len(paths) == 1 else paths
try:
    if st.session_state.get("controle", (None,))[0] != inputs:
        report, con, _, resolved = loader.validate(
            source, target, settings, departement, options=options(), authorise=user.sees
        )
        con.close()
        archive.keep(settings.db_path, report)
        access.audit(
            settings.db_path,
            user.login,
            "controle",
            "refuse" if not report.loadable else "ok",
            report.departement,
            fichier=report.file_name,
            source=resolved,
        )
        st.session_state["controle"] = (inputs, report, resolved)
    _, report, resolved = st.session_state["controle"]
except NotAuthorised as error:
    access.audit(settings.db_path, user.login, "acces_refuse", "refuse", fichier=paths[0].name)
    st.error(str(error))
    st.stop()
except PilotageError as error:
    st.error(str(error))
    st.stop()

st.subheader("Rapport qualité")
verdict = st.success if report.loadable else st.error
verdict("Fichier chargeable." if report.loadable else "Fichier refusé : rien ne peut être chargé.")
c1, c2, c3, c4 = st.columns(4)
c1.metric("Source", resolved)
c2.metric("Département / mois", f"{report.departement or '?'} / {report.month or '?'}")
c3.metric("Enregistrements", f"{report.rows_read:,}".replace(",", "\u202f"))
c4.metric("Lignes rejetées", f"{report.rows_rejected:,}".replace(",", "\u202f"))
st.caption(f"Encodage lu : {report.encoding} · sha256 {report.sha256[:16]}…")
st.download_button(
    "Rapport HTML et Data Docs Great Expectations (zip)",
    lambda r=report: archive.zipped(r.to_dict()),
    file_name=f"rapport_{safe_name(report.file_name)}.zip",
    mime="application/zip",
    on_click=auth.log_export,
    args=(f"rapport_{report.file_name}.zip",),
)
for finding in report.findings:
    (st.error if finding.severity == "bloquant" else st.warning)(finding.message)
checks = pd.DataFrame(
    [
        {
            "fichier": c.file_name or report.file_name,
            "champ": c.expectation.field_label,
            "contrôle": c.expectation.description,
            "gravité": SEVERITY.get(c.expectation.severity, c.expectation.severity),
            "résultat": "réussi" if c.unexpected_count == 0 else "échec",
            "lignes": c.unexpected_count,
            "part": round(c.unexpected_share, 4),
            "premières lignes": ", ".join(map(str, c.line_numbers)),
        }
        for c in report.checks
    ]
)
if not checks.empty:
    checks = checks.sort_values(["résultat", "gravité"], ascending=[True, False])
    st.dataframe(
        checks,
        hide_index=True,
        width="stretch",
        column_config={"part": st.column_config.NumberColumn(format="percent")},
    )
    failed = checks[checks["lignes"] > 0]
    components.download(
        failed,
        f"controles_{report.file_name}",
        "controles",
        label="Télécharger les lignes en erreur (CSV)",
    )

if st.button("Charger dans l'entrepôt", type="primary", disabled=not report.loadable):
    with st.status("Chargement en cours…", expanded=True) as status:
        outcome = loader.load(
            resolved,
            target,
            settings,
            departement,
            progress=lambda step: status.write(f"Étape : {step}"),
            options=options(),
            authorise=user.sees,
        )
        if outcome.report is not None:
            archive.keep(settings.db_path, outcome.report, outcome.load_id)
        access.audit(
            settings.db_path,
            user.login,
            "chargement",
            outcome.status,
            report.departement,
            fichier=report.file_name,
            source=resolved,
            chargement=outcome.load_id,
        )
        if outcome.status in ("loaded", loader.ALREADY_LOADED):
            status.update(label=outcome.message, state="complete")
            shutil.rmtree(st.session_state.pop("upload_dir", ""), ignore_errors=True)
            for arrival in chosen:  # out of the list of files waiting to be loaded
                done = private_dir(arrivals_dir / "charges")
                kept = arrival.path.replace(done / arrival.path.name)
                with contextlib.suppress(OSError):  # a file dropped by another account
                    kept.chmod(0o600)
        else:
            status.update(label=outcome.message, state="error")
