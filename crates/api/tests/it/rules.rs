//! The confidentiality rules over HTTP.

use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::*;
use crate::over_http;

fn at(h: i64) -> String {
    t(h).to_string()
}

fn show(n: u64, h: i64) -> String {
    format!("/v1/access-points/{}?at={}", ean(n), at(h))
}

fn holder(body: &Value, which: &str) -> Option<String> {
    body[which]["party"]["id"].as_str().map(str::to_owned)
}

/// R1 and I3: a supplier sees the access point only inside its registration, clipped to it.
async fn supplier_scope(s: &Server) {
    let (status, body) = s.get(Some("supplier_a"), &show(1, 50)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(holder(&body, "supplier").as_deref(), Some("sup-a"));
    assert_eq!(holder(&body, "occupant").as_deref(), Some("nu-x"));
    // The occupancy runs to 150, but supplier A may see it only until its registration ends.
    assert_eq!(body["occupant"]["period"]["to"].as_str(), Some(at(100).as_str()), "{body}");
    // After its registration: nothing, as if the access point did not exist.
    let (status, _) = s.get(Some("supplier_a"), &show(1, 120)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Supplier B sees from 100 on, and the occupant change at 150.
    let (status, body) = s.get(Some("supplier_b"), &show(1, 160)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(holder(&body, "occupant").as_deref(), Some("nu-y"));
    // History: only A's own period, clipped.
    let (status, body) = s.get(Some("supplier_a"), &format!("/v1/access-points/{}/history", ean(1))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let registrations = body["registrations"].as_array().expect("list");
    assert_eq!(registrations.len(), 1, "{body}");
    assert_eq!(registrations[0]["party"]["id"], "sup-a");
    for occupancy in body["occupancies"].as_array().expect("list") {
        assert_eq!(occupancy["party"]["id"], "nu-x", "nu-y moved in after A's registration: {body}");
        assert_eq!(occupancy["period"]["to"].as_str(), Some(at(100).as_str()));
    }
}
over_http!(r1_supplier_sees_only_its_registration_periods, supplier_scope);

/// R2 and I5: unregistered, unknown, and lacking the right answer alike.
async fn no_oracle(s: &Server) {
    let unregistered = s.raw("supplier_c", &show(1, 50)).await;
    let unknown = s.raw("supplier_c", &show(9, 50)).await;
    let no_right = s.raw("support", &show(1, 50)).await;
    let outside = s.raw("supplier_a", &show(1, 120)).await;
    let mut answers = Vec::new();
    for response in [unregistered, unknown, no_right, outside] {
        let status = response.status();
        let mut headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter(|(name, _)| *name != "date")
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        headers.sort();
        let body = response.text().await.expect("body");
        answers.push((status, headers, body));
    }
    assert_eq!(answers[0].0, StatusCode::NOT_FOUND);
    for other in &answers[1..] {
        assert_eq!(other, &answers[0], "an answer differs, so it tells something");
    }
    // The history endpoint too.
    let a = s.get(Some("supplier_c"), &format!("/v1/access-points/{}/history", ean(1))).await;
    let b = s.get(Some("supplier_c"), &format!("/v1/access-points/{}/history", ean(9))).await;
    assert_eq!(a, b);
}
over_http!(r2_i5_unregistered_unknown_and_forbidden_look_the_same, no_oracle);

/// R4: a customer sees their own occupancy period only.
async fn customer_scope(s: &Server) {
    let (status, body) = s.get(Some("customer_x"), &show(1, 120)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(holder(&body, "supplier").as_deref(), Some("sup-b"));
    let (status, _) = s.get(Some("customer_x"), &show(1, 160)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "after moving out, the access point is someone else's");
    let (_, body) = s.get(Some("customer_x"), &format!("/v1/access-points/{}/history", ean(1))).await;
    let occupants: Vec<&str> = body["occupancies"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|o| o["party"]["id"].as_str())
        .collect();
    assert_eq!(occupants, vec!["nu-x"]);
    let suppliers: Vec<&str> = body["registrations"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|o| o["party"]["id"].as_str())
        .collect();
    assert_eq!(suppliers, vec!["sup-a", "sup-b"]);
    let last = body["registrations"].as_array().expect("list").last().expect("one").clone();
    assert_eq!(last["period"]["to"].as_str(), Some(at(150).as_str()), "B's contract is clipped to X's stay");
    let (status, me) = s.get(Some("customer_x"), "/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["access_points"], serde_json::json!([ean(1).to_string()]));
}
over_http!(r4_customer_sees_only_their_occupancy, customer_scope);

/// R6 and R10: staff by role; support sees the system but no data.
async fn staff_scope(s: &Server) {
    for caller in ["register_staff", "call_center", "auditor"] {
        let (status, body) = s.get(Some(caller), &show(1, 160)).await;
        assert_eq!(status, StatusCode::OK, "{caller}: {body}");
        assert_eq!(holder(&body, "occupant").as_deref(), Some("nu-y"));
        assert_eq!(body["occupant"]["period"]["to"], Value::Null, "{caller} sees the whole period");
    }
    let (status, _) = s.get(Some("support"), &show(1, 160)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = s.get(Some("support"), "/v1/journal/entries").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = s.get(Some("supplier_a"), "/v1/journal/entries").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = s.get(Some("auditor"), &format!("/v1/journal/entries?subject={}", ean(1))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body.as_array().expect("list").is_empty());
    // Support runs the system: health and metrics, which carry no EAN and no party.
    let (status, _) = s.get(None, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let (status, metrics) = s.get(Some("support"), "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let text = metrics.as_str().expect("text").to_owned();
    assert!(text.contains("cloison_http_requests"), "{text}");
    assert!(!text.contains(&ean(1).to_string()) && !text.contains("sup-a"), "no data in metrics");
}
over_http!(r6_r10_staff_by_role_and_support_without_data, staff_scope);

/// I1 and I2: every data request is journaled, allowed or not, before it is answered; no
/// token, no answer.
async fn every_access_is_journaled(s: &Server) {
    let before = s.journal_size().await;
    s.get(Some("supplier_a"), &show(1, 50)).await;
    s.get(Some("supplier_c"), &show(1, 50)).await;
    s.get(Some("support"), &show(9, 50)).await;
    assert_eq!(s.journal_size().await, before + 3);
    let (status, body) = s.get(None, &show(1, 50)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "unauthenticated");
    let (status, body) = s.get(Some("supplier_a"), "/v1/access-points/54144800000000000x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_ean");
    // The journal is public as hashes, and verifies.
    let (status, head) = s.get(None, "/v1/journal/head").await;
    assert_eq!(status, StatusCode::OK);
    let size = head["size"].as_u64().expect("size");
    let (status, proof) = s.get(None, &format!("/v1/journal/proofs/inclusion?index=0&size={size}")).await;
    assert_eq!(status, StatusCode::OK, "{proof}");
    assert_eq!(proof["root"], head["root"]);
    let (status, openapi) = s.get(None, "/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(openapi["paths"]["/v1/access-points/{ean}"].is_object());
}
over_http!(i1_i2_every_access_is_journaled_first, every_access_is_journaled);

/// I2: when the journal cannot be written, the request is refused and nothing is returned.
async fn journal_failure_refuses(s: &Server) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&s.url).await.expect("raw connection");
    let (inject, heal) = if s.url.starts_with("sqlite") {
        (
            "CREATE TRIGGER injected_fault BEFORE INSERT ON journal_entries BEGIN SELECT RAISE(ABORT, 'injected'); END",
            "DROP TRIGGER injected_fault",
        )
    } else {
        (
            "ALTER TABLE journal_entries ADD CONSTRAINT injected_fault CHECK (seq < 0) NOT VALID",
            "ALTER TABLE journal_entries DROP CONSTRAINT injected_fault",
        )
    };
    sqlx::query(inject).execute(&pool).await.expect("inject");
    let (status, body) = s.get(Some("register_staff"), &show(1, 50)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["code"], "internal");
    assert!(
        !body.to_string().contains("nu-x") && !body.to_string().contains("Xavier"),
        "nothing returned: {body}"
    );
    sqlx::query(heal).execute(&pool).await.expect("heal");
    pool.close().await;
    let (status, _) = s.get(Some("register_staff"), &show(1, 50)).await;
    assert_eq!(status, StatusCode::OK, "the door reopens once the journal can be written");
}
over_http!(i2_a_failed_journal_append_refuses_the_request, journal_failure_refuses);

/// The read of an access point checks its token with its data: a token that is not valid is
/// refused as unauthenticated before a malformed parameter is named, as on every route; a
/// valid one gets the parameter's error; and a token revoked through the application (as
/// the command line revokes one) is refused from the next request on.
async fn the_token_is_checked_first_and_revocation_is_immediate(s: &Server) {
    let nobody = "clo_0000000000000000000000000000000000000000000000000000000000000000";
    for path in ["/v1/access-points/54144800000000000x", &format!("/v1/access-points/{}?at=soon", ean(1))] {
        let (status, body) = s.get_as(nobody, path).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthenticated")),
            "{path}"
        );
        let (status, _) = s.get(Some("supplier_a"), path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
    }
    let system =
        app::Actor { party: "cloison".parse().expect("id"), role: app::Role::System, session: "t".into() };
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    let token = s.app.create_token(&system, "sup-a", app::Role::Supplier, expires).await.expect("token");
    let (status, body) = s.get_as(&token.secret, &show(1, 50)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    s.app.revoke_token(&system, &token.token_id).await.expect("revoked");
    let (status, body) = s.get_as(&token.secret, &show(1, 50)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
}
over_http!(
    the_token_is_checked_before_the_parameters_and_revocation_is_immediate,
    the_token_is_checked_first_and_revocation_is_immediate
);
