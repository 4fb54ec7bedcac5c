-- Written mandates (R5); see the SQLite migration of the same name.
CREATE TABLE mandates (
    mandate_id  TEXT NOT NULL PRIMARY KEY,
    customer_id TEXT NOT NULL,
    mandated_id TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    from_us     BIGINT NOT NULL,
    to_us       BIGINT,
    document    TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    journal_seq BIGINT
);
CREATE INDEX mandates_mandated ON mandates (mandated_id);
CREATE INDEX mandates_journal ON mandates (journal_seq);

CREATE TABLE mandate_points (
    mandate_id  TEXT NOT NULL,
    ean         BIGINT NOT NULL,
    journal_seq BIGINT,
    PRIMARY KEY (mandate_id, ean)
);
CREATE INDEX mandate_points_ean ON mandate_points (ean, mandate_id);
CREATE INDEX mandate_points_journal ON mandate_points (journal_seq);

CREATE TABLE mandate_revocations (
    mandate_id  TEXT NOT NULL PRIMARY KEY,
    revoked_at  BIGINT NOT NULL,
    journal_seq BIGINT
);
CREATE INDEX mandate_revocations_journal ON mandate_revocations (journal_seq);

CREATE TRIGGER mandates_append_only BEFORE UPDATE OR DELETE ON mandates
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER mandate_points_append_only BEFORE UPDATE OR DELETE ON mandate_points
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER mandate_revocations_append_only BEFORE UPDATE OR DELETE ON mandate_revocations
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
