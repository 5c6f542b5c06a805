-- Kaplan–Meier curve of time to contract per orientation-month cohort of $departement:
-- shared/spec/indicators.md, contrat_courbe. For each cohort and day t = 0…180, the share
-- contracted by day t; persons without a contract are censored at the data date (the
-- latest PECGM reference date of the département, else its latest orientation).
-- Contract date as in contrat.sql.
-- $communes: the communes of the chosen territory, NULL for the whole département.
WITH territoire_personnes AS (  -- persons of the chosen territory (commune_personne)
    SELECT person_key, pe_key, rsa_key FROM commune_personne
    WHERE departement = $departement AND list_contains(CAST($communes AS VARCHAR[]), code_commune)
),
data_date AS (
    SELECT coalesce(
        (SELECT max(date_reference) FROM pecgm_stock WHERE departement = $departement),
        (SELECT max(date_orientation) FROM orientation WHERE departement = $departement)) AS d
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
    SELECT c.cohorte,
           coalesce(min(k.d) FILTER (WHERE k.d >= c.oriente) - c.oriente,
                    (SELECT d FROM data_date) - c.oriente) AS t,
           min(k.d) FILTER (WHERE k.d >= c.oriente) IS NOT NULL AS evenement
    FROM cohort c LEFT JOIN candidates k USING (person_key, cohorte)
    WHERE c.oriente <= (SELECT d FROM data_date)
    GROUP BY c.cohorte, c.person_key, c.oriente
),
steps AS (  -- events and persons at risk at each observed time
    SELECT cohorte, t,
           count(*) FILTER (WHERE evenement) AS d,
           count(*) AS sortants
    FROM durations GROUP BY cohorte, t
),
at_risk AS (
    SELECT cohorte, t, d,
           sum(sortants) OVER (PARTITION BY cohorte ORDER BY t DESC) AS n
    FROM steps
),
survival AS (
    SELECT cohorte, t,
           exp(sum(ln(1 - d / n)) OVER (PARTITION BY cohorte ORDER BY t)) AS s,
           n
    FROM at_risk WHERE d < n
    UNION ALL
    SELECT cohorte, t, 0, n FROM at_risk WHERE d = n
),
grid AS (
    SELECT c.cohorte, g.range AS jour, c.effectif, c.suivi_max
    FROM (SELECT cohorte, count(*) AS effectif, max(t) AS suivi_max FROM durations GROUP BY cohorte) c
    CROSS JOIN range(0, 181) g
)
-- ASOF: the survival of the latest observed time on or before each day.
SELECT strftime(g.cohorte, '%Y-%m') AS cohorte, g.jour,
       round(1 - coalesce(v.s, 1), 4) AS part_contractes,
       g.effectif,
       g.jour <= g.suivi_max AS observe
FROM grid g ASOF LEFT JOIN survival v ON g.cohorte = v.cohorte AND g.jour >= v.t
ORDER BY 1, 2
