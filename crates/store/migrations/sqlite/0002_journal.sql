-- The journal (RFC 6962 Merkle log). Distribution: none of these tables is sharded; the
-- journal is one ordered log (a reference table on a Citus coordinator).
--   journal_entries: one row per leaf, its canonical bytes and leaf hash.
--   journal_subjects: (subject, seq) for the auditors' search by EAN or party.
--   journal_nodes: perfect subtree hashes of level >= 1, keyed by the leaf that completed
--     them (leaf = (index + 1) * 2^level - 1), so a verifier streams them in leaf order and a
--     proof reads each by key.
--   journal_heads: signed tree heads kept as checkpoints, append-only.
--   journal_latest: the signed head of the whole journal, rewritten by every commit, so an
--     entry slipped in after it is not covered by any signature.

CREATE TABLE journal_entries (
    seq       INTEGER PRIMARY KEY,
    time_us   INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entry     BLOB NOT NULL,
    leaf_hash BLOB NOT NULL
);
CREATE INDEX journal_entries_actor ON journal_entries (actor, time_us);

CREATE TABLE journal_subjects (
    subject TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    time_us INTEGER NOT NULL,
    PRIMARY KEY (subject, seq)
) WITHOUT ROWID;

CREATE TABLE journal_nodes (
    leaf  INTEGER NOT NULL,
    level INTEGER NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (leaf, level)
) WITHOUT ROWID;

CREATE TABLE journal_heads (
    size      INTEGER PRIMARY KEY,
    root      BLOB NOT NULL,
    time_us   INTEGER NOT NULL,
    signature BLOB NOT NULL
);

CREATE TABLE journal_latest (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    size      INTEGER NOT NULL,
    root      BLOB NOT NULL,
    time_us   INTEGER NOT NULL,
    signature BLOB NOT NULL
);

CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'journal_entries is append-only: UPDATE refused'); END;
CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'journal_entries is append-only: DELETE refused'); END;
CREATE TRIGGER journal_subjects_no_update BEFORE UPDATE ON journal_subjects
BEGIN SELECT RAISE(ABORT, 'journal_subjects is append-only: UPDATE refused'); END;
CREATE TRIGGER journal_subjects_no_delete BEFORE DELETE ON journal_subjects
BEGIN SELECT RAISE(ABORT, 'journal_subjects is append-only: DELETE refused'); END;
CREATE TRIGGER journal_nodes_no_update BEFORE UPDATE ON journal_nodes
BEGIN SELECT RAISE(ABORT, 'journal_nodes is append-only: UPDATE refused'); END;
CREATE TRIGGER journal_nodes_no_delete BEFORE DELETE ON journal_nodes
BEGIN SELECT RAISE(ABORT, 'journal_nodes is append-only: DELETE refused'); END;
CREATE TRIGGER journal_heads_no_update BEFORE UPDATE ON journal_heads
BEGIN SELECT RAISE(ABORT, 'journal_heads is append-only: UPDATE refused'); END;
CREATE TRIGGER journal_heads_no_delete BEFORE DELETE ON journal_heads
BEGIN SELECT RAISE(ABORT, 'journal_heads is append-only: DELETE refused'); END;
CREATE TRIGGER journal_latest_grows BEFORE UPDATE ON journal_latest
WHEN NEW.size < OLD.size
BEGIN SELECT RAISE(ABORT, 'journal_latest may only grow'); END;
CREATE TRIGGER journal_latest_no_delete BEFORE DELETE ON journal_latest
BEGIN SELECT RAISE(ABORT, 'journal_latest cannot be deleted'); END;
