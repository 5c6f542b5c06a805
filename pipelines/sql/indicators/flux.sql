-- Flows of $departement, for each month from $debut to $fin (first days; one month when
-- they are equal).
-- From the LRSA DE lists published for the month when loaded (source = 'lrsa'), else from
-- the PECGM cessation and radiation dates that fall in the month (source = 'pecgm'; PECGM
-- gives no registrations, so inscriptions is then null). Cessations by motif group use the
-- groups of pipelines/nomenclatures/motif_cessation.csv.
-- One row per (mois, indicateur, code) with its count; a month without any flow has none.
-- $communes: the communes of the chosen territoire (macro portee_cles), NULL for the
-- whole département.
WITH events AS (  -- macro flux_evenements (migration 0018), shared with familles_grille.sql
    SELECT mois, origine, liste, motif FROM flux_evenements($departement, $debut, $fin, [{'territoire': NULL, 'communes': $communes}])
)
SELECT mois, liste AS indicateur, origine AS code, count(*) AS n FROM events GROUP BY ALL
UNION ALL
SELECT e.mois, 'cessations_motif', coalesce(n.groupe, 'autres'), count(*)
FROM events e
LEFT JOIN nomenclature n ON n.nom = 'motif_cessation' AND n.code = e.motif
WHERE e.liste = 'cessations'
GROUP BY ALL
