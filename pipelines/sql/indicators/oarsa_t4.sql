-- OARSA table 4 ($departement, $annee): the same persons as table 3 (SDD oriented at 31/12
-- outside France Travail, with a contract in force that day), counted once per action
-- modality (nomenclature action_cer, the 15 DREES modalities) their contract holds at
-- least once. A code outside the nomenclature is not counted.
-- Rows (dimension, modalite, colonne, n) as oarsa_t1; colonne 'contrats' = all of them,
-- the others are action codes.
WITH p AS (
    SELECT o.*, list_distinct(coalesce(c.actions_contrat, [])) AS actions
    FROM oarsa_orientation($departement, $communes,
                           make_date(CAST($annee AS INTEGER), 12, 31), $regle) o
    JOIN oarsa_contrat($departement, $communes,
                       make_date(CAST($annee AS INTEGER), 12, 31), $regle) c USING (person_key)
    WHERE o.date_orientation IS NOT NULL AND o.categorie <> 'france_travail'
),
codes AS (SELECT list(code) AS l FROM nomenclature WHERE nom = 'action_cer'),
lignes AS (
    SELECT unnest(oarsa_modalites(b_sexe, b_age, b_anciennete, b_sitfam)) AS m,
           list_concat(['contrats'], list_filter(actions, lambda a: list_contains(codes.l, a)))
               AS colonnes
    FROM p, codes
),
cellules AS (
    SELECT m.dimension AS dimension, m.modalite AS modalite, unnest(colonnes) AS colonne
    FROM lignes
)
SELECT dimension, modalite, colonne, count(*) AS n FROM cellules GROUP BY ALL ORDER BY ALL
