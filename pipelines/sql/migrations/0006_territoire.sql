-- Territories: the département's own grouping of communes (territoires d'action sociale,
-- bassins d'emploi), maintained by its data team (`python -m pipelines territoires`).
-- Configuration, not data about people: purges leave it in place.
CREATE TABLE territoire (
    departement  VARCHAR NOT NULL,
    code_commune VARCHAR NOT NULL,
    territoire   VARCHAR NOT NULL,
    PRIMARY KEY (departement, code_commune)
);

-- The commune of each person, as the sources know it: the residence of the latest PECGM
-- record (by NIR key, with the identifiant PE key to reach the same person in CGPEM and
-- parcours), and the commune of the parcours file (by identifiant RSA key). The territory
-- filter of every indicator goes through this one view.
CREATE VIEW personne_commune AS
SELECT departement, person_key, any_value(pe_key) AS pe_key, NULL::VARCHAR AS rsa_key,
       arg_max(code_commune_residence, mois) AS code_commune
FROM pecgm_stock
WHERE code_commune_residence IS NOT NULL
GROUP BY departement, person_key
UNION ALL
SELECT departement, any_value(person_key), any_value(pe_key), rsa_key, any_value(code_commune)
FROM parcours_personne
WHERE code_commune IS NOT NULL
GROUP BY departement, rsa_key;
