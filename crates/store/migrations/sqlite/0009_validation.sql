-- The validators' work queue: what the validation rules found on a version of an interval day,
-- and each validator's decision on it. A finding is open while it has no decision. Both are
-- append-only and bound to the journal entry that wrote them: a finding cannot be made to
-- vanish, nor a decision rewritten, without verification naming it.
CREATE TABLE validation_findings (
    finding_id     TEXT NOT NULL PRIMARY KEY,
    ean            INTEGER NOT NULL,
    channel        TEXT NOT NULL,
    day            TEXT NOT NULL,
    version        INTEGER NOT NULL,
    rule           TEXT NOT NULL,
    first_interval INTEGER,
    end_interval   INTEGER,
    reason         TEXT NOT NULL,
    found_at       INTEGER NOT NULL,
    journal_seq    INTEGER
);
CREATE INDEX validation_findings_journal ON validation_findings (journal_seq);
CREATE INDEX validation_findings_found ON validation_findings (found_at, finding_id);

CREATE TABLE validation_decisions (
    finding_id      TEXT NOT NULL PRIMARY KEY REFERENCES validation_findings (finding_id),
    decision        TEXT NOT NULL,
    party_id        TEXT NOT NULL,
    version_written INTEGER,
    decided_at      INTEGER NOT NULL,
    journal_seq     INTEGER
);
CREATE INDEX validation_decisions_journal ON validation_decisions (journal_seq);

CREATE TRIGGER validation_findings_no_update BEFORE UPDATE ON validation_findings
BEGIN SELECT RAISE(ABORT, 'validation_findings is append-only: UPDATE refused'); END;
CREATE TRIGGER validation_findings_no_delete BEFORE DELETE ON validation_findings
BEGIN SELECT RAISE(ABORT, 'validation_findings is append-only: DELETE refused'); END;
CREATE TRIGGER validation_decisions_no_update BEFORE UPDATE ON validation_decisions
BEGIN SELECT RAISE(ABORT, 'validation_decisions is append-only: UPDATE refused'); END;
CREATE TRIGGER validation_decisions_no_delete BEFORE DELETE ON validation_decisions
BEGIN SELECT RAISE(ABORT, 'validation_decisions is append-only: DELETE refused'); END;
