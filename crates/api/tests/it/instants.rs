//! Instant parameters (`at`, `from`, `to`): RFC 3339 only, and nothing echoed that is not.

use reqwest::StatusCode;

use crate::harness::*;
use crate::over_http;

/// F5: an offset beyond ±23:59 or a year outside 0001–9999 is a 400 naming the parameter,
/// on every route that takes an instant; a valid offset (sent as `%2B`, since a bare `+` in a
/// query string is a space) is read and the instant echoed in UTC.
async fn instants_are_rfc3339(s: &Server) {
    let ap = format!("/v1/access-points/{}", ean(1));
    let (status, body) = s.get(Some("register_staff"), &format!("{ap}?at=2023-01-03T04:00:00%2B02:00")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["at"], t(50).to_string(), "{body}");

    let size = s.journal_size().await;
    let bad = [
        ("2023-01-03T04:00:00%2B25:00", "offset +25:00"),
        ("2023-01-03T04:00:00-24:00", "offset -24:00"),
        ("2023-01-03T04:00:00%2B01:60", "offset +01:60"),
        ("-000001-01-01T00:00:00Z", "year -000001"),
        ("0000-12-31T23:00:00Z", "year 0000"),
        ("0001-01-01T00:00:00%2B01:00", "0001-01-01T00:00:00Z to"),
        ("2023-01-03T04:00Z", "seconds"),
        ("2023-01-03T04:00:00", "offset"),
    ];
    for (at, why) in bad {
        for (caller, path) in [
            ("register_staff", format!("{ap}?at={at}")),
            ("customer_x", format!("/v1/me/access-log?from={at}")),
            ("customer_x", format!("/v1/me/access-log?to={at}")),
            ("auditor", format!("/v1/journal/entries?from={at}")),
            ("auditor", format!("/v1/journal/entries?to={at}")),
        ] {
            let (status, body) = s.get(Some(caller), &path).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
            assert_eq!(body["code"], "invalid_instant", "{path}: {body}");
            let message = body["message"].as_str().expect("message");
            let parameter = path.rsplit_once('?').and_then(|(_, q)| q.split_once('=')).expect("a query").0;
            assert!(message.starts_with(&format!("{parameter}: ")), "{path}: {message}");
            assert!(message.contains(why), "{path}: {message}");
        }
    }
    assert_eq!(s.journal_size().await, size, "refused input changes nothing");
}
over_http!(f5_instant_parameters_are_rfc3339_only, instants_are_rfc3339);
