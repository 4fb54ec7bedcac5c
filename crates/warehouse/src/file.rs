//! One Parquet file from columns of values, written so that a reader never sees half a file
//! and an existing file is never replaced.
//!
//! Every column is OPTIONAL, even when a given export has no null in it: the schema of a
//! dataset must not depend on the data of one month, or Spark and DataFusion refuse to read
//! the partitions together. Writing REQUIRED when no value is missing was rejected for that
//! reason.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::{Compression, LogicalType, Repetition, TimeUnit, Type as PhysicalType};
use parquet::data_type::{ByteArray, ByteArrayType, DataType, Int32Type, Int64Type};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::{SerializedColumnWriter, SerializedFileWriter};
use parquet::schema::types::{ColumnPath, Type};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::WarehouseError;

/// Metadata key of the confidentiality label, read by whoever finds the file later.
pub const LABEL_KEY: &str = "cloison.label";

/// Metadata key of the journal index that recorded the export, so a file can be traced back
/// to the decision that allowed it.
pub const JOURNAL_INDEX_KEY: &str = "cloison.journal_index";

/// The most rows in one row group: the parquet-rs default, which keeps a group's pages in
/// memory bounded while the engines still read large sequential chunks.
pub const MAX_ROW_GROUP_ROWS: usize = 1024 * 1024;

/// The values of one column, with `None` for a missing value.
///
/// The variants are the few types the register and the metering series need, each mapped to
/// the Parquet logical type the engines turn into their own native type (a DuckDB `DATE`, not
/// an integer the analyst has to convert).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Values {
    /// Text, as `BYTE_ARRAY` with the `STRING` logical type.
    Utf8(Vec<Option<String>>),
    /// Whole numbers, such as watt-hours, as `INT64`.
    Int64(Vec<Option<i64>>),
    /// Instants as microseconds since the Unix epoch, UTC, as `INT64` with the logical type
    /// `TIMESTAMP(MICROS, isAdjustedToUTC = true)`: an instant, not a wall-clock reading, so
    /// no engine applies a time zone twice.
    TimestampMicros(Vec<Option<i64>>),
    /// Calendar days since 1970-01-01, as `INT32` with the `DATE` logical type.
    Date(Vec<Option<i32>>),
    /// Opaque bytes, as plain `BYTE_ARRAY`: sealed values, which are not text.
    Bytes(Vec<Option<Vec<u8>>>),
}

impl Values {
    /// The number of values, missing ones included.
    pub fn len(&self) -> usize {
        match self {
            Values::Utf8(values) => values.len(),
            Values::Int64(values) | Values::TimestampMicros(values) => values.len(),
            Values::Date(values) => values.len(),
            Values::Bytes(values) => values.len(),
        }
    }

    /// Whether the column has no values (a month without rows still writes a file).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn parquet_type(&self, name: &str) -> parquet::errors::Result<Type> {
        let (physical, logical) = match self {
            Values::Utf8(_) => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
            Values::Int64(_) => (PhysicalType::INT64, None),
            Values::TimestampMicros(_) => {
                (PhysicalType::INT64, Some(LogicalType::timestamp(true, TimeUnit::MICROS)))
            }
            Values::Date(_) => (PhysicalType::INT32, Some(LogicalType::Date)),
            Values::Bytes(_) => (PhysicalType::BYTE_ARRAY, None),
        };
        Type::primitive_type_builder(name, physical)
            .with_repetition(Repetition::OPTIONAL)
            .with_logical_type(logical)
            .build()
    }
}

/// A named column of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The name analysts query by; unique in the file.
    pub name: String,
    /// The values, one per row.
    pub values: Values,
}

impl Column {
    /// A column, so callers can pass a literal name without `to_string()`.
    pub fn new(name: impl Into<String>, values: Values) -> Self {
        Column { name: name.into(), values }
    }
}

/// What a file says about itself, in its key-value metadata.
///
/// The label and the journal index are fields rather than entries of a free list, so no
/// file can be written without them: a copy that leaves Cloison must still say how
/// confidential it is and which journalled export produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marking {
    /// The confidentiality label, written under [`LABEL_KEY`].
    pub label: String,
    /// The journal index of the export, written under [`JOURNAL_INDEX_KEY`].
    pub journal_index: u64,
    /// Further entries (dataset, period, key id…); their keys must not repeat nor reuse the
    /// two above.
    pub extra: Vec<(String, String)>,
}

/// What was written, for the export's journal entry and for the recipient to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The file, under its final name.
    pub path: PathBuf,
    /// The number of rows.
    pub rows: usize,
    /// The size of the file in bytes.
    pub bytes: u64,
    /// The SHA-256 digest of the whole file, computed while writing, so the digest is of the
    /// bytes that were written and not of a later read that could differ.
    pub sha256: [u8; 32],
}

impl Written {
    /// The digest as lowercase hex, the form `sha256sum` prints and a manifest holds.
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }
}

/// Writes `columns` as one Snappy-compressed Parquet file at `path`, marked with `marking`.
///
/// The file is written under a temporary name in the same directory, flushed to disk, and
/// only then linked to its final name, so a crash never leaves a truncated file where an
/// engine would read it. Linking rather than renaming is what refuses an existing file even
/// when another export races for the same name: a rename would silently replace it. The
/// temporary name ends in `.tmp`, which a `*.parquet` glob does not match. The directory is
/// created if missing, since each month opens a new partition.
pub fn write_file(path: &Path, columns: &[Column], marking: &Marking) -> Result<Written, WarehouseError> {
    let rows = check_columns(path, columns)?;
    let metadata = key_values(path, marking)?;
    let file_name = path
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| WarehouseError::Path { path: path.to_path_buf() })?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };

    // Checked here too, before any work, so the common case writes nothing at all; the
    // link below is what makes the refusal hold against a concurrent writer.
    if path.try_exists().map_err(io_error(path, "check whether the file exists"))? {
        return Err(WarehouseError::Exists { path: path.to_path_buf() });
    }
    fs::create_dir_all(&dir).map_err(io_error(&dir, "create the directory"))?;

    let mut suffix = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut suffix);
    let temporary = TemporaryFile(dir.join(format!(".{file_name}.{}.tmp", hex::encode(suffix))));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary.0)
        .map_err(io_error(&temporary.0, "create the temporary file"))?;

    let parquet_error = |source| WarehouseError::Parquet { path: path.to_path_buf(), source };
    let tally = encode(Tally::new(BufWriter::new(file)), columns, rows, metadata).map_err(parquet_error)?;
    let Tally { inner, sha256, bytes } = tally;
    let file = inner.into_inner().map_err(|e| io_error(&temporary.0, "write")(e.into_error()))?;
    file.sync_all().map_err(io_error(&temporary.0, "flush to disk"))?;
    drop(file);

    fs::hard_link(&temporary.0, path).map_err(|source| match source.kind() {
        io::ErrorKind::AlreadyExists => WarehouseError::Exists { path: path.to_path_buf() },
        _ => io_error(path, "link the finished file to its name")(source),
    })?;
    drop(temporary);
    sync_directory(&dir).map_err(io_error(&dir, "flush the directory to disk"))?;

    Ok(Written { path: path.to_path_buf(), rows, bytes, sha256: sha256.finalize().into() })
}

/// Wraps a file-system error with the path and the action that failed.
fn io_error(path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> WarehouseError {
    let path = path.to_path_buf();
    move |source| WarehouseError::Io { path, action, source }
}

/// The common length of the columns, after checking names and lengths.
fn check_columns(path: &Path, columns: &[Column]) -> Result<usize, WarehouseError> {
    let first = columns.first().ok_or_else(|| WarehouseError::NoColumns { path: path.to_path_buf() })?;
    let expected = first.values.len();
    let mut names = HashSet::new();
    for column in columns {
        let refuse =
            |reason| WarehouseError::Column { path: path.to_path_buf(), column: column.name.clone(), reason };
        if column.name.is_empty() {
            return Err(refuse("has no name"));
        }
        // Engines resolve a dotted or nested name as a path into a struct; a flat file
        // keeps names plain so `SELECT name` means the column.
        if column.name.contains('.') {
            return Err(refuse("contains a dot"));
        }
        if !names.insert(column.name.as_str()) {
            return Err(refuse("appears twice"));
        }
        if column.values.len() != expected {
            return Err(WarehouseError::Length {
                path: path.to_path_buf(),
                column: column.name.clone(),
                found: column.values.len(),
                first: first.name.clone(),
                expected,
            });
        }
    }
    Ok(expected)
}

fn key_values(path: &Path, marking: &Marking) -> Result<Vec<KeyValue>, WarehouseError> {
    let refuse =
        |key: &str, reason| WarehouseError::Marking { path: path.to_path_buf(), key: key.to_owned(), reason };
    if marking.label.trim().is_empty() {
        return Err(refuse(LABEL_KEY, "is empty"));
    }
    let mut keys = HashSet::from([LABEL_KEY, JOURNAL_INDEX_KEY]);
    let mut metadata = vec![
        KeyValue::new(LABEL_KEY.to_owned(), marking.label.clone()),
        KeyValue::new(JOURNAL_INDEX_KEY.to_owned(), marking.journal_index.to_string()),
    ];
    for (key, value) in &marking.extra {
        if key.is_empty() {
            return Err(refuse(key, "has an empty key"));
        }
        if !keys.insert(key.as_str()) {
            return Err(refuse(key, "appears twice"));
        }
        metadata.push(KeyValue::new(key.clone(), value.clone()));
    }
    Ok(metadata)
}

fn encode<W: Write + Send>(
    sink: W,
    columns: &[Column],
    rows: usize,
    metadata: Vec<KeyValue>,
) -> parquet::errors::Result<W> {
    let fields = columns
        .iter()
        .map(|column| column.values.parquet_type(&column.name).map(Arc::new))
        .collect::<parquet::errors::Result<Vec<_>>>()?;
    let schema = Type::group_type_builder("schema").with_fields(fields).build()?;

    let mut properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_key_value_metadata(Some(metadata));
    for column in columns {
        if let Values::Bytes(_) = column.values {
            // Sealed values are random-looking and all distinct: a dictionary never pays,
            // and min/max statistics of ciphertexts only cost space.
            let path = ColumnPath::from(column.name.as_str());
            properties = properties
                .set_column_dictionary_enabled(path.clone(), false)
                .set_column_statistics_enabled(path, EnabledStatistics::None);
        }
    }

    let mut writer = SerializedFileWriter::new(sink, Arc::new(schema), Arc::new(properties.build()))?;
    // The low-level writer does not split row groups itself; only its Arrow layer does.
    let mut start = 0;
    while start < rows {
        let end = rows.min(start + MAX_ROW_GROUP_ROWS);
        let mut group = writer.next_row_group()?;
        for column in columns {
            let mut chunk = group
                .next_column()?
                .ok_or_else(|| ParquetError::General(format!("no column writer for {}", column.name)))?;
            write_chunk(&mut chunk, &column.values, start..end)?;
            chunk.close()?;
        }
        group.close()?;
        start = end;
    }
    writer.into_inner()
}

fn write_chunk(
    chunk: &mut SerializedColumnWriter<'_>,
    values: &Values,
    rows: std::ops::Range<usize>,
) -> parquet::errors::Result<()> {
    match values {
        Values::Utf8(values) => {
            write_optional::<ByteArrayType, _>(chunk, &values[rows], |text| ByteArray::from(text.as_str()))
        }
        Values::Int64(values) | Values::TimestampMicros(values) => {
            write_optional::<Int64Type, _>(chunk, &values[rows], |value| *value)
        }
        Values::Date(values) => write_optional::<Int32Type, _>(chunk, &values[rows], |value| *value),
        Values::Bytes(values) => write_optional::<ByteArrayType, _>(chunk, &values[rows], |bytes| {
            ByteArray::from(bytes.as_slice())
        }),
    }
}

/// Writes present values densely and one definition level per row (1 present, 0 missing),
/// which is how Parquet encodes an OPTIONAL column.
fn write_optional<T: DataType, V>(
    chunk: &mut SerializedColumnWriter<'_>,
    values: &[Option<V>],
    convert: impl Fn(&V) -> T::T,
) -> parquet::errors::Result<()> {
    let present: Vec<T::T> = values.iter().flatten().map(convert).collect();
    let levels: Vec<i16> = values.iter().map(|value| i16::from(value.is_some())).collect();
    chunk.typed::<T>().write_batch(&present, Some(&levels), None)?;
    Ok(())
}

/// Passes bytes through while hashing and counting them, so the digest and size come from
/// the one pass that writes the file.
struct Tally<W> {
    inner: W,
    sha256: Sha256,
    bytes: u64,
}

impl<W> Tally<W> {
    fn new(inner: W) -> Self {
        Tally { inner, sha256: Sha256::new(), bytes: 0 }
    }
}

impl<W: Write> Write for Tally<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.sha256.update(&buf[..written]);
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The temporary file, removed however the write ends: after a successful link the final
/// name holds the data, and after a failure nothing should remain.
struct TemporaryFile(PathBuf);

impl Drop for TemporaryFile {
    fn drop(&mut self) {
        // Best effort: a leftover `.tmp` is harmless to the engines and to a retry.
        let _ = fs::remove_file(&self.0);
    }
}

/// Makes the new directory entry durable, so after a crash the name points to the file.
#[cfg(unix)]
fn sync_directory(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Windows offers no directory handle to flush; the link is as durable as it gets.
#[cfg(not(unix))]
fn sync_directory(_dir: &Path) -> io::Result<()> {
    Ok(())
}
