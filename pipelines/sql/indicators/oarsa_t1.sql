-- OARSA table 1 ($departement, $annee): the persons soumis aux droits et devoirs (SDD) at
-- 31/12 of the year, oriented or not at that date, by DREES category of their organisme
-- référent; in total and by sexe, age, seniority in the RSA and family situation.
-- Population and orientation: macros oarsa_sdd / oarsa_orientation (migration 0017);
-- $regle: 'drees' (open right not suspended, ETATDOSRSA 2) or 'avec_suspendus' (2, 3, 4).
-- Rows (dimension, modalite, colonne, n); dimension 'non_classe' lists the organismes the
-- département has not classified (modalite = the name), with the persons oriented to them.
-- $communes: the communes of a territoire, NULL for the whole département.
WITH p AS (
    SELECT * FROM oarsa_orientation($departement, $communes,
                                    make_date(CAST($annee AS INTEGER), 12, 31), $regle)
),
lignes AS (
    SELECT unnest(oarsa_modalites(b_sexe, b_age, b_anciennete, b_sitfam)) AS m,
           list_filter(['sdd',
                        CASE WHEN date_orientation IS NULL THEN 'non_orientes' ELSE 'orientes' END,
                        CASE WHEN categorie = 'france_travail' THEN 'orientes_ft'
                             WHEN date_orientation IS NOT NULL THEN 'orientes_hors_ft' END,
                        CASE WHEN categorie <> 'france_travail' AND cote = 'spe'
                             THEN 'orientes_spe_hors_ft'
                             WHEN cote = 'hors_spe' THEN 'orientes_hors_spe' END,
                        categorie], lambda c: c IS NOT NULL) AS colonnes
    FROM p
),
cellules AS (
    SELECT m.dimension AS dimension, m.modalite AS modalite, unnest(colonnes) AS colonne
    FROM lignes
)
SELECT dimension, modalite, colonne, count(*) AS n FROM cellules GROUP BY ALL
UNION ALL
SELECT 'non_classe', coalesce(organisme_referent, '(organisme non renseigné)'), 'orientes',
       count(*)
FROM p WHERE categorie = 'non_classe' GROUP BY ALL
ORDER BY ALL
