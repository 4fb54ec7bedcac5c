//! `cloison bench research`: aggregates with disclosure control and the warehouse export, over
//! the metering data already in a database (the demo's: a year of quarter-hours for its
//! remotely read points), each beside the naive way in the same run: the same values copied
//! one row per value into the naive table, summed by one SQL `GROUP BY` (BENCHMARKS.md).
//!
//! It writes the naive table (emptied first) and an export under the directory given; it
//! changes nothing else. The export is a real one, journaled like any other.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use app::{Actor, AggregateQuery, Cloison, Role};
use jiff::civil::Date;

/// Runs the benchmark on the days from `from` to `to` and prints its figures.
pub async fn run(app: &Cloison, from: Date, to: Date, dir: &Path) -> Result<()> {
    let system =
        Actor { party: "cloison-bench".parse()?, role: Role::System, session: "bench-research".into() };
    let query = AggregateQuery::new("substation", "month", from, to, None, None, None)?;
    // Aggregates: the packed days scanned, summed per point, protected. Best of three.
    let mut best = f64::MAX;
    let mut table = None;
    for _ in 0..3 {
        let started = Instant::now();
        table = Some(app.build_aggregates(&query).await?);
        best = best.min(started.elapsed().as_secs_f64());
    }
    let table = table.ok_or_else(|| anyhow::anyhow!("no run"))?;
    let values = table.values_read;
    let (cells, withheld) = table.cells();

    // The naive table: the same values, one row per value; then one GROUP BY. Best of three.
    let naive = app.naive_bench();
    naive.prepare().await?;
    let started = Instant::now();
    let rows = naive.fill(from, to).await?;
    let fill = started.elapsed().as_secs_f64();
    let mut naive_best = f64::MAX;
    let mut groups = 0;
    for _ in 0..3 {
        let started = Instant::now();
        groups = naive.group_by().await?.len();
        naive_best = naive_best.min(started.elapsed().as_secs_f64());
    }
    naive.prepare().await?;

    // The warehouse export, once.
    let started = Instant::now();
    let report = app.export_warehouse(&system, dir, Some(from), Some(to)).await?.into_view();
    let export = started.elapsed().as_secs_f64();

    println!(
        "{values} interval values from {from} to {to} ({rows} copied to the naive table in {fill:.1} s)"
    );
    println!(
        "aggregates by substation and month, 15/15 rule and complementary suppression: {:>11.0} values/s ({best:.2} s; {cells} cells, {withheld} withheld)",
        values as f64 / best
    );
    println!(
        "naive SQL GROUP BY substation, month over one row per value:                 {:>11.0} values/s ({naive_best:.2} s; {groups} groups, no disclosure control)",
        rows as f64 / naive_best
    );
    println!(
        "warehouse export to Parquet (register and metering, sealed and pseudonymised):  {:>11.0} values/s, {:.1} MB/s ({export:.2} s; {} files, {:.1} MB)",
        report.metering_values as f64 / export,
        report.bytes as f64 / 1e6 / export,
        report.files.len(),
        report.bytes as f64 / 1e6
    );
    Ok(())
}
