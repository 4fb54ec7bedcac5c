//! Persistence of Cloison: one store API over SQLite (embedded default) and PostgreSQL.
//!
//! Only this crate knows SQL. Both backends go through sqlx's `Any` driver with SQL written
//! once in the dialect the two share (`$n` parameters, `BIGINT` microsecond times, no
//! backend-only types), and each backend has its own migrations for what they do not share
//! (identity columns, triggers). The alternative, a trait with two implementations, doubled
//! every query for no behaviour difference; the conformance suite in `tests/it` runs every
//! test against both to keep the shared SQL honest. The hot reads are the exception, for
//! their cost: on SQLite through `rusqlite` on the caller's thread (`local`), and a bearer's
//! read of one access point in one statement on PostgreSQL through sqlx's own driver
//! (`point`, `hot`).
//!
//! Writes go through the journal writer: a [`Command`] (defined by the capability that
//! writes, in `app`) runs in the writer's [`WriteTx`] with the entries that describe it. The
//! store's primitives on that transaction read what the domain's rules judge a write by
//! (no overlap, party kinds, effective supersession), ask them, and insert only what they
//! allow, so a refused write changes nothing. On SQLite, writes use a single connection and
//! `BEGIN IMMEDIATE`, so there is one writer and no lock upgrade to fail; reads use a pool.
//! On PostgreSQL, writes on one access point serialise on a transaction-scoped advisory lock
//! keyed by the EAN.
#![warn(missing_docs)]

mod bound;
pub mod contact;
mod hot;
pub mod index;
pub mod journal;
mod local;
pub mod mandate;
pub mod market;
pub mod metering;
pub mod naive;
mod point;
pub mod producer;
mod register;
pub mod research;
pub mod seal;
pub mod sign_in;
pub mod staff;
pub mod tokens;
mod tx;
pub mod works;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};

pub use bound::Slot;
pub use journal::{
    Command, Committed, Done, JournalFault, JournalQuery, Keys, StoredEntry, Ticket, Verified, VerifyError,
};
pub use market::{Acknowledged, Remembered, StoredMessage, StoredScenario};
pub use metering::DayWritten;
pub use point::PointRead;
pub use register::{Applied, Counts, History, PartyPeriods, Written};
pub use seal::{MasterKey, Sealer};
pub use tokens::{Bearer, NewToken};
pub use tx::{Savepoint, WriteTx};

/// The `meta` name of the seal key's check value.
const SEAL_KEY_CHECK: &str = "seal_key_check";
/// The `meta` name of the journal's public key.
const JOURNAL_PUBLIC_KEY: &str = "journal_public_key";

/// The `meta` names the store keeps for itself: recorded at a database's first open and
/// compared at every later one, so that data is never sealed under two keys nor the journal
/// signed by two. Whoever writes other values into `meta` (the installation's settings) must
/// leave these alone; the schema's version is sqlx's own table, not `meta`.
pub const STORE_META: [&str; 2] = [SEAL_KEY_CHECK, JOURNAL_PUBLIC_KEY];

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
            // Only the scheme is echoed: the rest of a URL may carry a password.
            let scheme = url.split_once(':').map_or("none", |(scheme, _)| scheme);
            Err(StoreError::Config {
                field: "database url",
                reason: format!("must start with sqlite: or postgres:, found the scheme {scheme:?}"),
            })
        }
    }
}

/// Whether opening a store may create its database.
///
/// A mistyped SQLite path must not become a new empty database that then answers "not in the
/// register" as if the register were real, so only the commands that mean to create one (a
/// demo build, an explicit `init`) ask for [`Opening::CreateIfMissing`]. A PostgreSQL database
/// is never created here: an existing empty one is migrated either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// The SQLite file must already exist.
    Existing,
    /// A missing SQLite file is created.
    CreateIfMissing,
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
    /// The configured journal signing key is not the one this database's journal began with:
    /// heads signed with it would make `journal verify` report tampering from then on.
    #[error(
        "the journal signing key does not match the one this database's journal was started with \
         (public key {expected})"
    )]
    WrongJournalKey {
        /// The public key recorded in the database, in hex: public, and what an operator
        /// compares with the configured key's.
        expected: String,
    },
    /// The URL or path names no usable database: a missing file, a file that is not an
    /// SQLite database, no such PostgreSQL database, or refused credentials.
    #[error("database: {target} {reason}")]
    NoDatabase {
        /// The file, or the URL without its password.
        target: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database server could not be reached in time: our side, not the caller's input.
    #[error("database: cannot reach {target}: {reason}")]
    Unreachable {
        /// The URL without its password.
        target: String,
        /// The cause, as the driver said it.
        reason: String,
    },
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
    /// A domain rule refused the input (access management's, say): the field, the rule's
    /// stable code and its sentence.
    #[error("{field}: {code}: {reason}")]
    Refused {
        /// The field at fault.
        field: &'static str,
        /// The rule's stable code.
        code: &'static str,
        /// What was wrong, for a person.
        reason: String,
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
                | StoreError::Refused { .. }
                | StoreError::Config { .. }
                | StoreError::NoDatabase { .. }
                | StoreError::Overlap(_)
        )
    }

    /// A stable, data-free code for the journal's outcome field and the API's error body.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Config { .. } => "config",
            StoreError::WrongKey => "wrong_key",
            StoreError::WrongJournalKey { .. } => "wrong_journal_key",
            StoreError::NoDatabase { .. } => "no_database",
            StoreError::Unreachable { .. } => "unreachable",
            StoreError::UnknownParty { .. } => "unknown_party",
            StoreError::WrongPartyKind { .. } => "wrong_party_kind",
            StoreError::UnknownAccessPoint { .. } => "unknown_access_point",
            StoreError::Duplicate { .. } => "duplicate",
            StoreError::NotEffective { .. } => "not_effective",
            StoreError::NothingToEnd { .. } => "nothing_to_end",
            StoreError::UnknownToken { .. } => "unknown_token",
            StoreError::Refused { code, .. } => code,
            StoreError::Overlap(_) => "overlap",
            StoreError::Corrupt { .. } => "corrupt",
            StoreError::Database(_) | StoreError::Local(_) => "database",
            StoreError::Journal(_) => "journal",
        }
    }
}

/// A refusal by the register's rules keeps the variant, the message and the code it had
/// when the rules lived here.
impl From<domain::RuleError> for StoreError {
    fn from(e: domain::RuleError) -> Self {
        match e {
            domain::RuleError::WrongPartyKind { field, id, found, expected } => {
                StoreError::WrongPartyKind { field, id: id.to_string(), found: found.to_owned(), expected }
            }
            domain::RuleError::NotEffective { what, id } => StoreError::NotEffective { what, id: id.0 },
            domain::RuleError::NothingToEnd { what, ean, at } => {
                StoreError::NothingToEnd { what, ean: ean.to_string(), at: at.to_string() }
            }
            domain::RuleError::Overlap(e) => StoreError::Overlap(e),
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
    /// The journal's signing key, besides the writer's copy: checkpoint notes are signed on
    /// demand, for an origin the store does not know.
    pub(crate) journal_signer: ed25519_dalek::SigningKey,
    pub(crate) writer: Arc<std::sync::OnceLock<journal::WriterHandle>>,
    /// SQLite only: the hot reads, run on the caller's thread (see `local`).
    pub(crate) local: Option<Arc<local::LocalReads>>,
    /// PostgreSQL only: the hot reads' connections (see `hot` and `point`).
    pub(crate) hot: Option<Arc<hot::HotReads>>,
}

impl Store {
    /// Connects, applies the migrations and checks both keys against the database.
    ///
    /// A missing SQLite file is created only under [`Opening::CreateIfMissing`]. A new database
    /// records the seal key's check value and the journal's public key; an existing one refuses
    /// any other key, so data is never sealed under two keys nor the journal signed by two.
    /// Before any pool exists, one connection is tried, so that a file that is not a database
    /// or a server that is not there fails at once, naming it, instead of being retried by the
    /// pool until its time-out.
    pub async fn open(url: &str, keys: &Keys, opening: Opening) -> Result<Store, StoreError> {
        let key = &keys.seal;
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let file = match backend {
            Backend::Sqlite => Some(sqlite_file(url)?),
            Backend::Postgres => None,
        };
        let target = match &file {
            Some(path) => path.display().to_string(),
            None => redacted(url),
        };
        if opening == Opening::Existing && file.as_ref().is_some_and(|path| !path.exists()) {
            return Err(StoreError::NoDatabase { target, reason: "does not exist".into() });
        }
        let options = AnyConnectOptions::from_str(&with_sqlite_mode(url, backend, opening))
            .map_err(|e| StoreError::Config {
                field: "database url",
                reason: format!("{target} cannot be parsed: {e}"),
            })?
            // Long scans (journal verification, exports) are expected; statements are not
            // logged at all, since their parameters may carry identifiers.
            .log_statements(tracing::log::LevelFilter::Off)
            .log_slow_statements(tracing::log::LevelFilter::Off, Duration::from_secs(3600));
        probe(&options, backend, &target).await?;
        let (read, write, local) = match file {
            Some(path) => {
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
            None => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await?;
                POSTGRES_MIGRATIONS.run(&pool).await.map_err(migrate_error)?;
                (pool.clone(), pool, None)
            }
        };
        let hot = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(Arc::new(hot_reads(url, &target)?)),
        };
        let store = Store {
            read,
            write,
            backend,
            sealer: Arc::new(Sealer::new(key)),
            journal_key: keys.journal.verifying_key(),
            journal_signer: keys.journal.clone(),
            writer: Arc::new(std::sync::OnceLock::new()),
            local,
            hot,
        };
        store.check_key().await?;
        store.check_journal_key().await?;
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
        if let Some(hot) = &self.hot {
            hot.close().await;
        }
    }

    /// A configuration or provenance value stored with the data (not personal data).
    pub async fn meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.read)
            .await?)
    }

    /// Refuses a journal signing key other than the one the journal began with. Checked
    /// before anything is signed, so a mis-set key writes nothing.
    ///
    /// A database without the record is new, or from before the key was recorded: the two
    /// cannot be told apart (the latest head's signature is no witness, since a database
    /// opened with a wrong key before this check existed may carry a foreign signature
    /// there), so the key of this first open is the one kept.
    async fn check_journal_key(&self) -> Result<(), StoreError> {
        let configured = self.journal_key.as_bytes().to_vec();
        self.remembered(JOURNAL_PUBLIC_KEY, configured)
            .await?
            .map_err(|found| StoreError::WrongJournalKey { expected: hex::encode(found) })
    }

    async fn check_key(&self) -> Result<(), StoreError> {
        let expected = self.sealer.key_check().to_vec();
        self.remembered(SEAL_KEY_CHECK, expected).await?.map_err(|_| StoreError::WrongKey)
    }

    /// Compares `value` with what `meta` keeps under `name`, recording it on first use; the
    /// inner `Err` carries a different value found there.
    async fn remembered(&self, name: &str, value: Vec<u8>) -> Result<Result<(), Vec<u8>>, StoreError> {
        let found: Option<Vec<u8>> = sqlx::query_scalar("SELECT value FROM meta WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.write)
            .await?;
        match found {
            Some(found) if found == value => Ok(Ok(())),
            Some(found) => Ok(Err(found)),
            None => {
                sqlx::query("INSERT INTO meta (name, value) VALUES ($1, $2)")
                    .bind(name)
                    .bind(value)
                    .execute(&self.write)
                    .await?;
                Ok(Ok(()))
            }
        }
    }
}

/// Connections of the PostgreSQL hot reads ([`Store::point_read`]). Each read is one
/// statement of a fraction of a millisecond, so a few connections keep a small machine's
/// cores busy, and each more is one more server process to schedule. On the 2-core machine
/// two gave 4,045 and 4,762 req/s, four 5,149 and 5,929, eight 5,322 (BENCHMARKS.md, "The
/// journaled read at speed").
const HOT_CONNECTIONS: usize = 4;

/// The connections of the PostgreSQL hot reads (`hot.rs`), through sqlx's own PostgreSQL
/// driver rather than `Any`, which converts every row into its own representation first
/// and cannot decode the arrays the read's facts come in.
fn hot_reads(url: &str, target: &str) -> Result<hot::HotReads, StoreError> {
    let options = sqlx::postgres::PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::Config {
            field: "database url",
            reason: format!("{target} cannot be parsed: {e}"),
        })?
        .log_statements(tracing::log::LevelFilter::Off)
        .log_slow_statements(tracing::log::LevelFilter::Off, Duration::from_secs(3600));
    Ok(hot::HotReads::new(options, HOT_CONNECTIONS))
}

/// Connection settings every SQLite connection gets.
fn sqlite_pragmas(
    conn: &mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + '_>> {
    Box::pin(set_sqlite_pragmas(conn))
}

async fn set_sqlite_pragmas(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    // FULL: a commit is on disk before it is acknowledged (I4), WAL or not. The page cache
    // as the read connections' (`local.rs`): the writer's commands read the indexes they
    // write (a market scenario reads its point's view, the scenarios in progress, the next
    // ids), and SQLite's default of 2 MiB had them re-read from the file system.
    conn.execute(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA cache_size = -65536;",
    )
    .await?;
    Ok(())
}

/// How long a first connection may take: a server that does not answer in this time is
/// reported as unreachable rather than waited for.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// One connection, tried once, with the settings every pooled connection gets. The pools
/// retry a refused connection and a failed `after_connect` until their time-out (60 s, with
/// an error line each time), which is right for a server restarting under a running service
/// and wrong for a mistyped or wrong target at start-up.
async fn probe(options: &AnyConnectOptions, backend: Backend, target: &str) -> Result<(), StoreError> {
    let attempt = async {
        let mut conn = options.connect().await?;
        if backend == Backend::Sqlite {
            set_sqlite_pragmas(&mut conn).await?;
        }
        conn.close().await
    };
    match tokio::time::timeout(PROBE_TIMEOUT, attempt).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(open_error(e, target)),
        Err(_) => Err(StoreError::Unreachable {
            target: target.to_owned(),
            reason: format!("no answer within {} s", PROBE_TIMEOUT.as_secs()),
        }),
    }
}

/// Sorts a first connection's failure into the caller's (a wrong file, database or
/// credentials) and ours (a server down or unreachable), naming the target either way.
fn open_error(e: sqlx::Error, target: &str) -> StoreError {
    let no_database = |reason: String| StoreError::NoDatabase { target: target.to_owned(), reason };
    let unreachable = |reason: String| StoreError::Unreachable { target: target.to_owned(), reason };
    let refusal = match &e {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            // SQLite's codes are numbers whose low byte is the primary code; PostgreSQL's are
            // SQLSTATE strings.
            match (code.parse::<i32>().ok().map(|c| c & 0xff), code.as_str()) {
                (Some(26), _) => Some("is not an SQLite database".to_owned()),
                (Some(14), _) => Some(format!("cannot be opened: {}", db.message())),
                (_, "3D000") => Some(format!("names no database on that server: {}", db.message())),
                (_, "28P01" | "28000") => Some(format!("refused the connection: {}", db.message())),
                _ => None,
            }
        }
        sqlx::Error::Configuration(cause) => Some(format!("is not a usable database URL: {cause}")),
        sqlx::Error::Io(cause) => return unreachable(cause.to_string()),
        sqlx::Error::Tls(cause) => return unreachable(format!("TLS: {cause}")),
        _ => None,
    };
    match refusal {
        Some(reason) => no_database(reason),
        None => StoreError::Database(e),
    }
}

/// A database URL fit for a message or a log: no password, and no query (which may carry
/// one too). An SQLite URL is a path and shown as it is.
pub fn redacted(url: &str) -> String {
    if url.starts_with("sqlite:") {
        return url.to_owned();
    }
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                // Only fails for URLs that cannot have a password, which this one has.
                let _ = parsed.set_password(Some("***"));
            }
            parsed.set_query(None);
            parsed.to_string()
        }
        Err(_) => "the database URL (unparseable)".into(),
    }
}

/// The URL with the SQLite open mode the opening asks for, unless the URL sets one itself.
fn with_sqlite_mode(url: &str, backend: Backend, opening: Opening) -> String {
    if backend == Backend::Sqlite && !url.contains("mode=") && !url.contains(":memory:") {
        let sep = if url.contains('?') { '&' } else { '?' };
        let mode = match opening {
            Opening::Existing => "rw",
            Opening::CreateIfMissing => "rwc",
        };
        format!("{url}{sep}mode={mode}")
    } else {
        url.to_owned()
    }
}

/// The file of an SQLite URL. An in-memory database is refused: the store's readers and its
/// writer are separate connections, which would each see a database of their own.
fn sqlite_file(url: &str) -> Result<std::path::PathBuf, StoreError> {
    let in_memory = || StoreError::Config {
        field: "database url",
        reason: format!(
            "{url} must name an SQLite file: an in-memory database is not shared between connections"
        ),
    };
    if url.contains(":memory:") {
        return Err(in_memory());
    }
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).map_err(|e| StoreError::Config {
        field: "database url",
        reason: format!("cannot be parsed: {e}"),
    })?;
    let path = options.get_filename();
    if path.as_os_str().is_empty() {
        return Err(in_memory());
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
