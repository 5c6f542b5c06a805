-- PECGM monthly stock: one row per detail record of a loaded file.
-- No NIR, name, address, allocataire number or adviser: keys are keyed hashes (pipelines/pseudonymise.py).

CREATE TABLE pecgm_stock (
    load_id                       BIGINT NOT NULL,
    departement                   VARCHAR NOT NULL,
    mois                          DATE NOT NULL,      -- first day of the reference month
    date_reference                DATE NOT NULL,
    line_no                       BIGINT NOT NULL,
    person_key                    VARCHAR NOT NULL,   -- HMAC of NIR, else identifiant PE
    cle_type                      VARCHAR NOT NULL,   -- NIR | PE: which identifier the key comes from
    pe_key                        VARCHAR,            -- HMAC of identifiant PE, for linking with parcours files
    sexe                          VARCHAR,            -- M | F, from the NIR's first digit
    annee_naissance               SMALLINT,
    statut_certification_identite VARCHAR,
    code_commune_residence        VARCHAR,
    date_debut_ide                DATE,
    code_categorie                VARCHAR,
    code_institution_pe           VARCHAR,
    code_situation_emploi         VARCHAR,
    libelle_situation_emploi      VARCHAR,            -- file label, only when the code is not in the code list
    date_cessation_ide            DATE,
    motif_cessation_ide           VARCHAR,
    date_radiation                DATE,
    motif_radiation               VARCHAR,
    libelle_motif_radiation       VARCHAR,            -- only for codes not in the code list: full label matched from the truncated one
    structure_principale_nom      VARCHAR,
    structure_principale_code_postal VARCHAR,
    structure_deleguee_nom        VARCHAR,
    structure_deleguee_code_postal VARCHAR,
    niveau_formation              VARCHAR,
    secteur_formation             VARCHAR,
    code_rome                     VARCHAR,
    date_signature_ppae           DATE,
    date_notification_cer         DATE,
    axe_travail                   VARCHAR,
    modalite                      VARCHAR,
    date_dernier_contact          DATE
);
