//! Writing and reading back with the parquet crate's own reader; refusals leave nothing.

use std::fs::{self, File};
use std::path::Path;

use parquet::basic::{LogicalType, TimeUnit};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use sha2::{Digest, Sha256};
use warehouse::{Column, ExportKeys, MAX_ROW_GROUP_ROWS, Values, WarehouseError, write_file};

use crate::{sample_columns, sample_marking};

fn reader(path: &Path) -> SerializedFileReader<File> {
    SerializedFileReader::new(File::open(path).expect("the file was written")).expect("a valid parquet file")
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("the directory exists")
        .map(|entry| entry.expect("readable entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_column_type_reads_back_with_its_metadata() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("month=2025-03").join("metering.parquet");
    let written = write_file(&path, &sample_columns(), &sample_marking()).expect("written");

    let bytes = fs::read(&path).expect("readable");
    assert_eq!(written.path, path);
    assert_eq!(written.rows, 3);
    assert_eq!(written.bytes, bytes.len() as u64);
    assert_eq!(written.sha256, <[u8; 32]>::from(Sha256::digest(&bytes)));
    assert_eq!(written.sha256_hex().len(), 64);
    assert_eq!(entries(path.parent().expect("has a parent")), ["metering.parquet"], "no temporary file left");
    assert_eq!(&bytes[..4], b"PAR1");

    let reader = reader(&path);
    let metadata = reader.metadata().file_metadata();
    assert_eq!(metadata.num_rows(), 3);
    let key_values: Vec<(&str, Option<&str>)> = metadata
        .key_value_metadata()
        .expect("key-value metadata present")
        .iter()
        .map(|kv| (kv.key.as_str(), kv.value.as_deref()))
        .collect();
    assert_eq!(
        key_values,
        [
            ("cloison.label", Some("confidential")),
            ("cloison.journal_index", Some("42")),
            ("cloison.dataset", Some("metering"))
        ]
    );

    let schema = metadata.schema_descr();
    let logical: Vec<Option<LogicalType>> =
        (0..5).map(|i| schema.column(i).logical_type_ref().cloned()).collect();
    assert_eq!(
        logical,
        [
            Some(LogicalType::String),
            None,
            Some(LogicalType::timestamp(true, TimeUnit::MICROS)),
            Some(LogicalType::Date),
            None
        ]
    );

    let rows: Vec<Vec<(String, Field)>> = reader
        .get_row_iter(None)
        .expect("row iterator")
        .map(|row| row.expect("a valid row").get_column_iter().map(|(n, f)| (n.clone(), f.clone())).collect())
        .collect();
    let keys = ExportKeys::from_secret(&[3; 32]);
    let party = Field::Str(keys.pseudonym("PARTY-1"));
    let sealed_name = match &rows[0][4].1 {
        Field::Bytes(bytes) => bytes.data().to_vec(),
        other => panic!("sealed name read as {other:?}"),
    };
    assert_eq!(keys.open("name", &sealed_name).expect("opens under its column"), "Marie Dupont");
    let fields: Vec<Vec<Field>> =
        rows.iter().map(|row| row.iter().map(|(_, field)| field.clone()).collect()).collect();
    assert_eq!(
        fields,
        [
            vec![
                party.clone(),
                Field::Long(1_250),
                Field::TimestampMicros(1_740_787_200_000_000),
                Field::Null,
                Field::Bytes(sealed_name.into())
            ],
            vec![
                Field::Null,
                Field::Long(-40),
                Field::Null,
                Field::Date(20_148),
                Field::Bytes(vec![].into())
            ],
            vec![
                party,
                Field::Null,
                Field::TimestampMicros(1_740_788_100_000_000),
                Field::Date(20_149),
                Field::Null
            ],
        ]
    );
    let names: Vec<&str> = rows[0].iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["party", "value", "read_at", "day", "name"]);
}

#[test]
fn row_groups_split_at_the_limit() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("big.parquet");
    let rows = MAX_ROW_GROUP_ROWS + 1;
    let values = (0..rows as i64).map(Some).collect();
    let written = write_file(&path, &[Column::new("value", Values::Int64(values))], &sample_marking())
        .expect("written");
    assert_eq!(written.rows, rows);
    let reader = reader(&path);
    let groups: Vec<i64> = reader.metadata().row_groups().iter().map(|group| group.num_rows()).collect();
    assert_eq!(groups, [MAX_ROW_GROUP_ROWS as i64, 1]);
}

#[test]
fn a_month_without_rows_still_writes_a_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("empty.parquet");
    let written = write_file(&path, &[Column::new("value", Values::Int64(vec![]))], &sample_marking())
        .expect("written");
    assert_eq!(written.rows, 0);
    assert_eq!(reader(&path).metadata().file_metadata().num_rows(), 0);
}

#[test]
fn refuses_columns_of_different_lengths_naming_the_column() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("ragged.parquet");
    let mut columns = sample_columns();
    columns[3] = Column::new("day", Values::Date(vec![Some(1)]));
    let error = write_file(&path, &columns, &sample_marking()).expect_err("lengths differ");
    assert!(
        matches!(&error, WarehouseError::Length { column, found: 1, expected: 3, .. } if column == "day"),
        "{error:?}"
    );
    assert!(error.to_string().contains("column day has 1 values"), "{error}");
    assert!(entries(dir.path()).is_empty(), "nothing written");
}

#[test]
fn refuses_to_overwrite_and_leaves_the_file_untouched() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("metering.parquet");
    fs::write(&path, b"earlier export").expect("writable");
    let error = write_file(&path, &sample_columns(), &sample_marking()).expect_err("file exists");
    assert!(matches!(&error, WarehouseError::Exists { path: refused } if *refused == path), "{error:?}");
    assert!(error.to_string().ends_with("metering.parquet: already exists, not overwritten"), "{error}");
    assert_eq!(fs::read(&path).expect("still there"), b"earlier export");
    assert_eq!(entries(dir.path()), ["metering.parquet"], "no temporary file left");
}

#[test]
fn refuses_ambiguous_columns_and_markings() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("refused.parquet");
    let int = |name: &str| Column::new(name, Values::Int64(vec![Some(1)]));
    let check = |columns: &[Column], marking: &warehouse::Marking, expected: &str| {
        let error = write_file(&path, columns, marking).expect_err(expected);
        assert!(error.to_string().contains(expected), "{error} should say {expected}");
    };
    let marking = sample_marking();
    check(&[], &marking, "no columns");
    check(&[int("a"), int("a")], &marking, "column \"a\" appears twice");
    check(&[int("")], &marking, "column \"\" has no name");
    check(&[int("a.b")], &marking, "column \"a.b\" contains a dot");
    let mut unlabelled = sample_marking();
    unlabelled.label = " ".to_owned();
    check(&[int("a")], &unlabelled, "metadata cloison.label is empty");
    let mut clash = sample_marking();
    clash.extra.push(("cloison.journal_index".to_owned(), "7".to_owned()));
    check(&[int("a")], &clash, "metadata cloison.journal_index appears twice");
    assert!(entries(dir.path()).is_empty(), "nothing written");
}
