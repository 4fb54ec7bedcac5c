//! `cloison init`: an empty database for a real register, created on purpose.
//!
//! Every other command but `demo` refuses a missing database, so that a mistyped `--db` is an
//! error and not a new empty register; this is the explicit way to make one.

use std::path::Path;

use anyhow::Result;
use app::Opening;
use clap::Args;

use crate::config::{Config, sqlite_path};
use crate::output::outln;

/// Options of `cloison init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// SQLite file or database URL to create (default from configuration). An existing
    /// Cloison database there is checked against the keys and brought to the current schema.
    #[arg(long)]
    db: Option<String>,
}

/// Creates (or checks) the database: schema, seal-key check value, journal key and empty head.
pub async fn run(config_file: Option<&Path>, args: InitArgs) -> Result<()> {
    let config = Config::load(config_file, args.db.as_deref())?;
    let keys = config.keys(true)?;
    let existed = sqlite_path(&config.database_url).map(|path| path.exists());
    let app = crate::database::open(&config, &keys, Opening::CreateIfMissing).await?;
    let public_key = hex::encode(app.journal_public_key().as_bytes());
    app.close().await;
    let target = match sqlite_path(&config.database_url) {
        Some(path) => path.display().to_string(),
        None => app::redacted(&config.database_url),
    };
    for path in &keys.created {
        let which =
            if config.key.file() == Some(path.as_path()) { "seal key" } else { "journal signing key" };
        outln!("created the {which} file {} (mode 0600): keep it apart from the data", path.display())?;
    }
    match existed {
        Some(false) => outln!("created an empty Cloison database at {target}")?,
        Some(true) => outln!("{target} is a Cloison database already: schema up to date, keys match")?,
        None => outln!("{target} is ready: schema up to date, keys recorded or matching")?,
    }
    outln!("journal public key {public_key}")?;
    Ok(())
}
