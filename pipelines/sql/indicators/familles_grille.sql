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
-- Populations: the same tables, views and macros as the family SQL (orientation,
-- `entrant`, `orientation_liee`, lrsa_de, pecgm_stock, parcours_personne, `tranche_age`).
-- A record belongs to a territoire as `dans_territoire` decides for the family SQL: its
-- own commune is one of the territoire's, or one of the keys that family looks up (NIR,
-- identifiant PE, identifiant RSA) is a key of a person of the territoire
-- (`territoire_personnes`); each family deduplicates and groups within the territoire,
-- after that filter, as its SQL does.
WITH partition_territoires AS (
    SELECT t.territoire, CAST(t.communes AS VARCHAR[]) AS communes
    FROM (SELECT unnest($territoires) AS t)
),
membres AS MATERIALIZED (  -- each territoire's persons
    SELECT p.territoire, m.person_key, m.pe_key, m.rsa_key
    FROM partition_territoires p, LATERAL territoire_personnes($departement, p.communes) m
),
periode AS (
    SELECT CAST($debut AS DATE) AS debut, CAST($fin AS DATE) AS fin, last_day(CAST($fin AS DATE)) AS dernier_jour
),
mois AS (
    SELECT CAST(m AS DATE) AS mois
    FROM periode, range(debut, fin + INTERVAL 1 DAY, INTERVAL 1 MONTH) r(m)
),
-- The records of the period each family reads, numbered, with the keys its SQL looks up
-- (NULL: not looked up).
ori AS MATERIALIZED (  -- orientations.sql, contrat.sql
    SELECT row_number() OVER () AS rid, CAST(date_trunc('month', o.date_orientation) AS DATE) AS mois, o.*
    FROM orientation o, periode
    WHERE o.departement = $departement
      AND date_trunc('month', o.date_orientation) BETWEEN periode.debut AND periode.fin
),
ent AS MATERIALIZED (  -- delai_orientation.sql
    SELECT row_number() OVER () AS rid, e.*
    FROM entrant e, periode
    WHERE e.departement = $departement AND e.cohorte BETWEEN periode.debut AND periode.fin
),
lst AS MATERIALIZED (  -- flux.sql, the LRSA lists
    SELECT row_number() OVER () AS rid, l.*
    FROM lrsa_de l, periode
    WHERE l.departement = $departement AND l.mois BETWEEN periode.debut AND periode.fin
      AND l.liste IN ('inscriptions', 'cessations', 'radiations')
),
pec AS MATERIALIZED (  -- flux.sql, the PECGM cessations and radiations
    SELECT row_number() OVER () AS rid, s.*
    FROM pecgm_stock s, periode
    WHERE s.departement = $departement
      AND (date_trunc('month', s.date_cessation_ide) BETWEEN periode.debut AND periode.fin
           OR date_trunc('month', s.date_radiation) BETWEEN periode.debut AND periode.fin)
),
par AS MATERIALIZED (  -- intensite.sql
    SELECT row_number() OVER () AS rid, p.*
    FROM parcours_personne p, periode
    WHERE p.departement = $departement AND p.date_orientation <= periode.dernier_jour
),
cles AS (
    SELECT 'ori' AS src, rid, NULL::VARCHAR AS commune, person_key AS cle_nir, pe_key AS cle_pe,
           NULL::VARCHAR AS cle_rsa FROM ori
    UNION ALL SELECT 'ent', rid, code_commune, person_key, pe_key, NULL FROM ent
    UNION ALL SELECT 'lst', rid, NULL, person_key, pe_key, NULL FROM lst
    UNION ALL SELECT 'pec', rid, code_commune_residence, NULL, NULL, NULL FROM pec
    UNION ALL SELECT 'par', rid, NULL, NULL, NULL, rsa_key FROM par
),
appartient AS MATERIALIZED (  -- (src, rid) -> each scope it counts in; NULL: the département
    SELECT src, rid, NULL::VARCHAR AS territoire FROM cles
    UNION ALL
    SELECT c.src, c.rid, p.territoire
    FROM cles c, partition_territoires p
    WHERE coalesce(list_contains(p.communes, c.commune), false)
       OR EXISTS (SELECT 1 FROM membres m
                  WHERE m.territoire = p.territoire
                    AND (m.person_key = c.cle_nir OR m.pe_key = c.cle_pe OR m.rsa_key = c.cle_rsa))
),
-- orientations.sql: a decision is one (person, date) of the scope, cgpem before stock
decision AS (
    SELECT DISTINCT ON (a.territoire, o.person_key, o.date_orientation)
           a.territoire, o.mois, o.person_key, o.type_parcours, o.organisme_referent, o.sexe,
           tranche_age(o.annee_naissance, year(o.mois)) AS tranche
    FROM ori o JOIN appartient a ON a.src = 'ori' AND a.rid = o.rid
    ORDER BY a.territoire, o.person_key, o.date_orientation, o.source
),
-- contrat.sql: the persons of the scope whose orientation is in the month
cohorte_contrat AS (
    SELECT a.territoire, o.mois, o.person_key,
           arg_min(o.type_parcours, o.date_orientation) AS type_parcours, any_value(o.sexe) AS sexe,
           tranche_age(any_value(o.annee_naissance), year(o.mois)) AS tranche
    FROM ori o JOIN appartient a ON a.src = 'ori' AND a.rid = o.rid
    GROUP BY a.territoire, o.mois, o.person_key
),
-- delai_orientation.sql: the entrants of the cohorte, and their orientations before entry
cohorte_entree AS (
    SELECT a.territoire, e.cohorte AS mois, e.person_key, e.entree, e.sexe,
           tranche_age(e.annee_naissance, year(e.cohorte)) AS tranche,
           count(l.date_orientation) FILTER (WHERE l.date_orientation < e.entree) AS avant_entree
    FROM ent e JOIN appartient a ON a.src = 'ent' AND a.rid = e.rid
    LEFT JOIN orientation_liee($departement) l ON l.person_key = e.person_key
    GROUP BY a.territoire, e.cohorte, e.person_key, e.entree, e.sexe, tranche
),
-- intensite.sql: the persons of the scope in an active parcours of each month
actifs AS (
    SELECT DISTINCT a.territoire, m.mois, p.rsa_key, p.type_parcours, p.sexe,
           tranche_age(p.annee_naissance, year(m.mois)) AS tranche
    FROM par p JOIN appartient a ON a.src = 'par' AND a.rid = p.rid
    JOIN mois m ON p.date_orientation <= last_day(m.mois)
),
-- flux.sql: the LRSA lists of the scope, else its PECGM dates, list by list
lists AS (
    SELECT a.territoire, l.mois, l.liste, l.motif
    FROM lst l JOIN appartient a ON a.src = 'lst' AND a.rid = l.rid
),
loaded AS (SELECT DISTINCT territoire, mois, liste FROM lists),
pecgm AS (
    SELECT DISTINCT ON (a.territoire, m.mois, s.person_key)
           a.territoire, m.mois, s.date_cessation_ide, s.motif_cessation_ide, s.date_radiation
    FROM pec s JOIN appartient a ON a.src = 'pec' AND a.rid = s.rid
    JOIN mois m ON date_trunc('month', s.date_cessation_ide) = m.mois
                OR date_trunc('month', s.date_radiation) = m.mois
    ORDER BY a.territoire, m.mois, s.person_key, s.mois DESC
),
events AS (
    SELECT territoire, mois, 'lrsa' AS origine, liste, motif FROM lists
    UNION ALL
    SELECT p.territoire, p.mois, 'pecgm', 'cessations', p.motif_cessation_ide FROM pecgm p
    WHERE date_trunc('month', p.date_cessation_ide) = p.mois
      AND NOT EXISTS (SELECT 1 FROM loaded l WHERE l.territoire IS NOT DISTINCT FROM p.territoire
                      AND l.mois = p.mois AND l.liste = 'cessations')
    UNION ALL
    SELECT p.territoire, p.mois, 'pecgm', 'radiations', NULL FROM pecgm p
    WHERE date_trunc('month', p.date_radiation) = p.mois
      AND NOT EXISTS (SELECT 1 FROM loaded l WHERE l.territoire IS NOT DISTINCT FROM p.territoire
                      AND l.mois = p.mois AND l.liste = 'radiations')
),
comptes AS (
    SELECT 'orientations' AS famille, mois, territoire, 'orientations' AS indicateur,
           coalesce(type_parcours, 'non_renseigne') AS code, count(*) AS n
    FROM decision GROUP BY ALL
    UNION ALL
    SELECT 'orientations', mois, territoire, 'organisme_referent',
           coalesce(organisme_referent, 'non_renseigne'), count(*)
    FROM decision GROUP BY ALL
    UNION ALL
    SELECT 'orientations', mois, territoire, 'orientations_sexe',
           coalesce(sexe, 'non_renseigne') || '|' || coalesce(type_parcours, 'non_renseigne'), count(*)
    FROM decision GROUP BY ALL
    UNION ALL
    SELECT 'orientations', mois, territoire, 'orientations_tranche_age',
           coalesce(tranche, 'non_renseignee') || '|' || coalesce(type_parcours, 'non_renseigne'), count(*)
    FROM decision GROUP BY ALL
    UNION ALL
    SELECT 'orientations', mois, territoire, 'personnes_orientees', NULL, count(DISTINCT person_key)
    FROM decision GROUP BY ALL
    UNION ALL
    SELECT 'flux', mois, territoire, liste, origine, count(*) FROM events GROUP BY ALL
    UNION ALL
    SELECT 'flux', e.mois, e.territoire, 'cessations_motif', coalesce(n.groupe, 'autres'), count(*)
    FROM events e
    LEFT JOIN nomenclature n ON n.nom = 'motif_cessation' AND n.code = e.motif
    WHERE e.liste = 'cessations'
    GROUP BY ALL
    UNION ALL
    SELECT 'delai_orientation', mois, territoire, 'entrants', NULL, count(*)
    FROM cohorte_entree GROUP BY ALL
    UNION ALL
    SELECT 'delai_orientation', mois, territoire, 'anomalies_avant_entree', NULL,
           count(*) FILTER (WHERE avant_entree > 0)
    FROM cohorte_entree GROUP BY ALL
    UNION ALL
    SELECT 'delai_orientation', mois, territoire, 'par_sexe', coalesce(sexe, 'non_renseigne'), count(*)
    FROM cohorte_entree GROUP BY ALL
    UNION ALL
    SELECT 'delai_orientation', mois, territoire, 'par_tranche_age',
           coalesce(tranche, 'non_renseignee'), count(*)
    FROM cohorte_entree GROUP BY ALL
    UNION ALL
    SELECT 'contrat', mois, territoire, 'orientes', NULL, count(*) FROM cohorte_contrat GROUP BY ALL
    UNION ALL
    SELECT 'contrat', mois, territoire, 'par_parcours', coalesce(type_parcours, 'non_renseigne'), count(*)
    FROM cohorte_contrat GROUP BY ALL
    UNION ALL
    SELECT 'contrat', mois, territoire, 'par_sexe', coalesce(sexe, 'non_renseigne'), count(*)
    FROM cohorte_contrat GROUP BY ALL
    UNION ALL
    SELECT 'contrat', mois, territoire, 'par_tranche_age', coalesce(tranche, 'non_renseignee'), count(*)
    FROM cohorte_contrat GROUP BY ALL
    UNION ALL
    SELECT 'intensite', mois, territoire, 'personnes', NULL, count(*) FROM actifs GROUP BY ALL
    UNION ALL
    SELECT 'intensite', mois, territoire, 'par_parcours', coalesce(type_parcours, 'non_renseigne'), count(*)
    FROM actifs GROUP BY ALL
    UNION ALL
    SELECT 'intensite', mois, territoire, 'par_sexe', coalesce(sexe, 'non_renseigne'), count(*)
    FROM actifs GROUP BY ALL
    UNION ALL
    SELECT 'intensite', mois, territoire, 'par_tranche_age', coalesce(tranche, 'non_renseignee'), count(*)
    FROM actifs GROUP BY ALL
)
SELECT famille, strftime(mois, '%Y-%m') AS mois, territoire, indicateur, code, n FROM comptes
