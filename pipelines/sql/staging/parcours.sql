-- The three parcours files -> wh.parcours_personne, wh.parcours_rdv, wh.parcours_prestation,
-- and the oriented persons -> wh.orientation (source 'parcours'). Reads the staged views
-- parcours_*_fields (pipelines/sources/parcours.py), skips quarantined lines.
-- Parameters: $load_id, $departement.
INSERT INTO wh.parcours_personne
SELECT
    $load_id, $departement, f.line_no,
    person_key(NULL, f.identifiant_pe, f.identifiant_rsa),
    CASE WHEN norm_id(f.identifiant_pe) IS NOT NULL THEN 'PE' ELSE 'RSA' END,
    pseudo('PE', norm_id(f.identifiant_pe)),
    pseudo('RSA', norm_id(f.identifiant_rsa)),
    CASE WHEN f.sexe IN ('M', 'H', '1') THEN 'M' WHEN f.sexe IN ('F', '2') THEN 'F' END,
    CAST(year(try_cast(f.date_naissance AS DATE)) AS SMALLINT),
    f.code_commune,
    try_cast(f.date_ouverture_droits AS DATE),
    try_cast(f.date_entree_dispositif AS DATE),
    try_cast(f.date_orientation AS DATE),
    f.type_parcours,
    try_cast(f.date_contrat_engagement AS DATE),
    try_cast(f.date_debut_contrat AS DATE),
    try_cast(f.date_fin_contrat AS DATE),
    -- « actions du contrat »: the DREES action codes (nomenclature action_cer), written
    -- 1 or 01, separated by any non-alphanumeric character
    nullif(list_transform(
        list_filter(regexp_split_to_array(upper(f.actions_contrat), '[^0-9A-Z]+'), lambda a: a <> ''),
        lambda a: lpad(a, 2, '0')), [])
FROM parcours_personnes_fields f
WHERE f.line_no NOT IN (SELECT line_no FROM parcours_personnes_rejected);

INSERT INTO wh.parcours_rdv
SELECT $load_id, $departement, f.line_no, pseudo('RSA', norm_id(f.identifiant_rsa)),
       CAST(f.date_rdv AS DATE), f.type_rdv, f.statut_rdv
FROM parcours_rendez_vous_fields f
WHERE f.line_no NOT IN (SELECT line_no FROM parcours_rendez_vous_rejected);

INSERT INTO wh.parcours_prestation
SELECT $load_id, $departement, f.line_no, pseudo('RSA', norm_id(f.identifiant_rsa)),
       f.prestation,
       CASE WHEN starts_with(f.modalite, 'INDIV') THEN 'individuel'
            WHEN starts_with(f.modalite, 'COLLEC') THEN 'collectif' END,
       CAST(f.date_debut AS DATE), try_cast(f.date_fin AS DATE), f.heures
FROM parcours_prestations_fields f
WHERE f.line_no NOT IN (SELECT line_no FROM parcours_prestations_rejected);

INSERT INTO wh.orientation
SELECT
    load_id, departement, 'parcours', line_no, person_key, cle_type, pe_key, rsa_key, sexe,
    annee_naissance, date_orientation, type_parcours, NULL, NULL,
    coalesce(date_entree_dispositif, date_ouverture_droits), NULL, NULL, NULL
FROM wh.parcours_personne
WHERE load_id = $load_id AND date_orientation IS NOT NULL;
