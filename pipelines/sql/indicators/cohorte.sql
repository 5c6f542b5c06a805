-- Funnel of an analyst-defined cohorte of $departement (the orientation, time-to-contract
-- and flows definitions, applied to one cohorte).
-- Cohorte: persons whose RSA entry ($base = 'entree') or first orientation ($base =
-- 'orientation') falls between $mois_debut and $mois_fin, optionally restricted to a
-- parcours type, age band (age in years at the start of the cohorte period), sex, commune
-- (PECGM residence, else parcours), the sidebar's territoire ($communes, a list) and PECGM
-- modality (latest file). NULL = no restriction.
-- Steps: entered -> oriented (on or after entry when known) -> first accompaniment
-- appointment after orientation -> contract (as contrat.sql) -> return to work (PECGM
-- cessation of the reprise_emploi group after orientation).
-- Equal follow-up ($horizon days, NULL = none): each step counts the events within
-- $horizon days of the cohorte's start event (entry for $base = 'entree', orientation for
-- 'orientation'); a cohorte whose last month has not had $horizon days by the data date is
-- provisional, or its months still short of the horizon are left out ($immatures =
-- 'exclure'). The CTE chain ends with `durations` (time to orientation and to contract,
-- censored at the data date) for the Kaplan–Meier curves: indicators.cohorte_courbes takes
-- the text above the line `-- entonnoir` and appends kaplan_meier.sql.
-- Entrants come from the view `entrant` (the CAF/MSA flux when one is loaded, else the
-- sources), oriented or not; orientations are matched by `orientation_liee`.
WITH maturite AS MATERIALIZED (  -- data date of the cohorte explorer (migration 0013)
    SELECT date_donnees($departement, ['pecgm', 'orientation', 'parcours', 'caf_msa']) AS date_donnees
),
liees AS (SELECT * FROM orientation_liee($departement)),
person AS (  -- the population (view entrant, oriented or not) and its first orientation
    SELECT e.person_key, e.pe_key, e.rsa_key, e.entree, min(o.date_orientation) AS oriente,
           arg_min(o.type_parcours, o.date_orientation) AS type_parcours, e.sexe,
           e.annee_naissance, e.code_commune AS commune_flux
    FROM entrant e LEFT JOIN liees o USING (person_key)
    WHERE e.departement = $departement
    GROUP BY ALL
    UNION ALL  -- oriented persons the population does not hold: orientation cohortes only
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
cohorte AS (
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
    SELECT * FROM cohorte
    WHERE ($parcours IS NULL OR type_parcours = $parcours)
      AND ($sexe IS NULL OR sexe = $sexe)
      AND ($commune IS NULL OR commune = $commune)
      AND dans_territoire($departement, $communes, commune := commune)
      AND ($modalite IS NULL OR modalite = $modalite)
      AND ($tranche_age IS NULL OR CASE WHEN age < 25 THEN 'moins_25'
                                        WHEN age < 35 THEN '25_34'
                                        WHEN age < 45 THEN '35_44'
                                        WHEN age < 55 THEN '45_54'
                                        ELSE '55_plus' END = $tranche_age)
      AND NOT ($immatures = 'exclure' AND $horizon IS NOT NULL
               AND provisoire(CASE WHEN $base = 'entree' THEN entree ELSE oriente END,
                              $horizon, (SELECT date_donnees FROM maturite)))
),
contracts AS (  -- as in contrat.sql: the contracts of each person, by any of its keys
    SELECT f.person_key, k.date_contrat AS d
    FROM (SELECT person_key, unnest(cles_personne(person_key, pe_key, rsa_key)) AS cle FROM filtered) f
    JOIN contrat_par_cle($departement) k USING (cle)
),
steps AS (
    SELECT f.person_key,
           f.oriente IS NOT NULL AND (f.entree IS NULL OR f.oriente >= f.entree) AS oriente,
           (SELECT min(r.date_rdv) FROM parcours_rdv r
             WHERE r.departement = $departement AND r.rsa_key = f.rsa_key
               AND r.date_rdv >= f.oriente) AS premier_rdv,
           (SELECT min(k.d) FROM contracts k
             WHERE k.person_key = f.person_key AND k.d >= f.oriente) AS contrat,
           (SELECT min(e.d) FROM emplois e
             WHERE e.person_key = f.person_key AND e.d >= f.oriente) AS emploi,
           f.oriente AS date_orientation,
           f.entree,
           CASE WHEN $base = 'entree' THEN f.entree ELSE f.oriente END AS debut
    FROM filtered f
),
within AS (  -- each step's date kept only when it falls within the horizon
    SELECT s.*,
           CASE WHEN oriente AND ($horizon IS NULL OR date_orientation - debut <= $horizon)
                THEN date_orientation END AS oriente_h,
           CASE WHEN $horizon IS NULL OR premier_rdv - debut <= $horizon THEN premier_rdv END AS premier_rdv_h,
           CASE WHEN $horizon IS NULL OR contrat - debut <= $horizon THEN contrat END AS contrat_h,
           CASE WHEN $horizon IS NULL OR emploi - debut <= $horizon THEN emploi END AS emploi_h
    FROM steps s
),
durations AS (  -- Kaplan–Meier input: 'orientation' from entry, 'contrat' from orientation
    SELECT 'orientation' AS cohorte,
           coalesce(date_orientation, (SELECT date_donnees FROM maturite)) - entree AS t,
           date_orientation IS NOT NULL AS evenement
    FROM steps
    WHERE $base = 'entree' AND entree <= (SELECT date_donnees FROM maturite)
      AND (date_orientation IS NULL OR oriente)  -- oriented before entry: not in the curve
    UNION ALL
    SELECT 'contrat', coalesce(contrat, (SELECT date_donnees FROM maturite)) - date_orientation,
           contrat IS NOT NULL
    FROM steps
    WHERE oriente AND date_orientation <= (SELECT date_donnees FROM maturite)
)
-- entonnoir
SELECT population_cohortes($departement) AS population,
       count(*) AS entres,
       count(oriente_h) AS orientes,
       count(premier_rdv_h) AS premier_rdv,
       count(contrat_h) AS contrat,
       count(emploi_h) AS reprise_emploi,
       quantile_disc(oriente_h - entree, 0.5) AS delai_orientation_median,
       quantile_disc(contrat_h - date_orientation, 0.5) AS delai_contrat_median,
       (SELECT date_donnees FROM maturite) AS date_donnees,
       CASE WHEN $horizon IS NULL THEN NULL
            WHEN $immatures = 'exclure' THEN false
            ELSE provisoire($mois_fin, $horizon, (SELECT date_donnees FROM maturite)) END AS provisoire,
       CASE WHEN $immatures = 'exclure' AND $horizon IS NOT NULL THEN
            (SELECT count(*) FROM range(CAST($mois_debut AS DATE), CAST($mois_fin AS DATE) + INTERVAL 1 MONTH, INTERVAL 1 MONTH) m
             WHERE provisoire(m.range, $horizon, (SELECT date_donnees FROM maturite)))
            ELSE 0 END AS mois_exclus
FROM within
