//! The use cases of `app`, called as the front ends call them, each through the one gate:
//! every test runs on SQLite, and on PostgreSQL when `CLOISON_TEST_POSTGRES_URL` is set, each
//! in a fresh database.

mod bearer;
mod gate;
mod harness;
mod history;
mod iam;
mod index_readings;
mod lint;
mod mandates;
mod market;
mod metering;
mod producers;
mod research;
mod settings;
mod sign_in;
mod works;
