//! Access-register benchmarks against DESIGN.md's target: a point-in-time look-up at 100,000
//! access points with three years of history in ≤ 20 µs median, on SQLite and on PostgreSQL.
//!
//! Each backend gets a fresh demo register built through the door (`demo::build`); the
//! build is timed once with a wall clock, because at this size it takes minutes and criterion's
//! repeated sampling would add nothing but waiting. The look-ups are then measured side by side
//! with the naive way most teams would write first: fetch the whole history of the EAN and scan
//! it in Rust. Probes (an EAN of the demo, an instant inside the simulated window) come from a
//! seeded generator, so every run and every backend asks the same questions.
//!
//! PostgreSQL runs when `CLOISON_BENCH_POSTGRES_URL` (or `CLOISON_TEST_POSTGRES_URL`) names a
//! server: the bench creates a database of its own there and drops it at the end.
//! `CLOISON_BENCH_ACCESS_POINTS` shrinks the register for a quick trial run.

use std::time::{Duration, Instant};

use app::{Actor, Backend, Cloison, Keys, Opening, Role, Store};
use criterion::Criterion;
use demo::{DemoConfig, WINDOW_END, WINDOW_START};
use domain::period::day_start;
use domain::{Ean, Period};
use jiff::Timestamp;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::runtime::Runtime;

mod common;
use common::{postgres_admin_url, with_database};

/// The register size of DESIGN.md's target.
const ACCESS_POINTS: u32 = 100_000;
/// Probes cycled through by every look-up bench: enough that the cache sees a spread of EANs.
const PROBES: usize = 10_000;

/// One backend holding a freshly built demo register.
struct Fixture {
    label: &'static str,
    app: Cloison,
    /// The same database opened directly, to time the register look-up without the view's
    /// party look-ups (the app keeps its store private, as the one door requires).
    store: Store,
    probes: Vec<(Ean, Timestamp)>,
    /// Keeps the SQLite file alive until the fixture is dropped.
    _dir: Option<tempfile::TempDir>,
}

fn actor() -> Actor {
    Actor {
        party: "cloison-bench".parse().expect("a valid slug"),
        role: Role::System,
        session: "bench".into(),
    }
}

fn access_points() -> u32 {
    std::env::var("CLOISON_BENCH_ACCESS_POINTS")
        .ok()
        .map(|n| n.parse().expect("CLOISON_BENCH_ACCESS_POINTS is a number"))
        .unwrap_or(ACCESS_POINTS)
}

impl Fixture {
    /// Builds the demo at `url`, prints how long it took, and draws the probes.
    async fn build(label: &'static str, url: &str, dir: Option<tempfile::TempDir>) -> Fixture {
        let keys = Keys::generate();
        let app =
            Cloison::open(url, &keys, Opening::CreateIfMissing).await.expect("the bench database opens");
        let actor = actor();
        let size = access_points();
        let started = Instant::now();
        let summary = demo::build(&app, &actor, DemoConfig { access_points: size, seed: 42 }, |_| {})
            .await
            .expect("the demo builds");
        let elapsed = started.elapsed();
        let counts = app.register_counts(&actor).await.expect("counts").into_view();
        println!(
            "demo build on {label}: {size} access points in {:.1} s ({:.0} access points/s); \
             {} parties, {} occupancy and {} registration records, {} moves, {} switches",
            elapsed.as_secs_f64(),
            f64::from(size) / elapsed.as_secs_f64(),
            counts.parties,
            counts.occupancies,
            counts.registrations,
            summary.moves,
            summary.switches,
        );
        let store =
            Store::open(url, &keys, Opening::Existing).await.expect("a second handle on the bench database");
        let eans = app.register_eans(&actor, i64::from(size)).await.expect("the demo's EANs").into_view();
        let window = (
            day_start(WINDOW_START).expect("a Brussels day").as_microsecond(),
            day_start(WINDOW_END).expect("a Brussels day").as_microsecond(),
        );
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let probes = (0..PROBES)
            .map(|_| {
                let ean = eans[rng.gen_range(0..eans.len())];
                let at = Timestamp::from_microsecond(rng.gen_range(window.0..window.1))
                    .expect("inside the demo window");
                (ean, at)
            })
            .collect();
        let fixture = Fixture { label, app, store, probes, _dir: dir };
        fixture.check().await;
        fixture
    }

    /// The indexed query and the naive scan must agree, or the comparison means nothing.
    async fn check(&self) {
        for &(ean, at) in self.probes.iter().take(500) {
            let (_, indexed) = self.store.snapshot(ean, at).await.expect("snapshot").expect("a demo EAN");
            let naive = self.store.history(ean).await.expect("history").expect("a demo EAN").at(at);
            assert_eq!(indexed, naive, "snapshot and history scan disagree on {ean} at {at}");
        }
    }

    async fn close(self) {
        self.store.close().await;
        self.app.close().await;
    }
}

/// The effective record of a history view that contains `at`, as a caller of the view would
/// find it.
fn holder_at(records: &[app::RecordView], at: Timestamp) -> Option<&app::RecordView> {
    records.iter().find(|r| r.effective && Period::contains(&r.period, at))
}

fn lookups(criterion: &mut Criterion, runtime: &Runtime, fixture: &Fixture) {
    let actor = actor();
    let probes = &fixture.probes;
    let mut group = criterion.benchmark_group(format!("register_lookup/{}", fixture.label));

    // The headline: the register look-up itself, one indexed round trip.
    let store = &fixture.store;
    let mut next = 0;
    group.bench_function("store_snapshot", |b| {
        b.to_async(runtime).iter(|| {
            let (ean, at) = probes[next % probes.len()];
            next += 1;
            async move { store.snapshot(ean, at).await.expect("snapshot") }
        })
    });

    // The naive way: the whole history of the EAN, scanned in Rust.
    let mut next = 0;
    group.bench_function("store_history_scan", |b| {
        b.to_async(runtime).iter(|| {
            let (ean, at) = probes[next % probes.len()];
            next += 1;
            async move { store.history(ean).await.expect("history").map(|h| h.at(at)) }
        })
    });

    // The full view through the door: the look-up plus the names of occupant and supplier.
    let app = &fixture.app;
    let mut next = 0;
    group.bench_function("app_register_show", |b| {
        b.to_async(runtime).iter(|| {
            let (ean, at) = probes[next % probes.len()];
            next += 1;
            let actor = &actor;
            async move { app.register_show(actor, ean, at).await.expect("register show") }
        })
    });

    // The naive way through the door: the history view (every record named), then a scan.
    let mut next = 0;
    group.bench_function("app_history_scan", |b| {
        b.to_async(runtime).iter(|| {
            let (ean, at) = probes[next % probes.len()];
            next += 1;
            let actor = &actor;
            async move {
                let history = app.register_history(actor, ean).await.expect("register history").into_view();
                (holder_at(&history.occupancies, at).cloned(), holder_at(&history.registrations, at).cloned())
            }
        })
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    let runtime = Runtime::new().expect("a tokio runtime");

    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = app::sqlite_url(&dir.path().join("bench.sqlite"));
    let sqlite = runtime.block_on(Fixture::build("sqlite", &url, Some(dir)));
    assert_eq!(sqlite.app.backend(), Backend::Sqlite);
    lookups(&mut criterion, &runtime, &sqlite);
    runtime.block_on(sqlite.close());

    if let Some(admin_url) = postgres_admin_url() {
        let database = format!("cloison_bench_{:08x}", rand::random::<u32>());
        let admin = runtime
            .block_on(sqlx::PgPool::connect(&admin_url))
            .expect("CLOISON_BENCH_POSTGRES_URL names a reachable server");
        runtime
            .block_on(sqlx::query(&format!("CREATE DATABASE {database}")).execute(&admin))
            .expect("the bench may create a database");
        let postgres =
            runtime.block_on(Fixture::build("postgres", &with_database(&admin_url, &database), None));
        assert_eq!(postgres.app.backend(), Backend::Postgres);
        lookups(&mut criterion, &runtime, &postgres);
        runtime.block_on(postgres.close());
        runtime
            .block_on(sqlx::query(&format!("DROP DATABASE {database} WITH (FORCE)")).execute(&admin))
            .expect("the bench drops the database it created");
        runtime.block_on(admin.close());
    } else {
        println!("PostgreSQL skipped: set CLOISON_BENCH_POSTGRES_URL to run it");
    }

    criterion.final_summary();
}
