//! The producer connection queue over real HTTP (R15): the connections team files, pays and
//! offers; bad input is refused with the field and the rule and changes nothing; a producer
//! sees its own requests only; the ethics committee audits.

use app::{Actor, Role};
use domain::PartyKind;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::*;
use crate::over_http;

fn system() -> Actor {
    Actor { party: "cloison-test".parse().expect("id"), role: Role::System, session: "t".into() }
}

async fn a_queue_over_http(s: &Server) {
    let changes = vec![
        (t(0), domain::Change::PutParty(party("staff-con", PartyKind::Staff, "Chloé Connexions"))),
        (t(0), domain::Change::PutParty(party("prod-pv", PartyKind::Company, "PV Hesbaye SA"))),
    ];
    s.app.register_apply(&system(), changes).await.expect("parties");
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    let staff = s
        .app
        .create_token(&system(), "staff-con", Role::ConnectionStaff, expires)
        .await
        .expect("token")
        .secret;
    let producer =
        s.app.create_token(&system(), "prod-pv", Role::Customer, expires).await.expect("token").secret;
    let queue = "/v1/producers/queues/SUB-HTTP-1";

    let (status, body) =
        s.post_as(&staff, queue, &json!({"command": "set_capacity", "kw": 1000, "day": "2026-03-02"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = s
        .post_as(
            &staff,
            queue,
            &json!({"command": "acknowledge", "producer": "prod-pv", "kw": 1500, "day": "2026-03-03"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let request = body["request"]["id"].as_str().expect("an id").to_owned();
    assert_eq!(request, "SUB-HTTP-1/1");
    let (status, body) = s
        .post_as(
            &staff,
            queue,
            &json!({"command": "pay_detailed_study", "request": request, "day": "2026-03-04"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["happened"][1]["what"], "split", "{body}");
    assert_eq!(body["request"]["kw"], 1000);

    // Bad input: the field and the rule named, nothing written.
    let size = s.journal_size().await;
    let audit_before = s.app.connections_audit(&system()).await.expect("audit").into_view().commands;
    for (body, says) in [
        (json!({"command": "set_capacity", "kw": -5}), "kw: bad_capacity"),
        (json!({"command": "set_capacity", "kw": "many"}), "kw: bad_capacity"),
        (json!({"command": "set_capacity", "kw": 1.5}), "kw: bad_capacity"),
        (json!({"command": "set_capacity", "kw": 10, "colour": "red"}), "colour: not a field"),
        (json!({"command": "launch"}), "command:"),
        (json!({"command": "sign", "request": request, "day": "2026-13-01"}), "day: a day is written"),
        (json!({"command": "extend", "request": request, "working_days": 30}), "extension_too_long"),
        (json!({"command": "send_offer", "request": request, "day": "2026-03-01"}), "day_before_last"),
        (json!({"command": "sign", "request": request, "day": "2999-01-01"}), "day_in_future"),
    ] {
        let (status, answer) = s.post_as(&staff, queue, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(answer.to_string().contains(says), "{body}: {answer}");
    }
    let (status, answer) = s
        .post_as(&staff, "/v1/producers/queues/SUB-NONE", &json!({"command": "set_capacity", "kw": 0}))
        .await;
    assert_eq!(status, StatusCode::OK, "a zero capacity opens a queue: {answer}");
    let audit = s.app.connections_audit(&system()).await.expect("audit").into_view();
    assert_eq!(audit.commands, audit_before + 1, "refusals write no command");
    assert!(s.journal_size().await > size, "refusals are journaled");
    assert_eq!(audit.first_difference, None);

    // The producer sees its two parts; it cannot list the queues nor run them.
    let (status, own) = s.get_as(&producer, "/v1/producers/own").await;
    assert_eq!(status, StatusCode::OK, "{own}");
    let ids: Vec<&str> =
        own.as_array().expect("a list").iter().map(|o| o["request"]["id"].as_str().unwrap_or("")).collect();
    assert_eq!(ids, ["SUB-HTTP-1/1", "SUB-HTTP-1/1.1"]);
    assert_eq!(s.get_as(&producer, "/v1/producers/queues").await.0, StatusCode::FORBIDDEN);
    let (status, _) = s.post_as(&producer, "/v1/producers/daily", &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s.get(Some("supplier_a"), "/v1/producers/own").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a supplier files no connection requests");

    // The team's daily run, and the committee's view and audit.
    let (status, daily) = s.post_as(&staff, "/v1/producers/daily", &json!({"day": "2026-03-05"})).await;
    assert_eq!(status, StatusCode::OK, "{daily}");
    assert_eq!(daily["queues"], 2);
    let (status, queues) = s.get(Some("auditor"), "/v1/producers/queues").await;
    assert_eq!(status, StatusCode::OK, "{queues}");
    assert_eq!(queues[0]["requests"][1]["position"], 2, "{queues}");
    let (status, audit) = s.get(Some("auditor"), "/v1/producers/audit").await;
    assert_eq!((status, &audit["first_difference"]), (StatusCode::OK, &Value::Null), "{audit}");
    let response = reqwest::Client::new()
        .get(format!("{}/v1/producers/audit", s.base))
        .bearer_auth(&s.tokens["auditor"])
        .send()
        .await
        .expect("request");
    assert_eq!(
        response.headers().get("cloison-label").map(|v| v.to_str().unwrap_or("")),
        Some("CONFIDENTIAL - personal data")
    );
}

over_http!(queue, a_queue_over_http);
