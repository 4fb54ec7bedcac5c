//! `--at` as an operator types it: instants, Brussels local times and days (F3, F5).

use crate::harness::Workdir;

/// An access point of the 20-point demo, whichever energy it drew.
fn demo_ean(dir: &Workdir) -> String {
    [54_144_800_000_000_000u64, 54_144_900_000_000_000]
        .into_iter()
        .map(|body| domain::Ean::from_body(body).expect("body").to_string())
        .find(|ean| dir.run(&["register", "show", ean, "--json"]).status.success())
        .expect("access point 0 of the demo")
}

#[test]
fn f3_at_reads_a_brussels_local_time_as_that_time() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "20"]);
    let ean = demo_ean(&dir);
    for (at, expected) in [
        // Summer time, UTC+2, in every spelling the README promises.
        ("2024-07-01T10:00", "2024-07-01T08:00:00Z"),
        ("2024-07-01T23:59", "2024-07-01T21:59:00Z"),
        ("2024-07-01T10:00:00", "2024-07-01T08:00:00Z"),
        ("2024-07-01 10:00", "2024-07-01T08:00:00Z"),
        ("2024-07-01T10:00:00.5", "2024-07-01T08:00:00.5Z"),
        // Winter time, UTC+1.
        ("2024-01-15T10:00", "2024-01-15T09:00:00Z"),
        // The hour that repeats in autumn: the first time the clock shows it.
        ("2024-10-27T02:30", "2024-10-27T00:30:00Z"),
        // A day is its first instant; an instant is itself.
        ("2024-07-01", "2024-06-30T22:00:00Z"),
        ("2024-07-01T08:00:00Z", "2024-07-01T08:00:00Z"),
        ("2024-07-01T10:00:00+02:00", "2024-07-01T08:00:00Z"),
    ] {
        let shown = dir.json(&["register", "show", &ean, "--at", at, "--json"]);
        assert_eq!(shown["at"], expected, "--at {at}");
    }
}

#[test]
fn f3_f5_at_refuses_the_spring_gap_and_what_rfc3339_cannot_write() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "20"]);
    let ean = demo_ean(&dir);
    for (at, message) in [
        (
            "2024-03-31T02:30",
            "--at: 2024-03-31T02:30 does not exist in Brussels: clocks jump from 02:00 to 03:00",
        ),
        ("0000-01-01", "--at: \"0000-01-01\": year 0000 is outside 0001–9999"),
        ("-000001-01-01T00:00:00Z", "year -000001 is outside 0001–9999"),
        ("10000-01-01T00:00:00Z", "year 10000 is outside 0001–9999"),
        ("0001-01-01", "outside the instants Cloison represents"),
        ("2024-07-01T08:00:00+25:00", "offset +25:00 is not an RFC 3339 offset"),
        ("2024-07-01T10:00Z", "expected ':' and seconds before an offset"),
    ] {
        let flag = format!("--at={at}");
        let out = dir.run(&["register", "show", &ean, &flag, "--json"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert!(stderr.contains(message), "{flag}: {stderr}");
        assert!(out.stdout.is_empty(), "nothing on standard output for {flag}");
    }
    // The search flags share the rules, and name themselves.
    let out = dir.run(&["journal", "search", "--actor", "nu-x", "--from", "2024-03-31T02:30"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from: 2024-03-31T02:30 does not exist"));
}
