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

/// A server killed with SIGKILL during a burst of submissions: every scenario it had answered
/// as accepted is there after a restart, a retry under the same key answers the same scenario
/// (none is applied twice), and every accepted scenario's messages are delivered, once each,
/// under ids that do not change between deliveries (I4).
#[test]
fn sigkill_during_a_burst_loses_no_accepted_scenario_and_applies_none_twice() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "200"]);
    let token = dir.json(&[
        "admin",
        "token",
        "create",
        "--party",
        "staff-claire",
        "--role",
        "register_staff",
        "--json",
    ])["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let today =
        jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Europe/Brussels").expect("tz")).date();
    let day = today.checked_add(jiff::Span::new().days(10)).expect("a day").to_string();
    // Every occupied point but the tour's, switched to another supplier, each under its key.
    let suppliers = ["sup-ardenne", "sup-meuse"];
    let requests: Vec<(String, serde_json::Value)> = (20..200u32)
        .flat_map(|i| [domain::Energy::Electricity, domain::Energy::Gas].map(|e| (demo::demo_ean(e, i), e)))
        .filter_map(|(ean, energy)| held(&dir, &ean.to_string()).map(|h| (ean, energy, h)))
        .map(|(ean, energy, (customer, supplier))| {
            let to = if supplier == suppliers[0] { suppliers[1] } else { suppliers[0] };
            let body = serde_json::json!({
                "ean": ean.to_string(), "energy": energy, "effective_day": day, "customer": customer, "initiator": to,
            });
            (format!("crash-{ean}"), body)
        })
        .collect();
    assert!(requests.len() > 100, "enough points: {}", requests.len());
    let serve = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--rate-limit-per-second",
        "100000",
        "--rate-limit-burst",
        "100000",
    ];
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let client = reqwest::Client::new();
    let submit = |base: String, key: String, body: serde_json::Value| {
        let request = client
            .post(format!("{base}/v1/scenarios/supplier_switch"))
            .bearer_auth(&token)
            .header("Idempotency-Key", key)
            .json(&body);
        async move {
            let response = request.send().await.ok()?;
            let status = response.status();
            let answer: serde_json::Value = response.json().await.ok()?;
            Some((status, answer))
        }
    };

    // The burst: every submission at once; the server is killed once a third are answered.
    let (mut server, _stdout) = crate::harness::start(&dir, &serve, &[]);
    let base = server.address("serving the Cloison API on");
    let answered: Vec<(String, String)> = runtime.block_on(async {
        let mut burst = tokio::task::JoinSet::new();
        for (key, body) in requests.clone() {
            let submission = submit(base.clone(), key.clone(), body);
            burst.spawn(async move { (key, submission.await) });
        }
        let mut answered = Vec::new();
        while let Some(done) = burst.join_next().await {
            if let (key, Some((status, answer))) = done.expect("a task") {
                assert_eq!(status, reqwest::StatusCode::CREATED, "{answer}");
                answered.push((key, answer["scenario"]["id"].as_str().expect("an id").to_owned()));
            }
            if answered.len() == requests.len() / 3 {
                server.child.kill().expect("SIGKILL");
            }
        }
        answered
    });
    server.child.wait().expect("reaped");
    assert!(!answered.is_empty(), "some submissions were answered before the kill");
    eprintln!("{} of {} submissions answered before the kill", answered.len(), requests.len());

    // After a restart, every key again: the answered ones answer the same scenario, and
    // every one ends accepted exactly once.
    let (_server, _stdout) = crate::harness::start(&dir, &serve, &[]);
    let base = _server.address("serving the Cloison API on");
    let ids: Vec<String> = runtime.block_on(async {
        let mut ids = Vec::new();
        for (key, body) in &requests {
            let (status, answer) = submit(base.clone(), key.clone(), body.clone()).await.expect("answered");
            assert_eq!(status, reqwest::StatusCode::CREATED, "{key}: {answer}");
            let id = answer["scenario"]["id"].as_str().expect("an id").to_owned();
            if let Some((_, first)) = answered.iter().find(|(k, _)| k == key) {
                assert_eq!(
                    &id, first,
                    "{key}: a retry answers the scenario first accepted, not a second one"
                );
            }
            ids.push(id);
        }
        ids
    });
    let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), requests.len(), "one scenario per request");

    // Every accepted scenario told its initiator once, under ids that stay the same.
    let mut told: Vec<String> = Vec::new();
    let mut message_ids = Vec::new();
    for supplier in suppliers {
        let peek = |dir: &Workdir| {
            dir.json(&[
                "--as",
                "ines:register_staff",
                "messages",
                "peek",
                "--party",
                supplier,
                "--limit",
                "500",
                "--json",
            ])
        };
        let first = peek(&dir);
        let again = peek(&dir);
        let list = |bundle: &serde_json::Value| -> Vec<String> {
            bundle["messages"]
                .as_array()
                .expect("messages")
                .iter()
                .map(|m| m["id"].as_str().expect("id").to_owned())
                .collect()
        };
        assert_eq!(list(&first), list(&again), "{supplier}: delivered again under the same ids");
        message_ids.extend(list(&first));
        for message in first["messages"].as_array().expect("messages") {
            if message["kind"] == "accepted" {
                let body: serde_json::Value =
                    serde_json::from_str(message["body"].as_str().expect("body")).expect("JSON");
                told.push(body["scenario"].as_str().expect("scenario").to_owned());
            }
        }
    }
    told.sort();
    let mut expected: Vec<String> = ids.clone();
    expected.sort();
    let told_here: Vec<String> = told.into_iter().filter(|id| expected.binary_search(id).is_ok()).collect();
    assert_eq!(told_here, expected, "each accepted scenario's initiator is told once");
    let unique: std::collections::BTreeSet<&String> = message_ids.iter().collect();
    assert_eq!(unique.len(), message_ids.len(), "message ids are unique");
}
