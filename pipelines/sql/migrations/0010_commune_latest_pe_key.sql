-- personne_commune took any PECGM month's identifiant PE key (any_value): now the one of
-- the same record as the commune, the latest month's. A defined value lets a monthly PECGM
-- load update commune_personne for its own persons only (sql/staging/derived_pecgm_month.sql)
-- and still equal the view, instead of re-reading the département's whole history.
CREATE OR REPLACE VIEW personne_commune AS
SELECT departement, person_key, arg_max_null(pe_key, mois) AS pe_key, NULL::VARCHAR AS rsa_key,
       arg_max(code_commune_residence, mois) AS code_commune
FROM pecgm_stock
WHERE code_commune_residence IS NOT NULL
GROUP BY departement, person_key
UNION ALL
SELECT departement, any_value(person_key), any_value(pe_key), rsa_key, any_value(code_commune)
FROM parcours_personne
WHERE code_commune IS NOT NULL
GROUP BY departement, rsa_key;

DELETE FROM commune_personne;
INSERT INTO commune_personne SELECT * FROM personne_commune;
