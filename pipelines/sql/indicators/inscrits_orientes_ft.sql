-- Persons oriented to France Travail (latest orientation on or before the end of $mois of
-- NATURE DE L'ACCOMPAGNEMENT 05, droit commun, or 06, accompagnement global) and whether
-- the latest collection of $departement on or before that day finds them registered
-- (statutDE Inscrit). `orientes`: all of them; `collectes`: those the collection asked
-- about (found or not); `inscrits`: registered. The share is inscrits / collectes: a
-- person not asked is unknown, not unregistered. Overall and per nature (05, 06).
-- $communes: the communes of the chosen territoire (macro dans_territoire), NULL for the
-- whole département.
WITH fin AS (SELECT last_day(CAST($mois AS DATE)) AS d),
orientes AS (
    SELECT person_key, arg_max(nature_accompagnement, date_orientation) AS nature
    FROM orientation, fin
    WHERE departement = $departement AND date_orientation <= fin.d
      AND dans_territoire($departement, $communes, cle_nir := person_key)
    GROUP BY person_key
    HAVING arg_max(nature_accompagnement, date_orientation) IN ('05', '06')
),
collecte AS (  -- homonyms and uncertified identities are unknown, not unregistered
    SELECT * FROM ft_derniere_collecte($departement, last_day(CAST($mois AS DATE)))
    WHERE code_retour <> 'S003' AND coalesce(identite_certifiee, true)
)
SELECT coalesce(o.nature, 'ensemble') AS groupe,
       count(*) AS orientes,
       count(c.person_key) AS collectes,
       count(*) FILTER (WHERE c.code_retour = 'S001' AND c.statut_de = 'Inscrit') AS inscrits,
       part(count(*) FILTER (WHERE c.code_retour = 'S001' AND c.statut_de = 'Inscrit'),
            count(c.person_key)) AS part_inscrits
FROM orientes o
LEFT JOIN collecte c ON c.person_key = o.person_key
GROUP BY GROUPING SETS ((), (o.nature))
ORDER BY groupe
