-- Contract dates of every person, from both sources (docs/indicateurs.md, the time to
-- contract): the PECGM DATE NOTIFICATION PPAE VALANT CER (one row per distinct date, not
-- one per monthly file) and the parcours date_contrat_engagement, with the keys that reach
-- the person from an orientation record (NIR key, identifiant PE key, identifiant RSA key).
-- contrat.sql, contrat_courbe.sql and cohorte.sql join it key by key (equi-joins), never
-- with an OR of keys, which would compare every pair of rows.
CREATE VIEW date_contrat AS
SELECT DISTINCT departement, person_key, pe_key, NULL::VARCHAR AS rsa_key,
       date_notification_cer AS date_contrat
FROM pecgm_stock
WHERE date_notification_cer IS NOT NULL
UNION ALL
SELECT departement, person_key, pe_key, rsa_key, date_contrat_engagement
FROM parcours_personne
WHERE date_contrat_engagement IS NOT NULL;
