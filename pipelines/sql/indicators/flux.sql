-- Flows of ($departement, $mois).
-- From the LRSA DE lists published for the month when loaded (source = 'lrsa'), else from
-- the PECGM cessation and radiation dates that fall in the month (source = 'pecgm'; PECGM
-- gives no registrations, so inscriptions is then null). Cessations by motif group use the
-- groups of pipelines/nomenclatures/motif_cessation.csv.
-- $communes: the communes of the chosen territoire (macro dans_territoire), NULL for the
-- whole département.
WITH lists AS (
    SELECT liste, motif FROM lrsa_de
    WHERE departement = $departement AND mois = CAST($mois AS DATE)
      AND liste IN ('inscriptions', 'cessations', 'radiations')
      AND dans_territoire($departement, $communes, cle_nir := person_key, cle_pe := pe_key)
),
loaded AS (SELECT DISTINCT liste FROM lists),
pecgm AS (
    SELECT DISTINCT ON (person_key) person_key, date_cessation_ide, motif_cessation_ide, date_radiation
    FROM pecgm_stock
    WHERE departement = $departement
      AND dans_territoire($departement, $communes, commune := code_commune_residence)
      AND (date_trunc('month', date_cessation_ide) = CAST($mois AS DATE)
           OR date_trunc('month', date_radiation) = CAST($mois AS DATE))
    ORDER BY person_key, mois DESC
),
events AS (
    SELECT 'lrsa' AS origine, liste, motif FROM lists
    UNION ALL
    SELECT 'pecgm', 'cessations', motif_cessation_ide FROM pecgm
    WHERE date_trunc('month', date_cessation_ide) = CAST($mois AS DATE)
      AND 'cessations' NOT IN (SELECT liste FROM loaded)
    UNION ALL
    SELECT 'pecgm', 'radiations', NULL FROM pecgm
    WHERE date_trunc('month', date_radiation) = CAST($mois AS DATE)
      AND 'radiations' NOT IN (SELECT liste FROM loaded)
)
SELECT liste AS indicateur, origine AS code, count(*) AS n FROM events GROUP BY ALL
UNION ALL
SELECT 'cessations_motif', coalesce(n.groupe, 'autres'), count(*)
FROM events e
LEFT JOIN nomenclature n ON n.nom = 'motif_cessation' AND n.code = e.motif
WHERE e.liste = 'cessations'
GROUP BY ALL
