//! The contact center over real HTTP (R12): no interaction, directory look-up, case,
//! transfer or report crosses principals; configurations that would route across principals,
//! share an entry point or give incompatible skills are refused with the reason, and nothing
//! is half-loaded.

use std::collections::{BTreeMap, BTreeSet};

use app::{Actor, Role};
use domain::PartyKind;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::*;
use crate::over_http;

fn system() -> Actor {
    Actor { party: "cloison-test".parse().expect("id"), role: Role::System, session: "t".into() }
}

/// Staff parties with a token each, in `role`.
async fn tokens(s: &Server, parties: &[(&str, Role)]) -> BTreeMap<String, String> {
    let changes = parties
        .iter()
        .map(|(id, _)| (t(0), domain::Change::PutParty(party(id, PartyKind::Staff, "Staff Member"))))
        .collect();
    s.app.register_apply(&system(), changes).await.expect("parties");
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    let mut out = BTreeMap::new();
    for (id, role) in parties {
        let token = s.app.create_token(&system(), id, *role, expires).await.expect("token").secret;
        out.insert((*id).to_owned(), token);
    }
    out
}

const CONFIG: &str = r#"
[[principal]]
id = "dso"
name = "Grid operator"
kind = "dso"
default_queue = "dso-general"
back_offices = ["dso-back"]
[[principal.entry_point]]
channel = "call"
address = "+3278000001"
[[principal.queue]]
id = "dso-general"
skills = ["general"]
[[principal.queue]]
id = "dso-back"
skills = ["back-office"]
[[principal.rule]]
id = "outage"
when = 'ivr = "outage"'
to = ["dso-general"]
[[principal.operator]]
party = "cc-dso"
skills = ["general"]
[[principal.operator]]
party = "cc-boss"
skills = ["general", "supervisor", "back-office"]
[[principal.procedure]]
id = "complaint"
name = "Complaint"
steps = ["record", "investigate", "answer"]

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
[[principal.operator]]
party = "cc-sup"
skills = ["general", "supervisor"]
[[principal.procedure]]
id = "complaint"
name = "Complaint"
steps = ["record"]
"#;

/// A configuration with `fault` spliced in, and what the refusal must say.
fn faulty() -> Vec<(String, &'static [&'static str])> {
    vec![
        (
            CONFIG.replace(r#"to = ["dso-general"]"#, r#"to = ["a-general"]"#),
            &["cross_principal_route", "outage", "dso", "sup-a"],
        ),
        (CONFIG.replace("+3278000002", "+3278000001"), &["shared_entry_point", "dso", "sup-a"]),
        (
            CONFIG.replace(r#"party = "cc-sup""#, r#"party = "cc-dso""#),
            &["incompatible_skills", "cc-dso", "dso", "supplier"],
        ),
        (CONFIG.replace(r#"'ivr = "outage"'"#, r#"'ivr = = "outage"'"#), &["bad_expression", "column"]),
        (CONFIG.replace("+3278000002", "078 00 00 02"), &["not_e164"]),
        (CONFIG.replace("default_queue = \"a-general\"", "default_queu = \"a-general\""), &["line"]),
    ]
}

async fn contact_over_http(s: &Server) {
    let tokens = tokens(
        s,
        &[
            ("cc-dso", Role::CallCenter),
            ("cc-boss", Role::CallCenter),
            ("cc-sup", Role::CallCenter),
            ("staff-ops", Role::Support),
            ("staff-audit", Role::Auditor),
        ],
    )
    .await;
    let (dso, boss, sup, ops, audit) = (
        &tokens["cc-dso"],
        &tokens["cc-boss"],
        &tokens["cc-sup"],
        &tokens["staff-ops"],
        &tokens["staff-audit"],
    );

    // Refused configurations: the reason named, nothing loaded.
    for (text, says) in faulty() {
        let (status, answer) = s.post_as(ops, "/v1/contact/config", &json!({ "config": text })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        for word in says {
            assert!(answer["message"].as_str().unwrap_or_default().contains(word), "{word}: {answer}");
        }
    }
    let (status, answer) = s.get_as(ops, "/v1/contact/config").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "nothing half-loaded: {answer}");
    assert!(answer.to_string().contains("not_configured"), "{answer}");
    // An operator does not configure the center.
    let (status, _) = s.post_as(dso, "/v1/contact/config", &json!({ "config": CONFIG })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, answer) = s.post_as(ops, "/v1/contact/config", &json!({ "config": CONFIG })).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["version"], 1);

    // The same number in both directories, under each principal's own reference.
    let load = |principal: &str, entries: Value| json!({ "principal": principal, "entries": entries });
    let (status, answer) = s
        .post_as(
            boss,
            "/v1/contact/directory",
            &load(
                "dso",
                json!([
                    {"customer": "d-1", "number": "+32471000001", "name": "Alice Grid"},
                    {"customer": "d-2", "number": "0471 00 00 02", "name": "Bob Grid"}
                ]),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["message"].as_str().unwrap_or_default().contains("line 2"), "{answer}");
    let (status, answer) = s
        .post_as(
            boss,
            "/v1/contact/directory",
            &load("dso", json!([{"customer": "d-1", "number": "+32471000001", "name": "Alice Grid"}])),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["added"], 1, "the refused load added nothing: {answer}");
    // A supervisor of one principal loads nothing into another's directory.
    let sup_a = load("sup-a", json!([{"customer": "a-1", "number": "+32471000001", "name": "Alice Supply"}]));
    let (status, _) = s.post_as(boss, "/v1/contact/directory", &sup_a).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s.post_as(sup, "/v1/contact/directory", &sup_a).await;
    assert_eq!(status, StatusCode::OK);

    // Screen pop: the entry point picks the directory; exact numbers only.
    let pop = |entry: &str, caller: &str| json!({"channel": "call", "entry": entry, "caller": caller});
    let (status, screen) =
        s.post_as(dso, "/v1/contact/screen-pop", &pop("+3278000001", "+32471000001")).await;
    assert_eq!(status, StatusCode::OK, "{screen}");
    assert_eq!(screen["principal"], "dso");
    assert_eq!(screen["customers"].as_array().map(Vec::len), Some(1));
    assert_eq!(screen["customers"][0]["customer"], "d-1");
    assert_eq!(screen["customers"][0]["name"], "Alice Grid");
    let (status, screen) =
        s.post_as(sup, "/v1/contact/screen-pop", &pop("+3278000002", "+32471000001")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(screen["customers"][0]["customer"], "a-1");
    assert_eq!(screen["customers"][0]["name"], "Alice Supply");
    let (status, _) = s.post_as(dso, "/v1/contact/screen-pop", &pop("+3278000002", "+32471000001")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an operator of the DSO never pops a supplier's directory");
    let (status, screen) = s.post_as(dso, "/v1/contact/screen-pop", &pop("+3278000001", "+471000001")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(screen["customers"], json!([]), "a suffix never matches: {screen}");
    for (entry, caller, says) in
        [("+3278000009", "+32471000001", "unknown_entry_point"), ("+3278000001", "0471000001", "not_e164")]
    {
        let (status, answer) = s.post_as(dso, "/v1/contact/screen-pop", &pop(entry, caller)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(answer.to_string().contains(says), "{answer}");
    }

    // Routing, the interaction's history, transfers within the principal only.
    let new = json!({"channel": "call", "entry": "+3278000001", "caller": "+32471000001",
        "attributes": {"ivr": "outage"}, "available": ["cc-dso", "cc-sup"]});
    let (status, _) = s.post_as(sup, "/v1/contact/interactions", &new).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, routed) = s.post_as(dso, "/v1/contact/interactions", &new).await;
    assert_eq!(status, StatusCode::CREATED, "{routed}");
    let interaction = &routed["interaction"];
    assert_eq!(interaction["principal"], "dso");
    assert_eq!(interaction["rule"], "outage");
    assert_eq!(interaction["operator"], "cc-dso", "cc-sup is free but serves another principal");
    assert_eq!(interaction["customer"], "d-1");
    assert!(!routed.to_string().contains("+32471000001"), "references, not the number: {routed}");
    let id = interaction["id"].as_str().expect("an id").to_owned();
    let path = format!("/v1/contact/interactions/{id}");
    let (status, _) = s.get_as(sup, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another principal's interaction does not exist for cc-sup");
    let events = format!("{path}/events");
    let (status, _) = s.post_as(sup, &events, &json!({"kind": "answered"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, answer) = s.post_as(dso, &events, &json!({"kind": "ended"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer.to_string().contains("out_of_order"), "{answer}");
    let (status, _) = s.post_as(dso, &events, &json!({"kind": "answered"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) =
        s.post_as(dso, &events, &json!({"kind": "transferred", "queue": "a-general"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer.to_string().contains("cross_principal_transfer"), "{answer}");
    let (status, after) = s.post_as(dso, &events, &json!({"kind": "transferred", "queue": "dso-back"})).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["customer"], "d-1", "the back office gets the context, no second identification");
    let (status, after) = s.post_as(boss, &events, &json!({"kind": "ended", "wrap_seconds": 20})).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["state"], "ended");

    // Cases: a customer of the principal's directory, the principal's procedure.
    let case = |principal: &str, customer: &str| json!({"principal": principal, "customer": customer, "procedure": "complaint"});
    let (status, answer) = s.post_as(dso, "/v1/contact/cases", &case("dso", "a-1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a-1 is in another directory: {answer}");
    assert!(answer.to_string().contains("unknown_customer"), "{answer}");
    let (status, _) = s.post_as(sup, "/v1/contact/cases", &case("dso", "d-1")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, opened) = s.post_as(dso, "/v1/contact/cases", &case("dso", "d-1")).await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let case_id = opened["id"].as_str().expect("an id").to_owned();
    let steps = format!("/v1/contact/cases/{case_id}/steps");
    let (status, _) = s.post_as(sup, &steps, &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, screen) =
        s.post_as(dso, "/v1/contact/screen-pop", &pop("+3278000001", "+32471000001")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(screen["customers"][0]["open_cases"][0]["id"], case_id.as_str());
    for expected in ["open", "open", "closed"] {
        let (status, step) = s.post_as(dso, &steps, &json!({})).await;
        assert_eq!(status, StatusCode::OK, "{step}");
        assert_eq!(step["state"], expected);
    }
    let (status, answer) = s.post_as(dso, &steps, &json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer.to_string().contains("case_closed"), "{answer}");
    let (status, cases) = s.get_as(sup, "/v1/contact/cases?principal=dso&customer=d-1").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{cases}");

    // Bad input names its field and writes nothing: the report below counts the one
    // interaction routed above, and no case but the one opened.
    let bad_input: [(&str, Value, &str); 10] = [
        ("/v1/contact/interactions", json!({"channel": "fax", "entry": "+3278000001"}), "channel"),
        (
            "/v1/contact/interactions",
            json!({"channel": "call", "entry": "+3278000009"}),
            "unknown_entry_point",
        ),
        (
            "/v1/contact/interactions",
            json!({"channel": "call", "entry": "+3278000001", "caller": "0471"}),
            "caller",
        ),
        (
            "/v1/contact/interactions",
            json!({"channel": "call", "entry": "+3278000001", "colour": "red"}),
            "colour",
        ),
        (&events, json!({"kind": "teleported"}), "unknown_event"),
        (&events, json!({"kind": "transferred"}), "missing_queue"),
        (
            "/v1/contact/cases",
            json!({"principal": "dso", "customer": "d-1", "procedure": "refund"}),
            "unknown_procedure",
        ),
        (
            "/v1/contact/cases",
            json!({"principal": "nowhere", "customer": "d-1", "procedure": "complaint"}),
            "unknown_principal",
        ),
        (
            "/v1/contact/directory",
            json!({"principal": "dso", "entries": [{"customer": "", "number": "+32471000009", "name": "X"}]}),
            "customer",
        ),
        (
            "/v1/contact/shifts",
            json!({"principal": "dso", "from": "soon", "until": "2026-01-01T09:00:00Z"}),
            "from",
        ),
    ];
    for (path, body, says) in bad_input {
        let (status, answer) = s.post_as(dso, path, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}: {answer}");
        assert!(answer["message"].as_str().unwrap_or_default().contains(says), "{says}: {answer}");
    }
    let (status, screen) =
        s.post_as(dso, "/v1/contact/screen-pop", &pop("+3278000001", "+32471000009")).await;
    assert_eq!((status, screen["customers"].clone()), (StatusCode::OK, json!([])), "nothing was added");
    for query in [
        "?from=2000-01-01T00:00:00Z",
        "?from=yesterday&until=2100-01-01T00:00:00Z",
        "?from=2100-01-01T00:00:00Z&until=2000-01-01T00:00:00Z",
    ] {
        let (status, answer) = s.get_as(boss, &format!("/v1/contact/reports/dso{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {answer}");
    }
    let (status, cases) = s.get_as(dso, "/v1/contact/cases?principal=dso&customer=d-1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cases.as_array().map(Vec::len), Some(1), "one case, the refused ones not written: {cases}");

    // Shifts: an operator records their own, for a principal they serve, once ended.
    let shift = |principal: &str, from: &str, until: &str| json!({"principal": principal, "from": from, "until": until});
    let (status, answer) = s
        .post_as(dso, "/v1/contact/shifts", &shift("dso", "2026-01-01T10:00:00Z", "2026-01-01T09:00:00Z"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer.to_string().contains("empty_period"), "{answer}");
    let (status, answer) = s
        .post_as(dso, "/v1/contact/shifts", &shift("dso", "2026-01-01T10:00:00Z", "2999-01-01T09:00:00Z"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer.to_string().contains("in_future"), "{answer}");
    let (status, _) = s
        .post_as(dso, "/v1/contact/shifts", &shift("sup-a", "2026-01-01T08:00:00Z", "2026-01-01T16:00:00Z"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, answer) = s
        .post_as(dso, "/v1/contact/shifts", &shift("dso", "2026-01-01T08:00:00Z", "2026-01-01T16:00:00Z"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["operator"], "cc-dso");

    // Reports: a supervisor sees their principal only; an operator none.
    let period = "?from=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z";
    let (status, report) = s.get_as(boss, &format!("/v1/contact/reports/dso{period}")).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["kpis"]["offered"], 1);
    assert_eq!(report["kpis"]["answered"], 1);
    assert_eq!(report["entry_points"][0]["entry"], "call:+3278000001");
    let cc_dso = report["operators"].as_array().and_then(|o| o.iter().find(|o| o["operator"] == "cc-dso"));
    assert_eq!(cc_dso.map(|o| o["staffed_seconds"].clone()), Some(json!(8 * 3600)), "{report}");
    let (status, _) = s.get_as(boss, &format!("/v1/contact/reports/sup-a{period}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s.get_as(dso, &format!("/v1/contact/reports/dso{period}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, report) = s.get_as(sup, &format!("/v1/contact/reports/sup-a{period}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["kpis"]["offered"], 0, "the DSO's interaction is not in supplier A's report");
    let (status, _) = s.get_as(audit, &format!("/v1/contact/reports/sup-a{period}")).await;
    assert_eq!(status, StatusCode::OK);
}

over_http!(contact, contact_over_http);

/// A random configuration: principals (the first a DSO), each with one entry point, one
/// queue and some operators (an operator may serve several suppliers, never the DSO and a
/// supplier); and a directory per principal in which numbers repeat across principals.
struct Case {
    principals: Vec<String>,
    /// Operator → the principals they serve.
    serves: BTreeMap<String, BTreeSet<usize>>,
    /// Per principal: number → customers.
    directory: Vec<BTreeMap<String, Vec<String>>>,
    config: String,
}

/// Principal `p`'s entry point in case `seed`: each case has its own principals, so their
/// reports count that case's interactions only.
fn entry(seed: u64, p: usize) -> String {
    format!("+3279{seed:03}{p:04}")
}

fn random_case(seed: u64, rng: &mut ChaCha8Rng) -> Case {
    let n = rng.gen_range(2..=4);
    let principals: Vec<String> = (0..n).map(|p| format!("s{seed}-p{p}")).collect();
    let operators: Vec<String> = (0..6).map(|o| format!("op-{o}")).collect();
    let mut serves: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for (o, op) in operators.iter().enumerate() {
        // Every principal has at least one operator; an operator serves the DSO alone or
        // one or more suppliers.
        let set: BTreeSet<usize> = if o < n {
            BTreeSet::from([o])
        } else if rng.gen_bool(0.3) {
            BTreeSet::from([0])
        } else {
            (1..n).filter(|_| rng.gen_bool(0.6)).collect()
        };
        if !set.is_empty() {
            serves.insert(op.clone(), set);
        }
    }
    let mut directory = vec![BTreeMap::<String, Vec<String>>::new(); n];
    for (p, dir) in directory.iter_mut().enumerate() {
        for c in 0..rng.gen_range(1..6) {
            let number = format!("+3247100{:04}", rng.gen_range(0..6));
            dir.entry(number).or_default().push(format!("p{p}-c{c}"));
        }
    }
    let mut config = String::new();
    for (p, id) in principals.iter().enumerate() {
        let kind = if p == 0 { "dso" } else { "supplier" };
        config.push_str(&format!(
            "[[principal]]\nid = \"{id}\"\nname = \"Principal {p}\"\nkind = \"{kind}\"\ndefault_queue = \"{id}-q\"\n\
             [[principal.entry_point]]\nchannel = \"call\"\naddress = \"{}\"\n\
             [[principal.queue]]\nid = \"{id}-q\"\nskills = [\"general\"]\n\
             [[principal.procedure]]\nid = \"case\"\nname = \"A case\"\nsteps = [\"one\", \"two\"]\n",
            entry(seed, p)
        ));
        for (op, set) in &serves {
            if set.contains(&p) {
                config.push_str(&format!(
                    "[[principal.operator]]\nparty = \"{op}\"\nskills = [\"general\", \"supervisor\"]\n"
                ));
            }
        }
    }
    Case { principals, serves, directory, config }
}

/// R12 against a reference model: random configurations and interaction streams (screen
/// pops, routing, answers, transfers to any principal's queue, cases for any directory's
/// customers, reads and reports by every operator), every answer checked against what the
/// model says the caller may see and do. Bounded: a few cases of a
/// few dozen interactions each.
async fn sealed_against_model(s: &Server) {
    const CASES: u64 = 4;
    const STREAM: usize = 24;
    let parties: Vec<(String, Role)> = (0..6)
        .map(|o| (format!("op-{o}"), Role::CallCenter))
        .chain([("staff-ops".to_owned(), Role::Support)])
        .collect();
    let named: Vec<(&str, Role)> = parties.iter().map(|(p, r)| (p.as_str(), *r)).collect();
    let tokens = tokens(s, &named).await;
    for seed in 0..CASES {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let case = random_case(seed, &mut rng);
        let (status, answer) =
            s.post_as(&tokens["staff-ops"], "/v1/contact/config", &json!({ "config": case.config })).await;
        assert_eq!(status, StatusCode::CREATED, "seed {seed}: {answer}");
        for (p, id) in case.principals.iter().enumerate() {
            let loader =
                case.serves.iter().find(|(_, set)| set.contains(&p)).map(|(op, _)| op).expect("an operator");
            let entries: Vec<Value> = case.directory[p]
                .iter()
                .flat_map(|(number, customers)| {
                    customers
                        .iter()
                        .map(move |c| json!({"customer": c, "number": number, "name": format!("Name {c}")}))
                })
                .collect();
            let (status, answer) = s
                .post_as(
                    &tokens[loader],
                    "/v1/contact/directory",
                    &json!({"principal": id, "entries": entries}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "seed {seed}: {answer}");
        }
        let mut offered: BTreeMap<usize, u64> = BTreeMap::new();
        let mut answered: BTreeMap<usize, u64> = BTreeMap::new();
        let mut ids: Vec<(usize, String)> = Vec::new();
        for _ in 0..STREAM {
            let p = rng.gen_range(0..case.principals.len());
            let op = format!("op-{}", rng.gen_range(0..6));
            let caller = format!("+3247100{:04}", rng.gen_range(0..6));
            let member = case.serves.get(&op).is_some_and(|set| set.contains(&p));
            let token = &tokens[&op];
            // Screen pop: exactly the model's customers of this principal, or a refusal.
            let (status, screen) = s
                .post_as(
                    token,
                    "/v1/contact/screen-pop",
                    &json!({"channel": "call", "entry": entry(seed, p), "caller": caller}),
                )
                .await;
            if !member {
                assert_eq!(status, StatusCode::FORBIDDEN, "seed {seed}: {op} popped p{p}");
                continue;
            }
            assert_eq!(status, StatusCode::OK, "seed {seed}: {screen}");
            let mut expected = case.directory[p].get(&caller).cloned().unwrap_or_default();
            expected.sort();
            let found: Vec<String> = screen["customers"]
                .as_array()
                .expect("customers")
                .iter()
                .map(|c| c["customer"].as_str().expect("a reference").to_owned())
                .collect();
            assert_eq!(found, expected, "seed {seed}: p{p} {caller}");
            // Routing: the principal of the entry point, an operator of that principal.
            let available: Vec<String> =
                (0..6).map(|o| format!("op-{o}")).filter(|_| rng.gen_bool(0.7)).collect();
            let (status, routed) = s
                .post_as(
                    token,
                    "/v1/contact/interactions",
                    &json!({"channel": "call", "entry": entry(seed, p), "caller": caller, "available": available}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "seed {seed}: {routed}");
            let interaction = &routed["interaction"];
            assert_eq!(interaction["principal"], case.principals[p].as_str());
            if let Some(chosen) = interaction["operator"].as_str() {
                assert!(case.serves[chosen].contains(&p), "seed {seed}: {chosen} routed for p{p}");
                assert!(available.iter().any(|a| a == chosen));
            }
            match expected.as_slice() {
                [one] => assert_eq!(interaction["customer"], one.as_str()),
                _ => assert_eq!(interaction["customer"], Value::Null),
            }
            *offered.entry(p).or_default() += 1;
            let id = interaction["id"].as_str().expect("an id").to_owned();
            let events = format!("/v1/contact/interactions/{id}/events");
            if rng.gen_bool(0.5) {
                // Answered, then a transfer to a random principal's queue: only its own.
                let (status, _) = s.post_as(token, &events, &json!({"kind": "answered"})).await;
                assert_eq!(status, StatusCode::OK);
                let target = rng.gen_range(0..case.principals.len());
                let queue = format!("{}-q", case.principals[target]);
                let (status, after) =
                    s.post_as(token, &events, &json!({"kind": "transferred", "queue": queue})).await;
                if target == p {
                    assert_eq!(status, StatusCode::OK, "seed {seed}: {after}");
                    assert_eq!(after["customer"], interaction["customer"], "the context goes along");
                } else {
                    assert_eq!(status, StatusCode::BAD_REQUEST, "seed {seed}: transfer p{p} to p{target}");
                    assert!(after.to_string().contains("cross_principal_transfer"), "{after}");
                }
                let (status, _) = s.post_as(token, &events, &json!({"kind": "ended"})).await;
                assert_eq!(status, StatusCode::OK);
                *answered.entry(p).or_default() += 1;
            } else {
                let (status, _) = s.post_as(token, &events, &json!({"kind": "abandoned"})).await;
                assert_eq!(status, StatusCode::OK);
            }
            // A case for a customer of a random directory: only in that customer's own
            // principal, and only by its operators; its steps likewise.
            let owner = rng.gen_range(0..case.principals.len());
            if let Some(customer) = case.directory[owner].values().flatten().next() {
                let (status, opened) = s
                    .post_as(
                        token,
                        "/v1/contact/cases",
                        &json!({"principal": case.principals[p], "customer": customer, "procedure": "case"}),
                    )
                    .await;
                if owner == p {
                    assert_eq!(status, StatusCode::CREATED, "seed {seed}: {opened}");
                    let case_id = opened["id"].as_str().expect("an id");
                    let other = format!("op-{}", rng.gen_range(0..6));
                    let (status, _) = s
                        .post_as(&tokens[&other], &format!("/v1/contact/cases/{case_id}/steps"), &json!({}))
                        .await;
                    let member = case.serves.get(&other).is_some_and(|set| set.contains(&p));
                    let expected = if member { StatusCode::OK } else { StatusCode::NOT_FOUND };
                    assert_eq!(status, expected, "seed {seed}: {other} stepping p{p}'s case");
                } else {
                    assert_eq!(
                        status,
                        StatusCode::BAD_REQUEST,
                        "seed {seed}: p{p} case for p{owner}'s {customer}"
                    );
                    assert!(opened.to_string().contains("unknown_customer"), "{opened}");
                }
            }
            ids.push((p, id));
        }
        // No operator reads another principal's interaction.
        for (p, id) in &ids {
            for (op, set) in &case.serves {
                let (status, _) = s.get_as(&tokens[op], &format!("/v1/contact/interactions/{id}")).await;
                let expected = if set.contains(p) { StatusCode::OK } else { StatusCode::NOT_FOUND };
                assert_eq!(status, expected, "seed {seed}: {op} reading p{p}'s {id}");
            }
        }
        // Each principal's report counts its own interactions, exactly.
        for (p, id) in case.principals.iter().enumerate() {
            let (op, _) = case.serves.iter().find(|(_, set)| set.contains(&p)).expect("an operator");
            let (status, report) = s
                .get_as(
                    &tokens[op],
                    &format!("/v1/contact/reports/{id}?from=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z"),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "seed {seed}: {report}");
            assert_eq!(
                report["kpis"]["offered"],
                offered.get(&p).copied().unwrap_or(0),
                "seed {seed}: {id} {report}"
            );
            let answers = answered.get(&p).copied().unwrap_or(0);
            assert_eq!(report["kpis"]["answered"], answers, "seed {seed}: {id} {report}");
            assert_eq!(report["kpis"]["abandoned"], offered.get(&p).copied().unwrap_or(0) - answers);
            for other in 0..case.principals.len() {
                if other != p && !case.serves[op].contains(&other) {
                    let (status, _) = s
                        .get_as(
                            &tokens[op],
                            &format!(
                                "/v1/contact/reports/{}?from=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z",
                                case.principals[other]
                            ),
                        )
                        .await;
                    assert_eq!(status, StatusCode::FORBIDDEN, "seed {seed}: {op} reading p{other}'s report");
                }
            }
        }
    }
}

over_http!(contact_model, sealed_against_model);
