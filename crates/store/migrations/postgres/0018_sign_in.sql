-- Signing in to the web interface with a password; see the SQLite migration of the same name.
CREATE TABLE passwords (
    party_id    TEXT NOT NULL,
    version     BIGINT NOT NULL,
    role        TEXT NOT NULL,
    phc         TEXT NOT NULL,
    set_at      BIGINT NOT NULL,
    journal_seq BIGINT,
    PRIMARY KEY (party_id, version)
);
CREATE INDEX passwords_journal ON passwords (journal_seq);

CREATE TABLE sign_in_failures (
    party_id    TEXT NOT NULL,
    n           BIGINT NOT NULL,
    at_us       BIGINT NOT NULL,
    journal_seq BIGINT,
    PRIMARY KEY (party_id, n)
);
CREATE INDEX sign_in_failures_journal ON sign_in_failures (journal_seq);

CREATE TABLE sign_ins (
    token_id    TEXT NOT NULL PRIMARY KEY,
    party_id    TEXT NOT NULL,
    at_us       BIGINT NOT NULL,
    journal_seq BIGINT
);
CREATE INDEX sign_ins_party ON sign_ins (party_id, at_us);
CREATE INDEX sign_ins_journal ON sign_ins (journal_seq);

CREATE TRIGGER passwords_append_only BEFORE UPDATE OR DELETE ON passwords
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER sign_in_failures_append_only BEFORE UPDATE OR DELETE ON sign_in_failures
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER sign_ins_append_only BEFORE UPDATE OR DELETE ON sign_ins
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
