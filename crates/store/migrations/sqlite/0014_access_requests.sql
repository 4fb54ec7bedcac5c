-- Access requests (R6): a member of staff asks for a role, the manager of a service whose jobs
-- carry it approves or refuses; an approval is a grant (`role_grants`, source `exception`,
-- with the approver and an expiry). A request and its decision are rows of their own,
-- append-only and bound to the journal entry that wrote each.
CREATE TABLE access_requests (
    request_id   TEXT NOT NULL PRIMARY KEY,
    party_id     TEXT NOT NULL,
    role         TEXT NOT NULL,
    until_day    TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    journal_seq  INTEGER
);
CREATE INDEX access_requests_party ON access_requests (party_id);
CREATE INDEX access_requests_journal ON access_requests (journal_seq);

CREATE TABLE access_request_decisions (
    request_id  TEXT NOT NULL PRIMARY KEY,
    approver    TEXT NOT NULL,
    decision    TEXT NOT NULL,
    grant_id    TEXT,
    decided_at  INTEGER NOT NULL,
    journal_seq INTEGER
);
CREATE INDEX access_request_decisions_journal ON access_request_decisions (journal_seq);

CREATE TRIGGER access_requests_no_update BEFORE UPDATE ON access_requests
BEGIN SELECT RAISE(ABORT, 'access_requests is append-only: UPDATE refused'); END;
CREATE TRIGGER access_requests_no_delete BEFORE DELETE ON access_requests
BEGIN SELECT RAISE(ABORT, 'access_requests is append-only: DELETE refused'); END;
CREATE TRIGGER access_request_decisions_no_update BEFORE UPDATE ON access_request_decisions
BEGIN SELECT RAISE(ABORT, 'access_request_decisions is append-only: UPDATE refused'); END;
CREATE TRIGGER access_request_decisions_no_delete BEFORE DELETE ON access_request_decisions
BEGIN SELECT RAISE(ABORT, 'access_request_decisions is append-only: DELETE refused'); END;
