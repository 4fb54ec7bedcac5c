//! The one integration-test binary of the crate: files written to disk and read back by the
//! parquet reader and by DuckDB, the engine analysts use.

mod duckdb;
mod file;

use warehouse::{Column, Marking, Values};

/// A small file with every column type, missing values in each, and a sealed column.
pub fn sample_columns() -> Vec<Column> {
    let keys = warehouse::ExportKeys::from_secret(&[3; 32]);
    vec![
        Column::new(
            "party",
            Values::Utf8(vec![Some(keys.pseudonym("PARTY-1")), None, Some(keys.pseudonym("PARTY-1"))]),
        ),
        Column::new("value", Values::Int64(vec![Some(1_250), Some(-40), None])),
        // 2025-03-01T00:00:00Z and 2025-03-01T00:15:00Z.
        Column::new(
            "read_at",
            Values::TimestampMicros(vec![Some(1_740_787_200_000_000), None, Some(1_740_788_100_000_000)]),
        ),
        // 2025-03-01 is day 20148 since the epoch.
        Column::new("day", Values::Date(vec![None, Some(20_148), Some(20_149)])),
        Column::new("name", Values::Bytes(vec![Some(keys.seal("name", "Marie Dupont")), Some(vec![]), None])),
    ]
}

/// The marking of the sample: label and journal index as an export would write them.
pub fn sample_marking() -> Marking {
    Marking {
        label: "confidential".to_owned(),
        journal_index: 42,
        extra: vec![("cloison.dataset".to_owned(), "metering".to_owned())],
    }
}
