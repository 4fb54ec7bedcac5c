//! `cloison iam`: the nightly sync as an operator runs it (R11).

use crate::harness::Workdir;

fn write_extracts(dir: &Workdir, people: usize, night: u32) {
    let extracts = demo::staff::extracts(people, 3, night);
    std::fs::write(dir.file("internal.csv"), extracts.internal).expect("write");
    std::fs::write(dir.file("external.csv"), extracts.external).expect("write");
}

const SYNC: [&str; 6] = ["iam", "sync", "--internal", "internal.csv", "--external", "external.csv"];

fn grants(dir: &Workdir) -> usize {
    dir.json(&["iam", "check", "--json"])["grants"].as_array().expect("grants").len()
}

#[test]
fn a_dry_run_of_ten_thousand_people_prints_its_report_and_changes_nothing() {
    let dir = Workdir::new();
    dir.ok(&["init"]);
    write_extracts(&dir, 10_000, 0);
    let size = |dir: &Workdir| dir.json(&["journal", "head", "--json"])["size"].as_u64().expect("size");
    let before = size(&dir);
    let report: serde_json::Value =
        serde_json::from_str(&dir.ok(&[&SYNC[..], &["--dry-run", "--json"]].concat())).expect("JSON");
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["joiners"], 10_000);
    assert!(report["report"].is_null(), "no report is stored for a dry run");
    assert_eq!(size(&dir), before + 1, "the dry run is one journaled read");
    assert_eq!(grants(&dir), 0, "nothing was granted");
    // The text report: the counts, then a line per change.
    let text = dir.ok(&[&SYNC[..], &["--dry-run"]].concat());
    assert!(text.starts_with("dry run (nothing changed) on "), "{}", &text[..200]);
    assert!(text.contains("10000 joiner(s)"), "{}", &text[..200]);
    assert_eq!(text.lines().count(), 10_001);
    // Applied, it grants; the next night's dry run sees every kind of change.
    dir.ok(&SYNC);
    let granted = grants(&dir);
    assert!(granted > 4_000, "{granted}");
    write_extracts(&dir, 10_000, 1);
    let next: serde_json::Value =
        serde_json::from_str(&dir.ok(&[&SYNC[..], &["--dry-run", "--json"]].concat())).expect("JSON");
    for kind in ["joiners", "movers", "leavers"] {
        assert!(next[kind].as_u64().expect("a count") > 0, "{kind}: {next}");
    }
    assert_eq!(grants(&dir), granted, "the dry run changed nothing");
}

#[test]
fn bad_lines_are_named_and_change_nothing() {
    let dir = Workdir::new();
    dir.ok(&["init"]);
    let header = "employee_id,name,job_code,department,employer,start_date,end_date,status\n";
    std::fs::write(
        dir.file("internal.csv"),
        format!(
            "{header}I-1,Anne Dubois,REG-AGENT,Market,ORES,2020-01-01,,active\n\
             I-2,Luc Martin,NO-SUCH,Market,ORES,2020-01-01,,active\n\
             I-3,Marie Claes,REG-AGENT,Market,ORES,2021-05-01,2021-04-30,active\n"
        ),
    )
    .expect("write");
    std::fs::write(
        dir.file("external.csv"),
        format!("{header}I-1,Hugo Simon,CC-DSO,Operations,Manpower,2020-01-01,,active\n"),
    )
    .expect("write");
    let out = dir.run(&SYNC);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("2 line(s) refused, nothing was changed"), "{stderr}");
    assert!(stderr.contains("internal line 3, job_code: unknown_job"), "{stderr}");
    assert!(stderr.contains("internal line 4, end_date: end_before_start"), "{stderr}");
    assert_eq!(grants(&dir), 0);
    // A mass removal is refused too, and forced it goes through.
    std::fs::write(
        dir.file("internal.csv"),
        format!("{header}I-1,Anne Dubois,REG-AGENT,Market,ORES,2020-01-01,,active\n"),
    )
    .expect("write");
    std::fs::write(dir.file("external.csv"), header).expect("write");
    dir.ok(&SYNC);
    std::fs::write(dir.file("internal.csv"), header).expect("write");
    let out = dir.run(&SYNC);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("mass_removal"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(grants(&dir), 1);
    dir.ok(&[&SYNC[..], &["--force"]].concat());
    assert_eq!(grants(&dir), 0);
}
