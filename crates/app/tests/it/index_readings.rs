//! Index readings through the gate, on both backends: posted, idempotent, validated against
//! the previous reading (rollover, backwards), decided as new versions (I4), read clipped to
//! each party's periods (R1, R4); and the meter readers' routes (R9).

use app::{AppError, Cloison, IndexPost, IndexReport, Role, Verdict};
use domain::metering::Quality;
use domain::{Change, Party, PartyKind};
use jiff::{Span, Timestamp};

use crate::each_backend;
use crate::harness::{actor, auditor, ean, id};
use crate::metering::{d, gas_ean, register};

fn post(ean: &str, register: &str, value: &str, at: &str) -> IndexPost {
    IndexPost {
        ean: ean.into(),
        register: register.into(),
        value: value.into(),
        at: at.into(),
        source: "customer_card".into(),
        reader: None,
        calorific_value: None,
    }
}

/// A well-formed EAN no access point has.
fn nowhere() -> String {
    domain::Ean::from_body(54_144_199_999_999_990).expect("body").to_string()
}

async fn post_all(app: &Cloison, posts: Vec<IndexPost>) -> IndexReport {
    app.index_post(&actor("meter-ops", Role::MeteringStaff), posts).await.expect("posted").into_view()
}

async fn readings_are_validated_decided_and_clipped(app: &Cloison) {
    register(app).await;
    let e = ean().to_string();
    let g = gas_ean().to_string();
    let first = vec![
        post(&e, "day", "10000", "2026-01-05T10:00:00+01:00"),
        post(&e, "day", "10600.5", "2026-03-05T10:00:00+01:00"),
        post(&e, "day", "10750.25", "2026-03-25T10:00:00+01:00"),
        post(&e, "night", "999990", "2026-01-05T10:00:00+01:00"),
        IndexPost {
            calorific_value: Some(11_200),
            ..post(&g, "gas", "1234.567", "2026-01-05T09:00:00+01:00")
        },
    ];
    let report = post_all(app, first.clone()).await;
    assert_eq!((report.rows, report.written, report.unchanged, report.findings), (5, 5, 0, 0), "{report:?}");
    // The same readings again write nothing.
    let again = post_all(app, first).await;
    assert_eq!((again.written, again.unchanged), (0, 5), "{again:?}");

    // The rules, against each register's previous reading; and the refusals, by row.
    let report = post_all(
        app,
        vec![
            post(&e, "night", "200", "2026-02-05T10:00:00+01:00"),
            post(&e, "day", "10000", "2026-04-01T10:00:00+02:00"),
            post(&e, "day", "10600.6", "2026-03-05T18:00:00+01:00"),
            post(&e, "gas", "1", "2026-04-02T10:00:00+02:00"),
            post("541449999999999994", "day", "1", "2026-04-02T10:00:00+02:00"),
            post(&g, "gas", "1300", "2026-04-02T10:00:00+02:00"),
            post(&e, "day", "1.2345", "2026-04-02T10:00:00+02:00"),
        ],
    )
    .await;
    assert_eq!((report.written, report.findings), (2, 2), "{report:?}");
    let refused: Vec<(u64, &str, &str)> =
        report.refused.iter().map(|r| (r.line, r.field.as_str(), r.code.as_str())).collect();
    assert_eq!(
        refused,
        [
            (3, "at", "conflicting_reading"),
            (4, "calorific_value", "calorific_value_required"),
            (5, "ean", "bad_ean"),
            (6, "calorific_value", "calorific_value_required"),
            (7, "value", "too_precise"),
        ]
    );
    let unknown = post_all(app, vec![post(&nowhere(), "day", "1", "2026-04-02T10:00:00+02:00")]).await;
    assert_eq!(unknown.refused[0].code, "unknown_access_point");
    let mismatch = post_all(
        app,
        vec![IndexPost {
            calorific_value: Some(11_000),
            ..post(&e, "gas", "1", "2026-04-02T10:00:00+02:00")
        }],
    )
    .await;
    assert_eq!(mismatch.refused[0].code, "register_energy_mismatch");

    // The findings in the validators' queue, with their register; decided as new versions.
    let validator = actor("meter-val", Role::MeteringStaff);
    let queue = app.validation_queue(&validator, 100).await.expect("queue").into_view();
    let mut found: Vec<(&str, Option<&str>)> =
        queue.iter().map(|f| (f.rule.as_str(), f.register.map(|r| r.as_str()))).collect();
    found.sort_unstable();
    assert_eq!(found, [("index_backwards", Some("day")), ("meter_rollover", Some("night"))]);
    let id_of = |rule: &str| queue.iter().find(|f| f.rule == rule).map(|f| f.id.clone()).expect("found");
    let two = app
        .validation_decide(
            &validator,
            &id_of("index_backwards"),
            Verdict::Correct { values: vec![(0, 1), (1, 2)] },
        )
        .await;
    assert!(two.is_err_and(|e| e.to_string().contains("one_value_for_an_index")));
    let rejected = app
        .validation_decide(&validator, &id_of("index_backwards"), Verdict::Reject)
        .await
        .expect("rejected");
    assert_eq!(rejected.view().version_written, Some(2));
    let accepted =
        app.validation_decide(&validator, &id_of("meter_rollover"), Verdict::Accept).await.expect("accepted");
    assert_eq!(accepted.view().version_written, None);
    // A reading after the rejected one is compared with the last one that counts.
    let after = post_all(app, vec![post(&e, "day", "10850", "2026-04-10T10:00:00+02:00")]).await;
    assert_eq!((after.written, after.findings), (1, 0), "{after:?}");

    // Read back: the metering team sees every reading, the rejected one as rejected.
    let all = app
        .index_readings(&validator, ean(), d(2026, 1, 1), d(2026, 5, 1))
        .await
        .expect("read")
        .into_view()
        .readings;
    let shown: Vec<(String, &str, &str, Quality, u32)> = all
        .iter()
        .map(|r| (r.day.to_string(), r.register.as_str(), r.value.as_str(), r.quality, r.version))
        .collect();
    assert_eq!(
        shown,
        [
            ("2026-01-05".to_owned(), "day", "10000.000", Quality::Measured, 1),
            ("2026-01-05".to_owned(), "night", "999990.000", Quality::Measured, 1),
            ("2026-02-05".to_owned(), "night", "200.000", Quality::Measured, 1),
            ("2026-03-05".to_owned(), "day", "10600.500", Quality::Measured, 1),
            ("2026-03-25".to_owned(), "day", "10750.250", Quality::Measured, 1),
            ("2026-04-01".to_owned(), "day", "10000.000", Quality::Rejected, 2),
            ("2026-04-10".to_owned(), "day", "10850.000", Quality::Measured, 1),
        ]
    );
    assert!(all.iter().all(|r| r.unit == "kWh" && r.source == "customer_card"));
    assert_eq!(all[0].at, "2026-01-05T10:00:00+01:00");

    // R1: each supplier its registrations (sup-b from the switch of 2026-03-10); R4: each
    // customer their occupancy (nu-marc from the move of 2026-03-20). Nothing else shows.
    let days = |who: &str, role: Role| {
        let who = actor(who, role);
        async move {
            app.index_readings(&who, ean(), d(2026, 1, 1), d(2026, 5, 1))
                .await
                .map(|s| s.into_view().readings.iter().map(|r| r.day.to_string()).collect::<Vec<_>>())
        }
    };
    assert_eq!(
        days("sup-a", Role::Supplier).await.expect("sup-a"),
        ["2026-01-05", "2026-01-05", "2026-02-05", "2026-03-05"]
    );
    assert_eq!(
        days("sup-b", Role::Supplier).await.expect("sup-b"),
        ["2026-03-25", "2026-04-01", "2026-04-10"]
    );
    assert_eq!(
        days("nu-yasmine", Role::Customer).await.expect("nu-yasmine"),
        ["2026-01-05", "2026-01-05", "2026-02-05", "2026-03-05"]
    );
    assert_eq!(
        days("nu-marc", Role::Customer).await.expect("nu-marc"),
        ["2026-03-25", "2026-04-01", "2026-04-10"]
    );
    for (who, role) in
        [("reader-1", Role::MeterReader), ("staff-x", Role::RegisterStaff), ("sup-c", Role::Supplier)]
    {
        assert!(matches!(days(who, role).await, Err(AppError::NotVisible)), "{who}");
    }
    // Gas: the volume and the calorific value it converts with.
    let gas = app
        .index_readings(&validator, gas_ean(), d(2026, 1, 1), d(2026, 2, 1))
        .await
        .expect("gas")
        .into_view();
    assert_eq!(
        (gas.readings[0].value.as_str(), gas.readings[0].unit.as_str(), gas.readings[0].calorific_value),
        ("1234.567", "m3", Some(11_200))
    );
}
each_backend!(index_readings, readings_are_validated_decided_and_clipped);

/// R9: a reader sees their route today and posts readings for its points only; a reading for
/// any other point is refused, and the refusal journaled.
async fn readers_read_their_own_route_only(app: &Cloison) {
    register(app).await;
    let system = actor("system", Role::System);
    let since = Timestamp::from_second(1_704_067_200).expect("2024-01-01");
    let staff = |pid: &str, name: &str| {
        Change::PutParty(Party {
            id: id(pid),
            kind: PartyKind::Staff,
            name: name.parse().expect("name"),
            phone: None,
            email: None,
        })
    };
    app.register_apply(
        &system,
        vec![(since, staff("reader-1", "Rita Lecteur")), (since, staff("reader-2", "Rémi Lecteur"))],
    )
    .await
    .expect("readers");
    let now = Timestamp::now();
    let today = app::local_day(now);
    let window = (
        today.checked_sub(Span::new().days(2)).expect("day"),
        today.checked_add(Span::new().days(5)).expect("day"),
    );
    let planner = actor("meter-ops", Role::MeteringStaff);
    let assigned = app
        .route_assign(&planner, id("reader-1"), window.0, window.1, vec![ean()])
        .await
        .expect("assigned")
        .into_view();
    assert_eq!((assigned.assigned, assigned.unchanged), (1, 0));
    let again =
        app.route_assign(&planner, id("reader-1"), window.0, window.1, vec![ean()]).await.expect("again");
    assert_eq!(again.view().unchanged, 1);
    let not_staff = app.route_assign(&planner, id("sup-a"), window.0, window.1, vec![ean()]).await;
    assert!(
        matches!(&not_staff, Err(AppError::Invalid(e)) if e.to_string().starts_with("reader")),
        "{not_staff:?}"
    );
    // A window that ended yesterday is not today's route.
    let past = (
        today.checked_sub(Span::new().days(30)).expect("day"),
        today.checked_sub(Span::new().days(1)).expect("day"),
    );
    app.route_assign(&planner, id("reader-2"), past.0, past.1, vec![ean(), gas_ean()]).await.expect("past");
    let supplier = app
        .route_assign(&actor("sup-a", Role::Supplier), id("reader-1"), window.0, window.1, vec![ean()])
        .await;
    assert!(matches!(supplier, Err(AppError::Forbidden)));

    let reader = actor("reader-1", Role::MeterReader);
    let route = app.route_today(&reader).await.expect("route").into_view();
    assert_eq!(route.stops.iter().map(|s| s.ean).collect::<Vec<_>>(), [ean()]);
    assert!(route.stops[0].address.to_string().contains("Namur"), "{:?}", route.stops[0].address);
    assert!(
        app.route_today(&actor("reader-2", Role::MeterReader)).await.expect("route").view().stops.is_empty()
    );
    assert!(matches!(app.route_today(&actor("sup-a", Role::Supplier)).await, Err(AppError::Forbidden)));

    let at = Timestamp::from_second(now.as_second() - 1).expect("now").to_string();
    let mine = post(&ean().to_string(), "day", "4321.5", &at);
    let taken = app.route_post(&reader, mine.clone()).await.expect("on the route").into_view();
    assert_eq!(taken.written, 1);
    let stored = app
        .index_readings(&planner, ean(), today, today.tomorrow().expect("day"))
        .await
        .expect("read")
        .into_view();
    assert_eq!(
        (stored.readings[0].source.as_str(), stored.readings[0].value.as_str()),
        ("reader_visit", "4321.500")
    );
    // Another point, a point on an expired window, an EAN nobody has: refused alike.
    for (who, point) in
        [("reader-1", gas_ean().to_string()), ("reader-2", ean().to_string()), ("reader-1", nowhere())]
    {
        let mut other = post(&point, "day", "1", &at);
        if point == gas_ean().to_string() {
            other = IndexPost { register: "gas".into(), calorific_value: Some(11_000), ..other };
        }
        let refused = app.route_post(&actor(who, Role::MeterReader), other).await;
        assert!(matches!(refused, Err(AppError::Forbidden)), "{who} {point}: {refused:?}");
    }
    // A reading of another day is not this window's round.
    let yesterday = Timestamp::from_second(now.as_second() - 86_400 * 2).expect("then").to_string();
    let late = app.route_post(&reader, post(&ean().to_string(), "day", "4000", &yesterday)).await;
    assert!(matches!(late, Err(AppError::Forbidden)), "{late:?}");
    // A reader sees no consumption, not even on the route.
    let hidden =
        app.consumption(&reader, ean(), today, today.tomorrow().expect("day"), app::Resolution::Day).await;
    assert!(matches!(hidden, Err(AppError::NotVisible)));

    // Every refusal is in the journal, with the policy that decided.
    let query = app::JournalQuery { limit: 1000, ..Default::default() };
    let entries = app.journal_search(&auditor(), &query).await.expect("journal").into_view();
    let posts: Vec<(bool, &str)> = entries
        .iter()
        .filter(|e| e.entry.action == "metering.route.reading")
        .map(|e| (e.entry.decision.allowed, e.entry.outcome.as_str()))
        .collect();
    assert_eq!(posts.iter().filter(|(allowed, _)| *allowed).count(), 1, "{posts:?}");
    assert_eq!(posts.iter().filter(|(allowed, _)| !*allowed).count(), 4, "{posts:?}");
}
each_backend!(routes, readers_read_their_own_route_only);

/// Statistics and climate: an advance far from what the point's own year before predicts
/// (spread by the load profile for electricity, by the degree-days for gas) is a finding;
/// one near it is not; and an estimate is the reading before plus that prediction.
async fn readings_are_judged_against_the_points_own_year(app: &Cloison) {
    register(app).await;
    let e = ean().to_string();
    let g = gas_ean().to_string();
    let gas =
        |value: &str, at: &str| IndexPost { calorific_value: Some(11_000), ..post(&g, "gas", value, at) };
    let history = vec![
        post(&e, "single", "10000", "2025-01-10T10:00:00+01:00"),
        post(&e, "single", "13000", "2026-01-10T10:00:00+01:00"),
        gas("1000", "2025-01-10T10:00:00+01:00"),
        gas("2500", "2026-01-10T10:00:00+01:00"),
    ];
    assert_eq!(post_all(app, history).await.findings, 0);
    // Near the prediction: about 850 kWh for a winter quarter of a 3,000 kWh year, and about
    // 525 m³ for January–March of a 1,500 m³ year.
    let near = post_all(
        app,
        vec![
            post(&e, "single", "13800", "2026-04-10T10:00:00+02:00"),
            gas("3030", "2026-03-10T10:00:00+01:00"),
        ],
    )
    .await;
    assert_eq!((near.written, near.findings), (2, 0), "{near:?}");
    // Far from it: 6,200 kWh in a spring quarter; 70 m³ from March to July.
    let far = post_all(
        app,
        vec![
            post(&e, "single", "20000", "2026-07-10T10:00:00+02:00"),
            gas("3100", "2026-07-10T10:00:00+02:00"),
        ],
    )
    .await;
    assert_eq!((far.written, far.findings), (2, 2), "{far:?}");
    let validator = actor("meter-val", Role::MeteringStaff);
    let queue = app.validation_queue(&validator, 100).await.expect("queue").into_view();
    let mut rules: Vec<&str> = queue.iter().map(|f| f.rule.as_str()).collect();
    rules.sort_unstable();
    assert_eq!(rules, ["outside_degree_day_band", "outside_history_band"]);
    // Estimated: 13,800 kWh and what a spring quarter of this point's year holds (some 600).
    let profile = queue.iter().find(|f| f.rule == "outside_history_band").expect("found");
    let estimated =
        app.validation_decide(&validator, &profile.id, Verdict::Estimate).await.expect("estimated");
    assert_eq!(estimated.view().version_written, Some(2));
    let readings = app
        .index_readings(&validator, ean(), d(2026, 7, 10), d(2026, 7, 11))
        .await
        .expect("read")
        .into_view()
        .readings;
    assert_eq!(readings[0].quality, Quality::Estimated);
    let value: f64 = readings[0].value.parse().expect("a number");
    assert!((14_200.0..14_700.0).contains(&value), "{value}");
    // Gas: 3,030 m³ and the summer's few m³ by the degree-days.
    let climate = queue.iter().find(|f| f.rule == "outside_degree_day_band").expect("found");
    app.validation_decide(&validator, &climate.id, Verdict::Estimate).await.expect("estimated");
    let gas_read = app
        .index_readings(&validator, gas_ean(), d(2026, 7, 10), d(2026, 7, 11))
        .await
        .expect("read")
        .into_view()
        .readings;
    let value: f64 = gas_read[0].value.parse().expect("a number");
    assert!((3_100.0..3_500.0).contains(&value), "{value}");
    // Without a year of history, a standard household's year is the reference (statistics):
    // 900 kWh in a winter quarter passes, 10,000 kWh in a spring one does not.
    let standard = post_all(
        app,
        vec![
            post(&e, "day", "1000", "2026-01-10T10:00:00+01:00"),
            post(&e, "day", "1900", "2026-04-10T10:00:00+02:00"),
            post(&e, "day", "11900", "2026-07-10T10:00:00+02:00"),
        ],
    )
    .await;
    assert_eq!((standard.written, standard.findings), (3, 1), "{standard:?}");
    let queue = app.validation_queue(&validator, 100).await.expect("queue").into_view();
    let statistics = queue.iter().find(|f| f.rule == "outside_profile_band").expect("found");
    assert_eq!(statistics.register.map(|r| r.as_str()), Some("day"));
    // And an estimate from it: 1,900 kWh and a spring quarter of a standard day register's
    // year (60 % of 3,500 kWh: some 460 kWh).
    app.validation_decide(&validator, &statistics.id, Verdict::Estimate).await.expect("estimated");
    let day_read = app
        .index_readings(&validator, ean(), d(2026, 7, 10), d(2026, 7, 11))
        .await
        .expect("read")
        .into_view()
        .readings;
    let estimated = day_read.iter().find(|r| r.register.as_str() == "day").expect("the day register");
    assert_eq!(estimated.quality, Quality::Estimated);
    let value: f64 = estimated.value.parse().expect("a number");
    assert!((2_250.0..2_500.0).contains(&value), "{value}");
    // A register's first reading has nothing to be compared with.
    let first = post_all(app, vec![post(&e, "night", "999999.999", "2026-01-10T10:00:00+01:00")]).await;
    assert_eq!((first.written, first.findings), (1, 0), "{first:?}");
}
each_backend!(judged, readings_are_judged_against_the_points_own_year);
