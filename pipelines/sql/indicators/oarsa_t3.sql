-- OARSA table 3 ($departement, $annee): the SDD oriented at 31/12 to an organisme other
-- than France Travail with a contract in force that day (macro oarsa_contrat: start on or
-- before 31/12, end on or after it), by the duration written in the contract: from its
-- start to its end, end day included (< 6 months, 6 months to < 1 year, 1 year or more).
-- Rows (dimension, modalite, colonne, n) as oarsa_t1; colonne 'contrats' = all of them.
WITH p AS (
    SELECT o.*, c.date_debut_contrat AS debut, c.date_fin_contrat + 1 AS apres_fin
    FROM oarsa_orientation($departement, $communes,
                           make_date(CAST($annee AS INTEGER), 12, 31), $regle) o
    JOIN oarsa_contrat($departement, $communes,
                       make_date(CAST($annee AS INTEGER), 12, 31), $regle) c USING (person_key)
    WHERE o.date_orientation IS NOT NULL AND o.categorie <> 'france_travail'
),
lignes AS (
    SELECT unnest(oarsa_modalites(b_sexe, b_age, b_anciennete, b_sitfam)) AS m,
           ['contrats',
            CASE WHEN apres_fin < debut + INTERVAL 6 MONTH THEN 'moins_6_mois'
                 WHEN apres_fin < debut + INTERVAL 12 MONTH THEN '6_mois_1_an'
                 ELSE '1_an_plus' END] AS colonnes
    FROM p
),
cellules AS (
    SELECT m.dimension AS dimension, m.modalite AS modalite, unnest(colonnes) AS colonne
    FROM lignes
)
SELECT dimension, modalite, colonne, count(*) AS n FROM cellules GROUP BY ALL ORDER BY ALL
