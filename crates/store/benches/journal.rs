//! Journal benchmarks in the database against DESIGN.md's targets, side by side with the naive
//! way: durable appends with 8 concurrent writers (≥ 50,000/s), full verification
//! (≥ 2,000,000 entries/s) and an inclusion proof at 10,000,000 entries (≤ 100 µs).
//!
//! The naive baseline is what most teams write first: a hash-chained audit table where each
//! entry is its own transaction that reads the previous row's hash, hashes
//! `prev_hash ‖ entry`, inserts and commits. It is written here with sqlx directly, on the same
//! durability settings as the store (SQLite: WAL, `synchronous = FULL`, `BEGIN IMMEDIATE`;
//! PostgreSQL: `fsync` and `synchronous_commit` as the server has them, an advisory lock to
//! serialise the chain, since `SELECT … FOR UPDATE` of the last row lets two writers read the
//! same predecessor once the first commits).
//!
//! PostgreSQL runs when `CLOISON_BENCH_POSTGRES_URL` (or `CLOISON_TEST_POSTGRES_URL`) names a
//! server: each fixture creates a `cloison_bench_<random>` database and drops it at the end.
//!
//! The 10,000,000-entry journal takes minutes to build, so it is cached:
//! `/tmp/cloison-bench-10m.sqlite` with its seal key in hex in `/tmp/cloison-bench-10m.key` and
//! its journal signing key in `/tmp/cloison-bench-10m.journal.key` (two keys, as `cloison`
//! keeps them, so the CLI's `journal verify` can be measured on the same file with
//! `CLOISON_KEY_FILE` and `CLOISON_JOURNAL_KEY_FILE`). Delete all three to rebuild.
//!
//! The append group also runs the store with 256 writers (not a target row): 8 writers that
//! each await their own commit get at most 8 entries per commit, so their rate is bounded by
//! the disk's commit latency, which the naive rows measure (one entry per commit).
//!
//! Every fixture is built lazily inside its bench, so a criterion filter
//! (`cargo bench -p store --bench journal -- append`) builds only what it runs.

// `criterion_group!` generates a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use futures_util::{StreamExt, TryStreamExt};
use journal::{Actor, Decision, Entry, Frontier, Hash, leaf_hash, verify_inclusion};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Executor, PgPool, Row, SqlitePool};
use store::{Backend, Keys, MasterKey, Opening, Store};
use tokio::runtime::Runtime;

/// Concurrent writers, each awaiting its own append, as DESIGN.md's target says.
const WRITERS: u64 = 8;
/// More writers, to show what group commit gives when more requests wait on one commit
/// (the API target has 64 connections; a busy server has more requests in flight).
const MANY_WRITERS: u64 = 256;
/// Appends each of the 8 writers keeps in flight in the pipelined row: a writer that sends
/// its next entry before the previous one is acknowledged, as a market gateway or the API
/// server (one task per request) does. Every entry is still acknowledged only once durable.
const WINDOW: usize = 32;
/// Journal size for the verification throughput on SQLite.
const VERIFY_SQLITE: u64 = 1_000_000;
/// Journal size for the verification throughput on PostgreSQL.
const VERIFY_POSTGRES: u64 = 20_000;
/// Journal size for the inclusion proof.
const BIG: u64 = 10_000_000;
/// Entries per append request while building a SQLite journal, as a bulk import sends them.
const SQLITE_BUILD_BATCH: u64 = 1_000;
/// Entries per append request while building a PostgreSQL journal.
const POSTGRES_BUILD_BATCH: u64 = 1_000;
const BIG_FILE: &str = "/tmp/cloison-bench-10m.sqlite";
const BIG_KEY: &str = "/tmp/cloison-bench-10m.key";
const BIG_JOURNAL_KEY: &str = "/tmp/cloison-bench-10m.journal.key";

/// An entry shaped like the store tests' `read_entry`: staff showing one of 100 access points.
fn entry(n: u64) -> Entry {
    Entry {
        sequence: 0,
        time_micros: 1_672_534_800_000_000 + n as i64,
        actor: Actor {
            party_id: "staff-bench".into(),
            role: "register_staff".into(),
            session: "bench".into(),
        },
        action: "register.show".into(),
        subjects: vec![format!("541441000000{:06}", n % 100)],
        purpose: "benchmark".into(),
        decision: Decision { allowed: true, policies: vec!["role:register_staff".into()] },
        outcome: "ok".into(),
        data_digest: Some(Hash::digest(format!("view {n}").as_bytes())),
        salt: None,
        rows: Vec::new(),
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime")
}

fn postgres_admin_url() -> Option<String> {
    std::env::var("CLOISON_BENCH_POSTGRES_URL").or_else(|_| std::env::var("CLOISON_TEST_POSTGRES_URL")).ok()
}

/// The same server URL with another database name.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A fresh database: a SQLite file in a temporary directory, or a PostgreSQL database of its own.
struct FreshDb {
    url: String,
    /// Admin URL and database name, to drop it at the end.
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl FreshDb {
    fn sqlite() -> FreshDb {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = store::sqlite_url(&dir.path().join("journal.sqlite"));
        FreshDb { url, postgres: None, _dir: Some(dir) }
    }

    async fn postgres(admin: &str) -> FreshDb {
        let name = format!("cloison_bench_{:016x}", rand::rngs::OsRng.next_u64());
        let pool = PgPool::connect(admin).await.expect("connect to the PostgreSQL bench server");
        pool.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create the bench database");
        pool.close().await;
        FreshDb { url: replace_database(admin, &name), postgres: Some((admin.to_owned(), name)), _dir: None }
    }

    async fn drop_database(&self) {
        if let Some((admin, name)) = &self.postgres {
            let pool = PgPool::connect(admin).await.expect("reconnect to drop the bench database");
            pool.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await
                .expect("drop the bench database");
            pool.close().await;
        }
    }
}

/// Runs `total` operations split over `writers` tasks, each awaiting its own, and returns
/// the wall time of the whole.
async fn concurrently<F, Fut>(writers: u64, total: u64, operation: F) -> Duration
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let start = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let operation = operation.clone();
            let count = total / writers + u64::from(w < total % writers);
            tokio::spawn(async move {
                for i in 0..count {
                    operation(w * 1_000_000_000 + i).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a writer task does not panic");
    }
    start.elapsed()
}

/// Runs `total` one-entry appends over [`WRITERS`] tasks, each keeping up to [`WINDOW`]
/// unacknowledged appends in flight, and returns the wall time until the last is durable.
async fn pipelined(store: Store, total: u64) -> Duration {
    let start = Instant::now();
    let tasks: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = store.clone();
            let count = total / WRITERS + u64::from(w < total % WRITERS);
            tokio::spawn(async move {
                let mut in_flight = std::collections::VecDeque::with_capacity(WINDOW);
                for i in 0..count {
                    let ticket =
                        store.submit_entries(vec![entry(w * 1_000_000_000 + i)]).await.expect("queued");
                    in_flight.push_back(ticket);
                    if in_flight.len() == WINDOW {
                        let oldest = in_flight.pop_front().expect("the window is full");
                        oldest.wait().await.expect("a durable append");
                    }
                }
                for ticket in in_flight {
                    ticket.wait().await.expect("a durable append");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a writer task does not panic");
    }
    start.elapsed()
}

/// The naive hash-chained audit table, one transaction per entry.
#[derive(Clone)]
enum Naive {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Naive {
    async fn open(url: &str) -> Naive {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .expect("a SQLite URL")
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(WRITERS as u32)
                .connect_with(options)
                .await
                .expect("open the naive SQLite table");
            pool.execute(
                "CREATE TABLE naive_audit (seq INTEGER PRIMARY KEY, entry BLOB NOT NULL, \
                 prev_hash BLOB NOT NULL, hash BLOB NOT NULL)",
            )
            .await
            .expect("create naive_audit");
            Naive::Sqlite(pool)
        } else {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(WRITERS as u32)
                .connect(url)
                .await
                .expect("open the naive PostgreSQL table");
            pool.execute(
                "CREATE TABLE naive_audit (seq BIGINT PRIMARY KEY, entry BYTEA NOT NULL, \
                 prev_hash BYTEA NOT NULL, hash BYTEA NOT NULL)",
            )
            .await
            .expect("create naive_audit");
            Naive::Postgres(pool)
        }
    }

    /// Appends one entry in its own transaction: read the last hash, chain, insert, commit.
    async fn append(&self, entry: &Entry) {
        const LAST: &str = "SELECT seq, hash FROM naive_audit ORDER BY seq DESC LIMIT 1";
        const INSERT: &str = "INSERT INTO naive_audit (seq, entry, prev_hash, hash) VALUES ($1, $2, $3, $4)";
        let chain = |last: Option<(i64, Vec<u8>)>| {
            let (seq, prev) = last.map_or((0, vec![0; 32]), |(s, h)| (s + 1, h));
            let bytes =
                Entry { sequence: seq as u64, ..entry.clone() }.encode().expect("a small entry encodes");
            let hash = Sha256::new().chain_update(&prev).chain_update(&bytes).finalize().to_vec();
            (seq, bytes, prev, hash)
        };
        match self {
            Naive::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("begin");
                let last = sqlx::query_as(LAST).fetch_optional(&mut *tx).await.expect("read the last hash");
                let (seq, bytes, prev, hash) = chain(last);
                sqlx::query(INSERT)
                    .bind(seq)
                    .bind(bytes)
                    .bind(prev)
                    .bind(hash)
                    .execute(&mut *tx)
                    .await
                    .expect("insert");
                tx.commit().await.expect("commit");
            }
            Naive::Postgres(pool) => {
                let mut tx = pool.begin().await.expect("begin");
                sqlx::query("SELECT pg_advisory_xact_lock(6962)")
                    .execute(&mut *tx)
                    .await
                    .expect("lock the chain");
                let last = sqlx::query_as(LAST).fetch_optional(&mut *tx).await.expect("read the last hash");
                let (seq, bytes, prev, hash) = chain(last);
                sqlx::query(INSERT)
                    .bind(seq)
                    .bind(bytes)
                    .bind(prev)
                    .bind(hash)
                    .execute(&mut *tx)
                    .await
                    .expect("insert");
                tx.commit().await.expect("commit");
            }
        }
    }

    async fn count(&self) -> i64 {
        const COUNT: &str = "SELECT COUNT(*) FROM naive_audit";
        match self {
            Naive::Sqlite(pool) => sqlx::query_scalar(COUNT).fetch_one(pool).await,
            Naive::Postgres(pool) => sqlx::query_scalar(COUNT).fetch_one(pool).await,
        }
        .expect("count naive_audit")
    }

    async fn close(&self) {
        match self {
            Naive::Sqlite(pool) => pool.close().await,
            Naive::Postgres(pool) => pool.close().await,
        }
    }
}

/// One backend with a fresh store and a fresh naive table.
struct AppendFixture {
    db: FreshDb,
    store: Store,
    naive: Naive,
}

impl AppendFixture {
    async fn new(db: FreshDb) -> AppendFixture {
        let store =
            Store::open(&db.url, &Keys::generate(), Opening::CreateIfMissing).await.expect("open the store");
        // SQLite locks a whole file: the naive table gets a file of its own, so neither side
        // waits on the other's write lock. On PostgreSQL their locks never meet.
        let naive_db = match &db.postgres {
            Some(_) => db.url.clone(),
            None => format!("{}-naive", db.url),
        };
        let naive = Naive::open(&naive_db).await;
        AppendFixture { db, store, naive }
    }

    async fn finish(self) {
        let head = self.store.journal_head().await.expect("head");
        let naive = self.naive.count().await;
        println!(
            "  ({}: journal holds {} entries, naive table {naive})",
            backend_name(&self.store),
            head.head.size
        );
        self.store.close().await;
        self.naive.close().await;
        self.db.drop_database().await;
    }
}

fn backend_name(store: &Store) -> &'static str {
    match store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

fn configure(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, seconds: u64) {
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(seconds));
}

/// Durable appends per second with 8 writers, each awaiting its own one-entry append.
fn appends(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("append_8_writers");
    configure(&mut group, 5);
    group.throughput(Throughput::Elements(1));
    let mut backends: Vec<(&str, Option<String>)> = vec![("sqlite", None)];
    match postgres_admin_url() {
        Some(admin) => backends.push(("postgres", Some(admin))),
        None => println!("CLOISON_BENCH_POSTGRES_URL is not set: PostgreSQL appends skipped"),
    }
    for (label, admin) in backends {
        let mut fixture: Option<AppendFixture> = None;
        let mut get = |rt: &Runtime| -> (Store, Naive) {
            let f = fixture.get_or_insert_with(|| {
                rt.block_on(async {
                    let db = match &admin {
                        Some(admin) => FreshDb::postgres(admin).await,
                        None => FreshDb::sqlite(),
                    };
                    AppendFixture::new(db).await
                })
            });
            (f.store.clone(), f.naive.clone())
        };
        group.bench_function(format!("{label}/cloison"), |b| {
            let (store, _) = get(&rt);
            b.to_async(&rt).iter_custom(|iters| {
                let store = store.clone();
                concurrently(WRITERS, iters, move |n| {
                    let store = store.clone();
                    async move {
                        store.append(vec![entry(n)]).await.expect("a durable append");
                    }
                })
            })
        });
        group.bench_function(format!("{label}/cloison_pipelined_{WINDOW}"), |b| {
            let (store, _) = get(&rt);
            b.to_async(&rt).iter_custom(|iters| pipelined(store.clone(), iters))
        });
        group.bench_function(format!("{label}/naive"), |b| {
            let (_, naive) = get(&rt);
            b.to_async(&rt).iter_custom(|iters| {
                let naive = naive.clone();
                concurrently(WRITERS, iters, move |n| {
                    let naive = naive.clone();
                    async move { naive.append(&entry(n)).await }
                })
            })
        });
        // Not a target row: the naive table cannot use more writers than its 8 connections.
        group.bench_function(format!("{label}/cloison_{MANY_WRITERS}_writers"), |b| {
            let (store, _) = get(&rt);
            b.to_async(&rt).iter_custom(|iters| {
                let store = store.clone();
                concurrently(MANY_WRITERS, iters, move |n| {
                    let store = store.clone();
                    async move {
                        store.append(vec![entry(n)]).await.expect("a durable append");
                    }
                })
            })
        });
        if let Some(f) = fixture.take() {
            rt.block_on(f.finish());
        }
    }
    group.finish();
}

/// Appends `count` entries in requests of `batch` entries, printing progress.
async fn build_journal(store: &Store, count: u64, batch: u64) {
    let start = Instant::now();
    let already = store.journal_head().await.expect("head").head.size;
    let mut next = already;
    while next < count {
        let n = batch.min(count - next);
        store.append((next..next + n).map(entry).collect()).await.expect("a batch append");
        next += n;
        if next % (count / 10).max(1) < n {
            let rate = (next - already) as f64 / start.elapsed().as_secs_f64();
            println!("  built {next} of {count} entries ({rate:.0} entries/s)");
        }
    }
    println!("  journal of {count} entries built in {:.1} s", start.elapsed().as_secs_f64());
}

/// A journal built once for a group of verification benches.
struct VerifyFixture {
    db: FreshDb,
    store: Store,
}

/// Full verification: every leaf, node and signed head recomputed from the database.
fn verification(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("verify");
    configure(&mut group, 10);
    let mut backends: Vec<(&str, Option<String>, u64)> = vec![("sqlite", None, VERIFY_SQLITE)];
    match postgres_admin_url() {
        Some(admin) => backends.push(("postgres", Some(admin), VERIFY_POSTGRES)),
        None => println!("CLOISON_BENCH_POSTGRES_URL is not set: PostgreSQL verification skipped"),
    }
    for (label, admin, size) in backends {
        group.throughput(Throughput::Elements(size));
        let mut fixture: Option<VerifyFixture> = None;
        let mut get = |rt: &Runtime| -> (Store, String) {
            let f = fixture.get_or_insert_with(|| {
                rt.block_on(async {
                    let db = match &admin {
                        Some(admin) => FreshDb::postgres(admin).await,
                        None => FreshDb::sqlite(),
                    };
                    let store = Store::open(&db.url, &Keys::generate(), Opening::CreateIfMissing)
                        .await
                        .expect("open the store");
                    let batch = if admin.is_some() { POSTGRES_BUILD_BATCH } else { SQLITE_BUILD_BATCH };
                    build_journal(&store, size, batch).await;
                    VerifyFixture { db, store }
                })
            });
            (f.store.clone(), f.db.url.clone())
        };
        group.bench_function(format!("{label}/verify_journal_{size}"), |b| {
            let (store, _) = get(&rt);
            b.to_async(&rt).iter_custom(|iters| {
                let store = store.clone();
                async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let verified = store
                            .verify_journal(&store.journal_public_key(), |_| {})
                            .await
                            .expect("an intact journal");
                        assert_eq!(verified.size, size);
                    }
                    start.elapsed()
                }
            })
        });
        // Where the time goes: the same two streams verify_journal reads, through the same Any
        // driver, doing nothing with the rows.
        group.bench_function(format!("{label}/parts/stream_entries_and_nodes_any_{size}"), |b| {
            let (_, url) = get(&rt);
            let pool = rt
                .block_on(sqlx::any::AnyPoolOptions::new().max_connections(2).connect(&url))
                .expect("any pool");
            b.to_async(&rt).iter_custom(|iters| {
                let pool = pool.clone();
                async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let mut entries =
                            sqlx::query("SELECT seq, entry, leaf_hash FROM journal_entries ORDER BY seq")
                                .fetch(&pool);
                        let mut nodes =
                            sqlx::query("SELECT leaf, level, hash FROM journal_nodes ORDER BY leaf, level")
                                .fetch(&pool);
                        let mut bytes = 0usize;
                        while let Some(row) = entries.try_next().await.expect("a row") {
                            bytes += row.try_get::<Vec<u8>, _>("entry").expect("entry").len();
                        }
                        while let Some(row) = nodes.next().await {
                            bytes += row.expect("a node").try_get::<Vec<u8>, _>("hash").expect("hash").len();
                        }
                        std::hint::black_box(bytes);
                    }
                    start.elapsed()
                }
            })
        });
        group.bench_function(format!("{label}/parts/stream_entries_any_{size}"), |b| {
            let (_, url) = get(&rt);
            let pool = rt
                .block_on(sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&url))
                .expect("any pool");
            b.to_async(&rt).iter_custom(|iters| {
                let pool = pool.clone();
                async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let mut entries =
                            sqlx::query("SELECT seq, entry, leaf_hash FROM journal_entries ORDER BY seq")
                                .fetch(&pool);
                        let mut bytes = 0usize;
                        while let Some(row) = entries.try_next().await.expect("a row") {
                            bytes += row.try_get::<Vec<u8>, _>("entry").expect("entry").len();
                        }
                        std::hint::black_box(bytes);
                    }
                    start.elapsed()
                }
            })
        });
        if admin.is_none() {
            group.bench_function(format!("{label}/parts/stream_entries_native_sqlite_{size}"), |b| {
                let (_, url) = get(&rt);
                let pool = rt.block_on(SqlitePool::connect(&url)).expect("sqlite pool");
                b.to_async(&rt).iter_custom(|iters| {
                    let pool = pool.clone();
                    async move {
                        let start = Instant::now();
                        for _ in 0..iters {
                            let mut entries =
                                sqlx::query("SELECT seq, entry, leaf_hash FROM journal_entries ORDER BY seq")
                                    .fetch(&pool);
                            let mut bytes = 0usize;
                            while let Some(row) = entries.try_next().await.expect("a row") {
                                bytes += row.try_get::<&[u8], _>(1).expect("entry").len();
                            }
                            std::hint::black_box(bytes);
                        }
                        start.elapsed()
                    }
                })
            });
        }
        // The CPU side alone: decode, leaf hash and frontier over rows already in memory.
        group.bench_function(format!("{label}/parts/decode_hash_fold_in_memory_{size}"), |b| {
            let (_, url) = get(&rt);
            let rows: Vec<Vec<u8>> = rt
                .block_on(async {
                    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&url).await?;
                    sqlx::query_scalar("SELECT entry FROM journal_entries ORDER BY seq")
                        .fetch_all(&pool)
                        .await
                })
                .expect("entries in memory");
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    let mut frontier = Frontier::new();
                    for bytes in &rows {
                        let entry = Entry::decode(bytes).expect("a stored entry decodes");
                        std::hint::black_box(entry.sequence);
                        frontier.push_with(leaf_hash(bytes), |_, _, hash| {
                            std::hint::black_box(hash);
                        });
                    }
                    std::hint::black_box(frontier.root());
                }
                start.elapsed()
            })
        });
        if let Some(f) = fixture.take() {
            rt.block_on(async {
                f.store.close().await;
                f.db.drop_database().await;
            });
        }
    }
    group.finish();
}

/// Opens the cached 10M-entry SQLite journal, building it first if it is missing or short.
async fn big_journal() -> Store {
    let cached = (std::fs::read_to_string(BIG_KEY), std::fs::read_to_string(BIG_JOURNAL_KEY));
    let keys = match cached {
        (Ok(seal), Ok(journal)) if Path::new(BIG_FILE).exists() => {
            let seed: [u8; 32] = hex::decode(journal.trim())
                .ok()
                .and_then(|b| b.try_into().ok())
                .expect("the cached journal key: 64 hex digits");
            Keys::new(
                MasterKey::from_hex(seal.trim()).expect("the cached key"),
                SigningKey::from_bytes(&seed),
            )
        }
        _ => {
            let _ = std::fs::remove_file(BIG_FILE);
            let keys = Keys::generate();
            std::fs::write(BIG_KEY, keys.seal.to_hex()).expect("write the key file");
            std::fs::write(BIG_JOURNAL_KEY, hex::encode(keys.journal.to_bytes()))
                .expect("write the journal key file");
            keys
        }
    };
    let store = Store::open(&store::sqlite_url(Path::new(BIG_FILE)), &keys, Opening::CreateIfMissing)
        .await
        .expect("open the 10M journal");
    let size = store.journal_head().await.expect("head").head.size;
    if size < BIG {
        println!("building the {BIG}-entry journal in {BIG_FILE} (cached for later runs; {size} there now)");
        build_journal(&store, BIG, SQLITE_BUILD_BATCH).await;
    }
    store
}

/// The 10M journal with its head and the leaves the bench asks about.
struct ProofFixture {
    store: Store,
    size: u64,
    root: Hash,
    /// (index, leaf hash), drawn once from a seeded generator.
    probes: Vec<(u64, Hash)>,
}

/// An inclusion proof from the database at 10,000,000 entries, and its verification.
fn inclusion(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("inclusion_proof");
    configure(&mut group, 5);
    let mut fixture: Option<ProofFixture> = None;
    group.bench_function("sqlite/prove_and_verify_10M", |b| {
        let ProofFixture { store, size, root, probes } = fixture.get_or_insert_with(|| {
            rt.block_on(async {
                let store = big_journal().await;
                let head = store.journal_head().await.expect("head").head;
                // Seeded, so every run asks for the same leaves; their hashes are read
                // beforehand, as an auditor holds the entry it asks about.
                let mut rng = ChaCha8Rng::seed_from_u64(6962);
                let mut probes = Vec::with_capacity(1000);
                for _ in 0..1000 {
                    let index = rng.gen_range(0..head.size);
                    let stored = store.journal_entry(index).await.expect("read").expect("the entry exists");
                    probes.push((index, stored.leaf_hash));
                }
                ProofFixture { store, size: head.size, root: head.root, probes }
            })
        });
        let (store, size, root) = (store.clone(), *size, *root);
        let probes = probes.clone();
        b.to_async(&rt).iter_custom(|iters| {
            let store = store.clone();
            let probes = probes.clone();
            async move {
                let start = Instant::now();
                for i in 0..iters {
                    let (index, leaf) = probes[i as usize % probes.len()];
                    let proof = store.inclusion_proof(index, size).await.expect("a proof");
                    verify_inclusion(&leaf, index, size, &proof, &root).expect("the proof verifies");
                }
                start.elapsed()
            }
        })
    });
    if let Some(f) = fixture.take() {
        rt.block_on(f.store.close());
    }
    group.finish();
}

criterion_group!(benches, appends, verification, inclusion);
criterion_main!(benches);
