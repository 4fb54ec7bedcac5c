//! Metering over real HTTP: readings posted by the metering team, consumption clipped to each
//! party's periods across a switch and a move (R1, R4, I3), one 404 for hidden and unknown
//! (I5), and bad rows refused by position, field and code while the good ones land.

use domain::Ean;
use domain::metering::{Channel, DayLayout};
use jiff::civil::Date;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::*;
use crate::over_http;

/// The rows of `ean(1)`'s offtake on `day`, valued by their interval number.
fn day_rows(day: Date) -> Vec<Value> {
    let layout = DayLayout::new(Channel::ElectricityOfftake, day).expect("a day");
    (0..layout.len())
        .map(|i| {
            json!({
                "ean": ean(1).to_string(),
                "channel": "electricity_offtake",
                "start": layout.label(i).expect("label"),
                "value": i,
                "unit": "Wh",
            })
        })
        .collect()
}

async fn post(s: &Server, caller: &str, rows: &[Value]) -> (StatusCode, Value) {
    let body = json!({ "rows": rows });
    let (status, bytes) = s.send(Method::POST, Some(caller), "/v1/readings", Some(&body), &[]).await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Posts `rows` in requests of at most 100; the summed days written and unchanged.
async fn post_all(s: &Server, rows: &[Value]) -> (u64, u64) {
    let (mut written, mut unchanged) = (0, 0);
    for chunk in rows.chunks(100) {
        let (status, report) = post(s, "metering_staff", chunk).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["refused"], json!([]), "{report}");
        written += report["days_written"].as_u64().expect("a count");
        unchanged += report["days_unchanged"].as_u64().expect("a count");
    }
    (written, unchanged)
}

fn starts(view: &Value) -> Vec<String> {
    view["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .flat_map(|c| c["values"].as_array().expect("values").iter())
        .map(|v| v["start"].as_str().expect("a start").to_owned())
        .collect()
}

async fn consumption_over_http_is_clipped(s: &Server) {
    let days = [
        Date::constant(2023, 1, 1),
        Date::constant(2023, 1, 5),
        Date::constant(2023, 1, 7),
        Date::constant(2023, 3, 26),
    ];
    let rows: Vec<Value> = days.iter().flat_map(|d| day_rows(*d)).collect();
    // Only the metering team posts readings.
    let (status, _) = post(s, "supplier_a", &rows[..10]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Days land as their rows arrive; posting them again writes nothing.
    let (written, _) = post_all(s, &rows).await;
    assert!(written >= 3, "every day written at least once: {written}");
    assert_eq!(post_all(s, &rows).await, (0, written));

    let path = |day: &str, next: &str, resolution: &str| {
        format!("/v1/access-points/{}/consumption?from={day}&to={next}&resolution={resolution}", ean(1))
    };
    // R1: supplier A holds the point from 01:00 local on the 1st (its registration starts at
    // midnight UTC) to 05:00 on the 5th; supplier B from then on.
    let (status, first_day) = s.get(Some("supplier_a"), &path("2023-01-01", "2023-01-02", "15m")).await;
    assert_eq!(status, StatusCode::OK, "{first_day}");
    let first = starts(&first_day);
    assert_eq!((first.len(), first[0].as_str()), (92, "2023-01-01T01:00:00+01:00"));
    let (_, switch_a) = s.get(Some("supplier_a"), &path("2023-01-05", "2023-01-06", "15m")).await;
    let a = starts(&switch_a);
    assert_eq!((a.len(), a.last().map(String::as_str)), (20, Some("2023-01-05T04:45:00+01:00")));
    let (_, switch_b) = s.get(Some("supplier_b"), &path("2023-01-05", "2023-01-06", "15m")).await;
    let b = starts(&switch_b);
    assert_eq!((b.len(), b[0].as_str()), (76, "2023-01-05T05:00:00+01:00"));
    // A day's sum for the supplier losing the point covers its hours only, labelled by them.
    let (_, day_a) = s.get(Some("supplier_a"), &path("2023-01-05", "2023-01-06", "day")).await;
    let value = &day_a["channels"][0]["values"][0];
    assert_eq!(value["end"], "2023-01-05T05:00:00+01:00");
    assert_eq!((value["intervals"].as_u64(), value["wh"].as_i64()), (Some(20), Some((0..20).sum::<i64>())));

    // R4: customer X occupies until 07:00 on the 7th: all of the 5th, none of March; customer
    // Y moves in then: none of the 5th, all of March.
    let (_, x) = s.get(Some("customer_x"), &path("2023-01-05", "2023-01-06", "15m")).await;
    assert_eq!(starts(&x).len(), 96);
    let (_, march) = s.get(Some("customer_x"), &path("2023-03-26", "2023-03-27", "15m")).await;
    assert_eq!(march["channels"], json!([]), "the spring day is after customer X left: {march}");
    let (status, y) = s.get(Some("customer_y"), &path("2023-01-05", "2023-01-06", "15m")).await;
    assert_eq!((status, &y["channels"]), (StatusCode::OK, &json!([])), "before customer Y moved in: {y}");
    let (_, y) = s.get(Some("customer_y"), &path("2023-03-26", "2023-03-27", "15m")).await;
    assert_eq!(starts(&y).len(), 92);
    // The day of the move: X until 07:00, Y from then, neither sees the other's hours.
    let (_, x_move) = s.get(Some("customer_x"), &path("2023-01-07", "2023-01-08", "15m")).await;
    let x_move = starts(&x_move);
    assert_eq!((x_move.len(), x_move.last().map(String::as_str)), (28, Some("2023-01-07T06:45:00+01:00")));
    let (_, y_move) = s.get(Some("customer_y"), &path("2023-01-07", "2023-01-08", "15m")).await;
    let y_move = starts(&y_move);
    assert_eq!((y_move.len(), y_move.first().map(String::as_str)), (68, Some("2023-01-07T07:00:00+01:00")));
    // The metering team sees the spring day whole: 92 quarter-hours, 23 hours.
    let (_, spring) = s.get(Some("metering_staff"), &path("2023-03-26", "2023-03-27", "15m")).await;
    assert_eq!(starts(&spring).len(), 92);
    let (_, hours) = s.get(Some("metering_staff"), &path("2023-03-26", "2023-03-27", "1h")).await;
    assert_eq!(starts(&hours).len(), 23);

    // I5: a supplier that never held the point, staff without a reason, and an EAN that does
    // not exist get one and the same 404.
    let (status, hidden) = s.get(Some("supplier_c"), &path("2023-01-05", "2023-01-06", "day")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let missing = Ean::from_body(54_144_899_999_999_999).expect("body");
    let (status, unknown) = s
        .get(
            Some("supplier_c"),
            &format!("/v1/access-points/{missing}/consumption?from=2023-01-05&to=2023-01-06"),
        )
        .await;
    assert_eq!((status, &unknown), (StatusCode::NOT_FOUND, &hidden));
    for caller in ["register_staff", "support"] {
        let (status, _) = s.get(Some(caller), &path("2023-01-05", "2023-01-06", "day")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{caller}");
    }
    // Parameters are named when they are wrong.
    for (query, named) in [
        ("from=2023-01-05&to=2023-01-06&resolution=5m", "resolution"),
        ("from=5/1/2023&to=2023-01-06", "from"),
        ("from=2023-01-06&to=2023-01-05", "to"),
        ("from=2023-01-05", "to"),
    ] {
        let (status, body) =
            s.get(Some("metering_staff"), &format!("/v1/access-points/{}/consumption?{query}", ean(1))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body["message"].as_str().expect("a message").contains(named), "{query}: {body}");
    }
}
over_http!(clipped, consumption_over_http_is_clipped);

async fn bad_rows_are_refused_one_by_one(s: &Server) {
    let good = day_rows(Date::constant(2023, 1, 2));
    let text = ean(1).to_string();
    let row = |ean: &str, channel: &str, start: &str, value: Value, unit: &str| json!({ "ean": ean, "channel": channel, "start": start, "value": value, "unit": unit });
    let bad = vec![
        row("541448000000000012", "electricity_offtake", "2023-01-02T10:00:00+01:00", json!(1), "Wh"),
        row(&text, "water", "2023-01-02T10:00:00+01:00", json!(1), "Wh"),
        row(&text, "electricity_offtake", "2023-01-02T10:05:00+01:00", json!(1), "Wh"),
        row(&text, "electricity_offtake", "2023-01-02T10:00:00+01:00", json!("abc"), "Wh"),
        row(&text, "electricity_offtake", "2023-01-02T10:00:00+01:00", json!(1), "MWh"),
        row(&ean(2).to_string(), "gas_offtake", "2023-01-02T10:00:00+01:00", json!(1), "Wh"),
        json!({ "ean": text, "channel": "electricity_offtake", "start": "2023-01-02T10:00:00+01:00", "value": 1, "unit": "Wh", "colour": "red" }),
        json!("a row"),
        row(&ean(9).to_string(), "electricity_offtake", "2023-01-02T10:00:00+01:00", json!(1), "Wh"),
    ];
    let mut rows: Vec<Value> = good[..40].to_vec();
    rows.extend(bad.iter().cloned());
    let (status, report) = post(s, "metering_staff", &rows).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let refused: Vec<(u64, String, String)> = report["refused"]
        .as_array()
        .expect("refused")
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().expect("text").to_owned();
            (r["line"].as_u64().expect("line"), text("field"), text("code"))
        })
        .collect();
    let expected: Vec<(u64, String, String)> = [
        (41, "ean", "bad_ean"),
        (42, "channel", "bad_channel"),
        (43, "start", "not_on_interval_boundary"),
        (44, "value", "bad_value"),
        (45, "unit", "bad_unit"),
        (46, "channel", "channel_not_on_point"),
        (47, "row", "unknown_field"),
        (48, "row", "not_an_object"),
        (49, "ean", "unknown_access_point"),
    ]
    .into_iter()
    .map(|(l, f, c)| (l, f.to_owned(), c.to_owned()))
    .collect();
    assert_eq!(refused, expected, "{report}");
    assert_eq!((report["rows"].as_u64(), report["accepted"].as_u64()), (Some(49), Some(40)));

    // Over a hundred rows, or a body that is not the batch: 400 naming what is wrong, nothing
    // written.
    let before = s.journal_size().await;
    let mut many = day_rows(Date::constant(2023, 1, 3));
    many.extend(day_rows(Date::constant(2023, 1, 4)).into_iter().take(5));
    let (status, body) = post(s, "metering_staff", &many).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().expect("message").starts_with("rows:"), "{body}");
    let (status, body) = s
        .send(Method::POST, Some("metering_staff"), "/v1/readings", Some(&json!({ "lines": [] })), &[])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(&body));
    assert_eq!(s.journal_size().await, before, "a refused request writes nothing");
}
over_http!(bad_rows, bad_rows_are_refused_one_by_one);

async fn validators_decide_over_http(s: &Server) {
    // A day with a spike at 12:00: the import files it in the validators' queue.
    let mut rows = day_rows(Date::constant(2023, 2, 1));
    for row in &mut rows {
        row["value"] = json!(100);
    }
    rows[48]["value"] = json!(5000);
    for chunk in rows.chunks(100) {
        let (status, report) = post(s, "metering_staff", chunk).await;
        assert_eq!(status, StatusCode::OK, "{report}");
    }
    let (status, queue) = s.get(Some("metering_staff"), "/v1/validation/findings").await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let spike = queue
        .as_array()
        .expect("a list")
        .iter()
        .find(|f| f["rule"] == "spike" && f["day"] == "2023-02-01")
        .unwrap_or_else(|| panic!("a spike in {queue}"))
        .clone();
    assert_eq!(spike["intervals"], json!([48, 49]));
    let id = spike["id"].as_str().expect("an id");
    let path = format!("/v1/validation/findings/{id}/decision");
    let correct = json!({ "decision": "correct", "values": [[48, 110]] });

    // Only the metering team; a stranger's id is 404.
    let (status, _) = s.get(Some("supplier_a"), "/v1/validation/findings").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s.send(Method::POST, Some("auditor"), &path, Some(&correct), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let unknown = "/v1/validation/findings/0123456789abcdef0123456789abcdef/decision";
    let (status, _) = s.send(Method::POST, Some("metering_staff"), unknown, Some(&correct), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) =
        s.send(Method::POST, Some("metering_staff"), &path, Some(&json!({ "decision": "shrug" })), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, body) = s.send(Method::POST, Some("metering_staff"), &path, Some(&correct), &[]).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let decided: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(
        (decided["decision"].as_str(), decided["version_written"].as_u64()),
        (Some("correct"), Some(2)),
        "the day came in one request, as version 1"
    );
    let (status, body) = s.send(Method::POST, Some("metering_staff"), &path, Some(&correct), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&body).contains("already_decided"));
    let consumption =
        format!("/v1/access-points/{}/consumption?from=2023-02-01&to=2023-02-02&resolution=15m", ean(1));
    let (_, view) = s.get(Some("metering_staff"), &consumption).await;
    let value = &view["channels"][0]["values"][48];
    assert_eq!((value["wh"].as_i64(), value["quality"].as_str()), (Some(110), Some("corrected")));
}
over_http!(validators, validators_decide_over_http);

/// R9 over HTTP: the metering team plans a route; the reader sees it, posts a reading for its
/// point, and is refused (403, journaled) for any other; a reader never reads consumption.
async fn readers_see_their_route_only_over_http(s: &Server) {
    let now = jiff::Timestamp::now();
    let today = jiff::Zoned::new(now, domain::period::brussels()).date();
    let day = |n: i64| today.checked_add(jiff::Span::new().days(n)).expect("a day").to_string();
    let plan = json!({ "reader": "staff-rdr", "from": day(-1), "to": day(3), "eans": [ean(1).to_string()] });
    let (status, bytes) = s.send(Method::POST, Some("metering_staff"), "/v1/routes", Some(&plan), &[]).await;
    let report: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!((status, &report["assigned"]), (StatusCode::OK, &json!(1)), "{report}");
    let (status, _) = s.send(Method::POST, Some("meter_reader"), "/v1/routes", Some(&plan), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a reader does not plan routes");
    let stranger = json!({ "reader": "sup-a", "from": day(0), "to": day(1), "eans": [ean(1).to_string()] });
    let (status, _) = s.send(Method::POST, Some("metering_staff"), "/v1/routes", Some(&stranger), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "only staff read meters");

    let (status, route) = s.get(Some("meter_reader"), "/v1/route").await;
    assert_eq!(status, StatusCode::OK, "{route}");
    let stops = route["stops"].as_array().expect("stops");
    assert_eq!(stops.len(), 1, "{route}");
    assert_eq!(stops[0]["ean"], ean(1).to_string());
    let mut fields: Vec<&String> = stops[0].as_object().expect("a stop").keys().collect();
    fields.sort();
    assert_eq!(fields, ["address", "ean", "energy", "window_from", "window_to"], "nothing else of the point");
    let (status, _) = s.get(Some("supplier_a"), "/v1/route").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let at = jiff::Timestamp::from_second(now.as_second() - 1).expect("now").to_string();
    let reading = |ean: Ean| json!({ "ean": ean.to_string(), "register": "single", "value": "1234.5", "at": at, "source": "reader_visit" });
    let (status, bytes) =
        s.send(Method::POST, Some("meter_reader"), "/v1/route/readings", Some(&reading(ean(1))), &[]).await;
    let report: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!((status, &report["written"]), (StatusCode::OK, &json!(1)), "{report}");
    let (_, bytes) =
        s.send(Method::POST, Some("meter_reader"), "/v1/route/readings", Some(&reading(ean(1))), &[]).await;
    let again: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(again["unchanged"], 1, "a retry writes nothing: {again}");
    let (status, _) =
        s.send(Method::POST, Some("meter_reader"), "/v1/route/readings", Some(&reading(ean(2))), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not on the route");

    let readings = format!("/v1/access-points/{}/readings?from={}&to={}", ean(1), day(0), day(1));
    let (status, _) = s.get(Some("meter_reader"), &readings).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a reader reads no one's data (R9)");
    let (status, seen) = s.get(Some("metering_staff"), &readings).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(
        (&seen["readings"][0]["source"], &seen["readings"][0]["value"], &seen["readings"][0]["unit"]),
        (&json!("reader_visit"), &json!("1234.500"), &json!("kWh")),
        "{seen}"
    );
    // The refusal is in the journal, with the policy that decided it.
    let (_, found) =
        s.get(Some("auditor"), &format!("/v1/journal/entries?subject={}&limit=1000", ean(2))).await;
    let refused: Vec<&Value> = found
        .as_array()
        .expect("list")
        .iter()
        .filter(|e| e["entry"]["action"] == "metering.route.reading")
        .collect();
    assert_eq!(refused.len(), 1, "{found}");
    assert_eq!(refused[0]["entry"]["decision"]["allowed"], false);
    assert_eq!(refused[0]["entry"]["decision"]["policies"], json!(["default-deny"]));
}
over_http!(routes, readers_see_their_route_only_over_http);
