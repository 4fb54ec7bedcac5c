//! Warehouse extracts: the access register and metering series as Parquet files.
//!
//! Analysts work in DuckDB, DataFusion or Spark, not in Cloison. An extract therefore has to be
//! a plain Parquet file those engines read as it is, and it has to carry its own protection:
//! the confidentiality label and the journal index of the export travel in the file's
//! key-value metadata (a copy detached from Cloison still says what it is and where it came
//! from), personal values are sealed so only the data office holding the export key can read
//! them, and party ids are replaced by keyed pseudonyms that still join across files.
//!
//! This crate is only the file format. Which rows and columns an export holds, and whether it
//! may be made at all, is decided elsewhere; here columns come in and one file goes out, with
//! its digest so the export can be journalled.
//!
//! The low-level `parquet` writer is used rather than its Arrow layer: the files are a handful
//! of flat columns, and Arrow would more than double the build of the whole workspace.

mod error;
mod file;
mod keys;
mod partition;

pub use error::WarehouseError;
pub use file::{
    Column, JOURNAL_INDEX_KEY, LABEL_KEY, MAX_ROW_GROUP_ROWS, Marking, Values, Written, write_file,
};
pub use keys::ExportKeys;
pub use partition::partition_dir;
