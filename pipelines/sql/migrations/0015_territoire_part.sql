-- The rules every indicator SQL shares, defined once (docs/indicateurs.md, « Conventions »
-- and « Territoire »). Macros of the warehouse rather than of a connection: readers open
-- the file read-only and each cursor is a connection of its own, and the indicator SQL
-- already leans on the warehouse's macros (date_donnees, provisoire, orientation_liee).

-- Persons of a territory: those whose known commune (latest PECGM file, else parcours
-- file: view personne_commune, materialised as commune_personne) is one of `communes`.
CREATE MACRO territoire_personnes(dep, communes) AS TABLE
    SELECT person_key, pe_key, rsa_key FROM commune_personne
    WHERE departement = dep AND list_contains(CAST(communes AS VARCHAR[]), code_commune);

-- Whether a record belongs to the chosen territory: always for the whole département
-- (`communes` NULL); else when its own commune is in the list, or when its person, found
-- by the keys the caller names (NIR key, identifiant PE key, identifiant RSA key), is a
-- person of the territory. A key left NULL is not looked up; a record without any known
-- commune counts only for the whole département.
CREATE MACRO dans_territoire(dep, communes, commune := NULL, cle_nir := NULL, cle_pe := NULL, cle_rsa := NULL) AS
    CAST(communes AS VARCHAR[]) IS NULL
    OR coalesce(list_contains(CAST(communes AS VARCHAR[]), commune), false)
    OR coalesce(cle_nir IN (SELECT person_key FROM territoire_personnes(dep, communes)), false)
    OR coalesce(cle_pe IN (SELECT pe_key FROM territoire_personnes(dep, communes)), false)
    OR coalesce(cle_rsa IN (SELECT rsa_key FROM territoire_personnes(dep, communes)), false);

-- A number rounded to `decimales` decimals, half to even on the exact binary value (the
-- correctly rounded fixed notation of printf): the rounding of Python's round(), so the
-- figures are the ones the product has always shown.
CREATE MACRO arrondi(x, decimales) AS CAST(printf('%.*f', decimales, x) AS DOUBLE);

-- A share in [0, 1], four decimals; NULL when the denominator is 0 or unknown (shown
-- « n.d. », never 0 %).
CREATE MACRO part(numerateur, denominateur) AS
    CASE WHEN coalesce(denominateur, 0) <> 0 THEN arrondi(numerateur / denominateur, 4) END;

-- The keys a person is known by, typed ('nir:…', 'pe:…', 'rsa:…'; NULL when absent): two
-- records are the same person when they share one. Joining on them is one equi-join.
CREATE MACRO cles_personne(cle_nir, cle_pe, cle_rsa) AS
    ['nir:' || cle_nir, 'pe:' || cle_pe, 'rsa:' || cle_rsa];

-- Contract dates of a département (date_contrat_personne) under each key of their person,
-- to join a cohort's persons by any of theirs (unnest(cles_personne(...)) = cle).
CREATE MACRO contrat_par_cle(dep) AS TABLE
    SELECT cle, date_contrat FROM (
        SELECT unnest(cles_personne(person_key, pe_key, rsa_key)) AS cle, date_contrat
        FROM date_contrat_personne WHERE departement = dep
    ) WHERE cle IS NOT NULL;
