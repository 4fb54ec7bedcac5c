//! The access register on every backend: invariants, corrections, queries.

use domain::{Change, Occupancy, Period, RecordId, Registration};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use store::{Counts, StoreError};

use crate::conformance;
use crate::harness::*;

async fn seed_basic(db: &TestDb) {
    apply(
        db,
        vec![
            Change::PutParty(person("nu-1", "Marie Dubois")),
            Change::PutParty(person("nu-2", "Jean Lambert")),
            Change::PutParty(supplier("sup-a", 541_234_500_001)),
            Change::PutParty(supplier("sup-b", 541_234_500_002)),
            Change::PutAccessPoint(access_point(1)),
        ],
    )
    .await
    .expect("seed");
}

fn occupancy(n: u64, who: &str, from: i64, to: Option<i64>) -> Occupancy {
    Occupancy {
        ean: ean(n),
        network_user: id(who),
        period: Period::new(hours(from), to.map(hours)).expect("non-empty"),
        shipping_address: address("Rue des Carmes", 9),
    }
}

fn occ(n: u64, who: &str, from: i64, to: Option<i64>, supersedes: Option<RecordId>) -> Change {
    Change::RecordOccupancy { occupancy: occupancy(n, who, from, to), supersedes }
}

fn reg(n: u64, who: &str, from: i64, to: Option<i64>, supersedes: Option<RecordId>) -> Change {
    Change::RecordRegistration {
        registration: Registration {
            ean: ean(n),
            supplier: id(who),
            period: Period::new(hours(from), to.map(hours)).expect("non-empty"),
        },
        supersedes,
    }
}

async fn counts(db: &TestDb) -> Counts {
    db.store.counts().await.expect("counts")
}

async fn point_in_time_query(db: &TestDb) {
    seed_basic(db).await;
    apply(
        db,
        vec![
            occ(1, "nu-1", 0, Some(100), None),
            occ(1, "nu-2", 100, None, None),
            reg(1, "sup-a", 0, Some(50), None),
            reg(1, "sup-b", 50, None, None),
        ],
    )
    .await
    .expect("history");

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
    apply(db, vec![occ(1, "nu-1", 0, None, None), reg(1, "sup-a", 0, Some(50), None)])
        .await
        .expect("history");
    let before = counts(db).await;

    let err = refused(db, occ(1, "nu-2", 10, Some(20), None)).await;
    assert!(matches!(err, StoreError::Overlap(ref o) if o.what == "occupancy"), "{err}");
    assert!(err.to_string().starts_with("period:"), "names the field: {err}");
    let err = refused(db, reg(1, "sup-b", 49, None, None)).await;
    assert!(matches!(err, StoreError::Overlap(_)), "{err}");

    // Touching is not overlapping.
    ok(db, reg(1, "sup-b", 50, None, None)).await;
    assert_eq!(counts(db).await.registrations, before.registrations + 1);
    assert_eq!(counts(db).await.occupancies, before.occupancies);
}
conformance!(overlapping_periods_are_refused_and_change_nothing, overlaps_are_refused);

async fn bad_input_changes_nothing(db: &TestDb) {
    seed_basic(db).await;
    let before = counts(db).await;
    let history_before = db.store.history(ean(1)).await.expect("history").expect("known");

    let err = refused(db, occ(1, "nu-404", 0, None, None)).await;
    assert!(matches!(err, StoreError::UnknownParty { field: "network_user", .. }), "{err}");
    let err = refused(db, occ(1, "sup-a", 0, None, None)).await;
    assert!(matches!(err, StoreError::WrongPartyKind { field: "network_user", .. }), "{err}");
    let err = refused(db, reg(1, "nu-1", 0, None, None)).await;
    assert!(matches!(err, StoreError::WrongPartyKind { field: "supplier", .. }), "{err}");
    let err = refused(db, reg(9, "sup-a", 0, None, None)).await;
    assert!(matches!(err, StoreError::UnknownAccessPoint { .. }), "{err}");
    assert!(err.to_string().starts_with("ean:"), "{err}");
    let err = refused(db, reg(1, "sup-a", 0, None, Some(RecordId(424242)))).await;
    assert!(matches!(err, StoreError::NotEffective { .. }), "{err}");
    let err = refused(db, Change::PutParty(person("nu-1", "Someone Else"))).await;
    assert!(matches!(err, StoreError::Duplicate { field: "id", .. }), "{err}");
    let err = refused(db, Change::PutParty(supplier("sup-c", 541_234_500_001))).await;
    assert!(matches!(err, StoreError::Duplicate { field: "gln", .. }), "{err}");
    assert!(err.is_input());
    let err = refused(db, Change::EndOccupancy { ean: ean(1), at: hours(5) }).await;
    assert!(matches!(err, StoreError::NothingToEnd { .. }), "{err}");
    // A request of several changes is all or nothing: the valid first one is undone.
    let err =
        apply(db, vec![Change::PutParty(person("nu-3", "Luc Renard")), occ(1, "nu-404", 0, None, None)])
            .await
            .expect_err("second change refused");
    assert!(matches!(err, StoreError::UnknownParty { .. }), "{err}");
    assert!(db.store.party(&id("nu-3")).await.expect("read").is_none());

    assert_eq!(counts(db).await, before);
    let history_after = db.store.history(ean(1)).await.expect("history").expect("known");
    assert_eq!(history_after.occupancies, history_before.occupancies);
    assert_eq!(history_after.registrations, history_before.registrations);
}
conformance!(bad_input_is_a_typed_error_and_changes_nothing, bad_input_changes_nothing);

async fn corrections_supersede(db: &TestDb) {
    seed_basic(db).await;
    let open = record(ok(db, occ(1, "nu-1", 0, None, None)).await);

    // Move-out at hour 30: a new record ends the old one, the old one stays in history.
    let written =
        apply(db, vec![Change::EndOccupancy { ean: ean(1), at: hours(30) }, occ(1, "nu-2", 30, None, None)])
            .await
            .expect("move");
    let ended = record(written[0]);

    let history = db.store.history(ean(1)).await.expect("history").expect("known");
    assert_eq!(history.occupancies.len(), 3);
    assert_eq!(history.occupancies[0].id, open);
    assert_eq!(history.occupancies[0].value.period.to(), None, "the original is not rewritten");
    assert_eq!(history.occupancies[1].supersedes, Some(open));
    assert_eq!(history.occupancies[1].value.period.to(), Some(hours(30)));

    // The superseded record can no longer be corrected: only effective records can.
    let err = refused(db, occ(1, "nu-1", 0, Some(20), Some(open))).await;
    assert!(matches!(err, StoreError::NotEffective { .. }), "{err}");
    // Correcting the effective end may not run into the next occupant.
    let err = refused(db, occ(1, "nu-1", 0, Some(40), Some(ended))).await;
    assert!(matches!(err, StoreError::Overlap(_)), "{err}");

    let (_, at_20) = db.store.snapshot(ean(1), hours(20)).await.expect("query").expect("known");
    assert_eq!(at_20.occupancy.expect("occupied").id, ended);
    let (_, at_40) = db.store.snapshot(ean(1), hours(40)).await.expect("query").expect("known");
    assert_eq!(at_40.occupancy.expect("occupied").value.network_user, id("nu-2"));
}
conformance!(corrections_supersede_and_never_rewrite, corrections_supersede);

async fn append_only_in_the_database(db: &TestDb) {
    seed_basic(db).await;
    apply(db, vec![occ(1, "nu-1", 0, None, None), reg(1, "sup-a", 0, None, None)]).await.expect("history");
    let pool = sqlx::AnyPool::connect(&db.url).await.expect("raw connection, as a DBA would");
    for sql in [
        "UPDATE occupancies SET to_us = 5",
        "DELETE FROM occupancies",
        "UPDATE registrations SET party_id = 'sup-b'",
        "DELETE FROM registrations",
        "UPDATE access_points SET meter = 'budget'",
        "DELETE FROM access_points",
        "UPDATE journal_entries SET action = 'nothing'",
        "DELETE FROM journal_entries",
        "DELETE FROM journal_nodes",
        "UPDATE journal_subjects SET subject = 'x'",
    ] {
        let err = sqlx::query(sql).execute(&pool).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let err = sqlx::query("UPDATE journal_latest SET size = 0").execute(&pool).await.expect_err("shrink");
    assert!(err.to_string().contains("may only grow"), "{err}");
    pool.close().await;
}
conformance!(register_and_journal_tables_refuse_update_and_delete, append_only_in_the_database);

/// Random histories written through the store, with corrections; every point-in-time answer
/// must equal a plain scan of the history.
async fn snapshot_agrees_with_scan(db: &TestDb) {
    seed_basic(db).await;
    let people = ["nu-1", "nu-2"];
    let suppliers = ["sup-a", "sup-b"];
    let mut rng = ChaCha8Rng::seed_from_u64(0xC10150);
    apply(db, (2..14).map(|n| Change::PutAccessPoint(access_point(n))).collect())
        .await
        .expect("access points");
    let (mut accepted, mut refused_count) = (0, 0);
    for _ in 0..400 {
        let n = rng.gen_range(1..14);
        let from = rng.gen_range(0..200);
        let to = if rng.gen_bool(0.3) { None } else { Some(from + rng.gen_range(1..60)) };
        let history = db.store.history(ean(n)).await.expect("history").expect("known");
        let change = if rng.gen_bool(0.5) {
            let supersedes = rng
                .gen_bool(0.3)
                .then(|| domain::register::effective(&history.occupancies).next().map(|r| r.id))
                .flatten();
            occ(n, people[rng.gen_range(0..2)], from, to, supersedes)
        } else {
            let supersedes = rng
                .gen_bool(0.3)
                .then(|| domain::register::effective(&history.registrations).next().map(|r| r.id))
                .flatten();
            reg(n, suppliers[rng.gen_range(0..2)], from, to, supersedes)
        };
        match apply(db, vec![change]).await {
            Ok(_) => accepted += 1,
            Err(StoreError::Overlap(_)) => refused_count += 1,
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert!(
        accepted > 50 && refused_count > 50,
        "the walk exercised both paths: {accepted} accepted, {refused_count} refused"
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
    apply(db, vec![Change::PutParty(marie.clone()), Change::PutParty(person("nu-2", "Jean Lambert"))])
        .await
        .expect("parties");
    assert_eq!(db.store.party(&id("nu-1")).await.expect("read"), Some(marie));
    let phone = "+32 81 23 45 67".parse().expect("phone");
    assert_eq!(db.store.parties_by_phone(&phone).await.expect("q"), vec![id("nu-1")]);
    let email = "marie.dubois@EXAMPLE.be".parse().expect("email");
    assert_eq!(db.store.parties_by_email(&email).await.expect("q"), vec![id("nu-1")]);
    assert!(db.store.parties_by_phone(&"081 23 45 68".parse().expect("phone")).await.expect("q").is_empty());
    assert_eq!(db.store.party(&id("nu-404")).await.expect("read"), None);
}
conformance!(parties_round_trip_and_are_found_by_blind_index, party_lookups);
