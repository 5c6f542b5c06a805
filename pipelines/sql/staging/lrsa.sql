-- One LRSA DE list -> wh.lrsa_de. Reads the staged view lrsa_fields
-- (pipelines/sources/tabular.py), skips quarantined lines, pseudonymises the identifiers.
-- Parameters: $load_id, $departement, $mois (first day), $liste.
INSERT INTO wh.lrsa_de
SELECT
    $load_id,
    $departement,
    CAST($mois AS DATE),
    $liste,
    f.line_no,
    person_key(f.nir, f.identifiant_pe, NULL),
    cle_type(f.nir, 'PE'),
    pseudo('PE', norm_id(f.identifiant_pe)),
    sexe_nir(f.nir),
    CAST(year(try_cast(f.date_naissance AS DATE)) AS SMALLINT),
    try_cast(CASE $liste WHEN 'cessations' THEN f.date_cessation
                         WHEN 'radiations' THEN f.date_radiation
                         ELSE f.date_inscription END AS DATE),
    CASE WHEN $liste IN ('inscriptions', 'inscrits') THEN f.categorie END,
    CASE $liste WHEN 'cessations' THEN f.motif_cessation
                WHEN 'radiations' THEN f.motif_radiation END,
    CASE WHEN $liste = 'radiations' THEN f.duree_radiation END
FROM lrsa_fields f
WHERE f.line_no NOT IN (SELECT line_no FROM lrsa_rejected);
