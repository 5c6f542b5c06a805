-- DREES OARSA share oriented at the end of each month of $departement from $debut to $fin
-- (first days; one month when they are equal): part_orientes. Persons in RSA at the end
-- of the month with an orientation dated on or before it, over all of them, by time since
-- entry (< 6 months, 6–12 months, 12 months or more). Persons not yet oriented stay in the
-- denominator.
-- Population 'caf_msa' (a CAF/MSA flux of the département is loaded): the persons soumis aux
-- droits et devoirs of a household whose right is open (ETATDOSRSA 2, 3, 4) in its state at
-- the end of the month (`caf_etat`: the flux of that month, not the latest one), entry =
-- DTDEMRSA; their orientations matched by `orientation_liee`. Population 'sources': the
-- parcours persons whose entry is on or before the last day of the month.
-- $communes: the communes of the chosen territoire (macro dans_territoire), NULL for the
-- whole département.
-- Every month has its 'ensemble' row, an empty population's too (0 persons, share NULL).
WITH fin AS (SELECT mois, last_day(mois) AS d FROM mois_periode($debut, $fin)),
caf AS (  -- population caf_msa: the state of the households at the end of each month
    SELECT f.mois, e.person_key, min(e.date_demande_rsa) AS entree
    FROM fin f, LATERAL (SELECT * FROM caf_etat(f.d)) e
    WHERE e.departement = $departement AND e.soumis_droits_devoirs
      AND e.etat_dossier IN ('2', '3', '4') AND e.date_demande_rsa IS NOT NULL
      AND dans_territoire($departement, $communes, commune := e.code_commune,
                          cle_nir := e.person_key, cle_pe := e.pe_key)
    GROUP BY f.mois, e.person_key
),
caf_orientes AS (
    SELECT c.mois, c.person_key, c.entree, min(o.date_orientation) AS oriente
    FROM caf c JOIN fin f USING (mois)
    LEFT JOIN orientation_liee($departement) o
      ON o.person_key = c.person_key AND o.date_orientation <= f.d
    GROUP BY ALL
),
parcours AS (  -- population sources
    SELECT rsa_key,
           min(coalesce(date_entree_dispositif, date_ouverture_droits)) AS entree,
           min(date_orientation) AS oriente
    FROM parcours_personne
    WHERE departement = $departement AND population_cohortes($departement) = 'sources'
      AND dans_territoire($departement, $communes, cle_rsa := rsa_key)
    GROUP BY rsa_key
),
persons AS (
    SELECT mois, entree, oriente FROM caf_orientes
    UNION ALL
    SELECT f.mois, p.entree, p.oriente FROM parcours p, fin f
),
banded AS (  -- every month of the period, an empty population as one row without a person
    SELECT f.mois, p.entree IS NOT NULL AS present,
           CASE WHEN p.entree > f.d - INTERVAL 6 MONTH THEN 'moins_6_mois'
                WHEN p.entree > f.d - INTERVAL 12 MONTH THEN '6_12_mois'
                ELSE '12_mois_et_plus' END AS anciennete,
           p.oriente IS NOT NULL AND p.oriente <= f.d AS oriente
    FROM fin f LEFT JOIN persons p ON p.mois = f.mois AND p.entree <= f.d
)
SELECT mois, coalesce(anciennete, 'ensemble') AS groupe,
       count(*) FILTER (WHERE present) AS personnes,
       count(*) FILTER (WHERE present AND oriente) AS orientes,
       part(count(*) FILTER (WHERE present AND oriente), count(*) FILTER (WHERE present)) AS part,
       population_cohortes($departement) AS population
FROM banded
GROUP BY GROUPING SETS ((mois), (mois, anciennete))
HAVING count(*) FILTER (WHERE present) > 0 OR grouping(anciennete) = 1
ORDER BY mois, groupe
