//! Opening the database from the command line, and what its failures mean for the exit code.
//!
//! Scripts branch on the exit code, so where an opening failure comes from decides it: a path
//! or URL that names no usable database is the caller's input (2), with a hint when the file
//! is simply missing; keys that do not fit the database, or a server that cannot be reached,
//! exit 1 with the store's own message, not under "internal error", which stays for faults
//! nobody can fix from the command line.
//!
//! A key file that `demo` or `init` just created for a database that turns out to exist with
//! keys of its own is taken back: left behind, it would turn the next command's clear "the key
//! file does not exist" into a puzzling "the key does not match".

use std::path::PathBuf;

use anyhow::Result;
use app::{AppError, Cloison, Opening, StoreError};

use crate::Failure;
use crate::config::{Config, ConfiguredKeys, sqlite_path};

/// Opens the configured database with `keys`, under the configured journal origin; only
/// `demo` and `init` may create one.
pub async fn open(config: &Config, keys: &ConfiguredKeys, opening: Opening) -> Result<Cloison> {
    let app = Cloison::open(&config.database_url, &keys.keys, opening)
        .await
        .map_err(|e| failure(e, &config.database_url, &keys.created))?;
    Ok(app.with_journal_origin(config.journal_origin.clone()))
}

fn failure(e: AppError, url: &str, created: &[PathBuf]) -> anyhow::Error {
    match e {
        // The store refuses another key before it writes anything with it, so a key file made
        // for this run is bound to nothing and can go: the database's own key file is missing.
        AppError::Internal(e @ (StoreError::WrongKey | StoreError::WrongJournalKey { .. }))
            if !created.is_empty() =>
        {
            let removed: Vec<String> = created
                .iter()
                .filter(|path| std::fs::remove_file(path).is_ok())
                .map(|path| path.display().to_string())
                .collect();
            Failure::Invalid(format!(
                "{e}; this database exists with keys of its own, and the key file {} was missing, so a \
                 new key was made for it and is now removed again: restore the database's key files, or \
                 point CLOISON_KEY_FILE / CLOISON_JOURNAL_KEY_FILE (key_file / journal_key_file) to them",
                removed.join(" and ")
            ))
            .into()
        }
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
