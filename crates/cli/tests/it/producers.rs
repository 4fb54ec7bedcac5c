//! `cloison producers` and `cloison calendar` (R15): the demo's queue listed, a producer's own
//! view, the audit, a command with its refusals and exit codes, and the working-day calendar.

use crate::harness::Workdir;

#[test]
fn the_connection_queue_from_the_command_line() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "60"]);
    let staff = ["--as", "staff-con:connection_staff"];
    let queues = dir.json(&[staff[0], staff[1], "producers", "list", "--json"]);
    let queue = &queues[0];
    let substation = queue["substation"].as_str().expect("a substation").to_owned();
    assert_eq!(queue["figures"]["capacity_kw"], 4_000, "{queue}");
    let states: Vec<&str> = queue["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| r["state"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(states, ["lapsed", "signed", "studying", "studying"], "{queue}");

    // A producer sees its own two requests, and nobody else's.
    let own = dir.ok(&["--as", "prod-eole-condroz:customer", "producers", "own"]);
    assert_eq!(own.lines().count(), 2, "{own}");
    assert!(!own.contains("solaire") && !own.contains("biogaz"), "{own}");
    let listed = dir.run(&["--as", "prod-eole-condroz:customer", "producers", "list"]);
    assert_eq!(listed.status.code(), Some(4), "a producer does not list the queues");

    // Refusals: exit 2 with the field and the rule; nothing written, so the audit still agrees.
    let third = format!("{substation}/3");
    for (args, says) in [
        (vec!["producers", "capacity", &substation, "--kw", "-5"], "bad_capacity"),
        (vec!["producers", "capacity", &substation, "--kw", "lots"], "bad_capacity"),
        (vec!["producers", "extend", &third, "--working-days", "21"], "extension_too_long"),
        (vec!["producers", "sign", &third], "wrong_state"),
        (vec!["producers", "offer", &third, "--day", "2999-01-01"], "day_in_future"),
        (vec!["producers", "pay-study", "NOWHERE-1/1"], "unknown_substation"),
        (vec!["producers", "acknowledge", &substation, "--producer", "staff-con", "--kw", "10"], "producer"),
    ] {
        let out = dir.run(&[staff.as_slice(), args.as_slice()].concat());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let offered = dir.ok(&[staff[0], staff[1], "producers", "offer", &third]);
    assert!(offered.contains(&format!("{third} offered 800 kW due")), "{offered}");
    let audit = dir.ok(&["--as", "staff-paul:auditor", "producers", "audit"]);
    assert!(audit.starts_with("queues intact: 16 commands replayed"), "{audit}");
    assert!(audit.contains("2 queues"), "the substation and its second feeder: {audit}");

    // The calendar: Christmas and New Year skipped.
    assert_eq!(dir.ok(&["calendar", "add", "15", "2026-12-18"]).trim(), "2027-01-12");
    assert_eq!(dir.ok(&["calendar", "working-days", "2026-12-18", "2027-01-12"]).trim(), "16");
    assert_eq!(dir.ok(&["calendar", "working-days", "2026-03-02", "2026-03-06"]).trim(), "5");
    assert_eq!(dir.ok(&["calendar", "working-days", "2026-01-01", "2026-12-31"]).trim(), "253");
    assert_eq!(dir.ok(&["calendar", "holidays", "2027"]).lines().nth(1), Some("2027-03-29 easter_monday"));
    // Regional days off from a file: 27 September 2027 is a Monday.
    let extra = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/calendar/extra-days-wallonia.csv");
    assert_eq!(dir.ok(&["calendar", "add", "1", "2027-09-24"]).trim(), "2027-09-27");
    assert_eq!(dir.ok(&["calendar", "add", "1", "2027-09-24", "--extra", extra]).trim(), "2027-09-28");
    assert_eq!(
        dir.ok(&["calendar", "working-days", "2027-09-24", "2027-09-28", "--extra", extra]).trim(),
        "2"
    );
}
