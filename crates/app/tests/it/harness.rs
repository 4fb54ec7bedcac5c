//! A `Cloison` on a database that exists only for one test, on each backend, and a small register.

use app::{Actor, Change, Cloison, Keys, Opening, Role};
use domain::{
    AccessPoint, Address, Ean, Energy, Gln, GridStatus, MeterKind, Occupancy, Party, PartyId, PartyKind,
    Period, ReadingRegime, Registration,
};
use jiff::Timestamp;
use rand::RngCore;

/// The application on a fresh database, with what reopening it takes.
pub struct TestApp {
    pub app: Cloison,
    pub url: String,
    pub keys: Keys,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = app::sqlite_url(&dir.path().join("app.sqlite"));
        TestApp::open(url, Some(dir), None).await
    }

    /// `None` when no PostgreSQL server is configured for tests.
    pub async fn postgres() -> Option<TestApp> {
        let admin = std::env::var("CLOISON_TEST_POSTGRES_URL").ok()?;
        let name = format!("cloison_t_{:016x}", rand::rngs::OsRng.next_u64());
        let pool = sqlx::PgPool::connect(&admin).await.expect("connect to CLOISON_TEST_POSTGRES_URL");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create test database");
        pool.close().await;
        let base = admin.split('?').next().unwrap_or(&admin);
        let url = format!("{}/{name}", &base[..base.rfind('/').expect("a database part")]);
        Some(TestApp::open(url, None, Some((admin, name))).await)
    }

    async fn open(
        url: String,
        dir: Option<tempfile::TempDir>,
        postgres: Option<(String, String)>,
    ) -> TestApp {
        let keys = Keys::generate();
        let app = Cloison::open(&url, &keys, Opening::CreateIfMissing).await.expect("open");
        TestApp { app, url, keys, _dir: dir, postgres }
    }

    /// The SQLite file, on the SQLite backend.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        self._dir.as_ref().map(|d| d.path().join("app.sqlite"))
    }

    /// Closes the application and drops a PostgreSQL test database.
    pub async fn finish(self) {
        self.app.close().await;
        if let Some((admin, name)) = self.postgres {
            let pool = sqlx::PgPool::connect(&admin).await.expect("reconnect as admin");
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&pool)
                .await
                .expect("drop test database");
            pool.close().await;
        }
    }
}

/// The installation acting on itself, as the CLI's batch work does.
pub fn system() -> Actor {
    Actor { party: "cloison-test".parse().expect("a valid slug"), role: Role::System, session: "t".into() }
}

/// The ethics committee, to read the journal.
pub fn auditor() -> Actor {
    Actor { role: Role::Auditor, ..system() }
}

/// A test body may take the `TestApp` (to reopen its database) or just the application.
impl std::ops::Deref for TestApp {
    type Target = Cloison;

    fn deref(&self) -> &Cloison {
        &self.app
    }
}

/// Declares one test per backend running the same async body with a fresh `TestApp`.
#[macro_export]
macro_rules! each_backend {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let t = $crate::harness::TestApp::sqlite().await;
                super::$body(&t).await;
                t.finish().await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(t) = $crate::harness::TestApp::postgres().await else {
                    eprintln!("CLOISON_TEST_POSTGRES_URL is not set: the PostgreSQL run is in .ci/run");
                    return;
                };
                super::$body(&t).await;
                t.finish().await;
            }
        }
    };
}

pub fn at(text: &str) -> Timestamp {
    text.parse().expect("test instant")
}

pub fn ean() -> Ean {
    Ean::from_body(54_144_100_000_000_007).expect("17-digit body")
}

pub fn id(text: &str) -> PartyId {
    text.parse().expect("test party id")
}

/// An actor of `role`, as party `party`.
pub fn actor(party: &str, role: Role) -> Actor {
    Actor { party: id(party), role, session: format!("test-{}", role.as_str()) }
}

/// The supplier and the customer of the small register, and staff for the other roles.
pub fn party_of(role: Role) -> &'static str {
    match role {
        Role::Supplier => "sup-a",
        Role::Customer => "nu-yasmine",
        _ => "staff-x",
    }
}

pub fn access_point() -> AccessPoint {
    AccessPoint {
        ean: ean(),
        energy: Energy::Electricity,
        address: Address::new("Rue de Fer", "12", None, "5000", "Namur").expect("address"),
        substation: "NAM-0001".parse().expect("substation"),
        regime: ReadingRegime::Ymr,
        meter: MeterKind::Classic,
        grid_status: GridStatus::Energised,
    }
}

/// One access point, occupied by a customer and supplied by a supplier since 2024, written
/// by the operator's own identity through the gate.
pub async fn small_register(app: &Cloison) {
    let since = at("2024-01-01T00:00:00Z");
    let party = |pid: &str, kind: PartyKind, name: &str| Party {
        id: id(pid),
        kind,
        name: name.parse().expect("name"),
        phone: None,
        email: None,
    };
    let changes = vec![
        Change::PutParty(party(
            "sup-a",
            PartyKind::Supplier { gln: Gln::from_body(541_000_000_011).expect("gln") },
            "Supplier A",
        )),
        Change::PutParty(party("nu-yasmine", PartyKind::Person, "Yasmine Peeters")),
        Change::PutParty(party("staff-x", PartyKind::Staff, "Xavier Staff")),
        Change::PutAccessPoint(access_point()),
        Change::RecordOccupancy {
            occupancy: Occupancy {
                ean: ean(),
                network_user: id("nu-yasmine"),
                period: Period::open(since),
                shipping_address: Address::new("Rue de Fer", "12", None, "5000", "Namur").expect("address"),
            },
            supersedes: None,
        },
        Change::RecordRegistration {
            registration: Registration { ean: ean(), supplier: id("sup-a"), period: Period::open(since) },
            supersedes: None,
        },
    ];
    let dated = changes.into_iter().map(|c| (since, c)).collect();
    app.register_apply(&actor("system", Role::System), dated).await.expect("the small register is written");
}
