//! The customer's access log over HTTP (R4, R7): who accessed the data of their access point,
//! inside their own occupancy only.

use app::{Actor, Change, Role};
use domain::{Address, Occupancy, Party, PartyKind, Period};
use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::*;
use crate::over_http;

/// GET `path` with a bearer secret that is not one of the harness's callers.
async fn get_as(s: &Server, secret: &str, path: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", s.base))
        .bearer_auth(secret)
        .send()
        .await
        .expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn system() -> Actor {
    Actor { party: "cloison-test".parse().expect("id"), role: Role::System, session: "t".into() }
}

async fn customer_token(s: &Server, party: &str) -> String {
    let expires = Timestamp::now() + jiff::SignedDuration::from_hours(1);
    s.app.create_token(&system(), party, Role::Customer, expires).await.expect("token").secret
}

fn entries(body: &Value) -> &Vec<Value> {
    body["entries"].as_array().expect("a list of entries")
}

fn time_of(entry: &Value) -> Timestamp {
    entry["time"].as_str().expect("time").parse().expect("RFC 3339")
}

fn accessed_by(body: &Value, role: &str) -> Vec<Value> {
    entries(body).iter().filter(|e| e["accessor"]["role"] == role).cloned().collect()
}

/// R4, R7: Yasmine (occupying access point 1 from hour 150, i.e. now) sees who accessed it while
/// she lived there: the supplier by name, staff as a service, refusals too. She does not see
/// access point 2, the former occupant's reads of his own past, nor anything after she left.
/// Zoé, who moves in after her, sees nothing from before; Xavier, who left in 2023, nothing.
async fn access_log_is_clipped_to_the_occupancy(s: &Server) {
    let yasmine = customer_token(s, "nu-y").await;
    let access_point = |n: u64| format!("/v1/access-points/{}", ean(n));

    // While Yasmine occupies access point 1.
    let (status, _) = s.get(Some("supplier_b"), &access_point(1)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s.get(Some("supplier_c"), &access_point(1)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "supplier C is not registered: refused, and journaled");
    let (status, _) = s.get(Some("register_staff"), &access_point(1)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s.get(Some("call_center"), &access_point(2)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s.get(Some("customer_x"), &format!("{}/history", access_point(1))).await;
    assert_eq!(status, StatusCode::OK, "Xavier reads his own past occupancy");

    // She moves out; Zoé moves in.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let moved = Timestamp::now();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let zoe_party = Party {
        id: "nu-z".parse().expect("id"),
        kind: PartyKind::Person,
        name: "Zoé Lambert".parse().expect("name"),
        phone: None,
        email: None,
    };
    let zoe_moves_in = Occupancy {
        ean: ean(1),
        network_user: "nu-z".parse().expect("id"),
        period: Period::open(moved),
        shipping_address: Address::new("Rue de Fer", "12", None, "5000", "Namur").expect("address"),
    };
    s.app
        .register_apply(
            &system(),
            vec![
                (moved, Change::PutParty(zoe_party)),
                (moved, Change::EndOccupancy { ean: ean(1), at: moved }),
                (moved, Change::RecordOccupancy { occupancy: zoe_moves_in, supersedes: None }),
            ],
        )
        .await
        .expect("move");
    let zoe = customer_token(s, "nu-z").await;
    let (status, _) = s.get(Some("supplier_b"), &access_point(1)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s.get(Some("register_staff"), &access_point(1)).await;
    assert_eq!(status, StatusCode::OK);

    // Yasmine's log: her period only.
    let (status, log) = get_as(s, &yasmine, "/v1/me/access-log").await;
    assert_eq!(status, StatusCode::OK, "{log}");
    assert!(!entries(&log).is_empty());
    for entry in entries(&log) {
        assert_eq!(entry["ean"], ean(1).to_string(), "R4: only her access point: {entry}");
        assert!(time_of(entry) < moved, "R4: nothing after she left: {entry}");
        assert_ne!(entry["accessor"]["party"]["id"], "nu-x", "R4: not the former occupant: {entry}");
    }
    let suppliers = accessed_by(&log, "supplier");
    let named: Vec<(&str, &str, bool)> = suppliers
        .iter()
        .map(|e| {
            (
                e["accessor"]["party"]["id"].as_str().expect("id"),
                e["accessor"]["party"]["name"].as_str().expect("name"),
                e["allowed"].as_bool().expect("allowed"),
            )
        })
        .collect();
    assert_eq!(named, vec![("sup-b", "Supplier B", true), ("sup-c", "Supplier C", false)], "{log}");
    assert_eq!(suppliers[0]["action"], "api.access_point.show");
    assert_eq!(suppliers[0]["purpose"], "api consultation");
    let staff = accessed_by(&log, "register_staff");
    assert_eq!(staff.len(), 1, "{log}");
    assert_eq!(staff[0]["accessor"]["service"], "access register team");
    assert!(staff[0]["accessor"].get("party").is_none(), "R6: a service, not a person: {}", staff[0]);
    let text = log.to_string();
    assert!(!text.contains("staff-reg") && !text.contains("Claire Renard"), "no staff member named: {text}");
    assert!(accessed_by(&log, "call_center").is_empty(), "the call center read another access point");

    // Zoé's log: nothing from before she moved in.
    let (status, log) = get_as(s, &zoe, "/v1/me/access-log").await;
    assert_eq!(status, StatusCode::OK, "{log}");
    for entry in entries(&log) {
        assert!(time_of(entry) >= moved, "R4: nothing before she moved in: {entry}");
    }
    let suppliers = accessed_by(&log, "supplier");
    assert_eq!(suppliers.len(), 1, "only the read after she moved in: {log}");
    assert_eq!(accessed_by(&log, "register_staff").len(), 1, "{log}");
    assert!(!log.to_string().contains("nu-y"), "R4: the former occupant stays unknown: {log}");

    // Xavier left in 2023: every access above happened after.
    let (status, log) = s.get(Some("customer_x"), "/v1/me/access-log").await;
    assert_eq!(status, StatusCode::OK, "{log}");
    assert!(entries(&log).is_empty(), "R4: {log}");
}
over_http!(r4_r7_the_access_log_stays_inside_the_occupancy, access_log_is_clipped_to_the_occupancy);

/// R7, I2: reading the access log is itself journaled; pages follow one another; from and to
/// narrow it; bad parameters are refused, named, and change nothing; only customers have one.
async fn access_log_pages_and_refusals(s: &Server) {
    let yasmine = customer_token(s, "nu-y").await;
    for _ in 0..3 {
        s.get(Some("supplier_b"), &format!("/v1/access-points/{}", ean(1))).await;
    }
    let before = s.journal_size().await;
    let (status, full) = get_as(s, &yasmine, "/v1/me/access-log?limit=1000").await;
    assert_eq!(status, StatusCode::OK, "{full}");
    assert_eq!(s.journal_size().await, before + 1, "I2: the read is journaled");
    let (_, found) =
        s.get(Some("auditor"), &format!("/v1/journal/entries?actor=nu-y&subject={}", ean(1))).await;
    let logged: Vec<&Value> =
        found.as_array().expect("list").iter().filter(|e| e["entry"]["action"] == "api.access_log").collect();
    assert_eq!(logged.len(), 1, "{found}");
    assert_eq!(logged[0]["entry"]["decision"]["allowed"], true);

    // Pages of two, following `next`, give the entries the full page had, in order.
    let full_entries = entries(&full).clone();
    assert!(full_entries.len() > 4, "{full}");
    let mut paged = Vec::new();
    let mut path = "/v1/me/access-log?limit=2".to_owned();
    loop {
        let (status, page) = get_as(s, &yasmine, &path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let shown: Vec<Value> = entries(&page)
            .iter()
            .filter(|e| time_of(e) <= time_of(full_entries.last().expect("one")))
            .cloned()
            .collect();
        paged.extend(shown);
        match page["next"].as_u64() {
            Some(next) if paged.len() < full_entries.len() => {
                path = format!("/v1/me/access-log?limit=2&after={next}")
            }
            _ => break,
        }
    }
    assert_eq!(paged, full_entries);

    // `from` after every entry so far leaves none of them.
    let last = time_of(full_entries.last().expect("one"));
    let after_last = (last + jiff::SignedDuration::from_micros(1)).to_string();
    let (status, narrowed) = get_as(s, &yasmine, &format!("/v1/me/access-log?to={after_last}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(entries(&narrowed), &full_entries);
    let (status, narrowed) =
        get_as(s, &yasmine, &format!("/v1/me/access-log?from={after_last}&to=2999-01-01T00:00:00Z")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!entries(&narrowed).is_empty(), "the reads of the log itself and the audit since");
    assert!(
        entries(&narrowed).iter().all(|e| time_of(e) > last && e["accessor"]["role"] != "supplier"),
        "nothing from before `from`: {narrowed}"
    );

    // Bad input: a JSON error naming the parameter, and nothing journaled.
    let size = s.journal_size().await;
    for (query, code, field) in [
        ("limit=0", "invalid_input", "limit"),
        ("limit=1001", "invalid_input", "limit"),
        ("limit=ten", "invalid_query", "limit"),
        ("after=-1", "invalid_query", "after"),
        ("from=yesterday", "invalid_instant", "from"),
        ("from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z", "invalid_input", "to"),
    ] {
        let (status, body) = get_as(s, &yasmine, &format!("/v1/me/access-log?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["code"], code, "{query}: {body}");
        assert!(body["message"].as_str().expect("message").contains(field), "{query}: {body}");
    }
    assert_eq!(s.journal_size().await, size, "refused input changes nothing");

    // Only customers have an access log; the refusal is journaled, and names no rule's data.
    for caller in ["supplier_b", "register_staff", "auditor", "support"] {
        let (status, body) = s.get(Some(caller), "/v1/me/access-log").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{caller}: {body}");
        assert_eq!(body["code"], "forbidden");
    }
    assert_eq!(s.journal_size().await, size + 4, "each refusal is journaled");
    let (status, body) = s.get(None, "/v1/me/access-log").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}
over_http!(r7_i2_the_access_log_is_journaled_paged_and_refused_to_others, access_log_pages_and_refusals);

/// R4 (F9): writes about another occupant's data, made while the caller lives there, stay out
/// of the caller's log; writes about their own occupancy, and the registrations covering it,
/// are in it. Here the register team corrects Xavier's past occupancy and supplier A's past
/// registration during Yasmine's occupancy.
async fn access_log_shows_writes_about_own_data_only(s: &Server) {
    let history = s.app.register_history(&system(), ean(1)).await.expect("history").into_view();
    let xavier = history.occupancies.iter().find(|r| r.party.id.as_str() == "nu-x").expect("Xavier").id;
    let supplier_a =
        history.registrations.iter().find(|r| r.party.id.as_str() == "sup-a").expect("supplier A").id;
    let xavier_until_140 = Occupancy {
        ean: ean(1),
        network_user: "nu-x".parse().expect("id"),
        period: Period::new(t(0), Some(t(140))).expect("period"),
        shipping_address: Address::new("Rue de Fer", "12", None, "5000", "Namur").expect("address"),
    };
    let supplier_a_until_90 = domain::Registration {
        ean: ean(1),
        supplier: "sup-a".parse().expect("id"),
        period: Period::new(t(0), Some(t(90))).expect("period"),
    };
    s.app
        .register_apply(
            &system(),
            vec![
                (t(160), Change::RecordOccupancy { occupancy: xavier_until_140, supersedes: Some(xavier) }),
                (
                    t(160),
                    Change::RecordRegistration {
                        registration: supplier_a_until_90,
                        supersedes: Some(supplier_a),
                    },
                ),
            ],
        )
        .await
        .expect("corrections");

    let yasmine = customer_token(s, "nu-y").await;
    let (status, log) = get_as(s, &yasmine, "/v1/me/access-log?limit=1000").await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let writes: Vec<&str> = entries(&log)
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|action| Change::is_change_action(action))
        .collect();
    assert_eq!(
        writes,
        vec!["register.occupancy.record", "register.registration.record"],
        "R4: her own occupancy and supplier B's registration over it, nothing about Xavier's \
         record or supplier A's contract with him: {log}"
    );

    // The journal names whom each write is about, for the ethics committee too.
    let (_, found) =
        s.get(Some("auditor"), &format!("/v1/journal/entries?subject={}&limit=1000", ean(1))).await;
    let subjects_of = |action: &str| -> Vec<Vec<String>> {
        found
            .as_array()
            .expect("list")
            .iter()
            .filter(|e| e["entry"]["action"] == action)
            .map(|e| serde_json::from_value(e["entry"]["subjects"].clone()).expect("subjects"))
            .collect()
    };
    let registrations = subjects_of("register.registration.record");
    assert!(registrations.contains(&vec![ean(1).to_string(), "sup-b".into(), "nu-x".into(), "nu-y".into()]));
    assert!(registrations.contains(&vec![ean(1).to_string(), "sup-a".into(), "nu-x".into()]));
}
over_http!(
    r4_f9_the_access_log_leaves_out_writes_about_other_occupants,
    access_log_shows_writes_about_own_data_only
);

/// An `after` too large for a journal index is refused in plain words: the field, the rule and
/// the number the caller sent, not a Rust debug form of it (issue 11, F10).
async fn access_log_after_out_of_range_says_so_plainly(s: &Server) {
    let yasmine = customer_token(s, "nu-y").await;
    let (status, body) = get_as(s, &yasmine, "/v1/me/access-log?after=18446744073709551615").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "invalid_input", "{body}");
    let message = body["message"].as_str().expect("message");
    assert!(message.contains("after") && message.contains("18446744073709551615"), "{message}");
    assert!(!message.contains("Some("), "{message}");
}
over_http!(
    f10_an_out_of_range_after_is_named_without_debug_text,
    access_log_after_out_of_range_says_so_plainly
);
