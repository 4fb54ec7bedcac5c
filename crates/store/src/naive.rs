//! The naive layout of interval data, for `cloison bench metering` only: one row per value,
//! keyed by access point, channel and instant, in the same database beside the packed days.
//!
//! It exists so that the packed layout's figures (values imported per second, bytes per value
//! on disk, a month read) are measured against the obvious alternative on the same machine in
//! the same run, not against a number from elsewhere. The table is created by the benchmark
//! and emptied by it; nothing else reads it, and it is not business data: no row is bound to
//! the journal, which only flatters the naive side.

use domain::Ean;
use domain::metering::{Channel, Quality};
use jiff::Timestamp;
use sqlx::Row;

use crate::register::{ean_key, micros};
use crate::{Backend, Store, StoreError};

/// One value of the naive layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NaiveValue {
    /// The access point.
    pub ean: Ean,
    /// The channel.
    pub channel: Channel,
    /// The interval's first instant.
    pub start: Timestamp,
    /// Its value in Wh, if any.
    pub wh: Option<i64>,
    /// Its quality.
    pub quality: Quality,
}

/// Rows per INSERT statement: a statement the driver prepares once and reuses for every full
/// chunk, far under SQLite's 32,766 bound parameters.
const ROWS_PER_STATEMENT: usize = 100;

impl Store {
    /// Creates the naive table if needed, and empties it.
    pub async fn naive_prepare(&self) -> Result<(), StoreError> {
        // WITHOUT ROWID on SQLite, as `interval_days` is: the key is stored once, in the
        // table's own B-tree, so the naive side pays for its rows, not for a second index.
        let (int, rowid) = match self.backend {
            Backend::Sqlite => ("INTEGER", " WITHOUT ROWID"),
            Backend::Postgres => ("BIGINT", ""),
        };
        sqlx::query(&format!(
            "CREATE TABLE IF NOT EXISTS bench_naive_values (ean {int} NOT NULL, channel TEXT NOT NULL, \
             start_us {int} NOT NULL, wh {int}, quality TEXT NOT NULL, PRIMARY KEY (ean, channel, start_us)){rowid}"
        ))
        .execute(&self.write)
        .await?;
        sqlx::query("DELETE FROM bench_naive_values").execute(&self.write).await?;
        Ok(())
    }

    /// Inserts `values` in one transaction, a hundred rows a statement.
    pub async fn naive_insert(&self, values: &[NaiveValue]) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        for chunk in values.chunks(ROWS_PER_STATEMENT) {
            let mut sql =
                String::from("INSERT INTO bench_naive_values (ean, channel, start_us, wh, quality) VALUES ");
            for i in 0..chunk.len() {
                let p = i * 5;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("(${}, ${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4, p + 5));
            }
            let mut query = sqlx::query(&sql);
            for v in chunk {
                query = query
                    .bind(ean_key(v.ean))
                    .bind(v.channel.as_str())
                    .bind(micros(v.start))
                    .bind(v.wh)
                    .bind(v.quality.as_str());
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The naive rows of `ean`'s `channel` in `[from, to)`, as (start µs, Wh, quality).
    pub async fn naive_read(
        &self,
        ean: Ean,
        channel: Channel,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(i64, Option<i64>, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT start_us, wh, quality FROM bench_naive_values \
             WHERE ean = $1 AND channel = $2 AND start_us >= $3 AND start_us < $4 ORDER BY start_us",
        )
        .bind(ean_key(ean))
        .bind(channel.as_str())
        .bind(micros(from))
        .bind(micros(to))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    /// Copies the latest version of every packed day from `from` to `to` into the naive
    /// table, one row per value, in transactions of `batch` rows; the rows written.
    pub async fn naive_fill(
        &self,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
        batch: usize,
    ) -> Result<u64, StoreError> {
        let mut pending: Vec<NaiveValue> = Vec::with_capacity(batch);
        let mut batches: Vec<Vec<NaiveValue>> = Vec::new();
        self.scan_interval_days(from, to, |ean, channel, day, intervals| {
            let layout = domain::metering::DayLayout::new(channel, day)
                .map_err(|e| crate::corrupt(format!("interval day layout: {e}")))?;
            for (i, interval) in intervals.iter().enumerate() {
                let start = layout
                    .interval_start(i)
                    .map_err(|e| crate::corrupt(format!("interval day layout: {e}")))?;
                pending.push(NaiveValue {
                    ean,
                    channel,
                    start,
                    wh: interval.wh(),
                    quality: interval.quality(),
                });
            }
            if pending.len() >= batch {
                batches.push(std::mem::replace(&mut pending, Vec::with_capacity(batch)));
            }
            Ok(())
        })
        .await?;
        batches.push(pending);
        let mut written = 0u64;
        for rows in &batches {
            self.naive_insert(rows).await?;
            written += rows.len() as u64;
        }
        Ok(written)
    }

    /// The naive way to the aggregates: one SQL `GROUP BY` of the naive rows by substation
    /// and month (UTC months: SQLite has no time zones, so the naive side is spared them),
    /// usable consumption only; (substation, month, Wh, points) rows.
    pub async fn naive_group_by(&self) -> Result<Vec<(String, String, i64, i64)>, StoreError> {
        let month = match self.backend {
            Backend::Sqlite => "strftime('%Y-%m', v.start_us / 1000000, 'unixepoch')",
            Backend::Postgres => "to_char(to_timestamp(v.start_us / 1000000) AT TIME ZONE 'UTC', 'YYYY-MM')",
        };
        let rows = sqlx::query(&format!(
            "WITH p AS (SELECT a.ean, a.substation FROM access_points a WHERE a.version =              (SELECT MAX(b.version) FROM access_points b WHERE b.ean = a.ean))              SELECT p.substation, {month} AS month, CAST(SUM(v.wh) AS BIGINT) AS wh, COUNT(DISTINCT v.ean) AS points              FROM bench_naive_values v JOIN p ON p.ean = v.ean              WHERE v.channel IN ('electricity_offtake', 'gas_offtake') AND v.quality IN ('measured', 'estimated')              GROUP BY p.substation, {month} ORDER BY 1, 2"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))).collect()
    }

    /// The bytes `tables` take on disk with their indexes: SQLite's `dbstat` pages of each
    /// table and of the indexes on it, PostgreSQL's `pg_total_relation_size`.
    pub async fn table_bytes(&self, table: &str) -> Result<u64, StoreError> {
        let bytes: i64 = match self.backend {
            Backend::Sqlite => {
                sqlx::query_scalar(
                    "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = $1 \
                     OR name IN (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1)",
                )
                .bind(table)
                .fetch_one(&self.read)
                .await?
            }
            Backend::Postgres => {
                sqlx::query_scalar("SELECT pg_total_relation_size($1::regclass)::BIGINT")
                    .bind(table)
                    .fetch_one(&self.read)
                    .await?
            }
        };
        Ok(bytes.max(0) as u64)
    }
}
