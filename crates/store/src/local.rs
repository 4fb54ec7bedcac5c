//! SQLite's hot reads, run synchronously on the caller's thread.
//!
//! A point look-up in a warm SQLite file is a few B-tree descents: about ten microseconds of
//! CPU. Through sqlx, the same query also pays a hop to the connection's worker thread and
//! back, plus the pool's bookkeeping, which measured at several times the query itself
//! (BENCHMARKS.md, "Where the SQLite look-up's time goes"). So the reads every request makes
//! (the register look-up, the policy's facts, names, tokens, journal proofs) go through a few
//! read-only `rusqlite` connections held here, each with its prepared-statement cache, and run
//! inline: the caller's thread holds one connection for the length of one statement.
//!
//! Blocking an async worker for that long is the same order as a mutex hold, cheaper than
//! handing the work to a blocking thread (which costs a wake-up on each side). Long scans
//! (journal verification) do not come here; they take a connection of their own on a blocking
//! thread ([`LocalReads::open_scan`]).
//!
//! Writes never come here. The one writer commits register changes with their journal entries
//! through sqlx, in one transaction (I1), and batches of entries alone through a connection of
//! its own (`journal::Writer::batch_local`). Both libraries link the same SQLite
//! (`libsqlite3-sys`), and WAL lets these readers see every committed write.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OpenFlags};

use crate::StoreError;

/// Statements kept prepared per connection: every hot query of the store, with room to spare.
const STATEMENT_CACHE: usize = 64;

/// Page cache per connection, in KiB (SQLite's negative `cache_size`): the upper levels of
/// every index of a 100,000-access-point register stay resident while nothing is written
/// (measured on the look-up bench: 15.8 µs with 64 MiB, 21.1 µs with 32 MiB, 20.0 µs with
/// 16 MiB). So memory is bounded by this times the connections (2 per core), reached only
/// by reads with no write between them: any commit empties each cache at its next read.
/// SQLite's soft heap limit would bound the sum, but near it every allocation tries to free
/// memory first (measured: 19.2 µs per look-up, and the demo build 4 times slower).
const CACHE_KIB: i64 = 64 * 1024;

/// Page cache of a scan connection, in KiB: a scan reads each page once.
const SCAN_CACHE_KIB: i64 = 2 * 1024;

/// A few read-only connections to one SQLite file.
pub(crate) struct LocalReads {
    path: PathBuf,
    connections: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Local(e)
    }
}

impl From<rusqlite::types::FromSqlError> for StoreError {
    fn from(e: rusqlite::types::FromSqlError) -> StoreError {
        StoreError::Local(e.into())
    }
}

impl LocalReads {
    /// Opens `count` read-only connections to the database file at `path`, which the
    /// writer must already have created and migrated.
    pub(crate) fn open(path: &Path, count: usize) -> Result<LocalReads, StoreError> {
        let connections =
            (0..count.max(1)).map(|_| open_read_only(path).map(Mutex::new)).collect::<Result<Vec<_>, _>>()?;
        Ok(LocalReads { path: path.to_owned(), connections, next: AtomicUsize::new(0) })
    }

    /// Runs `read` on the first free connection, or waits for one in turn.
    ///
    /// The search always starts at the first connection, so a lightly loaded store keeps
    /// using the same one or two, whose page caches are warm; round-robin spread every
    /// look-up over cold caches (measured: a quarter of a look-up's time in page faults).
    pub(crate) fn with<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let held = self.connections.iter().find_map(|c| c.try_lock().ok());
        // A poisoned connection only means a reader panicked between statements; the
        // connection itself holds no half-done state, since these connections never write.
        let guard: MutexGuard<'_, Connection> = match held {
            Some(guard) => guard,
            None => {
                let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.connections.len();
                self.connections[turn].lock().unwrap_or_else(PoisonError::into_inner)
            }
        };
        read(&guard)
    }

    /// The database file these connections read.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// A connection of its own for one long scan, to be used on a blocking thread. It reads
    /// into a small cache, since a scan reads each page once (and never through a mapping,
    /// which would count every page the scan touched in the process's resident size:
    /// measured 455 MB for 10 M entries, against 26 MB without).
    pub(crate) fn open_scan(&self) -> Result<Connection, StoreError> {
        let connection = open_read_only(&self.path)?;
        connection.pragma_update(None, "cache_size", -SCAN_CACHE_KIB)?;
        Ok(connection)
    }
}

fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    connection.pragma_update(None, "cache_size", -CACHE_KIB)?;
    // No memory mapping. In WAL mode, a read transaction that finds the database changed since
    // the connection's previous one drops its whole page cache and unmaps the whole mapping
    // (SQLite's `pagerBeginReadTransaction`). Every API request journals, so under load that
    // is nearly every read: each one unmapped 256 MB, with a TLB shootdown on every core, then
    // faulted its pages back in (measured: 6 % of the server's CPU in `munmap` alone). Plain
    // `pread`s of pages the OS already caches cost less than that.
    connection.pragma_update(None, "mmap_size", 0)?;
    connection.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(connection)
}

/// Reads named columns of a row, whichever driver returned it, so each record is decoded by
/// one function for both paths.
pub(crate) trait Columns {
    /// An integer column.
    fn int(&self, name: &str) -> Result<i64, StoreError>;
    /// A nullable integer column.
    fn opt_int(&self, name: &str) -> Result<Option<i64>, StoreError>;
    /// A text column.
    fn text(&self, name: &str) -> Result<String, StoreError>;
    /// A blob column.
    fn blob(&self, name: &str) -> Result<Vec<u8>, StoreError>;
    /// A nullable blob column.
    fn opt_blob(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// A nullable text column.
    fn opt_text(&self, name: &str) -> Result<Option<String>, StoreError>;
}

/// sqlx's rows read by name, the same way for its `Any` driver and its PostgreSQL one.
macro_rules! sqlx_columns {
    ($($row:ty),*) => {$(
        impl Columns for $row {
            fn int(&self, name: &str) -> Result<i64, StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }
            fn opt_int(&self, name: &str) -> Result<Option<i64>, StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }
            fn text(&self, name: &str) -> Result<String, StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }
            fn blob(&self, name: &str) -> Result<Vec<u8>, StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }
            fn opt_blob(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }
            fn opt_text(&self, name: &str) -> Result<Option<String>, StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }
        }
    )*};
}

sqlx_columns!(sqlx::postgres::PgRow, sqlx::any::AnyRow);

/// The column names of one fixed statement, learnt on its first run.
///
/// rusqlite finds a column by name by asking SQLite for every column's name in turn (a C
/// string and a `strlen` each); for a look-up that reads 25 columns, that was a tenth of its
/// time. Looking names up in this list instead is a few comparisons of short strings.
pub(crate) struct ColumnNames(std::sync::OnceLock<Vec<String>>);

impl ColumnNames {
    /// An empty list, filled by the statement's first run.
    pub(crate) const fn new() -> ColumnNames {
        ColumnNames(std::sync::OnceLock::new())
    }

    /// The names of `statement`'s columns, which must be this list's statement.
    pub(crate) fn of(&self, statement: &rusqlite::Statement<'_>) -> &[String] {
        self.0.get_or_init(|| statement.column_names().into_iter().map(str::to_owned).collect())
    }
}

/// A row of a statement together with its column names.
pub(crate) struct Named<'a> {
    /// The row.
    pub(crate) row: &'a rusqlite::Row<'a>,
    /// Its statement's columns, in order.
    pub(crate) names: &'a [String],
}

impl Named<'_> {
    fn get<T: rusqlite::types::FromSql>(&self, name: &str) -> Result<T, StoreError> {
        let index = self
            .names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| StoreError::Local(rusqlite::Error::InvalidColumnName(name.to_owned())))?;
        Ok(self.row.get(index)?)
    }
}

impl Columns for Named<'_> {
    fn int(&self, name: &str) -> Result<i64, StoreError> {
        self.get(name)
    }
    fn opt_int(&self, name: &str) -> Result<Option<i64>, StoreError> {
        self.get(name)
    }
    fn text(&self, name: &str) -> Result<String, StoreError> {
        self.get(name)
    }
    fn blob(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        self.get(name)
    }
    fn opt_blob(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(name)
    }
    fn opt_text(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.get(name)
    }
}

impl Columns for rusqlite::Row<'_> {
    fn int(&self, name: &str) -> Result<i64, StoreError> {
        Ok(self.get(name)?)
    }
    fn opt_int(&self, name: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.get(name)?)
    }
    fn text(&self, name: &str) -> Result<String, StoreError> {
        Ok(self.get(name)?)
    }
    fn blob(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        Ok(self.get(name)?)
    }
    fn opt_blob(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.get(name)?)
    }
    fn opt_text(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.get(name)?)
    }
}
