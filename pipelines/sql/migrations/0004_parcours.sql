-- Parcours (experimentation): persons, accompaniment appointments, prestations with hours.
-- Loaded as one unit of three files; persons with an orientation date also go to
-- `orientation` (source 'parcours'). Keys are keyed hashes; no diagnostic data is kept.

CREATE TABLE parcours_personne (
    load_id                 BIGINT NOT NULL,
    departement             VARCHAR NOT NULL,
    line_no                 BIGINT NOT NULL,
    person_key              VARCHAR NOT NULL,   -- HMAC of identifiant PE, else identifiant RSA
    cle_type                VARCHAR NOT NULL,   -- PE | RSA
    pe_key                  VARCHAR,
    rsa_key                 VARCHAR NOT NULL,
    sexe                    VARCHAR,
    annee_naissance         SMALLINT,
    code_commune            VARCHAR,
    date_ouverture_droits   DATE,
    date_entree_dispositif  DATE,
    date_orientation        DATE,
    type_parcours           VARCHAR CHECK (type_parcours IN ('social', 'socio_professionnel', 'professionnel')),
    date_contrat_engagement DATE
);

CREATE TABLE parcours_rdv (
    load_id     BIGINT NOT NULL,
    departement VARCHAR NOT NULL,
    line_no     BIGINT NOT NULL,
    rsa_key     VARCHAR NOT NULL,
    date_rdv    DATE NOT NULL,
    type_rdv    VARCHAR,
    statut_rdv  VARCHAR
);

CREATE TABLE parcours_prestation (
    load_id     BIGINT NOT NULL,
    departement VARCHAR NOT NULL,
    line_no     BIGINT NOT NULL,
    rsa_key     VARCHAR NOT NULL,
    prestation  VARCHAR,
    modalite    VARCHAR CHECK (modalite IN ('individuel', 'collectif')),
    date_debut  DATE NOT NULL,
    date_fin    DATE,
    heures      DOUBLE NOT NULL
);
