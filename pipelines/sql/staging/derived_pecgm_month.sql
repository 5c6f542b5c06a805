-- The person-level tables after a PECGM month is added (pipelines/personnes.py): a month
-- later than every month already loaded for $departement, replacing no earlier load.
-- Only this load's persons change, so the result equals derived.sql's full refresh
-- without re-reading the département's history. Rows with no rsa_key are exactly the
-- PECGM ones: parcours rows always carry it (identifiant RSA is a blocking check).

-- date_contrat keeps one PECGM row per person and distinct date: add the new ones.
INSERT INTO wh.date_contrat_personne
SELECT departement, person_key, pe_key, NULL::VARCHAR, date_notification_cer
FROM wh.pecgm_stock
WHERE load_id = $load_id AND date_notification_cer IS NOT NULL
EXCEPT
SELECT departement, person_key, pe_key, rsa_key, date_contrat
FROM wh.date_contrat_personne
WHERE departement = $departement AND rsa_key IS NULL;

-- personne_commune keeps the latest month's commune: this month's, for whoever has one.
DELETE FROM wh.commune_personne
WHERE departement = $departement AND rsa_key IS NULL
  AND person_key IN (SELECT person_key FROM wh.pecgm_stock
                     WHERE load_id = $load_id AND code_commune_residence IS NOT NULL);
INSERT INTO wh.commune_personne
SELECT departement, person_key, pe_key, NULL::VARCHAR, code_commune_residence
FROM wh.pecgm_stock
WHERE load_id = $load_id AND code_commune_residence IS NOT NULL;
