-- Orientation delay of the entry cohort ($departement, $mois): shared/spec/indicators.md,
-- delai_orientation_jours and orientes_30j_share / orientes_6sem_share.
-- The cohort's persons come from the view `entrant` (migration 0012): the CAF/MSA flux's
-- persons soumis aux droits et devoirs when the département has one (population
-- 'caf_msa'), else the persons of the orientation and parcours sources with an entry date
-- ('sources'). Each is counted once, oriented or not; their orientations are matched by
-- `orientation_liee` (NIR, then identifiant PE, then identifiant RSA).
-- A person's delay runs from entry to their first orientation on or after it; an
-- orientation before entry is excluded and counted as an anomaly.
-- $communes: the communes of the chosen territory, NULL for the whole département.
-- Maturity (CTE maturite): each share is provisional while its own window (seuil_1,
-- seuil_2 days after the month's last day) has not closed at the data date; the delay
-- quantiles while the longest window has not.
WITH maturite AS MATERIALIZED (  -- data date of the family and maturity of each threshold (migration 0013)
    SELECT d AS date_donnees,
           provisoire($mois, $seuil_1, d) AS provisoire_seuil_1,
           provisoire($mois, $seuil_2, d) AS provisoire_seuil_2,
           provisoire($mois, greatest($seuil_1, $seuil_2), d) AS provisoire_quantiles
    FROM (SELECT date_donnees($departement, ['orientation', 'caf_msa']) AS d)
), territoire_personnes AS (  -- persons of the chosen territory (commune_personne)
    SELECT person_key, pe_key, rsa_key FROM commune_personne
    WHERE departement = $departement AND list_contains(CAST($communes AS VARCHAR[]), code_commune)
),
person AS (
    SELECT person_key, entree, sexe, annee_naissance, population
    FROM entrant
    WHERE departement = $departement AND cohorte = CAST($mois AS DATE)
      AND (CAST($communes AS VARCHAR[]) IS NULL
           OR list_contains(CAST($communes AS VARCHAR[]), code_commune)
           OR person_key IN (SELECT person_key FROM territoire_personnes)
           OR pe_key IN (SELECT pe_key FROM territoire_personnes))
),
cohort AS (
    SELECT p.person_key, p.entree, p.sexe,
           tranche_age(p.annee_naissance, year(CAST($mois AS DATE))) AS tranche,
           min(o.date_orientation) FILTER (WHERE o.date_orientation >= p.entree) AS oriente,
           count(o.date_orientation) FILTER (WHERE o.date_orientation < p.entree) AS avant_entree
    FROM person p
    LEFT JOIN orientation_liee($departement) o USING (person_key)
    GROUP BY ALL
)
SELECT
    CASE WHEN grouping(sexe) = 0 THEN 'sexe:' || coalesce(sexe, 'non_renseigne')
         WHEN grouping(tranche) = 0 THEN 'age:' || coalesce(tranche, 'non_renseignee')
         ELSE 'ensemble' END AS groupe,
    count(*) AS entrants,
    count(oriente) AS orientes,
    quantile_disc(oriente - entree, 0.5) AS mediane,
    quantile_disc(oriente - entree, 0.25) AS p25,
    quantile_disc(oriente - entree, 0.75) AS p75,
    round(avg(oriente - entree), 1) AS moyenne,
    count(*) FILTER (WHERE oriente - entree <= $seuil_1) AS dans_seuil_1,
    count(*) FILTER (WHERE oriente - entree <= $seuil_2) AS dans_seuil_2,
    count(*) FILTER (WHERE avant_entree > 0) AS anomalies_avant_entree,
    (SELECT date_donnees FROM maturite) AS date_donnees,
    (SELECT provisoire_seuil_1 FROM maturite) AS provisoire_seuil_1,
    (SELECT provisoire_seuil_2 FROM maturite) AS provisoire_seuil_2,
    (SELECT provisoire_quantiles FROM maturite) AS provisoire_quantiles,
    population_cohortes($departement) AS population
FROM cohort
GROUP BY GROUPING SETS ((), (sexe), (tranche))
ORDER BY groupe
