-- Stock indicators of the PECGM files of $departement, for each month from $debut to $fin
-- (first days; one month when they are equal). One row per (mois, indicateur, code) with
-- its count `n` and its share `part` over that month's stock_total, the one denominator of
-- this family (cer_notifie_share, contact_90j_share, cat_1_3_share: the `part` of their
-- row). A month without a file has its four totals (0, shares NULL) and no distribution.
-- $communes: the communes of the chosen territoire (macro dans_territoire, on the commune of
-- residence of the record), NULL for the whole département.
WITH stock AS (
    SELECT * FROM pecgm_stock
    WHERE departement = $departement AND mois BETWEEN CAST($debut AS DATE) AND CAST($fin AS DATE)
      AND dans_territoire($departement, $communes, commune := code_commune_residence)
),
totals AS (  -- every month of the period, with or without its file
    SELECT p.mois,
           count(s.mois) AS stock_total,
           count(s.mois) FILTER (WHERE s.date_notification_cer IS NOT NULL) AS cer_notifie,
           -- categories 1 to 3: job seekers without a job, bound to look for one
           count(s.mois) FILTER (WHERE s.code_categorie IN ('1', '2', '3')) AS cat_1_3,
           count(s.mois) FILTER (WHERE s.date_dernier_contact IS NOT NULL
                                   AND s.date_dernier_contact <= s.date_reference
                                   AND s.date_dernier_contact >= s.date_reference - INTERVAL 90 DAY)
               AS contact_90j
    FROM mois_periode($debut, $fin) p LEFT JOIN stock s ON s.mois = p.mois
    GROUP BY p.mois
),
counts AS (
SELECT mois, 'stock_total' AS indicateur, NULL AS code, stock_total AS n FROM totals
UNION ALL
SELECT mois, 'cer_notifie', NULL, cer_notifie FROM totals
UNION ALL
SELECT mois, 'cat_1_3', NULL, cat_1_3 FROM totals
UNION ALL
SELECT mois, 'contact_90j', NULL, contact_90j FROM totals
UNION ALL
SELECT mois, 'categorie', coalesce(code_categorie, 'non_renseignee'), count(*) FROM stock GROUP BY ALL
UNION ALL
SELECT mois, 'modalite', coalesce(modalite, 'non_renseignee'), count(*) FROM stock GROUP BY ALL
UNION ALL
SELECT mois, 'axe', coalesce(axe_travail, 'non_renseignee'), count(*) FROM stock GROUP BY ALL
UNION ALL
SELECT mois, 'sexe', coalesce(sexe, 'non_renseigne'), count(*) FROM stock GROUP BY ALL
UNION ALL
SELECT mois, 'tranche_age', coalesce(tranche_age(annee_naissance, year(date_reference)), 'non_renseignee'),
       count(*)
FROM stock GROUP BY ALL
UNION ALL
SELECT mois, 'commune', coalesce(code_commune_residence, 'non_renseignee'), count(*) FROM stock GROUP BY ALL
UNION ALL
SELECT mois, 'structure_principale', coalesce(structure_principale_nom, 'non_renseignee'), count(*)
FROM stock GROUP BY ALL
UNION ALL
SELECT mois, 'structure_deleguee', structure_deleguee_nom, count(*)
FROM stock WHERE structure_deleguee_nom IS NOT NULL GROUP BY ALL
)
SELECT c.mois, c.indicateur, c.code, c.n, part(c.n, t.stock_total) AS part
FROM counts c JOIN totals t USING (mois)
