//! Rebuilds the store when a migration is added or changed: `sqlx::migrate!` embeds the
//! migration files at compile time, and cargo watches only the files it is told about.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
