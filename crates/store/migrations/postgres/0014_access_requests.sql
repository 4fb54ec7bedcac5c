-- Access requests (R6); see the SQLite migration of the same name.
CREATE TABLE access_requests (
    request_id   TEXT NOT NULL PRIMARY KEY,
    party_id     TEXT NOT NULL,
    role         TEXT NOT NULL,
    until_day    TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    journal_seq  BIGINT
);
CREATE INDEX access_requests_party ON access_requests (party_id);
CREATE INDEX access_requests_journal ON access_requests (journal_seq);

CREATE TABLE access_request_decisions (
    request_id  TEXT NOT NULL PRIMARY KEY,
    approver    TEXT NOT NULL,
    decision    TEXT NOT NULL,
    grant_id    TEXT,
    decided_at  BIGINT NOT NULL,
    journal_seq BIGINT
);
CREATE INDEX access_request_decisions_journal ON access_request_decisions (journal_seq);

CREATE TRIGGER access_requests_append_only BEFORE UPDATE OR DELETE ON access_requests
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER access_request_decisions_append_only BEFORE UPDATE OR DELETE ON access_request_decisions
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
