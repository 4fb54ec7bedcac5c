-- Interval data in packed days; see the SQLite migration of the same name.
CREATE TABLE interval_days (
    ean         BIGINT NOT NULL,
    channel     TEXT NOT NULL,
    day         TEXT NOT NULL,
    version     BIGINT NOT NULL,
    packed      BYTEA NOT NULL,
    recorded_at BIGINT NOT NULL,
    journal_seq BIGINT,
    PRIMARY KEY (ean, channel, day, version)
);
CREATE INDEX interval_days_journal ON interval_days (journal_seq);

CREATE TRIGGER interval_days_append_only BEFORE UPDATE OR DELETE ON interval_days
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
