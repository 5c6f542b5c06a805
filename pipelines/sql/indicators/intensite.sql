-- Intensity of accompaniment in ($departement, $mois). Persons in an active parcours during the month: parcours
-- persons oriented on or before its last day (the files give no end of parcours). Hours:
-- the prestations that start in the month, divided by the month's weeks (days / 7).
-- Appointments: those dated in the month.
-- $communes: the communes of the chosen territoire (macro portee_cles), NULL for the
-- whole département.
WITH month AS (
    SELECT CAST($mois AS DATE) AS debut, last_day(CAST($mois AS DATE)) AS fin,
           (last_day(CAST($mois AS DATE)) - CAST($mois AS DATE) + 1) / 7.0 AS semaines
),
actifs AS (  -- macro parcours_actifs (migration 0018), shared with familles_grille.sql
    SELECT rsa_key, type_parcours, sexe, tranche
    FROM parcours_actifs($departement, $mois, $mois, [{'territoire': NULL, 'communes': $communes}])
),
prestations AS (  -- hours of the prestations starting in the month, per person
    SELECT s.rsa_key, sum(s.heures) AS heures
    FROM parcours_prestation s, month m
    WHERE s.departement = $departement AND s.date_debut BETWEEN m.debut AND m.fin
    GROUP BY s.rsa_key
),
heures AS (
    SELECT a.rsa_key, a.type_parcours, a.sexe, a.tranche,
           coalesce(p.heures, 0) / m.semaines AS hebdo
    FROM actifs a CROSS JOIN month m
    LEFT JOIN prestations p ON p.rsa_key = a.rsa_key
),
rdv AS (
    SELECT count(*) AS n FROM parcours_rdv r, month m
    WHERE r.departement = $departement AND r.date_rdv BETWEEN m.debut AND m.fin
      AND r.rsa_key IN (SELECT rsa_key FROM actifs)
)
SELECT CASE WHEN grouping(type_parcours) = 0 THEN 'parcours:' || coalesce(type_parcours, 'non_renseigne')
            WHEN grouping(sexe) = 0 THEN 'sexe:' || coalesce(sexe, 'non_renseigne')
            WHEN grouping(tranche) = 0 THEN 'age:' || coalesce(tranche, 'non_renseignee')
            ELSE 'ensemble' END AS groupe,
       count(*) AS personnes,
       round(avg(hebdo), 2) AS moyenne,
       round(quantile_disc(hebdo, 0.5), 2) AS mediane,
       count(*) FILTER (WHERE hebdo >= 15) AS a_15h,
       part(count(*) FILTER (WHERE hebdo >= 15), count(*)) AS part_15h,
       CASE WHEN grouping(type_parcours, sexe, tranche) = 7 THEN (SELECT n FROM rdv) END AS rendez_vous,
       CASE WHEN grouping(type_parcours, sexe, tranche) = 7 AND count(*) > 0
            THEN arrondi((SELECT n FROM rdv) / count(*), 2) END AS rdv_par_personne
FROM heures
GROUP BY GROUPING SETS ((), (type_parcours), (sexe), (tranche))
ORDER BY groupe
