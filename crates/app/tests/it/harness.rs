//! A `Cloison` on a database that exists only for one test, on each backend.

use app::{Actor, Cloison, Keys, MasterKey, Opening, Role};
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
        let keys = Keys::derived(MasterKey::generate());
        let app = Cloison::open(&url, &keys, Opening::CreateIfMissing).await.expect("open");
        TestApp { app, url, keys, _dir: dir, postgres }
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
