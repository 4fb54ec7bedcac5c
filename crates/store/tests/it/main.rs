//! The store conformance suite: every test runs on SQLite, and on PostgreSQL when
//! `CLOISON_TEST_POSTGRES_URL` is set, each in a fresh database.

mod bound;
mod contact;
mod harness;
mod journal;
mod market;
mod metering;
mod opening;
mod register;
mod sealed;
mod sign_in;
