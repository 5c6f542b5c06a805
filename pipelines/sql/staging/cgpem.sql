-- CGPEM decisions -> wh.orientation. Reads the staged view cgpem_fields
-- (pipelines/sources/tabular.py), skips quarantined lines, pseudonymises the identifiers and
-- maps NATURE DE L'ACCOMPAGNEMENT to the parcours type through the code list
-- (pipelines/nomenclatures/nature_accompagnement.csv). Parameters: $load_id, $departement.
INSERT INTO wh.orientation
SELECT
    $load_id,
    $departement,
    'cgpem',
    f.line_no,
    person_key(f.nir, f.identifiant_pe, NULL),
    cle_type(f.nir, 'PE'),
    pseudo('PE', norm_id(f.identifiant_pe)),
    NULL,
    sexe_nir(f.nir),
    CAST(year(try_cast(f.date_naissance AS DATE)) AS SMALLINT),
    CAST(f.date_orientation AS DATE),
    n.groupe,
    f.nature_accompagnement,
    f.organisme_referent,
    NULL,
    NULL,
    NULL,
    NULL
FROM cgpem_fields f
LEFT JOIN wh.nomenclature n ON n.nom = 'nature_accompagnement' AND n.code = f.nature_accompagnement
WHERE f.line_no NOT IN (SELECT line_no FROM cgpem_rejected);
