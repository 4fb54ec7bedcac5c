-- Market scenarios, their statuses, the messages they send and their acknowledgements, and
-- the idempotency keys of submissions. Every table is append-only and bound to the journal
-- (`bound.rs`): a status change is a new status row, an acknowledgement a row of its own.

-- A scenario as accepted. The request is sealed (a move-in carries a shipping address); the
-- point, the kind, the initiator and the day stay searchable. `public_id` is what parties see:
-- a random id, so ids count nothing (I5).
CREATE TABLE scenarios (
    id             INTEGER PRIMARY KEY,
    public_id      TEXT NOT NULL UNIQUE,
    ean            INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    initiator      TEXT NOT NULL,
    effective_day  TEXT NOT NULL,
    request_sealed BLOB NOT NULL,
    parties        TEXT NOT NULL,
    recorded_at    INTEGER NOT NULL,
    journal_seq    INTEGER
);
CREATE INDEX scenarios_ean ON scenarios (ean, id);
CREATE INDEX scenarios_journal ON scenarios (journal_seq);

-- Where a scenario stands: one row per step, numbered from 1; the highest number is now.
CREATE TABLE scenario_statuses (
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    n           INTEGER NOT NULL,
    status      TEXT NOT NULL,
    at_us       INTEGER NOT NULL,
    journal_seq INTEGER,
    PRIMARY KEY (scenario_id, n)
);
CREATE INDEX scenario_statuses_journal ON scenario_statuses (journal_seq);

-- One message to one recipient (a party id, or `dso:` and a service). `n` orders a
-- recipient's queue; `id` is the random id the recipient acknowledges it by.
CREATE TABLE messages (
    n           INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    recipient   TEXT NOT NULL,
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    kind        TEXT NOT NULL,
    body        BLOB NOT NULL,
    created_us  INTEGER NOT NULL,
    journal_seq INTEGER
);
CREATE INDEX messages_recipient ON messages (recipient, n);
CREATE INDEX messages_journal ON messages (journal_seq);

CREATE TABLE message_acks (
    message_id  TEXT PRIMARY KEY REFERENCES messages (id),
    acked_us    INTEGER NOT NULL,
    journal_seq INTEGER
);
CREATE INDEX message_acks_journal ON message_acks (journal_seq);

-- A submission's idempotency key: a replay with the same request gets the first answer back.
CREATE TABLE idempotency_keys (
    party_id       TEXT NOT NULL,
    key            TEXT NOT NULL,
    request_digest BLOB NOT NULL,
    answer         BLOB NOT NULL,
    created_us     INTEGER NOT NULL,
    journal_seq    INTEGER,
    PRIMARY KEY (party_id, key)
);
CREATE INDEX idempotency_keys_journal ON idempotency_keys (journal_seq);

CREATE TRIGGER scenarios_no_update BEFORE UPDATE ON scenarios
BEGIN SELECT RAISE(ABORT, 'scenarios is append-only: UPDATE refused'); END;
CREATE TRIGGER scenarios_no_delete BEFORE DELETE ON scenarios
BEGIN SELECT RAISE(ABORT, 'scenarios is append-only: DELETE refused'); END;
CREATE TRIGGER scenario_statuses_no_update BEFORE UPDATE ON scenario_statuses
BEGIN SELECT RAISE(ABORT, 'scenario_statuses is append-only: UPDATE refused'); END;
CREATE TRIGGER scenario_statuses_no_delete BEFORE DELETE ON scenario_statuses
BEGIN SELECT RAISE(ABORT, 'scenario_statuses is append-only: DELETE refused'); END;
CREATE TRIGGER messages_no_update BEFORE UPDATE ON messages
BEGIN SELECT RAISE(ABORT, 'messages is append-only: UPDATE refused'); END;
CREATE TRIGGER messages_no_delete BEFORE DELETE ON messages
BEGIN SELECT RAISE(ABORT, 'messages is append-only: DELETE refused'); END;
CREATE TRIGGER message_acks_no_update BEFORE UPDATE ON message_acks
BEGIN SELECT RAISE(ABORT, 'message_acks is append-only: UPDATE refused'); END;
CREATE TRIGGER message_acks_no_delete BEFORE DELETE ON message_acks
BEGIN SELECT RAISE(ABORT, 'message_acks is append-only: DELETE refused'); END;
CREATE TRIGGER idempotency_keys_no_update BEFORE UPDATE ON idempotency_keys
BEGIN SELECT RAISE(ABORT, 'idempotency_keys is append-only: UPDATE refused'); END;
CREATE TRIGGER idempotency_keys_no_delete BEFORE DELETE ON idempotency_keys
BEGIN SELECT RAISE(ABORT, 'idempotency_keys is append-only: DELETE refused'); END;
