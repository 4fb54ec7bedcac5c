//! Metering data through the gate, on both backends: imports placed day by day and
//! idempotent, corrections as new versions (I4), DST days end to end, and consumption clipped
//! to each party's periods across a switch and a move-out/move-in (R1, R4, I3, I5).

use app::{
    AppError, Batch, Cloison, ConsumptionView, ImportMode, ImportReport, PlacedRow, Resolution, Role, Verdict,
};
use domain::metering::{Channel, DayLayout, ReadingRow};
use domain::{AccessPoint, Change, Ean, Energy, Gln, Occupancy, Party, PartyKind, Period, Registration};
use jiff::Span;
use jiff::civil::Date;

use crate::each_backend;
use crate::harness::{access_point, actor, auditor, ean, id, small_register, system};

pub(crate) fn gas_ean() -> Ean {
    Ean::from_body(54_144_100_000_000_014).expect("17-digit body")
}

pub(crate) fn d(y: i16, m: i8, day: i8) -> Date {
    Date::constant(y, m, day)
}

fn midnight(day: Date) -> jiff::Timestamp {
    domain::period::day_start(day).expect("a Brussels day")
}

/// The small register, then: a gas point supplied by sup-a; sup-b takes the electricity point
/// from 2026-03-10 (a switch); nu-marc moves in on 2026-03-20 as nu-yasmine moves out.
pub(crate) async fn register(app: &Cloison) {
    small_register(app).await;
    let system = actor("system", Role::System);
    let since = jiff::Timestamp::from_second(1_704_067_200).expect("2024-01-01");
    let party = |pid: &str, kind: PartyKind, name: &str| {
        Change::PutParty(Party {
            id: id(pid),
            kind,
            name: name.parse().expect("name"),
            phone: None,
            email: None,
        })
    };
    let setup = vec![
        party(
            "sup-b",
            PartyKind::Supplier { gln: Gln::from_body(541_000_000_022).expect("gln") },
            "Supplier B",
        ),
        party("nu-marc", PartyKind::Person, "Marc Dubois"),
        Change::PutAccessPoint(AccessPoint { ean: gas_ean(), energy: Energy::Gas, ..access_point() }),
        Change::RecordRegistration {
            registration: Registration { ean: gas_ean(), supplier: id("sup-a"), period: Period::open(since) },
            supersedes: None,
        },
    ];
    app.register_apply(&system, setup.into_iter().map(|c| (since, c)).collect()).await.expect("setup");
    let switch = midnight(d(2026, 3, 10));
    let moved = midnight(d(2026, 3, 20));
    let changes = vec![
        (switch, Change::EndRegistration { ean: ean(), at: switch }),
        (
            switch,
            Change::RecordRegistration {
                registration: Registration {
                    ean: ean(),
                    supplier: id("sup-b"),
                    period: Period::open(switch),
                },
                supersedes: None,
            },
        ),
        (moved, Change::EndOccupancy { ean: ean(), at: moved }),
        (
            moved,
            Change::RecordOccupancy {
                occupancy: Occupancy {
                    ean: ean(),
                    network_user: id("nu-marc"),
                    period: Period::open(moved),
                    shipping_address: access_point().address,
                },
                supersedes: None,
            },
        ),
    ];
    app.register_apply(&system, changes).await.expect("switch and move");
}

/// One row per interval of `channel` on each day from `from` to before `to`, valued
/// `day of month × 1000 + interval number` Wh, as a file's lines would carry them.
pub(crate) fn rows(ean: Ean, channel: Channel, from: Date, to: Date) -> Vec<PlacedRow> {
    let mut rows = Vec::new();
    let mut day = from;
    while day < to {
        let layout = DayLayout::new(channel, day).expect("a day");
        for index in 0..layout.len() {
            let start = layout.label(index).expect("label");
            let value = (i64::from(day.day()) * 1000 + index as i64).to_string();
            let row = ReadingRow::parse([&ean.to_string(), channel.as_str(), &start, &value, "Wh", ""])
                .expect("a good row");
            rows.push(PlacedRow { line: rows.len() as u64 + 1, row });
        }
        day = day.checked_add(Span::new().days(1)).expect("next day");
    }
    rows
}

/// A day of the electricity point, as one batch.
fn batch(day: Date) -> Batch {
    Batch {
        rows: rows(ean(), Channel::ElectricityOfftake, day, day.tomorrow().expect("next day")),
        refused: Vec::new(),
    }
}

pub(crate) async fn import(app: &Cloison, rows: Vec<PlacedRow>) -> ImportReport {
    app.readings_import(
        &actor("meter-ops", Role::MeteringStaff),
        Batch { rows, refused: Vec::new() },
        ImportMode::Write,
    )
    .await
    .expect("imported")
    .into_view()
}

async fn read(
    app: &Cloison,
    who: &str,
    role: Role,
    from: Date,
    to: Date,
    resolution: Resolution,
) -> ConsumptionView {
    app.consumption(&actor(who, role), ean(), from, to, resolution).await.expect("read").into_view()
}

fn starts(view: &ConsumptionView) -> Vec<String> {
    view.channels.iter().flat_map(|c| c.values.iter().map(|v| v.start.clone())).collect()
}

async fn imports_are_placed_by_day_and_idempotent(app: &Cloison) {
    register(app).await;
    let march = rows(ean(), Channel::ElectricityOfftake, d(2026, 3, 8), d(2026, 3, 30));
    let count = march.len() as u64;
    assert_eq!(count, 21 * 96 + 92, "the 29th of March 2026 has 92 quarter-hours");
    let first = import(app, march.clone()).await;
    assert_eq!((first.rows, first.accepted, first.days_written, first.days_unchanged), (count, count, 22, 0));
    assert!(first.refused.is_empty(), "{:?}", first.refused);
    // The same file again writes nothing.
    let again = import(app, march).await;
    assert_eq!((again.accepted, again.days_written, again.days_unchanged), (count, 0, 22));

    // A correction of one quarter-hour is a new version of its day, the old one kept (I4).
    let fix = ReadingRow::parse([
        &ean().to_string(),
        "electricity_offtake",
        "2026-03-12T10:00:00+01:00",
        "7",
        "Wh",
        "corrected",
    ])
    .expect("row");
    let fixed = import(app, vec![PlacedRow { line: 1, row: fix }]).await;
    assert_eq!((fixed.days_written, fixed.days_unchanged), (1, 0));
    let day =
        read(app, "meter-ops", Role::MeteringStaff, d(2026, 3, 12), d(2026, 3, 13), Resolution::Interval)
            .await;
    let values = &day.channels[0].values;
    assert_eq!(values.len(), 96);
    assert_eq!((values[40].wh, values[40].quality), (Some(7), domain::metering::Quality::Corrected));
    assert_eq!(values[39].wh, Some(12_039), "the rest of the day is as imported");

    // Rows the register cannot place are refused one by one; the others land.
    let mut mixed = rows(ean(), Channel::ElectricityOfftake, d(2026, 3, 30), d(2026, 3, 31));
    let unknown = Ean::from_body(54_144_199_999_999_990).expect("body");
    let bad = |ean: Ean, channel: &str, start: &str, value: &str| {
        ReadingRow::parse([&ean.to_string(), channel, start, value, "Wh", ""]).expect("a well-formed row")
    };
    let n = mixed.len() as u64;
    mixed.push(PlacedRow {
        line: n + 1,
        row: bad(unknown, "electricity_offtake", "2026-03-30T00:00:00+02:00", "1"),
    });
    mixed.push(PlacedRow { line: n + 2, row: bad(ean(), "gas_offtake", "2026-03-30T00:00:00+02:00", "1") });
    mixed.push(PlacedRow {
        line: n + 3,
        row: bad(ean(), "electricity_offtake", "2026-03-30T00:00:00+02:00", "999"),
    });
    mixed.push(PlacedRow {
        line: n + 4,
        row: bad(ean(), "electricity_offtake", "2026-03-30T00:00:00+02:00", "30000"),
    });
    let malformed =
        ReadingRow::parse_line("541448000000000011,electricity_offtake,2026-03-30T00:07:00+02:00,1,Wh,")
            .expect_err("off the quarter-hour");
    let refused = vec![app::RefusedRow::of(2, &malformed)];
    let report = app
        .readings_import(
            &actor("meter-ops", Role::MeteringStaff),
            Batch { rows: mixed, refused },
            ImportMode::Write,
        )
        .await
        .expect("imported")
        .into_view();
    let refused: Vec<(u64, &str, &str)> =
        report.refused.iter().map(|r| (r.line, r.field.as_str(), r.code.as_str())).collect();
    assert_eq!(
        refused,
        [
            (2, "start", "not_on_interval_boundary"),
            (n + 1, "ean", "unknown_access_point"),
            (n + 2, "channel", "channel_not_on_point"),
            (n + 3, "start", "duplicate_interval"),
        ],
        "{:?}",
        report.refused
    );
    assert_eq!(
        (report.rows, report.accepted, report.days_written),
        (n + 5, n + 1, 1),
        "the day and its repeat land"
    );

    // Only the metering team and the operator's batch work import.
    for role in [Role::Supplier, Role::Auditor, Role::CallCenter, Role::Support, Role::RegisterStaff] {
        let err = app
            .readings_import(&actor("someone", role), batch(d(2026, 4, 1)), ImportMode::Write)
            .await
            .expect_err("not theirs to write");
        assert!(matches!(err, AppError::Forbidden), "{role:?}: {err:?}");
    }
    let check = app
        .readings_import(&system(), batch(d(2026, 4, 1)), ImportMode::Check)
        .await
        .expect("checked")
        .into_view();
    assert_eq!((check.accepted, check.days_written), (96, 0), "a check writes nothing");
    let april =
        read(app, "meter-ops", Role::MeteringStaff, d(2026, 4, 1), d(2026, 4, 2), Resolution::Day).await;
    assert!(april.channels.is_empty(), "{april:?}");
}
each_backend!(imports, imports_are_placed_by_day_and_idempotent);

async fn dst_days_have_their_own_counts_from_import_to_read(app: &Cloison) {
    register(app).await;
    let mut all = rows(ean(), Channel::ElectricityOfftake, d(2026, 3, 29), d(2026, 3, 30));
    all.extend(rows(ean(), Channel::ElectricityOfftake, d(2026, 10, 25), d(2026, 10, 26)));
    all.extend(rows(gas_ean(), Channel::GasOfftake, d(2026, 3, 29), d(2026, 3, 30)));
    all.extend(rows(gas_ean(), Channel::GasOfftake, d(2026, 10, 25), d(2026, 10, 26)));
    let report = import(app, all).await;
    assert_eq!((report.rows, report.days_written), (92 + 100 + 23 + 25, 4));
    let staff = actor("meter-ops", Role::MeteringStaff);
    let count = |view: ConsumptionView| view.channels.iter().map(|c| c.values.len()).sum::<usize>();
    for (point, day, resolution, expected) in [
        (ean(), d(2026, 3, 29), Resolution::Interval, 92),
        (ean(), d(2026, 10, 25), Resolution::Interval, 100),
        (ean(), d(2026, 3, 29), Resolution::Hour, 23),
        (ean(), d(2026, 10, 25), Resolution::Hour, 25),
        (gas_ean(), d(2026, 3, 29), Resolution::Interval, 23),
        (gas_ean(), d(2026, 10, 25), Resolution::Interval, 25),
        (gas_ean(), d(2026, 10, 25), Resolution::Day, 1),
    ] {
        let next = day.tomorrow().expect("next day");
        let view = app.consumption(&staff, point, day, next, resolution).await.expect("read").into_view();
        assert_eq!(count(view), expected, "{point} {day} {resolution:?}");
    }
    // The repeated hour of October shows twice, told apart by its offset.
    let october = app
        .consumption(&staff, ean(), d(2026, 10, 25), d(2026, 10, 26), Resolution::Hour)
        .await
        .expect("read")
        .into_view();
    let labels: Vec<&str> = october.channels[0].values.iter().map(|v| v.start.as_str()).collect();
    assert_eq!(&labels[2..4], ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"]);
    let third = &october.channels[0].values[2];
    assert_eq!((third.intervals, third.wh), (4, Some(4 * 25_000 + 8 + 9 + 10 + 11)));
}
each_backend!(dst, dst_days_have_their_own_counts_from_import_to_read);

async fn consumption_is_clipped_to_each_partys_periods(app: &Cloison) {
    register(app).await;
    import(app, rows(ean(), Channel::ElectricityOfftake, d(2026, 3, 8), d(2026, 3, 30))).await;
    let march = (d(2026, 3, 1), d(2026, 4, 1));

    // R1: the supplier losing the point sees up to the switch, the new one from it.
    let old = read(app, "sup-a", Role::Supplier, march.0, march.1, Resolution::Interval).await;
    let old_starts = starts(&old);
    assert_eq!(old_starts.len(), 2 * 96);
    assert_eq!(old_starts.first().map(String::as_str), Some("2026-03-08T00:00:00+01:00"));
    assert_eq!(old_starts.last().map(String::as_str), Some("2026-03-09T23:45:00+01:00"));
    let new = read(app, "sup-b", Role::Supplier, march.0, march.1, Resolution::Interval).await;
    assert_eq!(starts(&new).len(), 19 * 96 + 92);
    assert_eq!(starts(&new).first().map(String::as_str), Some("2026-03-10T00:00:00+01:00"));
    // A month is summed over what the reader may see only, and labelled by it.
    let month = read(app, "sup-a", Role::Supplier, march.0, march.1, Resolution::Month).await;
    let only = &month.channels[0].values;
    assert_eq!(only.len(), 1);
    assert_eq!(
        (only[0].start.as_str(), only[0].end.as_str()),
        ("2026-03-08T00:00:00+01:00", "2026-03-10T00:00:00+01:00")
    );
    let expected: i64 = (0..96).map(|i| 8_000 + i).sum::<i64>() + (0..96).map(|i| 9_000 + i).sum::<i64>();
    assert_eq!((only[0].intervals, only[0].wh), (192, Some(expected)));

    // R4: the customer moving out sees up to the move, the one moving in from it.
    let out = read(app, "nu-yasmine", Role::Customer, march.0, march.1, Resolution::Day).await;
    let days: Vec<String> = starts(&out);
    assert_eq!(days.len(), 12, "the 8th to the 19th: {days:?}");
    assert_eq!(days.last().map(String::as_str), Some("2026-03-19T00:00:00+01:00"));
    let moved_in = read(app, "nu-marc", Role::Customer, march.0, march.1, Resolution::Day).await;
    assert_eq!(starts(&moved_in).first().map(String::as_str), Some("2026-03-20T00:00:00+01:00"));
    assert_eq!(starts(&moved_in).len(), 10);

    // Everything for the metering team, the call center and the ethics committee.
    for (who, role) in
        [("meter-ops", Role::MeteringStaff), ("cc-1", Role::CallCenter), ("ethics-1", Role::Auditor)]
    {
        assert_eq!(
            starts(&read(app, who, role, march.0, march.1, Resolution::Day).await).len(),
            22,
            "{role:?}"
        );
    }
    // Nothing for the others, with the answer of an access point that does not exist (I5).
    let nowhere = Ean::from_body(54_144_199_999_999_990).expect("body");
    for (who, role, point) in [
        ("sup-c", Role::Supplier, ean()),
        ("nu-marc", Role::Customer, gas_ean()),
        ("staff-x", Role::RegisterStaff, ean()),
        ("support-1", Role::Support, ean()),
        ("res-1", Role::Researcher, ean()),
        ("sup-a", Role::Supplier, nowhere),
    ] {
        let err = app
            .consumption(&actor(who, role), point, march.0, march.1, Resolution::Day)
            .await
            .expect_err("hidden");
        assert!(matches!(err, AppError::NotVisible), "{who} {role:?} {point}: {err:?}");
    }
    // Every read is journaled, the refused ones too (I1).
    let query = app::JournalQuery { subject: Some(ean().to_string()), limit: 1000, ..Default::default() };
    let entries = app.journal_search(&auditor(), &query).await.expect("the journal").into_view();
    let reads: Vec<(bool, &str)> = entries
        .iter()
        .filter(|e| e.entry.action == "metering.consumption")
        .map(|e| (e.entry.decision.allowed, e.entry.outcome.as_str()))
        .collect();
    assert_eq!(reads.iter().filter(|(allowed, _)| *allowed).count(), 8, "{reads:?}");
    assert_eq!(reads.iter().filter(|(allowed, _)| !*allowed).count(), 4, "{reads:?}");
}
each_backend!(clipped, consumption_is_clipped_to_each_partys_periods);

async fn bad_spans_are_refused_by_field(app: &Cloison) {
    register(app).await;
    let staff = actor("meter-ops", Role::MeteringStaff);
    let backwards = app.consumption(&staff, ean(), d(2026, 3, 2), d(2026, 3, 1), Resolution::Day).await;
    assert!(
        matches!(backwards, Err(AppError::Invalid(ref e)) if e.to_string().starts_with("to ")),
        "{backwards:?}"
    );
    let long = app.consumption(&staff, ean(), d(2025, 1, 1), d(2026, 3, 1), Resolution::Day).await;
    assert!(matches!(long, Err(AppError::Invalid(ref e)) if e.to_string().contains("366")), "{long:?}");
    assert!(Resolution::parse("5m").is_err());
}
each_backend!(spans, bad_spans_are_refused_by_field);

/// A day with one fault per rule that judges a day alone, each filed in the validators'
/// queue and decided: rejected, estimated, corrected, accepted; each decision a new version
/// of the day (I4), journaled, and taken once.
async fn findings_go_to_the_validators_queue_and_are_decided_once(app: &Cloison) {
    register(app).await;
    let day = d(2026, 2, 10);
    let layout = DayLayout::new(Channel::ElectricityOfftake, day).expect("a day");
    let value = |i: usize| match i {
        10 => Some(-50),
        40 => Some(5_000),
        60..=85 => Some(0),
        20 | 21 => None,
        _ => Some(100),
    };
    let rows: Vec<PlacedRow> = (0..layout.len())
        .filter_map(|i| value(i).map(|wh| (i, wh)))
        .map(|(i, wh)| {
            let start = layout.label(i).expect("label");
            let row = ReadingRow::parse([
                &ean().to_string(),
                "electricity_offtake",
                &start,
                &wh.to_string(),
                "Wh",
                "",
            ])
            .expect("row");
            PlacedRow { line: i as u64 + 1, row }
        })
        .collect();
    let report = import(app, rows).await;
    assert_eq!((report.days_written, report.findings), (1, 4), "{report:?}");

    let validator = actor("meter-val", Role::MeteringStaff);
    let queue = app.validation_queue(&validator, 100).await.expect("the queue").into_view();
    let mut rules: Vec<&str> = queue.iter().map(|f| f.rule.as_str()).collect();
    rules.sort_unstable();
    assert_eq!(rules, ["gap", "negative_value", "spike", "zero_run"]);
    let id = |rule: &str| queue.iter().find(|f| f.rule == rule).map(|f| f.id.clone()).expect("found");
    assert_eq!(queue.iter().find(|f| f.rule == "gap").and_then(|f| f.intervals), Some((20, 22)));

    // Only the metering team validates.
    for role in [Role::Supplier, Role::Auditor, Role::CallCenter, Role::Support] {
        let who = actor("someone", role);
        assert!(matches!(app.validation_queue(&who, 10).await, Err(AppError::Forbidden)), "{role:?}");
        let err = app.validation_decide(&who, &id("spike"), Verdict::Accept).await.expect_err("not theirs");
        assert!(matches!(err, AppError::Forbidden), "{role:?}: {err:?}");
    }

    let decide = |id: String, verdict: Verdict| {
        let validator = validator.clone();
        async move { app.validation_decide(&validator, &id, verdict).await.map(app::Sent::into_view) }
    };
    let estimated = decide(id("gap"), Verdict::Estimate).await.expect("estimated");
    assert_eq!(estimated.version_written, Some(2));
    let rejected = decide(id("negative_value"), Verdict::Reject).await.expect("rejected");
    assert_eq!(rejected.version_written, Some(3));
    let outside =
        decide(id("spike"), Verdict::Correct { values: vec![(200, 1)] }).await.expect_err("no such interval");
    assert!(outside.to_string().contains("interval_outside_day"), "{outside}");
    let corrected =
        decide(id("spike"), Verdict::Correct { values: vec![(40, 120)] }).await.expect("corrected");
    assert_eq!(corrected.version_written, Some(4));
    let accepted = decide(id("zero_run"), Verdict::Accept).await.expect("accepted");
    assert_eq!(accepted.version_written, None, "an acceptance leaves the day as it is");

    // Decided once; an unknown id is no oracle.
    let again = decide(id("spike"), Verdict::Accept).await.expect_err("decided already");
    assert!(again.to_string().contains("already_decided"), "{again}");
    let unknown = decide("0123456789abcdef0123456789abcdef".into(), Verdict::Accept).await.expect_err("none");
    assert!(matches!(unknown, AppError::NoSuch("finding")), "{unknown:?}");
    assert!(app.validation_queue(&validator, 100).await.expect("queue").into_view().is_empty());

    // The day as the validators left it.
    let view =
        read(app, "meter-ops", Role::MeteringStaff, day, day.tomorrow().expect("next"), Resolution::Interval)
            .await;
    let values = &view.channels[0].values;
    use domain::metering::Quality::{Corrected, Estimated, Rejected};
    assert_eq!((values[20].wh, values[20].quality), (Some(100), Estimated));
    assert_eq!((values[21].wh, values[21].quality), (Some(100), Estimated));
    assert_eq!((values[10].wh, values[10].quality), (None, Rejected));
    assert_eq!((values[40].wh, values[40].quality), (Some(120), Corrected));
    assert_eq!(values[60].wh, Some(0));
}
each_backend!(validation, findings_go_to_the_validators_queue_and_are_decided_once);

/// A gap longer than a straight line should bridge is estimated in the load profile's shape,
/// at the level the day's own values set; on injection, with no profile shipped, it is not.
async fn long_gaps_follow_the_load_profile(app: &Cloison) {
    register(app).await;
    let day = d(2026, 2, 11);
    let layout = DayLayout::new(Channel::ElectricityOfftake, day).expect("a day");
    let rows: Vec<PlacedRow> = (0..layout.len())
        .filter(|i| !(40..56).contains(i))
        .map(|i| {
            let start = layout.label(i).expect("label");
            let row = ReadingRow::parse([&ean().to_string(), "electricity_offtake", &start, "100", "Wh", ""])
                .expect("row");
            PlacedRow { line: i as u64 + 1, row }
        })
        .collect();
    let report = import(app, rows).await;
    assert_eq!(report.findings, 1, "the gap: {report:?}");
    let validator = actor("meter-val", Role::MeteringStaff);
    let queue = app.validation_queue(&validator, 10).await.expect("queue").into_view();
    assert_eq!((queue[0].rule.as_str(), queue[0].intervals), ("gap", Some((40, 56))));
    let decided =
        app.validation_decide(&validator, &queue[0].id, Verdict::Estimate).await.expect("estimated");
    assert_eq!(decided.view().version_written, Some(2));
    let view =
        read(app, "meter-ops", Role::MeteringStaff, day, day.tomorrow().expect("next"), Resolution::Interval)
            .await;
    let values = &view.channels[0].values;
    let gap: Vec<i64> = values[40..56].iter().map(|v| v.wh.expect("estimated")).collect();
    assert!(values[40..56].iter().all(|v| v.quality == domain::metering::Quality::Estimated));
    assert!(gap.iter().all(|&wh| wh > 0), "{gap:?}");
    // Four hours of a day at 100 Wh a quarter-hour, in the profile's shape: not a flat line.
    let sum: i64 = gap.iter().sum();
    assert!((800..3_200).contains(&sum), "{sum}: {gap:?}");
    assert!(gap.iter().any(|&wh| wh != gap[0]), "the profile's shape, not a straight line: {gap:?}");
}
each_backend!(long_gaps, long_gaps_follow_the_load_profile);

/// One day of `ean()`'s offtake, every quarter-hour at `wh`.
fn flat_day(day: Date, wh: i64) -> Vec<PlacedRow> {
    let layout = DayLayout::new(Channel::ElectricityOfftake, day).expect("a day");
    (0..layout.len())
        .map(|i| {
            let start = layout.label(i).expect("label");
            let row = ReadingRow::parse([
                &ean().to_string(),
                "electricity_offtake",
                &start,
                &wh.to_string(),
                "Wh",
                "",
            ])
            .expect("row");
            PlacedRow { line: i as u64 + 1, row }
        })
        .collect()
}

/// History: a day is compared with the same weekday 52 and 104 weeks before; four times that
/// level is a finding, one and a half times is not, and a day with no history has none.
async fn a_day_far_from_its_history_is_a_finding(app: &Cloison) {
    register(app).await;
    let mut rows = flat_day(d(2024, 2, 13), 100);
    rows.extend(flat_day(d(2025, 2, 11), 100));
    rows.extend(flat_day(d(2025, 2, 13), 100));
    assert_eq!(import(app, rows).await.findings, 0, "no history to compare with yet");
    // 2026-02-10 is 52 weeks after 2025-02-11 and 104 after 2024-02-13: the same Tuesday.
    let mut rows = flat_day(d(2026, 2, 10), 400);
    rows.extend(flat_day(d(2026, 2, 12), 150));
    rows.extend(flat_day(d(2026, 2, 16), 900));
    let report = import(app, rows).await;
    assert_eq!((report.days_written, report.findings), (3, 1), "{report:?}");
    let queue =
        app.validation_queue(&actor("meter-val", Role::MeteringStaff), 10).await.expect("queue").into_view();
    assert_eq!(queue.len(), 1);
    assert_eq!((queue[0].rule.as_str(), queue[0].day), ("outside_history_band", d(2026, 2, 10)));
    assert!(queue[0].reason.contains("9600"), "{}", queue[0].reason);
}
each_backend!(history, a_day_far_from_its_history_is_a_finding);
