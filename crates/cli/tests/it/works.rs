//! `cloison works` (R13): the demo's requests listed for the works team, one shown to its
//! requester and to nobody else (exit 3, as for no request), refusals with their rule (exit 2).

use crate::harness::Workdir;

#[test]
fn customer_works_from_the_command_line() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "60"]);
    let staff = ["--as", "staff-w:works_staff"];
    let works = dir.json(&[staff[0], staff[1], "works", "list", "--json"]);
    let works = works.as_array().expect("a list");
    assert_eq!(works.len(), 4, "{works:?}");
    let purged =
        works.iter().find(|w| w["purged"].as_array().is_some_and(|p| p.len() == 2)).expect("one purged");
    assert_eq!(purged["personal"], serde_json::json!({}), "{purged}");
    assert!(purged["asset"]["meter_number"].is_string(), "its asset record stays: {purged}");
    let id = purged["id"].as_str().expect("an id");
    let requester = purged["requester"].as_str().expect("a requester");

    let mine = dir.run(&["--as", &format!("{requester}:customer"), "works", "show", id]);
    assert!(mine.status.success(), "{}", String::from_utf8_lossy(&mine.stderr));
    for who in ["nu-9999999:customer", "staff-cc:call_center", "staff-sup:support"] {
        let other = dir.run(&["--as", who, "works", "show", id]);
        assert_eq!(other.status.code(), Some(3), "{who}: {}", String::from_utf8_lossy(&other.stderr));
    }

    let captured = dir.run(&[
        staff[0],
        staff[1],
        "works",
        "capture",
        "--kind",
        "new_connection",
        "--requester",
        requester,
        "--field",
        "requester_name=Ann Example",
        "--field",
        "billing_address=Rue 1",
        "--field",
        "description=a new house",
        "--field",
        "national_number=85.07.30-033.61",
    ]);
    assert_eq!(captured.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&captured.stderr).contains("not_allowed: national_number"));
    let after = dir.json(&[staff[0], staff[1], "works", "list", "--json"]);
    assert_eq!(after.as_array().map(Vec::len), Some(4), "a refused capture writes nothing");
    let accepted = dir.run(&[staff[0], staff[1], "works", "step", id, "accept"]);
    assert_eq!(accepted.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&accepted.stderr).contains("already_accepted"));
    let unchanged = dir.json(&[staff[0], staff[1], "works", "show", id, "--json"]);
    assert_eq!(unchanged[0]["version"], purged["version"], "a refused step writes no version");
    let asset = dir.json(&[staff[0], staff[1], "works", "asset", id, "--json"]);
    assert!(asset["network_user"].is_string(), "the register names the user: {asset}");
    dir.ok(&["journal", "verify"]);
    let retention = dir.ok(&[staff[0], staff[1], "works", "retention"]);
    assert!(retention.contains("0 purge(s)"), "already purged by the demo: {retention}");
}
