//! The request budget per bearer token, over real HTTP.

use std::num::NonZeroU32;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::harness::*;

/// One request per second after a burst of three: small enough to exhaust in a test, and a
/// second is long enough that a busy machine rarely refills a bucket between two requests
/// (the loops below tolerate it when it does).
fn tight() -> api::Config {
    let n = |n| NonZeroU32::new(n).expect("non-zero");
    api::Config {
        rate_limit: api::RateLimit { per_second: n(1), burst: n(3) },
        tls: None,
        connections: api::Connections::PUBLIC_API,
    }
}

/// Headers that say something, without the date.
fn headers(map: &HeaderMap) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = map
        .iter()
        .filter(|(name, _)| *name != "date")
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    headers.sort();
    headers
}

/// Sends `path` as `caller` until the answer is a 429 (at most `tries` times); the 429.
async fn until_limited(s: &Server, caller: &str, path: &str, tries: usize) -> Option<reqwest::Response> {
    for _ in 0..tries {
        let response = s.raw(caller, path).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            return Some(response);
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_over_its_budget_gets_429_and_others_do_not() {
    let s = Server::sqlite_with(tight()).await;
    let show = format!("/v1/access-points/{}?at={}", ean(1), t(50));
    // The burst is there for a fresh token.
    for _ in 0..3 {
        let (status, body) = s.get(Some("supplier_a"), "/v1/me").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let limited =
        until_limited(&s, "supplier_a", "/v1/me", 10).await.expect("a 429 within the budget's reach");
    let retry_after: u64 = limited
        .headers()
        .get(RETRY_AFTER)
        .expect("Retry-After on a 429")
        .to_str()
        .expect("ascii")
        .parse()
        .expect("whole seconds");
    assert_eq!(retry_after, 1, "one request per second: retry in a second");
    let body: serde_json::Value = limited.json().await.expect("JSON body");
    assert_eq!(body["code"], "rate_limited", "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");

    // Another token has its own budget.
    let (status, body) =
        s.get(Some("supplier_b"), &format!("/v1/access-points/{}?at={}", ean(1), t(160))).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Routes without a token are not limited per token.
    for _ in 0..10 {
        let (status, _) = s.get(None, "/healthz").await;
        assert_eq!(status, StatusCode::OK);
    }

    // A throttled request is answered before the door: it reaches no data and so journals
    // nothing (requests let through by a refill in between are journaled as usual).
    let before = s.journal_size().await;
    let mut passed = 0;
    let mut limited = false;
    for _ in 0..10 {
        if s.raw("supplier_a", &show).await.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
        passed += 1;
    }
    assert!(limited, "still over budget");
    assert_eq!(s.journal_size().await, before + passed, "only the answered requests are journaled");

    // 429s are counted by route template, with no token or EAN in the labels.
    let (_, metrics) = s.get(Some("support"), "/metrics").await;
    let text = metrics.as_str().expect("text").to_owned();
    assert!(text.contains("status=\"429\""), "{text}");
    s.stop().await;
}

/// I5: once over budget, a question about an access point the caller may see and one about an
/// EAN that does not exist get the same 429, and an invalid token is throttled like a valid
/// one: the limit counts the caller's own requests and says nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_429_is_no_oracle() {
    let s = Server::sqlite_with(tight()).await;
    let visible = format!("/v1/access-points/{}?at={}", ean(1), t(50));
    let unknown = format!("/v1/access-points/{}?at={}", ean(9), t(50));
    let mut pair = None;
    for _ in 0..10 {
        let a = s.raw("supplier_a", &visible).await;
        let b = s.raw("supplier_a", &unknown).await;
        if a.status() == StatusCode::TOO_MANY_REQUESTS && b.status() == StatusCode::TOO_MANY_REQUESTS {
            pair = Some((a, b));
            break;
        }
    }
    let (a, b) = pair.expect("both throttled within ten rounds");
    let (a_headers, b_headers) = (headers(a.headers()), headers(b.headers()));
    let (a_body, b_body) = (a.text().await.expect("body"), b.text().await.expect("body"));
    assert_eq!((a_headers, a_body), (b_headers, b_body), "the 429 must not depend on the EAN");

    // A token nobody issued: 401 while within budget, then 429 like any other.
    let client = reqwest::Client::new();
    let bogus = "0".repeat(64);
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let response =
            client.get(format!("{}/v1/me", s.base)).bearer_auth(&bogus).send().await.expect("request");
        statuses.push(response.status());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    assert_eq!(&statuses[..3], &[StatusCode::UNAUTHORIZED; 3], "{statuses:?}");
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    s.stop().await;
}
