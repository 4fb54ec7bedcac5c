-- The journal (RFC 6962 Merkle log). Distribution: none of these tables is sharded; the
-- journal is one ordered log (reference tables on a Citus coordinator). See the SQLite
-- migration of the same name for what each table holds.

CREATE TABLE journal_entries (
    seq       BIGINT PRIMARY KEY,
    time_us   BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entry     BYTEA NOT NULL,
    leaf_hash BYTEA NOT NULL
);
CREATE INDEX journal_entries_actor ON journal_entries (actor, time_us);

CREATE TABLE journal_subjects (
    subject TEXT NOT NULL,
    seq     BIGINT NOT NULL,
    time_us BIGINT NOT NULL,
    PRIMARY KEY (subject, seq)
);

CREATE TABLE journal_nodes (
    leaf  BIGINT NOT NULL,
    level BIGINT NOT NULL,
    hash  BYTEA NOT NULL,
    PRIMARY KEY (leaf, level)
);

CREATE TABLE journal_heads (
    size      BIGINT PRIMARY KEY,
    root      BYTEA NOT NULL,
    time_us   BIGINT NOT NULL,
    signature BYTEA NOT NULL
);

CREATE TABLE journal_latest (
    id        BIGINT PRIMARY KEY CHECK (id = 1),
    size      BIGINT NOT NULL,
    root      BYTEA NOT NULL,
    time_us   BIGINT NOT NULL,
    signature BYTEA NOT NULL
);

CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER journal_subjects_append_only BEFORE UPDATE OR DELETE ON journal_subjects
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER journal_nodes_append_only BEFORE UPDATE OR DELETE ON journal_nodes
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER journal_heads_append_only BEFORE UPDATE OR DELETE ON journal_heads
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();

CREATE FUNCTION cloison_journal_latest_grows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.size < OLD.size THEN
        RAISE EXCEPTION 'journal_latest may only grow: % refused', TG_OP;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER journal_latest_grows BEFORE UPDATE OR DELETE ON journal_latest
    FOR EACH ROW EXECUTE FUNCTION cloison_journal_latest_grows();
