//! Persistence of Cloison: one store API over SQLite (embedded default) and PostgreSQL.
//!
//! Only this crate knows SQL. Both backends go through sqlx's `Any` driver with SQL written
//! once in the dialect the two share (`$n` parameters, `BIGINT` microsecond times, no
//! backend-only types), and each backend has its own migrations for what they do not share
//! (identity columns, triggers). The alternative, a trait with two implementations, doubled
//! every query for no behaviour difference; the conformance suite in `tests/it` runs every
//! test against both to keep the shared SQL honest.
//!
//! Writes go through [`WriteTx`], one database transaction that checks the register's
//! invariants (no overlap, known parties, effective supersession) before inserting, so a
//! refused write changes nothing. On SQLite, writes use a single connection and
//! `BEGIN IMMEDIATE`, so there is one writer and no lock upgrade to fail; reads use a pool.
//! On PostgreSQL, writes on one access point serialise on a transaction-scoped advisory lock
//! keyed by the EAN.
#![warn(missing_docs)]

pub mod journal;
mod local;
mod register;
pub mod seal;
pub mod tokens;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

pub use journal::{Committed, JournalFault, JournalQuery, Keys, StoredEntry, Ticket, Verified, VerifyError};
pub use register::{Counts, History, PartyPeriods, WriteTx, Written};
pub use seal::{MasterKey, Sealer};
pub use tokens::{Bearer, NewToken, ROLES};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One file, WAL: the embedded default.
    Sqlite,
    /// The production backend.
    Postgres,
}

impl Backend {
    /// Recognises the backend from a connection URL.
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Config {
                field: "database url",
                reason: format!("must start with sqlite: or postgres:, found {:?}", url.split(':').next()),
            })
        }
    }
}

/// Why a store operation failed. Input errors name the field and the rule and leave the
/// store unchanged; database errors are for logs, not for callers' eyes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Configuration is missing or malformed.
    #[error("{field} {reason}")]
    Config {
        /// The setting at fault.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The configured seal key is not the one this database was created with.
    #[error("the seal key does not match the one this database was sealed with")]
    WrongKey,
    /// A referenced party does not exist.
    #[error("{field}: no party {id}")]
    UnknownParty {
        /// The field that named it.
        field: &'static str,
        /// The id received.
        id: String,
    },
    /// A referenced party exists but cannot play that role.
    #[error("{field}: party {id} is a {found}, expected {expected}")]
    WrongPartyKind {
        /// The field that named it.
        field: &'static str,
        /// The id received.
        id: String,
        /// What it is.
        found: String,
        /// What the field requires.
        expected: &'static str,
    },
    /// A referenced access point does not exist.
    #[error("ean: no access point {ean}")]
    UnknownAccessPoint {
        /// The EAN received.
        ean: String,
    },
    /// A key that must be unique is taken.
    #[error("{field}: {value} already exists")]
    Duplicate {
        /// The field at fault.
        field: &'static str,
        /// The value received.
        value: String,
    },
    /// A correction names a record that is not effective on that access point.
    #[error("supersedes: record {id} is not an effective {what} of this access point")]
    NotEffective {
        /// "occupancy" or "registration".
        what: &'static str,
        /// The record named.
        id: i64,
    },
    /// An end was asked for at an instant where nothing of that kind is in force.
    #[error("at: no {what} of {ean} is in force at {at} to be ended")]
    NothingToEnd {
        /// "occupancy" or "registration".
        what: &'static str,
        /// The access point.
        ean: String,
        /// The instant asked.
        at: String,
    },
    /// No active token has this id.
    #[error("token_id: no active token {token_id}")]
    UnknownToken {
        /// The id received.
        token_id: String,
    },
    /// The new period overlaps an effective record.
    #[error("period: {0}")]
    Overlap(#[from] domain::OverlapError),
    /// Stored data does not decode: tampering, a wrong key, or a bug; fail closed.
    #[error("stored data is corrupt: {what}")]
    Corrupt {
        /// What could not be decoded.
        what: String,
    },
    /// The journal could not be appended to or read; the request fails (I2).
    #[error("journal: {0}")]
    Journal(String),
    /// The database refused or failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A synchronous SQLite read failed.
    #[error("database: {0}")]
    Local(rusqlite::Error),
}

impl StoreError {
    /// Whether the error is the caller's input (refused, nothing changed) rather than ours.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            StoreError::UnknownParty { .. }
                | StoreError::WrongPartyKind { .. }
                | StoreError::UnknownAccessPoint { .. }
                | StoreError::Duplicate { .. }
                | StoreError::NotEffective { .. }
                | StoreError::NothingToEnd { .. }
                | StoreError::UnknownToken { .. }
                | StoreError::Config { .. }
                | StoreError::Overlap(_)
        )
    }

    /// A stable, data-free code for the journal's outcome field and the API's error body.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Config { .. } => "config",
            StoreError::WrongKey => "wrong_key",
            StoreError::UnknownParty { .. } => "unknown_party",
            StoreError::WrongPartyKind { .. } => "wrong_party_kind",
            StoreError::UnknownAccessPoint { .. } => "unknown_access_point",
            StoreError::Duplicate { .. } => "duplicate",
            StoreError::NotEffective { .. } => "not_effective",
            StoreError::NothingToEnd { .. } => "nothing_to_end",
            StoreError::UnknownToken { .. } => "unknown_token",
            StoreError::Overlap(_) => "overlap",
            StoreError::Corrupt { .. } => "corrupt",
            StoreError::Database(_) | StoreError::Local(_) => "database",
            StoreError::Journal(_) => "journal",
        }
    }
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { what: what.to_string() }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The store: pools for reading and writing, and the sealer for personal data.
#[derive(Clone)]
pub struct Store {
    pub(crate) read: AnyPool,
    pub(crate) write: AnyPool,
    pub(crate) backend: Backend,
    pub(crate) sealer: Arc<Sealer>,
    pub(crate) journal_key: ed25519_dalek::VerifyingKey,
    pub(crate) writer: Arc<std::sync::OnceLock<journal::WriterHandle>>,
    /// SQLite only: the hot reads, run on the caller's thread (see `local`).
    pub(crate) local: Option<Arc<local::LocalReads>>,
}

impl Store {
    /// Connects, applies the migrations and checks the seal key against the database.
    ///
    /// A new SQLite file is created if missing. A new database records the key's check value;
    /// an existing one refuses any other key, so data is never sealed under two keys.
    pub async fn open(url: &str, keys: &Keys) -> Result<Store, StoreError> {
        let key = &keys.seal;
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let options = AnyConnectOptions::from_str(&with_sqlite_create(url, backend))
            .map_err(|e| StoreError::Config {
                field: "database url",
                reason: format!("cannot be parsed: {e}"),
            })?
            // Long scans (journal verification, exports) are expected; statements are not
            // logged at all, since their parameters may carry identifiers.
            .log_statements(tracing::log::LevelFilter::Off)
            .log_slow_statements(tracing::log::LevelFilter::Off, Duration::from_secs(3600));
        let (read, write, local) = match backend {
            Backend::Sqlite => {
                let path = sqlite_file(url)?;
                // A local file connection does not go stale: pinging it before every use
                // doubled the cost of a look-up. Nor does it need reaping when idle or old,
                // so these pools run no maintenance task (one was seen spinning on a CPU at
                // a command's exit in CI, cause not found).
                let local_pool = |connections: u32| {
                    AnyPoolOptions::new()
                        .test_before_acquire(false)
                        .idle_timeout(None)
                        .max_lifetime(None)
                        .max_connections(connections)
                        .after_connect(sqlite_pragmas)
                };
                let write = local_pool(1)
                    .acquire_timeout(Duration::from_secs(60))
                    .connect_with(options.clone())
                    .await?;
                SQLITE_MIGRATIONS.run(&write).await.map_err(migrate_error)?;
                let read = local_pool(4).connect_with(options).await?;
                let readers = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
                (read, write, Some(Arc::new(local::LocalReads::open(&path, readers)?)))
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await?;
                POSTGRES_MIGRATIONS.run(&pool).await.map_err(migrate_error)?;
                (pool.clone(), pool, None)
            }
        };
        let store = Store {
            read,
            write,
            backend,
            sealer: Arc::new(Sealer::new(key)),
            journal_key: keys.journal.verifying_key(),
            writer: Arc::new(std::sync::OnceLock::new()),
            local,
        };
        store.check_key().await?;
        journal::initialise(&store, &keys.journal).await?;
        let handle = journal::WriterHandle::spawn(store.clone(), keys.journal.clone());
        store.writer.set(handle).map_err(|_| StoreError::Journal("the writer started twice".into()))?;
        Ok(store)
    }

    /// Which backend this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Finishes queued journal work, then closes every connection (checkpointing SQLite's WAL).
    pub async fn close(&self) {
        if let Some(writer) = self.writer.get() {
            writer.shutdown().await;
        }
        self.read.close().await;
        self.write.close().await;
    }

    /// A configuration or provenance value stored with the data (not personal data).
    pub async fn meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.read)
            .await?)
    }

    /// Records a meta value once; a second write of the same name is refused.
    pub async fn put_meta(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        if self.meta(name).await?.is_some() {
            return Err(StoreError::Duplicate { field: "meta", value: name.to_owned() });
        }
        sqlx::query("INSERT INTO meta (name, value) VALUES ($1, $2)")
            .bind(name)
            .bind(value)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn check_key(&self) -> Result<(), StoreError> {
        let expected = self.sealer.key_check().to_vec();
        let found: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT value FROM meta WHERE name = 'seal_key_check'")
                .fetch_optional(&self.write)
                .await?;
        match found {
            Some(found) if found == expected => Ok(()),
            Some(_) => Err(StoreError::WrongKey),
            None => {
                sqlx::query("INSERT INTO meta (name, value) VALUES ('seal_key_check', $1)")
                    .bind(expected)
                    .execute(&self.write)
                    .await?;
                Ok(())
            }
        }
    }
}

/// Connection settings every SQLite connection gets.
fn sqlite_pragmas(
    conn: &mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        // FULL: a commit is on disk before it is acknowledged (I4), WAL or not.
        conn.execute(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
        )
        .await?;
        Ok(())
    })
}

fn with_sqlite_create(url: &str, backend: Backend) -> String {
    if backend == Backend::Sqlite && !url.contains("mode=") && !url.contains(":memory:") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}mode=rwc")
    } else {
        url.to_owned()
    }
}

/// The file of an SQLite URL. An in-memory database is refused: the store's readers and its
/// writer are separate connections, which would each see a database of their own.
fn sqlite_file(url: &str) -> Result<std::path::PathBuf, StoreError> {
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).map_err(|e| StoreError::Config {
        field: "database url",
        reason: format!("cannot be parsed: {e}"),
    })?;
    let path = options.get_filename();
    if url.contains(":memory:") || path.as_os_str().is_empty() {
        return Err(StoreError::Config {
            field: "database url",
            reason: "must name an SQLite file: an in-memory database is not shared between connections"
                .into(),
        });
    }
    Ok(path.to_owned())
}

fn migrate_error(e: sqlx::migrate::MigrateError) -> StoreError {
    match e {
        sqlx::migrate::MigrateError::Execute(e) => StoreError::Database(e),
        other => {
            StoreError::Config { field: "database schema", reason: format!("cannot be migrated: {other}") }
        }
    }
}

/// The SQLite URL of a file path, as configuration and the CLI's `--db` take it.
pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}", path.display())
}
