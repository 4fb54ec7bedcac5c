//! Fresh databases for each test, on each backend, and a small builder of register data.

use std::path::PathBuf;

use domain::Change;
use domain::{
    AccessPoint, Address, Ean, Energy, Gln, GridStatus, MeterKind, Party, PartyId, PartyKind, ReadingRegime,
};
use jiff::Timestamp;
use rand::RngCore;
use store::{Applied, Command, Done, Keys, Opening, Store, StoreError, WriteTx, Written};

/// A store on a database that exists only for one test.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    pub keys: Keys,
    pub sqlite_file: Option<PathBuf>,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("register.sqlite");
        let url = store::sqlite_url(&file);
        let keys = Keys::generate();
        let store = Store::open(&url, &keys, Opening::CreateIfMissing).await.expect("open sqlite store");
        TestDb { store, url, keys, sqlite_file: Some(file), _dir: Some(dir), postgres: None }
    }

    /// `None` when no PostgreSQL server is configured for tests.
    pub async fn postgres() -> Option<TestDb> {
        let admin = std::env::var("CLOISON_TEST_POSTGRES_URL").ok()?;
        let name = format!("cloison_t_{:016x}", rand::rngs::OsRng.next_u64());
        let pool = sqlx::PgPool::connect(&admin).await.expect("connect to CLOISON_TEST_POSTGRES_URL");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create test database");
        pool.close().await;
        let url = replace_database(&admin, &name);
        let keys = Keys::generate();
        let store = Store::open(&url, &keys, Opening::CreateIfMissing).await.expect("open postgres store");
        Some(TestDb { store, url, keys, sqlite_file: None, _dir: None, postgres: Some((admin, name)) })
    }

    /// Closes the store and drops a PostgreSQL test database.
    pub async fn finish(self) {
        self.store.close().await;
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

/// The same server URL with another database name.
pub fn replace_database(url: &str, name: &str) -> String {
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

/// Declares one test per backend running the same async body with a fresh `TestDb`.
#[macro_export]
macro_rules! conformance {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let db = $crate::harness::TestDb::sqlite().await;
                super::$body(&db).await;
                db.finish().await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(db) = $crate::harness::TestDb::postgres().await else {
                    eprintln!("CLOISON_TEST_POSTGRES_URL is not set: the PostgreSQL run is in .ci/run");
                    return;
                };
                super::$body(&db).await;
                db.finish().await;
            }
        }
    };
}

pub fn hours(h: i64) -> Timestamp {
    Timestamp::from_second(1_672_531_200 + h * 3600).expect("in range")
}

pub fn ean(n: u64) -> Ean {
    Ean::from_body(54_144_100_000_000_000 + n).expect("17-digit body")
}

pub fn id(text: &str) -> PartyId {
    text.parse().expect("test party id")
}

pub fn address(street: &str, number: u32) -> Address {
    Address::new(street, &number.to_string(), None, "5000", "Namur").expect("test address")
}

pub fn access_point(n: u64) -> AccessPoint {
    AccessPoint {
        ean: ean(n),
        energy: Energy::Electricity,
        address: address("Rue de l'Ange", n as u32 + 1),
        substation: "NAM-0001".parse().expect("substation"),
        regime: ReadingRegime::Ymr,
        meter: MeterKind::Classic,
        grid_status: GridStatus::Energised,
    }
}

pub fn person(pid: &str, name: &str) -> Party {
    Party {
        id: id(pid),
        kind: PartyKind::Person,
        name: name.parse().expect("name"),
        phone: None,
        email: None,
    }
}

pub fn supplier(pid: &str, gln_body: u64) -> Party {
    Party {
        id: id(pid),
        kind: PartyKind::Supplier { gln: Gln::from_body(gln_body).expect("12-digit body") },
        name: format!("Supplier {pid}").parse().expect("name"),
        phone: None,
        email: None,
    }
}

/// The journal entry a test writes with: a register operator at work.
pub fn template() -> journal::Entry {
    journal::Entry {
        sequence: 0,
        time_micros: hours(1).as_microsecond(),
        actor: journal::Actor {
            party_id: "staff-test".into(),
            role: "register_staff".into(),
            session: "test".into(),
        },
        action: String::new(),
        subjects: Vec::new(),
        purpose: "conformance test".into(),
        decision: journal::Decision { allowed: true, policies: vec!["test".into()] },
        outcome: String::new(),
        data_digest: None,
        salt: None,
        rows: Vec::new(),
    }
}

/// A request as the store answers it once committed: what it wrote (or why it was refused)
/// and the entries journaling it.
#[derive(Debug)]
pub struct Journaled<T> {
    pub written: Result<T, StoreError>,
    pub entries: std::ops::Range<u64>,
}

/// The suite's writes, as commands of the store's writer journaled the way the application
/// journals them (one entry per change under its action, `refused:{code}` for a refusal), so
/// the store is tested through the same primitives without depending on `app`.
pub(crate) trait Writes {
    /// Applies changes as one request, all or nothing, and waits for the commit.
    fn apply(
        &self,
        template: journal::Entry,
        changes: Vec<(Timestamp, Change)>,
    ) -> impl std::future::Future<Output = Result<Journaled<Vec<Written>>, StoreError>> + Send;

    /// Creates a token for `party` in `role` until `expires`; a refusal is journaled too.
    fn create_token(
        &self,
        template: journal::Entry,
        party: &str,
        role: &str,
        expires: Timestamp,
    ) -> impl std::future::Future<Output = Result<store::NewToken, StoreError>> + Send;
}

impl Writes for Store {
    async fn apply(
        &self,
        template: journal::Entry,
        changes: Vec<(Timestamp, Change)>,
    ) -> Result<Journaled<Vec<Written>>, StoreError> {
        let committed = self.submit(Changes { template, changes }).await?.wait().await?;
        Ok(Journaled { written: committed.output, entries: committed.entries })
    }

    async fn create_token(
        &self,
        template: journal::Entry,
        party: &str,
        role: &str,
        expires: Timestamp,
    ) -> Result<store::NewToken, StoreError> {
        let role = role.parse().expect("a test token's role");
        let command =
            Token { template, token: store::NewToken::generate(expires), party: party.to_owned(), role };
        self.submit(command).await?.wait().await?.output
    }
}

struct Changes {
    template: journal::Entry,
    changes: Vec<(Timestamp, Change)>,
}

impl Command for Changes {
    type Output = Result<Vec<Written>, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let entry = |change: &Change, concerned: &[PartyId], outcome: String| {
            let mut subjects = change.subjects();
            subjects
                .extend(concerned.iter().map(|p| p.to_string()).filter(|p| !change.subjects().contains(p)));
            journal::Entry { action: change.action().to_owned(), subjects, outcome, ..self.template.clone() }
        };
        Ok(match tx.apply_all(&self.changes).await? {
            Applied::Written(written) => {
                let mut entries = Vec::new();
                let mut output = Vec::new();
                for ((_, c), (w, p, slot)) in self.changes.iter().zip(written) {
                    entries.push(slot.fill(entry(c, &p, "ok".into())));
                    output.push(w);
                }
                Done { entries, output: Ok(output) }
            }
            Applied::Refused { index, error } => Done {
                entries: vec![tx.slot().fill(entry(
                    &self.changes[index].1,
                    &[],
                    format!("refused:{}", error.code()),
                ))],
                output: Err(error),
            },
        })
    }
}

struct Token {
    template: journal::Entry,
    token: store::NewToken,
    party: String,
    role: domain::Role,
}

impl Command for Token {
    type Output = Result<store::NewToken, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let result = tx.create_token(&self.token, &self.party, self.role, Timestamp::now()).await;
        let outcome = match &result {
            Ok(_) => "ok".to_owned(),
            Err(e) if e.is_input() => format!("refused:{}", e.code()),
            Err(e) => return Err(StoreError::Journal(e.to_string())),
        };
        let subjects = vec![self.party.clone(), self.token.token_id.clone()];
        let entry = tx.slot().fill(journal::Entry {
            action: "admin.token.create".into(),
            subjects,
            outcome,
            ..self.template
        });
        Ok(Done { output: result.map(|_| self.token), entries: vec![entry] })
    }
}

/// Applies changes as one request; the journal append itself must succeed.
pub async fn apply(db: &TestDb, changes: Vec<Change>) -> Result<Vec<Written>, StoreError> {
    let dated = changes.into_iter().map(|c| (hours(1), c)).collect();
    db.store.apply(template(), dated).await.expect("the request is journaled").written
}

/// Applies one change that must succeed and returns what it wrote.
pub async fn ok(db: &TestDb, change: Change) -> Written {
    let what = change.action();
    apply(db, vec![change]).await.unwrap_or_else(|e| panic!("{what}: {e}")).remove(0)
}

/// Applies one change that must be refused and returns why.
pub async fn refused(db: &TestDb, change: Change) -> StoreError {
    apply(db, vec![change]).await.expect_err("refused")
}

pub fn record(written: Written) -> domain::RecordId {
    match written {
        Written::Record(id) => id,
        other => panic!("expected a record, got {other:?}"),
    }
}
