//! The witness over real HTTP, fed by real journals: a witness on port 0 with its state file,
//! Cloison databases (SQLite, and PostgreSQL when `CLOISON_TEST_POSTGRES_URL` is set) as the
//! logs it witnesses, and the log's own client asking it to cosign.

mod harness;
mod refusals;
mod submit;
