//! The API over real HTTP: the app on a random port, a fresh database per test, on SQLite and
//! (with `CLOISON_TEST_POSTGRES_URL`) PostgreSQL.

mod access;
mod access_log;
mod checkpoint;
mod contact;
mod differential;
mod errors;
mod harness;
mod instants;
mod labels;
mod limits;
mod market;
mod metering;
mod openapi;
mod producers;
mod research;
mod rules;
mod slow_clients;
mod tls;
mod works;
