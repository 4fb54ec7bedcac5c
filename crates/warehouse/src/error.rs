//! The one error type of the crate: each variant names the file or column at fault.

use std::io;
use std::path::PathBuf;

/// Why an extract could not be written or a sealed value opened.
///
/// Every variant names the file (and the column, where one is at fault), because an export
/// writes many files and the operator must know which one to look at.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    /// The file is already there: an extract is evidence of what was disclosed, so it is
    /// never replaced; a new export goes to a new name.
    #[error("{}: already exists, not overwritten", path.display())]
    Exists {
        /// The file that was refused.
        path: PathBuf,
    },
    /// Columns of unequal length would silently misalign rows.
    #[error(
        "{}: column {column} has {found} values, but column {first} has {expected}",
        path.display()
    )]
    Length {
        /// The file that was refused.
        path: PathBuf,
        /// The first column whose length differs.
        column: String,
        /// Its length.
        found: usize,
        /// The first column, whose length sets the row count.
        first: String,
        /// The first column's length.
        expected: usize,
    },
    /// A column name the engines would reject or read ambiguously (empty, or repeated).
    #[error("{}: column {column:?} {reason}", path.display())]
    Column {
        /// The file that was refused.
        path: PathBuf,
        /// The column's name as given.
        column: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The marking (label, journal index, further metadata) cannot be written as given.
    #[error("{}: metadata {key} {reason}", path.display())]
    Marking {
        /// The file that was refused.
        path: PathBuf,
        /// The metadata key at fault.
        key: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A file needs at least one column; zero would not be a valid Parquet schema.
    #[error("{}: no columns", path.display())]
    NoColumns {
        /// The file that was refused.
        path: PathBuf,
    },
    /// The path has no file name, or a file name that is not valid Unicode.
    #[error("{}: not a file name", path.display())]
    Path {
        /// The path as given.
        path: PathBuf,
    },
    /// A dataset or month that would not make a Hive-style partition directory.
    #[error("partition {what} {reason}")]
    Partition {
        /// The part at fault, with its value.
        what: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The file system refused.
    #[error("{}: {action}: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The cause.
        source: io::Error,
    },
    /// The Parquet writer refused.
    #[error("{}: parquet: {source}", path.display())]
    Parquet {
        /// The file being written.
        path: PathBuf,
        /// The cause.
        source: parquet::errors::ParquetError,
    },
    /// A sealed value that does not open under this key and column: wrong key, value moved
    /// from another column, or altered. Deliberately one error for all three, so the answer
    /// does not help anyone probing the scheme.
    #[error("sealed value in column {column} does not open")]
    Sealed {
        /// The column the value was read from.
        column: String,
    },
}
