-- Customer works (R13): work requests, versioned, with their personal data sealed under keys of
-- their own so that the retention schedule can purge them.
--
-- `works_requests` keeps one version per step (I4), bound to the journal; its personal fields
-- are sealed in two categories, contact (phone, e-mail) and invoice (name, billing address),
-- each under a random data key of the request's. `works_keys` holds those data keys, sealed
-- under the installation's key; it is not bound and not append-only: purging a category
-- deletes its key, after which every version's ciphertext of that category is noise, and the
-- bound rows, hence `journal verify`, are untouched. `works_purges` records each purge, bound.
CREATE TABLE works_requests (
    request_id       TEXT NOT NULL,
    version          INTEGER NOT NULL,
    requester_id     TEXT NOT NULL,
    requester_kind   TEXT NOT NULL,
    kind             TEXT NOT NULL,
    stage            TEXT NOT NULL,
    ean              INTEGER,
    fields           TEXT NOT NULL,
    contact_sealed   BLOB,
    invoice_sealed   BLOB,
    changed_day      TEXT NOT NULL,
    journal_seq      INTEGER,
    PRIMARY KEY (request_id, version)
) WITHOUT ROWID;
CREATE INDEX works_requests_requester ON works_requests (requester_id);
CREATE INDEX works_requests_journal ON works_requests (journal_seq);

CREATE TABLE works_keys (
    request_id TEXT NOT NULL,
    category   TEXT NOT NULL,
    key_sealed BLOB NOT NULL,
    PRIMARY KEY (request_id, category)
);

CREATE TABLE works_purges (
    request_id  TEXT NOT NULL,
    category    TEXT NOT NULL,
    purged_day  TEXT NOT NULL,
    basis       TEXT NOT NULL,
    journal_seq INTEGER,
    PRIMARY KEY (request_id, category)
) WITHOUT ROWID;
CREATE INDEX works_purges_journal ON works_purges (journal_seq);

CREATE TRIGGER works_requests_no_update BEFORE UPDATE ON works_requests
BEGIN SELECT RAISE(ABORT, 'works_requests is append-only: UPDATE refused'); END;
CREATE TRIGGER works_requests_no_delete BEFORE DELETE ON works_requests
BEGIN SELECT RAISE(ABORT, 'works_requests is append-only: DELETE refused'); END;
CREATE TRIGGER works_purges_no_update BEFORE UPDATE ON works_purges
BEGIN SELECT RAISE(ABORT, 'works_purges is append-only: UPDATE refused'); END;
CREATE TRIGGER works_purges_no_delete BEFORE DELETE ON works_purges
BEGIN SELECT RAISE(ABORT, 'works_purges is append-only: DELETE refused'); END;
