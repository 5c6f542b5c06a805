-- Funnel of an analyst-defined cohort of $departement: shared/spec/indicators.md (the
-- orientation, time-to-contract and flows definitions, applied to one cohort).
-- Cohort: persons whose RSA entry ($base = 'entree') or first orientation ($base =
-- 'orientation') falls between $mois_debut and $mois_fin; the entrants come from the view
-- `entrant` (CAF/MSA flux when loaded, else the sources), oriented or not, optionally restricted to a
-- parcours type, age band (age in years at the start of the cohort period), sex, commune
-- (PECGM residence, else parcours), the sidebar's territory ($communes, a list) and PECGM
-- modality (latest file). NULL = no restriction.
-- Steps: entered -> oriented (on or after entry when known) -> first accompaniment
-- appointment after orientation -> contract (as contrat.sql) -> return to work (PECGM
-- cessation of the reprise_emploi group after orientation).
WITH liees AS (SELECT * FROM orientation_liee($departement)),
person AS (  -- the population (view entrant, oriented or not) and its first orientation
    SELECT e.person_key, e.pe_key, e.rsa_key, e.entree, min(o.date_orientation) AS oriente,
           arg_min(o.type_parcours, o.date_orientation) AS type_parcours, e.sexe,
           e.annee_naissance, e.code_commune AS commune_flux
    FROM entrant e LEFT JOIN liees o USING (person_key)
    WHERE e.departement = $departement
    GROUP BY ALL
    UNION ALL  -- oriented persons the population does not hold: orientation cohorts only
    SELECT person_key, any_value(pe_key), any_value(rsa_key), NULL, min(date_orientation),
           arg_min(type_parcours, date_orientation), any_value(sexe), any_value(annee_naissance),
           NULL
    FROM orientation
    WHERE departement = $departement
      AND person_key NOT IN (SELECT orientation_key FROM liees)
    GROUP BY person_key
),
pecgm_rows AS (  -- the persons' PECGM records, by NIR key, then by identifiant PE key
    SELECT p.person_key, s.mois, s.code_commune_residence, s.modalite, s.date_cessation_ide,
           s.motif_cessation_ide
    FROM person p JOIN pecgm_stock s ON s.departement = $departement AND s.person_key = p.person_key
    UNION ALL
    SELECT p.person_key, s.mois, s.code_commune_residence, s.modalite, s.date_cessation_ide,
           s.motif_cessation_ide
    FROM person p JOIN pecgm_stock s ON s.departement = $departement AND s.pe_key = p.pe_key
),
pecgm AS (  -- latest PECGM record of each person (commune, modality)
    SELECT person_key, arg_max(code_commune_residence, mois) AS commune,
           arg_max(modalite, mois) AS modalite
    FROM pecgm_rows GROUP BY person_key
),
emplois AS (  -- cessations for a return to work
    SELECT r.person_key, r.date_cessation_ide AS d
    FROM pecgm_rows r
    JOIN nomenclature n ON n.nom = 'motif_cessation' AND n.code = r.motif_cessation_ide
    WHERE n.groupe = 'reprise_emploi' AND r.date_cessation_ide IS NOT NULL
),
cohort AS (
    SELECT p.*, coalesce(g.commune, pp.code_commune, p.commune_flux) AS commune, g.modalite,
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
contract_dates AS (SELECT * FROM date_contrat_personne WHERE departement = $departement),
contracts AS (  -- as in contrat.sql: one equi-join per key
    SELECT f.person_key, k.date_contrat AS d
    FROM filtered f JOIN contract_dates k ON k.person_key = f.person_key
    UNION ALL
    SELECT f.person_key, k.date_contrat FROM filtered f JOIN contract_dates k ON k.pe_key = f.pe_key
    UNION ALL
    SELECT f.person_key, k.date_contrat FROM filtered f JOIN contract_dates k ON k.rsa_key = f.rsa_key
),
steps AS (
    SELECT f.person_key,
           f.oriente IS NOT NULL AND (f.entree IS NULL OR f.oriente >= f.entree) AS oriente,
           f.oriente - f.entree AS delai_orientation,
           (SELECT min(r.date_rdv) FROM parcours_rdv r
             WHERE r.departement = $departement AND r.rsa_key = f.rsa_key
               AND r.date_rdv >= f.oriente) AS premier_rdv,
           (SELECT min(k.d) FROM contracts k
             WHERE k.person_key = f.person_key AND k.d >= f.oriente) AS contrat,
           (SELECT min(e.d) FROM emplois e
             WHERE e.person_key = f.person_key AND e.d >= f.oriente) AS emploi,
           f.oriente AS date_orientation
    FROM filtered f
)
SELECT population_cohortes($departement) AS population,
       count(*) AS entres,
       count(*) FILTER (WHERE oriente) AS orientes,
       count(premier_rdv) AS premier_rdv,
       count(contrat) AS contrat,
       count(emploi) AS reprise_emploi,
       quantile_disc(delai_orientation, 0.5) FILTER (WHERE oriente) AS delai_orientation_median,
       quantile_disc(contrat - date_orientation, 0.5) AS delai_contrat_median
FROM steps
