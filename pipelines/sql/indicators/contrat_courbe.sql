-- Kaplan–Meier curve of time to contract per orientation-month cohorte of $departement.
-- For each cohorte and day t = 0…180, the share contracted by day t; persons without a
-- contract are censored at the data date (the data date of the family, see migration
-- 0013's date_donnees). Contract date as in contrat.sql.
-- $communes: the communes of the chosen territoire (macro dans_territoire), NULL for the
-- whole département.
WITH data_date AS MATERIALIZED (  -- the time-to-contract family's data date (migration 0013)
    SELECT date_donnees($departement, ['pecgm', 'orientation', 'parcours']) AS d
),
cohorte AS (
    SELECT person_key, any_value(pe_key) AS pe_key, any_value(rsa_key) AS rsa_key,
           date_trunc('month', date_orientation) AS cohorte, min(date_orientation) AS oriente
    FROM orientation WHERE departement = $departement
      AND dans_territoire($departement, $communes, cle_nir := person_key, cle_pe := pe_key)
    GROUP BY person_key, date_trunc('month', date_orientation)
),
candidates AS (  -- the contracts of each cohorte person, by any of its keys
    SELECT c.person_key, c.cohorte, k.date_contrat AS d
    FROM (SELECT person_key, cohorte, unnest(cles_personne(person_key, pe_key, rsa_key)) AS cle
          FROM cohorte) c
    JOIN contrat_par_cle($departement) k USING (cle)
),
durations AS (  -- time to contract (event) or to the data date (censored)
    SELECT strftime(c.cohorte, '%Y-%m') AS cohorte,
           coalesce(min(k.d) FILTER (WHERE k.d >= c.oriente) - c.oriente,
                    (SELECT d FROM data_date) - c.oriente) AS t,
           min(k.d) FILTER (WHERE k.d >= c.oriente) IS NOT NULL AS evenement
    FROM cohorte c LEFT JOIN candidates k USING (person_key, cohorte)
    WHERE c.oriente <= (SELECT d FROM data_date)
    GROUP BY c.cohorte, c.person_key, c.oriente
)
-- The Kaplan–Meier tail (kaplan_meier.sql) follows: indicators.contrat_courbe appends it.
