-- Intensity of accompaniment in $departement, for each month from $debut to $fin (first
-- days; one month when they are equal). Persons in an active parcours during a month:
-- parcours persons oriented on or before its last day (the files give no end of parcours).
-- Hours: the prestations that start in the month, divided by the month's weeks (days / 7).
-- Appointments: those dated in the month.
-- $communes: the communes of the chosen territoire (macro portee_cles), NULL for the
-- whole département.
-- Every month has its 'ensemble' row, one without a person in parcours too (0 persons).
WITH month AS (
    SELECT mois AS debut, last_day(mois) AS fin, (last_day(mois) - mois + 1) / 7.0 AS semaines
    FROM mois_periode($debut, $fin)
),
actifs AS (  -- macro parcours_actifs (migration 0018), shared with familles_grille.sql
    SELECT mois, rsa_key, type_parcours, sexe, tranche
    FROM parcours_actifs($departement, $debut, $fin, [{'territoire': NULL, 'communes': $communes}])
),
prestations AS (  -- hours of the prestations starting in the month, per person
    SELECT m.debut AS mois, s.rsa_key, sum(s.heures) AS heures
    FROM parcours_prestation s JOIN month m ON s.date_debut BETWEEN m.debut AND m.fin
    WHERE s.departement = $departement
    GROUP BY m.debut, s.rsa_key
),
heures AS (  -- every month of the period, one without a person as one row without a person
    SELECT m.debut AS mois, a.rsa_key, a.type_parcours, a.sexe, a.tranche,
           a.rsa_key IS NOT NULL AS present,
           CASE WHEN a.rsa_key IS NOT NULL THEN coalesce(p.heures, 0) / m.semaines END AS hebdo
    FROM month m LEFT JOIN actifs a ON a.mois = m.debut
    LEFT JOIN prestations p ON p.mois = a.mois AND p.rsa_key = a.rsa_key
),
rdv AS (  -- the appointments of the month of the persons in parcours that month
    SELECT m.debut AS mois, count(*) AS n
    FROM parcours_rdv r JOIN month m ON r.date_rdv BETWEEN m.debut AND m.fin
    JOIN (SELECT DISTINCT mois, rsa_key FROM actifs) a ON a.mois = m.debut AND a.rsa_key = r.rsa_key
    WHERE r.departement = $departement
    GROUP BY m.debut
),
grouped AS (
    SELECT mois,
           groupe_profil(grouping(type_parcours), grouping(sexe), grouping(tranche),
                         type_parcours, sexe, tranche) AS groupe,
           grouping(type_parcours, sexe, tranche) = 7 AS ensemble,
           count(*) FILTER (WHERE present) AS personnes,
           round(avg(hebdo), 2) AS moyenne,
           round(quantile_disc(hebdo, 0.5), 2) AS mediane,
           count(*) FILTER (WHERE hebdo >= 15) AS a_15h,
           part(count(*) FILTER (WHERE hebdo >= 15), count(*) FILTER (WHERE present)) AS part_15h
    FROM heures
    GROUP BY GROUPING SETS ((mois), (mois, type_parcours), (mois, sexe), (mois, tranche))
    HAVING count(*) FILTER (WHERE present) > 0 OR grouping(type_parcours, sexe, tranche) = 7
)
SELECT g.mois, g.groupe, g.personnes, g.moyenne, g.mediane, g.a_15h, g.part_15h,
       CASE WHEN g.ensemble THEN coalesce(r.n, 0) END AS rendez_vous,
       CASE WHEN g.ensemble AND g.personnes > 0
            THEN arrondi(coalesce(r.n, 0) / g.personnes, 2) END AS rdv_par_personne
FROM grouped g LEFT JOIN rdv r USING (mois)
ORDER BY mois, groupe
