-- Index readings and the meter readers' routes (R9); see the SQLite migration of the same name.
CREATE TABLE index_readings (
    ean         BIGINT NOT NULL,
    register    TEXT NOT NULL,
    day         TEXT NOT NULL,
    version     BIGINT NOT NULL,
    read_at     BIGINT NOT NULL,
    value       BIGINT NOT NULL,
    calorific   BIGINT,
    quality     TEXT NOT NULL,
    source      TEXT NOT NULL,
    reader      TEXT,
    recorded_at BIGINT NOT NULL,
    journal_seq BIGINT,
    PRIMARY KEY (ean, register, day, version)
);
CREATE INDEX index_readings_journal ON index_readings (journal_seq);

CREATE TABLE route_stops (
    reader      TEXT NOT NULL,
    window_from TEXT NOT NULL,
    window_to   TEXT NOT NULL,
    ean         BIGINT NOT NULL,
    assigned_at BIGINT NOT NULL,
    journal_seq BIGINT,
    PRIMARY KEY (reader, window_from, ean)
);
CREATE INDEX route_stops_point ON route_stops (ean, window_from);
CREATE INDEX route_stops_journal ON route_stops (journal_seq);

CREATE TRIGGER index_readings_append_only BEFORE UPDATE OR DELETE ON index_readings
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER route_stops_append_only BEFORE UPDATE OR DELETE ON route_stops
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
