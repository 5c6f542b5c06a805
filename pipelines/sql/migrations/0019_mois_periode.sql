-- The months of a period, one row each (first days, `mois` DATE), from `debut` to `fin`
-- included (first days or any day of them): the spine of a family that counts each month
-- of a period in one query (stock.sql, orientations.sql, delai_orientation.sql,
-- contrat.sql, intensite.sql, part_orientes.sql), so that a month without any record still
-- has its row (a total of 0, a share « n.d. ») as when it is asked alone.
-- Idempotent (CREATE OR REPLACE).
CREATE OR REPLACE MACRO mois_periode(debut, fin) AS TABLE
    SELECT CAST(m AS DATE) AS mois
    FROM range(CAST(date_trunc('month', CAST(debut AS DATE)) AS DATE),
               CAST(fin AS DATE) + INTERVAL 1 DAY, INTERVAL 1 MONTH) t(m);
