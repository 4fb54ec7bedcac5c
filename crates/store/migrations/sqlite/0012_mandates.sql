-- Written mandates (R5): a customer authorises a third party or a supplier to see named data
-- of named access points for a period. The access points are rows of their own, so a
-- decision finds a party's mandates on one point by index; a revocation is a row of its own.
-- All three tables are append-only and bound to the journal entry that wrote each row.
CREATE TABLE mandates (
    mandate_id  TEXT NOT NULL PRIMARY KEY,
    customer_id TEXT NOT NULL,
    mandated_id TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    from_us     INTEGER NOT NULL,
    to_us       INTEGER,
    document    TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    journal_seq INTEGER
);
CREATE INDEX mandates_mandated ON mandates (mandated_id);
CREATE INDEX mandates_journal ON mandates (journal_seq);

CREATE TABLE mandate_points (
    mandate_id  TEXT NOT NULL,
    ean         INTEGER NOT NULL,
    journal_seq INTEGER,
    PRIMARY KEY (mandate_id, ean)
);
CREATE INDEX mandate_points_ean ON mandate_points (ean, mandate_id);
CREATE INDEX mandate_points_journal ON mandate_points (journal_seq);

CREATE TABLE mandate_revocations (
    mandate_id  TEXT NOT NULL PRIMARY KEY,
    revoked_at  INTEGER NOT NULL,
    journal_seq INTEGER
);
CREATE INDEX mandate_revocations_journal ON mandate_revocations (journal_seq);

CREATE TRIGGER mandates_no_update BEFORE UPDATE ON mandates
BEGIN SELECT RAISE(ABORT, 'mandates is append-only: UPDATE refused'); END;
CREATE TRIGGER mandates_no_delete BEFORE DELETE ON mandates
BEGIN SELECT RAISE(ABORT, 'mandates is append-only: DELETE refused'); END;
CREATE TRIGGER mandate_points_no_update BEFORE UPDATE ON mandate_points
BEGIN SELECT RAISE(ABORT, 'mandate_points is append-only: UPDATE refused'); END;
CREATE TRIGGER mandate_points_no_delete BEFORE DELETE ON mandate_points
BEGIN SELECT RAISE(ABORT, 'mandate_points is append-only: DELETE refused'); END;
CREATE TRIGGER mandate_revocations_no_update BEFORE UPDATE ON mandate_revocations
BEGIN SELECT RAISE(ABORT, 'mandate_revocations is append-only: UPDATE refused'); END;
CREATE TRIGGER mandate_revocations_no_delete BEFORE DELETE ON mandate_revocations
BEGIN SELECT RAISE(ABORT, 'mandate_revocations is append-only: DELETE refused'); END;
