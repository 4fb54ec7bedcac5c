-- The access register (PostgreSQL). Times are microseconds since the Unix epoch (UTC);
-- a NULL `to_us` is an open end. Distribution column for Citus, table by table:
--   meta: none (reference table); parties: party_id;
--   access_points, occupancies, registrations: ean (every key and unique index includes it).
-- Register tables are append-only (I4): corrections are new rows that supersede old ones.

CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE parties (
    party_id     TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    gln          BIGINT,
    name_sealed  BYTEA NOT NULL,
    phone_sealed BYTEA,
    phone_index  BYTEA,
    email_sealed BYTEA,
    email_index  BYTEA,
    recorded_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX parties_gln ON parties (gln) WHERE gln IS NOT NULL;
CREATE INDEX parties_phone ON parties (phone_index) WHERE phone_index IS NOT NULL;
CREATE INDEX parties_email ON parties (email_index) WHERE email_index IS NOT NULL;

CREATE TABLE access_points (
    ean            BIGINT NOT NULL,
    version        BIGINT NOT NULL,
    energy         TEXT NOT NULL,
    address_sealed BYTEA NOT NULL,
    postal_code    BIGINT NOT NULL,
    municipality   TEXT NOT NULL,
    substation     TEXT NOT NULL,
    regime         TEXT NOT NULL,
    meter          TEXT NOT NULL,
    grid_status    TEXT NOT NULL,
    recorded_at    BIGINT NOT NULL,
    PRIMARY KEY (ean, version)
);

CREATE TABLE occupancies (
    id              BIGINT GENERATED ALWAYS AS IDENTITY,
    ean             BIGINT NOT NULL,
    party_id        TEXT NOT NULL,
    from_us         BIGINT NOT NULL,
    to_us           BIGINT,
    shipping_sealed BYTEA NOT NULL,
    recorded_at     BIGINT NOT NULL,
    supersedes      BIGINT,
    PRIMARY KEY (ean, id),
    FOREIGN KEY (ean, supersedes) REFERENCES occupancies (ean, id),
    CHECK (to_us IS NULL OR to_us > from_us)
);
CREATE INDEX occupancies_ean ON occupancies (ean, from_us);
CREATE UNIQUE INDEX occupancies_supersedes ON occupancies (ean, supersedes) WHERE supersedes IS NOT NULL;
CREATE INDEX occupancies_party ON occupancies (party_id);

CREATE TABLE registrations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY,
    ean         BIGINT NOT NULL,
    party_id    TEXT NOT NULL,
    from_us     BIGINT NOT NULL,
    to_us       BIGINT,
    recorded_at BIGINT NOT NULL,
    supersedes  BIGINT,
    PRIMARY KEY (ean, id),
    FOREIGN KEY (ean, supersedes) REFERENCES registrations (ean, id),
    CHECK (to_us IS NULL OR to_us > from_us)
);
CREATE INDEX registrations_ean ON registrations (ean, from_us);
CREATE UNIQUE INDEX registrations_supersedes ON registrations (ean, supersedes) WHERE supersedes IS NOT NULL;
CREATE INDEX registrations_party ON registrations (party_id);

CREATE FUNCTION cloison_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END
$$;
CREATE TRIGGER access_points_append_only BEFORE UPDATE OR DELETE ON access_points
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER occupancies_append_only BEFORE UPDATE OR DELETE ON occupancies
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
CREATE TRIGGER registrations_append_only BEFORE UPDATE OR DELETE ON registrations
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
