//! `cloison import readings` and consumption reads on a small demo: DST days from a CSV file
//! to the HTTP API, bad rows reported by line, field and code while the good ones land, a
//! 2 GiB line refused without being held, all-or-nothing, and a SIGKILL midway losing no
//! committed batch (I4).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;

use domain::Energy;
use domain::metering::{Channel, DayLayout};
use jiff::civil::Date;

use crate::harness::Workdir;

fn d(y: i16, m: i8, day: i8) -> Date {
    Date::constant(y, m, day)
}

/// The demo's access points of `energy` among its first 40, as text: the demo draws each
/// point's energy, so only the register knows which indices have one.
fn points(dir: &Workdir, energy: Energy) -> Vec<String> {
    (0..40)
        .map(|i| demo::demo_ean(energy, i).to_string())
        .filter(|ean| dir.run(&["register", "show", ean]).status.success())
        .collect()
}

/// CSV lines for `ean`'s `channel` on each day from `from` to before `to`, valued by day and
/// interval number.
fn lines(ean: &str, channel: Channel, from: Date, to: Date) -> String {
    let mut text = String::new();
    let mut day = from;
    while day < to {
        let layout = DayLayout::new(channel, day).expect("a day");
        for i in 0..layout.len() {
            let label = layout.label(i).expect("label");
            writeln!(text, "{ean},{channel},{label},{},Wh,", i64::from(day.day()) * 1000 + i as i64)
                .expect("write");
        }
        day = day.tomorrow().expect("next day");
    }
    text
}

fn token(dir: &Workdir, party: &str, role: &str) -> String {
    dir.json(&["admin", "token", "create", "--party", party, "--role", role, "--json"])["token"]
        .as_str()
        .expect("a token")
        .to_owned()
}

/// `metering consumption` of `ean` as the operator, as JSON.
fn consumption(dir: &Workdir, ean: &str, from: &str, to: &str, resolution: &str) -> serde_json::Value {
    dir.json(&[
        "metering",
        "consumption",
        ean,
        "--from",
        from,
        "--to",
        to,
        "--resolution",
        resolution,
        "--json",
    ])
}

/// How many values a consumption answer holds, over its channels.
fn values(view: &serde_json::Value) -> usize {
    view["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .map(|c| c["values"].as_array().expect("values").len())
        .sum()
}

#[test]
fn dst_days_go_from_a_csv_file_to_the_api_with_their_own_counts() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "40"]);
    let (power, gas) = (points(&dir, Energy::Electricity)[0].clone(), points(&dir, Energy::Gas)[0].clone());
    let mut csv = String::from("ean,channel,start,value,unit,quality\n");
    for day in [d(2026, 3, 29), d(2026, 10, 25)] {
        let next = day.tomorrow().expect("next day");
        csv.push_str(&lines(&power, Channel::ElectricityOfftake, day, next));
        csv.push_str(&lines(&gas, Channel::GasOfftake, day, next));
    }
    std::fs::write(dir.file("dst.csv"), &csv).expect("write");
    // Batches far smaller than a day: each is cut where a day ends, so no day is written in
    // two halves, nor judged to have a gap it does not have.
    let out = dir.ok(&["import", "readings", "dst.csv", "--batch-rows", "10"]);
    assert!(
        out.contains("240 rows, 240 accepted, 0 refused; 4 days written, 0 unchanged; 0 findings"),
        "{out}"
    );

    let token = token(&dir, "staff-claire", "metering_staff");
    let serve = ["serve", "--listen", "127.0.0.1:0"];
    let (server, _stdout) = crate::harness::start(&dir, &serve, &[]);
    let base = server.address("serving the Cloison API on");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let client = reqwest::Client::new();
    for (ean, from, to, resolution, expected) in [
        (&power, "2026-03-29", "2026-03-30", "15m", 92),
        (&power, "2026-10-25", "2026-10-26", "15m", 100),
        (&power, "2026-10-25", "2026-10-26", "1h", 25),
        (&gas, "2026-03-29", "2026-03-30", "15m", 23),
        (&gas, "2026-10-25", "2026-10-26", "15m", 25),
    ] {
        let url =
            format!("{base}/v1/access-points/{ean}/consumption?from={from}&to={to}&resolution={resolution}");
        let view: serde_json::Value = runtime.block_on(async {
            let response = client.get(&url).bearer_auth(&token).send().await.expect("answered");
            assert_eq!(response.status(), reqwest::StatusCode::OK, "{url}");
            response.json().await.expect("JSON")
        });
        assert_eq!(values(&view), expected, "{ean} {from} {resolution}");
    }
}

#[test]
fn bad_rows_are_reported_by_line_while_good_rows_land() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "40"]);
    let power = points(&dir, Energy::Electricity)[1].clone();
    let good = lines(&power, Channel::ElectricityOfftake, d(2026, 1, 12), d(2026, 1, 13));
    let bad = [
        "541448000000000012,electricity_offtake,2026-01-13T10:00:00+01:00,1,Wh,".to_owned(),
        format!("{power},water,2026-01-13T10:00:00+01:00,1,Wh,"),
        format!("{power},electricity_offtake,2026-01-13T10:07:00+01:00,1,Wh,"),
        format!("{power},electricity_offtake,2026-01-13T10:00:00+01:00,ten,Wh,"),
        format!("{power},electricity_offtake,2026-01-13T10:00:00+01:00,1,MWh,"),
        format!("{power},gas_offtake,2026-01-13T10:00:00+01:00,1,Wh,"),
        format!("{power},electricity_offtake,2026-01-13T10:00:00+01:00"),
        "x".repeat(100_000),
    ];
    let csv = format!("{good}{}\n", bad.join("\n"));
    std::fs::write(dir.file("mixed.csv"), &csv).expect("write");
    let out = dir.run(&["import", "readings", "mixed.csv"]);
    assert_eq!(out.status.code(), Some(2), "bad rows are invalid input");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "line 97: ean: ",
        "[bad_ean]",
        "line 98: channel: ",
        "line 99: start: ",
        "[not_on_interval_boundary]",
        "line 100: value: \"ten\" is not a decimal number [bad_value]",
        "line 101: unit: ",
        "line 102: channel: gas_offtake is not a channel of access point",
        "line 103: row: a row has 6 fields",
        "line 104: row: a line is at most 4096 bytes; this one is 100001 [line_too_long]",
        "8 of 104 rows refused; the other rows were written",
    ] {
        assert!(stderr.contains(expected), "{expected:?} in:\n{stderr}");
    }
    let view = consumption(&dir, &power, "2026-01-12", "2026-01-14", "15m");
    assert_eq!(values(&view), 96, "the good day landed, nothing of the bad rows");

    // All or nothing: a file with one bad row writes nothing, and says so.
    let day = lines(&power, Channel::ElectricityOfftake, d(2026, 1, 20), d(2026, 1, 21));
    std::fs::write(dir.file("strict.csv"), format!("{day}{}\n", bad[3])).expect("write");
    let out = dir.run(&["import", "readings", "strict.csv", "--all-or-nothing"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was written (--all-or-nothing)"));
    let view = consumption(&dir, &power, "2026-01-20", "2026-01-21", "day");
    assert_eq!(values(&view), 0, "{view}");
    std::fs::write(dir.file("strict.csv"), &day).expect("write");
    dir.ok(&["import", "readings", "strict.csv", "--all-or-nothing"]);
    let view = consumption(&dir, &power, "2026-01-20", "2026-01-21", "day");
    assert_eq!(values(&view), 1, "the day, summed: {view}");

    // Only the metering team and the operator import: a supplier is refused (exit 4).
    let out = dir.run(&["--as", "sup-ardenne:supplier", "import", "readings", "strict.csv"]);
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A file whose last line is 2 GiB of zero bytes with no newline (sparse, so it costs no
/// disk): refused as one line too long, after the good rows landed.
#[test]
fn a_two_gigabyte_line_is_refused_without_being_held() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "40"]);
    let power = points(&dir, Energy::Electricity)[2].clone();
    let good = lines(&power, Channel::ElectricityOfftake, d(2026, 2, 2), d(2026, 2, 3));
    let path = dir.file("huge.csv");
    let mut file = std::fs::File::create(&path).expect("create");
    file.write_all(good.as_bytes()).expect("write");
    let huge: u64 = 2 << 30;
    file.set_len(good.len() as u64 + huge).expect("a sparse tail");
    drop(file);
    let out = dir.run(&["import", "readings", "huge.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("line 97: row: a line is at most 4096 bytes; this one is {huge}")),
        "{stderr}"
    );
    let view = consumption(&dir, &power, "2026-02-02", "2026-02-03", "15m");
    assert_eq!(values(&view), 96);
}

/// Killed with SIGKILL after some batches were reported committed: those batches are there
/// whole; importing the file again completes it, and a third time writes nothing.
#[test]
fn sigkill_during_an_import_loses_no_committed_batch() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "40"]);
    let points: Vec<String> = points(&dir, Energy::Electricity).into_iter().take(8).collect();
    assert_eq!(points.len(), 8, "the demo has 8 electricity points among its first 40");
    let mut csv = String::new();
    let mut rows: Vec<(String, String, i64)> = Vec::new();
    for ean in &points {
        let text = lines(ean, Channel::ElectricityOfftake, d(2025, 6, 1), d(2026, 5, 31));
        for line in text.lines() {
            let mut fields = line.split(',');
            let (e, _, start, value) =
                (fields.next(), fields.next(), fields.next(), fields.next().and_then(|v| v.parse().ok()));
            rows.push((e.expect("ean").to_owned(), start.expect("start").to_owned(), value.expect("value")));
        }
        csv.push_str(&text);
    }
    std::fs::write(dir.file("year.csv"), &csv).expect("write");
    let args = ["import", "readings", "year.csv", "--batch-rows", "5000"];
    let (mut import, _stdout) = crate::harness::start(&dir, &args, &[]);
    let mut committed = 0u64;
    for _ in 0..3 {
        let line = import.line_with("committed lines");
        let last = line.split('–').nth(1).and_then(|rest| rest.split(':').next()).expect("a range");
        committed = last.parse().expect("a line number");
    }
    import.child.kill().expect("SIGKILL");
    import.child.wait().expect("reaped");
    assert!(committed >= 15_000 && (committed as usize) < rows.len(), "killed midway: {committed}");

    // Every row of a reported batch is there, with its value.
    let mut held: HashMap<(String, String), Option<i64>> = HashMap::new();
    for ean in &points {
        let view = consumption(&dir, ean, "2025-06-01", "2026-05-31", "15m");
        for v in view["channels"][0]["values"].as_array().into_iter().flatten() {
            held.insert((ean.clone(), v["start"].as_str().expect("start").to_owned()), v["wh"].as_i64());
        }
    }
    for (ean, start, value) in &rows[..committed as usize] {
        assert_eq!(held.get(&(ean.clone(), start.clone())), Some(&Some(*value)), "{ean} {start}");
    }

    // Again: completes the file; a third time: nothing to write.
    let out = dir.ok(&["import", "readings", "year.csv", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(report["accepted"].as_u64(), Some(rows.len() as u64));
    assert!(report["days_unchanged"].as_u64().expect("count") > 0, "{report}");
    let out = dir.ok(&["import", "readings", "year.csv", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(report["days_written"], 0, "{report}");
    let view = consumption(&dir, &points[7], "2025-06-01", "2026-05-31", "15m");
    assert_eq!(values(&view), 364 * 96, "the whole year of the last point: {}", values(&view));
}

/// The route and index-reading commands: bad input exits 2 naming the flag, and writes
/// nothing; a planned route is what the reader then sees (R9).
#[test]
fn route_and_index_commands_name_the_bad_flag_and_write_nothing() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "40"]);
    let power = points(&dir, Energy::Electricity)[1].clone();
    let staff = ["--as", "staff-marc:metering_staff"];
    let route = |dir: &Workdir| -> usize {
        let out = dir.ok(&["--as", "staff-rita:meter_reader", "metering", "route", "--json"]);
        let view: serde_json::Value = serde_json::from_str(&out).expect("json");
        view["stops"].as_array().expect("stops").len()
    };
    let before = route(&dir);
    for (args, flag) in [
        (
            vec![
                "metering",
                "assign",
                "--reader",
                "staff-rita",
                "--from",
                "soon",
                "--to",
                "2030-01-01",
                &power,
            ],
            "--from",
        ),
        (
            vec![
                "metering",
                "assign",
                "--reader",
                "staff-rita",
                "--from",
                "2020-01-01",
                "--to",
                "2030-01-01",
                "12345",
            ],
            "ean",
        ),
        (
            vec![
                "metering",
                "assign",
                "--reader",
                "Not A Slug",
                "--from",
                "2020-01-01",
                "--to",
                "2030-01-01",
                &power,
            ],
            "--reader",
        ),
        (
            vec![
                "metering",
                "assign",
                "--reader",
                "sup-ardenne",
                "--from",
                "2020-01-01",
                "--to",
                "2030-01-01",
                &power,
            ],
            "reader",
        ),
        (
            vec![
                "metering",
                "assign",
                "--reader",
                "staff-rita",
                "--from",
                "2030-01-02",
                "--to",
                "2030-01-01",
                &power,
            ],
            "to",
        ),
        (vec!["metering", "readings", &power, "--from", "2025-13-01", "--to", "2026-01-01"], "--from"),
    ] {
        let out = dir.run(&[&staff[..], &args[..]].concat());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?} names {flag}: {stderr}");
    }
    assert_eq!(route(&dir), before, "nothing was put on the route");
    // A reader does not plan routes (exit 4, journaled).
    let out = dir.run(&[
        "--as",
        "staff-rita:meter_reader",
        "metering",
        "assign",
        "--reader",
        "staff-rita",
        "--from",
        "2020-01-01",
        "--to",
        "2030-01-01",
        &power,
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(route(&dir), before);
}

/// `cloison import index-readings`: the good rows of a file land, each bad one is named by
/// its line and field, and importing the good rows again changes nothing.
#[test]
fn index_readings_are_imported_from_a_file() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "40"]);
    let now = jiff::Timestamp::now();
    let tomorrow = domain::period::local_day(now).tomorrow().expect("a day").to_string();
    let readings = |ean: &str| -> Vec<serde_json::Value> {
        let args = [
            "--as",
            "staff-marc:metering_staff",
            "metering",
            "readings",
            ean,
            "--from",
            "2020-01-01",
            "--to",
            &tomorrow,
            "--json",
        ];
        dir.json(&args)["readings"].as_array().cloned().unwrap_or_default()
    };
    let (ean, last) = points(&dir, Energy::Electricity)
        .into_iter()
        .find_map(|ean| readings(&ean).last().cloned().map(|last| (ean, last)))
        .expect("a demo point with index readings");
    let at: jiff::Timestamp = last["at"].as_str().expect("at").parse().expect("an instant");
    let new_at = at + jiff::SignedDuration::from_secs(now.duration_since(at).as_secs() / 2);
    let value: f64 = last["value"].as_str().expect("value").parse().expect("a number");
    let register = last["register"].as_str().expect("register");
    let good = format!("{ean},{register},{:.3},{new_at},customer_card,,\n", value + 40.0);
    let header = "ean,register,value,at,source,reader,calorific_value\n";
    std::fs::write(
        dir.file("index.csv"),
        format!(
            "{header}{good}{ean},{register},forty,{new_at},customer_card,,\n\
             541448000000000001,{register},1.000,{new_at},customer_card,,\n\
             {ean},{register}\n"
        ),
    )
    .expect("write");
    let before = readings(&ean).len();
    let out =
        dir.run(&["--as", "staff-marc:metering_staff", "import", "index-readings", "index.csv", "--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!((report["rows"].as_u64(), report["written"].as_u64()), (Some(4), Some(1)), "{report}");
    let refused: Vec<(u64, &str)> = report["refused"]
        .as_array()
        .expect("refused")
        .iter()
        .map(|r| (r["line"].as_u64().expect("line"), r["field"].as_str().expect("field")))
        .collect();
    assert_eq!(refused, [(3, "value"), (4, "ean"), (5, "line")], "{report}");
    assert_eq!(readings(&ean).len(), before + 1, "the good row landed");

    std::fs::write(dir.file("again.csv"), format!("{header}{good}")).expect("write");
    let again =
        dir.json(&["--as", "staff-marc:metering_staff", "import", "index-readings", "again.csv", "--json"]);
    assert_eq!((again["written"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(1)), "{again}");
    let out = dir.run(&["--as", "sup-ardenne:supplier", "import", "index-readings", "again.csv"]);
    assert_eq!(out.status.code(), Some(4), "a supplier imports nothing");
    let out = dir.run(&["--as", "staff-marc:metering_staff", "import", "index-readings", "missing.csv"]);
    assert_eq!(out.status.code(), Some(2));
}

/// `cloison bench index` writes what it says it writes, every reading judged and none refused,
/// and refuses a database that already holds its points.
#[test]
fn the_index_benchmark_runs_on_a_database_of_its_own() {
    let dir = Workdir::new();
    dir.ok(&["init"]);
    let out = dir.ok(&["bench", "index", "--points", "3", "--months", "4"]);
    assert!(out.starts_with("3 points × 4 monthly readings: 12 readings"), "{out}");
    assert!(out.contains("one point's 4 readings through the gate"), "{out}");
    let ean = domain::Ean::from_body(54_144_500_000_000_002).expect("body").to_string();
    let shown = dir.json(&[
        "--as",
        "staff-marc:metering_staff",
        "metering",
        "readings",
        &ean,
        "--from",
        "2022-01-01",
        "--to",
        "2022-06-01",
        "--json",
    ]);
    assert_eq!(shown["readings"].as_array().map(Vec::len), Some(4), "{shown}");
    let again = dir.run(&["bench", "index", "--points", "3", "--months", "4"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("a database of its own"));
}
