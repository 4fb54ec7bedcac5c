-- Signing in to the web interface with a password (a session is then a bearer token of the
-- `tokens` table, so the gate and the journal see it as any other caller).
--
-- `passwords`: one version per password set for a party, in the role it signs in as; the
-- latest version counts. Only the argon2id PHC string is kept (salt and parameters inside),
-- never the password. `sign_in_failures`: each wrong password given for a party, numbered
-- per party; `sign_ins`: each success, with the token it opened. The lockout counts the
-- failures after the last success (or the last password set). Every table is append-only and
-- bound to the journal entry that wrote each row, so a DBA can neither swap a hash nor erase
-- the failures that lock a party out without `journal verify` naming the row.
CREATE TABLE passwords (
    party_id    TEXT NOT NULL,
    version     INTEGER NOT NULL,
    role        TEXT NOT NULL,
    phc         TEXT NOT NULL,
    set_at      INTEGER NOT NULL,
    journal_seq INTEGER,
    PRIMARY KEY (party_id, version)
) WITHOUT ROWID;
CREATE INDEX passwords_journal ON passwords (journal_seq);

CREATE TABLE sign_in_failures (
    party_id    TEXT NOT NULL,
    n           INTEGER NOT NULL,
    at_us       INTEGER NOT NULL,
    journal_seq INTEGER,
    PRIMARY KEY (party_id, n)
) WITHOUT ROWID;
CREATE INDEX sign_in_failures_journal ON sign_in_failures (journal_seq);

CREATE TABLE sign_ins (
    token_id    TEXT NOT NULL PRIMARY KEY,
    party_id    TEXT NOT NULL,
    at_us       INTEGER NOT NULL,
    journal_seq INTEGER
) WITHOUT ROWID;
CREATE INDEX sign_ins_party ON sign_ins (party_id, at_us);
CREATE INDEX sign_ins_journal ON sign_ins (journal_seq);

CREATE TRIGGER passwords_no_update BEFORE UPDATE ON passwords
BEGIN SELECT RAISE(ABORT, 'passwords is append-only: UPDATE refused'); END;
CREATE TRIGGER passwords_no_delete BEFORE DELETE ON passwords
BEGIN SELECT RAISE(ABORT, 'passwords is append-only: DELETE refused'); END;
CREATE TRIGGER sign_in_failures_no_update BEFORE UPDATE ON sign_in_failures
BEGIN SELECT RAISE(ABORT, 'sign_in_failures is append-only: UPDATE refused'); END;
CREATE TRIGGER sign_in_failures_no_delete BEFORE DELETE ON sign_in_failures
BEGIN SELECT RAISE(ABORT, 'sign_in_failures is append-only: DELETE refused'); END;
CREATE TRIGGER sign_ins_no_update BEFORE UPDATE ON sign_ins
BEGIN SELECT RAISE(ABORT, 'sign_ins is append-only: UPDATE refused'); END;
CREATE TRIGGER sign_ins_no_delete BEFORE DELETE ON sign_ins
BEGIN SELECT RAISE(ABORT, 'sign_ins is append-only: DELETE refused'); END;
