//! The web pages over real HTTP: the app on a random port with a small demo, a fresh database
//! per test, on SQLite and (with `CLOISON_TEST_POSTGRES_URL`) PostgreSQL; and, in `browser`,
//! the same pages driven in headless Chromium.

mod browser;
mod harness;
mod pages;
