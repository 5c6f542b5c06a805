-- Stock indicators of the PECGM file of ($departement, $mois). One row per (indicateur,
-- code) with its count `n` and its share `part` over stock_total, the one denominator of
-- this family (cer_notifie_share, contact_90j_share, cat_1_3_share: the `part` of their row).
-- $communes: the communes of the chosen territoire (macro dans_territoire, on the commune of
-- residence of the record), NULL for the whole département.
WITH stock AS (
    SELECT * FROM pecgm_stock WHERE departement = $departement AND mois = CAST($mois AS DATE)
      AND dans_territoire($departement, $communes, commune := code_commune_residence)
),
counts AS (
SELECT 'stock_total' AS indicateur, NULL AS code, count(*) AS n FROM stock
UNION ALL
SELECT 'categorie', coalesce(code_categorie, 'non_renseignee'), count(*) FROM stock GROUP BY ALL
UNION ALL
SELECT 'modalite', coalesce(modalite, 'non_renseignee'), count(*) FROM stock GROUP BY ALL
UNION ALL
SELECT 'axe', coalesce(axe_travail, 'non_renseignee'), count(*) FROM stock GROUP BY ALL
UNION ALL
SELECT 'sexe', coalesce(sexe, 'non_renseigne'), count(*) FROM stock GROUP BY ALL
UNION ALL
SELECT 'tranche_age', coalesce(tranche_age(annee_naissance, year(date_reference)), 'non_renseignee'),
       count(*)
FROM stock GROUP BY ALL
UNION ALL
SELECT 'commune', coalesce(code_commune_residence, 'non_renseignee'), count(*) FROM stock GROUP BY ALL
UNION ALL
SELECT 'cer_notifie', NULL, count(*) FILTER (WHERE date_notification_cer IS NOT NULL) FROM stock
UNION ALL  -- categories 1 to 3: job seekers without a job, bound to look for one
SELECT 'cat_1_3', NULL, count(*) FILTER (WHERE code_categorie IN ('1', '2', '3')) FROM stock
UNION ALL
SELECT 'contact_90j', NULL,
       count(*) FILTER (WHERE date_dernier_contact IS NOT NULL
                          AND date_dernier_contact <= date_reference
                          AND date_dernier_contact >= date_reference - INTERVAL 90 DAY)
FROM stock
UNION ALL
SELECT 'structure_principale', coalesce(structure_principale_nom, 'non_renseignee'), count(*)
FROM stock GROUP BY ALL
UNION ALL
SELECT 'structure_deleguee', structure_deleguee_nom, count(*)
FROM stock WHERE structure_deleguee_nom IS NOT NULL GROUP BY ALL
)
SELECT indicateur, code, n, part(n, (SELECT count(*) FROM stock)) AS part FROM counts
