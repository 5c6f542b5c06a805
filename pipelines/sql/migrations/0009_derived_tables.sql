-- Materialise the two person-level views the indicators join most. At national scale the
-- views re-read every PECGM month of a département at each query (1.4 million rows for
-- the largest); the tables hold one row per person and date. The views stay the
-- definitions; sql/staging/derived.sql refreshes the tables for the loaded département
-- after each load, and for every département after a purge.
CREATE TABLE date_contrat_personne AS SELECT * FROM date_contrat;
CREATE TABLE commune_personne AS SELECT * FROM personne_commune;
