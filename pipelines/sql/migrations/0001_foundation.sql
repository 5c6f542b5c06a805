-- Foundation: metadata, load journal, quarantine, code lists.

CREATE TABLE warehouse_meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE SEQUENCE load_journal_id_seq START 1;

-- One row per load attempt, refused and failed ones included.
CREATE TABLE load_journal (
    id            BIGINT PRIMARY KEY DEFAULT nextval('load_journal_id_seq'),
    source        VARCHAR NOT NULL,
    file_name     VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,
    size_bytes    BIGINT NOT NULL,
    departement   VARCHAR,
    month         VARCHAR,            -- 'YYYY-MM', the reference month of the file
    encoding      VARCHAR,
    rows_read     BIGINT,             -- data records read (header and footer excluded)
    rows_loaded   BIGINT,
    rows_rejected BIGINT,             -- quarantined lines
    status        VARCHAR NOT NULL CHECK (status IN ('loaded', 'refused', 'superseded', 'failed')),
    started_at    TIMESTAMP NOT NULL,
    ended_at      TIMESTAMP,
    operator      VARCHAR,
    message       VARCHAR,
    superseded_by BIGINT,
    report_json   VARCHAR             -- the data-quality report: line numbers, fields, codes; never a personal value
);

-- Lines set aside by a load: line number, field and reason only.
CREATE TABLE quarantine (
    load_id    BIGINT NOT NULL,
    line_no    BIGINT NOT NULL,
    field      VARCHAR,
    check_name VARCHAR NOT NULL,
    reason     VARCHAR NOT NULL
);

-- Every code list of pipelines/nomenclatures, refreshed at each write.
CREATE TABLE nomenclature (
    nom           VARCHAR NOT NULL,
    code          VARCHAR NOT NULL,
    libelle       VARCHAR NOT NULL,
    libelle_court VARCHAR,
    groupe        VARCHAR,
    PRIMARY KEY (nom, code)
);
