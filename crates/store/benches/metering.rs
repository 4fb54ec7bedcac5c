//! Interval data on disk and through the writer, side by side with a row per value, on the
//! same database: bytes per quarter-hour value including indexes (design target ≤ 4), and
//! values written per second.
//!
//! `cargo bench -p store --bench metering [-- POINTS DAYS]` (defaults: 100 points, 365 days
//! of quarter-hourly offtake from 2026-01-01, so DST days are in). The packed days go through
//! the store's writer, journaled, one entry per 500 days; the naive table gets plain multi-row
//! inserts in one transaction per 500 days' worth of rows, not journaled, which favours it.
//! SQLite always; PostgreSQL too when `CLOISON_BENCH_POSTGRES_URL` (or
//! `CLOISON_TEST_POSTGRES_URL`) names a server, in a `cloison_bench_<random>` database
//! dropped at the end. Sizes: SQLite's `dbstat` pages of each table and its indexes,
//! PostgreSQL's `pg_total_relation_size`, after the writes.

use std::time::Instant;

use domain::metering::{Channel, DayLayout, Interval, IntervalDay};
use jiff::civil::{Date, date};
use journal::Entry;
use rand::RngCore;
use store::{Command, Done, Keys, Opening, Store, StoreError, WriteTx};

/// Days written per entry, and per naive transaction.
const BATCH: usize = 500;

struct PutDays(Vec<IntervalDay>);

impl Command for PutDays {
    type Output = usize;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let now = jiff::Timestamp::now();
        for day in &self.0 {
            tx.put_interval_day(day, now).await?;
        }
        let entry = tx.slot().fill(Entry {
            sequence: 0,
            time_micros: now.as_microsecond(),
            actor: journal::Actor {
                party_id: "system".into(),
                role: "system".into(),
                session: "bench".into(),
            },
            action: "metering.interval.import".into(),
            subjects: Vec::new(),
            purpose: "benchmark".into(),
            decision: journal::Decision { allowed: true, policies: vec!["role:system".into()] },
            outcome: "ok".into(),
            data_digest: None,
            salt: None,
            rows: Vec::new(),
        });
        Ok(Done { output: self.0.len(), entries: vec![entry] })
    }
}

/// A household's quarter-hours: base load, evening peak, noise, the odd appliance.
fn household(seed: u64, intervals: usize) -> Vec<Interval> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..intervals)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let hour = (i / 4) as i64;
            let peak = if (18..22).contains(&hour) { 180 } else { 0 };
            let appliance = if state % 12 == 0 { 150 + (state >> 8) as i64 % 200 } else { 0 };
            Interval::measured(45 + peak + (state >> 16) as i64 % 61 + appliance)
        })
        .collect()
}

fn ean(n: u64) -> domain::Ean {
    let body = 541_448_000_000_000_000 / 10 + n;
    let digits: Vec<u32> = body.to_string().chars().map(|c| c.to_digit(10).expect("digit")).collect();
    let sum: u32 = digits.iter().rev().enumerate().map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d }).sum();
    domain::Ean::from_u64(body * 10 + u64::from((10 - sum % 10) % 10)).expect("a valid EAN")
}

fn days(points: u64, count: i32) -> Vec<IntervalDay> {
    let first: Date = date(2026, 1, 1);
    let mut all = Vec::new();
    for point in 0..points {
        for offset in 0..count {
            let on = first.checked_add(jiff::Span::new().days(offset)).expect("in range");
            let layout = DayLayout::new(Channel::ElectricityOfftake, on).expect("layout");
            let values = household(point * 1000 + offset as u64, layout.len());
            all.push(IntervalDay::new(ean(point), Channel::ElectricityOfftake, on, values).expect("day"));
        }
    }
    all
}

struct Figures {
    values: u64,
    packed_seconds: f64,
    naive_seconds: f64,
    packed_bytes: i64,
    naive_bytes: i64,
}

async fn run(url: &str, postgres: bool, all: &[IntervalDay]) -> Figures {
    let keys = Keys::generate();
    let store = Store::open(url, &keys, Opening::CreateIfMissing).await.expect("open the store");
    let values: u64 = all.iter().map(|d| d.intervals().len() as u64).sum();

    let start = Instant::now();
    for chunk in all.chunks(BATCH) {
        let ticket = store.submit(PutDays(chunk.to_vec())).await.expect("queued");
        ticket.wait().await.expect("committed");
    }
    let packed_seconds = start.elapsed().as_secs_f64();

    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("raw connection");
    let table = "CREATE TABLE naive_values (ean BIGINT NOT NULL, channel TEXT NOT NULL, start_us BIGINT NOT NULL, \
                 wh BIGINT, quality TEXT NOT NULL, PRIMARY KEY (ean, channel, start_us))";
    sqlx::query(table).execute(&mut conn).await.expect("naive table");
    let start = Instant::now();
    for chunk in all.chunks(BATCH) {
        let mut tx = conn.begin().await.expect("begin");
        let rows: Vec<(i64, String, i64, Option<i64>, &str)> = chunk
            .iter()
            .flat_map(|day| {
                let layout = *day.layout();
                day.intervals().iter().enumerate().map(move |(i, interval)| {
                    (
                        day.ean().as_u64() as i64,
                        day.channel().as_str().to_owned(),
                        layout.interval_start(i).expect("in the day").as_microsecond(),
                        interval.wh(),
                        interval.quality().as_str(),
                    )
                })
            })
            .collect();
        // 200 rows of 5 parameters a statement, as a hand-written bulk insert would.
        for rows in rows.chunks(200) {
            let placeholders: Vec<String> = (0..rows.len())
                .map(|r| {
                    format!(
                        "(${}, ${}, ${}, ${}, ${})",
                        r * 5 + 1,
                        r * 5 + 2,
                        r * 5 + 3,
                        r * 5 + 4,
                        r * 5 + 5
                    )
                })
                .collect();
            let sql = format!("INSERT INTO naive_values VALUES {}", placeholders.join(", "));
            let mut query = sqlx::query(&sql);
            for (e, c, s, w, q) in rows {
                query = query.bind(*e).bind(c.as_str()).bind(*s).bind(*w).bind(*q);
            }
            query.execute(&mut *tx).await.expect("naive insert");
        }
        tx.commit().await.expect("commit");
    }
    let naive_seconds = start.elapsed().as_secs_f64();

    let size = |names: &str| {
        if postgres {
            format!(
                "SELECT CAST(SUM(pg_total_relation_size(c.oid)) AS BIGINT) FROM pg_class c WHERE c.relname IN ({names})"
            )
        } else {
            format!(
                "SELECT SUM(pgsize) FROM dbstat WHERE name IN ({names}) OR name IN \
                 (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({names}))"
            )
        }
    };
    let packed_bytes: i64 =
        sqlx::query_scalar(&size("'interval_days'")).fetch_one(&mut conn).await.expect("packed size");
    let naive_bytes: i64 =
        sqlx::query_scalar(&size("'naive_values'")).fetch_one(&mut conn).await.expect("naive size");
    conn.close().await.expect("closed");
    store.close().await;
    Figures { values, packed_seconds, naive_seconds, packed_bytes, naive_bytes }
}

fn report(backend: &str, f: &Figures) {
    let per = |bytes: i64| bytes as f64 / f.values as f64;
    println!("{backend}: {} values in {} packed days", f.values, f.values / 96);
    println!(
        "  bytes on disk per value, table and indexes: packed {:.2} ({} bytes), row per value {:.2} ({} bytes), {:.1}× smaller",
        per(f.packed_bytes),
        f.packed_bytes,
        per(f.naive_bytes),
        f.naive_bytes,
        f.naive_bytes as f64 / f.packed_bytes as f64
    );
    let rate = |seconds: f64| f.values as f64 / seconds;
    println!(
        "  values written per second: packed, journaled {:.0} ({:.2} s), row per value, not journaled {:.0} ({:.2} s), {:.1}×",
        rate(f.packed_seconds),
        f.packed_seconds,
        rate(f.naive_seconds),
        f.naive_seconds,
        f.naive_seconds / f.packed_seconds
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let points: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(100);
    let count: i32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(365);
    let all = days(points, count);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = store::sqlite_url(&dir.path().join("metering.sqlite"));
        report("SQLite", &run(&url, false, &all).await);
        let admin = std::env::var("CLOISON_BENCH_POSTGRES_URL")
            .or_else(|_| std::env::var("CLOISON_TEST_POSTGRES_URL"));
        if let Ok(admin) = admin {
            let name = format!("cloison_bench_{:016x}", rand::rngs::OsRng.next_u64());
            let pool = sqlx::PgPool::connect(&admin).await.expect("connect");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create database");
            let (base, _) = admin.rsplit_once('/').expect("a database in the URL");
            let figures = run(&format!("{base}/{name}"), true, &all).await;
            sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&pool).await.expect("drop");
            report("PostgreSQL", &figures);
        }
    });
}
