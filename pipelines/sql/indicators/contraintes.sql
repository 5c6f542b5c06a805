-- Peripheral obstacles (freins périphériques) of the persons of the latest collection of
-- $departement on or before the end of $mois: per thématique of the diagnostic argumenté
-- (codes 23 to 29 named by their key in nomenclatures/thematique_contrainte.csv: mobilite,
-- famille, sante, savoirs_de_base, logement, finances, administratif; an unlisted code keeps
-- its code), the persons whose value is `OUI`, over the persons with a diagnostic (at least
-- one thématique returned); overall (`ensemble`) and by parcours type of the person's
-- latest orientation on or before the end of $mois (`parcours:<type>`, none known:
-- `parcours:non_renseigne`). Rows: (groupe, thematique, personnes); thematique NULL is
-- the group's population with a diagnostic, the denominator of each thématique's `part`.
-- $communes: the communes of the chosen territoire (macro dans_territoire), NULL for the
-- whole département.
WITH collecte AS (
    SELECT * FROM ft_derniere_collecte($departement, last_day(CAST($mois AS DATE)))
    WHERE code_retour = 'S001' AND dans_territoire($departement, $communes, cle_nir := person_key)
),
parcours AS (
    SELECT person_key, arg_max(type_parcours, date_orientation) AS type_parcours
    FROM orientation
    WHERE departement = $departement AND date_orientation <= last_day(CAST($mois AS DATE))
    GROUP BY person_key
),
personne AS (  -- one row per person with a diagnostic, and whether each thématique is OUI
    SELECT c.person_key, coalesce(p.type_parcours, 'non_renseigne') AS type_parcours,
           coalesce(n.groupe, t.thematique) AS thematique,
           bool_or(coalesce(t.valeur = 'OUI', t.contrainte)) AS oui
    FROM collecte c
    JOIN ft_contrainte t ON t.load_id = c.load_id AND t.person_key = c.person_key
    LEFT JOIN nomenclature n ON n.nom = 'thematique_contrainte' AND n.code = t.thematique
    LEFT JOIN parcours p ON p.person_key = c.person_key
    GROUP BY ALL
),
counts AS (
    SELECT coalesce('parcours:' || type_parcours, 'ensemble') AS groupe, NULL AS thematique,
           count(DISTINCT person_key) AS personnes
    FROM personne
    GROUP BY GROUPING SETS ((), (type_parcours))
    UNION ALL
    SELECT coalesce('parcours:' || type_parcours, 'ensemble'), thematique, count(*) FILTER (WHERE oui)
    FROM personne
    GROUP BY GROUPING SETS ((thematique), (type_parcours, thematique))
)
SELECT groupe, thematique, personnes,
       CASE WHEN thematique IS NOT NULL THEN part(personnes, max(personnes) FILTER (WHERE thematique IS NULL)
                                                            OVER (PARTITION BY groupe)) END AS part
FROM counts
ORDER BY groupe, thematique NULLS FIRST
