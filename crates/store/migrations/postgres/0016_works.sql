-- Customer works (R13); see the SQLite migration of the same name.
CREATE TABLE works_requests (
    request_id       TEXT NOT NULL,
    version          BIGINT NOT NULL,
    requester_id     TEXT NOT NULL,
    requester_kind   TEXT NOT NULL,
    kind             TEXT NOT NULL,
    stage            TEXT NOT NULL,
    ean              BIGINT,
    fields           TEXT NOT NULL,
    contact_sealed   BYTEA,
    invoice_sealed   BYTEA,
    changed_day      TEXT NOT NULL,
    journal_seq      BIGINT,
    PRIMARY KEY (request_id, version)
);
CREATE INDEX works_requests_requester ON works_requests (requester_id);
CREATE INDEX works_requests_journal ON works_requests (journal_seq);

CREATE TABLE works_keys (
    request_id TEXT NOT NULL,
    category   TEXT NOT NULL,
    key_sealed BYTEA NOT NULL,
    PRIMARY KEY (request_id, category)
);

CREATE TABLE works_purges (
    request_id  TEXT NOT NULL,
    category    TEXT NOT NULL,
    purged_day  TEXT NOT NULL,
    basis       TEXT NOT NULL,
    journal_seq BIGINT,
    PRIMARY KEY (request_id, category)
);
CREATE INDEX works_purges_journal ON works_purges (journal_seq);

CREATE TRIGGER works_requests_append_only BEFORE UPDATE OR DELETE ON works_requests
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER works_purges_append_only BEFORE UPDATE OR DELETE ON works_purges
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
