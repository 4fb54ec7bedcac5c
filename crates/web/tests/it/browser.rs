//! The pages in a real browser: headless Chromium through chromedriver, every role signed in
//! through the form, every page of its menu visited, what it must and must not see checked,
//! and axe-core run on every page (no serious or critical violation).
//!
//! It needs Debian's `chromium` and `chromium-driver` and the `axe-core` package from npm
//! (`.ci/run` installs all three) and fails, naming what to install, without them. With
//! `CLOISON_SCREENSHOTS=DIR` it also writes the main pages' screenshots in both languages
//! (how `docs/screenshots/` was made).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use app::Role;
use domain::Energy;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::harness::Site;

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    async fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("address")
            .port();
        let binary = std::env::var("CLOISON_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{binary} does not start ({e}): install Debian's chromium-driver"));
        // Owned by the guard at once, so a panic below still stops and reaps it.
        let driver = Driver { child, url: format!("http://127.0.0.1:{port}") };
        for _ in 0..100 {
            if reqwest::get(format!("{}/status", driver.url)).await.is_ok_and(|r| r.status().is_success()) {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not answer on {}", driver.url);
    }

    /// A fresh browser (no cookies) whose preferred language is `lang`.
    async fn browser(&self, lang: &str) -> Client {
        let binary = std::env::var("CLOISON_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": binary,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                    format!("--lang={lang}"),
                ],
                "prefs": { "intl.accept_languages": lang },
            }),
        );
        ClientBuilder::rustls()
            .expect("a TLS configuration")
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a browser session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn axe_source() -> String {
    let path = std::env::var("CLOISON_AXE_JS").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/browser/node_modules/axe-core/axe.min.js")
    });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("axe-core at {} ({e}): npm install --prefix target/browser axe-core@4.10.2", path.display())
    })
}

/// Runs axe-core on the page shown; its serious and critical violations, each with the
/// elements it found.
async fn axe(client: &Client, source: &str) -> Vec<String> {
    client.execute(source, vec![]).await.expect("axe-core loads");
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("axe-core runs");
    match found {
        Value::Array(items) => items.into_iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect(),
        other => vec![format!("axe answered {other}")],
    }
}

async fn sign_in(client: &Client, base: &str, party: &str, password: &str) {
    client.goto(&format!("{base}/ui/login")).await.expect("the sign-in page");
    client.find(Locator::Css("#party")).await.expect("party field").send_keys(party).await.expect("typed");
    client
        .find(Locator::Css("#password"))
        .await
        .expect("password field")
        .send_keys(password)
        .await
        .expect("typed");
    client
        .find(Locator::Css("main button[type=submit]"))
        .await
        .expect("button")
        .click()
        .await
        .expect("clicked");
    wait_for_path(client, "/ui").await;
}

/// Waits for a form's navigation to land on `path`; fails after five seconds.
async fn wait_for_path(client: &Client, path: &str) {
    let mut seen = String::new();
    for _ in 0..50 {
        seen = client.current_url().await.expect("url").path().to_owned();
        if seen == path {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the browser is on {seen}, not {path}");
}

async fn main_text(client: &Client) -> String {
    client.find(Locator::Css("main")).await.expect("main").text().await.expect("its text")
}

/// Visits `path`, runs axe-core there, and returns the page's source.
async fn visit(
    client: &Client,
    base: &str,
    path: &str,
    axe_js: &str,
    violations: &mut Vec<String>,
) -> String {
    client.goto(&format!("{base}{path}")).await.unwrap_or_else(|e| panic!("{path}: {e}"));
    for v in axe(client, axe_js).await {
        violations.push(format!("{path}: {v}"));
    }
    client.source().await.expect("source")
}

async fn screenshot(client: &Client, name: &str, lang: &str) {
    let Ok(dir) = std::env::var("CLOISON_SCREENSHOTS") else { return };
    let png = client.screenshot().await.expect("a screenshot");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    std::fs::write(PathBuf::from(dir).join(format!("{lang}-{name}.png")), png).expect("screenshot written");
}

#[test]
fn every_role_in_a_real_browser() {
    // The whole tour as one future is larger than a test thread's stack in a debug build:
    // it runs on a thread of its own with room for it.
    let tour = std::thread::Builder::new()
        .stack_size(64 * 1024 * 1024)
        .spawn(|| {
            // The WebDriver client speaks plain HTTP to chromedriver, but its TLS stack wants
            // a provider chosen once per process.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(tour());
        })
        .expect("a thread");
    if let Err(panic) = tour.join() {
        std::panic::resume_unwind(panic);
    }
}

async fn tour() {
    let site = Site::sqlite().await;
    let driver = Driver::start().await;
    let axe_js = axe_source();
    let base = site.base.clone();
    let mut violations = Vec::new();
    let own = site.summary.interval_eans[0];
    let unknown = demo::demo_ean(Energy::Electricity, 4_000_000);

    for lang in ["fr", "en"] {
        // The sign-in page, then a refused attempt re-rendered with its error.
        let client = driver.browser(lang).await;
        visit(&client, &base, "/ui/login", &axe_js, &mut violations).await;
        screenshot(&client, "sign-in", lang).await;
        client.find(Locator::Css("#party")).await.expect("party").send_keys("nobody").await.expect("typed");
        client
            .find(Locator::Css("main button[type=submit]"))
            .await
            .expect("button")
            .click()
            .await
            .expect("clicked");
        let error = client
            .wait()
            .at_most(Duration::from_secs(5))
            .for_element(Locator::Css("#login-error"))
            .await
            .expect("the error is shown")
            .text()
            .await
            .expect("text");
        let expected = if lang == "fr" { "Indiquez votre mot de passe." } else { "Give your password." };
        assert_eq!(error, expected);
        for v in axe(&client, &axe_js).await {
            violations.push(format!("/ui/login with an error: {v}"));
        }
        let html_lang =
            client.find(Locator::Css("html")).await.expect("html").attr("lang").await.expect("lang");
        assert_eq!(html_lang.as_deref(), Some(lang));
        client.close().await.expect("closed");
    }

    let logins: Vec<_> = site.logins.iter().flat_map(|l| [(l.clone(), "fr"), (l.clone(), "en")]).collect();
    for (login, lang) in logins {
        let say = |fr: &'static str, en: &'static str| if lang == "fr" { fr } else { en };
        let client = driver.browser(lang).await;
        sign_in(&client, &base, login.party.as_str(), &login.password).await;
        let home = visit(&client, &base, "/ui", &axe_js, &mut violations).await;
        assert!(home.contains(login.party.as_str()));
        match login.role {
            Role::Customer => {
                screenshot(&client, "customer-home", lang).await;
                let ean = home_ean(&home);
                let path = format!(
                    "/ui/access-points/{ean}/consumption?from=2025-01-01&to=2026-01-01&resolution=month"
                );
                let page = visit(&client, &base, &path, &axe_js, &mut violations).await;
                assert!(page.contains("<svg class=\"chart\""), "a chart for the customer");
                screenshot(&client, "consumption", lang).await;
                visit(&client, &base, &format!("/ui/access-points/{ean}/history"), &axe_js, &mut violations)
                    .await;
                visit(&client, &base, &format!("/ui/access-points?ean={ean}"), &axe_js, &mut violations)
                    .await;
                let log = visit(&client, &base, "/ui/me/access-log", &axe_js, &mut violations).await;
                assert!(log.contains("CONFIDENTIAL - personal data"));
                screenshot(&client, "access-log", lang).await;
                // Another role's page: refused.
                visit(&client, &base, "/ui/journal?subject=x", &axe_js, &mut violations).await;
                assert!(
                    main_text(&client).await.contains(say("Votre rôle ne permet pas", "Your role may not"))
                );
            }
            Role::Supplier => {
                let foreign = never_supplied(&site, login.party.as_str()).await;
                visit(&client, &base, &format!("/ui/access-points?ean={foreign}"), &axe_js, &mut violations)
                    .await;
                let a = main_text(&client).await.replace(&foreign.to_string(), "EAN");
                visit(&client, &base, &format!("/ui/access-points?ean={unknown}"), &axe_js, &mut violations)
                    .await;
                let b = main_text(&client).await.replace(&unknown.to_string(), "EAN");
                assert_eq!(a, b, "R2: a point never supplied is shown as an unknown EAN");
                visit(&client, &base, "/ui/messages", &axe_js, &mut violations).await;
                screenshot(&client, "messages", lang).await;
                visit(&client, &base, "/ui/access-points", &axe_js, &mut violations).await;
            }
            Role::RegisterStaff => {
                visit(&client, &base, &format!("/ui/access-points?ean={own}"), &axe_js, &mut violations)
                    .await;
                let text = main_text(&client).await;
                assert!(text.contains(&own.to_string()), "register staff see the point");
                screenshot(&client, "access-point", lang).await;
                visit(&client, &base, &format!("/ui/access-points/{own}/history"), &axe_js, &mut violations)
                    .await;
                visit(&client, &base, "/ui/access-requests", &axe_js, &mut violations).await;
                visit(&client, &base, "/ui/mandates", &axe_js, &mut violations).await;
                // A malformed EAN: the form comes back with the field's error.
                visit(&client, &base, "/ui/access-points?ean=123", &axe_js, &mut violations).await;
                assert!(
                    main_text(&client)
                        .await
                        .contains(say("Un EAN compte 18 chiffres", "An EAN has 18 digits"))
                );
            }
            Role::MeteringStaff => {
                visit(&client, &base, "/ui/validation", &axe_js, &mut violations).await;
                screenshot(&client, "validation", lang).await;
                let path = format!(
                    "/ui/access-points/{own}/consumption?from=2025-03-30&to=2025-03-31&resolution=15m"
                );
                visit(&client, &base, &path, &axe_js, &mut violations).await;
                let rows = client
                    .find_all(Locator::Css("main details:first-of-type tbody tr"))
                    .await
                    .expect("rows")
                    .len();
                assert_eq!(rows, 92, "the spring-forward day has 92 quarter-hours");
            }
            Role::CallCenter => {
                visit(&client, &base, "/ui/access-points", &axe_js, &mut violations).await;
                visit(&client, &base, &format!("/ui/access-points?ean={own}"), &axe_js, &mut violations)
                    .await;
            }
            Role::Auditor => {
                let supplier = site.login(Role::Supplier).party.to_string();
                visit(&client, &base, &format!("/ui/journal?subject={supplier}"), &axe_js, &mut violations)
                    .await;
                screenshot(&client, "journal-search", lang).await;
                visit(&client, &base, "/ui/journal/entries/3", &axe_js, &mut violations).await;
                visit(&client, &base, "/ui/journal/proof?index=3", &axe_js, &mut violations).await;
                assert!(
                    !client.find_all(Locator::Css("p.ok")).await.expect("verdict").is_empty(),
                    "the proof holds"
                );
                visit(&client, &base, "/ui/journal/head", &axe_js, &mut violations).await;
                client
                    .find(Locator::Css("main form button"))
                    .await
                    .expect("verify button")
                    .click()
                    .await
                    .expect("clicked");
                wait_for_path(&client, "/ui/journal/verify").await;
                assert!(
                    main_text(&client)
                        .await
                        .contains(say("Le journal est intact.", "The journal is intact."))
                );
                for v in axe(&client, &axe_js).await {
                    violations.push(format!("verification result: {v}"));
                }
                screenshot(&client, "verify", lang).await;
                visit(&client, &base, "/ui/health", &axe_js, &mut violations).await;
            }
            Role::Support => {
                let page = visit(&client, &base, "/ui/health", &axe_js, &mut violations).await;
                screenshot(&client, "health", lang).await;
                let text = main_text(&client).await;
                assert!(
                    !text.chars().collect::<Vec<_>>().windows(18).any(|w| w.iter().all(char::is_ascii_digit)),
                    "{text}"
                );
                for name in demo::suppliers().iter().map(|p| p.name.as_str().to_owned()) {
                    assert!(!page.contains(&name), "support sees a name: {name}");
                }
            }
            _ => {}
        }
        // Keyboard: the first Tab lands on the skip link.
        client.goto(&format!("{base}/ui")).await.expect("home");
        client
            .find(Locator::Css("body"))
            .await
            .expect("body")
            .send_keys(&fantoccini::key::Key::Tab.to_string())
            .await
            .expect("tab");
        let focused = client.active_element().await.expect("focus").attr("class").await.expect("class");
        assert_eq!(focused.as_deref(), Some("skip"), "{:?}: the first Tab goes to the skip link", login.role);
        // Sign out with the button.
        client
            .find(Locator::Css("form.logout button"))
            .await
            .expect("sign-out")
            .click()
            .await
            .expect("clicked");
        wait_for_path(&client, "/ui/login").await;
        client.close().await.expect("closed");
    }
    assert!(
        violations.is_empty(),
        "axe-core found serious or critical violations:\n{}",
        violations.join("\n")
    );
    drop(driver);
    site.stop().await;
}

fn home_ean(home: &str) -> String {
    let at = home.find("/ui/access-points?ean=").expect("an access point on the customer's home") + 22;
    home[at..at + 18].to_owned()
}

async fn never_supplied(site: &Site, supplier: &str) -> domain::Ean {
    let system =
        app::Actor { party: "cloison-demo".parse().expect("id"), role: Role::System, session: "t".into() };
    for i in 0..crate::harness::POINTS {
        let ean = demo::demo_ean(Energy::Electricity, i);
        let Ok(history) = site.app.access_point_history(&system, ean).await else { continue };
        if history.view().registrations.iter().all(|r| r.party.id.as_str() != supplier) {
            return ean;
        }
    }
    panic!("every point was supplied by {supplier} at some time")
}
