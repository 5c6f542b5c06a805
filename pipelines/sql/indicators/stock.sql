-- Stock indicators of the PECGM file of ($departement, $mois): shared/spec/indicators.md,
-- "Stock of RSA job seekers". One row per (indicateur, code) with its count; shares are
-- computed by the caller over stock_total, the one denominator of this family.
-- $communes: the communes of the chosen territory, NULL for the whole département.
WITH stock AS (
    SELECT * FROM pecgm_stock WHERE departement = $departement AND mois = CAST($mois AS DATE)
      AND (CAST($communes AS VARCHAR[]) IS NULL OR list_contains(CAST($communes AS VARCHAR[]), code_commune_residence))
)
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
