-- Time to contract of the orientation cohorte ($departement, $mois). Cohorte: persons whose
-- first orientation decision is in $mois (one row per person and cohorte). Contract date:
-- the earliest of the parcours date_contrat_engagement and the PECGM DATE NOTIFICATION PPAE
-- VALANT CER of the same person that is on or after the orientation date. A person is the
-- same across sources through the NIR key, the identifiant PE key or the identifiant RSA
-- key (macro contrat_par_cle).
-- $communes: the communes of the chosen territoire (macro portee_cles), NULL for the
-- whole département.
-- Maturity (CTE maturite): the 30-day and 60-day shares are provisional while their own
-- window after the month's last day has not closed at the data date; the delay quantiles
-- while the 60-day (longest) window has not. Shares part_30j, part_60j: over the cohorte.
WITH maturite AS MATERIALIZED (  -- data date of the family and maturity of each threshold (migration 0013)
    SELECT d AS date_donnees,
           provisoire($mois, 30, d) AS provisoire_30j,
           provisoire($mois, 60, d) AS provisoire_60j
    FROM (SELECT date_donnees($departement, ['pecgm', 'orientation', 'parcours']) AS d)
),
cohorte AS (  -- migration 0018, shared with familles_grille.sql
    SELECT * FROM cohorte_orientation($departement, $mois, $mois, [{'territoire': NULL, 'communes': $communes}])
),
candidates AS (  -- the contracts of each cohorte person, by any of its keys
    SELECT c.person_key, k.date_contrat AS d
    FROM (SELECT person_key, unnest(cles_personne(person_key, pe_key, rsa_key)) AS cle FROM cohorte) c
    JOIN contrat_par_cle($departement) k USING (cle)
),
delays AS (
    SELECT c.person_key, c.type_parcours, c.sexe, c.tranche,
           min(k.d) FILTER (WHERE k.d >= c.oriente) - c.oriente AS jours
    FROM cohorte c LEFT JOIN candidates k USING (person_key)
    GROUP BY c.person_key, c.type_parcours, c.sexe, c.tranche, c.oriente
)
SELECT CASE WHEN grouping(type_parcours) = 0 THEN 'parcours:' || coalesce(type_parcours, 'non_renseigne')
            WHEN grouping(sexe) = 0 THEN 'sexe:' || coalesce(sexe, 'non_renseigne')
            WHEN grouping(tranche) = 0 THEN 'age:' || coalesce(tranche, 'non_renseignee')
            ELSE 'ensemble' END AS groupe,
       count(*) AS orientes,
       count(jours) AS contractes,
       quantile_disc(jours, 0.5) AS mediane,
       quantile_disc(jours, 0.25) AS p25,
       quantile_disc(jours, 0.75) AS p75,
       count(*) FILTER (WHERE jours <= 30) AS dans_30j,
       count(*) FILTER (WHERE jours <= 60) AS dans_60j,
       part(count(*) FILTER (WHERE jours <= 30), count(*)) AS part_30j,
       part(count(*) FILTER (WHERE jours <= 60), count(*)) AS part_60j,
       (SELECT date_donnees FROM maturite) AS date_donnees,
       (SELECT provisoire_30j FROM maturite) AS provisoire_30j,
       (SELECT provisoire_60j FROM maturite) AS provisoire_60j
FROM delays
GROUP BY GROUPING SETS ((), (type_parcours), (sexe), (tranche))
ORDER BY groupe
