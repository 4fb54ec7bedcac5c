//! Errors made before any handler runs (path decoding, the body limit, the method router, the
//! limits on a request head) are the documented JSON with a stable code, and the OpenAPI
//! document lists them (issue 11, F4).

use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::*;
use crate::over_http;

/// The answer is `status` with the JSON error body and `code`, and `/openapi.json` documents
/// that status with the error schema on the GET of `route`.
async fn check(
    doc: &Value,
    route: &str,
    response: reqwest::Response,
    status: StatusCode,
    code: &str,
) -> Value {
    assert_eq!(response.status(), status, "{route}");
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(content_type.starts_with("application/json"), "{route} {status}: content type {content_type:?}");
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(body["code"], code, "{route} {status}: {body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert_eq!(body.as_object().map(|o| o.len()), Some(2), "code and message only: {body}");
    let documented = &doc["paths"][route]["get"]["responses"][status.as_str()];
    assert_eq!(
        documented["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Error",
        "{route} does not document {status}: {documented}"
    );
    body
}

async fn errors_outside_the_handlers_are_json(s: &Server) {
    let (_, doc) = s.get(None, "/openapi.json").await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", s.base);

    // A path segment that is not UTF-8 once decoded names the parameter.
    let response = client
        .get(url("/v1/access-points/%FF%FE"))
        .bearer_auth(&s.tokens["supplier_a"])
        .send()
        .await
        .expect("sent");
    let body =
        check(&doc, "/v1/access-points/{ean}", response, StatusCode::BAD_REQUEST, "invalid_path").await;
    assert!(body["message"].as_str().expect("message").starts_with("ean:"), "{body}");
    let response = client
        .get(url("/v1/access-points/%FF%FE/history"))
        .bearer_auth(&s.tokens["supplier_a"])
        .send()
        .await
        .expect("sent");
    check(&doc, "/v1/access-points/{ean}/history", response, StatusCode::BAD_REQUEST, "invalid_path").await;

    // A body over the limit.
    let response = client.get(url("/healthz")).body(vec![b'x'; 17 * 1024]).send().await.expect("sent");
    check(&doc, "/healthz", response, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large").await;

    // A method the path does not accept: the Allow header stays.
    let response = client.post(url("/v1/journal/head")).send().await.expect("sent");
    let allow = response.headers().get("allow").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(allow.contains("GET"), "Allow: {allow:?}");
    check(&doc, "/v1/journal/head", response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    let response = client.delete(url(&format!("/v1/access-points/{}", ean(1)))).send().await.expect("sent");
    check(&doc, "/v1/access-points/{ean}", response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
        .await;

    // A path and query over the limit, and headers over theirs.
    let long = "a".repeat(9 * 1024);
    let response = client.get(url(&format!("/healthz?pad={long}"))).send().await.expect("sent");
    check(&doc, "/healthz", response, StatusCode::URI_TOO_LONG, "uri_too_long").await;
    let response = client
        .get(url("/v1/journal/head"))
        .header("x-pad", "b".repeat(17 * 1024))
        .send()
        .await
        .expect("sent");
    check(
        &doc,
        "/v1/journal/head",
        response,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "headers_too_large",
    )
    .await;
    let mut many = client.get(url("/healthz"));
    for i in 0..120 {
        many = many.header(format!("x-field-{i}"), "1");
    }
    let response = many.send().await.expect("sent");
    check(&doc, "/healthz", response, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large").await;

    // Under the limits, the same requests are answered.
    let response = client.get(url(&format!("/healthz?pad={}", "a".repeat(1024)))).send().await.expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
}
over_http!(f4_errors_made_outside_the_handlers_are_documented_json, errors_outside_the_handlers_are_json);
