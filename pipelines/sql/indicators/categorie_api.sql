-- Registration category (categInscriptionCode of Statut usager) of the persons registered
-- (statutDE Inscrit) in the latest collection of $departement on or before the end of
-- $mois; without a category: non_renseignee.
-- $communes: the communes of the chosen territory, NULL for the whole département.
WITH collecte AS (
    SELECT * FROM ft_derniere_collecte($departement, last_day(CAST($mois AS DATE)))
    WHERE CAST($communes AS VARCHAR[]) IS NULL OR person_key IN (
        SELECT person_key FROM commune_personne
        WHERE departement = $departement AND list_contains(CAST($communes AS VARCHAR[]), code_commune))
)
SELECT coalesce(categorie, 'non_renseignee') AS code, count(*) AS personnes
FROM collecte
WHERE code_retour = 'S001' AND statut_de = 'Inscrit'
GROUP BY ALL
ORDER BY code
