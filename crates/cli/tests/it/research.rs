//! `cloison aggregates`, `cloison research` and `cloison export warehouse` (R14): the demo's
//! extracts, each partner reading its own and no other's (exit 3, as for none); aggregates for
//! any role, a level that does not exist refused (exit 2); a warehouse export's files where
//! its report says, a reversed range refused (exit 2), a customer refused (exit 4).

use crate::harness::Workdir;

#[test]
fn research_from_the_command_line() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "60"]);
    let table = dir.json(&[
        "--as",
        "staff-sup:support",
        "aggregates",
        "substation",
        "month",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--json",
    ]);
    assert!(table["values_read"].as_u64().is_some_and(|n| n > 0), "{table}");
    let bad = dir.run(&[
        "--as",
        "staff-sup:support",
        "aggregates",
        "province",
        "month",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("level"));

    // The demo made two extracts for uni-namur (before and after a withdrawal), one for uni-liege.
    let dpo = ["--as", "staff-dpo:privacy_staff"];
    let all = dir.json(&[dpo[0], dpo[1], "research", "extracts"]);
    assert_eq!(all.as_array().map(Vec::len), Some(3), "{all}");
    let namur = dir.json(&["--as", "uni-namur:researcher", "research", "extracts"]);
    assert_eq!(namur.as_array().map(Vec::len), Some(2), "{namur}");
    let liege = dir.json(&["--as", "uni-liege:researcher", "research", "extracts"]);
    let liege_id = liege[0]["id"].as_str().expect("an extract");
    let own = dir.ok(&["--as", "uni-liege:researcher", "research", "show", liege_id]);
    assert!(own.starts_with("participant,point,channel,day,start,wh"), "{own}");
    let other = dir.run(&["--as", "uni-namur:researcher", "research", "show", liege_id]);
    assert_eq!(other.status.code(), Some(3), "{}", String::from_utf8_lossy(&other.stderr));

    let out = dir.file("warehouse");
    let out = out.to_str().expect("a path");
    let reversed = dir.run(&[
        dpo[0],
        dpo[1],
        "export",
        "warehouse",
        "--to",
        out,
        "--from",
        "2025-02-01",
        "--until",
        "2025-01-01",
    ]);
    assert_eq!(reversed.status.code(), Some(2));
    let forbidden = dir.run(&["--as", "nu-1:customer", "export", "warehouse", "--to", out]);
    assert_eq!(forbidden.status.code(), Some(4));
    let report = dir.json(&[dpo[0], dpo[1], "export", "warehouse", "--to", out, "--json"]);
    let root = std::path::Path::new(report["directory"].as_str().expect("a directory"));
    let files = report["files"].as_array().expect("files");
    assert!(
        files.iter().any(|f| f["dataset"] == "metering") && files.iter().any(|f| f["dataset"] == "register")
    );
    for f in files {
        let size = std::fs::metadata(root.join(f["path"].as_str().expect("a path"))).expect("the file").len();
        assert_eq!(Some(size), f["bytes"].as_u64());
    }
    dir.ok(&["journal", "verify"]);
}
