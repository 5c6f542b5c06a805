-- Time to contract of the orientation cohort ($departement, $mois): shared/spec/indicators.md,
-- "Time to contract". Cohort: persons whose first orientation decision of the month is in
-- $mois (one row per person and cohort). Contract date: the earliest of the parcours
-- date_contrat_engagement and the PECGM DATE NOTIFICATION PPAE VALANT CER of the same person
-- that is on or after the orientation date. A person is the same across sources through
-- the NIR key or the identifiant PE key (pseudonymised both).
-- $communes: the communes of the chosen territory, NULL for the whole département.
-- Maturity (CTE maturite): the 30-day and 60-day shares are provisional while their own
-- window after the month's last day has not closed at the data date; the delay quantiles
-- while the 60-day (longest) window has not.
WITH maturite AS MATERIALIZED (  -- data date of the family and maturity of each threshold (migration 0013)
    SELECT d AS date_donnees,
           provisoire($mois, 30, d) AS provisoire_30j,
           provisoire($mois, 60, d) AS provisoire_60j
    FROM (SELECT date_donnees($departement, ['pecgm', 'orientation', 'parcours']) AS d)
), territoire_personnes AS (  -- persons of the chosen territory (commune_personne)
    SELECT person_key, pe_key, rsa_key FROM commune_personne
    WHERE departement = $departement AND list_contains(CAST($communes AS VARCHAR[]), code_commune)
),
cohort AS (
    SELECT person_key, any_value(pe_key) AS pe_key, any_value(rsa_key) AS rsa_key,
           min(date_orientation) AS oriente, arg_min(type_parcours, date_orientation) AS type_parcours,
           any_value(sexe) AS sexe,
           tranche_age(any_value(annee_naissance), year(CAST($mois AS DATE))) AS tranche
    FROM orientation
    WHERE departement = $departement AND date_trunc('month', date_orientation) = CAST($mois AS DATE)
      AND (CAST($communes AS VARCHAR[]) IS NULL OR person_key IN (SELECT person_key FROM territoire_personnes) OR pe_key IN (SELECT pe_key FROM territoire_personnes))
    GROUP BY person_key
),
contract_dates AS (SELECT * FROM date_contrat_personne WHERE departement = $departement),
candidates AS (  -- one equi-join per key: NIR key, identifiant PE key, identifiant RSA key
    SELECT c.person_key, k.date_contrat AS d
    FROM cohort c JOIN contract_dates k ON k.person_key = c.person_key
    UNION ALL
    SELECT c.person_key, k.date_contrat FROM cohort c JOIN contract_dates k ON k.pe_key = c.pe_key
    UNION ALL
    SELECT c.person_key, k.date_contrat FROM cohort c JOIN contract_dates k ON k.rsa_key = c.rsa_key
),
delays AS (
    SELECT c.person_key, c.type_parcours, c.sexe, c.tranche,
           min(k.d) FILTER (WHERE k.d >= c.oriente) - c.oriente AS jours
    FROM cohort c LEFT JOIN candidates k USING (person_key)
    GROUP BY c.person_key, c.type_parcours, c.sexe, c.tranche, c.oriente
)
SELECT CASE WHEN grouping(type_parcours) = 0 THEN 'parcours:' || coalesce(type_parcours, 'non_renseigne')
            WHEN grouping(sexe) = 0 THEN 'sexe:' || coalesce(sexe, 'non_renseigne')
            WHEN grouping(tranche) = 0 THEN 'age:' || coalesce(tranche, 'non_renseignee')
            ELSE 'ensemble' END AS groupe,
       count(*) AS orientes,
       count(jours) AS contractes,
       quantile_disc(jours, 0.5) AS mediane,
       quantile_disc(jours, 0.25) AS p25,
       quantile_disc(jours, 0.75) AS p75,
       count(*) FILTER (WHERE jours <= 30) AS dans_30j,
       count(*) FILTER (WHERE jours <= 60) AS dans_60j,
       (SELECT date_donnees FROM maturite) AS date_donnees,
       (SELECT provisoire_30j FROM maturite) AS provisoire_30j,
       (SELECT provisoire_60j FROM maturite) AS provisoire_60j
FROM delays
GROUP BY GROUPING SETS ((), (type_parcours), (sexe), (tranche))
ORDER BY groupe
