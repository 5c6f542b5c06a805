-- The counts the masking grid crosses (docs/securite.md, masquage) for every family but the
-- stock (masking_grids.GRIDS: orientations, flux, delai_orientation, contrat, intensite),
-- for every month of a period and every territoire of a partition in one query: the same
-- counts as each family's SQL (orientations.sql, flux.sql, delai_orientation.sql,
-- contrat.sql, intensite.sql) read for one month and one territoire, never a quantile.
-- A Synthèse read them with one query per family, month and territoire (some 180 on the
-- demo); stock_grille.sql does the same for the stock.
-- $debut, $fin: the first and last months of the period (first days); $territoires: the
-- partition, a list of {territoire, communes}. Rows (famille, mois, territoire,
-- indicateur, code, n); territoire NULL: the whole département.
-- Populations: the macros of migration 0018 the family SQL reads too
-- (decisions_orientation, cohorte_orientation, cohorte_entree, parcours_actifs,
-- flux_evenements), over the partition's scopes and the département's at once (scope 1,
-- `avec_departement`), counted by scope (`portee`), named at the end.
WITH decision AS (
    SELECT * FROM decisions_orientation($departement, $debut, $fin, avec_departement($territoires))
),
cohorte_contrat AS (
    SELECT * FROM cohorte_orientation($departement, $debut, $fin, avec_departement($territoires))
),
cohorte_entree AS (
    SELECT * FROM cohorte_entree($departement, $debut, $fin, avec_departement($territoires))
),
actifs AS (
    SELECT * FROM parcours_actifs($departement, $debut, $fin, avec_departement($territoires))
),
events AS (
    SELECT * FROM flux_evenements($departement, $debut, $fin, avec_departement($territoires))
),
personnes AS (  -- the persons each cohorte family counts, with their profile
    SELECT 'delai_orientation' AS famille, 'entrants' AS population, mois, portee,
           NULL::VARCHAR AS type_parcours, sexe, tranche
    FROM cohorte_entree
    UNION ALL
    SELECT 'contrat', 'orientes', mois, portee, type_parcours, sexe, tranche FROM cohorte_contrat
    UNION ALL
    SELECT 'intensite', 'personnes', mois, portee, type_parcours, sexe, tranche FROM actifs
),
comptes AS (
    SELECT 'orientations' AS famille, mois, portee, 'orientations' AS indicateur,
           coalesce(type_parcours, 'non_renseigne') AS code, count(*) AS n
    FROM decision GROUP BY ALL
    UNION ALL
    SELECT 'orientations', mois, portee, 'organisme_referent',
           coalesce(organisme_referent, 'non_renseigne'), count(*)
    FROM decision GROUP BY ALL
    UNION ALL
    SELECT 'orientations', mois, portee, 'orientations_sexe',
           coalesce(sexe, 'non_renseigne') || '|' || coalesce(type_parcours, 'non_renseigne'), count(*)
    FROM decision GROUP BY ALL
    UNION ALL
    SELECT 'orientations', mois, portee, 'orientations_tranche_age',
           coalesce(tranche, 'non_renseignee') || '|' || coalesce(type_parcours, 'non_renseigne'), count(*)
    FROM decision GROUP BY ALL
    UNION ALL
    SELECT 'orientations', mois, portee, 'personnes_orientees', NULL, count(DISTINCT person_key)
    FROM decision GROUP BY ALL
    UNION ALL
    SELECT 'flux', mois, portee, liste, origine, count(*) FROM events GROUP BY ALL
    UNION ALL
    SELECT 'flux', e.mois, e.portee, 'cessations_motif', coalesce(n.groupe, 'autres'), count(*)
    FROM events e
    LEFT JOIN nomenclature n ON n.nom = 'motif_cessation' AND n.code = e.motif
    WHERE e.liste = 'cessations'
    GROUP BY ALL
    UNION ALL
    SELECT 'delai_orientation', mois, portee, 'anomalies_avant_entree', NULL,
           count(*) FILTER (WHERE avant_entree > 0)
    FROM cohorte_entree GROUP BY ALL
    UNION ALL  -- the cohorte families: their persons, and those of each profile group
    SELECT famille, mois, portee,
           CASE WHEN grouping(type_parcours) = 0 THEN 'par_parcours'
                WHEN grouping(sexe) = 0 THEN 'par_sexe'
                WHEN grouping(tranche) = 0 THEN 'par_tranche_age'
                ELSE population END,
           CASE WHEN grouping(type_parcours) = 0 THEN coalesce(type_parcours, 'non_renseigne')
                WHEN grouping(sexe) = 0 THEN coalesce(sexe, 'non_renseigne')
                WHEN grouping(tranche) = 0 THEN coalesce(tranche, 'non_renseignee') END,
           count(*)
    FROM personnes
    GROUP BY GROUPING SETS ((famille, population, mois, portee),
                            (famille, population, mois, portee, type_parcours),
                            (famille, population, mois, portee, sexe),
                            (famille, population, mois, portee, tranche))
    HAVING grouping(type_parcours) = 1 OR famille <> 'delai_orientation'  -- no parcours at entry
)
SELECT c.famille, strftime(c.mois, '%Y-%m') AS mois, p.territoire, c.indicateur, c.code, c.n
FROM comptes c JOIN portees(avec_departement($territoires)) p USING (portee)
