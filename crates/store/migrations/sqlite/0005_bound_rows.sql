-- Every row that holds business data or decides access names the journal entry that wrote
-- it, and that entry carries the row's digest (see `bound.rs`): journal verification checks
-- each against the other, and the subject index against the entries, so both are read in
-- entry order through the indexes below. Rows written before this migration have no entry
-- (NULL) and are reported by verification as unbound.
ALTER TABLE parties ADD COLUMN journal_seq INTEGER;
ALTER TABLE access_points ADD COLUMN journal_seq INTEGER;
ALTER TABLE occupancies ADD COLUMN journal_seq INTEGER;
ALTER TABLE registrations ADD COLUMN journal_seq INTEGER;
ALTER TABLE tokens ADD COLUMN journal_seq INTEGER;
ALTER TABLE meta ADD COLUMN journal_seq INTEGER;
CREATE INDEX parties_journal ON parties (journal_seq);
CREATE INDEX access_points_journal ON access_points (journal_seq);
CREATE INDEX occupancies_journal ON occupancies (journal_seq);
CREATE INDEX registrations_journal ON registrations (journal_seq);
CREATE INDEX tokens_journal ON tokens (journal_seq);
CREATE INDEX meta_journal ON meta (journal_seq);
-- Covering: verification reads every subject row in entry order without visiting the table.
CREATE INDEX journal_subjects_seq ON journal_subjects (seq, subject, time_us);

-- A revocation is a row of its own, so tokens are append-only like every bound table and
-- each row is bound once.
CREATE TABLE token_revocations (
    token_id    TEXT PRIMARY KEY,
    revoked_us  INTEGER NOT NULL,
    journal_seq INTEGER
);
CREATE INDEX token_revocations_journal ON token_revocations (journal_seq);
INSERT INTO token_revocations (token_id, revoked_us)
    SELECT token_id, revoked_us FROM tokens WHERE revoked_us IS NOT NULL;
ALTER TABLE tokens DROP COLUMN revoked_us;

CREATE TRIGGER parties_no_update BEFORE UPDATE ON parties
BEGIN SELECT RAISE(ABORT, 'parties is append-only: UPDATE refused'); END;
CREATE TRIGGER parties_no_delete BEFORE DELETE ON parties
BEGIN SELECT RAISE(ABORT, 'parties is append-only: DELETE refused'); END;
CREATE TRIGGER tokens_no_update BEFORE UPDATE ON tokens
BEGIN SELECT RAISE(ABORT, 'tokens is append-only: UPDATE refused'); END;
CREATE TRIGGER tokens_no_delete BEFORE DELETE ON tokens
BEGIN SELECT RAISE(ABORT, 'tokens is append-only: DELETE refused'); END;
CREATE TRIGGER token_revocations_no_update BEFORE UPDATE ON token_revocations
BEGIN SELECT RAISE(ABORT, 'token_revocations is append-only: UPDATE refused'); END;
CREATE TRIGGER token_revocations_no_delete BEFORE DELETE ON token_revocations
BEGIN SELECT RAISE(ABORT, 'token_revocations is append-only: DELETE refused'); END;
