-- Link rate between the CAF/MSA flux and the orientation sources of $departement: the
-- persons with an orientation record, and how many of them a loaded flux holds (by NIR,
-- then identifiant PE, then identifiant RSA for a record that carries neither). A low rate
-- means identifiers that do not match, and orientations the cohorte indicators cannot see.
-- taux: retrouvees_dans_flux over personnes_orientees.
WITH flux AS (SELECT person_key, pe_key, rsa_key FROM caf_beneficiaire WHERE departement = $departement),
personnes AS (
    SELECT person_key,
           bool_or(person_key IN (SELECT person_key FROM flux)
                   OR pe_key IN (SELECT pe_key FROM flux)
                   OR (cle_type = 'RSA' AND rsa_key IN (SELECT rsa_key FROM flux))) AS trouvee
    FROM orientation WHERE departement = $departement
    GROUP BY person_key
)
SELECT count(*) AS personnes_orientees, count(*) FILTER (WHERE trouvee) AS retrouvees_dans_flux,
       part(count(*) FILTER (WHERE trouvee), count(*)) AS taux
FROM personnes
