//! A running server on a fresh database, a small register, and a token per kind of caller.

use app::{Actor, Change, Cloison, Keys, Role};
use domain::{
    AccessPoint, Address, Ean, Energy, GridStatus, MeterKind, Occupancy, Party, PartyKind, Period,
    ReadingRegime, Registration,
};
use jiff::Timestamp;
use rand::RngCore;
use reqwest::StatusCode;
use serde_json::Value;

pub struct Server {
    pub base: String,
    pub app: Cloison,
    pub url: String,
    pub tokens: std::collections::HashMap<&'static str, String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
    client: reqwest::Client,
}

pub fn t(h: i64) -> Timestamp {
    Timestamp::from_second(1_672_531_200 + h * 3600).expect("in range")
}

pub fn ean(n: u64) -> Ean {
    Ean::from_body(54_144_800_000_000_000 + n).expect("body")
}

pub fn party(id: &str, kind: PartyKind, name: &str) -> Party {
    Party { id: id.parse().expect("id"), kind, name: name.parse().expect("name"), phone: None, email: None }
}

pub fn access_point(n: u64) -> AccessPoint {
    AccessPoint {
        ean: ean(n),
        energy: Energy::Electricity,
        address: Address::new("Rue de Fer", "12", None, "5000", "Namur").expect("address"),
        substation: "NAM-0001".parse().expect("substation"),
        regime: ReadingRegime::Ymr,
        meter: MeterKind::Classic,
        grid_status: GridStatus::Energised,
    }
}

/// The register every test starts from, on access point 1:
/// supplier A registered [0, 100), supplier B from 100; customer X occupies [0, 150),
/// customer Y from 150. Access point 2 exists and nobody in the tests holds it.
pub fn scenario() -> Vec<(Timestamp, Change)> {
    let gln = |b| domain::Gln::from_body(b).expect("gln");
    let occ = |who: &str, from, to: Option<i64>| Change::RecordOccupancy {
        occupancy: Occupancy {
            ean: ean(1),
            network_user: who.parse().expect("id"),
            period: Period::new(t(from), to.map(t)).expect("period"),
            shipping_address: Address::new("Rue de Fer", "12", None, "5000", "Namur").expect("address"),
        },
        supersedes: None,
    };
    let reg = |who: &str, from, to: Option<i64>| Change::RecordRegistration {
        registration: Registration {
            ean: ean(1),
            supplier: who.parse().expect("id"),
            period: Period::new(t(from), to.map(t)).expect("period"),
        },
        supersedes: None,
    };
    [
        Change::PutParty(party("sup-a", PartyKind::Supplier { gln: gln(541_000_000_001) }, "Supplier A")),
        Change::PutParty(party("sup-b", PartyKind::Supplier { gln: gln(541_000_000_002) }, "Supplier B")),
        Change::PutParty(party("sup-c", PartyKind::Supplier { gln: gln(541_000_000_003) }, "Supplier C")),
        Change::PutParty(party("nu-x", PartyKind::Person, "Xavier Dumont")),
        Change::PutParty(party("nu-y", PartyKind::Person, "Yasmine Piron")),
        Change::PutParty(party("staff-reg", PartyKind::Staff, "Claire Renard")),
        Change::PutParty(party("staff-cc", PartyKind::Staff, "Sarah Lemaire")),
        Change::PutParty(party("staff-aud", PartyKind::Staff, "Paul Gilson")),
        Change::PutParty(party("staff-sup", PartyKind::Staff, "Inès Thiry")),
        Change::PutParty(party("staff-met", PartyKind::Staff, "Luc Masson")),
        Change::PutParty(party("staff-rdr", PartyKind::Staff, "Rita Lecomte")),
        Change::PutAccessPoint(access_point(1)),
        Change::PutAccessPoint(access_point(2)),
        occ("nu-x", 0, Some(150)),
        occ("nu-y", 150, None),
        reg("sup-a", 0, Some(100)),
        reg("sup-b", 100, None),
    ]
    .into_iter()
    .map(|c| (t(0), c))
    .collect()
}

/// Limits no test reaches except the one about limits: the differential test alone sends
/// thousands of requests a second with one token.
pub fn relaxed() -> api::Config {
    let many = std::num::NonZeroU32::new(1_000_000).expect("non-zero");
    api::Config {
        rate_limit: api::RateLimit { per_second: many, burst: many },
        tls: None,
        connections: api::Connections::PUBLIC_API,
    }
}

pub const CALLERS: [(&str, &str, &str); 11] = [
    ("sup-a", "supplier", "supplier_a"),
    ("sup-b", "supplier", "supplier_b"),
    ("sup-c", "supplier", "supplier_c"),
    ("nu-x", "customer", "customer_x"),
    ("nu-y", "customer", "customer_y"),
    ("staff-reg", "register_staff", "register_staff"),
    ("staff-cc", "call_center", "call_center"),
    ("staff-aud", "auditor", "auditor"),
    ("staff-sup", "support", "support"),
    ("staff-met", "metering_staff", "metering_staff"),
    ("staff-rdr", "meter_reader", "meter_reader"),
];

impl Server {
    pub async fn sqlite() -> Server {
        Server::sqlite_with(relaxed()).await
    }

    /// A server on SQLite with its own limits or certificate.
    pub async fn sqlite_with(config: api::Config) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = app::sqlite_url(&dir.path().join("api.sqlite"));
        Server::start(url, Some(dir), None, config).await
    }

    pub async fn postgres() -> Option<Server> {
        let admin = std::env::var("CLOISON_TEST_POSTGRES_URL").ok()?;
        let name = format!("cloison_t_{:016x}", rand::rngs::OsRng.next_u64());
        let pool = sqlx::PgPool::connect(&admin).await.expect("connect");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create database");
        pool.close().await;
        let base = admin.split('?').next().unwrap_or(&admin);
        let url = format!("{}/{name}", &base[..base.rfind('/').expect("database part")]);
        Some(Server::start(url, None, Some((admin, name)), relaxed()).await)
    }

    async fn start(
        url: String,
        dir: Option<tempfile::TempDir>,
        postgres: Option<(String, String)>,
        config: api::Config,
    ) -> Server {
        let app = Cloison::open(&url, &Keys::generate(), app::Opening::CreateIfMissing).await.expect("open");
        let system =
            Actor { party: "cloison-test".parse().expect("id"), role: Role::System, session: "t".into() };
        app.register_apply(&system, scenario()).await.expect("scenario");
        let mut tokens = std::collections::HashMap::new();
        let expires = Timestamp::now() + jiff::SignedDuration::from_hours(1);
        for (party, role, name) in CALLERS {
            let token =
                app.create_token(&system, party, role.parse().expect("role"), expires).await.expect("token");
            tokens.insert(name, token.secret);
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let scheme = if config.tls.is_some() { "https" } else { "http" };
        let base = format!("{scheme}://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = app.clone();
        let task = tokio::spawn(async move {
            api::serve(listener, served, config, async {
                let _ = stopped.await;
            })
            .await
            .expect("server ran");
        });
        Server {
            base,
            app,
            url,
            tokens,
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
            postgres,
            client: reqwest::Client::new(),
        }
    }

    /// GET `path` as `caller` (a key of CALLERS, or None for no token).
    pub async fn get(&self, caller: Option<&str>, path: &str) -> (StatusCode, Value) {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(caller) = caller {
            request = request.bearer_auth(&self.tokens[caller]);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// GET `path` with a bearer `token` of the test's own making.
    pub async fn get_as(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let response =
            self.client.get(format!("{}{path}", self.base)).bearer_auth(token).send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// Sends `method` to `path` as `caller` with a JSON `body` and extra `headers`; the status
    /// and the body's exact bytes.
    pub async fn send(
        &self,
        method: reqwest::Method,
        caller: Option<&str>,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Vec<u8>) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(caller) = caller {
            request = request.bearer_auth(&self.tokens[caller]);
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        (status, response.bytes().await.expect("body").to_vec())
    }

    /// POST a JSON `body` to `path` with a bearer `token` of the test's own making; the status
    /// and the body as JSON (null when it is not).
    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, serde_json::from_slice(&response.bytes().await.expect("body")).unwrap_or(Value::Null))
    }

    /// The raw response, headers included.
    pub async fn raw(&self, caller: &str, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.tokens[caller])
            .send()
            .await
            .expect("request")
    }

    pub async fn journal_size(&self) -> u64 {
        self.app.journal_head().await.expect("head").head.size
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.app.close().await;
        if let Some((admin, name)) = self.postgres.take() {
            let pool = sqlx::PgPool::connect(&admin).await.expect("reconnect");
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&pool)
                .await
                .expect("drop");
            pool.close().await;
        }
    }
}

/// One test per backend.
#[macro_export]
macro_rules! over_http {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let server = $crate::harness::Server::sqlite().await;
                super::$body(&server).await;
                server.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(server) = $crate::harness::Server::postgres().await else {
                    eprintln!("CLOISON_TEST_POSTGRES_URL is not set: the PostgreSQL run is in .ci/run");
                    return;
                };
                super::$body(&server).await;
                server.stop().await;
            }
        }
    };
}
