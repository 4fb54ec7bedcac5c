//! Labels and documents over real HTTP (R4, R8, R10): every answer that passed the gate says
//! how confidential it is and which journal entry records that it was sent, and that entry
//! holds the digest of exactly the bytes received; the consumption history comes back as a
//! labelled file; emergency access is opened by support and reported to the ethics committee.

use app::{Actor, Role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::harness::*;
use crate::over_http;

fn auditor() -> Actor {
    Actor { party: "staff-aud".parse().expect("id"), role: Role::Auditor, session: "t".into() }
}

/// A raw request: status, headers and the body's exact bytes.
async fn raw(
    s: &Server,
    method: Method,
    token: &str,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", s.base)).bearer_auth(token);
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body.to_string());
    }
    let response = request.send().await.expect("request");
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.bytes().await.expect("body").to_vec())
}

fn header<'h>(headers: &'h reqwest::header::HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).map(|v| v.to_str().expect("ascii"))
}

/// The journal index an answer's headers name, after checking its label.
fn labelled(headers: &reqwest::header::HeaderMap, label: &str) -> u64 {
    assert_eq!(header(headers, "cloison-label"), Some(label), "{headers:?}");
    header(headers, "cloison-journal-index").expect("an index").parse().expect("a number")
}

/// R8: a register read, a journal search and the caller's own identity each carry their label, and the
/// entry the label names digests exactly the body received.
async fn every_gated_answer_is_labelled(s: &Server) {
    let show = format!("/v1/access-points/{}?at={}", ean(1), t(50));
    let reads = [
        ("customer_x", show.as_str(), "CONFIDENTIAL - personal data"),
        ("auditor", "/v1/journal/entries?limit=5", "CONFIDENTIAL - personal data"),
        ("supplier_a", "/v1/me", "CONFIDENTIAL - personal data"),
    ];
    for (caller, path, label) in reads {
        let (status, headers, body) = raw(s, Method::GET, &s.tokens[caller], path, None).await;
        assert_eq!(status, StatusCode::OK, "{caller} {path}: {}", String::from_utf8_lossy(&body));
        let index = labelled(&headers, label);
        let entry = s.app.journal_entry(&auditor(), index).await.expect("the entry").into_view();
        assert_eq!(entry.entry.actor.role, caller.split('_').next().expect("a role"));
        assert_eq!(entry.entry.data_digest, Some(journal::Hash::digest(&body)), "{caller} {path}");
    }
    // A refusal sends nothing, and is labelled with nothing.
    let (status, headers, _) = raw(s, Method::GET, &s.tokens["customer_y"], &show, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(header(&headers, "cloison-label"), None);
    // The journal's public heads are nobody's data.
    let (status, headers, _) = raw(s, Method::GET, &s.tokens["customer_y"], "/v1/journal/head", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "cloison-label"), None);
}
over_http!(labels, every_gated_answer_is_labelled);

/// R4, R8: the customer's history comes back as a file labelled in its first line and its
/// headers; the entry at that index holds the digests of both files; a stranger gets the
/// answer for a point that does not exist, and staff must name the customer.
async fn the_history_is_a_labelled_file(s: &Server) {
    let path = |format: &str| format!("/v1/access-points/{}/consumption-history?format={format}", ean(1));
    let asked = json!({ "from": "2022-12-31", "to": "2023-01-10" });
    let (status, headers, csv) =
        raw(s, Method::POST, &s.tokens["customer_x"], &path("csv"), Some(&asked)).await;
    assert_eq!(status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&csv));
    assert_eq!(header(&headers, "content-type"), Some("text/csv; charset=utf-8"));
    let index = labelled(&headers, "CONFIDENTIAL - personal data");
    let csv = String::from_utf8(csv).expect("utf-8");
    let first = csv.lines().next().expect("a first line");
    assert_eq!(first, format!("# label: CONFIDENTIAL - personal data; journal: {index}"));
    assert!(
        header(&headers, "content-disposition")
            .is_some_and(|d| d.contains(&format!("history-{}-{index}.csv", ean(1)))),
        "{headers:?}"
    );
    // What it holds, clipped to the occupancy, is checked on the PDF's text in the app's tests.
    assert_eq!(csv.lines().nth(1), Some("ean,customer,from,to,channel,wh"));
    let entry = s.app.journal_entry(&auditor(), index).await.expect("the entry").into_view().entry;
    let csv_digest = format!("csv:{}", hex::encode(Sha256::digest(csv.as_bytes())));
    assert!(entry.subjects.contains(&csv_digest), "{:?}", entry.subjects);
    assert_eq!(entry.action, "document.history");

    let (status, headers, pdf) =
        raw(s, Method::POST, &s.tokens["customer_x"], &path("pdf"), Some(&asked)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(header(&headers, "content-type"), Some("application/pdf"));
    assert!(pdf.starts_with(b"%PDF-"));
    let index = labelled(&headers, "CONFIDENTIAL - personal data");
    let entry = s.app.journal_entry(&auditor(), index).await.expect("the entry").into_view().entry;
    assert_eq!(entry.data_digest, Some(journal::Hash::digest(&pdf)));

    let (status, _, _) = raw(s, Method::POST, &s.tokens["supplier_c"], &path("pdf"), Some(&asked)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "I5: as for a point that does not exist");
    let (status, _, body) =
        raw(s, Method::POST, &s.tokens["metering_staff"], &path("pdf"), Some(&asked)).await;
    let body: Value = serde_json::from_slice(&body).expect("an error body");
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.starts_with("customer")), "{body}");
    let behalf = json!({ "from": "2022-12-31", "to": "2023-01-10", "customer": "nu-x" });
    let (status, _, _) = raw(s, Method::POST, &s.tokens["metering_staff"], &path("csv"), Some(&behalf)).await;
    assert_eq!(status, StatusCode::CREATED, "staff, on the customer's behalf");
    let backwards = json!({ "from": "2023-01-10", "to": "2022-12-31" });
    let (status, _, body) =
        raw(s, Method::POST, &s.tokens["customer_x"], &path("pdf"), Some(&backwards)).await;
    let body: Value = serde_json::from_slice(&body).expect("an error body");
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.starts_with("to")), "{body}");
}
over_http!(history_document, the_history_is_a_labelled_file);

/// R10: support opens emergency access with a reason, for a bounded time; what it does with
/// it is in the ethics committee's report; nobody else opens or reads it.
async fn break_glass_over_http(s: &Server) {
    let open = json!({ "role": "register_staff", "reason": "Outage on the Namur feeder, customer on the phone", "minutes": 30 });
    let (status, _, body) = raw(s, Method::POST, &s.tokens["support"], "/v1/break-glass", Some(&open)).await;
    let opened: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let secret = opened["secret"].as_str().expect("the secret, once");
    let expires: jiff::Timestamp = opened["expires"].as_str().expect("expires").parse().expect("an instant");
    assert!(expires <= jiff::Timestamp::now() + jiff::SignedDuration::from_mins(30));

    let show = format!("/v1/access-points/{}?at={}", ean(1), t(50));
    let (status, _) = s.get_as(secret, &show).await;
    assert_eq!(status, StatusCode::OK, "the emergency role reads the register");

    let (status, report) = s.get(Some("auditor"), "/v1/break-glass").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let uses = report.as_array().expect("a list");
    assert_eq!(uses.len(), 1, "{report}");
    assert_eq!(uses[0]["party"], "staff-sup");
    assert_eq!(uses[0]["reason"], "Outage on the Namur feeder, customer on the phone");
    let acts = uses[0]["acts"].as_array().expect("acts");
    assert!(acts.iter().any(|a| a["subjects"][0] == ean(1).to_string()), "{report}");

    for (caller, path) in [("support", "/v1/break-glass"), ("register_staff", "/v1/break-glass")] {
        let (status, _) = s.get(Some(caller), path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{caller} reads the report");
    }
    let (status, _, _) = raw(s, Method::POST, &s.tokens["customer_x"], "/v1/break-glass", Some(&open)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (bad, field) in [
        (
            json!({ "role": "register_staff", "reason": "Outage on the Namur feeder", "minutes": 241 }),
            "duration",
        ),
        (json!({ "role": "auditor", "reason": "Outage on the Namur feeder", "minutes": 30 }), "role"),
        (json!({ "role": "register_staff", "reason": "urgent", "minutes": 30 }), "reason"),
    ] {
        let (status, _, body) =
            raw(s, Method::POST, &s.tokens["support"], "/v1/break-glass", Some(&bad)).await;
        let body: Value = serde_json::from_slice(&body).expect("an error body");
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| m.starts_with(field)), "{bad}: {body}");
    }
}
over_http!(break_glass, break_glass_over_http);
