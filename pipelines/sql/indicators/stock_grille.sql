-- The registered persons the masking grid crosses (docs/securite.md, masquage), for every
-- month of a period and every territoire of a partition in one query: the rows of stock.sql
-- for every distribution the masking grid crosses (masking_grids.STOCK_GRIDS: categorie,
-- modalite, sexe, tranche_age, axe, structure_principale, commune; same codes), and
-- stock_total, per (mois, territoire); territoire NULL: the whole département. A page
-- that reads a year of the grid ran one stock query per territoire and month (48 on the
-- demo); this reads the same counts grouped.
-- $debut, $fin: the first and last months of the period (first days); $territoires: the
-- partition, a list of {territoire, communes}. A record belongs to each territoire whose
-- communes hold its commune of residence, as `dans_territoire` decides for stock.sql.
WITH partition_communes AS (
    SELECT t.territoire, unnest(t.communes) AS commune FROM (SELECT unnest($territoires) AS t)
),
periode AS (
    SELECT * FROM pecgm_stock WHERE departement = $departement
      AND mois BETWEEN CAST($debut AS DATE) AND CAST($fin AS DATE)
),
stock AS (  -- each record once for the département, once more for each of its territoires
    SELECT NULL::VARCHAR AS territoire, * FROM periode
    UNION ALL
    SELECT p.territoire, s.* FROM periode s
    JOIN partition_communes p ON p.commune = s.code_commune_residence
)
SELECT strftime(mois, '%Y-%m') AS mois, territoire, 'stock_total' AS indicateur, NULL AS code,
       count(*) AS n
FROM stock GROUP BY ALL
UNION ALL
SELECT strftime(mois, '%Y-%m'), territoire, 'categorie', coalesce(code_categorie, 'non_renseignee'),
       count(*)
FROM stock GROUP BY ALL
UNION ALL
SELECT strftime(mois, '%Y-%m'), territoire, 'modalite', coalesce(modalite, 'non_renseignee'), count(*)
FROM stock GROUP BY ALL
UNION ALL
SELECT strftime(mois, '%Y-%m'), territoire, 'sexe', coalesce(sexe, 'non_renseigne'), count(*)
FROM stock GROUP BY ALL
UNION ALL
SELECT strftime(mois, '%Y-%m'), territoire, 'tranche_age',
       coalesce(tranche_age(annee_naissance, year(date_reference)), 'non_renseignee'), count(*)
FROM stock GROUP BY ALL
UNION ALL
SELECT strftime(mois, '%Y-%m'), territoire, 'axe', coalesce(axe_travail, 'non_renseignee'), count(*)
FROM stock GROUP BY ALL
UNION ALL
SELECT strftime(mois, '%Y-%m'), territoire, 'structure_principale',
       coalesce(structure_principale_nom, 'non_renseignee'), count(*)
FROM stock GROUP BY ALL
UNION ALL
SELECT strftime(mois, '%Y-%m'), territoire, 'commune',
       coalesce(code_commune_residence, 'non_renseignee'), count(*)
FROM stock GROUP BY ALL
