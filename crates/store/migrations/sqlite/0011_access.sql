-- Access management (R6, R11): staff records from the HR extracts, role grants and their
-- revocations, and the report of each sync.
--
-- A staff record is one version of what HR says of one employee (the name is sealed with
-- the person's party, never here); `active` says whether the person held access after the
-- sync that wrote it. A grant gives one party one role, from its job, a manual exception
-- (with its approver and expiry) or break-glass; it ends by a revocation row of its own or by
-- its expiry, never by an update. A sync report keeps the change report a sync printed,
-- with the digests of the catalogue and the extracts it read. All four tables are
-- append-only and bound to the journal entry that wrote each row.
CREATE TABLE staff_records (
    employee_id TEXT NOT NULL,
    version     INTEGER NOT NULL,
    party_id    TEXT NOT NULL,
    origin      TEXT NOT NULL,
    job_code    TEXT NOT NULL,
    department  TEXT NOT NULL,
    employer    TEXT NOT NULL,
    start_day   TEXT NOT NULL,
    end_day     TEXT,
    status      TEXT NOT NULL,
    active      INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    journal_seq INTEGER,
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
    expires_us  INTEGER,
    granted_at  INTEGER NOT NULL,
    journal_seq INTEGER
);
CREATE INDEX role_grants_party ON role_grants (party_id, role);
CREATE INDEX role_grants_journal ON role_grants (journal_seq);

CREATE TABLE role_revocations (
    grant_id    TEXT NOT NULL PRIMARY KEY,
    revoked_at  INTEGER NOT NULL,
    cause       TEXT NOT NULL,
    journal_seq INTEGER
);
CREATE INDEX role_revocations_journal ON role_revocations (journal_seq);

CREATE TABLE sync_reports (
    report_id   TEXT NOT NULL PRIMARY KEY,
    ran_at      INTEGER NOT NULL,
    sources     BLOB NOT NULL,
    report      BLOB NOT NULL,
    journal_seq INTEGER
);
CREATE INDEX sync_reports_journal ON sync_reports (journal_seq);


CREATE TRIGGER staff_records_no_update BEFORE UPDATE ON staff_records
BEGIN SELECT RAISE(ABORT, 'staff_records is append-only: UPDATE refused'); END;
CREATE TRIGGER staff_records_no_delete BEFORE DELETE ON staff_records
BEGIN SELECT RAISE(ABORT, 'staff_records is append-only: DELETE refused'); END;
CREATE TRIGGER role_grants_no_update BEFORE UPDATE ON role_grants
BEGIN SELECT RAISE(ABORT, 'role_grants is append-only: UPDATE refused'); END;
CREATE TRIGGER role_grants_no_delete BEFORE DELETE ON role_grants
BEGIN SELECT RAISE(ABORT, 'role_grants is append-only: DELETE refused'); END;
CREATE TRIGGER role_revocations_no_update BEFORE UPDATE ON role_revocations
BEGIN SELECT RAISE(ABORT, 'role_revocations is append-only: UPDATE refused'); END;
CREATE TRIGGER role_revocations_no_delete BEFORE DELETE ON role_revocations
BEGIN SELECT RAISE(ABORT, 'role_revocations is append-only: DELETE refused'); END;
CREATE TRIGGER sync_reports_no_update BEFORE UPDATE ON sync_reports
BEGIN SELECT RAISE(ABORT, 'sync_reports is append-only: UPDATE refused'); END;
CREATE TRIGGER sync_reports_no_delete BEFORE DELETE ON sync_reports
BEGIN SELECT RAISE(ABORT, 'sync_reports is append-only: DELETE refused'); END;
