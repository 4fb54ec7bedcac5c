-- Interval data: one row per access point, channel, Europe/Brussels local day and version,
-- the day's values and qualities packed (`domain::metering::packing`). WITHOUT ROWID, so the
-- key is stored once; append-only, a correction being the next version (I4); bound to the
-- journal like every business row.
CREATE TABLE interval_days (
    ean         INTEGER NOT NULL,
    channel     TEXT NOT NULL,
    day         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    packed      BLOB NOT NULL,
    recorded_at INTEGER NOT NULL,
    journal_seq INTEGER,
    PRIMARY KEY (ean, channel, day, version)
) WITHOUT ROWID;
CREATE INDEX interval_days_journal ON interval_days (journal_seq);

CREATE TRIGGER interval_days_no_update BEFORE UPDATE ON interval_days
BEGIN SELECT RAISE(ABORT, 'interval_days is append-only: UPDATE refused'); END;
CREATE TRIGGER interval_days_no_delete BEFORE DELETE ON interval_days
BEGIN SELECT RAISE(ABORT, 'interval_days is append-only: DELETE refused'); END;
