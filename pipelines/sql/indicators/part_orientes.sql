-- DREES OARSA share oriented at the end of ($departement, $mois): shared/spec/indicators.md,
-- part_orientes. Persons in RSA at the end of the month (parcours persons whose entry is on
-- or before its last day) with an orientation dated on or before it, over all of them,
-- by time since entry (< 6 months, 6–12 months, 12 months or more). Persons not yet
-- oriented stay in the denominator.
-- $communes: the communes of the chosen territory, NULL for the whole département.
WITH territoire_personnes AS (  -- persons of the chosen territory (commune_personne)
    SELECT person_key, pe_key, rsa_key FROM commune_personne
    WHERE departement = $departement AND list_contains(CAST($communes AS VARCHAR[]), code_commune)
),
fin AS (SELECT last_day(CAST($mois AS DATE)) AS d),
persons AS (
    SELECT rsa_key,
           min(coalesce(date_entree_dispositif, date_ouverture_droits)) AS entree,
           min(date_orientation) AS oriente
    FROM parcours_personne
    WHERE departement = $departement
      AND (CAST($communes AS VARCHAR[]) IS NULL OR rsa_key IN (SELECT rsa_key FROM territoire_personnes))
    GROUP BY rsa_key
),
banded AS (
    SELECT CASE WHEN p.entree > f.d - INTERVAL 6 MONTH THEN 'moins_6_mois'
                WHEN p.entree > f.d - INTERVAL 12 MONTH THEN '6_12_mois'
                ELSE '12_mois_et_plus' END AS anciennete,
           p.oriente IS NOT NULL AND p.oriente <= f.d AS oriente
    FROM persons p, fin f
    WHERE p.entree <= f.d
)
SELECT coalesce(anciennete, 'ensemble') AS groupe, count(*) AS personnes,
       count(*) FILTER (WHERE oriente) AS orientes
FROM banded
GROUP BY GROUPING SETS ((), (anciennete))
ORDER BY groupe
