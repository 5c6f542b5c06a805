-- First-appointment delay of the orientation cohorte ($departement, $mois):
-- delai_premier_rdv_jours. Parcours persons whose orientation is in the month; delay to
-- their first accompaniment appointment on or after it.
-- $communes: the communes of the chosen territoire (macro dans_territoire), NULL for the
-- whole département.
WITH cohorte AS (
    SELECT rsa_key, min(date_orientation) AS oriente
    FROM parcours_personne
    WHERE departement = $departement AND date_trunc('month', date_orientation) = CAST($mois AS DATE)
      AND dans_territoire($departement, $communes, cle_rsa := rsa_key)
    GROUP BY rsa_key
),
delays AS (
    SELECT c.rsa_key, min(r.date_rdv) FILTER (WHERE r.date_rdv >= c.oriente) - c.oriente AS jours
    FROM cohorte c LEFT JOIN parcours_rdv r ON r.departement = $departement AND r.rsa_key = c.rsa_key
    GROUP BY c.rsa_key, c.oriente
)
SELECT count(*) AS orientes, count(jours) AS avec_rdv,
       quantile_disc(jours, 0.5) AS mediane, quantile_disc(jours, 0.25) AS p25,
       quantile_disc(jours, 0.75) AS p75
FROM delays
