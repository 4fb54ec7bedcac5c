//! Read-back by DuckDB, the engine the extracts are made for: types, values, metadata and
//! Hive partitions as an analyst sees them.
//!
//! DuckDB is reached through its Python package, the usual way analysts run it and far
//! cheaper than building its C++ library into this workspace. Without it the test fails,
//! because a silently skipped compatibility check is no check; `CLOISON_SKIP_DUCKDB=1` skips
//! it knowingly, on a machine where it cannot be installed.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use warehouse::{partition_dir, write_file};

use crate::{sample_columns, sample_marking};

/// Prints one tab-separated line per fact, so the test needs no JSON parser.
const SCRIPT: &str = r#"
import sys, duckdb
path, pattern = sys.argv[1], sys.argv[2]
def lit(p): return "'" + p.replace("'", "''") + "'"
con = duckdb.connect()
count, total = con.execute(f"SELECT count(*), sum(value) FROM read_parquet({lit(path)})").fetchall()[0]
print(f"count\t{count}")
print(f"sum\t{total}")
for row in con.execute(f"DESCRIBE SELECT * FROM read_parquet({lit(path)})").fetchall():
    print(f"type\t{row[0]}\t{row[1]}")
first, day = con.execute(f"SELECT min(epoch_us(read_at)), min(day)::VARCHAR FROM read_parquet({lit(path)})").fetchall()[0]
print(f"first_us\t{first}")
print(f"first_day\t{day}")
for key, value in con.execute(f"SELECT key, value FROM parquet_kv_metadata({lit(path)})").fetchall():
    print(f"kv\t{key.decode()}\t{value.decode()}")
sql = f"SELECT month::VARCHAR, count(*) FROM read_parquet({lit(pattern)}, hive_partitioning = true) GROUP BY ALL ORDER BY 1"
for month, rows in con.execute(sql).fetchall():
    print(f"month\t{month}\t{rows}")
"#;

fn duckdb_available() -> bool {
    let found =
        Command::new("python3").args(["-c", "import duckdb"]).output().is_ok_and(|out| out.status.success());
    if !found && std::env::var("CLOISON_SKIP_DUCKDB").as_deref() == Ok("1") {
        eprintln!("skipped: python3 with the duckdb package is missing and CLOISON_SKIP_DUCKDB=1");
        return false;
    }
    assert!(
        found,
        "python3 with the duckdb package is required (pip install duckdb), or set CLOISON_SKIP_DUCKDB=1"
    );
    true
}

fn run_duckdb(path: &Path, pattern: &Path) -> BTreeMap<String, String> {
    let out = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(path)
        .arg(pattern)
        .output()
        .expect("python3 runs, as checked above");
    assert!(out.status.success(), "duckdb script failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .expect("the script prints UTF-8")
        .lines()
        .map(|line| {
            let (key, value) = line.rsplit_once('\t').expect("tab-separated lines");
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

#[test]
fn duckdb_reads_types_values_metadata_and_partitions() {
    if !duckdb_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let march =
        partition_dir(dir.path(), "metering", 2025, 3).expect("valid partition").join("part-0.parquet");
    let april =
        partition_dir(dir.path(), "metering", 2025, 4).expect("valid partition").join("part-0.parquet");
    write_file(&march, &sample_columns(), &sample_marking()).expect("written");
    write_file(&april, &sample_columns(), &sample_marking()).expect("written");

    let facts = run_duckdb(&march, &dir.path().join("metering").join("*").join("*.parquet"));
    let fact =
        |key: &str| facts.get(key).map(String::as_str).unwrap_or_else(|| panic!("no {key} in {facts:?}"));
    assert_eq!(fact("count"), "3");
    assert_eq!(fact("sum"), "1210");
    assert_eq!(fact("type\tparty"), "VARCHAR");
    assert_eq!(fact("type\tvalue"), "BIGINT");
    assert_eq!(fact("type\tread_at"), "TIMESTAMP WITH TIME ZONE");
    assert_eq!(fact("type\tday"), "DATE");
    assert_eq!(fact("type\tname"), "BLOB");
    assert_eq!(fact("first_us"), "1740787200000000");
    assert_eq!(fact("first_day"), "2025-03-01");
    assert_eq!(fact("kv\tcloison.label"), "confidential");
    assert_eq!(fact("kv\tcloison.journal_index"), "42");
    assert_eq!(fact("month\t2025-03"), "3");
    assert_eq!(fact("month\t2025-04"), "3");
}
