-- Kaplan–Meier curve of time to contract per orientation-month cohort of $departement:
-- shared/spec/indicators.md, contrat_courbe. For each cohort and day t = 0…180, the share
-- contracted by day t; persons without a contract are censored at the data date (the
-- data date of the family, see migration 0013's date_donnees).
-- Contract date as in contrat.sql.
-- $communes: the communes of the chosen territory, NULL for the whole département.
WITH territoire_personnes AS (  -- persons of the chosen territory (commune_personne)
    SELECT person_key, pe_key, rsa_key FROM commune_personne
    WHERE departement = $departement AND list_contains(CAST($communes AS VARCHAR[]), code_commune)
),
data_date AS MATERIALIZED (  -- the time-to-contract family's data date (migration 0013)
    SELECT date_donnees($departement, ['pecgm', 'orientation', 'parcours']) AS d
),
cohort AS (
    SELECT person_key, any_value(pe_key) AS pe_key, any_value(rsa_key) AS rsa_key,
           date_trunc('month', date_orientation) AS cohorte, min(date_orientation) AS oriente
    FROM orientation WHERE departement = $departement
      AND (CAST($communes AS VARCHAR[]) IS NULL OR person_key IN (SELECT person_key FROM territoire_personnes) OR pe_key IN (SELECT pe_key FROM territoire_personnes))
    GROUP BY person_key, date_trunc('month', date_orientation)
),
contract_dates AS (SELECT * FROM date_contrat_personne WHERE departement = $departement),
candidates AS (  -- one equi-join per key: NIR key, identifiant PE key, identifiant RSA key
    SELECT c.person_key, c.cohorte, k.date_contrat AS d
    FROM cohort c JOIN contract_dates k ON k.person_key = c.person_key
    UNION ALL
    SELECT c.person_key, c.cohorte, k.date_contrat
    FROM cohort c JOIN contract_dates k ON k.pe_key = c.pe_key
    UNION ALL
    SELECT c.person_key, c.cohorte, k.date_contrat
    FROM cohort c JOIN contract_dates k ON k.rsa_key = c.rsa_key
),
durations AS (  -- time to contract (event) or to the data date (censored)
    SELECT strftime(c.cohorte, '%Y-%m') AS cohorte,
           coalesce(min(k.d) FILTER (WHERE k.d >= c.oriente) - c.oriente,
                    (SELECT d FROM data_date) - c.oriente) AS t,
           min(k.d) FILTER (WHERE k.d >= c.oriente) IS NOT NULL AS evenement
    FROM cohort c LEFT JOIN candidates k USING (person_key, cohorte)
    WHERE c.oriente <= (SELECT d FROM data_date)
    GROUP BY c.cohorte, c.person_key, c.oriente
)
-- The Kaplan–Meier tail (kaplan_meier.sql) follows: indicators.contrat_courbe appends it.
