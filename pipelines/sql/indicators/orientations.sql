-- Orientations of $departement, for each month from $debut to $fin (first days; one month
-- when they are equal).
-- A decision is one (person, date): the same decision sent by two sources (CGPEM and the
-- reprise de stock) counts once; a person oriented twice counts once per decision (macro
-- decisions_orientation, migration 0018, shared with familles_grille.sql).
-- One row per (mois, indicateur, code) with its count; every month of the period has its
-- personnes_orientees row (0 without a decision).
-- $communes: the communes of the chosen territoire (macro portee_cles), NULL for the
-- whole département.
WITH decision AS (  -- migration 0018: the period's decisions of the territoire
    SELECT * FROM decisions_orientation($departement, $debut, $fin, [{'territoire': NULL, 'communes': $communes}])
)
SELECT mois, 'orientations' AS indicateur, coalesce(type_parcours, 'non_renseigne') AS code, count(*) AS n
FROM decision GROUP BY ALL
UNION ALL
SELECT mois, 'organisme_referent', coalesce(organisme_referent, 'non_renseigne'), count(*)
FROM decision GROUP BY ALL
UNION ALL  -- breakdowns: code = '<sexe or age band>|<parcours type>'
SELECT mois, 'orientations_sexe', coalesce(sexe, 'non_renseigne') || '|' || coalesce(type_parcours, 'non_renseigne'),
       count(*)
FROM decision GROUP BY ALL
UNION ALL
SELECT mois, 'orientations_tranche_age',
       coalesce(tranche, 'non_renseignee') || '|' || coalesce(type_parcours, 'non_renseigne'), count(*)
FROM decision GROUP BY ALL
UNION ALL
SELECT p.mois, 'personnes_orientees', NULL, count(DISTINCT d.person_key)
FROM mois_periode($debut, $fin) p LEFT JOIN decision d ON d.mois = p.mois
GROUP BY p.mois
