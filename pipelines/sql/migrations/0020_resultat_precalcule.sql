-- The pages' opening reads, computed when a generation is written and kept with the data
-- they were computed from (pipelines/precalcul.py): `lecture` names the read, `cle` its
-- arguments (JSON), `valeur` its result (JSON, tuples tagged), `version_code` the code
-- that computed it (a digest: a result of other code is never read); `lecture`
-- « _version » is the marker a completed storing leaves. Counts before masking, as the
-- reads return them: each page masks at its own threshold when it draws them. Every new
-- generation empties the table before its writer fills it again (but the journal row of
-- a refused file alone, which no read reads: pipelines/generation.py).
CREATE TABLE IF NOT EXISTS resultat_precalcule (
    lecture VARCHAR NOT NULL,
    departement VARCHAR NOT NULL,
    cle VARCHAR NOT NULL,
    valeur VARCHAR NOT NULL,
    version_code VARCHAR NOT NULL
);
