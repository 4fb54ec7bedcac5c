//! `cloison contact` (R12): a configuration checked without a database, refused with its
//! field and position (exit 2) and nothing loaded; a directory file with a bad number refused
//! naming its line, nothing added; a supervisor's report of their own principal only (exit 4
//! for another's); Erlang C's textbook case.

use crate::harness::Workdir;

const GOOD: &str = r#"
[[principal]]
id = "dso"
name = "Grid operator"
kind = "dso"
default_queue = "dso-general"
[[principal.entry_point]]
channel = "call"
address = "+3278000001"
[[principal.queue]]
id = "dso-general"
skills = ["general"]
[[principal.operator]]
party = "cc-boss"
skills = ["general", "supervisor"]

[[principal]]
id = "sup-a"
name = "Supplier A"
kind = "supplier"
default_queue = "a-general"
[[principal.entry_point]]
channel = "call"
address = "+3278000002"
[[principal.queue]]
id = "a-general"
skills = ["general"]
"#;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_contact_center_from_the_command_line() {
    let dir = Workdir::new();
    let good = dir.file("good.toml");
    std::fs::write(&good, GOOD).expect("written");
    let good = good.to_str().expect("utf-8 path");
    let checked = dir.ok(&["contact", "config", "check", good]);
    assert!(checked.contains("the configuration holds"), "{checked}");

    // Refusals name the field and the position; no database is needed to check.
    for (fault, says) in [
        (GOOD.replace("+3278000002", "+32 78000002"), "principal[1].entry_point[0].address"),
        (GOOD.replace("+3278000002", "+3278000001"), "shared_entry_point"),
        (
            GOOD.replace(
                r#"id = "a-general""#,
                r#"id = "a-general"
skillz = ["x"]"#,
            ),
            "line",
        ),
    ] {
        let bad = dir.file("bad.toml");
        std::fs::write(&bad, fault).expect("written");
        let out = dir.run(&["contact", "config", "check", bad.to_str().expect("utf-8 path")]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(says), "{says}: {}", stderr(&out));
    }

    // A refused load loads nothing: the configuration is still missing afterwards.
    dir.ok(&["init"]);
    let bad = dir.file("bad.toml");
    let out = dir.run(&["contact", "config", "load", bad.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = dir.run(&["contact", "config", "show"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not_configured"), "{}", stderr(&out));
    let loaded = dir.ok(&["contact", "config", "load", good]);
    assert!(loaded.contains("configuration version 1"), "{loaded}");

    // A directory file with a number that is not E.164: the line is named, nothing added.
    let csv = dir.file("dso.csv");
    std::fs::write(&csv, "customer,number,name\nd-1,+32471000001,Alice Grid\nd-2,0471 00 00 02,Bob Grid\n")
        .expect("written");
    let csv = csv.to_str().expect("utf-8 path");
    let out = dir.run(&["contact", "directory", "--principal", "dso", csv]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("line 2") && stderr(&out).contains("not_e164"), "{}", stderr(&out));
    std::fs::write(dir.file("dso.csv"), "customer,number,name\nd-1,+32471000001,Alice Grid\n")
        .expect("written");
    let added = dir.ok(&["contact", "directory", "--principal", "dso", csv]);
    assert!(added.contains("dso: 1 added, 0 already there"), "the refused file added nothing: {added}");

    // Reports: a bad period is named; a supervisor reads their own principal only.
    let out =
        dir.run(&["contact", "report", "dso", "--from", "yesterday", "--until", "2100-01-01T00:00:00Z"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--from"), "{}", stderr(&out));
    let period = ["--from", "2000-01-01T00:00:00Z", "--until", "2100-01-01T00:00:00Z"];
    let boss = ["--as", "cc-boss:call_center"];
    let own =
        dir.run(&[boss[0], boss[1], "contact", "report", "dso", period[0], period[1], period[2], period[3]]);
    let other = dir
        .run(&[boss[0], boss[1], "contact", "report", "sup-a", period[0], period[1], period[2], period[3]]);
    assert_eq!(other.status.code(), Some(4), "{}", stderr(&other));
    assert!(own.status.success(), "{}", stderr(&own));
    assert!(String::from_utf8_lossy(&own.stdout).contains("dso (threshold 20 s)"));

    // Erlang C: the textbook case, and bad figures refused naming the flag.
    let staffing = dir.ok(&["contact", "staffing", "--calls", "100", "--handling", "180", "--agents", "14"]);
    assert!(staffing.contains("14 agent(s): 88.8 % answered within 20 s"), "{staffing}");
    let out = dir.run(&["contact", "staffing", "--calls", "100", "--handling", "180", "--target", "1.5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--target"), "{}", stderr(&out));
}
