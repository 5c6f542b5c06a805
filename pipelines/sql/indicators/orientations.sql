-- Orientations of ($departement, $mois): shared/spec/indicators.md, "Orientation".
-- A decision is one (person, date): the same decision sent by two sources (CGPEM and the
-- reprise de stock) counts once; a person oriented twice counts once per decision.
-- One row per (indicateur, code) with its count.
-- $communes: the communes of the chosen territory, NULL for the whole département.
WITH territoire_personnes AS (  -- persons of the chosen territory (commune_personne)
    SELECT person_key, pe_key, rsa_key FROM commune_personne
    WHERE departement = $departement AND list_contains(CAST($communes AS VARCHAR[]), code_commune)
),
decision AS (
    SELECT DISTINCT ON (person_key, date_orientation)
           person_key, date_orientation, type_parcours, organisme_referent, sexe,
           tranche_age(annee_naissance, year(CAST($mois AS DATE))) AS tranche
    FROM orientation
    WHERE departement = $departement
      AND date_trunc('month', date_orientation) = CAST($mois AS DATE)
      AND (CAST($communes AS VARCHAR[]) IS NULL OR person_key IN (SELECT person_key FROM territoire_personnes) OR pe_key IN (SELECT pe_key FROM territoire_personnes))
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
