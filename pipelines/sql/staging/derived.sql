-- Refresh the materialised person-level tables (migration 0009) from their views, for
-- $departement (NULL: every département). Run inside the write generation, after the
-- load's rows are in (pipelines/loader.py) and after a purge (pipelines/retention.py).
DELETE FROM wh.date_contrat_personne WHERE $departement IS NULL OR departement = $departement;
INSERT INTO wh.date_contrat_personne
SELECT * FROM wh.date_contrat WHERE $departement IS NULL OR departement = $departement;
DELETE FROM wh.commune_personne WHERE $departement IS NULL OR departement = $departement;
INSERT INTO wh.commune_personne
SELECT * FROM wh.personne_commune WHERE $departement IS NULL OR departement = $departement;
