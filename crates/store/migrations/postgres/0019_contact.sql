-- The contact center (R12); see the SQLite migration of the same name.
CREATE TABLE contact_configs (
    version     BIGINT NOT NULL PRIMARY KEY,
    text        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    loaded_at   BIGINT NOT NULL,
    journal_seq BIGINT
);
CREATE INDEX contact_configs_journal ON contact_configs (journal_seq);

CREATE TABLE contact_directory (
    principal    TEXT NOT NULL,
    customer_ref TEXT NOT NULL,
    number_index BYTEA NOT NULL,
    name_sealed  BYTEA NOT NULL,
    journal_seq  BIGINT,
    PRIMARY KEY (principal, number_index, customer_ref)
);
CREATE INDEX contact_directory_customer ON contact_directory (principal, customer_ref);
CREATE INDEX contact_directory_journal ON contact_directory (journal_seq);

CREATE TABLE contact_interactions (
    interaction_id TEXT NOT NULL PRIMARY KEY,
    principal      TEXT NOT NULL,
    channel        TEXT NOT NULL,
    entry          TEXT NOT NULL,
    rule_id        TEXT,
    queue          TEXT NOT NULL,
    operator       TEXT,
    customer_ref   TEXT,
    offered_at     BIGINT NOT NULL,
    journal_seq    BIGINT
);
CREATE INDEX contact_interactions_principal ON contact_interactions (principal, offered_at);
CREATE INDEX contact_interactions_journal ON contact_interactions (journal_seq);

CREATE TABLE contact_events (
    interaction_id TEXT NOT NULL,
    n              BIGINT NOT NULL,
    kind           TEXT NOT NULL,
    at             BIGINT NOT NULL,
    queue          TEXT,
    operator       TEXT,
    wrap_seconds   BIGINT NOT NULL,
    journal_seq    BIGINT,
    PRIMARY KEY (interaction_id, n)
);
CREATE INDEX contact_events_journal ON contact_events (journal_seq);

CREATE TABLE contact_cases (
    case_id      TEXT NOT NULL,
    version      BIGINT NOT NULL,
    principal    TEXT NOT NULL,
    customer_ref TEXT NOT NULL,
    procedure_id TEXT NOT NULL,
    step         BIGINT NOT NULL,
    state        TEXT NOT NULL,
    operator     TEXT NOT NULL,
    changed_at   BIGINT NOT NULL,
    journal_seq  BIGINT,
    PRIMARY KEY (case_id, version)
);
CREATE INDEX contact_cases_customer ON contact_cases (principal, customer_ref);
CREATE INDEX contact_cases_journal ON contact_cases (journal_seq);

CREATE TABLE contact_shifts (
    principal   TEXT NOT NULL,
    operator    TEXT NOT NULL,
    from_at     BIGINT NOT NULL,
    until_at    BIGINT NOT NULL,
    journal_seq BIGINT,
    PRIMARY KEY (principal, operator, from_at)
);
CREATE INDEX contact_shifts_journal ON contact_shifts (journal_seq);

CREATE TRIGGER contact_configs_append_only BEFORE UPDATE OR DELETE ON contact_configs
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER contact_directory_append_only BEFORE UPDATE OR DELETE ON contact_directory
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER contact_interactions_append_only BEFORE UPDATE OR DELETE ON contact_interactions
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER contact_events_append_only BEFORE UPDATE OR DELETE ON contact_events
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER contact_cases_append_only BEFORE UPDATE OR DELETE ON contact_cases
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER contact_shifts_append_only BEFORE UPDATE OR DELETE ON contact_shifts
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
