-- Bound rows and the verified subject index; see the SQLite migration of the same name.
ALTER TABLE parties ADD COLUMN journal_seq BIGINT;
ALTER TABLE access_points ADD COLUMN journal_seq BIGINT;
ALTER TABLE occupancies ADD COLUMN journal_seq BIGINT;
ALTER TABLE registrations ADD COLUMN journal_seq BIGINT;
ALTER TABLE tokens ADD COLUMN journal_seq BIGINT;
ALTER TABLE meta ADD COLUMN journal_seq BIGINT;
CREATE INDEX parties_journal ON parties (journal_seq);
CREATE INDEX access_points_journal ON access_points (journal_seq);
CREATE INDEX occupancies_journal ON occupancies (journal_seq);
CREATE INDEX registrations_journal ON registrations (journal_seq);
CREATE INDEX tokens_journal ON tokens (journal_seq);
CREATE INDEX meta_journal ON meta (journal_seq);
-- Covering: verification reads every subject row in entry order without visiting the table.
CREATE INDEX journal_subjects_seq ON journal_subjects (seq, subject, time_us);

CREATE TABLE token_revocations (
    token_id    TEXT PRIMARY KEY,
    revoked_us  BIGINT NOT NULL,
    journal_seq BIGINT
);
CREATE INDEX token_revocations_journal ON token_revocations (journal_seq);
INSERT INTO token_revocations (token_id, revoked_us)
    SELECT token_id, revoked_us FROM tokens WHERE revoked_us IS NOT NULL;
ALTER TABLE tokens DROP COLUMN revoked_us;

CREATE TRIGGER parties_append_only BEFORE UPDATE OR DELETE ON parties
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER tokens_append_only BEFORE UPDATE OR DELETE ON tokens
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER token_revocations_append_only BEFORE UPDATE OR DELETE ON token_revocations
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
