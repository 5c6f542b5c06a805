-- The annual DREES return (enquête OARSA, docs/oarsa.md): what the six tables need beyond
-- the other indicators, and the rules they share, defined once. Idempotent (IF NOT EXISTS,
-- OR REPLACE): applied again, it changes nothing.

-- The household's family situation (SITFAM, a code) and whether it has a child in the
-- RSA sense (a person with ROLEPERS ENF): the T1 breakdown « situation familiale ».
ALTER TABLE caf_beneficiaire ADD COLUMN IF NOT EXISTS situation_familiale VARCHAR;
ALTER TABLE caf_beneficiaire ADD COLUMN IF NOT EXISTS enfants_a_charge BOOLEAN;

-- The contract of the parcours template's optional columns: start, end and the DREES
-- action codes it holds (nomenclature action_cer). Tables T3 and T4 need them.
ALTER TABLE parcours_personne ADD COLUMN IF NOT EXISTS date_debut_contrat DATE;
ALTER TABLE parcours_personne ADD COLUMN IF NOT EXISTS date_fin_contrat DATE;
ALTER TABLE parcours_personne ADD COLUMN IF NOT EXISTS actions_contrat VARCHAR[];

-- The département's classification of its organismes référents into the DREES categories
-- (nomenclature oarsa_categorie), loaded whole by `python -m pipelines organismes`.
-- Configuration, not data about people (organisations only): purges leave it in place.
CREATE TABLE IF NOT EXISTS organisme_categorie (
    departement VARCHAR NOT NULL,
    cle         VARCHAR NOT NULL,   -- organisme_cle(organisme): how names are matched
    organisme   VARCHAR NOT NULL,   -- the name as the département wrote it
    categorie   VARCHAR NOT NULL,
    PRIMARY KEY (departement, cle)
);

-- How two spellings of an organisme are the same: case, accents and spaces ignored.
CREATE OR REPLACE MACRO organisme_cle(nom) AS
    nullif(regexp_replace(lower(strip_accents(CAST(nom AS VARCHAR))), '\s+', '', 'g'), '');

-- The persons soumis aux droits et devoirs (SDD) at `fin`: applicants and spouses with
-- TOPPERSDRODEVORSA = 1 in a household whose right is open and not suspended
-- (ETATDOSRSA 2), or open whatever the suspension (2, 3, 4) when `regle` is
-- 'avec_suspendus', in the households' state as the fluxes knew it at `fin` (caf_etat:
-- no later flux). One row per person; entry = the household's DTDEMRSA (the latest entry);
-- with the breakdown bands of the return.
CREATE OR REPLACE MACRO oarsa_sdd(dep, communes, fin, regle) AS TABLE
WITH etat AS (
    SELECT * FROM caf_etat(fin)
    WHERE departement = dep AND role IN ('DEM', 'CJT') AND soumis_droits_devoirs
      AND (etat_dossier = '2'
           OR (regle = 'avec_suspendus' AND etat_dossier IN ('3', '4')))
      AND dans_territoire(dep, communes, commune := code_commune, cle_nir := person_key,
                          cle_pe := pe_key)
),
personnes AS (
    SELECT person_key, arg_max(pe_key, date_demande_rsa) AS pe_key,
           arg_max(rsa_key, date_demande_rsa) AS rsa_key, max(date_demande_rsa) AS entree,
           arg_max(sexe, date_demande_rsa) AS sexe,
           arg_max(annee_naissance, date_demande_rsa) AS annee_naissance,
           arg_max(situation_familiale, date_demande_rsa) AS situation_familiale,
           arg_max(enfants_a_charge, date_demande_rsa) AS enfants_a_charge
    FROM etat GROUP BY person_key
)
SELECT p.*,
       coalesce(p.sexe, 'inconnu') AS b_sexe,
       CASE WHEN p.annee_naissance IS NULL THEN 'inconnu'
            WHEN year(fin) - p.annee_naissance < 25 THEN 'moins_25'
            WHEN year(fin) - p.annee_naissance < 30 THEN '25_29'
            WHEN year(fin) - p.annee_naissance < 40 THEN '30_39'
            WHEN year(fin) - p.annee_naissance < 50 THEN '40_49'
            WHEN year(fin) - p.annee_naissance < 60 THEN '50_59'
            ELSE '60_plus' END AS b_age,
       CASE WHEN p.entree IS NULL THEN 'inconnu'
            WHEN p.entree > fin - INTERVAL 6 MONTH THEN 'moins_6_mois'
            WHEN p.entree > fin - INTERVAL 1 YEAR THEN '6_mois_1_an'
            WHEN p.entree > fin - INTERVAL 2 YEAR THEN '1_2_ans'
            WHEN p.entree > fin - INTERVAL 5 YEAR THEN '2_5_ans'
            ELSE '5_ans_plus' END AS b_anciennete,
       CASE WHEN s.groupe IS NULL OR p.enfants_a_charge IS NULL THEN 'inconnu'
            ELSE s.groupe || CASE WHEN p.enfants_a_charge THEN '_avec_enfants'
                                  ELSE '_sans_enfant' END END AS b_sitfam
FROM personnes p
LEFT JOIN nomenclature s ON s.nom = 'situation_familiale' AND s.code = p.situation_familiale;

-- The rows of a breakdown: each person counts in the total and in one modality of each
-- dimension of the return (sexe, age, anciennete, sitfam).
CREATE OR REPLACE MACRO oarsa_modalites(sexe, age, anciennete, sitfam) AS [
    {'dimension': 'ensemble', 'modalite': 'total'},
    {'dimension': 'sexe', 'modalite': sexe},
    {'dimension': 'age', 'modalite': age},
    {'dimension': 'anciennete', 'modalite': anciennete},
    {'dimension': 'sitfam', 'modalite': sitfam}
];

-- The orientation decisions of the SDD at `fin`, dated on or before it, from every source
-- (CGPEM, reprise de stock, parcours), matched to the person by NIR key, identifiant PE key
-- or, for a decision that carries neither, identifiant RSA key; one decision per person
-- and date (one with an organisme preferred). Each with the DREES category of its
-- organisme (organisme_categorie; 'non_classe' when the département has not classified it
-- or the decision names none) and its side: 'spe' (France Travail and the other SPE
-- organismes), 'hors_spe', or NULL for 'non_classe'.
CREATE OR REPLACE MACRO oarsa_decisions(dep, communes, fin, regle) AS TABLE
WITH sdd AS (SELECT person_key, pe_key, rsa_key FROM oarsa_sdd(dep, communes, fin, regle)),
o AS (SELECT * FROM orientation WHERE departement = dep AND date_orientation <= fin),
liees AS (
    SELECT s.person_key, o.date_orientation, o.organisme_referent, o.source
    FROM sdd s JOIN o ON o.person_key = s.person_key
    UNION
    SELECT s.person_key, o.date_orientation, o.organisme_referent, o.source
    FROM sdd s JOIN o ON o.pe_key = s.pe_key
    UNION
    SELECT s.person_key, o.date_orientation, o.organisme_referent, o.source
    FROM sdd s JOIN o ON o.rsa_key = s.rsa_key AND o.cle_type = 'RSA'
),
uniques AS (
    SELECT person_key, date_orientation,
           arg_max(organisme_referent, (organisme_referent IS NOT NULL, source))
               AS organisme_referent
    FROM liees GROUP BY person_key, date_orientation
)
SELECT u.person_key, u.date_orientation, u.organisme_referent,
       coalesce(c.categorie, 'non_classe') AS categorie,
       n.groupe AS cote
FROM uniques u
LEFT JOIN organisme_categorie c
       ON c.departement = dep AND c.cle = organisme_cle(u.organisme_referent)
LEFT JOIN nomenclature n ON n.nom = 'oarsa_categorie' AND n.code = c.categorie;

-- The SDD at `fin` with their orientation at that date: the latest decision dated on or
-- before it (NULL: not oriented), its category and side.
CREATE OR REPLACE MACRO oarsa_orientation(dep, communes, fin, regle) AS TABLE
SELECT s.*, d.date_orientation, d.organisme_referent, d.categorie, d.cote
FROM oarsa_sdd(dep, communes, fin, regle) s
LEFT JOIN (
    SELECT * FROM oarsa_decisions(dep, communes, fin, regle)
    QUALIFY row_number() OVER (PARTITION BY person_key ORDER BY date_orientation DESC) = 1
) d USING (person_key);

-- The keys a parcours row reaches its person by: the identifiant PE; the identifiant RSA
-- (the household's numéro allocataire, shared by a couple) only for a row without one,
-- as orientation_liee does for the decisions.
CREATE OR REPLACE MACRO oarsa_cles_parcours(pe_key, rsa_key, cle_type) AS
    cles_personne(NULL, pe_key, CASE WHEN cle_type = 'RSA' THEN rsa_key END);

-- The contract (parcours template: start, end, actions) of each SDD at `fin` in force that
-- day (start on or before it, end on or after it), found by the person's keys
-- (oarsa_cles_parcours); the latest started when several are.
CREATE OR REPLACE MACRO oarsa_contrat(dep, communes, fin, regle) AS TABLE
WITH contrats AS (
    SELECT unnest(oarsa_cles_parcours(pe_key, rsa_key, cle_type)) AS cle, date_debut_contrat,
           date_fin_contrat, actions_contrat
    FROM parcours_personne
    WHERE departement = dep AND date_debut_contrat <= fin AND date_fin_contrat >= fin
),
sdd AS (
    SELECT person_key, unnest(cles_personne(person_key, pe_key, rsa_key)) AS cle
    FROM oarsa_sdd(dep, communes, fin, regle)
)
SELECT s.person_key,
       arg_max(c.date_debut_contrat, c.date_debut_contrat) AS date_debut_contrat,
       arg_max(c.date_fin_contrat, c.date_debut_contrat) AS date_fin_contrat,
       arg_max(c.actions_contrat, c.date_debut_contrat) AS actions_contrat
FROM sdd s JOIN contrats c ON c.cle = s.cle
GROUP BY s.person_key;
