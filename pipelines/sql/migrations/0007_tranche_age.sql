-- Age bands of the breakdowns (docs/indicateurs.md: by age band where the data
-- allow). The warehouse keeps the birth year only, so the age is the difference of years
-- at the reference date: one definition for every indicator and the cohorts.
CREATE MACRO tranche_age(annee_naissance, annee) AS
    CASE WHEN annee_naissance IS NULL THEN NULL
         WHEN annee - annee_naissance < 25 THEN 'moins_25'
         WHEN annee - annee_naissance < 35 THEN '25_34'
         WHEN annee - annee_naissance < 45 THEN '35_44'
         WHEN annee - annee_naissance < 55 THEN '45_54'
         ELSE '55_plus' END;
