-- OARSA table 2 ($departement, $annee): among the SDD oriented at 31/12, those oriented to
-- France Travail who are registered there that day (in the PECGM file of December, or
-- « Inscrit » in France Travail's latest collection on or before 31/12), and those
-- oriented elsewhere with a contract (CER, contrat d'engagement) in force at 31/12, by
-- DREES category. Webrsa counts every person oriented to France Travail as registered:
-- here `orientes_ft` (all of them) and `ft_inscrits` (the registered) are both given.
-- Rows (dimension, modalite, colonne, n) as oarsa_t1.
WITH p AS (
    SELECT * FROM oarsa_orientation($departement, $communes,
                                    make_date(CAST($annee AS INTEGER), 12, 31), $regle)
    WHERE date_orientation IS NOT NULL
),
pecgm AS (
    SELECT person_key, pe_key FROM pecgm_stock
    WHERE departement = $departement AND mois = make_date(CAST($annee AS INTEGER), 12, 1)
),
api AS (
    SELECT person_key FROM ft_derniere_collecte($departement,
                                                make_date(CAST($annee AS INTEGER), 12, 31))
    WHERE statut_de = 'Inscrit'
),
contrat AS (
    SELECT person_key FROM oarsa_contrat($departement, $communes,
                                         make_date(CAST($annee AS INTEGER), 12, 31), $regle)
),
marques AS (
    SELECT p.*,
           p.person_key IN (SELECT person_key FROM pecgm)
           OR coalesce(p.pe_key IN (SELECT pe_key FROM pecgm), false)
           OR p.person_key IN (SELECT person_key FROM api) AS inscrit,
           p.person_key IN (SELECT person_key FROM contrat) AS avec_contrat
    FROM p
),
lignes AS (
    SELECT unnest(oarsa_modalites(b_sexe, b_age, b_anciennete, b_sitfam)) AS m,
           CASE WHEN categorie = 'france_travail'
                THEN list_filter(['orientes_ft', CASE WHEN inscrit THEN 'ft_inscrits' END],
                                 lambda c: c IS NOT NULL)
                ELSE list_filter(['orientes_hors_ft',
                                  CASE WHEN avec_contrat THEN 'contrat' END,
                                  CASE WHEN avec_contrat AND cote = 'spe' THEN 'contrat_spe'
                                       WHEN avec_contrat AND cote = 'hors_spe'
                                       THEN 'contrat_hors_spe' END,
                                  CASE WHEN avec_contrat THEN categorie END],
                                 lambda c: c IS NOT NULL) END AS colonnes
    FROM marques
),
cellules AS (
    SELECT m.dimension AS dimension, m.modalite AS modalite, unnest(colonnes) AS colonne
    FROM lignes
)
SELECT dimension, modalite, colonne, count(*) AS n FROM cellules GROUP BY ALL ORDER BY ALL
