-- Research, consents and exports (R14); see the SQLite migration of the same name.
CREATE TABLE consents (
    receipt_id   TEXT NOT NULL,
    version      BIGINT NOT NULL,
    subject_id   TEXT NOT NULL,
    terms        TEXT NOT NULL,
    given_at     BIGINT NOT NULL,
    withdrawn_at BIGINT,
    journal_seq  BIGINT,
    PRIMARY KEY (receipt_id, version)
);
CREATE INDEX consents_subject ON consents (subject_id);
CREATE INDEX consents_journal ON consents (journal_seq);

CREATE TABLE research_agreements (
    agreement_id TEXT NOT NULL PRIMARY KEY,
    partner_id   TEXT NOT NULL,
    terms        TEXT NOT NULL,
    recorded_at  BIGINT NOT NULL,
    journal_seq  BIGINT
);
CREATE INDEX research_agreements_journal ON research_agreements (journal_seq);

CREATE TABLE research_extracts (
    extract_id   TEXT NOT NULL PRIMARY KEY,
    partner_id   TEXT NOT NULL,
    agreement_id TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    category     TEXT NOT NULL,
    made_at      BIGINT NOT NULL,
    participants BIGINT NOT NULL,
    row_count    BIGINT NOT NULL,
    digest       TEXT NOT NULL,
    body_sealed  BYTEA NOT NULL,
    journal_seq  BIGINT
);
CREATE INDEX research_extracts_partner ON research_extracts (partner_id);
CREATE INDEX research_extracts_journal ON research_extracts (journal_seq);

CREATE TABLE subject_requests (
    request_id     TEXT NOT NULL,
    version        BIGINT NOT NULL,
    subject_id     TEXT NOT NULL,
    kind           TEXT NOT NULL,
    received_at    BIGINT NOT NULL,
    due_day        TEXT NOT NULL,
    state          TEXT NOT NULL,
    details_sealed BYTEA NOT NULL,
    answer_sealed  BYTEA,
    changed_at     BIGINT NOT NULL,
    journal_seq    BIGINT,
    PRIMARY KEY (request_id, version)
);
CREATE INDEX subject_requests_subject ON subject_requests (subject_id);
CREATE INDEX subject_requests_journal ON subject_requests (journal_seq);

CREATE TABLE warehouse_files (
    export_seq  BIGINT NOT NULL,
    path        TEXT NOT NULL,
    dataset     TEXT NOT NULL,
    month       TEXT NOT NULL,
    row_count   BIGINT NOT NULL,
    byte_count  BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    label       TEXT NOT NULL,
    journal_seq BIGINT,
    PRIMARY KEY (export_seq, path)
);
CREATE INDEX warehouse_files_journal ON warehouse_files (journal_seq);
CREATE TRIGGER consents_append_only BEFORE UPDATE OR DELETE ON consents
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER research_agreements_append_only BEFORE UPDATE OR DELETE ON research_agreements
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER research_extracts_append_only BEFORE UPDATE OR DELETE ON research_extracts
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER subject_requests_append_only BEFORE UPDATE OR DELETE ON subject_requests
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER warehouse_files_append_only BEFORE UPDATE OR DELETE ON warehouse_files
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
