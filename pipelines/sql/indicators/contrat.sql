-- Time to contract of the orientation cohortes of $departement, for each month from $debut
-- to $fin (first days; one month when they are equal). Cohorte of a month: persons whose
-- first orientation decision of the month is in it (one row per person and cohorte).
-- Contract date: the earliest of the parcours date_contrat_engagement and the PECGM DATE
-- NOTIFICATION PPAE VALANT CER of the same person that is on or after the orientation
-- date. A person is the same across sources through the NIR key, the identifiant PE key
-- or the identifiant RSA key (macro contrat_par_cle).
-- $communes: the communes of the chosen territoire (macro portee_cles), NULL for the
-- whole département.
-- Maturity (CTE maturite): the 30-day and 60-day shares are provisional while their own
-- window after the month's last day has not closed at the data date; the delay quantiles
-- while the 60-day (longest) window has not. Shares part_30j, part_60j: over the cohorte.
-- Every month has its 'ensemble' row, an empty cohorte's too (0 oriented, shares NULL).
WITH maturite AS MATERIALIZED (  -- data date of the family and maturity of each threshold (migration 0013)
    SELECT p.mois, d AS date_donnees,
           provisoire(p.mois, 30, d) AS provisoire_30j,
           provisoire(p.mois, 60, d) AS provisoire_60j
    FROM mois_periode($debut, $fin) p,
         (SELECT date_donnees($departement, ['pecgm', 'orientation', 'parcours']) AS d)
),
cohorte AS (  -- migration 0018, shared with familles_grille.sql
    SELECT * FROM cohorte_orientation($departement, $debut, $fin, [{'territoire': NULL, 'communes': $communes}])
),
candidates AS (  -- the contracts of each cohorte person, by any of its keys
    SELECT c.mois, c.person_key, k.date_contrat AS d
    FROM (SELECT mois, person_key, unnest(cles_personne(person_key, pe_key, rsa_key)) AS cle FROM cohorte) c
    JOIN contrat_par_cle($departement) k USING (cle)
),
delays AS (
    SELECT c.mois, c.person_key, c.type_parcours, c.sexe, c.tranche, TRUE AS present,
           min(k.d) FILTER (WHERE k.d >= c.oriente) - c.oriente AS jours
    FROM cohorte c LEFT JOIN candidates k ON k.mois = c.mois AND k.person_key = c.person_key
    GROUP BY c.mois, c.person_key, c.type_parcours, c.sexe, c.tranche, c.oriente
),
spine AS (  -- every month of the period, an empty cohorte as one row without a person
    SELECT p.mois, d.* EXCLUDE (mois) FROM mois_periode($debut, $fin) p LEFT JOIN delays d ON d.mois = p.mois
),
grouped AS (
    SELECT mois,
           groupe_profil(grouping(type_parcours), grouping(sexe), grouping(tranche),
                         type_parcours, sexe, tranche) AS groupe,
           count(present) AS orientes,
           count(jours) AS contractes,
           quantile_disc(jours, 0.5) AS mediane,
           quantile_disc(jours, 0.25) AS p25,
           quantile_disc(jours, 0.75) AS p75,
           count(*) FILTER (WHERE jours <= 30) AS dans_30j,
           count(*) FILTER (WHERE jours <= 60) AS dans_60j,
           part(count(*) FILTER (WHERE jours <= 30), count(present)) AS part_30j,
           part(count(*) FILTER (WHERE jours <= 60), count(present)) AS part_60j
    FROM spine
    GROUP BY GROUPING SETS ((mois), (mois, type_parcours), (mois, sexe), (mois, tranche))
    HAVING count(present) > 0 OR grouping(type_parcours, sexe, tranche) = 7
)
SELECT g.*, t.date_donnees, t.provisoire_30j, t.provisoire_60j
FROM grouped g JOIN maturite t USING (mois)
ORDER BY mois, groupe
