-- The months of a period, one row each (first days, `mois` DATE), from `debut` to `fin`
-- included (first days or any day of them): the spine of a family that counts each month
-- of a period in one query (stock.sql, orientations.sql, delai_orientation.sql,
-- contrat.sql, intensite.sql, part_orientes.sql), so that a month without any record still
-- has its row (a total of 0, a share « n.d. ») as when it is asked alone.
-- Then the one label of a profile row (`groupe_profil`). Idempotent (CREATE OR REPLACE).
CREATE OR REPLACE MACRO mois_periode(debut, fin) AS TABLE
    SELECT CAST(m AS DATE) AS mois
    FROM range(CAST(date_trunc('month', CAST(debut AS DATE)) AS DATE),
               CAST(fin AS DATE) + INTERVAL 1 DAY, INTERVAL 1 MONTH) t(m);

-- The label of a row of a family counted by profile with GROUPING SETS (contrat.sql,
-- delai_orientation.sql, intensite.sql): 'parcours:<type>', 'sexe:<code>',
-- 'age:<tranche>' for the set its `grouping()` values say, 'ensemble' for the total; a
-- missing code is 'non_renseigne(e)'. pipelines/indicators.py `breakdowns` reads them.
-- A family without one of these breakdowns passes 1 (not grouped) and NULL for it.
CREATE OR REPLACE MACRO groupe_profil(g_parcours, g_sexe, g_tranche, parcours, sexe, tranche) AS
    CASE WHEN g_parcours = 0 THEN 'parcours:' || coalesce(parcours, 'non_renseigne')
         WHEN g_sexe = 0 THEN 'sexe:' || coalesce(sexe, 'non_renseigne')
         WHEN g_tranche = 0 THEN 'age:' || coalesce(tranche, 'non_renseignee')
         ELSE 'ensemble' END;
