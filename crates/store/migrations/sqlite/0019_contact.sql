-- The contact center (R12): its configuration, each principal's customer directory, the
-- interactions routed and their history, the cases, and the operators' shifts.
--
-- Every row names its principal, and every read of these tables is by principal: nothing here
-- joins two principals. Interaction records hold references (entry point, rule, queue,
-- operator, the customer's reference in the principal's own directory), never customer data.
-- The directory keeps names sealed and numbers only as a blind index keyed per principal, so
-- the same number in two directories gives two unrelated indexes (I6). Every table is
-- append-only and bound to the journal entry that wrote each row.
--
-- The directory's key starts with the number's index: the screen pop's look-up is a prefix of
-- it, so no planner, with or without statistics, can prefer a scan of the principal's whole
-- directory (it did, with the key in the bound order and the number in a second index).
CREATE TABLE contact_configs (
    version     INTEGER NOT NULL PRIMARY KEY,
    text        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    loaded_at   INTEGER NOT NULL,
    journal_seq INTEGER
);
CREATE INDEX contact_configs_journal ON contact_configs (journal_seq);

CREATE TABLE contact_directory (
    principal    TEXT NOT NULL,
    customer_ref TEXT NOT NULL,
    number_index BLOB NOT NULL,
    name_sealed  BLOB NOT NULL,
    journal_seq  INTEGER,
    PRIMARY KEY (principal, number_index, customer_ref)
) WITHOUT ROWID;
CREATE INDEX contact_directory_customer ON contact_directory (principal, customer_ref);
CREATE INDEX contact_directory_journal ON contact_directory (journal_seq);

CREATE TABLE contact_interactions (
    interaction_id TEXT NOT NULL PRIMARY KEY,
    principal      TEXT NOT NULL,
    channel        TEXT NOT NULL,
    entry          TEXT NOT NULL,
    rule_id        TEXT,
    queue          TEXT NOT NULL,
    operator       TEXT,
    customer_ref   TEXT,
    offered_at     INTEGER NOT NULL,
    journal_seq    INTEGER
);
CREATE INDEX contact_interactions_principal ON contact_interactions (principal, offered_at);
CREATE INDEX contact_interactions_journal ON contact_interactions (journal_seq);

CREATE TABLE contact_events (
    interaction_id TEXT NOT NULL,
    n              INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    at             INTEGER NOT NULL,
    queue          TEXT,
    operator       TEXT,
    wrap_seconds   INTEGER NOT NULL,
    journal_seq    INTEGER,
    PRIMARY KEY (interaction_id, n)
) WITHOUT ROWID;
CREATE INDEX contact_events_journal ON contact_events (journal_seq);

CREATE TABLE contact_cases (
    case_id      TEXT NOT NULL,
    version      INTEGER NOT NULL,
    principal    TEXT NOT NULL,
    customer_ref TEXT NOT NULL,
    procedure_id TEXT NOT NULL,
    step         INTEGER NOT NULL,
    state        TEXT NOT NULL,
    operator     TEXT NOT NULL,
    changed_at   INTEGER NOT NULL,
    journal_seq  INTEGER,
    PRIMARY KEY (case_id, version)
) WITHOUT ROWID;
CREATE INDEX contact_cases_customer ON contact_cases (principal, customer_ref);
CREATE INDEX contact_cases_journal ON contact_cases (journal_seq);

CREATE TABLE contact_shifts (
    principal   TEXT NOT NULL,
    operator    TEXT NOT NULL,
    from_at     INTEGER NOT NULL,
    until_at    INTEGER NOT NULL,
    journal_seq INTEGER,
    PRIMARY KEY (principal, operator, from_at)
) WITHOUT ROWID;
CREATE INDEX contact_shifts_journal ON contact_shifts (journal_seq);

CREATE TRIGGER contact_configs_no_update BEFORE UPDATE ON contact_configs
BEGIN SELECT RAISE(ABORT, 'contact_configs is append-only: UPDATE refused'); END;
CREATE TRIGGER contact_configs_no_delete BEFORE DELETE ON contact_configs
BEGIN SELECT RAISE(ABORT, 'contact_configs is append-only: DELETE refused'); END;

CREATE TRIGGER contact_directory_no_update BEFORE UPDATE ON contact_directory
BEGIN SELECT RAISE(ABORT, 'contact_directory is append-only: UPDATE refused'); END;
CREATE TRIGGER contact_directory_no_delete BEFORE DELETE ON contact_directory
BEGIN SELECT RAISE(ABORT, 'contact_directory is append-only: DELETE refused'); END;

CREATE TRIGGER contact_interactions_no_update BEFORE UPDATE ON contact_interactions
BEGIN SELECT RAISE(ABORT, 'contact_interactions is append-only: UPDATE refused'); END;
CREATE TRIGGER contact_interactions_no_delete BEFORE DELETE ON contact_interactions
BEGIN SELECT RAISE(ABORT, 'contact_interactions is append-only: DELETE refused'); END;

CREATE TRIGGER contact_events_no_update BEFORE UPDATE ON contact_events
BEGIN SELECT RAISE(ABORT, 'contact_events is append-only: UPDATE refused'); END;
CREATE TRIGGER contact_events_no_delete BEFORE DELETE ON contact_events
BEGIN SELECT RAISE(ABORT, 'contact_events is append-only: DELETE refused'); END;

CREATE TRIGGER contact_cases_no_update BEFORE UPDATE ON contact_cases
BEGIN SELECT RAISE(ABORT, 'contact_cases is append-only: UPDATE refused'); END;
CREATE TRIGGER contact_cases_no_delete BEFORE DELETE ON contact_cases
BEGIN SELECT RAISE(ABORT, 'contact_cases is append-only: DELETE refused'); END;

CREATE TRIGGER contact_shifts_no_update BEFORE UPDATE ON contact_shifts
BEGIN SELECT RAISE(ABORT, 'contact_shifts is append-only: UPDATE refused'); END;
CREATE TRIGGER contact_shifts_no_delete BEFORE DELETE ON contact_shifts
BEGIN SELECT RAISE(ABORT, 'contact_shifts is append-only: DELETE refused'); END;
