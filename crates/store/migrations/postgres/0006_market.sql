-- Market scenarios, messages and idempotency keys; see the SQLite migration of the same name.
CREATE TABLE scenarios (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id      TEXT NOT NULL UNIQUE,
    ean            BIGINT NOT NULL,
    kind           TEXT NOT NULL,
    initiator      TEXT NOT NULL,
    effective_day  TEXT NOT NULL,
    request_sealed BYTEA NOT NULL,
    parties        TEXT NOT NULL,
    recorded_at    BIGINT NOT NULL,
    journal_seq    BIGINT
);
CREATE INDEX scenarios_ean ON scenarios (ean, id);
CREATE INDEX scenarios_journal ON scenarios (journal_seq);

CREATE TABLE scenario_statuses (
    scenario_id BIGINT NOT NULL REFERENCES scenarios (id),
    n           BIGINT NOT NULL,
    status      TEXT NOT NULL,
    at_us       BIGINT NOT NULL,
    journal_seq BIGINT,
    PRIMARY KEY (scenario_id, n)
);
CREATE INDEX scenario_statuses_journal ON scenario_statuses (journal_seq);

CREATE TABLE messages (
    n           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    recipient   TEXT NOT NULL,
    scenario_id BIGINT NOT NULL REFERENCES scenarios (id),
    kind        TEXT NOT NULL,
    body        BYTEA NOT NULL,
    created_us  BIGINT NOT NULL,
    journal_seq BIGINT
);
CREATE INDEX messages_recipient ON messages (recipient, n);
CREATE INDEX messages_journal ON messages (journal_seq);

CREATE TABLE message_acks (
    message_id  TEXT PRIMARY KEY REFERENCES messages (id),
    acked_us    BIGINT NOT NULL,
    journal_seq BIGINT
);
CREATE INDEX message_acks_journal ON message_acks (journal_seq);

CREATE TABLE idempotency_keys (
    party_id       TEXT NOT NULL,
    key            TEXT NOT NULL,
    request_digest BYTEA NOT NULL,
    answer         BYTEA NOT NULL,
    created_us     BIGINT NOT NULL,
    journal_seq    BIGINT,
    PRIMARY KEY (party_id, key)
);
CREATE INDEX idempotency_keys_journal ON idempotency_keys (journal_seq);

CREATE TRIGGER scenarios_append_only BEFORE UPDATE OR DELETE ON scenarios
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER scenario_statuses_append_only BEFORE UPDATE OR DELETE ON scenario_statuses
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER messages_append_only BEFORE UPDATE OR DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER message_acks_append_only BEFORE UPDATE OR DELETE ON message_acks
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER idempotency_keys_append_only BEFORE UPDATE OR DELETE ON idempotency_keys
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
