-- Orientations of ($departement, $mois).
-- A decision is one (person, date): the same decision sent by two sources (CGPEM and the
-- reprise de stock) counts once; a person oriented twice counts once per decision (macro
-- decisions_orientation, migration 0018, shared with familles_grille.sql).
-- One row per (indicateur, code) with its count.
-- $communes: the communes of the chosen territoire (macro portee_cles), NULL for the
-- whole département.
WITH decision AS (  -- migration 0018: the month's decisions of the territoire
    SELECT * FROM decisions_orientation($departement, $mois, $mois, [{'territoire': NULL, 'communes': $communes}])
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
