-- PECGM detail lines -> wh.pecgm_stock.
-- Reads the staged view pecgm_fields (pipelines/sources/pecgm.py), skips the quarantined
-- lines and keeps only what statistics need; the identifiers' keyed hashes (person_key,
-- pe_key: the TEMP macros of pipelines/pseudonymise.py) were computed while staging.
-- Parameters: $load_id, $departement, $mois, $date_reference.
INSERT INTO wh.pecgm_stock
WITH radiation_labels AS (
    -- The file's 20-character label is truncated: recover the full one from the code list
    -- when exactly one label starts that way; an ambiguous prefix keeps the file's label.
    SELECT f.label, min(n.libelle) AS libelle
    FROM (SELECT DISTINCT libelle_motif_radiation AS label FROM pecgm_fields
          WHERE libelle_motif_radiation IS NOT NULL) f
    JOIN wh.nomenclature n
      ON n.nom = 'motif_radiation'
     AND starts_with(regexp_replace(lower(strip_accents(n.libelle)), '[^a-z0-9]', '', 'g'),
                     regexp_replace(lower(strip_accents(f.label)), '[^a-z0-9]', '', 'g'))
    GROUP BY f.label
    HAVING count(*) = 1
)
SELECT
    $load_id,
    $departement,
    CAST($mois AS DATE),
    CAST($date_reference AS DATE),
    f.line_no,
    f.person_key,
    cle_type(f.nir, 'PE'),
    f.pe_key,
    sexe_nir(f.nir),
    CAST(year(strptime(f.date_naissance, '%Y%m%d')) AS SMALLINT),
    f.statut_certification_identite,
    f.code_commune_residence,
    CAST(strptime(f.date_debut_ide, '%Y%m%d') AS DATE),
    f.code_categorie,
    f.code_institution_pe,
    f.code_situation_emploi,
    CASE WHEN se.code IS NULL THEN f.libelle_situation_emploi END,
    CAST(strptime(f.date_cessation_ide, '%Y%m%d') AS DATE),
    f.motif_cessation_ide,
    CAST(strptime(f.date_radiation, '%Y%m%d') AS DATE),
    f.motif_radiation,
    CASE WHEN mr.code IS NULL THEN coalesce(rl.libelle, f.libelle_motif_radiation) END,
    f.structure_principale_nom,
    f.structure_principale_code_postal,
    f.structure_deleguee_nom,
    f.structure_deleguee_code_postal,
    f.niveau_formation,
    f.secteur_formation,
    f.code_rome,
    CAST(strptime(f.date_signature_ppae, '%Y%m%d') AS DATE),
    CAST(strptime(f.date_notification_cer, '%Y%m%d') AS DATE),
    f.axe_travail,
    f.modalite,
    CAST(strptime(f.date_dernier_contact, '%Y%m%d') AS DATE),
    CASE WHEN ca.code IS NULL THEN f.libelle_categorie END
FROM pecgm_fields f
LEFT JOIN wh.nomenclature se ON se.nom = 'situation_emploi' AND se.code = f.code_situation_emploi
LEFT JOIN wh.nomenclature ca ON ca.nom = 'categorie' AND ca.code = f.code_categorie
LEFT JOIN wh.nomenclature mr ON mr.nom = 'motif_radiation' AND mr.code = f.motif_radiation
LEFT JOIN radiation_labels rl ON rl.label = f.libelle_motif_radiation
WHERE f.line_no NOT IN (SELECT line_no FROM pecgm_rejected);
