//! `cloison bench metering`: interval data in packed days beside the naive layout (one row
//! per value) in the same database and the same run (BENCHMARKS.md).
//!
//! The benchmark writes its own access points (EANs 5414460…, electricity, one of them
//! supplied by `sup-bench` from the 15th of the first month) and a year of synthetic
//! quarter-hours for each, so it needs a database of its own (`cloison init`). It measures:
//! values imported per second through the app layer (the gate, the day rules, the writer,
//! the journal) against plain multi-row inserts of the naive rows; the bytes on disk per value
//! of each table with its indexes; and one month of one point read through the app layer,
//! clipped for the supplier and whole for the metering team, against the naive rows of that
//! month read with one SQL query and no gate.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use app::{Actor, Batch, Cloison, ImportMode, NaiveValue, PlacedRow, Resolution, Role};
use domain::metering::{Channel, DayLayout, Interval, Quality, ReadingRow};
use domain::{Change, Ean, Gln, Party, PartyKind, Period, Registration};
use jiff::civil::Date;

/// The first day of the benchmark's data.
const FROM: Date = Date::constant(2026, 1, 1);
/// Rows per import batch and per naive transaction.
const BATCH: usize = 20_000;
/// Reads of the month, for the medians.
const READS: usize = 200;

fn bench_ean(i: u64) -> Result<Ean> {
    Ok(Ean::from_body(54_144_600_000_000_000 + i)?)
}

/// A synthetic quarter-hour: a daily shape and some variation, never a fault.
fn value(point: u64, day: i32, index: usize) -> i64 {
    let base = 40 + (point % 7) as i64 * 10;
    let peak = if (28..36).contains(&index) || (72..88).contains(&index) { 120 } else { 0 };
    base + peak + ((index as i64 * 37 + i64::from(day) * 11 + point as i64 * 5) % 30)
}

fn median(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort_unstable();
    let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
    (times[times.len() / 2], p99)
}

/// Runs the benchmark and prints its figures.
pub async fn run(app: &Cloison, points: u64, days: i32) -> Result<()> {
    let system =
        Actor { party: "cloison-bench".parse()?, role: Role::System, session: "bench-metering".into() };
    if app.register_show(&system, bench_ean(0)?, jiff::Timestamp::now()).await.is_ok() {
        bail!(
            "the benchmark writes its own access points: run it on a database of its own (cloison init --db bench.sqlite)"
        );
    }
    // The points, and a supplier holding the first from the 15th of the first month.
    let genesis = domain::period::day_start(Date::constant(2020, 1, 1))?;
    let switch = domain::period::day_start(FROM.checked_add(jiff::Span::new().days(14))?)?;
    let mut changes = vec![(
        genesis,
        Change::PutParty(Party {
            id: "sup-bench".parse()?,
            kind: PartyKind::Supplier { gln: Gln::from_body(541_999_000_001)? },
            name: "Bench Supplier".parse()?,
            phone: None,
            email: None,
        }),
    )];
    for i in 0..points {
        let point = domain::AccessPoint {
            ean: bench_ean(i)?,
            energy: domain::Energy::Electricity,
            address: domain::Address::new("Rue du Banc", &(i + 1).to_string(), None, "5000", "Namur")?,
            substation: "NAM-0001".parse()?,
            regime: domain::ReadingRegime::Amr,
            meter: domain::MeterKind::Smart,
            grid_status: domain::GridStatus::Energised,
        };
        changes.push((genesis, Change::PutAccessPoint(point)));
    }
    changes.push((
        switch,
        Change::RecordRegistration {
            registration: Registration {
                ean: bench_ean(0)?,
                supplier: "sup-bench".parse()?,
                period: Period::open(switch),
            },
            supersedes: None,
        },
    ));
    app.register_apply(&system, changes).await?;

    // The values, day-aligned batches: each batch holds whole days.
    let channel = Channel::ElectricityOfftake;
    let mut batches: Vec<Batch> = Vec::new();
    let mut batch = Batch::default();
    let mut line = 0u64;
    for p in 0..points {
        let ean = bench_ean(p)?;
        for d in 0..days {
            let day = FROM.checked_add(jiff::Span::new().days(d))?;
            let layout = DayLayout::new(channel, day)?;
            for index in 0..layout.len() {
                line += 1;
                let interval = Interval::measured(value(p, d, index));
                batch.rows.push(PlacedRow { line, row: ReadingRow { ean, channel, day, index, interval } });
            }
            if batch.rows.len() >= BATCH {
                batches.push(std::mem::take(&mut batch));
            }
        }
    }
    if !batch.rows.is_empty() {
        batches.push(batch);
    }
    let values = line;
    let naive_batches: Vec<Vec<NaiveValue>> = batches
        .iter()
        .map(|b| {
            b.rows
                .iter()
                .map(|r| {
                    let layout = DayLayout::new(channel, r.row.day)?;
                    Ok(NaiveValue {
                        ean: r.row.ean,
                        channel,
                        start: layout.interval_start(r.row.index)?,
                        wh: r.row.interval.wh(),
                        quality: Quality::Measured,
                    })
                })
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<_>>()?;

    let metering = Actor { role: Role::MeteringStaff, ..system.clone() };
    let started = Instant::now();
    let mut findings = 0;
    for batch in batches {
        findings += app.readings_import(&metering, batch, ImportMode::Write).await?.into_view().findings;
    }
    let packed_time = started.elapsed();
    let naive = app.naive_bench();
    naive.prepare().await?;
    let started = Instant::now();
    for rows in &naive_batches {
        naive.insert(rows).await?;
    }
    let naive_time = started.elapsed();
    let packed_bytes = naive.table_bytes("interval_days").await?;
    let naive_bytes = naive.table_bytes("bench_naive_values").await?;

    // One month of the first point: the supplier's (clipped to its registration from the
    // 15th), the metering team's (whole), the naive rows.
    let to = FROM.checked_add(jiff::Span::new().months(1))?;
    let supplier =
        Actor { party: "sup-bench".parse()?, role: Role::Supplier, session: "bench-metering".into() };
    let mut clipped = Vec::with_capacity(READS);
    let mut whole = Vec::with_capacity(READS);
    let mut plain = Vec::with_capacity(READS);
    let (month_start, month_end) = (domain::period::day_start(FROM)?, domain::period::day_start(to)?);
    let mut shown = (0, 0, 0);
    for _ in 0..READS {
        let t = Instant::now();
        let view = app.consumption(&supplier, bench_ean(0)?, FROM, to, Resolution::Interval).await?;
        clipped.push(t.elapsed());
        shown.0 = view.view().channels.iter().map(|c| c.values.len()).sum::<usize>();
        let t = Instant::now();
        let view = app.consumption(&metering, bench_ean(0)?, FROM, to, Resolution::Interval).await?;
        whole.push(t.elapsed());
        shown.1 = view.view().channels.iter().map(|c| c.values.len()).sum::<usize>();
        let t = Instant::now();
        shown.2 = naive.read(bench_ean(0)?, channel, month_start, month_end).await?.len();
        plain.push(t.elapsed());
    }
    let (clipped, clipped_p99) = median(clipped);
    let (whole, whole_p99) = median(whole);
    let (plain, plain_p99) = median(plain);

    let per_second = |d: Duration| values as f64 / d.as_secs_f64();
    println!("{points} points × {days} days of quarter-hours: {values} values ({findings} findings)");
    println!(
        "import, packed days through the app layer (gate, day rules, journal): {:>10.0} values/s ({:.2} s)",
        per_second(packed_time),
        packed_time.as_secs_f64()
    );
    println!(
        "import, naive rows (plain INSERTs, no journal):                       {:>10.0} values/s ({:.2} s)",
        per_second(naive_time),
        naive_time.as_secs_f64()
    );
    println!(
        "on disk with indexes: packed {:.2} bytes/value ({packed_bytes} B), naive {:.2} bytes/value ({naive_bytes} B)",
        packed_bytes as f64 / values as f64,
        naive_bytes as f64 / values as f64
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "a month of one point, median (p99) of {READS}: supplier, clipped, {} values {:.3} ms ({:.3}); \
         metering team {} values {:.3} ms ({:.3}); naive SQL {} rows {:.3} ms ({:.3})",
        shown.0,
        ms(clipped),
        ms(clipped_p99),
        shown.1,
        ms(whole),
        ms(whole_p99),
        shown.2,
        ms(plain),
        ms(plain_p99)
    );
    Ok(())
}

/// `cloison bench index`: index readings posted through the app layer (the gate, each reading
/// judged against the register's previous one and validated, the writer, the journal), first
/// the naive way, one reading per post (its own transaction and journal entry, as a field
/// device or a careless client sends them), then in posts of up to 10,000; then one point's
/// readings read back. Run on a database of its own: it writes its own access points (EANs
/// 5414450…, monthly-read electricity).
pub async fn run_index(app: &Cloison, points: u64, months: i32) -> Result<()> {
    let system = Actor { party: "cloison-bench".parse()?, role: Role::System, session: "bench-index".into() };
    let ean = |i: u64| -> Result<Ean> { Ok(Ean::from_body(54_144_500_000_000_000 + i)?) };
    if app.register_show(&system, ean(0)?, jiff::Timestamp::now()).await.is_ok() {
        bail!(
            "the benchmark writes its own access points: run it on a database of its own (cloison init --db bench.sqlite)"
        );
    }
    let genesis = domain::period::day_start(Date::constant(2020, 1, 1))?;
    let mut changes = Vec::new();
    for i in 0..points {
        let point = domain::AccessPoint {
            ean: ean(i)?,
            energy: domain::Energy::Electricity,
            address: domain::Address::new("Rue de l'Index", &(i + 1).to_string(), None, "5000", "Namur")?,
            substation: "NAM-0001".parse()?,
            regime: domain::ReadingRegime::Mmr,
            meter: domain::MeterKind::Classic,
            grid_status: domain::GridStatus::Energised,
        };
        changes.push((genesis, Change::PutAccessPoint(point)));
    }
    app.register_apply(&system, changes).await?;

    // Monthly readings from January 2022, on the 10th at 10:00 Brussels time: a household's
    // advance, more in winter, each point a little different.
    let first = Date::constant(2022, 1, 10);
    let mut per_point: Vec<Vec<app::IndexPost>> = Vec::new();
    for p in 0..points {
        let mut dial = 10_000_000 + p as i64 * 7_919; // thousandths of a kWh
        let mut posts = Vec::new();
        for m in 0..months {
            let day = first.checked_add(jiff::Span::new().months(m))?;
            let winter = matches!(day.month(), 11 | 12 | 1 | 2 | 3);
            dial += if winter { 360_000 } else { 220_000 } + (p as i64 * 13 + i64::from(m) * 7) % 40_000;
            let at = day.at(10, 0, 0, 0).in_tz("Europe/Brussels")?.timestamp();
            posts.push(app::IndexPost {
                ean: ean(p)?.to_string(),
                register: "single".into(),
                value: format!("{}.{:03}", dial / 1000, dial % 1000),
                at: at.to_string(),
                source: "customer_card".into(),
                reader: None,
                calorific_value: None,
            });
        }
        per_point.push(posts);
    }
    // A tenth of the points the naive way (at least one), the rest in full posts.
    let naive_points = (points / 10).max(1) as usize;
    let metering = Actor { role: Role::MeteringStaff, ..system.clone() };
    let mut written = (0u64, 0u64);
    let mut findings = (0u64, 0u64);

    let naive: Vec<app::IndexPost> = per_point[..naive_points].iter().flatten().cloned().collect();
    let started = Instant::now();
    for post in &naive {
        let report = app.index_post(&metering, vec![post.clone()]).await?.into_view();
        written.0 += report.written;
        findings.0 += report.findings;
    }
    let naive_time = started.elapsed();

    let batched: Vec<app::IndexPost> = per_point[naive_points..].iter().flatten().cloned().collect();
    let started = Instant::now();
    for chunk in batched.chunks(app::MAX_INDEX_ROWS) {
        let report = app.index_post(&metering, chunk.to_vec()).await?.into_view();
        written.1 += report.written;
        findings.1 += report.findings;
    }
    let batched_time = started.elapsed();
    if written != (naive.len() as u64, batched.len() as u64) {
        bail!("readings refused: {written:?} written of {} and {}", naive.len(), batched.len());
    }

    // One point's readings, all months, read back through the gate.
    let to = first.checked_add(jiff::Span::new().months(months))?;
    let mut reads = Vec::with_capacity(READS);
    let mut shown = 0;
    for _ in 0..READS {
        let t = Instant::now();
        shown = app.index_readings(&metering, ean(0)?, first, to).await?.view().readings.len();
        reads.push(t.elapsed());
    }
    let (read, read_p99) = median(reads);

    let rate = |n: usize, d: Duration| n as f64 / d.as_secs_f64();
    println!("{points} points × {months} monthly readings: {} readings", naive.len() + batched.len());
    println!(
        "one reading per post (naive), {naive_points} points: {:>9.0} readings/s ({:.2} s, {} findings)",
        rate(naive.len(), naive_time),
        naive_time.as_secs_f64(),
        findings.0
    );
    println!(
        "posts of up to {}, {} points:      {:>9.0} readings/s ({:.2} s, {} findings)",
        app::MAX_INDEX_ROWS,
        points as usize - naive_points,
        rate(batched.len(), batched_time),
        batched_time.as_secs_f64(),
        findings.1
    );
    println!(
        "one point's {shown} readings through the gate, median (p99) of {READS}: {:.3} ms ({:.3})",
        read.as_secs_f64() * 1000.0,
        read_p99.as_secs_f64() * 1000.0
    );
    Ok(())
}
