//! Research, consents and aggregates over real HTTP (R14): a customer gives and withdraws a
//! consent; the data protection office records an agreement and makes extracts; the partner
//! reads its own, anyone else gets 404; aggregates withhold small cells for every role; the
//! warehouse files, read back with DuckDB, hold the sums the API publishes; a data subject's
//! access request is answered with everything held.

use std::process::Command;

use app::{Actor, Role};
use domain::PartyKind;
use domain::metering::{Channel, DayLayout};
use jiff::civil::Date;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::*;
use crate::over_http;

fn system() -> Actor {
    Actor { party: "cloison-test".parse().expect("id"), role: Role::System, session: "t".into() }
}

/// The first Python that has the `duckdb` package (.ci/run installs it).
fn python() -> String {
    for candidate in ["python3", "/usr/bin/python3"] {
        let found = Command::new(candidate).args(["-c", "import duckdb"]).output();
        if found.is_ok_and(|o| o.status.success()) {
            return candidate.to_owned();
        }
    }
    panic!("the warehouse test reads the files with DuckDB: python3 -m pip install duckdb (.ci/run does)")
}

/// One DuckDB query's rows, `|`-separated.
fn duckdb(sql: &str) -> String {
    let script =
        format!("import duckdb\nfor row in duckdb.sql({sql:?}).fetchall():\n    print(*row, sep='|')\n");
    let out = Command::new(python()).args(["-c", &script]).output().expect("python runs");
    assert!(out.status.success(), "duckdb: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8").trim().to_owned()
}

/// Posts the quarter-hours of `ean(1)` on `days`, valued 10 + their interval number; their sum.
async fn post_days(s: &Server, days: &[Date]) -> i64 {
    let mut total = 0;
    for day in days {
        let layout = DayLayout::new(Channel::ElectricityOfftake, *day).expect("a day");
        let rows: Vec<Value> = (0..layout.len())
            .map(|i| {
                total += 10 + i as i64;
                json!({
                    "ean": ean(1).to_string(), "channel": "electricity_offtake",
                    "start": layout.label(i).expect("label"), "value": 10 + i, "unit": "Wh",
                })
            })
            .collect();
        let body = json!({ "rows": rows });
        let (status, bytes) =
            s.send(Method::POST, Some("metering_staff"), "/v1/readings", Some(&body), &[]).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
    }
    total
}

async fn token(s: &Server, id: &str, kind: PartyKind, name: &str, role: Role) -> String {
    let change = domain::Change::PutParty(party(id, kind, name));
    s.app.register_apply(&system(), vec![(t(0), change)]).await.expect("party");
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    s.app.create_token(&system(), id, role, expires).await.expect("token").secret
}

async fn research_over_http(s: &Server) {
    let days = [Date::constant(2023, 1, 2), Date::constant(2023, 1, 3), Date::constant(2023, 1, 4)];
    let total = post_days(s, &days).await;
    let dpo = token(s, "staff-dpo", PartyKind::Staff, "Dana Protection", Role::PrivacyStaff).await;
    let uni = token(s, "uni-a", PartyKind::Researcher, "University A", Role::Researcher).await;
    let customer = s.tokens["customer_x"].clone();

    // A consent, refused with the field named, then given.
    let consent = |to: &str| {
        json!({"purposes": ["demand_study"], "categories": ["quarter_hourly"], "partners": ["uni-a"],
               "from": "2023-01-01", "to": to})
    };
    let (status, answer) = s.post_as(&customer, "/v1/me/consents", &consent("2022-12-31")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer.to_string().contains("to"), "{answer}");
    let (status, given) = s.post_as(&customer, "/v1/me/consents", &consent("2023-12-31")).await;
    assert_eq!(status, StatusCode::CREATED, "{given}");
    let receipt = given["id"].as_str().expect("receipt").to_owned();
    assert_eq!(given["receipt"]["version"], "KI-CR-v1.1.0");
    let (status, _) = s.post_as(&s.tokens["supplier_a"], "/v1/me/consents", &consent("2023-12-31")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The office's agreement and extract; an extract for a partner without agreement is refused.
    let agreement = json!({"partner": "uni-a", "reference": "UA-2023", "purposes": ["demand_study"],
                           "categories": ["quarter_hourly"], "from": "2023-01-01", "to": "2099-12-31"});
    let (status, agreed) = s.post_as(&dpo, "/v1/research/agreements", &agreement).await;
    assert_eq!(status, StatusCode::CREATED, "{agreed}");
    let agreement_id = agreed["id"].as_str().expect("id").to_owned();
    let ask = |agreement: &str| json!({"agreement": agreement, "purpose": "demand_study", "category": "quarter_hourly"});
    let (status, answer) = s.post_as(&dpo, "/v1/research/extracts", &ask("agr_0000000000000000")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer.to_string().contains("agreement"), "{answer}");
    let (status, made) = s.post_as(&dpo, "/v1/research/extracts", &ask(&agreement_id)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["participants"], 1);
    // Customer X occupies the point until hour 150 (2023-01-07): the three days are theirs.
    assert_eq!(made["rows"], 3 * 96);
    let path = format!("/v1/research/extracts/{}", made["id"].as_str().expect("id"));
    let (status, extract) = s.get_as(&uni, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(extract["csv"].as_str().expect("csv").lines().count(), 1 + 3 * 96);
    for caller in ["supplier_a", "customer_x", "auditor"] {
        assert_eq!(s.get(Some(caller), &path).await.0, StatusCode::NOT_FOUND, "{caller}");
    }
    let (_, own) = s.get_as(&uni, "/v1/research/extracts").await;
    assert_eq!(own.as_array().map(Vec::len), Some(1));

    // Withdrawn: the next extract holds nobody.
    let (status, withdrawn) =
        s.post_as(&customer, &format!("/v1/me/consents/{receipt}/withdraw"), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{withdrawn}");
    let (_, after) = s.post_as(&dpo, "/v1/research/extracts", &ask(&agreement_id)).await;
    assert_eq!((after["participants"].as_i64(), after["rows"].as_i64()), (Some(0), Some(0)));

    // Aggregates: one point, so withheld under 15/15, for any role; published when relaxed.
    let aggregate = "/v1/aggregates/substation/day?from=2023-01-01&to=2023-01-31";
    for caller in ["supplier_a", "support", "customer_x", "meter_reader"] {
        let (status, table) = s.get(Some(caller), aggregate).await;
        assert_eq!(status, StatusCode::OK, "{caller}: {table}");
        assert_eq!(table["total"], json!({"withheld": true}), "{caller}");
    }
    let (status, table) = s.get(Some("support"), &format!("{aggregate}&min_points=1&max_share=100")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(table["total"], json!({"wh": total, "points": 1}));
    for bad in [
        "/v1/aggregates/province/day?from=2023-01-01&to=2023-01-31",
        "/v1/aggregates/substation/week?from=2023-01-01&to=2023-01-31",
        "/v1/aggregates/substation/day?from=2023-02-01&to=2023-01-31",
    ] {
        assert_eq!(s.get(Some("support"), bad).await.0, StatusCode::BAD_REQUEST, "{bad}");
    }

    // The warehouse files hold the sums the API publishes.
    let dir = tempfile::tempdir().expect("temp dir");
    let office =
        Actor { party: "staff-dpo".parse().expect("id"), role: Role::PrivacyStaff, session: "t".into() };
    let report = s.app.export_warehouse(&office, dir.path(), None, None).await.expect("export").into_view();
    let files = format!("{}/metering/*/*.parquet", report.directory);
    let read = duckdb(&format!(
        "SELECT count(*), sum(wh) FROM read_parquet('{files}', hive_partitioning = true) \
         WHERE channel = 'electricity_offtake' AND month = '2023-01'"
    ));
    assert_eq!(read, format!("{}|{}", 3 * 96, table["total"]["wh"]));
    let register = duckdb(&format!(
        "SELECT count(*) FROM read_parquet('{}/register/*/*.parquet', hive_partitioning = true)",
        report.directory
    ));
    assert_eq!(register, report.register_rows.to_string());

    // A data subject's access request, answered with everything held.
    let (status, filed) = s
        .post_as(&customer, "/v1/me/subject-requests", &json!({"kind": "access", "details": "all you hold"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let (status, queue) = s.get_as(&dpo, "/v1/subject-requests").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(queue.as_array().map(Vec::len), Some(1));
    assert_eq!(s.get(Some("customer_x"), "/v1/subject-requests").await.0, StatusCode::FORBIDDEN);
    let answer = format!("/v1/subject-requests/{}/answer", filed["id"].as_str().expect("id"));
    let (status, answered) = s.post_as(&dpo, &answer, &json!({"outcome": "done", "note": "attached"})).await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    let (_, own) = s.get(Some("customer_x"), "/v1/me/subject-requests").await;
    assert_eq!(own[0]["state"], "done");
    assert_eq!(own[0]["answer"]["export"]["party"]["id"], "nu-x");
}
over_http!(research, research_over_http);
