-- CAF / MSA flux bénéficiaires (format vrsb0801): one row per person of each household of
-- each loaded flux, so that the state of a past month stays readable (history per reference
-- date). No NIR, name, birth place, address (but the commune code), amount or resource:
-- keys are keyed hashes, the birth date is reduced to its year.
CREATE TABLE caf_beneficiaire (
    load_id             BIGINT NOT NULL,
    departement         VARCHAR NOT NULL,
    date_reference      DATE NOT NULL,       -- DTREF of the flux
    type_flux           VARCHAR NOT NULL,    -- TYPEFLUX: M monthly, I daily (infra-monthly)
    organisme           VARCHAR,             -- FONORG: CAF | MSA
    foyer_no            BIGINT NOT NULL,     -- ordinal of the household in the file
    foyer_key           VARCHAR NOT NULL,    -- HMAC of organisme + NUMORG + MATRICULE
    person_key          VARCHAR NOT NULL,    -- HMAC of the NIR (same key as every source)
    pe_key              VARCHAR,             -- HMAC of DossierPoleEmploi/IDASSEDIC, when given
    rsa_key             VARCHAR,             -- HMAC of the MATRICULE (numéro allocataire)
    sexe                VARCHAR,             -- M | F
    annee_naissance     SMALLINT,
    code_commune        VARCHAR,             -- NUMCOM of the household's address (INSEE code)
    role                VARCHAR,             -- ROLEPERS for the RSA prestation: DEM, CJT, ...
    soumis_droits_devoirs BOOLEAN,           -- TOPPERSDRODEVORSA
    etat_dossier        VARCHAR,             -- ETATDOSRSA 0-6
    date_demande_rsa    DATE,                -- DTDEMRSA
    motif_cloture       VARCHAR,             -- MOTICLORSA (FinDroit, else FinDroitMoisAnterieur)
    date_cloture        DATE                 -- DTCLORSA
);

-- The household states as of day `d`: for each household, its persons in the newest flux
-- dated on or before `d` that holds it. A monthly flux is the whole stock: fluxes older than
-- the latest monthly one on or before `d` no longer count; daily fluxes after it replace the
-- households they hold.
CREATE MACRO caf_etat(d) AS TABLE
WITH base AS (
    SELECT departement, max(date_reference) AS d0 FROM caf_beneficiaire
    WHERE type_flux = 'M' AND date_reference <= d GROUP BY departement
),
candidats AS (
    SELECT c.* FROM caf_beneficiaire c LEFT JOIN base b USING (departement)
    WHERE c.date_reference <= d AND (b.d0 IS NULL OR c.date_reference >= b.d0)
),
derniers AS (
    SELECT departement, foyer_key, arg_max(load_id, (date_reference, load_id)) AS load_id
    FROM candidats GROUP BY departement, foyer_key
)
SELECT c.* FROM candidats c JOIN derniers USING (departement, foyer_key, load_id);

-- The persons a cohort indicator counts ("entrants"), one row per département and person,
-- from one place: with a CAF/MSA flux of the département, its persons soumis aux droits et
-- devoirs in a household with an open right (ETATDOSRSA 2, 3, 4) in any loaded flux, entry =
-- earliest DTDEMRSA (population 'caf_msa'); without one, the persons of the orientation and
-- parcours sources with an entry date (population 'sources').
CREATE VIEW entrant AS
WITH caf AS (
    SELECT departement, person_key, arg_min(pe_key, date_demande_rsa) AS pe_key,
           arg_min(rsa_key, date_demande_rsa) AS rsa_key, min(date_demande_rsa) AS entree,
           arg_max(sexe, date_reference) AS sexe,
           arg_max(annee_naissance, date_reference) AS annee_naissance,
           arg_max(code_commune, date_reference) AS code_commune
    FROM caf_beneficiaire
    WHERE soumis_droits_devoirs AND etat_dossier IN ('2', '3', '4')
      AND date_demande_rsa IS NOT NULL
    GROUP BY departement, person_key
),
avec_flux AS (SELECT DISTINCT departement FROM caf_beneficiaire),
sources AS (
    SELECT departement, person_key, any_value(pe_key) AS pe_key, any_value(rsa_key) AS rsa_key,
           min(entree) AS entree, any_value(sexe) AS sexe,
           any_value(annee_naissance) AS annee_naissance, any_value(code_commune) AS code_commune
    FROM (SELECT departement, person_key, pe_key, rsa_key, date_entree_rsa AS entree, sexe,
                 annee_naissance, NULL::VARCHAR AS code_commune
          FROM orientation WHERE date_entree_rsa IS NOT NULL
          UNION ALL
          SELECT departement, person_key, pe_key, rsa_key,
                 coalesce(date_entree_dispositif, date_ouverture_droits), sexe, annee_naissance,
                 code_commune
          FROM parcours_personne  -- the oriented ones are in `orientation` (source parcours)
          WHERE date_orientation IS NULL
            AND coalesce(date_entree_dispositif, date_ouverture_droits) IS NOT NULL)
    WHERE departement NOT IN (SELECT departement FROM avec_flux)
    GROUP BY departement, person_key
)
SELECT departement, person_key, pe_key, rsa_key, entree,
       CAST(date_trunc('month', entree) AS DATE) AS cohorte, 'caf_msa' AS population, sexe,
       annee_naissance, code_commune
FROM caf
UNION ALL
SELECT departement, person_key, pe_key, rsa_key, entree,
       CAST(date_trunc('month', entree) AS DATE), 'sources', sexe, annee_naissance, code_commune
FROM sources;

-- Orientation records matched to a population's persons, by person key (NIR), then
-- identifiant PE, then identifiant RSA (a record that carries neither NIR nor identifiant PE).
-- `orientation_key` is the record's own key, to tell the records no entrant matches.
CREATE MACRO orientation_liee(dep) AS TABLE
SELECT e.person_key, o.date_orientation, o.type_parcours, o.person_key AS orientation_key
FROM entrant e JOIN orientation o ON o.departement = e.departement AND o.person_key = e.person_key
WHERE e.departement = dep
UNION ALL
SELECT e.person_key, o.date_orientation, o.type_parcours, o.person_key
FROM entrant e JOIN orientation o ON o.departement = e.departement AND o.pe_key = e.pe_key
WHERE e.departement = dep AND o.person_key <> e.person_key
UNION ALL
SELECT e.person_key, o.date_orientation, o.type_parcours, o.person_key
FROM entrant e JOIN orientation o ON o.departement = e.departement AND o.rsa_key = e.rsa_key
WHERE e.departement = dep AND o.cle_type = 'RSA' AND o.person_key <> e.person_key;

-- Which population the cohort indicators of a département count: 'caf_msa' once a CAF/MSA
-- flux of the département is loaded, 'sources' otherwise.
CREATE MACRO population_cohortes(dep) AS
    CASE WHEN EXISTS (SELECT 1 FROM caf_beneficiaire c WHERE c.departement = dep)
         THEN 'caf_msa' ELSE 'sources' END;
