//! Hive-style partition directories, so engines add the month as a column for free.
//!
//! `read_parquet('root/metering/*/*.parquet', hive_partitioning = true)` in DuckDB (and the
//! same in Spark and DataFusion) turns `month=2025-03` into a `month` column and skips whole
//! directories when a query filters on it; the files need not repeat the month in every row.

use std::path::{Path, PathBuf};

use crate::WarehouseError;

/// The directory `root/<dataset>/month=YYYY-MM` for one month of a dataset.
///
/// The year and month come as numbers (as `jiff` gives them) and are checked, so a typo
/// cannot create a partition `month=2025-13` that engines would read as a string. The
/// dataset must be a plain name: a `/` or `..` would put files outside `root`, and an `=`
/// would make engines read it as a partition key.
pub fn partition_dir(root: &Path, dataset: &str, year: i16, month: i8) -> Result<PathBuf, WarehouseError> {
    let plain = !dataset.is_empty()
        && dataset != "."
        && dataset != ".."
        && dataset.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !plain {
        return Err(WarehouseError::Partition {
            what: format!("dataset {dataset:?}"),
            reason: "must be letters, digits, '_', '-' or '.'",
        });
    }
    if !(1..=9999).contains(&year) {
        return Err(WarehouseError::Partition { what: format!("year {year}"), reason: "must be 1 to 9999" });
    }
    if !(1..=12).contains(&month) {
        return Err(WarehouseError::Partition { what: format!("month {month}"), reason: "must be 1 to 12" });
    }
    Ok(root.join(dataset).join(format!("month={year:04}-{month:02}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_month_directories_hive_style() {
        let dir = partition_dir(Path::new("/exports"), "metering", 2025, 3).expect("valid partition");
        assert_eq!(dir, Path::new("/exports/metering/month=2025-03"));
    }

    #[test]
    fn refuses_what_would_escape_or_misread() {
        for (dataset, year, month) in
            [("../etc", 2025, 1), ("a/b", 2025, 1), ("..", 2025, 1), ("", 2025, 1), ("k=v", 2025, 1)]
                .into_iter()
                .chain([("metering", 2025, 0), ("metering", 2025, 13), ("metering", 0, 1)])
        {
            assert!(
                partition_dir(Path::new("/exports"), dataset, year, month).is_err(),
                "{dataset} {year}-{month} should be refused"
            );
        }
    }
}
