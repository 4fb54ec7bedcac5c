//! PostgreSQL's hot reads, on a few connections held here rather than in sqlx's pool.
//!
//! sqlx's pool pings a connection when it is returned (a `Sync` message and its answer, in
//! `PoolConnection`'s drop) and, by default, again before handing it out: two round trips
//! to the server around every statement, each one a wake-up of the backend process, for a
//! read that is itself one round trip (`point.rs`). The connections here are held without
//! a pool, each behind a lock, and used the way [`crate::local::LocalReads`] uses SQLite's:
//! the first free one, or the next in turn. Only the hot read comes here; everything else,
//! the writer included, keeps the `Any` pool.
//!
//! A connection is opened on first use. One whose statement failed for any reason but the
//! server's refusal of that statement (a lost socket, a protocol error) is dropped, and the
//! next read through its slot opens a new one: the read that found it broken fails (our
//! failure, answered 500 and logged), none after it. A read cancelled half-way (its client
//! went away) leaves its answer unread; sqlx reads it off before the connection's next
//! statement.

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::postgres::{PgArguments, PgConnectOptions, PgRow};
use sqlx::{ConnectOptions, Connection, PgConnection, Postgres};
use tokio::sync::Mutex;

use crate::StoreError;

/// A few connections to one PostgreSQL database, for one-statement reads.
pub(crate) struct HotReads {
    options: PgConnectOptions,
    connections: Vec<Mutex<Option<PgConnection>>>,
    next: AtomicUsize,
}

impl HotReads {
    /// `count` connections to the database of `options`, each opened on first use.
    pub(crate) fn new(options: PgConnectOptions, count: usize) -> HotReads {
        HotReads {
            options,
            connections: (0..count.max(1)).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// Runs `query` on the first free connection, or waits for one in turn; its row, if any.
    pub(crate) async fn fetch_optional<'q>(
        &self,
        query: sqlx::query::Query<'q, Postgres, PgArguments>,
    ) -> Result<Option<PgRow>, StoreError> {
        let held = self.connections.iter().find_map(|c| c.try_lock().ok());
        let mut slot = match held {
            Some(slot) => slot,
            None => {
                let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.connections.len();
                self.connections[turn].lock().await
            }
        };
        let connection = match &mut *slot {
            Some(connection) => connection,
            None => slot.insert(self.options.connect().await?),
        };
        match query.fetch_optional(&mut *connection).await {
            Ok(row) => Ok(row),
            Err(e) => {
                if !refused_statement(&e) {
                    *slot = None;
                }
                Err(e.into())
            }
        }
    }

    /// Closes every open connection.
    pub(crate) async fn close(&self) {
        for connection in &self.connections {
            if let Some(connection) = connection.lock().await.take() {
                // Closing is a courtesy to the server; one that cannot be told is gone anyway.
                let _ = connection.close().await;
            }
        }
    }
}

/// Whether `e` is the server's answer to the statement (or a row that does not decode), after
/// which the connection is as good as before; anything else may have left it unusable.
fn refused_statement(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::Database(_)
            | sqlx::Error::RowNotFound
            | sqlx::Error::ColumnNotFound(_)
            | sqlx::Error::ColumnIndexOutOfBounds { .. }
            | sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::Decode(_)
            | sqlx::Error::TypeNotFound { .. }
    )
}
