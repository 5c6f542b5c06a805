-- Registration category (m_categ_inscription_code of contrat-usager v2: 1-8, F, G) of the persons registered
-- (statutDE Inscrit) in the latest collection of $departement on or before the end of
-- $mois; without a category: non_renseignee.
-- $communes: the communes of the chosen territoire (macro dans_territoire), NULL for the
-- whole département.
WITH collecte AS (
    SELECT * FROM ft_derniere_collecte($departement, last_day(CAST($mois AS DATE)))
    WHERE dans_territoire($departement, $communes, cle_nir := person_key)
)
SELECT coalesce(categorie, 'non_renseignee') AS code, count(*) AS personnes
FROM collecte
WHERE code_retour = 'S001' AND statut_de = 'Inscrit'
GROUP BY ALL
ORDER BY code
