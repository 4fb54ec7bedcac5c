-- Break-glass (R10); see the SQLite migration of the same name.
CREATE TABLE break_glass (
    grant_id      TEXT NOT NULL PRIMARY KEY,
    token_id      TEXT NOT NULL,
    reason_sealed BYTEA NOT NULL,
    journal_seq   BIGINT
);
CREATE INDEX break_glass_journal ON break_glass (journal_seq);

CREATE TRIGGER break_glass_append_only BEFORE UPDATE OR DELETE ON break_glass
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
