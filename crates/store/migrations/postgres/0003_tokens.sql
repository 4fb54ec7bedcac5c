-- Bearer tokens; see the SQLite migration of the same name.
CREATE TABLE tokens (
    token_hash BYTEA PRIMARY KEY,
    token_id   TEXT NOT NULL UNIQUE,
    party_id   TEXT NOT NULL,
    role       TEXT NOT NULL,
    created_us BIGINT NOT NULL,
    expires_us BIGINT NOT NULL,
    revoked_us BIGINT
);
CREATE INDEX tokens_party ON tokens (party_id);
