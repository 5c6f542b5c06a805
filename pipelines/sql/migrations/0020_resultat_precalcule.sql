-- The pages' opening reads, computed when a generation is written and kept with the data
-- they were computed from (pipelines/precalcul.py): `lecture` names the read, `cle` its
-- arguments (JSON), `valeur` its result (JSON, tuples tagged). Counts before masking, as
-- the reads return them: each page masks at its own threshold when it draws them. Every
-- write of a generation replaces or empties the table, so it never outlives its data.
CREATE TABLE IF NOT EXISTS resultat_precalcule (
    lecture VARCHAR NOT NULL,
    departement VARCHAR NOT NULL,
    cle VARCHAR NOT NULL,
    valeur VARCHAR NOT NULL
);
