//! Journals on either backend, and a witness server on port 0.

use std::sync::Arc;

use app::{Actor, Cloison, Keys, MasterKey, Opening, Role, SigningKey};
use journal::witness::{AddCheckpoint, Logs};
use journal::{Cosigner, Origin, VerifierKey};
use rand::RngCore;

/// Which database the journals of a test live in.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The journal key every log of a test shares: a fork is the same key signing another history.
pub const LOG_SEED: [u8; 32] = [7; 32];

/// A Cloison journal in a fresh database.
pub struct Log {
    pub app: Cloison,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl Log {
    /// A fresh database on `backend` signing with `LOG_SEED` under the default origin, or
    /// `None` for PostgreSQL without a server.
    pub async fn create(backend: Backend) -> Option<Log> {
        let (url, dir, postgres) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                (app::sqlite_url(&dir.path().join("log.sqlite")), Some(dir), None)
            }
            Backend::Postgres => {
                let admin = std::env::var("CLOISON_TEST_POSTGRES_URL").ok()?;
                let name = format!("cloison_t_{:016x}", rand::rngs::OsRng.next_u64());
                let pool = sqlx::PgPool::connect(&admin).await.expect("connect");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&pool)
                    .await
                    .expect("create database");
                pool.close().await;
                let base = admin.split('?').next().unwrap_or(&admin);
                let url = format!("{}/{name}", &base[..base.rfind('/').expect("database part")]);
                (url, None, Some((admin, name)))
            }
        };
        let keys = Keys::new(MasterKey::generate(), SigningKey::from_bytes(&LOG_SEED));
        let app = Cloison::open(&url, &keys, Opening::CreateIfMissing).await.expect("open");
        Some(Log { app, _dir: dir, postgres })
    }

    /// Appends `n` entries, each naming `what`, so two logs can be made to differ.
    pub async fn append(&self, n: usize, what: &str) {
        let actor =
            Actor { party: "witness-test".parse().expect("id"), role: Role::System, session: "t".into() };
        for _ in 0..n {
            self.app.journal_note(&actor, what, "test").await.expect("append");
        }
    }

    pub async fn size(&self) -> u64 {
        self.app.journal_head().await.expect("head").head.size
    }

    /// The head's checkpoint note.
    pub async fn note(&self) -> String {
        let head = self.app.journal_head().await.expect("head");
        self.app.journal_checkpoint_note(&head).expect("note")
    }

    /// An add-checkpoint request for the head, with a proof from `old`.
    pub async fn request(&self, old: u64) -> String {
        let size = self.size().await;
        let proof = self.app.journal_consistency_proof(old, size).await.expect("proof");
        AddCheckpoint { old, proof, note: self.note().await }.to_body()
    }

    pub async fn finish(self) {
        self.app.close().await;
        if let Some((admin, name)) = self.postgres {
            let pool = sqlx::PgPool::connect(&admin).await.expect("reconnect");
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&pool)
                .await
                .expect("drop");
            pool.close().await;
        }
    }
}

/// The logs a test witness knows: Cloison's default origin with the test journal key.
pub fn logs() -> Logs {
    Logs::from([(Origin::default(), SigningKey::from_bytes(&LOG_SEED).verifying_key())])
}

/// A witness serving on port 0, its state in `state`.
pub struct WitnessServer {
    pub base: String,
    pub key: VerifierKey,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    client: reqwest::Client,
}

impl WitnessServer {
    pub async fn start(state: &std::path::Path) -> WitnessServer {
        let cosigner =
            Cosigner::new("witness.test/w1".parse().expect("name"), SigningKey::from_bytes(&[42; 32]));
        let key = cosigner.verifier_key();
        let witness =
            witness::Witness::open(cosigner, logs(), witness::StateFile::new(state)).expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            witness::serve(listener, Arc::new(witness), async {
                let _ = stopped.await;
            })
            .await
            .expect("witness ran");
        });
        WitnessServer { base, key, stop: Some(stop), task: Some(task), client: reqwest::Client::new() }
    }

    /// POSTs `body` to add-checkpoint: status, content type, body.
    pub async fn add(&self, body: String) -> (u16, String, String) {
        let response = self
            .client
            .post(format!("{}/add-checkpoint", self.base))
            .body(body)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, content_type, response.text().await.expect("body"))
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("witness task");
        }
    }
}

/// One test per backend.
#[macro_export]
macro_rules! each_backend {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$body($crate::harness::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if std::env::var("CLOISON_TEST_POSTGRES_URL").is_err() {
                    eprintln!("CLOISON_TEST_POSTGRES_URL is not set: the PostgreSQL run is in .ci/run");
                    return;
                }
                super::$body($crate::harness::Backend::Postgres).await;
            }
        }
    };
}
