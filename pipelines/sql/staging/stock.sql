-- Reprise de stock -> wh.orientation. Reads the staged view stock_fields
-- (pipelines/sources/tabular.py), skips quarantined lines, pseudonymises NIR/NIA and the
-- allocataire number. Parameters: $load_id, $departement.
INSERT INTO wh.orientation
SELECT
    $load_id,
    $departement,
    'stock',
    f.line_no,
    person_key(f.nir, NULL, f.numero_allocataire),
    cle_type(f.nir, 'RSA'),
    NULL,
    pseudo('RSA', norm_id(f.numero_allocataire)),
    coalesce(sexe_nir(f.nir), CASE WHEN f.sexe IN ('M', 'H', '1') THEN 'M'
                                   WHEN f.sexe IN ('F', '2') THEN 'F' END),
    CAST(year(try_cast(f.date_naissance AS DATE)) AS SMALLINT),
    CAST(f.date_orientation AS DATE),
    f.type_parcours,
    NULL,
    NULL,
    try_cast(f.date_entree_rsa AS DATE),
    CASE WHEN f.statut IN ('DEMANDEUR', 'CONJOINT') THEN f.statut END,
    CASE WHEN f.organisme IN ('CAF', 'MSA') THEN f.organisme END,
    f.code_postal
FROM stock_fields f
WHERE f.line_no NOT IN (SELECT line_no FROM stock_rejected);
