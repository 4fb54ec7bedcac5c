//! Opening the database from the command line, and what its failures mean for the exit code.
//!
//! Scripts branch on the exit code, so where an opening failure comes from decides it: a path
//! or URL that names no usable database is the caller's input (2), with a hint when the file
//! is simply missing; keys that do not fit the database, or a server that cannot be reached,
//! exit 1 with the store's own message, not under "internal error", which stays for faults
//! nobody can fix from the command line.

use anyhow::Result;
use app::{AppError, Cloison, Keys, Opening, StoreError};

use crate::Failure;
use crate::config::{Config, sqlite_path};

/// Opens the configured database with `keys`, under the configured journal origin; only
/// `demo` and `init` may create one.
pub async fn open(config: &Config, keys: &Keys, opening: Opening) -> Result<Cloison> {
    let app = Cloison::open(&config.database_url, keys, opening)
        .await
        .map_err(|e| failure(e, &config.database_url))?;
    Ok(app.with_journal_origin(config.journal_origin.clone()))
}

fn failure(e: AppError, url: &str) -> anyhow::Error {
    match e {
        AppError::Invalid(e) => {
            let missing = matches!(e, StoreError::NoDatabase { .. })
                && sqlite_path(url).is_some_and(|path| !path.exists());
            let hint = if missing { "; run `cloison demo` or `cloison init` to create one" } else { "" };
            Failure::Invalid(format!("{e}{hint}")).into()
        }
        AppError::Internal(
            e @ (StoreError::WrongKey | StoreError::WrongJournalKey { .. } | StoreError::Unreachable { .. }),
        ) => e.into(),
        other => other.into(),
    }
}
