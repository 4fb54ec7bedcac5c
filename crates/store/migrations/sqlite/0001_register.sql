-- The access register (SQLite). Times are microseconds since the Unix epoch (UTC);
-- a NULL `to_us` is an open end. Distribution column for a sharded deployment, table by table:
--   meta: none (reference table, replicated); parties: party_id;
--   access_points, occupancies, registrations: ean.
-- Register tables are append-only (I4): corrections are new rows that supersede old ones.

CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE parties (
    party_id     TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    gln          INTEGER,
    name_sealed  BLOB NOT NULL,
    phone_sealed BLOB,
    phone_index  BLOB,
    email_sealed BLOB,
    email_index  BLOB,
    recorded_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX parties_gln ON parties (gln) WHERE gln IS NOT NULL;
CREATE INDEX parties_phone ON parties (phone_index) WHERE phone_index IS NOT NULL;
CREATE INDEX parties_email ON parties (email_index) WHERE email_index IS NOT NULL;

CREATE TABLE access_points (
    ean            INTEGER NOT NULL,
    version        INTEGER NOT NULL,
    energy         TEXT NOT NULL,
    address_sealed BLOB NOT NULL,
    postal_code    INTEGER NOT NULL,
    municipality   TEXT NOT NULL,
    substation     TEXT NOT NULL,
    regime         TEXT NOT NULL,
    meter          TEXT NOT NULL,
    grid_status    TEXT NOT NULL,
    recorded_at    INTEGER NOT NULL,
    PRIMARY KEY (ean, version)
);

CREATE TABLE occupancies (
    id              INTEGER PRIMARY KEY,
    ean             INTEGER NOT NULL,
    party_id        TEXT NOT NULL REFERENCES parties (party_id),
    from_us         INTEGER NOT NULL,
    to_us           INTEGER,
    shipping_sealed BLOB NOT NULL,
    recorded_at     INTEGER NOT NULL,
    supersedes      INTEGER REFERENCES occupancies (id),
    CHECK (to_us IS NULL OR to_us > from_us)
);
CREATE INDEX occupancies_ean ON occupancies (ean, from_us);
CREATE UNIQUE INDEX occupancies_supersedes ON occupancies (ean, supersedes) WHERE supersedes IS NOT NULL;
CREATE INDEX occupancies_party ON occupancies (party_id);

CREATE TABLE registrations (
    id          INTEGER PRIMARY KEY,
    ean         INTEGER NOT NULL,
    party_id    TEXT NOT NULL REFERENCES parties (party_id),
    from_us     INTEGER NOT NULL,
    to_us       INTEGER,
    recorded_at INTEGER NOT NULL,
    supersedes  INTEGER REFERENCES registrations (id),
    CHECK (to_us IS NULL OR to_us > from_us)
);
CREATE INDEX registrations_ean ON registrations (ean, from_us);
CREATE UNIQUE INDEX registrations_supersedes ON registrations (ean, supersedes) WHERE supersedes IS NOT NULL;
CREATE INDEX registrations_party ON registrations (party_id);

CREATE TRIGGER access_points_no_update BEFORE UPDATE ON access_points
BEGIN SELECT RAISE(ABORT, 'access_points is append-only: UPDATE refused'); END;
CREATE TRIGGER access_points_no_delete BEFORE DELETE ON access_points
BEGIN SELECT RAISE(ABORT, 'access_points is append-only: DELETE refused'); END;
CREATE TRIGGER occupancies_no_update BEFORE UPDATE ON occupancies
BEGIN SELECT RAISE(ABORT, 'occupancies is append-only: UPDATE refused'); END;
CREATE TRIGGER occupancies_no_delete BEFORE DELETE ON occupancies
BEGIN SELECT RAISE(ABORT, 'occupancies is append-only: DELETE refused'); END;
CREATE TRIGGER registrations_no_update BEFORE UPDATE ON registrations
BEGIN SELECT RAISE(ABORT, 'registrations is append-only: UPDATE refused'); END;
CREATE TRIGGER registrations_no_delete BEFORE DELETE ON registrations
BEGIN SELECT RAISE(ABORT, 'registrations is append-only: DELETE refused'); END;
