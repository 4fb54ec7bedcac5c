//! Interval data in packed days (I4, R7): a day reads back exactly, DST days included; a
//! correction is the next version and the read takes it; writing the same day again writes
//! nothing; every row is bound to its entry and an edited one is named by verification.

use domain::metering::{Channel, Finding, Interval, IntervalDay, Quality, Rule};
use jiff::civil::{Date, date};
use journal::Entry;
use store::{Command, DayWritten, Done, StoreError, VerifyError, WriteTx};

use crate::conformance;
use crate::harness::*;

/// Writes days in one entry, as an import batch does.
struct PutDays(Vec<IntervalDay>);

impl Command for PutDays {
    type Output = Vec<DayWritten>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let mut written = Vec::with_capacity(self.0.len());
        for day in &self.0 {
            written.push(tx.put_interval_day(day, hours(10)).await?);
        }
        let entry = tx.slot().fill(Entry {
            action: "metering.interval.import".into(),
            subjects: vec![ean(1).to_string()],
            outcome: "ok".into(),
            ..template()
        });
        Ok(Done { output: written, entries: vec![entry] })
    }
}

async fn put(db: &TestDb, days: Vec<IntervalDay>) -> Vec<DayWritten> {
    db.store.submit(PutDays(days)).await.expect("queued").wait().await.expect("committed").output
}

/// A day of `channel` with a value per interval, a few of them missing or estimated.
fn day(channel: Channel, on: Date, base: i64) -> IntervalDay {
    let layout = domain::metering::DayLayout::new(channel, on).expect("layout");
    let intervals = (0..layout.len())
        .map(|i| match i % 17 {
            5 => Interval::missing(),
            9 => Interval::estimated(base + i as i64),
            _ => Interval::measured(base + (i as i64 * 37) % 250),
        })
        .collect();
    IntervalDay::new(ean(1), channel, on, intervals).expect("day")
}

async fn packed_days_read_back_exactly_with_their_versions(db: &TestDb) {
    let ap = access_point(1);
    apply(db, vec![domain::Change::PutAccessPoint(ap)]).await.expect("access point");
    let spring = day(Channel::ElectricityOfftake, date(2026, 3, 29), 40);
    let autumn = day(Channel::ElectricityOfftake, date(2026, 10, 25), 60);
    let gas = day(Channel::GasOfftake, date(2026, 10, 25), 900);
    assert_eq!((spring.intervals().len(), autumn.intervals().len(), gas.intervals().len()), (92, 100, 25));
    let written = put(db, vec![spring.clone(), autumn.clone(), gas.clone()]).await;
    assert_eq!(written, [DayWritten::Version(1); 3]);

    let read = |channel, from, to| db.store.interval_days(ean(1), channel, from, to);
    let electricity =
        read(Channel::ElectricityOfftake, date(2026, 1, 1), date(2026, 12, 31)).await.expect("read");
    assert_eq!(electricity, [spring.clone(), autumn.clone()], "DST days read back value for value");
    assert_eq!(read(Channel::GasOfftake, date(2026, 10, 25), date(2026, 10, 25)).await.expect("read"), [gas]);
    assert!(
        read(Channel::ElectricityInjection, date(2026, 1, 1), date(2026, 12, 31))
            .await
            .expect("read")
            .is_empty()
    );

    // The same day again writes nothing; a correction is the next version and is what is read.
    assert_eq!(put(db, vec![spring.clone()]).await, [DayWritten::Unchanged(1)]);
    let corrected = spring.corrected(&[(5, Interval::new(41, Quality::Corrected))]).expect("correction");
    assert_eq!(put(db, vec![corrected.clone()]).await, [DayWritten::Version(2)]);
    let now = read(Channel::ElectricityOfftake, date(2026, 3, 29), date(2026, 3, 29)).await.expect("read");
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].intervals(), corrected.intervals());
    assert_eq!(now[0].version().get(), 2);

    let verified = db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await.expect("intact");
    assert_eq!(verified.rows, 5, "one access point and four interval rows are bound");
}
conformance!(
    packed_days_read_back_exactly_with_their_versions,
    packed_days_read_back_exactly_with_their_versions
);

async fn an_edited_or_overwritten_day_is_named(db: &TestDb) {
    let postgres = db.sqlite_file.is_none();
    let cases = [
        ("value edited", "UPDATE interval_days SET packed = {blob}"),
        ("version deleted", "DELETE FROM interval_days"),
        ("day moved", "UPDATE interval_days SET day = '2026-03-30'"),
    ];
    let mut failures = Vec::new();
    for (name, sql) in cases {
        let fresh =
            if postgres { TestDb::postgres().await.expect("configured") } else { TestDb::sqlite().await };
        put(&fresh, vec![day(Channel::ElectricityOfftake, date(2026, 3, 29), 40)]).await;
        let blob = if postgres { "'\\x0100'::bytea" } else { "X'0100'" };
        match crate::bound::tamper_and_verify(&fresh, name, &[sql.replace("{blob}", blob)]).await {
            Err(VerifyError::Fault(fault)) if fault.to_string().contains("table interval_days, key ") => {}
            other => failures.push(format!("{name}: expected a fault naming interval_days, got {other:?}")),
        }
        fresh.finish().await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
conformance!(an_edited_or_overwritten_day_is_named, an_edited_or_overwritten_day_is_named);

/// Files a finding on a day, and decides it when told to, in one entry.
struct FileFinding {
    day: IntervalDay,
    decide: bool,
}

impl Command for FileFinding {
    type Output = (String, Result<(), StoreError>);

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        tx.put_interval_day(&self.day, hours(10)).await?;
        let finding = Finding { rule: Rule::Gap, intervals: Some(5..6), reason: "1 interval missing".into() };
        let id = tx.put_finding(&self.day, &finding, hours(10)).await?;
        let decided = if self.decide {
            tx.decide_finding(&id, "estimate", "meter-val", Some(2), hours(11)).await?;
            tx.decide_finding(&id, "accept", "meter-val", None, hours(12)).await
        } else {
            Ok(())
        };
        let entry = tx.slot().fill(Entry {
            action: "metering.validation".into(),
            subjects: vec![ean(1).to_string(), id.clone()],
            outcome: "ok".into(),
            ..template()
        });
        Ok(Done { output: (id, decided), entries: vec![entry] })
    }
}

async fn file(db: &TestDb, on: Date, decide: bool) -> (String, Result<(), StoreError>) {
    let command = FileFinding { day: day(Channel::ElectricityOfftake, on, 40), decide };
    db.store.submit(command).await.expect("queued").wait().await.expect("committed").output
}

async fn findings_stay_open_until_decided_once(db: &TestDb) {
    let (open, _) = file(db, date(2026, 3, 2), false).await;
    let (decided, twice) = file(db, date(2026, 3, 3), true).await;
    assert!(
        matches!(twice, Err(StoreError::Duplicate { field: "finding", ref value }) if *value == decided),
        "{twice:?}"
    );
    let queue = db.store.open_findings(10).await.expect("queue");
    assert_eq!(queue.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), [open.as_str()]);
    let only = &queue[0];
    assert_eq!(
        (only.rule.as_str(), only.intervals, only.version, only.day),
        ("gap", Some((5, 6)), 1, date(2026, 3, 2))
    );
    assert!(only.decision.is_none());
    assert_eq!(open.len(), 32, "a random 128-bit id");
    db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await.expect("intact");
}
conformance!(findings_stay_open_until_decided_once, findings_stay_open_until_decided_once);

async fn an_edited_or_removed_finding_or_decision_is_named(db: &TestDb) {
    let postgres = db.sqlite_file.is_none();
    let cases = [
        ("reason edited", "UPDATE validation_findings SET reason = 'nothing'", "validation_findings"),
        ("finding moved", "UPDATE validation_findings SET day = '2026-03-04'", "validation_findings"),
        ("decision deleted", "DELETE FROM validation_decisions", "validation_decisions"),
        ("decision changed", "UPDATE validation_decisions SET decision = 'reject'", "validation_decisions"),
    ];
    let mut failures = Vec::new();
    for (name, sql, table) in cases {
        let fresh =
            if postgres { TestDb::postgres().await.expect("configured") } else { TestDb::sqlite().await };
        let (_, twice) = file(&fresh, date(2026, 3, 3), true).await;
        assert!(twice.is_err(), "{name}: decided once");
        match crate::bound::tamper_and_verify(&fresh, name, &[sql.to_owned()]).await {
            Err(VerifyError::Fault(fault)) if fault.to_string().contains(&format!("table {table}, key ")) => {
            }
            other => failures.push(format!("{name}: expected a fault naming {table}, got {other:?}")),
        }
        fresh.finish().await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
conformance!(
    an_edited_or_removed_finding_or_decision_is_named,
    an_edited_or_removed_finding_or_decision_is_named
);
