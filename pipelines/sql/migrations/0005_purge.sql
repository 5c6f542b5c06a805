-- Retention: what was purged, when and by whom (the data themselves are gone).
CREATE SEQUENCE purge_journal_id_seq START 1;

CREATE TABLE purge_journal (
    id          BIGINT PRIMARY KEY DEFAULT nextval('purge_journal_id_seq'),
    purged_at   TIMESTAMP NOT NULL,
    operator    VARCHAR NOT NULL,
    scope       VARCHAR NOT NULL,   -- 'avant AAAA-MM' | 'tout'
    reason      VARCHAR NOT NULL,   -- commande | conservation automatique | fin de convention
    rows_json   VARCHAR NOT NULL    -- rows deleted per table
);
