//! `cloison bench`: load generators that measure this installation as it is configured.
//!
//! Criterion benchmarks measure components in isolation; these measure the real binary on
//! the real database, and double as the load in crash tests (`--print-acks` prints each
//! acknowledged journal index, so a test can kill the process and check none was lost).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use app::Actor;
use clap::Subcommand;

use crate::identity::{operator, refusal};

/// Benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Durable journal appends from concurrent writers, each waiting for its commit.
    Journal {
        /// Concurrent writers.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
        writers: u32,
        /// Entries to append in all.
        #[arg(long, default_value_t = 100_000)]
        entries: u64,
        /// Print each acknowledged index on standard output as soon as it is durable.
        #[arg(long)]
        print_acks: bool,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// Supplier switches through the app layer, journaled with their messages: one
    /// submitter waiting for each (one transaction per scenario), then concurrent submitters
    /// whose scenarios share commits; then one party's queue over HTTP, peeked one message at
    /// a time and acknowledged, then in bundles with the acknowledgements in flight together.
    /// Run on a demo database (`cloison demo --no-serve`): its occupied points are switched.
    Market {
        /// Concurrent submitters in the batched run.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
        submitters: u32,
        /// Switches in each of the two runs, at most half the demo's occupied points.
        #[arg(long, default_value_t = 4_000)]
        switches: usize,
        /// Acknowledgements in flight together over HTTP in the batched queue run.
        #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=1024))]
        in_flight: u32,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// Interval data: packed days through the app layer beside the naive layout (one row per
    /// value) in the same database: import rate, bytes on disk per value, a month read. Run on
    /// a database of its own (`cloison init`): it writes its own access points.
    Metering {
        /// Access points with a year of quarter-hours each.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        points: u64,
        /// Days of data per point (from 2026-01-01), at least 31 for the month read.
        #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(i32).range(31..=3660))]
        days: i32,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// Aggregates with disclosure control and the warehouse export over the metering data in
    /// the database (the demo's), each beside one SQL GROUP BY over the same values copied one
    /// row per value. Writes an export under --to.
    Research {
        /// The first day (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// The last day, inclusive.
        #[arg(long)]
        until: String,
        /// Where the export goes.
        #[arg(long)]
        to: std::path::PathBuf,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// The contact center (R12): routing decisions through the real router, then the screen
    /// pop through the gate and the journal with --directory entries per principal. Run on a
    /// database of its own (`cloison init`).
    Contact {
        /// Principals (the first a DSO).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=50))]
        principals: u64,
        /// Directory entries per principal.
        #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
        directory: u64,
        /// Screen pops to time.
        #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        lookups: u64,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// Index readings (monthly-read points): one reading per post, the naive way, beside posts
    /// of up to 10,000, each judged and validated through the app layer; then one point's
    /// readings read back. Run on a database of its own (`cloison init`).
    Index {
        /// Access points.
        #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        points: u64,
        /// Monthly readings per point (from January 2022).
        #[arg(long, default_value_t = 36, value_parser = clap::value_parser!(i32).range(1..=120))]
        months: i32,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// The nightly HR sync (R11) on synthetic extracts: a dry run and the first sync of
    /// everybody, then a night of movers, leavers and joiners, then the same night again
    /// (nothing to do); each journaled. Run on a database of its own (`cloison init`).
    Iam {
        /// People in the extracts.
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=200_000))]
        people: u64,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
}

/// Runs a benchmark.
pub async fn run(config_file: Option<&Path>, command: BenchCommand) -> Result<()> {
    match command {
        BenchCommand::Journal { writers, entries, print_acks, db } => {
            let app = Arc::new(crate::register::open(config_file, db.as_deref()).await?);
            let actor = operator(config_file)?;
            let started = Instant::now();
            let per_writer = entries.div_ceil(u64::from(writers));
            let mut tasks = Vec::new();
            for w in 0..u64::from(writers) {
                let app = app.clone();
                let actor = Actor { session: format!("{}-w{w}", actor.session), ..actor.clone() };
                let count = per_writer.min(entries.saturating_sub(w * per_writer));
                tasks.push(tokio::spawn(async move {
                    for _ in 0..count {
                        let appended = app
                            .journal_note(&actor, "bench.journal.append", "load test")
                            .await
                            .map_err(|e| refusal(e, &actor))?;
                        if print_acks {
                            crate::output::outln!("{}", appended)?;
                        }
                    }
                    anyhow::Ok(())
                }));
            }
            for task in tasks {
                task.await??;
            }
            let elapsed = started.elapsed();
            app.close().await;
            eprintln!(
                "{entries} durable appends from {writers} writers in {:.2} s: {:.0} appends/s",
                elapsed.as_secs_f64(),
                entries as f64 / elapsed.as_secs_f64()
            );
        }
        BenchCommand::Metering { points, days, db } => {
            let app = crate::register::open(config_file, db.as_deref()).await?;
            let result = crate::bench_metering::run(&app, points, days).await;
            app.close().await;
            result?;
        }
        BenchCommand::Research { from, until, to, db } => {
            let day = |flag: &str, t: &str| -> Result<jiff::civil::Date> {
                t.parse().map_err(|_| {
                    crate::Failure::Invalid(format!("{flag}: a day is written YYYY-MM-DD")).into()
                })
            };
            let (from, until) = (day("--from", &from)?, day("--until", &until)?);
            let app = crate::register::open(config_file, db.as_deref()).await?;
            let result = crate::bench_research::run(&app, from, until, &to).await;
            app.close().await;
            result?;
        }
        BenchCommand::Contact { principals, directory, lookups, db } => {
            let app = crate::register::open(config_file, db.as_deref()).await?;
            let result =
                crate::bench_contact::run(&app, principals as usize, directory as usize, lookups as usize)
                    .await;
            app.close().await;
            result?;
        }
        BenchCommand::Index { points, months, db } => {
            let app = crate::register::open(config_file, db.as_deref()).await?;
            let result = crate::bench_metering::run_index(&app, points, months).await;
            app.close().await;
            result?;
        }
        BenchCommand::Iam { people, db } => {
            let app = crate::register::open(config_file, db.as_deref()).await?;
            let result = iam(&app, config_file, people as usize).await;
            app.close().await;
            result?;
        }
        BenchCommand::Market { submitters, switches, in_flight, db } => {
            let app = crate::register::open(config_file, db.as_deref()).await?;
            let result =
                crate::bench_market::run(&app, submitters as usize, switches, in_flight as usize).await;
            app.close().await;
            result?;
        }
    }
    Ok(())
}

/// `cloison bench iam`: each step timed whole, from the extracts as text to the committed
/// report (parsing, planning, every row written and bound, the journal entry).
async fn iam(app: &app::Cloison, config_file: Option<&Path>, people: usize) -> Result<()> {
    let actor = operator(config_file)?;
    let today = domain::period::local_day(jiff::Timestamp::now());
    let night = |n: u32| {
        let extracts = demo::staff::extracts(people, 42, n);
        app::SyncInput {
            internal: extracts.internal,
            external: extracts.external,
            today,
            max_removal_percent: app::DEFAULT_MAX_REMOVAL_PERCENT,
            force: false,
        }
    };
    let steps: [(&str, u32, bool); 5] = [
        ("dry run, empty installation", 0, true),
        ("first sync (everybody joins)", 0, false),
        ("dry run, next night", 1, true),
        ("next night (movers, leavers, joiners)", 1, false),
        ("same night again (nothing to do)", 1, false),
    ];
    println!("iam sync of {people} people ({:?})", app.backend());
    for (what, n, dry) in steps {
        let input = night(n);
        let started = Instant::now();
        let report = if dry {
            app.sync_staff_dry_run(&actor, input).await.map(app::Sent::into_view)
        } else {
            app.sync_staff(&actor, input).await.map(app::Sent::into_view)
        }
        .map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
        let took = started.elapsed();
        println!(
            "  {what:<40} {:>8.1} ms  joiners {:>6}  movers {:>5}  leavers {:>5}  unchanged {:>6}  tokens revoked {}",
            took.as_secs_f64() * 1e3,
            report.joiners,
            report.movers,
            report.leavers,
            report.unchanged,
            report.tokens_revoked,
        );
    }
    Ok(())
}
