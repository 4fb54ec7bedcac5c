//! A server with the API and the pages on a fresh database holding a small demo, and a
//! visitor that keeps its own cookies, so a test can alter them.

use std::collections::HashMap;

use app::{Actor, Cloison, Keys, Role};
use demo::DemoConfig;
use demo::logins::DemoLogin;
use rand::RngCore;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

pub struct Site {
    pub base: String,
    pub app: Cloison,
    pub logins: Vec<DemoLogin>,
    pub summary: demo::DemoSummary,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

/// The demo's size in the tests: enough for every page to have something to show.
pub const POINTS: u32 = 120;

impl Site {
    pub async fn sqlite() -> Site {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = app::sqlite_url(&dir.path().join("web.sqlite"));
        Site::start(url, Some(dir), None, jiff::SignedDuration::from_hours(8)).await
    }

    pub async fn postgres() -> Option<Site> {
        let admin = std::env::var("CLOISON_TEST_POSTGRES_URL").ok()?;
        let name = format!("cloison_t_{:016x}", rand::rngs::OsRng.next_u64());
        let pool = sqlx::PgPool::connect(&admin).await.expect("connect");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create database");
        pool.close().await;
        let base = admin.split('?').next().unwrap_or(&admin);
        let url = format!("{}/{name}", &base[..base.rfind('/').expect("database part")]);
        Some(Site::start(url, None, Some((admin, name)), jiff::SignedDuration::from_hours(8)).await)
    }

    /// A site on SQLite whose sessions last `lifetime`.
    pub async fn sqlite_with_sessions(lifetime: jiff::SignedDuration) -> Site {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = app::sqlite_url(&dir.path().join("web.sqlite"));
        Site::start(url, Some(dir), None, lifetime).await
    }

    async fn start(
        url: String,
        dir: Option<tempfile::TempDir>,
        postgres: Option<(String, String)>,
        lifetime: jiff::SignedDuration,
    ) -> Site {
        let app = Cloison::open(&url, &Keys::generate(), app::Opening::CreateIfMissing).await.expect("open");
        let system =
            Actor { party: "cloison-demo".parse().expect("id"), role: Role::System, session: "t".into() };
        let summary = demo::build(&app, &system, DemoConfig { access_points: POINTS, seed: 42 }, |_| {})
            .await
            .expect("demo");
        let logins = summary.logins.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let many = std::num::NonZeroU32::new(1_000_000).expect("non-zero");
        let config = api::Config {
            rate_limit: api::RateLimit { per_second: many, burst: many },
            tls: None,
            connections: api::Connections::PUBLIC_API,
        };
        let pages =
            web::router(app.clone(), web::Config { secure_cookies: false, session_lifetime: lifetime })
                .expect("catalogues");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = app.clone();
        let task = tokio::spawn(async move {
            api::serve_with_pages(listener, served, config, pages, async {
                let _ = stopped.await;
            })
            .await
            .expect("server ran");
        });
        Site { base, app, logins, summary, stop: Some(stop), task: Some(task), _dir: dir, postgres }
    }

    pub fn login(&self, role: Role) -> &DemoLogin {
        self.logins.iter().find(|l| l.role == role).unwrap_or_else(|| panic!("a demo login in {role:?}"))
    }

    pub fn visitor(&self) -> Visitor {
        Visitor {
            base: self.base.clone(),
            cookies: HashMap::new(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            language: None,
        }
    }

    /// A visitor signed in as the (first) demo login of `role`.
    pub async fn signed_in(&self, role: Role) -> Visitor {
        let login = self.login(role).clone();
        self.signed_in_as(&login).await
    }

    /// A visitor signed in as `login`.
    pub async fn signed_in_as(&self, login: &DemoLogin) -> Visitor {
        let role = login.role;
        let mut visitor = self.visitor();
        let (status, location) = visitor.sign_in(login.party.as_str(), &login.password).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{role:?} signs in");
        assert_eq!(location, "/ui");
        visitor
    }

    /// The journal's entries whose outcome is `outcome`, found by a full search as the
    /// ethics committee would.
    pub async fn outcomes(&self, action_prefix: &str) -> Vec<String> {
        let auditor =
            Actor { party: "cloison-demo".parse().expect("id"), role: Role::Auditor, session: "t".into() };
        let found = self
            .app
            .journal_search(
                &auditor,
                &app::JournalQuery { subject: None, actor: None, from: None, to: None, limit: 100_000 },
            )
            .await
            .expect("search");
        found
            .view()
            .iter()
            .filter(|s| s.entry.action.starts_with(action_prefix))
            .map(|s| s.entry.outcome.clone())
            .collect()
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
            let pool = sqlx::PgPool::connect(&admin).await.expect("connect");
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&pool)
                .await
                .expect("drop");
            pool.close().await;
        }
    }
}

/// A browser without a browser: keeps cookies as a browser would, but lets a test alter them.
pub struct Visitor {
    pub base: String,
    pub cookies: HashMap<String, String>,
    client: reqwest::Client,
    pub language: Option<&'static str>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Visitor {
    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().expect("ascii cookie");
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let mut request =
            self.client.get(format!("{}{path}", self.base)).header(COOKIE, self.cookie_header());
        if let Some(language) = self.language {
            request = request.header("Accept-Language", language);
        }
        let response = request.send().await.expect("request");
        self.page(response).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .expect("request");
        self.page(response).await
    }

    async fn page(&mut self, response: reqwest::Response) -> Page {
        self.keep(&response);
        let status = response.status();
        let location = response.headers().get(LOCATION).map(|l| l.to_str().expect("ascii").to_owned());
        let body = response.text().await.expect("body");
        Page { status, location, body }
    }

    /// The CSRF token of the first form of a page.
    pub fn csrf(body: &str) -> String {
        let at = body.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
        body[at..at + body[at..].find('"').expect("end of value")].to_owned()
    }

    /// Signs in through the form: (status, location) of the answer.
    pub async fn sign_in(&mut self, party: &str, password: &str) -> (StatusCode, String) {
        let form = self.get("/ui/login").await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = Visitor::csrf(&form.body);
        let answer = self
            .post("/ui/login", &[("csrf", &csrf), ("next", "/ui"), ("party", party), ("password", password)])
            .await;
        (answer.status, answer.location.unwrap_or_default())
    }
}

/// The `<main>` of a page.
pub fn main_of(body: &str) -> &str {
    let start = body.find("<main").expect("a main element");
    let end = body.find("</main>").expect("its end");
    &body[start..end]
}

/// A page's markup with the entities the templates escape turned back into characters, for
/// assertions on texts with apostrophes and quotes.
pub fn text(body: &str) -> String {
    body.replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
