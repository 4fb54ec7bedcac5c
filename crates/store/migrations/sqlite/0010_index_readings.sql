-- Index readings of meters read yearly or monthly, and the meter readers' routes (R9).
--
-- A reading is kept per access point, register and Europe/Brussels local day (a meter is
-- read once a day at most; the instant is kept too), in thousandths of the register's
-- unit (Wh, or dm³ for gas with the calorific value it converts with). A validator's decision
-- is the next version of the reading, never an overwrite (I4). A route stop puts one access
-- point on one reader's round for one reading window (days, both included). Both tables are
-- append-only and bound to the journal entry that wrote each row.
CREATE TABLE index_readings (
    ean         INTEGER NOT NULL,
    register    TEXT NOT NULL,
    day         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    read_at     INTEGER NOT NULL,
    value       INTEGER NOT NULL,
    calorific   INTEGER,
    quality     TEXT NOT NULL,
    source      TEXT NOT NULL,
    reader      TEXT,
    recorded_at INTEGER NOT NULL,
    journal_seq INTEGER,
    PRIMARY KEY (ean, register, day, version)
) WITHOUT ROWID;
CREATE INDEX index_readings_journal ON index_readings (journal_seq);

CREATE TABLE route_stops (
    reader      TEXT NOT NULL,
    window_from TEXT NOT NULL,
    window_to   TEXT NOT NULL,
    ean         INTEGER NOT NULL,
    assigned_at INTEGER NOT NULL,
    journal_seq INTEGER,
    PRIMARY KEY (reader, window_from, ean)
);
CREATE INDEX route_stops_point ON route_stops (ean, window_from);
CREATE INDEX route_stops_journal ON route_stops (journal_seq);

CREATE TRIGGER index_readings_no_update BEFORE UPDATE ON index_readings
BEGIN SELECT RAISE(ABORT, 'index_readings is append-only: UPDATE refused'); END;
CREATE TRIGGER index_readings_no_delete BEFORE DELETE ON index_readings
BEGIN SELECT RAISE(ABORT, 'index_readings is append-only: DELETE refused'); END;
CREATE TRIGGER route_stops_no_update BEFORE UPDATE ON route_stops
BEGIN SELECT RAISE(ABORT, 'route_stops is append-only: UPDATE refused'); END;
CREATE TRIGGER route_stops_no_delete BEFORE DELETE ON route_stops
BEGIN SELECT RAISE(ABORT, 'route_stops is append-only: DELETE refused'); END;
