-- The populations of the families the masking grid crosses (masking_grids.GRIDS:
-- orientations, flux, delai_orientation, contrat, intensite), defined once for two
-- readers: each family's SQL (the months of a period, one territoire or the whole
-- département: migration 0019) and
-- familles_grille.sql (every month of a period and every territoire of a partition in one
-- query, issue #31). Each macro takes `territoires`, a list of scopes {territoire,
-- communes} (communes NULL: the whole département), and returns its rows once per scope
-- they belong to (column `portee`, the scope's position in the list), with their month.
-- Idempotent (CREATE OR REPLACE): a `migrer` that replays it changes nothing.
-- A record set numbered by `row_number() OVER ()` and read twice (its scopes, then its
-- rows joined back by that number) is MATERIALIZED: evaluated twice, a parallel scan
-- could number the rows differently and join a scope to another record.

-- The scopes of a list, numbered from 1.
CREATE OR REPLACE MACRO portees(territoires) AS TABLE
    SELECT i AS portee,
           CAST(territoires[i].territoire AS VARCHAR) AS territoire,
           CAST(territoires[i].communes AS VARCHAR[]) AS communes
    FROM range(1, len(territoires) + 1) r(i);

-- The keys that make a record a territoire's (the rule of `dans_territoire`, migration
-- 0015, as a table to join): each of its communes ('commune:…'), and each key of a person
-- of the territoire (`territoire_personnes`, typed by `cles_personne`). A record belongs
-- to a scope when one of its keys is there, to a whole-département scope always.
CREATE OR REPLACE MACRO portee_cles(dep, territoires) AS TABLE
    SELECT p.portee, 'commune:' || unnest(p.communes) AS cle
    FROM portees(territoires) p WHERE p.communes IS NOT NULL
    UNION
    SELECT portee, cle FROM (
        SELECT p.portee, unnest(cles_personne(m.person_key, m.pe_key, m.rsa_key)) AS cle
        FROM portees(territoires) p, LATERAL territoire_personnes(dep, p.communes) m
        WHERE p.communes IS NOT NULL
    ) WHERE cle IS NOT NULL;

-- A record's keys as `portee_cles` types them (NULL: not looked up by that family).
CREATE OR REPLACE MACRO cles_record(commune, cle_nir, cle_pe, cle_rsa) AS
    list_filter(['commune:' || commune, 'nir:' || cle_nir, 'pe:' || cle_pe, 'rsa:' || cle_rsa],
                lambda k: k IS NOT NULL);

-- The orientation records of the months from debut to fin (first days), once per scope
-- they belong to. Territoire: the person's NIR key or identifiant PE key.
CREATE OR REPLACE MACRO orientation_portees(dep, debut, fin, territoires) AS TABLE
WITH records AS MATERIALIZED (  -- numbered once: its rows are joined back by `rid`
    SELECT row_number() OVER () AS rid, CAST(date_trunc('month', date_orientation) AS DATE) AS mois, *
    FROM orientation
    WHERE departement = dep
      AND date_trunc('month', date_orientation) BETWEEN CAST(debut AS DATE) AND CAST(fin AS DATE)
),
scoped AS (
    SELECT p.portee, r.rid FROM records r, portees(territoires) p WHERE p.communes IS NULL
    UNION ALL  -- a record found by two of its keys: once
    SELECT DISTINCT c.portee, k.rid
    FROM (SELECT rid, unnest(cles_record(NULL, person_key, pe_key, NULL)) AS cle FROM records) k
    JOIN portee_cles(dep, territoires) c USING (cle)
)
SELECT s.portee, r.* EXCLUDE (rid) FROM records r JOIN scoped s USING (rid);

-- Orientation decisions of each month: a decision is one (person, date) of the scope; the
-- same decision sent by two sources (CGPEM and the reprise de stock) counts once, the
-- CGPEM one (it names the organisme).
CREATE OR REPLACE MACRO decisions_orientation(dep, debut, fin, territoires) AS TABLE
SELECT DISTINCT ON (portee, person_key, date_orientation)
       portee, mois, person_key, pe_key, rsa_key, date_orientation, type_parcours,
       organisme_referent, sexe, annee_naissance,
       tranche_age(annee_naissance, year(mois)) AS tranche
FROM orientation_portees(dep, debut, fin, territoires)
ORDER BY portee, person_key, date_orientation, source;

-- The orientation cohorte of each month (contrat.sql): the persons of the scope with an
-- orientation decision in the month, one row each, at their first decision of the month.
CREATE OR REPLACE MACRO cohorte_orientation(dep, debut, fin, territoires) AS TABLE
SELECT portee, mois, person_key, any_value(pe_key) AS pe_key, any_value(rsa_key) AS rsa_key,
       min(date_orientation) AS oriente, arg_min(type_parcours, date_orientation) AS type_parcours,
       any_value(sexe) AS sexe,
       tranche_age(any_value(annee_naissance), year(mois)) AS tranche
FROM orientation_portees(dep, debut, fin, territoires)
GROUP BY portee, mois, person_key;

-- The entry cohorte of each month (delai_orientation.sql): the scope's persons of the
-- view `entrant` (migration 0012) entered in the month, each with their first orientation
-- on or after entry (`orientation_liee`) and their orientations before it (an anomaly).
-- Territoire: the person's commune, NIR key or identifiant PE key.
CREATE OR REPLACE MACRO cohorte_entree(dep, debut, fin, territoires) AS TABLE
WITH records AS MATERIALIZED (  -- numbered once: its rows are joined back by `rid`
    SELECT row_number() OVER () AS rid, *
    FROM entrant
    WHERE departement = dep AND cohorte BETWEEN CAST(debut AS DATE) AND CAST(fin AS DATE)
),
scoped AS (
    SELECT p.portee, r.rid FROM records r, portees(territoires) p WHERE p.communes IS NULL
    UNION ALL  -- a record found by two of its keys: once
    SELECT DISTINCT c.portee, k.rid
    FROM (SELECT rid, unnest(cles_record(code_commune, person_key, pe_key, NULL)) AS cle FROM records) k
    JOIN portee_cles(dep, territoires) c USING (cle)
)
SELECT s.portee, r.cohorte AS mois, r.person_key, r.entree, r.sexe,
       tranche_age(r.annee_naissance, year(r.cohorte)) AS tranche,
       min(o.date_orientation) FILTER (WHERE o.date_orientation >= r.entree) AS oriente,
       count(o.date_orientation) FILTER (WHERE o.date_orientation < r.entree) AS avant_entree
FROM records r JOIN scoped s USING (rid)
LEFT JOIN orientation_liee(dep) o ON o.person_key = r.person_key
GROUP BY s.portee, r.cohorte, r.person_key, r.entree, r.sexe, tranche;

-- The persons in an active parcours of each month (intensite.sql): parcours persons
-- oriented on or before its last day (the files give no end of parcours), once per
-- (person, parcours type, sexe, age band). Territoire: the identifiant RSA key.
CREATE OR REPLACE MACRO parcours_actifs(dep, debut, fin, territoires) AS TABLE
WITH records AS MATERIALIZED (  -- numbered once: its rows are joined back by `rid`
    SELECT row_number() OVER () AS rid, *
    FROM parcours_personne
    WHERE departement = dep AND date_orientation <= last_day(CAST(fin AS DATE))
),
scoped AS (
    SELECT p.portee, r.rid FROM records r, portees(territoires) p WHERE p.communes IS NULL
    UNION ALL  -- a record found by two of its keys: once
    SELECT DISTINCT c.portee, k.rid
    FROM (SELECT rid, unnest(cles_record(NULL, NULL, NULL, rsa_key)) AS cle FROM records) k
    JOIN portee_cles(dep, territoires) c USING (cle)
),
mois AS (
    SELECT CAST(m AS DATE) AS mois
    FROM range(CAST(debut AS DATE), CAST(fin AS DATE) + INTERVAL 1 DAY, INTERVAL 1 MONTH) t(m)
)
SELECT DISTINCT s.portee, m.mois, r.rsa_key, r.type_parcours, r.sexe,
       tranche_age(r.annee_naissance, year(m.mois)) AS tranche
FROM records r JOIN scoped s USING (rid) JOIN mois m ON r.date_orientation <= last_day(m.mois);

-- The flows of each month (flux.sql): the LRSA DE lists published for the month, list by
-- list, when the scope has one (origine 'lrsa'; territoire: NIR key or identifiant PE
-- key), else the PECGM cessation and radiation dates in the month (origine 'pecgm', each
-- person once, at its latest file; territoire: commune of residence).
CREATE OR REPLACE MACRO flux_evenements(dep, debut, fin, territoires) AS TABLE
WITH mois AS (
    SELECT CAST(m AS DATE) AS mois
    FROM range(CAST(debut AS DATE), CAST(fin AS DATE) + INTERVAL 1 DAY, INTERVAL 1 MONTH) t(m)
),
listes AS MATERIALIZED (  -- numbered once: joined back by `rid`
    SELECT row_number() OVER () AS rid, *
    FROM lrsa_de
    WHERE departement = dep AND mois BETWEEN CAST(debut AS DATE) AND CAST(fin AS DATE)
      AND liste IN ('inscriptions', 'cessations', 'radiations')
),
listes_portees AS (
    SELECT p.portee, r.rid FROM listes r, portees(territoires) p WHERE p.communes IS NULL
    UNION ALL  -- a record found by two of its keys: once
    SELECT DISTINCT c.portee, k.rid
    FROM (SELECT rid, unnest(cles_record(NULL, person_key, pe_key, NULL)) AS cle FROM listes) k
    JOIN portee_cles(dep, territoires) c USING (cle)
),
lists AS (
    SELECT s.portee, l.mois, l.liste, l.motif FROM listes l JOIN listes_portees s USING (rid)
),
loaded AS (SELECT DISTINCT portee, mois, liste FROM lists),
fichiers AS MATERIALIZED (  -- numbered once: joined back by `rid`
    SELECT row_number() OVER () AS rid, s.*
    FROM pecgm_stock s
    WHERE departement = dep
      AND (date_trunc('month', date_cessation_ide) BETWEEN CAST(debut AS DATE) AND CAST(fin AS DATE)
           OR date_trunc('month', date_radiation) BETWEEN CAST(debut AS DATE) AND CAST(fin AS DATE))
),
fichiers_portees AS (
    SELECT p.portee, r.rid FROM fichiers r, portees(territoires) p WHERE p.communes IS NULL
    UNION ALL  -- a record found by two of its keys: once
    SELECT DISTINCT c.portee, k.rid
    FROM (SELECT rid, unnest(cles_record(code_commune_residence, NULL, NULL, NULL)) AS cle
          FROM fichiers) k
    JOIN portee_cles(dep, territoires) c USING (cle)
),
pecgm AS (
    SELECT DISTINCT ON (s.portee, m.mois, f.person_key)
           s.portee, m.mois, f.date_cessation_ide, f.motif_cessation_ide, f.date_radiation
    FROM fichiers f JOIN fichiers_portees s USING (rid)
    JOIN mois m ON date_trunc('month', f.date_cessation_ide) = m.mois
                OR date_trunc('month', f.date_radiation) = m.mois
    ORDER BY s.portee, m.mois, f.person_key, f.mois DESC
)
SELECT portee, mois, 'lrsa' AS origine, liste, motif FROM lists
UNION ALL
SELECT p.portee, p.mois, 'pecgm', 'cessations', p.motif_cessation_ide FROM pecgm p
WHERE date_trunc('month', p.date_cessation_ide) = p.mois
  AND NOT EXISTS (SELECT 1 FROM loaded l
                  WHERE l.portee = p.portee AND l.mois = p.mois AND l.liste = 'cessations')
UNION ALL
SELECT p.portee, p.mois, 'pecgm', 'radiations', NULL FROM pecgm p
WHERE date_trunc('month', p.date_radiation) = p.mois
  AND NOT EXISTS (SELECT 1 FROM loaded l
                  WHERE l.portee = p.portee AND l.mois = p.mois AND l.liste = 'radiations');

-- A partition's scopes and the whole département's (first, territoire NULL): what a
-- grouped read (familles_grille.sql) hands the macros above.
CREATE OR REPLACE MACRO avec_departement(territoires) AS
    list_concat([{'territoire': NULL::VARCHAR, 'communes': NULL::VARCHAR[]}],
                CAST(territoires AS STRUCT(territoire VARCHAR, communes VARCHAR[])[]));
