-- Bearer tokens. Only the SHA-256 of a token is kept: a token is 256 random bits, so a fast
-- hash is as strong as a slow one and keeps every request's look-up cheap. Distribution:
-- a reference table (looked up by hash on every request, from any shard).
CREATE TABLE tokens (
    token_hash BLOB PRIMARY KEY,
    token_id   TEXT NOT NULL UNIQUE,
    party_id   TEXT NOT NULL,
    role       TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    expires_us INTEGER NOT NULL,
    revoked_us INTEGER
);
CREATE INDEX tokens_party ON tokens (party_id);
