//! Customer works over real HTTP (R13): the works team captures and moves a request; its
//! requester sees it and only it; a supplier, another customer, the call center and support
//! see no works data at all, a request's id answering as one that does not exist.

use app::{Actor, Role};
use domain::PartyKind;
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::*;
use crate::over_http;

fn system() -> Actor {
    Actor { party: "cloison-test".parse().expect("id"), role: Role::System, session: "t".into() }
}

async fn works_over_http(s: &Server) {
    let staff_party = domain::Change::PutParty(party("staff-wrk", PartyKind::Staff, "Wendy Travaux"));
    s.app.register_apply(&system(), vec![(t(0), staff_party)]).await.expect("party");
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    let staff =
        s.app.create_token(&system(), "staff-wrk", Role::WorksStaff, expires).await.expect("token").secret;
    let capture = json!({
        "kind": "meter_change", "requester": "nu-x", "requester_kind": "customer",
        "fields": {
            "requester_name": "Xavier Dupont", "billing_address": "Rue Basse 1, 4000 Liège",
            "description": "a budget meter", "ean": ean(1).to_string(), "phone": "+32470000001"
        }
    });
    let (status, work) = s.post_as(&staff, "/v1/works", &capture).await;
    assert_eq!(status, StatusCode::CREATED, "{work}");
    let id = work["id"].as_str().expect("an id").to_owned();
    assert_eq!(work["stage"], "captured");

    // Refusals name the field and the rule.
    let mut bad = capture.clone();
    bad["fields"]["national_number"] = json!("85.07.30-033.61");
    for (body, says) in [
        (bad, "not_allowed: national_number"),
        (
            json!({"kind": "teleport", "requester": "nu-x", "requester_kind": "customer", "fields": {}}),
            "unknown_kind",
        ),
        (
            json!({"kind": "removal", "requester": "nu-x", "requester_kind": "alien", "fields": {}}),
            "requester_kind",
        ),
    ] {
        let (status, answer) = s.post_as(&staff, "/v1/works", &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(answer.to_string().contains(says), "{answer}");
    }
    let steps = format!("/v1/works/{id}/steps");
    let (status, answer) = s.post_as(&staff, &steps, &json!({"step": "execute", "fields": {}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer.to_string().contains("not_planned"), "{answer}");
    let (status, answer) =
        s.post_as(&staff, &steps, &json!({"step": "study", "fields": {"iban": "BE68539007547034"}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer.to_string().contains("not_allowed: iban"), "{answer}");
    // Nothing of the refusals was kept: one request, still at its first version.
    let (status, list) = s.get_as(&staff, "/v1/works").await;
    assert_eq!((status, list.as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{list}");
    assert_eq!((&list[0]["version"], &list[0]["stage"]), (&json!(1), &json!("captured")), "{list}");
    assert!(!list.to_string().contains("national_number") && !list.to_string().contains("iban"), "{list}");
    let (status, answer) =
        s.post_as(&staff, &steps, &json!({"step": "study", "fields": {"study_fee_cents": "9000"}})).await;
    assert_eq!((status, &answer["stage"]), (StatusCode::OK, &json!("studied")), "{answer}");

    // The requester sees its request; nobody else sees anything.
    let (status, own) = s.get(Some("customer_x"), "/v1/me/works").await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own.as_array().map(Vec::len), Some(1));
    assert_eq!(own[0]["personal"]["requester_name"], "Xavier Dupont");
    let (status, _) = s.get(Some("customer_x"), &format!("/v1/works/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    for caller in ["supplier_a", "customer_y", "call_center", "support", "register_staff"] {
        let (status, answer) = s.get(Some(caller), &format!("/v1/works/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{caller}: {answer}");
        let (unknown_status, unknown) = s.get(Some(caller), "/v1/works/wrk_0000000000000000").await;
        assert_eq!((unknown_status, &unknown), (status, &answer), "{caller}: the same answer as no request");
        let (status, answer) = s.get(Some(caller), "/v1/works").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{caller}: {answer}");
        let (status, answer) = s.get(Some(caller), "/v1/me/works").await;
        assert!(
            status == StatusCode::FORBIDDEN || answer.as_array().is_some_and(Vec::is_empty),
            "{caller} sees works data: {answer}"
        );
    }
    let (status, _) = s.get_as(&staff, &format!("/v1/works/{id}/asset")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no asset record before closure");
    let (status, list) = s.get_as(&staff, "/v1/works").await;
    assert_eq!((status, list.as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
    let (status, report) = s.post_as(&staff, "/v1/works/retention", &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["purged"], json!([]), "nothing ended, nothing purged");
}

over_http!(works, works_over_http);
