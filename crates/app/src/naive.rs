//! The benchmark's naive layout of interval data, reached through the door like everything
//! else the binary touches: `cloison bench metering` writes its own synthetic values there to
//! measure the packed layout against. It holds no business data and no journaled row, so it
//! passes no gate; nothing here reads or writes any other table, except the sizes on disk
//! the benchmark reports.

use domain::Ean;
use domain::metering::Channel;
use jiff::Timestamp;
use store::naive::NaiveValue;

use crate::{AppError, Cloison};

/// The naive table, for the metering benchmark.
pub struct NaiveBench<'a> {
    app: &'a Cloison,
}

impl Cloison {
    /// The metering benchmark's naive table.
    pub fn naive_bench(&self) -> NaiveBench<'_> {
        NaiveBench { app: self }
    }
}

impl NaiveBench<'_> {
    /// Creates the table if needed, and empties it.
    pub async fn prepare(&self) -> Result<(), AppError> {
        Ok(self.app.store.naive_prepare().await?)
    }

    /// Inserts `values` in one transaction.
    pub async fn insert(&self, values: &[NaiveValue]) -> Result<(), AppError> {
        Ok(self.app.store.naive_insert(values).await?)
    }

    /// One point's values of a channel in `[from, to)`.
    pub async fn read(
        &self,
        ean: Ean,
        channel: Channel,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(i64, Option<i64>, String)>, AppError> {
        Ok(self.app.store.naive_read(ean, channel, from, to).await?)
    }

    /// Copies the packed days from `from` to `to` into the naive table; the rows written.
    pub async fn fill(&self, from: jiff::civil::Date, to: jiff::civil::Date) -> Result<u64, AppError> {
        Ok(self.app.store.naive_fill(from, to, 20_000).await?)
    }

    /// The naive aggregates: one SQL `GROUP BY` by substation and month.
    pub async fn group_by(&self) -> Result<Vec<(String, String, i64, i64)>, AppError> {
        Ok(self.app.store.naive_group_by().await?)
    }

    /// The bytes a table takes on disk with its indexes (`interval_days`, `bench_naive_values`).
    pub async fn table_bytes(&self, table: &str) -> Result<u64, AppError> {
        Ok(self.app.store.table_bytes(table).await?)
    }
}
