-- Orientation delay of the entry cohortes of $departement, for each month from $debut to
-- $fin (first days; one month when they are equal): delai_orientation_jours and the shares
-- oriented within the two thresholds (orientes_30j_share, orientes_6sem_share).
-- The cohorte's persons come from the view `entrant` (migration 0012): the CAF/MSA flux's
-- persons soumis aux droits et devoirs when the département has one (population
-- 'caf_msa'), else the persons of the orientation and parcours sources with an entry date
-- ('sources'). Each is counted once, oriented or not; their orientations are matched by
-- `orientation_liee` (NIR, then identifiant PE, then identifiant RSA).
-- A person's delay runs from entry to their first orientation on or after it; an
-- orientation before entry is excluded and counted as an anomaly.
-- Thresholds (CTE seuils): 30 days, and six weeks (42 days, the legal delay to orient);
-- $seuil_1, $seuil_2 replace them when given (NULL: these). Shares over all entrants.
-- $communes: the communes of the chosen territoire (macro portee_cles), NULL for the
-- whole département.
-- Maturity (CTE maturite): each share is provisional while its own window (seuil_1,
-- seuil_2 days after the month's last day) has not closed at the data date; the delay
-- quantiles while the longest window has not.
-- Every month has its 'ensemble' row, an empty cohorte's too (0 entrants, shares NULL).
WITH seuils AS (
    SELECT coalesce(CAST($seuil_1 AS INTEGER), 30) AS seuil_1,
           coalesce(CAST($seuil_2 AS INTEGER), 42) AS seuil_2
),
maturite AS MATERIALIZED (  -- data date of the family and maturity of each threshold (migration 0013)
    SELECT p.mois, d AS date_donnees,
           provisoire(p.mois, seuil_1, d) AS provisoire_seuil_1,
           provisoire(p.mois, seuil_2, d) AS provisoire_seuil_2,
           provisoire(p.mois, greatest(seuil_1, seuil_2), d) AS provisoire_quantiles
    FROM mois_periode($debut, $fin) p,
         (SELECT date_donnees($departement, ['orientation', 'caf_msa']) AS d), seuils
),
cohorte AS (  -- macro cohorte_entree (migration 0018), shared with familles_grille.sql
    SELECT * FROM cohorte_entree($departement, $debut, $fin, [{'territoire': NULL, 'communes': $communes}])
),
delays AS (
    SELECT c.*, TRUE AS present, c.oriente - c.entree AS jours,
           c.oriente - c.entree <= s.seuil_1 AS dans_seuil_1,
           c.oriente - c.entree <= s.seuil_2 AS dans_seuil_2
    FROM cohorte c, seuils s
),
spine AS (  -- every month of the period, an empty cohorte as one row without a person
    SELECT p.mois, d.* EXCLUDE (mois) FROM mois_periode($debut, $fin) p LEFT JOIN delays d ON d.mois = p.mois
),
grouped AS (
    SELECT
        mois,
        groupe_profil(1, grouping(sexe), grouping(tranche), NULL, sexe, tranche) AS groupe,  -- no parcours
        count(present) AS entrants,
        count(oriente) AS orientes,
        quantile_disc(jours, 0.5) AS mediane,
        quantile_disc(jours, 0.25) AS p25,
        quantile_disc(jours, 0.75) AS p75,
        round(avg(jours), 1) AS moyenne,
        count(*) FILTER (WHERE dans_seuil_1) AS dans_seuil_1,
        count(*) FILTER (WHERE dans_seuil_2) AS dans_seuil_2,
        part(count(*) FILTER (WHERE dans_seuil_1), count(present)) AS part_seuil_1,
        part(count(*) FILTER (WHERE dans_seuil_2), count(present)) AS part_seuil_2,
        count(*) FILTER (WHERE avant_entree > 0) AS anomalies_avant_entree
    FROM spine
    GROUP BY GROUPING SETS ((mois), (mois, sexe), (mois, tranche))
    HAVING count(present) > 0 OR grouping(sexe, tranche) = 3
)
SELECT g.*, t.date_donnees, t.provisoire_seuil_1, t.provisoire_seuil_2, t.provisoire_quantiles,
       population_cohortes($departement) AS population
FROM grouped g JOIN maturite t USING (mois)
ORDER BY mois, groupe
