//! The command line acts as a configured identity, decided by the same policies as the API
//! (issue 10: I2, R6, R7, chapter II).

use crate::harness::Workdir;

/// An electricity access point of the demo with an occupant now.
fn occupied(dir: &Workdir) -> String {
    (0..30)
        .map(|i| domain::Ean::from_body(54_144_800_000_000_000 + i).expect("body").to_string())
        .find(|ean| {
            let out = dir.run(&["register", "show", ean, "--json"]);
            out.status.success()
                && serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("JSON")["occupant"]
                    .is_object()
        })
        .expect("an occupied access point among the first thirty")
}

#[test]
fn a_register_write_the_policies_refuse_exits_4_and_is_journaled() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "40"]);
    let ean = occupied(&dir);
    let end = ["register", "end-occupancy", &ean, "--at", "2026-01-05"];

    // The ethics committee changes nothing: refused by its forbid, exit 4, named.
    let refused = dir.run(&[&["--as", "ethics-1:auditor"][..], &end[..]].concat());
    assert_eq!(refused.status.code(), Some(4), "{}", String::from_utf8_lossy(&refused.stderr));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("forbidden") && stderr.contains("ethics-1:auditor"), "{stderr}");
    // Through the environment, the same for a supplier (no policy permits it: default deny).
    let refused = dir.run_env(&end, &[("CLOISON_AS", "sup-ardenne:supplier")]);
    assert_eq!(refused.status.code(), Some(4), "{}", String::from_utf8_lossy(&refused.stderr));

    let found = dir.json(&["--as", "ethics-1:auditor", "journal", "search", "--subject", &ean, "--json"]);
    let ends: Vec<&serde_json::Value> = found
        .as_array()
        .expect("list")
        .iter()
        .map(|e| &e["entry"])
        .filter(|e| e["action"] == "register.occupancy.end")
        .collect();
    assert_eq!(ends.len(), 2, "both refusals are journaled: {ends:?}");
    assert_eq!(ends[0]["actor"]["party_id"], "ethics-1");
    assert_eq!(ends[0]["decision"]["allowed"], false);
    assert_eq!(ends[0]["decision"]["policies"], serde_json::json!(["auditor-changes-nothing"]));
    assert_eq!(ends[1]["decision"]["policies"], serde_json::json!(["default-deny"]));
    assert!(ends.iter().all(|e| e["outcome"] == "forbidden"));
    let shown = dir.json(&["register", "show", &ean, "--at", "2026-02-01", "--json"]);
    assert!(shown["occupant"].is_object(), "nothing was written: {shown}");

    // The register team may, and the occupancy ends then.
    let done = dir.ok(&[&["--as", "ines:register_staff"][..], &end[..]].concat());
    assert!(done.contains("ended"), "{done}");
    let shown = dir.json(&["register", "show", &ean, "--at", "2026-02-01", "--json"]);
    assert!(shown["occupant"].is_null(), "ended: {shown}");
}

#[test]
fn the_identity_comes_from_the_flag_the_settings_file_or_the_default() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "10"]);
    // Support runs the system and reads no journal entries (R10).
    let out = dir.run(&["--as", "staff-ines:support", "journal", "search", "--actor", "cloison-demo"]);
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("staff-ines:support"));
    let out = dir.run(&["--as", "nobody", "register", "show", "541448000000000196"]);
    assert_eq!(out.status.code(), Some(2), "--as without a role is an input error");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--as") && stderr.contains("PARTY:ROLE"), "{stderr}");
    // A settings file names the operator too, and the journal says who it was.
    std::fs::write(dir.file("cloison.toml"), "operator = \"staff-ines:support\"\n").expect("write settings");
    let out = dir.run(&["journal", "search", "--actor", "cloison-demo"]);
    assert_eq!(out.status.code(), Some(4), "the file's identity decides");
    std::fs::remove_file(dir.file("cloison.toml")).expect("remove settings");
    // Without any, the console's own identity: system, whose reading is journaled as such.
    dir.ok(&["journal", "search", "--actor", "cloison-demo"]);
    let found = dir.json(&["journal", "search", "--actor", "system", "--json"]);
    let acts: Vec<(&str, &str)> = found
        .as_array()
        .expect("list")
        .iter()
        .map(|e| (e["entry"]["action"].as_str().unwrap_or(""), e["entry"]["outcome"].as_str().unwrap_or("")))
        .collect();
    assert!(acts.contains(&("journal.search", "ok")), "{acts:?}");
    let refused = dir.json(&["journal", "search", "--actor", "staff-ines", "--json"]);
    let refused = refused.as_array().expect("list");
    assert_eq!(refused.len(), 2, "both refusals of support are journaled: {refused:?}");
    assert!(refused.iter().all(
        |e| e["entry"]["decision"]["policies"] == serde_json::json!(["support-reads-no-journal-entries"])
    ));
}

#[test]
fn a_bad_ending_is_refused_naming_the_field_and_writes_nothing() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "40"]);
    let ean = occupied(&dir);
    let before = dir.ok(&["register", "history", &ean, "--json"]);
    let unknown = domain::Ean::from_body(54_144_700_000_000_001).expect("body").to_string();
    let mut wrong_digit = ean.clone();
    let last = wrong_digit.pop().expect("digit").to_digit(10).expect("digit");
    wrong_digit.push(char::from_digit((last + 1) % 10, 10).expect("digit"));
    for (args, field) in [
        (vec!["register", "end-occupancy", &wrong_digit, "--at", "2026-01-05"], "ean"),
        (vec!["register", "end-occupancy", &ean, "--at", "2026-03-29T02:30"], "--at"),
        (vec!["register", "end-registration", &ean, "--at", "yesterday"], "--at"),
        // Before any occupancy of the demo's window: nothing in force to end.
        (vec!["register", "end-occupancy", &ean, "--at", "1990-01-01"], "occupancy"),
        (vec!["register", "end-occupancy", &unknown, "--at", "2026-01-05"], &unknown),
    ] {
        let out = dir.run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(field), "{args:?} names {field}: {stderr}");
    }
    assert_eq!(dir.ok(&["register", "history", &ean, "--json"]), before, "nothing was written");
}
