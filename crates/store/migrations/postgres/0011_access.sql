-- Access management (R6, R11); see the SQLite migration of the same name.
CREATE TABLE staff_records (
    employee_id TEXT NOT NULL,
    version     BIGINT NOT NULL,
    party_id    TEXT NOT NULL,
    origin      TEXT NOT NULL,
    job_code    TEXT NOT NULL,
    department  TEXT NOT NULL,
    employer    TEXT NOT NULL,
    start_day   TEXT NOT NULL,
    end_day     TEXT,
    status      TEXT NOT NULL,
    active      BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    journal_seq BIGINT,
    PRIMARY KEY (employee_id, version)
);
CREATE INDEX staff_records_party ON staff_records (party_id, version);
CREATE INDEX staff_records_journal ON staff_records (journal_seq);

CREATE TABLE role_grants (
    grant_id    TEXT NOT NULL PRIMARY KEY,
    party_id    TEXT NOT NULL,
    role        TEXT NOT NULL,
    source      TEXT NOT NULL,
    approver    TEXT,
    expires_us  BIGINT,
    granted_at  BIGINT NOT NULL,
    journal_seq BIGINT
);
CREATE INDEX role_grants_party ON role_grants (party_id, role);
CREATE INDEX role_grants_journal ON role_grants (journal_seq);

CREATE TABLE role_revocations (
    grant_id    TEXT NOT NULL PRIMARY KEY,
    revoked_at  BIGINT NOT NULL,
    cause       TEXT NOT NULL,
    journal_seq BIGINT
);
CREATE INDEX role_revocations_journal ON role_revocations (journal_seq);

CREATE TABLE sync_reports (
    report_id   TEXT NOT NULL PRIMARY KEY,
    ran_at      BIGINT NOT NULL,
    sources     BYTEA NOT NULL,
    report      BYTEA NOT NULL,
    journal_seq BIGINT
);
CREATE INDEX sync_reports_journal ON sync_reports (journal_seq);


CREATE TRIGGER staff_records_append_only BEFORE UPDATE OR DELETE ON staff_records
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER role_grants_append_only BEFORE UPDATE OR DELETE ON role_grants
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER role_revocations_append_only BEFORE UPDATE OR DELETE ON role_revocations
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER sync_reports_append_only BEFORE UPDATE OR DELETE ON sync_reports
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
