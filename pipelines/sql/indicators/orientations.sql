-- Orientations of ($departement, $mois).
-- A decision is one (person, date): the same decision sent by two sources (CGPEM and the
-- reprise de stock) counts once; a person oriented twice counts once per decision.
-- One row per (indicateur, code) with its count.
-- $communes: the communes of the chosen territoire (macro dans_territoire), NULL for the
-- whole département.
WITH decision AS (
    SELECT DISTINCT ON (person_key, date_orientation)
           person_key, date_orientation, type_parcours, organisme_referent, sexe,
           tranche_age(annee_naissance, year(CAST($mois AS DATE))) AS tranche
    FROM orientation
    WHERE departement = $departement
      AND date_trunc('month', date_orientation) = CAST($mois AS DATE)
      AND dans_territoire($departement, $communes, cle_nir := person_key, cle_pe := pe_key)
    ORDER BY person_key, date_orientation, source  -- cgpem before stock: it names the organisme
)
SELECT 'orientations' AS indicateur, coalesce(type_parcours, 'non_renseigne') AS code, count(*) AS n
FROM decision GROUP BY ALL
UNION ALL
SELECT 'organisme_referent', coalesce(organisme_referent, 'non_renseigne'), count(*)
FROM decision GROUP BY ALL
UNION ALL  -- breakdowns: code = '<sexe or age band>|<parcours type>'
SELECT 'orientations_sexe', coalesce(sexe, 'non_renseigne') || '|' || coalesce(type_parcours, 'non_renseigne'),
       count(*)
FROM decision GROUP BY ALL
UNION ALL
SELECT 'orientations_tranche_age',
       coalesce(tranche, 'non_renseignee') || '|' || coalesce(type_parcours, 'non_renseigne'), count(*)
FROM decision GROUP BY ALL
UNION ALL
SELECT 'personnes_orientees', NULL, count(DISTINCT person_key) FROM decision
