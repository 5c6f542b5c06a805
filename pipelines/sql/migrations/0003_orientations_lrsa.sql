-- Orientation decisions (CGPEM, reprise de stock; parcours later) and the LRSA DE lists.
-- No NIR, name, address, phone, e-mail, allocataire number or referent: keys are keyed hashes.

-- Which list of a multi-list source a load holds (LRSA DE: inscriptions, inscrits, ...).
ALTER TABLE load_journal ADD COLUMN variant VARCHAR;

CREATE TABLE orientation (
    load_id               BIGINT NOT NULL,
    departement           VARCHAR NOT NULL,
    source                VARCHAR NOT NULL,   -- cgpem | stock | parcours
    line_no               BIGINT NOT NULL,
    person_key            VARCHAR NOT NULL,   -- HMAC of NIR, else identifiant PE, else identifiant RSA
    cle_type              VARCHAR NOT NULL,   -- NIR | PE | RSA
    pe_key                VARCHAR,            -- HMAC of identifiant PE, when given
    rsa_key               VARCHAR,            -- HMAC of identifiant RSA (numéro allocataire), when given
    sexe                  VARCHAR,            -- M | F
    annee_naissance       SMALLINT,
    date_orientation      DATE NOT NULL,
    type_parcours         VARCHAR CHECK (type_parcours IN ('social', 'socio_professionnel', 'professionnel')),
    nature_accompagnement VARCHAR,            -- CGPEM code 01-06
    organisme_referent    VARCHAR,            -- an organisation, never a person
    date_entree_rsa       DATE,               -- reprise de stock, parcours
    statut                VARCHAR,            -- DEMANDEUR | CONJOINT (reprise de stock)
    organisme_payeur      VARCHAR,            -- CAF | MSA (reprise de stock)
    code_postal           VARCHAR
);

CREATE TABLE lrsa_de (
    load_id          BIGINT NOT NULL,
    departement      VARCHAR NOT NULL,
    mois             DATE NOT NULL,           -- first day of the month the list is published for
    liste            VARCHAR NOT NULL CHECK (liste IN ('inscriptions', 'inscrits', 'cessations', 'radiations')),
    line_no          BIGINT NOT NULL,
    person_key       VARCHAR NOT NULL,
    cle_type         VARCHAR NOT NULL,
    pe_key           VARCHAR,
    sexe             VARCHAR,
    annee_naissance  SMALLINT,
    date_evenement   DATE,                    -- inscription, cessation or radiation date
    categorie        VARCHAR,
    motif            VARCHAR,                 -- motif code (cessation or radiation)
    duree_radiation  VARCHAR
);
