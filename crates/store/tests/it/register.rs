//! The access register on every backend: invariants, corrections, queries.

use domain::{Occupancy, Period, RecordId, Registration};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use store::{Counts, StoreError};

use crate::conformance;
use crate::harness::*;

async fn seed_basic(db: &TestDb) {
    let mut tx = db.store.begin().await.expect("begin");
    tx.put_party(&person("nu-1", "Marie Dubois"), hours(0)).await.expect("person");
    tx.put_party(&person("nu-2", "Jean Lambert"), hours(0)).await.expect("person");
    tx.put_party(&supplier("sup-a", 541_234_500_001), hours(0)).await.expect("supplier a");
    tx.put_party(&supplier("sup-b", 541_234_500_002), hours(0)).await.expect("supplier b");
    tx.put_access_point(&access_point(1), hours(0)).await.expect("access point");
    tx.commit().await.expect("commit");
}

fn occupancy(n: u64, who: &str, from: i64, to: Option<i64>) -> Occupancy {
    Occupancy {
        ean: ean(n),
        network_user: id(who),
        period: Period::new(hours(from), to.map(hours)).expect("non-empty"),
        shipping_address: address("Rue des Carmes", 9),
    }
}

fn registration(n: u64, who: &str, from: i64, to: Option<i64>) -> Registration {
    Registration {
        ean: ean(n),
        supplier: id(who),
        period: Period::new(hours(from), to.map(hours)).expect("non-empty"),
    }
}

async fn counts(db: &TestDb) -> Counts {
    db.store.counts().await.expect("counts")
}

async fn point_in_time_query(db: &TestDb) {
    seed_basic(db).await;
    let mut tx = db.store.begin().await.expect("begin");
    tx.record_occupancy(&occupancy(1, "nu-1", 0, Some(100)), None, hours(1)).await.expect("first occupant");
    tx.record_occupancy(&occupancy(1, "nu-2", 100, None), None, hours(1)).await.expect("second occupant");
    tx.record_registration(&registration(1, "sup-a", 0, Some(50)), None, hours(1)).await.expect("sup a");
    tx.record_registration(&registration(1, "sup-b", 50, None), None, hours(1)).await.expect("sup b");
    tx.commit().await.expect("commit");

    let (ap, snap) = db.store.snapshot(ean(1), hours(10)).await.expect("query").expect("known EAN");
    assert_eq!(ap, access_point(1));
    assert_eq!(snap.occupancy.expect("occupied").value.network_user, id("nu-1"));
    assert_eq!(snap.registration.expect("supplied").value.supplier, id("sup-a"));

    // Half-open: at the switch instant the new supplier holds the point.
    let (_, snap) = db.store.snapshot(ean(1), hours(50)).await.expect("query").expect("known EAN");
    assert_eq!(snap.registration.expect("supplied").value.supplier, id("sup-b"));
    let (_, snap) = db.store.snapshot(ean(1), hours(100)).await.expect("query").expect("known EAN");
    assert_eq!(snap.occupancy.expect("occupied").value.network_user, id("nu-2"));

    // Before any period: the access point is known, nobody holds it.
    let (_, snap) = db.store.snapshot(ean(1), hours(-5)).await.expect("query").expect("known EAN");
    assert!(snap.occupancy.is_none() && snap.registration.is_none());

    // An unknown EAN is not an empty access point.
    assert!(db.store.snapshot(ean(2), hours(10)).await.expect("query").is_none());
    assert!(db.store.history(ean(2)).await.expect("query").is_none());

    let periods = db.store.party_periods(&id("sup-b")).await.expect("periods");
    assert_eq!(periods.registrations.len(), 1);
    assert!(periods.occupancies.is_empty());
}
conformance!(point_in_time_query_answers_who_and_when, point_in_time_query);

async fn overlaps_are_refused(db: &TestDb) {
    seed_basic(db).await;
    let mut tx = db.store.begin().await.expect("begin");
    tx.record_occupancy(&occupancy(1, "nu-1", 0, None), None, hours(1)).await.expect("open occupancy");
    tx.record_registration(&registration(1, "sup-a", 0, Some(50)), None, hours(1)).await.expect("sup a");
    tx.commit().await.expect("commit");
    let before = counts(db).await;

    let mut tx = db.store.begin().await.expect("begin");
    let err =
        tx.record_occupancy(&occupancy(1, "nu-2", 10, Some(20)), None, hours(2)).await.expect_err("overlap");
    assert!(matches!(err, StoreError::Overlap(ref o) if o.what == "occupancy"), "{err}");
    assert!(err.to_string().starts_with("period:"), "names the field: {err}");
    drop(tx);

    let mut tx = db.store.begin().await.expect("begin");
    let err = tx
        .record_registration(&registration(1, "sup-b", 49, None), None, hours(2))
        .await
        .expect_err("overlap");
    assert!(matches!(err, StoreError::Overlap(_)), "{err}");
    drop(tx);

    // Touching is not overlapping.
    let mut tx = db.store.begin().await.expect("begin");
    tx.record_registration(&registration(1, "sup-b", 50, None), None, hours(2)).await.expect("touching");
    tx.commit().await.expect("commit");
    assert_eq!(counts(db).await.registrations, before.registrations + 1);
    assert_eq!(counts(db).await.occupancies, before.occupancies);
}
conformance!(overlapping_periods_are_refused_and_change_nothing, overlaps_are_refused);

async fn bad_input_changes_nothing(db: &TestDb) {
    seed_basic(db).await;
    let before = counts(db).await;
    let history_before = db.store.history(ean(1)).await.expect("history").expect("known");

    let mut tx = db.store.begin().await.expect("begin");
    let err =
        tx.record_occupancy(&occupancy(1, "nu-404", 0, None), None, hours(1)).await.expect_err("unknown");
    assert!(matches!(err, StoreError::UnknownParty { field: "network_user", .. }), "{err}");
    let err =
        tx.record_occupancy(&occupancy(1, "sup-a", 0, None), None, hours(1)).await.expect_err("supplier");
    assert!(matches!(err, StoreError::WrongPartyKind { field: "network_user", .. }), "{err}");
    let err =
        tx.record_registration(&registration(1, "nu-1", 0, None), None, hours(1)).await.expect_err("person");
    assert!(matches!(err, StoreError::WrongPartyKind { field: "supplier", .. }), "{err}");
    let err =
        tx.record_registration(&registration(9, "sup-a", 0, None), None, hours(1)).await.expect_err("no ap");
    assert!(matches!(err, StoreError::UnknownAccessPoint { .. }), "{err}");
    assert!(err.to_string().starts_with("ean:"), "{err}");
    let err = tx
        .record_registration(&registration(1, "sup-a", 0, None), Some(RecordId(424242)), hours(1))
        .await
        .expect_err("not effective");
    assert!(matches!(err, StoreError::NotEffective { .. }), "{err}");
    let err = tx.put_party(&person("nu-1", "Someone Else"), hours(1)).await.expect_err("duplicate id");
    assert!(matches!(err, StoreError::Duplicate { field: "id", .. }), "{err}");
    let err = tx.put_party(&supplier("sup-c", 541_234_500_001), hours(1)).await.expect_err("duplicate gln");
    assert!(matches!(err, StoreError::Duplicate { field: "gln", .. }), "{err}");
    assert!(err.is_input());
    tx.commit().await.expect("commit of a transaction whose writes were all refused");

    assert_eq!(counts(db).await, before);
    let history_after = db.store.history(ean(1)).await.expect("history").expect("known");
    assert_eq!(history_after.occupancies, history_before.occupancies);
    assert_eq!(history_after.registrations, history_before.registrations);
}
conformance!(bad_input_is_a_typed_error_and_changes_nothing, bad_input_changes_nothing);

async fn corrections_supersede(db: &TestDb) {
    seed_basic(db).await;
    let mut tx = db.store.begin().await.expect("begin");
    let open = tx.record_occupancy(&occupancy(1, "nu-1", 0, None), None, hours(1)).await.expect("open");
    tx.commit().await.expect("commit");

    // Move-out at hour 30: a new record ends the old one, the old one stays in history.
    let mut tx = db.store.begin().await.expect("begin");
    let ended =
        tx.record_occupancy(&occupancy(1, "nu-1", 0, Some(30)), Some(open), hours(30)).await.expect("end");
    tx.record_occupancy(&occupancy(1, "nu-2", 30, None), None, hours(30)).await.expect("move in");
    tx.commit().await.expect("commit");

    let history = db.store.history(ean(1)).await.expect("history").expect("known");
    assert_eq!(history.occupancies.len(), 3);
    assert_eq!(history.occupancies[0].id, open);
    assert_eq!(history.occupancies[0].value.period.to(), None, "the original is not rewritten");
    assert_eq!(history.occupancies[1].supersedes, Some(open));

    // The superseded record can no longer be corrected: only effective records can.
    let mut tx = db.store.begin().await.expect("begin");
    let err = tx
        .record_occupancy(&occupancy(1, "nu-1", 0, Some(20)), Some(open), hours(31))
        .await
        .expect_err("gone");
    assert!(matches!(err, StoreError::NotEffective { .. }), "{err}");
    // Correcting the effective end may not run into the next occupant.
    let err =
        tx.record_occupancy(&occupancy(1, "nu-1", 0, Some(40)), Some(ended), hours(31)).await.expect_err("x");
    assert!(matches!(err, StoreError::Overlap(_)), "{err}");
    drop(tx);

    let (_, at_20) = db.store.snapshot(ean(1), hours(20)).await.expect("query").expect("known");
    assert_eq!(at_20.occupancy.expect("occupied").id, ended);
    let (_, at_40) = db.store.snapshot(ean(1), hours(40)).await.expect("query").expect("known");
    assert_eq!(at_40.occupancy.expect("occupied").value.network_user, id("nu-2"));
}
conformance!(corrections_supersede_and_never_rewrite, corrections_supersede);

async fn append_only_in_the_database(db: &TestDb) {
    seed_basic(db).await;
    let mut tx = db.store.begin().await.expect("begin");
    tx.record_occupancy(&occupancy(1, "nu-1", 0, None), None, hours(1)).await.expect("open");
    tx.record_registration(&registration(1, "sup-a", 0, None), None, hours(1)).await.expect("open");
    tx.commit().await.expect("commit");
    let pool = sqlx::AnyPool::connect(&db.url).await.expect("raw connection, as a DBA would");
    for sql in [
        "UPDATE occupancies SET to_us = 5",
        "DELETE FROM occupancies",
        "UPDATE registrations SET party_id = 'sup-b'",
        "DELETE FROM registrations",
        "UPDATE access_points SET meter = 'budget'",
        "DELETE FROM access_points",
    ] {
        let err = sqlx::query(sql).execute(&pool).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    pool.close().await;
}
conformance!(register_tables_refuse_update_and_delete, append_only_in_the_database);

/// Random histories written through the store, with corrections; every point-in-time answer
/// must equal a plain scan of the history and a model kept beside it.
async fn snapshot_agrees_with_scan(db: &TestDb) {
    seed_basic(db).await;
    let people = ["nu-1", "nu-2"];
    let suppliers = ["sup-a", "sup-b"];
    let mut rng = ChaCha8Rng::seed_from_u64(0xC10150);
    let mut tx = db.store.begin().await.expect("begin");
    for n in 2..14 {
        tx.put_access_point(&access_point(n), hours(0)).await.expect("access point");
    }
    tx.commit().await.expect("commit");
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..400 {
        let n = rng.gen_range(1..14);
        let from = rng.gen_range(0..200);
        let to = if rng.gen_bool(0.3) { None } else { Some(from + rng.gen_range(1..60)) };
        let history = db.store.history(ean(n)).await.expect("history").expect("known");
        let mut tx = db.store.begin().await.expect("begin");
        let result = if rng.gen_bool(0.5) {
            let supersedes = if rng.gen_bool(0.3) {
                domain::register::effective(&history.occupancies).next().map(|r| r.id)
            } else {
                None
            };
            let who = people[rng.gen_range(0..2)];
            tx.record_occupancy(&occupancy(n, who, from, to), supersedes, hours(300)).await.map(|_| ())
        } else {
            let supersedes = if rng.gen_bool(0.3) {
                domain::register::effective(&history.registrations).next().map(|r| r.id)
            } else {
                None
            };
            let who = suppliers[rng.gen_range(0..2)];
            tx.record_registration(&registration(n, who, from, to), supersedes, hours(300)).await.map(|_| ())
        };
        match result {
            Ok(()) => {
                tx.commit().await.expect("commit");
                accepted += 1;
            }
            Err(StoreError::Overlap(_)) => refused += 1,
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert!(
        accepted > 50 && refused > 50,
        "the walk exercised both paths: {accepted} accepted, {refused} refused"
    );
    let mut compared = 0;
    for n in 1..14 {
        let history = db.store.history(ean(n)).await.expect("history").expect("known");
        // The invariant holds on what was stored.
        let eff: Vec<_> = domain::register::effective(&history.registrations).collect();
        for (i, a) in eff.iter().enumerate() {
            for b in &eff[i + 1..] {
                assert!(!a.value.period.overlaps(&b.value.period), "stored overlap on {n}");
            }
        }
        for h in (-5..280).step_by(3) {
            let (_, snap) = db.store.snapshot(ean(n), hours(h)).await.expect("query").expect("known");
            assert_eq!(snap, history.at(hours(h)), "EAN {n} at hour {h}");
            compared += 1;
        }
    }
    assert!(compared > 1000);
}
conformance!(point_in_time_agrees_with_a_naive_scan, snapshot_agrees_with_scan);

async fn party_lookups(db: &TestDb) {
    let mut marie = person("nu-1", "Marie Dubois");
    marie.phone = Some("081/23.45.67".parse().expect("phone"));
    marie.email = Some("Marie.Dubois@example.be".parse().expect("email"));
    let mut tx = db.store.begin().await.expect("begin");
    tx.put_party(&marie, hours(0)).await.expect("put");
    tx.put_party(&person("nu-2", "Jean Lambert"), hours(0)).await.expect("put");
    tx.commit().await.expect("commit");
    assert_eq!(db.store.party(&id("nu-1")).await.expect("read"), Some(marie));
    assert_eq!(
        db.store.parties_by_phone(&"+32 81 23 45 67".parse().expect("phone")).await.expect("q"),
        vec![id("nu-1")]
    );
    assert_eq!(
        db.store.parties_by_email(&"marie.dubois@EXAMPLE.be".parse().expect("email")).await.expect("q"),
        vec![id("nu-1")]
    );
    assert!(db.store.parties_by_phone(&"081 23 45 68".parse().expect("phone")).await.expect("q").is_empty());
    assert_eq!(db.store.party(&id("nu-404")).await.expect("read"), None);
}
conformance!(parties_round_trip_and_are_found_by_blind_index, party_lookups);
