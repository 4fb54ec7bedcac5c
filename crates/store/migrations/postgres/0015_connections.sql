-- The producer connection queues (R15); see the SQLite migration of the same name.
CREATE TABLE connection_commands (
    substation  TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    command     TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    journal_seq BIGINT,
    PRIMARY KEY (substation, seq)
);
CREATE INDEX connection_commands_journal ON connection_commands (journal_seq);

CREATE TABLE connection_queues (
    substation  TEXT NOT NULL,
    version     BIGINT NOT NULL,
    capacity_kw BIGINT NOT NULL,
    next_filing BIGINT NOT NULL,
    last_day    TEXT,
    journal_seq BIGINT,
    PRIMARY KEY (substation, version)
);
CREATE INDEX connection_queues_journal ON connection_queues (journal_seq);

CREATE TABLE connection_requests (
    request_id  TEXT NOT NULL,
    version     BIGINT NOT NULL,
    substation  TEXT NOT NULL,
    producer_id TEXT NOT NULL,
    state       TEXT NOT NULL,
    request     TEXT NOT NULL,
    journal_seq BIGINT,
    PRIMARY KEY (request_id, version)
);
CREATE INDEX connection_requests_substation ON connection_requests (substation);
CREATE INDEX connection_requests_producer ON connection_requests (producer_id);
CREATE INDEX connection_requests_journal ON connection_requests (journal_seq);

CREATE TRIGGER connection_commands_append_only BEFORE UPDATE OR DELETE ON connection_commands
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER connection_queues_append_only BEFORE UPDATE OR DELETE ON connection_queues
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER connection_requests_append_only BEFORE UPDATE OR DELETE ON connection_requests
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
