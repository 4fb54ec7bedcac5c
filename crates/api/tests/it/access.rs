//! Access management and written mandates over real HTTP (R5, R11): a mandate opens exactly
//! its scope and period to the party it names and nothing once revoked; a leaver's token is
//! refused at the first request after the sync.

use app::{Actor, Change, Role, SyncInput};
use domain::PartyKind;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::*;
use crate::over_http;

fn system() -> Actor {
    Actor { party: "cloison-test".parse().expect("id"), role: Role::System, session: "t".into() }
}

fn show(n: u64, h: i64) -> String {
    format!("/v1/access-points/{}?at={}", ean(n), t(h))
}

fn expires() -> jiff::Timestamp {
    jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1)
}

async fn post(s: &Server, caller: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    let (status, bytes) = s.send(Method::POST, Some(caller), path, Some(body), &[]).await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// R5: a third party reads what its mandate names, for its period, until it is revoked.
async fn a_mandate_over_http(s: &Server) {
    let tp = Change::PutParty(party("tp-adv", PartyKind::ThirdParty, "Energy Advisor SRL"));
    s.app.register_apply(&system(), vec![(t(0), tp)]).await.expect("party");
    let token =
        s.app.create_token(&system(), "tp-adv", Role::ThirdParty, expires()).await.expect("token").secret;
    let (status, _) = s.get_as(&token, &show(1, 50)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no mandate, nothing");

    let mandate = json!({
        "customer": "nu-x", "mandated": "tp-adv", "eans": [ean(1).to_string()], "scopes": ["register"],
        "from": t(20).to_string(), "to": t(60).to_string(), "document": "MAND-2026-0042",
    });
    let (status, body) = post(s, "register_staff", "/v1/mandates", &mandate).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["mandate"].as_str().expect("an id").to_owned();

    let (status, body) = s.get_as(&token, &show(1, 50)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["occupant"]["party"]["id"], "nu-x");
    // The occupancy runs to 150: the third party sees it only within the mandate.
    assert_eq!(body["occupant"]["period"]["to"].as_str(), Some(t(60).to_string().as_str()), "{body}");
    for outside in [10, 70, 160] {
        let (status, _) = s.get_as(&token, &show(1, outside)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "hour {outside}");
    }
    // The consumption is another scope.
    let consumption = format!("/v1/access-points/{}/consumption?from=2023-01-02&to=2023-01-03", ean(1));
    let (status, _) = s.get_as(&token, &consumption).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A mandate for a point the customer never occupied is refused, naming the field.
    let bad = json!({
        "customer": "nu-x", "mandated": "tp-adv", "eans": [ean(2).to_string()], "scopes": ["register"],
        "from": t(20).to_string(), "document": "MAND-2026-0043",
    });
    let (status, body) = post(s, "register_staff", "/v1/mandates", &bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().expect("message").starts_with("eans: "), "{body}");
    // Nobody else records one.
    for caller in ["supplier_a", "auditor", "customer_x"] {
        let (status, _) = post(s, caller, "/v1/mandates", &mandate).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{caller}");
    }
    let (status, list) = s.get(Some("auditor"), "/v1/mandates").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().expect("a list").len(), 1, "{list}");

    // Revoked: nothing from the next request on.
    let (status, _) = post(s, "register_staff", &format!("/v1/mandates/{id}/revoke"), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s.get_as(&token, &show(1, 50)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A mandate for the consumption alone opens no register read, in its period or out of it.
    let consumption_only = json!({
        "customer": "nu-x", "mandated": "tp-adv", "eans": [ean(1).to_string()], "scopes": ["consumption"],
        "from": t(20).to_string(), "to": t(60).to_string(), "document": "MAND-2026-0044",
    });
    let (status, body) = post(s, "register_staff", "/v1/mandates", &consumption_only).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for hour in [10, 50, 70] {
        let (status, _) = s.get_as(&token, &show(1, hour)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "hour {hour}");
    }
}
over_http!(mandate, a_mandate_over_http);

/// R11: the token of a person HR says has left is refused at the next request.
async fn a_leavers_token_is_refused_after_the_sync(s: &Server) {
    let header = "employee_id,name,job_code,department,employer,start_date,end_date,status\n";
    let today = domain::period::local_day(jiff::Timestamp::now());
    let extract = |status: &str| SyncInput {
        internal: format!("{header}I-1,Claire Renard,REG-AGENT,Market,ORES,2020-01-01,,{status}\n"),
        external: header.to_owned(),
        today,
        max_removal_percent: 100,
        force: false,
    };
    s.app.sync_staff(&system(), extract("active")).await.expect("joined");
    let token =
        s.app.create_token(&system(), "hr-i-1", Role::RegisterStaff, expires()).await.expect("token").secret;
    let (status, _) = s.get_as(&token, &show(1, 50)).await;
    assert_eq!(status, StatusCode::OK);
    s.app.sync_staff(&system(), extract("left")).await.expect("left");
    let (status, body) = s.get_as(&token, &show(1, 50)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}
over_http!(leaver, a_leavers_token_is_refused_after_the_sync);

async fn post_as(s: &Server, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", s.base))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// R6: access to the register is asked for, approved by the service manager, then effective.
async fn a_request_is_approved_then_effective(s: &Server) {
    let header = "employee_id,name,job_code,department,employer,start_date,end_date,status\n";
    let today = domain::period::local_day(jiff::Timestamp::now());
    let input = SyncInput {
        internal: format!(
            "{header}I-1,Jonas Mertens,MET-VALIDATOR,Market,ORES,2020-01-01,,active\n\
             I-2,Sophie Lambert,REG-LEAD,Market,ORES,2011-02-01,,active\n"
        ),
        external: header.to_owned(),
        today,
        max_removal_percent: 100,
        force: false,
    };
    s.app.sync_staff(&system(), input).await.expect("synced");
    let asker =
        s.app.create_token(&system(), "hr-i-1", Role::MeteringStaff, expires()).await.expect("token").secret;
    let lead =
        s.app.create_token(&system(), "hr-i-2", Role::RegisterStaff, expires()).await.expect("token").secret;
    let until = today.checked_add(jiff::Span::new().days(7)).expect("in range").to_string();
    let (status, request) =
        post_as(s, &asker, "/v1/access-requests", &json!({ "role": "register_staff", "until": until })).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    assert_eq!(request["status"], "pending");
    let id = request["request"].as_str().expect("an id").to_owned();
    let decide = format!("/v1/access-requests/{id}/decision");
    // The asker cannot approve their own request.
    let (status, body) = post_as(s, &asker, &decide, &json!({ "decision": "approve" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = s.get_as(&lead, "/v1/access-requests").await;
    assert_eq!((status, body.as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{body}");
    let (status, body) = post_as(s, &lead, &decide, &json!({ "decision": "approve" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["status"].as_str(), body["approver"].as_str()), (Some("approved"), Some("hr-i-2")));
    let granted =
        s.app.create_token(&system(), "hr-i-1", Role::RegisterStaff, expires()).await.expect("token").secret;
    let (status, _) = s.get_as(&granted, &show(1, 50)).await;
    assert_eq!(status, StatusCode::OK, "effective at once");
}
over_http!(request, a_request_is_approved_then_effective);
