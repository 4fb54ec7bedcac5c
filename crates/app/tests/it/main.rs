//! The use cases of `Cloison`, each through the one gate: every test runs on SQLite, and on
//! PostgreSQL when `CLOISON_TEST_POSTGRES_URL` is set, each in a fresh database.

mod gate;
mod harness;
mod lint;
