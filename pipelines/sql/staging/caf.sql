-- CAF / MSA flux bénéficiaires -> wh.caf_beneficiaire, one row per person of each accepted
-- household. Reads the staged table caf_fields (pipelines/sources/caf.py), skips the
-- quarantined households, pseudonymises the identifiers (TEMP macros of
-- pipelines/pseudonymise.py) and keeps only what the indicators need.
-- Parameters: $load_id, $departement, $date_reference, $type_flux.
INSERT INTO wh.caf_beneficiaire
SELECT
    $load_id,
    $departement,
    CAST($date_reference AS DATE),
    $type_flux,
    f.organisme,
    f.line_no,
    pseudo('FOYER', coalesce(f.organisme, '') || ':' || coalesce(f.numero_organisme, '') || ':'
                    || norm_id(f.matricule)),
    person_key(f.nir, NULL, NULL),
    pseudo('PE', norm_id(f.identifiant_pe)),
    pseudo('RSA', norm_id(f.matricule)),
    CASE f.sexe WHEN '1' THEN 'M' WHEN '2' THEN 'F' END,
    CAST(year(try_cast(f.date_naissance AS DATE)) AS SMALLINT),
    f.code_commune,
    f.role,
    CASE f.soumis_droits_devoirs WHEN '1' THEN TRUE WHEN '0' THEN FALSE END,
    f.etat_dossier,
    try_cast(f.date_demande_rsa AS DATE),
    f.motif_cloture,
    try_cast(f.date_cloture AS DATE),
    upper(f.situation_familiale),  -- SITFAM, a code only (docs/oarsa.md)
    bool_or(f.role = 'ENF') OVER (PARTITION BY f.line_no)  -- a child in the RSA sense
FROM caf_fields f
WHERE f.line_no NOT IN (SELECT line_no FROM caf_rejected);
