-- The producer connection queues (R15): one queue per substation, changed only by commands.
--
-- `connection_commands` keeps every accepted command of a substation's queue in order, as the
-- domain's JSON; replaying them from an empty queue rebuilds the queue, which is what the
-- audit does. `connection_queues` and `connection_requests` are the queue as it stands: a new
-- version of the queue (capacity, next filing number, last day) per command, and a new version
-- of each request a command changed, never an overwrite (I4). All three are append-only and
-- bound to the journal entry that wrote each row.
CREATE TABLE connection_commands (
    substation  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    command     TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    journal_seq INTEGER,
    PRIMARY KEY (substation, seq)
) WITHOUT ROWID;
CREATE INDEX connection_commands_journal ON connection_commands (journal_seq);

CREATE TABLE connection_queues (
    substation  TEXT NOT NULL,
    version     INTEGER NOT NULL,
    capacity_kw INTEGER NOT NULL,
    next_filing INTEGER NOT NULL,
    last_day    TEXT,
    journal_seq INTEGER,
    PRIMARY KEY (substation, version)
) WITHOUT ROWID;
CREATE INDEX connection_queues_journal ON connection_queues (journal_seq);

CREATE TABLE connection_requests (
    request_id  TEXT NOT NULL,
    version     INTEGER NOT NULL,
    substation  TEXT NOT NULL,
    producer_id TEXT NOT NULL,
    state       TEXT NOT NULL,
    request     TEXT NOT NULL,
    journal_seq INTEGER,
    PRIMARY KEY (request_id, version)
) WITHOUT ROWID;
CREATE INDEX connection_requests_substation ON connection_requests (substation);
CREATE INDEX connection_requests_producer ON connection_requests (producer_id);
CREATE INDEX connection_requests_journal ON connection_requests (journal_seq);

CREATE TRIGGER connection_commands_no_update BEFORE UPDATE ON connection_commands
BEGIN SELECT RAISE(ABORT, 'connection_commands is append-only: UPDATE refused'); END;
CREATE TRIGGER connection_commands_no_delete BEFORE DELETE ON connection_commands
BEGIN SELECT RAISE(ABORT, 'connection_commands is append-only: DELETE refused'); END;
CREATE TRIGGER connection_queues_no_update BEFORE UPDATE ON connection_queues
BEGIN SELECT RAISE(ABORT, 'connection_queues is append-only: UPDATE refused'); END;
CREATE TRIGGER connection_queues_no_delete BEFORE DELETE ON connection_queues
BEGIN SELECT RAISE(ABORT, 'connection_queues is append-only: DELETE refused'); END;
CREATE TRIGGER connection_requests_no_update BEFORE UPDATE ON connection_requests
BEGIN SELECT RAISE(ABORT, 'connection_requests is append-only: UPDATE refused'); END;
CREATE TRIGGER connection_requests_no_delete BEFORE DELETE ON connection_requests
BEGIN SELECT RAISE(ABORT, 'connection_requests is append-only: DELETE refused'); END;
