-- DE status at France Travail of the persons of the latest collection of $departement on
-- or before the end of $mois (macro ft_derniere_collecte, migration 0014): one row per
-- m_statut of contrat-usager v2 (Inscrit, Cessé, Radié, Non inscrit…; found without a
-- contract: non_renseigne), `non_trouve` for persons Rechercher usager does not know
-- (S002), and, counted apart because nothing is collected for them, `homonymes` (S003)
-- and `identite_non_certifiee` (topIdentiteCertifiee not « O »), with the collection's date.
-- $communes: the communes of the chosen territoire (macro dans_territoire), NULL for the
-- whole département.
WITH collecte AS (
    SELECT * FROM ft_derniere_collecte($departement, last_day(CAST($mois AS DATE)))
    WHERE dans_territoire($departement, $communes, cle_nir := person_key)
)
SELECT CASE WHEN code_retour = 'S003' THEN 'homonymes'
            WHEN code_retour <> 'S001' THEN 'non_trouve'
            WHEN identite_certifiee = false THEN 'identite_non_certifiee'
            ELSE coalesce(statut_de, 'non_renseigne') END AS code,
       count(*) AS personnes, any_value(date_collecte) AS date_collecte
FROM collecte
GROUP BY ALL
ORDER BY code
