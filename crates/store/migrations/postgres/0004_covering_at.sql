-- The point-in-time look-up tests each candidate record's end (to_us) before it takes the
-- record: with the end in the index, that test reads no table row. The new indexes replace
-- the (ean, from_us) ones, whose every use they serve.
CREATE INDEX occupancies_at ON occupancies (ean, from_us, to_us);
DROP INDEX occupancies_ean;
CREATE INDEX registrations_at ON registrations (ean, from_us, to_us);
DROP INDEX registrations_ean;
