-- Research, consents and exports (R14, chapter IX). Every table is append-only and bound to the
-- journal entry that wrote each row.
--
-- `consents`: one version per change of a consent receipt (given, then withdrawn); the terms
-- as JSON. `research_agreements`: a partner's agreement. `research_extracts`: an extract made
-- for a partner, its CSV sealed (pseudonymised consumption is still personal data).
-- `subject_requests`: a data subject's access or rectification request, one version per step,
-- its texts sealed. `warehouse_files`: each Parquet file of a warehouse export, with its
-- SHA-256, so the export's entry binds every file's digest.
CREATE TABLE consents (
    receipt_id   TEXT NOT NULL,
    version      INTEGER NOT NULL,
    subject_id   TEXT NOT NULL,
    terms        TEXT NOT NULL,
    given_at     INTEGER NOT NULL,
    withdrawn_at INTEGER,
    journal_seq  INTEGER,
    PRIMARY KEY (receipt_id, version)
) WITHOUT ROWID;
CREATE INDEX consents_subject ON consents (subject_id);
CREATE INDEX consents_journal ON consents (journal_seq);

CREATE TABLE research_agreements (
    agreement_id TEXT NOT NULL PRIMARY KEY,
    partner_id   TEXT NOT NULL,
    terms        TEXT NOT NULL,
    recorded_at  INTEGER NOT NULL,
    journal_seq  INTEGER
) WITHOUT ROWID;
CREATE INDEX research_agreements_journal ON research_agreements (journal_seq);

CREATE TABLE research_extracts (
    extract_id   TEXT NOT NULL PRIMARY KEY,
    partner_id   TEXT NOT NULL,
    agreement_id TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    category     TEXT NOT NULL,
    made_at      INTEGER NOT NULL,
    participants INTEGER NOT NULL,
    row_count    INTEGER NOT NULL,
    digest       TEXT NOT NULL,
    body_sealed  BLOB NOT NULL,
    journal_seq  INTEGER
) WITHOUT ROWID;
CREATE INDEX research_extracts_partner ON research_extracts (partner_id);
CREATE INDEX research_extracts_journal ON research_extracts (journal_seq);

CREATE TABLE subject_requests (
    request_id     TEXT NOT NULL,
    version        INTEGER NOT NULL,
    subject_id     TEXT NOT NULL,
    kind           TEXT NOT NULL,
    received_at    INTEGER NOT NULL,
    due_day        TEXT NOT NULL,
    state          TEXT NOT NULL,
    details_sealed BLOB NOT NULL,
    answer_sealed  BLOB,
    changed_at     INTEGER NOT NULL,
    journal_seq    INTEGER,
    PRIMARY KEY (request_id, version)
) WITHOUT ROWID;
CREATE INDEX subject_requests_subject ON subject_requests (subject_id);
CREATE INDEX subject_requests_journal ON subject_requests (journal_seq);

CREATE TABLE warehouse_files (
    export_seq  INTEGER NOT NULL,
    path        TEXT NOT NULL,
    dataset     TEXT NOT NULL,
    month       TEXT NOT NULL,
    row_count   INTEGER NOT NULL,
    byte_count  INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    label       TEXT NOT NULL,
    journal_seq INTEGER,
    PRIMARY KEY (export_seq, path)
) WITHOUT ROWID;
CREATE INDEX warehouse_files_journal ON warehouse_files (journal_seq);
CREATE TRIGGER consents_no_update BEFORE UPDATE ON consents
BEGIN SELECT RAISE(ABORT, 'consents is append-only: UPDATE refused'); END;
CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents
BEGIN SELECT RAISE(ABORT, 'consents is append-only: DELETE refused'); END;
CREATE TRIGGER research_agreements_no_update BEFORE UPDATE ON research_agreements
BEGIN SELECT RAISE(ABORT, 'research_agreements is append-only: UPDATE refused'); END;
CREATE TRIGGER research_agreements_no_delete BEFORE DELETE ON research_agreements
BEGIN SELECT RAISE(ABORT, 'research_agreements is append-only: DELETE refused'); END;
CREATE TRIGGER research_extracts_no_update BEFORE UPDATE ON research_extracts
BEGIN SELECT RAISE(ABORT, 'research_extracts is append-only: UPDATE refused'); END;
CREATE TRIGGER research_extracts_no_delete BEFORE DELETE ON research_extracts
BEGIN SELECT RAISE(ABORT, 'research_extracts is append-only: DELETE refused'); END;
CREATE TRIGGER subject_requests_no_update BEFORE UPDATE ON subject_requests
BEGIN SELECT RAISE(ABORT, 'subject_requests is append-only: UPDATE refused'); END;
CREATE TRIGGER subject_requests_no_delete BEFORE DELETE ON subject_requests
BEGIN SELECT RAISE(ABORT, 'subject_requests is append-only: DELETE refused'); END;
CREATE TRIGGER warehouse_files_no_update BEFORE UPDATE ON warehouse_files
BEGIN SELECT RAISE(ABORT, 'warehouse_files is append-only: UPDATE refused'); END;
CREATE TRIGGER warehouse_files_no_delete BEFORE DELETE ON warehouse_files
BEGIN SELECT RAISE(ABORT, 'warehouse_files is append-only: DELETE refused'); END;
