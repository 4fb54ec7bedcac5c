//! The door's authorization with its facts, beside the same question answered by PostgreSQL
//! row-level security (DESIGN.md target: ≤ 15 µs median for the decision with its facts).
//!
//! The question: may supplier S read access point E, and which periods of it? Cloison loads
//! S's own effective periods on E (`Store::periods_on`) and asks the Cedar policy, which
//! answers allowed or not and the visible periods. The row-level-security way keeps the rule
//! in the database: a policy on `registrations` lets a reader role see only the rows of the
//! party named in a session setting, and the application sets that setting, then selects the
//! registrations of E (two round trips per question on a connection that took the role once).
//!
//! Both run on one demo register (2,000 access points, seed 42) in a fresh PostgreSQL database,
//! over 1,000 seeded (supplier, EAN) questions, about half of them allowed; the Cloison side
//! also runs on SQLite. PostgreSQL runs when `CLOISON_BENCH_POSTGRES_URL` (or
//! `CLOISON_TEST_POSTGRES_URL`) names a server; the bench creates a database and a role of its
//! own and drops both at the end.

use std::time::Duration;

use app::{Actor, Cloison, Keys, Opening, Role, Store};
use criterion::Criterion;
use demo::DemoConfig;
use domain::{Ean, PartyId};
use policy::{Action, Facts, Policy, Question, Resource};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sqlx::{Connection, Executor, PgConnection, Row};
use tokio::runtime::Runtime;

mod common;
use common::{postgres_admin_url, with_database};

const ACCESS_POINTS: u32 = 2_000;
const QUESTIONS: usize = 1_000;

fn actor() -> Actor {
    Actor {
        party: "cloison-bench".parse().expect("a valid slug"),
        role: Role::System,
        session: "bench".into(),
    }
}

/// Builds the demo at `url` and draws the questions: a supplier of the demo and an EAN,
/// half of them an EAN that supplier held at some time.
async fn fixture(url: &str) -> (Store, Vec<(PartyId, Ean)>) {
    let keys = Keys::generate();
    let app = Cloison::open(url, &keys, Opening::CreateIfMissing).await.expect("the bench database opens");
    demo::build(&app, &actor(), DemoConfig { access_points: ACCESS_POINTS, seed: 42 }, |_| {})
        .await
        .expect("the demo builds");
    app.close().await;
    let store =
        Store::open(url, &keys, Opening::Existing).await.expect("a store handle on the bench database");
    let eans = store.eans(i64::from(ACCESS_POINTS)).await.expect("the demo's EANs");
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut questions = Vec::with_capacity(QUESTIONS);
    while questions.len() < QUESTIONS {
        let ean = eans[rng.gen_range(0..eans.len())];
        let history = store.history(ean).await.expect("history").expect("a demo EAN");
        let holders: Vec<PartyId> = history.registrations.iter().map(|r| r.value.supplier.clone()).collect();
        let supplier = if rng.gen_bool(0.5) {
            holders[rng.gen_range(0..holders.len())].clone()
        } else {
            // A supplier of another access point: usually a stranger to this one.
            let other = eans[rng.gen_range(0..eans.len())];
            let h = store.history(other).await.expect("history").expect("a demo EAN");
            h.registrations[0].value.supplier.clone()
        };
        questions.push((supplier, ean));
    }
    (store, questions)
}

fn cloison_side(
    c: &mut Criterion,
    runtime: &Runtime,
    label: &str,
    store: &Store,
    questions: &[(PartyId, Ean)],
) {
    let policy = Policy::embedded().expect("the shipped policies load");
    let mut next = 0;
    c.bench_function(&format!("authorize/{label}/facts_and_cedar"), |b| {
        b.to_async(runtime).iter(|| {
            let (party, ean) = &questions[next % questions.len()];
            next += 1;
            let policy = &policy;
            async move {
                let (registrations, occupancies) = store.periods_on(party, *ean).await.expect("facts");
                let facts = Facts { registrations, occupancies, mandates: Vec::new() };
                let ean_text = ean.to_string();
                policy.decide(&Question {
                    party: party.as_str(),
                    role: "supplier",
                    action: Action::ReadAccessPoint,
                    resource: Resource::AccessPoint { ean: &ean_text },
                    facts: &facts,
                })
            }
        })
    });
}

/// Row-level security on the store's own `registrations` table, for a role of this run.
async fn enable_rls(conn: &mut PgConnection, role: &str) {
    for statement in [
        format!("CREATE ROLE {role} NOLOGIN"),
        format!("GRANT SELECT ON registrations TO {role}"),
        "ALTER TABLE registrations ENABLE ROW LEVEL SECURITY".to_owned(),
        format!(
            "CREATE POLICY supplier_scope ON registrations FOR SELECT TO {role} \
             USING (party_id = current_setting('cloison.party', true))"
        ),
    ] {
        conn.execute(statement.as_str()).await.expect("row-level security set up");
    }
}

fn rls_side(c: &mut Criterion, runtime: &Runtime, conn: &mut PgConnection, questions: &[(PartyId, Ean)]) {
    let mut next = 0;
    c.bench_function("authorize/postgres/row_level_security", |b| {
        b.iter(|| {
            let (party, ean) = &questions[next % questions.len()];
            next += 1;
            runtime.block_on(async {
                sqlx::query("SELECT set_config('cloison.party', $1, false)")
                    .bind(party.as_str())
                    .execute(&mut *conn)
                    .await
                    .expect("setting");
                let rows = sqlx::query(
                    "SELECT c.from_us, c.to_us FROM registrations c WHERE c.ean = $1 \
                     AND NOT EXISTS (SELECT 1 FROM registrations s WHERE s.ean = c.ean AND s.supersedes = c.id)",
                )
                .bind(ean.as_u64() as i64)
                .fetch_all(&mut *conn)
                .await
                .expect("visible rows");
                rows.iter()
                    .map(|r| (r.get::<i64, _>(0), r.get::<Option<i64>, _>(1)))
                    .collect::<Vec<_>>()
            })
        })
    });
}

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    let runtime = Runtime::new().expect("a tokio runtime");

    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = app::sqlite_url(&dir.path().join("rls.sqlite"));
    let (store, questions) = runtime.block_on(fixture(&url));
    cloison_side(&mut criterion, &runtime, "sqlite", &store, &questions);
    runtime.block_on(store.close());

    let Some(admin_url) = postgres_admin_url() else {
        println!("PostgreSQL skipped: set CLOISON_BENCH_POSTGRES_URL to compare with row-level security");
        criterion.final_summary();
        return;
    };
    let suffix = format!("{:08x}", rand::random::<u32>());
    let database = format!("cloison_bench_rls_{suffix}");
    let role = format!("cloison_bench_reader_{suffix}");
    let mut admin = runtime.block_on(PgConnection::connect(&admin_url)).expect("the server answers");
    runtime
        .block_on(admin.execute(format!("CREATE DATABASE {database}").as_str()))
        .expect("the bench may create a database");
    let url = with_database(&admin_url, &database);
    let (store, questions) = runtime.block_on(fixture(&url));
    cloison_side(&mut criterion, &runtime, "postgres", &store, &questions);
    runtime.block_on(store.close());

    let mut conn = runtime.block_on(PgConnection::connect(&url)).expect("the bench database answers");
    runtime.block_on(enable_rls(&mut conn, &role));
    runtime.block_on(conn.execute(format!("SET ROLE {role}").as_str())).expect("the reader role");
    rls_side(&mut criterion, &runtime, &mut conn, &questions);
    runtime.block_on(conn.close()).expect("closed");

    runtime
        .block_on(admin.execute(format!("DROP DATABASE {database} WITH (FORCE)").as_str()))
        .expect("the bench drops its database");
    runtime.block_on(admin.execute(format!("DROP ROLE {role}").as_str())).expect("and its role");
    criterion.final_summary();
}
