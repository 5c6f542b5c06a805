-- DE status and diagnostic constraints collected from France Travail's partner APIs
-- (Recherche usager -> Statut usager, Diagnostic individu / Contraintes).
-- Kept: the person key (HMAC of the NIR), the collection date, the status, its effect
-- date and the codes; per thématique, whether a constraint is present. Never the NIR,
-- the date of birth, the encrypted identifier, the adviser, a token or the secret.

CREATE TABLE ft_statut (
    load_id                BIGINT NOT NULL,
    departement            VARCHAR NOT NULL,
    date_collecte          DATE NOT NULL,
    person_key             VARCHAR NOT NULL,
    code_retour            VARCHAR NOT NULL,   -- Recherche usager: S001 found, S002 not found, ...
    statut_de              VARCHAR,            -- Identifié | Inscrit | Cessé | Radié (NULL: not found)
    date_effet_statut      DATE,
    categorie              VARCHAR,            -- categInscriptionCode
    motif_inscription      VARCHAR,            -- motifInscriptionCode
    situation_emploi       VARCHAR,            -- situationRegEmpCode
    motif_cloture          VARCHAR             -- motifClotureCode
);

-- One row per person and thématique of the diagnostic: is a constraint of it `OUI`?
CREATE TABLE ft_contrainte (
    load_id        BIGINT NOT NULL,
    departement    VARCHAR NOT NULL,
    date_collecte  DATE NOT NULL,
    person_key     VARCHAR NOT NULL,
    thematique     VARCHAR NOT NULL,
    contrainte     BOOLEAN NOT NULL
);

-- The labels of the thématiques as the API names them (codes and labels, no person).
CREATE TABLE ft_thematique (
    code     VARCHAR PRIMARY KEY,
    libelle  VARCHAR
);

-- The latest collection of a département on or before a date: every load of its latest
-- collection day (one run per file of the département may share a day), one row per
-- person, the latest load winning. Defined once, read by every France Travail indicator.
CREATE MACRO ft_derniere_collecte(dep, fin) AS TABLE
WITH jour AS (
    SELECT max(date_collecte) AS d FROM ft_statut
    WHERE departement = dep AND date_collecte <= fin
)
SELECT s.* FROM ft_statut s, jour
WHERE s.departement = dep AND s.date_collecte = jour.d
QUALIFY row_number() OVER (PARTITION BY s.person_key ORDER BY s.load_id DESC) = 1;
