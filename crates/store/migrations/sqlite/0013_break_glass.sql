-- Break-glass (R10): emergency access a support person opens with a reason, limited in time.
-- The access itself is a grant (`role_grants`, source `break_glass`, with its expiry) and a
-- token expiring with it; this row keeps why, sealed (a reason may name a customer), and which
-- token it opened, so the report lists every act done with it. Append-only, bound.
CREATE TABLE break_glass (
    grant_id      TEXT NOT NULL PRIMARY KEY,
    token_id      TEXT NOT NULL,
    reason_sealed BLOB NOT NULL,
    journal_seq   INTEGER
);
CREATE INDEX break_glass_journal ON break_glass (journal_seq);

CREATE TRIGGER break_glass_no_update BEFORE UPDATE ON break_glass
BEGIN SELECT RAISE(ABORT, 'break_glass is append-only: UPDATE refused'); END;
CREATE TRIGGER break_glass_no_delete BEFORE DELETE ON break_glass
BEGIN SELECT RAISE(ABORT, 'break_glass is append-only: DELETE refused'); END;
