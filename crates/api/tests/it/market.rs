//! The market over real HTTP: submissions with idempotency keys, scenarios visible to their
//! initiator only, queues with receipts, acknowledgements, and bad input named field by field
//! with no 5xx (R1, R2, R7, I5).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::*;
use crate::over_http;

fn today_plus(days: i32) -> String {
    app::market_today().checked_add(jiff::Span::new().days(days)).expect("a day").to_string()
}

fn switch_body(days: i32, customer: &str) -> Value {
    json!({ "ean": ean(1).to_string(), "energy": "electricity", "effective_day": today_plus(days), "customer": customer })
}

fn parsed(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

async fn a_switch_over_http(s: &Server) {
    let key = [("Idempotency-Key", "switch-1")];
    let path = "/v1/scenarios/supplier_switch";
    let body = switch_body(10, "nu-y");
    let (status, first) = s.send(Method::POST, Some("supplier_c"), path, Some(&body), &key).await;
    assert_eq!(status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&first));
    let answer = parsed(&first);
    assert_eq!(answer["outcome"], "accepted");
    let id = answer["scenario"]["id"].as_str().expect("an id").to_owned();
    assert_eq!(id.len(), 32, "a random 128-bit id");

    // A retry answers the first answer, byte for byte; the same key for another request is
    // refused with its own code.
    let (status, replay) = s.send(Method::POST, Some("supplier_c"), path, Some(&body), &key).await;
    assert_eq!((status, replay.as_slice()), (StatusCode::CREATED, first.as_slice()));
    let other = switch_body(11, "nu-y");
    let (status, reused) = s.send(Method::POST, Some("supplier_c"), path, Some(&other), &key).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(parsed(&reused)["code"], "idempotency_key_reused");

    // The initiator and the DSO see it; the supplier losing the point, the auditor and a guess
    // get one and the same 404.
    let show = format!("/v1/scenarios/{id}");
    for (caller, expected) in [
        ("supplier_c", StatusCode::OK),
        ("register_staff", StatusCode::OK),
        ("supplier_b", StatusCode::NOT_FOUND),
        ("auditor", StatusCode::NOT_FOUND),
    ] {
        let (status, _) = s.get(Some(caller), &show).await;
        assert_eq!(status, expected, "{caller}");
    }
    let (_, theirs) = s.get(Some("supplier_b"), &show).await;
    let (_, none) = s.get(Some("supplier_b"), "/v1/scenarios/0123456789abcdef0123456789abcdef").await;
    assert_eq!(theirs, none, "someone else's scenario answers as one that does not exist (I5)");

    // The losing supplier's queue: the loss and its day, with a receipt over exactly the body.
    let (status, bytes) = s.send(Method::GET, Some("supplier_b"), "/v1/messages/peek", None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
    let bundle = parsed(&bytes);
    let message = &bundle["messages"][0];
    assert_eq!(message["kind"], "point_lost");
    let entry = hex::decode(message["receipt"]["entry"].as_str().expect("entry")).expect("hex");
    let entry = journal::Entry::decode(&entry).expect("an entry");
    let body = message["body"].as_str().expect("body");
    assert_eq!(entry.data_digest, Some(journal::Hash::digest(body.as_bytes())));
    assert!(!body.contains("sup-c"), "the loser is not told who won: {body}");
    // A party with nothing queued gets 204; nobody acknowledges another's message.
    let (status, _) = s.send(Method::GET, Some("supplier_a"), "/v1/messages/peek", None, &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let ack = format!("/v1/messages/{}", message["id"].as_str().expect("id"));
    let (status, _) = s.send(Method::DELETE, Some("supplier_a"), &ack, None, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, done) = s.send(Method::DELETE, Some("supplier_b"), &ack, None, &[]).await;
    assert_eq!((status, parsed(&done)["removed"].clone()), (StatusCode::OK, json!(true)));
    let (status, again) = s.send(Method::DELETE, Some("supplier_b"), &ack, None, &[]).await;
    assert_eq!((status, parsed(&again)["removed"].clone()), (StatusCode::OK, json!(false)));

    // The initiator cancels before the day.
    let cancel = format!("/v1/scenarios/{id}/cancel");
    let (status, _) = s.send(Method::POST, Some("supplier_b"), &cancel, None, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not the initiator's: not visible");
    let (status, cancelled) = s.send(Method::POST, Some("supplier_c"), &cancel, None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(parsed(&cancelled)["scenario"]["status"], "cancelled");
    let (status, twice) = s.send(Method::POST, Some("supplier_c"), &cancel, None, &[]).await;
    assert_eq!(
        (status, parsed(&twice)["code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("invalid_transition"))
    );
}
over_http!(switch_over_http, a_switch_over_http);

async fn market_refusals_are_422_with_the_markets_code(s: &Server) {
    let path = "/v1/scenarios/supplier_switch";
    let (status, bytes) =
        s.send(Method::POST, Some("supplier_c"), path, Some(&switch_body(10, "nu-x")), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let refused = parsed(&bytes);
    assert_eq!(
        (refused["code"].as_str(), refused["field"].as_str()),
        (Some("customer_mismatch"), Some("customer"))
    );
    let (status, bytes) =
        s.send(Method::POST, Some("supplier_b"), path, Some(&switch_body(10, "nu-y")), &[]).await;
    assert_eq!(
        (status, parsed(&bytes)["code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("already_the_supplier"))
    );
    // Roles outside the market are refused by the policies.
    for caller in ["auditor", "customer_x", "support", "call_center"] {
        let (status, _) = s.send(Method::POST, Some(caller), path, Some(&switch_body(10, "nu-y")), &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{caller}");
    }
    let (status, _) = s.send(Method::POST, None, path, Some(&switch_body(10, "nu-y")), &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
over_http!(market_refusals, market_refusals_are_422_with_the_markets_code);

async fn bad_input_is_400_naming_the_field(s: &Server) {
    let ean = ean(1).to_string();
    let day = today_plus(10);
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("rectification", switch_body(10, "nu-y"), "invalid_kind", "kind"),
        ("teleport", switch_body(10, "nu-y"), "invalid_kind", "kind"),
        ("supplier_switch", json!("not an object"), "invalid_body", "body"),
        (
            "supplier_switch",
            json!({ "ean": ean, "energy": "electricity", "effective_day": day }),
            "invalid_body",
            "customer",
        ),
        (
            "supplier_switch",
            json!({ "ean": "12345", "energy": "electricity", "effective_day": day, "customer": "nu-y" }),
            "invalid_ean",
            "ean",
        ),
        (
            "supplier_switch",
            json!({ "ean": ean, "energy": "steam", "effective_day": day, "customer": "nu-y" }),
            "invalid_body",
            "body",
        ),
        (
            "supplier_switch",
            json!({ "ean": ean, "energy": "electricity", "effective_day": "2025-02-30", "customer": "nu-y" }),
            "invalid_day",
            "effective_day",
        ),
        (
            "supplier_switch",
            json!({ "ean": ean, "energy": "electricity", "effective_day": day, "customer": "Nu Y" }),
            "invalid_body",
            "customer",
        ),
        (
            "supplier_switch",
            json!({ "ean": ean, "energy": "electricity", "effective_day": day, "customer": "nu-y", "price": 1 }),
            "invalid_body",
            "price",
        ),
        (
            "end_of_contract",
            json!({ "ean": ean, "energy": "electricity", "effective_day": day, "customer": "nu-y" }),
            "invalid_body",
            "customer",
        ),
        (
            "move_in",
            json!({ "ean": ean, "energy": "electricity", "effective_day": day, "customer": "nu-z" }),
            "invalid_body",
            "shipping_address",
        ),
        (
            "move_in",
            json!({ "ean": ean, "energy": "electricity", "effective_day": day, "customer": "nu-z",
            "shipping_address": { "street": "Rue", "number": "1", "postal_code": "99999", "municipality": "Namur" } }),
            "invalid_body",
            "shipping_address",
        ),
    ];
    for (kind, body, code, field) in cases {
        let path = format!("/v1/scenarios/{kind}");
        let (status, bytes) = s.send(Method::POST, Some("supplier_c"), &path, Some(&body), &[]).await;
        let answer = parsed(&bytes);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{kind} {body}: {answer}");
        assert_eq!(answer["code"], code, "{kind} {body}: {answer}");
        assert!(
            answer["message"].as_str().is_some_and(|m| m.contains(field)),
            "{kind} {body}: names {field}: {answer}"
        );
    }
    let (status, bytes) = s
        .send(
            Method::POST,
            Some("supplier_c"),
            "/v1/scenarios/supplier_switch",
            Some(&switch_body(10, "nu-y")),
            &[("Idempotency-Key", "")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(&bytes));
    let (status, _) = s.send(Method::GET, Some("supplier_c"), "/v1/messages/peek?limit=0", None, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = s.send(Method::GET, Some("supplier_c"), "/v1/messages/peek?limit=x", None, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = s.send(Method::DELETE, Some("supplier_c"), "/v1/messages/%FF%FE", None, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = s.send(Method::GET, Some("support"), "/v1/messages/peek", None, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "support has no queue");
    // Nothing of it was written: no scenario was accepted, so the point's supplier was told
    // nothing, and no message was acknowledged.
    let (status, _) = s.send(Method::GET, Some("supplier_b"), "/v1/messages/peek", None, &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "a refused request queues no message");
}
over_http!(bad_input, bad_input_is_400_naming_the_field);
