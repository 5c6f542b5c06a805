-- Kaplan–Meier tail shared by the time-to-event curves (contrat_courbe.sql, the cohorte
-- explorer's curves of cohorte.sql). Not a query on its own: it is appended to a file
-- whose WITH clause ends with a CTE durations(cohorte, t, evenement), one row per person:
-- t the days to the event (evenement true) or to the data date (censored, false).
-- Output: for each cohorte and day 0…180, the estimated share having had the event by
-- that day, the cohorte's size, whether that day was observed for someone, and whether
-- the estimate is provisional: past the first censored person (someone of the cohorte has
-- not yet been followed that long at the data date, the estimate leans on censoring).
, km_steps AS (  -- events and persons leaving the risk set at each observed time
    SELECT cohorte, t,
           count(*) FILTER (WHERE evenement) AS d,
           count(*) AS sortants
    FROM durations GROUP BY cohorte, t
),
km_at_risk AS (
    SELECT cohorte, t, d,
           sum(sortants) OVER (PARTITION BY cohorte ORDER BY t DESC) AS n
    FROM km_steps
),
km_survival AS (
    SELECT cohorte, t,
           exp(sum(ln(1 - d / n)) OVER (PARTITION BY cohorte ORDER BY t)) AS s,
           n
    FROM km_at_risk WHERE d < n
    UNION ALL
    SELECT cohorte, t, 0, n FROM km_at_risk WHERE d = n
),
km_grid AS (
    SELECT c.cohorte, g.range AS jour, c.effectif, c.suivi_max, c.censure_min
    FROM (SELECT cohorte, count(*) AS effectif, max(t) AS suivi_max,
                 min(t) FILTER (WHERE NOT evenement) AS censure_min
          FROM durations GROUP BY cohorte) c
    CROSS JOIN range(0, 181) g
)
-- ASOF: the survival of the latest observed time on or before each day.
SELECT g.cohorte, g.jour,
       round(1 - coalesce(v.s, 1), 4) AS part,
       g.effectif,
       g.jour <= g.suivi_max AS observe,
       g.jour > coalesce(g.censure_min, 181) AS provisoire
FROM km_grid g ASOF LEFT JOIN km_survival v ON g.cohorte = v.cohorte AND g.jour >= v.t
ORDER BY 1, 2
