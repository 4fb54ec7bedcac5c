-- The validators' work queue; see the SQLite migration of the same name.
CREATE TABLE validation_findings (
    finding_id     TEXT NOT NULL PRIMARY KEY,
    ean            BIGINT NOT NULL,
    channel        TEXT NOT NULL,
    day            TEXT NOT NULL,
    version        BIGINT NOT NULL,
    rule           TEXT NOT NULL,
    first_interval BIGINT,
    end_interval   BIGINT,
    reason         TEXT NOT NULL,
    found_at       BIGINT NOT NULL,
    journal_seq    BIGINT
);
CREATE INDEX validation_findings_journal ON validation_findings (journal_seq);
CREATE INDEX validation_findings_found ON validation_findings (found_at, finding_id);

CREATE TABLE validation_decisions (
    finding_id      TEXT NOT NULL PRIMARY KEY REFERENCES validation_findings (finding_id),
    decision        TEXT NOT NULL,
    party_id        TEXT NOT NULL,
    version_written BIGINT,
    decided_at      BIGINT NOT NULL,
    journal_seq     BIGINT
);
CREATE INDEX validation_decisions_journal ON validation_decisions (journal_seq);

CREATE TRIGGER validation_findings_append_only BEFORE UPDATE OR DELETE ON validation_findings
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER validation_decisions_append_only BEFORE UPDATE OR DELETE ON validation_decisions
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
