//! The register team's market desk: `cloison market` and `cloison messages` on a small demo,
//! through the same gate as the API, with the market's refusals as exit code 2.

use crate::harness::Workdir;

/// A point of the demo, its occupant and its supplier today, as `register show --json` says.
fn held(dir: &Workdir, ean: &str) -> Option<(String, String)> {
    let out = dir.run(&["register", "show", ean, "--json"]);
    if !out.status.success() {
        return None;
    }
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let occupant = shown["occupant"]["party"]["id"].as_str()?.to_owned();
    let supplier = shown["supplier"]["party"]["id"].as_str()?.to_owned();
    Some((occupant, supplier))
}

#[test]
fn the_desk_enters_follows_and_delivers_a_scenario() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "40"]);
    // The last one: the tour's story leaves scenarios in progress on the first ones.
    let (ean, customer, supplier) = (0..40u64)
        .rev()
        .map(|i| demo::demo_ean(domain::Energy::Electricity, i as u32).to_string())
        .find_map(|ean| held(&dir, &ean).map(|(c, s)| (ean, c, s)))
        .expect("an occupied, supplied point");
    let today =
        jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Europe/Brussels").expect("tz")).date();
    let day = |n: i64| today.checked_add(jiff::Span::new().days(n)).expect("a day").to_string();
    let other = if supplier == "sup-ardenne" { "sup-meuse" } else { "sup-ardenne" };

    // Entered for the new supplier by the register team: accepted, and shown.
    let accepted = dir.json(&[
        "--as",
        "ines:register_staff",
        "market",
        "switch",
        &ean,
        "--day",
        &day(10),
        "--initiator",
        other,
        "--customer",
        &customer,
        "--json",
    ]);
    assert_eq!(accepted["outcome"], "accepted", "{accepted}");
    let id = accepted["scenario"]["id"].as_str().expect("id").to_owned();
    let shown = dir.json(&["--as", &format!("{other}:supplier"), "market", "show", &id, "--json"]);
    assert_eq!(shown["scenario"]["status"], "accepted");
    // The losing supplier may not see it: not found, exit 3.
    let out = dir.run(&["--as", &format!("{supplier}:supplier"), "market", "show", &id]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));

    // A refusal is the market's answer, with its code, and exit 2.
    let out = dir.run(&[
        "--as",
        &format!("{supplier}:supplier"),
        "market",
        "switch",
        &ean,
        "--day",
        &day(12),
        "--customer",
        &customer,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already_the_supplier"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The losing supplier's queue, delivered from the desk: the loss, then acknowledged once.
    let bundle =
        dir.json(&["--as", "ines:register_staff", "messages", "peek", "--party", &supplier, "--json"]);
    let message = &bundle["messages"][0];
    assert_eq!(message["kind"], "point_lost", "{bundle}");
    let message_id = message["id"].as_str().expect("id");
    let acked = dir.ok(&["--as", "ines:register_staff", "messages", "ack", message_id, "--party", &supplier]);
    assert!(acked.contains("acknowledged"), "{acked}");
    let again = dir.ok(&["--as", "ines:register_staff", "messages", "ack", message_id, "--party", &supplier]);
    assert!(again.contains("before"), "{again}");
    // A supplier cannot read another's queue.
    let out = dir.run(&["--as", &format!("{other}:supplier"), "messages", "peek", "--party", &supplier]);
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));

    // Cancelled by the desk for its initiator; a bad day is named.
    let cancelled = dir.json(&["--as", "ines:register_staff", "market", "cancel", &id, "--json"]);
    assert_eq!(cancelled["scenario"]["status"], "cancelled", "{cancelled}");
    let out = dir.run(&[
        "market",
        "end-of-contract",
        &ean,
        "--day",
        "2026-02-30",
        "--initiator",
        supplier.as_str(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--day"));
}
