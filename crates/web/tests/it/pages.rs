//! The pages over real HTTP, on both backends: signing in and out, what each role sees, the
//! refusals that must be journaled (a forged form, a tampered or expired cookie, a locked
//! account), one page for "not yours" and "not there" (R2, I5), forms that name their field
//! in the reader's language.

use app::{Actor, Role};
use domain::Energy;
use reqwest::StatusCode;

use crate::harness::{Site, Visitor, main_of, text};

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let site = crate::harness::Site::sqlite().await;
                    super::$name(&site).await;
                    site.stop().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(site) = crate::harness::Site::postgres().await else { return };
                    super::$name(&site).await;
                    site.stop().await;
                }
            )*
        }
    };
}

on_both_backends!(every_role_signs_in_and_sees_its_own_pages, refusals_are_journaled_and_change_nothing);

fn system() -> Actor {
    Actor { party: "cloison-demo".parse().expect("id"), role: Role::System, session: "t".into() }
}

/// Eighteen digits in a row anywhere in a text: an EAN, whatever its markup.
fn has_ean(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        if run >= 18 {
            return true;
        }
    }
    false
}

async fn every_role_signs_in_and_sees_its_own_pages(site: &Site) {
    // Without a session every page sends the reader to sign in, and back afterwards.
    let mut anonymous = site.visitor();
    let page = anonymous.get("/ui/journal?subject=x").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/ui/login?next=/ui/journal%3Fsubject%3Dx"));
    let page = anonymous.get("/").await;
    assert_eq!(page.location.as_deref(), Some("/ui"));

    // Each role's menu pages answer, labelled where they show an answer of the gate.
    for login in site.logins.clone() {
        let mut visitor = site.signed_in_as(&login).await;
        let home = visitor.get("/ui").await;
        assert_eq!(home.status, StatusCode::OK, "{:?} home", login.role);
        assert!(home.body.contains(login.party.as_str()), "{:?} is named in the header", login.role);
        for (href, _) in menu_of(login.role) {
            let page = visitor.get(href).await;
            assert_eq!(page.status, StatusCode::OK, "{:?} {href}: {}", login.role, main_of(&page.body));
        }
    }

    // The customer's home lists their access points, and each one's consumption is a chart
    // with a table; their access log is labelled personal data.
    let mut customer = site.signed_in(Role::Customer).await;
    let home = customer.get("/ui").await;
    let ean = first_ean(&home.body).expect("the customer's home lists an access point");
    assert!(home.body.contains("label: CONFIDENTIAL - personal data; journal: "), "{}", main_of(&home.body));
    let consumption = customer
        .get(&format!("/ui/access-points/{ean}/consumption?from=2025-01-01&to=2026-01-01&resolution=month"))
        .await;
    assert_eq!(consumption.status, StatusCode::OK, "{}", main_of(&consumption.body));
    assert!(consumption.body.contains("<svg class=\"chart\" role=\"img\""), "{}", main_of(&consumption.body));
    assert!(consumption.body.contains("<caption>"), "a table for screen readers");
    let log = customer.get("/ui/me/access-log").await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.body.contains("label: CONFIDENTIAL - personal data"), "{}", main_of(&log.body));

    // Another role's page is refused for a customer, as the API refuses it.
    let journal = customer.get("/ui/journal?subject=x").await;
    assert_eq!(journal.status, StatusCode::FORBIDDEN, "{}", main_of(&journal.body));

    // R2 and I5: a supplier's look-up of a point it never supplied is the page of an EAN that
    // does not exist, byte for byte once the EAN itself is taken out.
    let supplier = site.login(Role::Supplier).clone();
    let mut visitor = site.signed_in(Role::Supplier).await;
    let foreign = never_supplied_by(site, supplier.party.as_str()).await;
    let unknown = demo::demo_ean(Energy::Electricity, 4_000_000);
    let a = visitor.get(&format!("/ui/access-points?ean={foreign}")).await;
    let b = visitor.get(&format!("/ui/access-points?ean={unknown}")).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(b.status, StatusCode::NOT_FOUND);
    assert_eq!(
        main_of(&a.body).replace(&foreign.to_string(), "EAN"),
        main_of(&b.body).replace(&unknown.to_string(), "EAN"),
    );
    let history_a = visitor.get(&format!("/ui/access-points/{foreign}/history")).await;
    let history_b = visitor.get(&format!("/ui/access-points/{unknown}/history")).await;
    assert_eq!(history_a.status, StatusCode::NOT_FOUND);
    assert_eq!(main_of(&history_a.body), main_of(&history_b.body));

    // Support sees system health, and no name, address or EAN anywhere.
    let mut support = site.signed_in(Role::Support).await;
    for path in ["/ui", "/ui/health"] {
        let page = support.get(path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!has_ean(&page.body), "{path}: {}", main_of(&page.body));
        for word in ["Rue ", "Avenue ", "Chaussée ", "Place "] {
            assert!(!page.body.contains(word), "{path} shows an address: {}", main_of(&page.body));
        }
    }
    let health = support.get("/ui/health").await;
    assert!(text(&health.body).contains("Points d'accès"), "{}", main_of(&health.body));
    let lookup = support.get(&format!("/ui/access-points?ean={foreign}")).await;
    assert_ne!(lookup.status, StatusCode::OK, "support reads no access point");

    // R12: the call-center member serves the DSO's line. At the DSO's entry point the number
    // every directory holds pops the DSO's customer; at a supplier's, the page refuses; the
    // DSO's report is theirs to read, a supplier's is not.
    let contact = &site.summary.contact;
    let mut operator = site.signed_in(Role::CallCenter).await;
    let shared = demo::contact::SHARED_NUMBER.replace('+', "%2B");
    let dso = contact.call_entries[0].replace('+', "%2B");
    let supplier_entry = contact.call_entries[1].replace('+', "%2B");
    let screen = operator.get(&format!("/ui/contact?channel=call&entry={dso}&caller={shared}")).await;
    assert_eq!(screen.status, StatusCode::OK, "{}", main_of(&screen.body));
    assert!(screen.body.contains("dso-c00000"), "{}", main_of(&screen.body));
    assert!(!screen.body.contains("supplier-01-c00000"), "{}", main_of(&screen.body));
    assert!(screen.body.contains("label: CONFIDENTIAL - personal data"), "{}", main_of(&screen.body));
    let refused =
        operator.get(&format!("/ui/contact?channel=call&entry={supplier_entry}&caller={shared}")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", main_of(&refused.body));
    assert!(!refused.body.contains("supplier-01-c00000"));
    let bad = operator.get(&format!("/ui/contact?channel=call&entry={dso}&caller=0471000001")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(text(&bad.body).contains("not_e164"), "{}", main_of(&bad.body));
    let report = operator.get(&format!("/ui/contact/report?principal={}", contact.principals[0])).await;
    assert_eq!(report.status, StatusCode::OK, "{}", main_of(&report.body));
    assert!(text(&report.body).contains("Niveau de service"), "{}", main_of(&report.body));
    let other = operator.get(&format!("/ui/contact/report?principal={}", contact.principals[1])).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);

    // The ethics committee searches the journal, reads an entry, checks its proof, verifies.
    let mut auditor = site.signed_in(Role::Auditor).await;
    let search = auditor.get(&format!("/ui/journal?subject={}", supplier.party)).await;
    assert_eq!(search.status, StatusCode::OK);
    assert!(search.body.contains("/ui/journal/entries/"), "{}", main_of(&search.body));
    let proof = auditor.get("/ui/journal/proof?index=3").await;
    assert!(proof.body.contains("class=\"ok\""), "{}", main_of(&proof.body));
    let head = auditor.get("/ui/journal/head").await;
    let csrf = Visitor::csrf(&head.body);
    let verified = auditor.post("/ui/journal/verify", &[("csrf", &csrf)]).await;
    assert_eq!(verified.status, StatusCode::OK, "{}", main_of(&verified.body));
    assert!(verified.body.contains("Le journal est intact."), "{}", main_of(&verified.body));

    // English on request, French otherwise; the language switch keeps the reader's page.
    let mut english = site.signed_in(Role::Auditor).await;
    english.language = Some("en-GB,en;q=0.9");
    assert!(english.get("/ui/journal").await.body.contains("<html lang=\"en\">"));
    let switched = auditor.get("/ui/lang/en?back=/ui/journal").await;
    assert_eq!(switched.location.as_deref(), Some("/ui/journal"));
    assert!(auditor.get("/ui/journal").await.body.contains("Journal search"));
    let outside = auditor.get("/ui/lang/fr?back=https://elsewhere.example/").await;
    assert_eq!(outside.location.as_deref(), Some("/ui"), "no open redirect");

    // Signing out ends the session for good: the same cookie is refused afterwards.
    let kept = auditor.cookies.clone();
    let home = auditor.get("/ui").await;
    let out = auditor.post("/ui/logout", &[("csrf", &Visitor::csrf(&home.body))]).await;
    assert_eq!(out.location.as_deref(), Some("/ui/login?notice=signed-out"));
    auditor.cookies = kept;
    let after = auditor.get("/ui").await;
    assert_eq!(after.location.as_deref(), Some("/ui/login?notice=expired"));
}

async fn refusals_are_journaled_and_change_nothing(site: &Site) {
    let customer = site.login(Role::Customer).clone();

    // A wrong password and an unknown party get the same page; the refusals are journaled.
    let mut visitor = site.visitor();
    let (status, _) = visitor.sign_in(customer.party.as_str(), "not-the-password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let wrong = visitor.get("/ui/login").await;
    let _ = wrong;
    let mut a = site.visitor();
    let mut b = site.visitor();
    let form_a = a.get("/ui/login").await;
    let form_b = b.get("/ui/login").await;
    let page_a = a
        .post(
            "/ui/login",
            &[
                ("csrf", &Visitor::csrf(&form_a.body)),
                ("next", "/ui"),
                ("party", "nobody-at-all"),
                ("password", "x"),
            ],
        )
        .await;
    let page_b = b
        .post(
            "/ui/login",
            &[
                ("csrf", &Visitor::csrf(&form_b.body)),
                ("next", "/ui"),
                ("party", customer.party.as_str()),
                ("password", "x"),
            ],
        )
        .await;
    assert_eq!(page_a.status, StatusCode::UNAUTHORIZED);
    let strip = |body: &str, party: &str| {
        let main = main_of(body).replace(party, "PARTY");
        // The form's token differs by nonce; everything else is the same.
        let at = main.find("name=\"csrf\" value=\"").expect("csrf") + 19;
        format!("{}{}", &main[..at], &main[at + 32..])
    };
    assert_eq!(strip(&page_a.body, "nobody-at-all"), strip(&page_b.body, customer.party.as_str()));
    assert!(text(&page_a.body).contains("L'identifiant ou le mot de passe est incorrect."));

    // Five failures lock the account: the right password is then refused too.
    for _ in 0..3 {
        visitor.sign_in(customer.party.as_str(), "still-wrong").await;
    }
    let (status, _) = visitor.sign_in(customer.party.as_str(), &customer.password).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "locked after five failures");
    let locked = visitor.get("/ui/login").await;
    let _ = locked;
    let outcomes = site.outcomes("web.sign_in").await;
    assert_eq!(outcomes.iter().filter(|o| *o == "refused:bad_credentials").count(), 6, "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|o| *o == "refused:locked").count(), 1, "{outcomes:?}");

    // A form without its session's token is refused, journaled, and does nothing.
    let mut auditor = site.signed_in(Role::Auditor).await;
    let before = site.outcomes("web.session.refused").await.len();
    let forged = auditor.post("/ui/logout", &[("csrf", "0123456789abcdef0123456789abcdef")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(text(&forged.body).contains("Rien n'a été fait"), "{}", main_of(&forged.body));
    assert_eq!(auditor.get("/ui").await.status, StatusCode::OK, "still signed in: nothing was done");
    let missing = auditor.post("/ui/journal/verify", &[]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let mut stranger = site.visitor();
    let form = stranger.get("/ui/login").await;
    let _ = form;
    let login_forged =
        stranger.post("/ui/login", &[("csrf", "bad"), ("party", "x"), ("password", "y")]).await;
    assert_eq!(login_forged.status, StatusCode::FORBIDDEN);
    let refused = site.outcomes("web.session.refused").await;
    assert_eq!(refused[before..], ["refused:csrf", "refused:csrf", "refused:csrf"], "{refused:?}");

    // A tampered cookie is refused, journaled and cleared.
    let mut tampered = site.signed_in(Role::Auditor).await;
    let cookie = tampered.cookies.get("cloison_session").expect("a session cookie").clone();
    let mut bytes = cookie.clone().into_bytes();
    bytes[10] = if bytes[10] == b'a' { b'b' } else { b'a' };
    tampered.cookies.insert("cloison_session".into(), String::from_utf8(bytes).expect("ascii"));
    let page = tampered.get("/ui/journal").await;
    assert_eq!(page.location.as_deref(), Some("/ui/login?notice=tampered"));
    assert!(!tampered.cookies.contains_key("cloison_session"), "the cookie is cleared");
    let refused = site.outcomes("web.session.refused").await;
    assert_eq!(refused.last().map(String::as_str), Some("refused:bad_cookie"));

    // Bad input re-renders the form with the field's error, in the reader's language.
    let mut staff = site.signed_in(Role::RegisterStaff).await;
    let page = staff.get("/ui/access-points?ean=12345&at=tomorrow").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("Un EAN compte 18 chiffres"), "{}", main_of(&page.body));
    assert!(page.body.contains("Indiquez une date et une heure"), "{}", main_of(&page.body));
    assert!(page.body.contains("aria-invalid=\"true\""));
    staff.language = Some("en");
    let page = staff.get("/ui/access-points?ean=12345").await;
    assert!(page.body.contains("An EAN has 18 digits"), "{}", main_of(&page.body));
    let ean = site.summary.interval_eans[0];
    let page = staff.get(&format!("/ui/access-points/{ean}/consumption?from=2025-13-01&to=x")).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("Give a date, for example"), "{}", main_of(&page.body));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_is_refused_and_journaled() {
    let site = Site::sqlite_with_sessions(jiff::SignedDuration::from_secs(1)).await;
    let mut visitor = site.signed_in(Role::Auditor).await;
    assert_eq!(visitor.get("/ui/journal").await.status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let page = visitor.get("/ui/journal").await;
    assert_eq!(page.location.as_deref(), Some("/ui/login?notice=expired"));
    let notice = visitor.get("/ui/login?notice=expired").await;
    assert!(notice.body.contains("Votre session a pris fin"), "{}", main_of(&notice.body));
    let refused = site.outcomes("web.session.refused").await;
    assert_eq!(refused, ["refused:expired_session"]);
    site.stop().await;
}

fn menu_of(role: Role) -> Vec<(&'static str, &'static str)> {
    // The pages each role's menu offers, as the test expects them (not read from the code).
    match role {
        Role::Customer => vec![("/ui", ""), ("/ui/me/access-log", "")],
        Role::Supplier => vec![("/ui", ""), ("/ui/access-points", ""), ("/ui/messages", "")],
        Role::RegisterStaff => {
            vec![("/ui/access-points", ""), ("/ui/access-requests", ""), ("/ui/mandates", "")]
        }
        Role::MeteringStaff => vec![("/ui/access-points", ""), ("/ui/validation", "")],
        Role::Auditor => {
            vec![("/ui/journal", ""), ("/ui/journal/head", ""), ("/ui/journal/proof", ""), ("/ui/health", "")]
        }
        Role::Support => vec![("/ui/health", "")],
        Role::CallCenter => vec![("/ui/access-points", ""), ("/ui/contact", ""), ("/ui/contact/report", "")],
        _ => vec![("/ui/access-points", "")],
    }
}

fn first_ean(body: &str) -> Option<String> {
    let at = body.find("/ui/access-points?ean=")? + 22;
    Some(body[at..at + 18].to_owned())
}

/// An access point of the demo that `supplier` has never supplied.
async fn never_supplied_by(site: &Site, supplier: &str) -> domain::Ean {
    for i in 0..crate::harness::POINTS {
        let ean = demo::demo_ean(Energy::Electricity, i);
        let Ok(history) = site.app.access_point_history(&system(), ean).await else { continue };
        if history.view().registrations.iter().all(|r| r.party.id.as_str() != supplier) {
            return ean;
        }
    }
    panic!("every point was supplied by {supplier} at some time")
}
