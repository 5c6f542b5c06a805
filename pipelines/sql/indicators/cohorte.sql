-- Funnel of an analyst-defined cohort of $departement: shared/spec/indicators.md (the
-- orientation, time-to-contract and flows definitions, applied to one cohort).
-- Cohort: persons whose RSA entry ($base = 'entree') or first orientation ($base =
-- 'orientation') falls between $mois_debut and $mois_fin, optionally restricted to a
-- parcours type, age band (age in years at the start of the cohort period), sex, commune
-- (PECGM residence, else parcours), the sidebar's territory ($communes, a list) and PECGM
-- modality (latest file). NULL = no restriction.
-- Steps: entered -> oriented (on or after entry when known) -> first accompaniment
-- appointment after orientation -> contract (as contrat.sql) -> return to work (PECGM
-- cessation of the reprise_emploi group after orientation).
WITH person AS (
    SELECT person_key, any_value(pe_key) AS pe_key, any_value(rsa_key) AS rsa_key,
           min(date_entree_rsa) AS entree, min(date_orientation) AS oriente,
           arg_min(type_parcours, date_orientation) AS type_parcours,
           any_value(sexe) AS sexe, any_value(annee_naissance) AS annee_naissance
    FROM orientation WHERE departement = $departement GROUP BY person_key
    UNION ALL  -- parcours persons not yet oriented: entered, waiting
    SELECT person_key, pe_key, rsa_key, coalesce(date_entree_dispositif, date_ouverture_droits),
           NULL, NULL, sexe, annee_naissance
    FROM parcours_personne WHERE departement = $departement AND date_orientation IS NULL
),
pecgm AS (  -- latest PECGM record of each person (commune, modality), by NIR or PE key
    SELECT p.person_key, arg_max(s.code_commune_residence, s.mois) AS commune,
           arg_max(s.modalite, s.mois) AS modalite
    FROM person p JOIN pecgm_stock s
      ON s.departement = $departement AND (s.person_key = p.person_key OR s.pe_key = p.pe_key)
    GROUP BY p.person_key
),
cohort AS (
    SELECT p.*, coalesce(g.commune, pp.code_commune) AS commune, g.modalite,
           year(CAST($mois_debut AS DATE)) - p.annee_naissance AS age
    FROM person p
    LEFT JOIN pecgm g USING (person_key)
    LEFT JOIN (SELECT rsa_key, any_value(code_commune) AS code_commune FROM parcours_personne
               WHERE departement = $departement GROUP BY rsa_key) pp ON pp.rsa_key = p.rsa_key
    WHERE date_trunc('month', CASE WHEN $base = 'entree' THEN p.entree ELSE p.oriente END)
          BETWEEN CAST($mois_debut AS DATE) AND CAST($mois_fin AS DATE)
),
filtered AS (
    SELECT * FROM cohort
    WHERE ($parcours IS NULL OR type_parcours = $parcours)
      AND ($sexe IS NULL OR sexe = $sexe)
      AND ($commune IS NULL OR commune = $commune)
      AND (CAST($communes AS VARCHAR[]) IS NULL OR list_contains(CAST($communes AS VARCHAR[]), commune))
      AND ($modalite IS NULL OR modalite = $modalite)
      AND ($tranche_age IS NULL OR CASE WHEN age < 25 THEN 'moins_25'
                                        WHEN age < 35 THEN '25_34'
                                        WHEN age < 45 THEN '35_44'
                                        WHEN age < 55 THEN '45_54'
                                        ELSE '55_plus' END = $tranche_age)
),
steps AS (
    SELECT f.person_key,
           f.oriente IS NOT NULL AND (f.entree IS NULL OR f.oriente >= f.entree) AS oriente,
           f.oriente - f.entree AS delai_orientation,
           (SELECT min(r.date_rdv) FROM parcours_rdv r
             WHERE r.departement = $departement AND r.rsa_key = f.rsa_key
               AND r.date_rdv >= f.oriente) AS premier_rdv,
           least(
             (SELECT min(s.date_notification_cer) FROM pecgm_stock s
               WHERE s.departement = $departement
                 AND (s.person_key = f.person_key OR s.pe_key = f.pe_key)
                 AND s.date_notification_cer >= f.oriente),
             (SELECT min(pp.date_contrat_engagement) FROM parcours_personne pp
               WHERE pp.departement = $departement
                 AND (pp.rsa_key = f.rsa_key OR pp.pe_key = f.pe_key)
                 AND pp.date_contrat_engagement >= f.oriente)) AS contrat,
           (SELECT min(s.date_cessation_ide) FROM pecgm_stock s
              JOIN nomenclature n ON n.nom = 'motif_cessation' AND n.code = s.motif_cessation_ide
             WHERE s.departement = $departement
               AND (s.person_key = f.person_key OR s.pe_key = f.pe_key)
               AND n.groupe = 'reprise_emploi' AND s.date_cessation_ide >= f.oriente) AS emploi,
           f.oriente AS date_orientation
    FROM filtered f
)
SELECT count(*) AS entres,
       count(*) FILTER (WHERE oriente) AS orientes,
       count(premier_rdv) AS premier_rdv,
       count(contrat) AS contrat,
       count(emploi) AS reprise_emploi,
       quantile_disc(delai_orientation, 0.5) FILTER (WHERE oriente) AS delai_orientation_median,
       quantile_disc(contrat - date_orientation, 0.5) AS delai_contrat_median
FROM steps
