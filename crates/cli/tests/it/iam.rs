//! `cloison iam`: the nightly sync as an operator runs it (R11).

use crate::harness::Workdir;

fn write_extracts(dir: &Workdir, people: usize, night: u32) {
    let extracts = demo::staff::extracts(people, 3, night);
    std::fs::write(dir.file("internal.csv"), extracts.internal).expect("write");
    std::fs::write(dir.file("external.csv"), extracts.external).expect("write");
}

const SYNC: [&str; 6] = ["iam", "sync", "--internal", "internal.csv", "--external", "external.csv"];

const HEADER: &str = "employee_id,name,job_code,department,employer,start_date,end_date,status\n";

/// Writes the two extracts: the header, then these lines.
fn write_lines(dir: &Workdir, internal: &str, external: &str) {
    std::fs::write(dir.file("internal.csv"), format!("{HEADER}{internal}")).expect("write");
    std::fs::write(dir.file("external.csv"), format!("{HEADER}{external}")).expect("write");
}

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
    write_lines(
        &dir,
        "I-1,Anne Dubois,REG-AGENT,Market,ORES,2020-01-01,,active\n\
         I-2,Luc Martin,NO-SUCH,Market,ORES,2020-01-01,,active\n\
         I-3,Marie Claes,REG-AGENT,Market,ORES,2021-05-01,2021-04-30,active\n",
        "I-1,Hugo Simon,CC-DSO,Operations,Manpower,2020-01-01,,active\n",
    );
    let out = dir.run(&SYNC);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("2 line(s) refused, nothing was changed"), "{stderr}");
    assert!(stderr.contains("internal line 3, job_code: unknown_job"), "{stderr}");
    assert!(stderr.contains("internal line 4, end_date: end_before_start"), "{stderr}");
    assert_eq!(grants(&dir), 0);
    // A mass removal is refused too, and forced it goes through.
    write_lines(&dir, "I-1,Anne Dubois,REG-AGENT,Market,ORES,2020-01-01,,active\n", "");
    dir.ok(&SYNC);
    write_lines(&dir, "", "");
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

/// The EAN of demo access point 1, whichever energy it drew, and its occupant now.
fn occupied_point(dir: &Workdir) -> (String, String, String) {
    for prefix in [54_144_800_000_000_000u64, 54_144_900_000_000_000] {
        let ean = domain::Ean::from_body(prefix + 1).expect("body").to_string();
        let out = dir.run(&["register", "show", &ean, "--json"]);
        if out.status.success() {
            let view: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
            let occupant = &view["occupant"];
            let customer = occupant["party"]["id"].as_str().expect("an occupant").to_owned();
            let from = occupant["period"]["from"].as_str().expect("from").to_owned();
            return (ean, customer, from);
        }
    }
    panic!("demo access point 1 is in the register");
}

/// The label line the command printed on standard error (R8), parsed.
fn label_of(out: &std::process::Output) -> domain::label::Label {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line =
        stderr.lines().find(|l| l.starts_with("label: ")).unwrap_or_else(|| panic!("no label: {stderr}"));
    line.parse().expect("a label line")
}

/// R4, R5, R8: a mandate recorded, listed and sampled with labels; the mandated party issues
/// the customer's history as two labelled files; once revoked, it gets nothing.
#[test]
fn a_mandate_and_a_history_from_the_command_line() {
    let dir = Workdir::new();
    // 60 points: enough for the demo's tour to bring its third party, an energy advisor.
    dir.ok(&["demo", "--no-serve", "--access-points", "60"]);
    let (ean, customer, from) = occupied_point(&dir);
    let advisor = "tp-energie-conseil";
    let id = dir
        .ok(&[
            "--as",
            "staff-claire:register_staff",
            "mandates",
            "record",
            "--customer",
            &customer,
            "--mandated",
            advisor,
            "--ean",
            &ean,
            "--scope",
            "consumption",
            "--from",
            &from,
            "--document",
            "MAND-CLI-1",
        ])
        .split_whitespace()
        .find(|w| w.starts_with("mdt_"))
        .expect("the mandate's id")
        .to_owned();
    let listed = dir.run(&["--as", "staff-paul:auditor", "mandates", "list", "--json"]);
    assert!(listed.status.success());
    let list: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    assert!(list.as_array().expect("a list").iter().any(|m| m["mandate"] == id.as_str()), "{list}");
    let label = label_of(&listed);
    assert_eq!(label.confidentiality, domain::label::Confidentiality::PersonalData);
    let entry = dir.json(&[
        "--as",
        "staff-paul:auditor",
        "journal",
        "entry",
        &label.journal_index.to_string(),
        "--json",
    ]);
    assert_eq!(entry["entry"]["action"], "mandate.list", "{entry}");
    let sample =
        dir.json(&["--as", "staff-paul:auditor", "mandates", "sample", "--n", "1", "--seed", "3", "--json"]);
    assert_eq!(sample.as_array().map(Vec::len), Some(1), "{sample}");

    // The mandated party issues the customer's history: two files named by the journal index.
    let today = domain::period::local_day(jiff::Timestamp::now());
    let (start, end) =
        (today.checked_sub(jiff::Span::new().days(60)).expect("day"), today.tomorrow().expect("day"));
    let history = [
        "--as",
        "tp-energie-conseil:third_party",
        "metering",
        "history",
        &ean,
        "--from",
        &start.to_string(),
        "--to",
        &end.to_string(),
        "--customer",
        &customer,
        "--out",
        "docs",
        "--json",
    ];
    let issued = dir.json(&history);
    let index = issued["journal_index"].as_u64().expect("an index");
    let csv = std::fs::read_to_string(dir.file(&format!("docs/history-{ean}-{index}.csv"))).expect("the CSV");
    assert_eq!(
        csv.lines().next(),
        Some(format!("# label: CONFIDENTIAL - personal data; journal: {index}").as_str())
    );
    let pdf = std::fs::read(dir.file(&format!("docs/history-{ean}-{index}.pdf"))).expect("the PDF");
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(issued["files"].as_array().map(Vec::len), Some(2), "{issued}");
    assert!(issued["addressee"][0].as_str().is_some_and(|a| a.contains(advisor)), "{issued}");

    // Revoked: refused as a point that does not exist (exit 3), no file written.
    dir.ok(&["--as", "staff-claire:register_staff", "mandates", "revoke", &id]);
    let out = dir.run(&history);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_dir(dir.file("docs")).expect("docs").count(), 2);
}

/// R6, R10: a request asked, listed to the manager and approved from the command line;
/// emergency access opened by support with a reason and reported to the ethics committee.
#[test]
fn requests_and_break_glass_from_the_command_line() {
    let dir = Workdir::new();
    dir.ok(&["init"]);
    write_lines(
        &dir,
        "I-1,Jonas Mertens,MET-VALIDATOR,Market,ORES,2020-01-01,,active\n\
         I-2,Sophie Lambert,REG-LEAD,Market,ORES,2011-02-01,,active\n\
         I-3,Inès Thiry,IT-SUPPORT,IT,ORES,2015-03-01,,active\n\
         I-4,Paul Gilson,ETHICS,Ethics,ORES,2012-09-01,,active\n",
        "",
    );
    dir.ok(&SYNC);
    let until = domain::period::local_day(jiff::Timestamp::now())
        .checked_add(jiff::Span::new().days(7))
        .expect("day");
    let asked = dir.ok(&[
        "--as",
        "hr-i-1:metering_staff",
        "iam",
        "request",
        "--role",
        "register_staff",
        "--until",
        &until.to_string(),
    ]);
    let request = asked.split(':').next().expect("the request's id").to_owned();
    assert!(request.starts_with("req_"), "{asked}");
    // The asker does not decide; the manager sees it and approves.
    let out = dir.run(&["--as", "hr-i-1:metering_staff", "iam", "decide", &request, "approve"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let pending = dir.json(&["--as", "hr-i-2:register_staff", "iam", "requests", "--json"]);
    assert_eq!(pending.as_array().map(Vec::len), Some(1), "{pending}");
    dir.ok(&["--as", "hr-i-2:register_staff", "iam", "decide", &request, "approve"]);
    let check = dir.json(&["iam", "check", "--json"]);
    let held = check["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .any(|g| g["party"] == "hr-i-1" && g["role"] == "register_staff");
    assert!(held, "{check}");

    // Break-glass: support only, a reason, at most four hours; the committee's report.
    let open = |who: &str, duration: &str, reason: &str| {
        dir.run(&[
            "--as",
            who,
            "iam",
            "break-glass",
            "open",
            "--role",
            "register_staff",
            "--reason",
            reason,
            "--for",
            duration,
            "--json",
        ])
    };
    let reason = "Outage on the Namur feeder, customer on the phone";
    let out = open("hr-i-3:support", "5h", reason);
    assert_eq!(out.status.code(), Some(2), "over four hours: {}", String::from_utf8_lossy(&out.stderr));
    let out = open("hr-i-1:metering_staff", "30m", reason);
    assert_eq!(out.status.code(), Some(4), "not support: {}", String::from_utf8_lossy(&out.stderr));
    let out = open("hr-i-3:support", "30m", reason);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let opened: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(opened["secret"].as_str().is_some_and(|s| !s.is_empty()), "{opened}");
    let report = dir.run(&["--as", "hr-i-4:auditor", "iam", "break-glass", "report", "--json"]);
    assert!(report.status.success(), "{}", String::from_utf8_lossy(&report.stderr));
    let uses: serde_json::Value = serde_json::from_slice(&report.stdout).expect("JSON");
    assert_eq!(uses[0]["party"], "hr-i-3", "{uses}");
    assert_eq!(uses[0]["reason"], reason, "{uses}");
    assert_eq!(label_of(&report).confidentiality, domain::label::Confidentiality::PersonalData);
    let out = dir.run(&["--as", "hr-i-3:support", "iam", "break-glass", "report"]);
    assert_eq!(out.status.code(), Some(4), "support does not read its own report");
}
