//! The demo a newcomer runs, and the register commands the tour suggests.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::harness::{PgDb, Workdir};

const SMALL: &str = "150";

#[test]
fn the_same_seed_prints_the_same_bytes() {
    let a = Workdir::new();
    let first = a.ok(&["demo", "--no-serve", "--access-points", SMALL, "--seed", "7"]);
    // Rebuilding over the earlier demo, in the same place, prints the same tour.
    let again = a.ok(&["demo", "--no-serve", "--access-points", SMALL, "--seed", "7"]);
    assert_eq!(first, again);
    let b = Workdir::new();
    assert_eq!(
        first,
        b.ok(&["demo", "--no-serve", "--access-points", SMALL, "--seed", "7"]),
        "another directory, another key"
    );
    assert_ne!(first, b.ok(&["demo", "--no-serve", "--access-points", SMALL, "--seed", "8"]));
    assert!(first.contains("A tour of access point"), "{first}");
    assert!(first.contains("cloison register show"), "{first}");
}

/// Which party's record (effective, containing `at`) a history JSON says held the point.
fn holder_at(records: &Value, at_us: i64) -> Option<String> {
    let mut found = None;
    for r in records.as_array().expect("records") {
        if !r["effective"].as_bool().expect("flag") {
            continue;
        }
        let from = micros(&r["period"]["from"]);
        let to = r["period"]["to"].as_str().map(|_| micros(&r["period"]["to"]));
        if from <= at_us && to.is_none_or(|to| at_us < to) {
            assert!(found.is_none(), "two effective records hold one instant: {records}");
            found = Some(r["party"]["id"].as_str().expect("id").to_owned());
        }
    }
    found
}

fn micros(v: &Value) -> i64 {
    let t: jiff::Timestamp = v.as_str().expect("instant").parse().expect("RFC 3339");
    t.as_microsecond()
}

fn instant(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us).expect("in range").to_string()
}

/// `register show --at T --json` agrees with `register history --json` at every boundary
/// of every period (and just before it, and in between) of a sample of access points.
fn show_agrees_with_history(dir: &Workdir, db: &[&str]) {
    let mut checked = 0;
    for index in (0u64..150).step_by(10) {
        let tour_ean = ean_of(index, dir, db);
        let Some(ean) = tour_ean else { continue };
        let mut args = vec!["register", "history", ean.as_str(), "--json"];
        args.extend_from_slice(db);
        let history = dir.json(&args);
        let mut instants = BTreeSet::new();
        for r in
            history["occupancies"].as_array().into_iter().chain(history["registrations"].as_array()).flatten()
        {
            for end in ["from", "to"] {
                if r["period"][end].is_string() {
                    let t = micros(&r["period"][end]);
                    instants.extend([t - 1, t, t + 1, t + 86_400_000_000 * 15]);
                }
            }
        }
        for at in instants {
            let at_text = instant(at);
            let mut args = vec!["register", "show", ean.as_str(), "--at", at_text.as_str(), "--json"];
            args.extend_from_slice(db);
            let shown = dir.json(&args);
            let occupant = shown["occupant"]["party"]["id"].as_str().map(str::to_owned);
            let supplier = shown["supplier"]["party"]["id"].as_str().map(str::to_owned);
            assert_eq!(occupant, holder_at(&history["occupancies"], at), "{ean} occupant at {at_text}");
            assert_eq!(supplier, holder_at(&history["registrations"], at), "{ean} supplier at {at_text}");
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} instants compared");
}

/// The EAN of demo access point `index`, whichever energy it drew.
fn ean_of(index: u64, dir: &Workdir, db: &[&str]) -> Option<String> {
    for prefix in [54_144_800_000_000_000u64, 54_144_900_000_000_000] {
        let ean = domain::Ean::from_body(prefix + index).expect("body").to_string();
        let mut args = vec!["register", "show", ean.as_str(), "--json"];
        args.extend_from_slice(db);
        if dir.run(&args).status.success() {
            return Some(ean);
        }
    }
    None
}

#[test]
fn register_show_agrees_with_history_on_sqlite() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", SMALL]);
    show_agrees_with_history(&dir, &[]);
}

#[tokio::test]
async fn register_show_agrees_with_history_on_postgres() {
    let Some(pg) = PgDb::create().await else {
        eprintln!("CLOISON_TEST_POSTGRES_URL is not set: the PostgreSQL run is in .ci/run");
        return;
    };
    let dir = Workdir::new();
    let url = pg.url.clone();
    let db = ["--db", url.as_str()];
    let tour = dir.ok(&["demo", "--no-serve", "--access-points", SMALL, "--db", &url]);
    assert!(tour.contains("A tour of access point"));
    show_agrees_with_history(&dir, &db);
    let secrets = personal_data(&dir, &db);
    let dump = std::process::Command::new("pg_dump").arg("--dbname").arg(&url).output().expect("run pg_dump");
    assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
    assert_none_in_clear(&dump.stdout, &secrets, "the pg_dump of the demo");
    pg.drop_database().await;
}

#[test]
fn errors_say_why_and_exit_codes_differ() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "20"]);
    let cases: [(&str, i32, &str); 5] = [
        ("54144800000000001", 2, "must have 18 digits"),
        ("5414480000000000x1", 2, "only digits"),
        ("541448000000000001", 2, "check digit"),
        ("54144700000000001", 2, "must have 18 digits"),
        // Valid, but not in the register.
        (
            &domain::Ean::from_body(54_144_700_000_000_001).expect("body").to_string(),
            3,
            "not in the register",
        ),
    ];
    for (ean, code, message) in cases {
        let out = dir.run(&["register", "show", ean]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{ean}: {stderr}");
        assert!(stderr.contains(message), "{ean}: {stderr}");
        assert!(out.stdout.is_empty(), "nothing on standard output for {ean}");
        let out = dir.run(&["register", "history", ean, "--json"]);
        assert_eq!(out.status.code(), Some(code), "history {ean}");
    }
    let out = dir.run(&[
        "register",
        "show",
        &domain::Ean::from_body(54_144_800_000_000_000).expect("b").to_string(),
        "--at",
        "yesterday",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--at"));
}

/// A missing key file is the caller's configuration (exit 2), as a missing database is.
#[test]
fn a_missing_key_is_a_clear_error() {
    let dir = Workdir::new();
    let out = dir.run(&[
        "register",
        "show",
        &domain::Ean::from_body(54_144_800_000_000_000).expect("b").to_string(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no seal key") && stderr.contains("cloison.key"), "{stderr}");
}

/// Names, streets, phones and e-mails of the demo, as the register shows them.
fn personal_data(dir: &Workdir, db: &[&str]) -> Vec<String> {
    let mut secrets = BTreeSet::new();
    for index in 0..40u64 {
        let Some(ean) = ean_of(index, dir, db) else { continue };
        let mut args = vec!["register", "history", ean.as_str(), "--json"];
        args.extend_from_slice(db);
        let history = dir.json(&args);
        secrets.insert(history["access_point"]["address"]["street"].as_str().expect("street").to_owned());
        for r in history["occupancies"].as_array().expect("occupancies") {
            secrets.insert(r["party"]["name"].as_str().expect("name").to_owned());
        }
    }
    assert!(secrets.len() > 30, "too few values to prove anything: {secrets:?}");
    secrets.into_iter().collect()
}

fn assert_none_in_clear(bytes: &[u8], secrets: &[String], what: &str) {
    assert!(bytes.len() > 10_000, "{what} is too small to be the demo");
    for s in secrets {
        assert!(!bytes.windows(s.len()).any(|w| w == s.as_bytes()), "{s:?} is in clear in {what}");
    }
    // The scan sees clear text where clear text is meant to be.
    assert!(
        bytes.windows(5).any(|w| w == b"Namur" || w == b"Liege" || w == b"Mons\0"),
        "no municipality in {what}"
    );
}

#[test]
fn the_demo_database_file_holds_no_personal_data_in_clear() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", SMALL]);
    let secrets = personal_data(&dir, &[]);
    let mut bytes = std::fs::read(dir.file("cloison.sqlite")).expect("database file");
    if let Ok(wal) = std::fs::read(dir.file("cloison.sqlite-wal")) {
        bytes.extend(wal);
    }
    assert_none_in_clear(&bytes, &secrets, "the SQLite file of the demo");
}
