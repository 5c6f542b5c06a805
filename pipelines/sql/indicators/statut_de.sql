-- DE status at France Travail of the persons of the latest collection of $departement on
-- or before the end of $mois (macro ft_derniere_collecte, migration 0014): one row per
-- statutDE (Identifié, Inscrit, Cessé, Radié; found without a status: non_renseigne) and
-- `non_trouve` for persons France Travail does not know (Recherche usager gave no
-- identifier: S002 or another return code), with the collection's date.
-- $communes: the communes of the chosen territoire (macro dans_territoire), NULL for the
-- whole département.
WITH collecte AS (
    SELECT * FROM ft_derniere_collecte($departement, last_day(CAST($mois AS DATE)))
    WHERE dans_territoire($departement, $communes, cle_nir := person_key)
)
SELECT CASE WHEN code_retour <> 'S001' THEN 'non_trouve' ELSE coalesce(statut_de, 'non_renseigne') END AS code,
       count(*) AS personnes, any_value(date_collecte) AS date_collecte
FROM collecte
GROUP BY ALL
ORDER BY code
