-- DREES OARSA share oriented at the end of ($departement, $mois): part_orientes. Persons in RSA at the end of the month with an orientation dated on or
-- before it, over all of them, by time since entry (< 6 months, 6–12 months, 12 months or
-- more). Persons not yet oriented stay in the denominator.
-- Population 'caf_msa' (a CAF/MSA flux of the département is loaded): the persons soumis aux
-- droits et devoirs of a household whose right is open (ETATDOSRSA 2, 3, 4) in its state at
-- the end of the month (`caf_etat`: the flux of that month, not the latest one), entry =
-- DTDEMRSA; their orientations matched by `orientation_liee`. Population 'sources': the
-- parcours persons whose entry is on or before the last day of the month.
-- $communes: the communes of the chosen territoire (macro dans_territoire), NULL for the
-- whole département.
WITH fin AS (SELECT last_day(CAST($mois AS DATE)) AS d),
caf AS (  -- population caf_msa: the state of the households at the end of the month
    SELECT person_key, min(date_demande_rsa) AS entree
    FROM caf_etat(last_day(CAST($mois AS DATE)))
    WHERE departement = $departement AND soumis_droits_devoirs
      AND etat_dossier IN ('2', '3', '4') AND date_demande_rsa IS NOT NULL
      AND dans_territoire($departement, $communes, commune := code_commune,
                          cle_nir := person_key, cle_pe := pe_key)
    GROUP BY person_key
),
caf_orientes AS (
    SELECT c.person_key, c.entree, min(o.date_orientation) AS oriente
    FROM caf c LEFT JOIN orientation_liee($departement) o
      ON o.person_key = c.person_key AND o.date_orientation <= (SELECT d FROM fin)
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
    SELECT entree, oriente FROM caf_orientes
    UNION ALL
    SELECT entree, oriente FROM parcours
),
banded AS (
    SELECT CASE WHEN p.entree > f.d - INTERVAL 6 MONTH THEN 'moins_6_mois'
                WHEN p.entree > f.d - INTERVAL 12 MONTH THEN '6_12_mois'
                ELSE '12_mois_et_plus' END AS anciennete,
           p.oriente IS NOT NULL AND p.oriente <= f.d AS oriente
    FROM persons p, fin f
    WHERE p.entree <= f.d
)
SELECT coalesce(anciennete, 'ensemble') AS groupe, count(*) AS personnes,
       count(*) FILTER (WHERE oriente) AS orientes,
       part(count(*) FILTER (WHERE oriente), count(*)) AS part,
       population_cohortes($departement) AS population
FROM banded
GROUP BY GROUPING SETS ((), (anciennete))
ORDER BY groupe
