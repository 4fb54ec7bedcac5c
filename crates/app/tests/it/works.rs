//! Customer works through the gate, on both backends (R13): a request through its six modules
//! to its asset record, the refusals of each rule, who sees what, and the retention schedule,
//! after which the purged personal data are gone from the database file or its dump and the
//! journal still verifies.

use std::collections::BTreeMap;

use app::{AppError, Role};
use domain::works::{RequesterKind, Stage, Step};
use jiff::civil::Date;
use store::StoreError;

use crate::each_backend;
use crate::harness::{TestApp, actor, ean, id, small_register};

fn d(text: &str) -> Date {
    text.parse().expect("test day")
}

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn code<T: std::fmt::Debug>(result: Result<T, AppError>) -> &'static str {
    match result {
        Err(AppError::Invalid(StoreError::Refused { code, .. })) => code,
        Err(AppError::Invalid(StoreError::UnknownParty { .. })) => "unknown_party",
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn a_request_through_its_modules_then_purged(t: &TestApp) {
    let app = &t.app;
    small_register(app).await;
    let staff = actor("staff-w", Role::WorksStaff);
    let capture = fields(&[
        ("requester_name", "Yasmine Peeters"),
        ("billing_address", "Rue de Fer 12, 5000 Namur"),
        ("description", "a smart meter in place of the old one"),
        ("phone", "+32470998877"),
        ("email", "yasmine.peeters@example.be"),
        ("ean", &ean().to_string()),
    ]);
    let count = || {
        let staff = staff.clone();
        async move { app.works(&staff).await.expect("list").into_view().len() }
    };

    // Bad input: refused with the rule, nothing kept.
    let mut intruder = capture.clone();
    intruder.insert("national_number".into(), "85.07.30-033.61".into());
    let cases = [
        (
            app.capture_work(
                &staff,
                "teleport",
                id("nu-yasmine"),
                RequesterKind::Customer,
                capture.clone(),
                d("2015-01-05"),
            )
            .await
            .map(|_| ()),
            "unknown_kind",
        ),
        (
            app.capture_work(
                &staff,
                "meter_change",
                id("nu-yasmine"),
                RequesterKind::Customer,
                intruder,
                d("2015-01-05"),
            )
            .await
            .map(|_| ()),
            "not_allowed",
        ),
        (
            app.capture_work(
                &staff,
                "meter_change",
                id("nu-nobody"),
                RequesterKind::Customer,
                capture.clone(),
                d("2015-01-05"),
            )
            .await
            .map(|_| ()),
            "unknown_party",
        ),
        (
            app.capture_work(
                &staff,
                "meter_change",
                id("nu-yasmine"),
                RequesterKind::Customer,
                capture.clone(),
                d("2999-01-05"),
            )
            .await
            .map(|_| ()),
            "day_in_future",
        ),
    ];
    for (result, expected) in cases {
        assert_eq!(code(result), expected);
    }
    assert_eq!(count().await, 0, "refusals keep nothing");

    let captured = app
        .capture_work(
            &staff,
            "meter_change",
            id("nu-yasmine"),
            RequesterKind::Customer,
            capture,
            d("2015-01-05"),
        )
        .await
        .expect("captured");
    assert!(captured.label().is_some());
    let work = captured.into_view().id;
    let step = |s: Step, day: &str| {
        let (staff, work, day) = (staff.clone(), work.clone(), d(day));
        async move { app.work_step(&staff, &work, s, day).await.map(app::Sent::into_view) }
    };
    step(Step::Study { fields: fields(&[("study_fee_cents", "15000")]) }, "2015-01-12").await.expect("study");
    step(Step::Offer { fields: fields(&[("works_amount_cents", "42000"), ("vat_rate", "6")]) }, "2015-01-20")
        .await
        .expect("offer");
    assert_eq!(
        code(step(Step::Plan { fields: fields(&[("planned_day", "2015-02-10")]) }, "2015-01-21").await),
        "not_accepted"
    );
    step(Step::Accept, "2015-01-25").await.expect("accepted");
    assert_eq!(code(step(Step::Accept, "2015-01-26").await), "already_accepted");
    let execute = Step::Execute {
        fields: fields(&[
            ("power_kva", "9.2"),
            ("supply_type", "single_phase"),
            ("meter_type", "smart"),
            ("meter_number", "SM-7"),
        ]),
    };
    assert_eq!(code(step(execute.clone(), "2015-01-26").await), "not_planned");
    assert_eq!(code(step(Step::Accept, "2015-01-01").await), "day_before_last");
    let mut sneaky = fields(&[("planned_day", "2015-02-10")]);
    sneaky.insert("iban".into(), "BE68539007547034".into());
    assert_eq!(code(step(Step::Plan { fields: sneaky }, "2015-01-27").await), "not_allowed");
    step(Step::Plan { fields: fields(&[("planned_day", "2015-02-10")]) }, "2015-01-27")
        .await
        .expect("planned");
    step(execute, "2015-02-10").await.expect("executed");
    let closed = step(Step::Invoice { fields: fields(&[("invoice_number", "INV-2015-7")]) }, "2015-02-20")
        .await
        .expect("closed");
    assert_eq!(closed.stage, Stage::Closed);
    assert_eq!(closed.asset.as_ref().map(|a| a.meter_number.as_str()), Some("SM-7"));
    assert_eq!(closed.personal.len(), 4, "the offer's and invoice's personal data, until the schedule runs");

    // Who sees what: the requester its own; nobody else anything (the not-visible answer).
    let own = app.own_works(&actor("nu-yasmine", Role::Customer)).await.expect("own").into_view();
    assert_eq!(own.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(), [work.as_str()]);
    app.work(&actor("nu-yasmine", Role::Customer), &work).await.expect("the requester sees its request");
    assert!(app.own_works(&actor("sup-a", Role::Supplier)).await.expect("own").into_view().is_empty());
    for (party, role) in [
        ("sup-a", Role::Supplier),
        ("nu-other", Role::Customer),
        ("staff-cc", Role::CallCenter),
        ("staff-sup", Role::Support),
        ("staff-reg", Role::RegisterStaff),
    ] {
        let seen = app.work(&actor(party, role), &work).await;
        assert!(matches!(seen, Err(AppError::NoSuch(_))), "{role:?} sees a works request: {seen:?}");
        let listed = app.works(&actor(party, role)).await;
        assert!(matches!(listed, Err(AppError::Forbidden)), "{role:?} lists works: {listed:?}");
    }
    assert!(matches!(app.work(&staff, "wrk_0000000000000000").await, Err(AppError::NoSuch(_))));

    // The retention schedule: ten years after closure both categories are due (contact after
    // thirty days, the invoice's after ten years).
    let keys = sealed_keys(t, &work).await;
    assert_eq!(keys.len(), 2);
    let report = app.works_retention(&staff, app::market_today()).await.expect("retention").into_view();
    let purged: Vec<&str> = report.purged.iter().map(|p| p.category.as_str()).collect();
    assert_eq!(purged, ["contact", "invoice"]);
    assert!(report.purged.iter().all(|p| p.request == work && !p.legal_basis.is_empty()));
    let again = app.works_retention(&staff, app::market_today()).await.expect("retention").into_view();
    assert!(again.purged.is_empty(), "idempotent");
    let after = app.work(&staff, &work).await.expect("still there").into_view();
    assert!(after.personal.is_empty(), "{after:?}");
    assert_eq!((after.stage, after.asset.is_some()), (Stage::Closed, true), "the technical record stays");
    assert_eq!(after.purged, ["contact", "invoice"]);
    app.journal_verify(&t.keys.journal.verifying_key(), |_| {}).await.expect("the journal still verifies");
    // The asset record names the network user and the contract date from the register, as it
    // is viewed: the purge took nothing from it, since it never held a copy.
    let asset = app.asset_record(&staff, &work).await.expect("the asset record").into_view();
    assert_eq!(asset.network_user.as_deref(), Some("Yasmine Peeters"));
    assert_eq!(asset.contract_from, Some(crate::harness::at("2024-01-01T00:00:00Z")));
    assert_eq!(asset.asset.meter_number, "SM-7");
    for (party, role) in [("nu-yasmine", Role::Customer), ("staff-cc", Role::CallCenter)] {
        let seen = app.asset_record(&actor(party, role), &work).await;
        assert!(matches!(seen, Err(AppError::NoSuch(_))), "{role:?}: {seen:?}");
    }

    // No trace of the keys that opened the purged data: not in the file, not in a dump.
    app.close().await;
    let haystack = match t.sqlite_file() {
        Some(file) => {
            let mut bytes = std::fs::read(&file).expect("read the database file");
            if let Ok(wal) = std::fs::read(file.with_extension("sqlite-wal")) {
                bytes.extend(wal);
            }
            bytes
        }
        None => {
            let out = std::process::Command::new("pg_dump")
                .arg("--dbname")
                .arg(&t.url)
                .output()
                .expect("run pg_dump");
            assert!(out.status.success(), "pg_dump: {}", String::from_utf8_lossy(&out.stderr));
            out.stdout
        }
    };
    assert!(haystack.len() > 10_000, "the scan reads the database");
    for key in &keys {
        let hex = hex::encode(key);
        let found = haystack.windows(key.len()).any(|w| w == key.as_slice())
            || haystack.windows(hex.len()).any(|w| w == hex.as_bytes());
        assert!(!found, "a purged data key is still in the database");
    }
    for clear in ["yasmine.peeters@example.be", "+32470998877"] {
        assert!(!haystack.windows(clear.len()).any(|w| w == clear.as_bytes()), "{clear} in clear");
    }
}

/// The sealed data keys of request `work`, read as a DBA would.
async fn sealed_keys(t: &TestApp, work: &str) -> Vec<Vec<u8>> {
    use sqlx::{Connection, Row};
    let mut conn = sqlx::AnyConnection::connect(&t.url).await.expect("raw connection");
    let rows = sqlx::query("SELECT key_sealed FROM works_keys WHERE request_id = $1")
        .bind(work.to_owned())
        .fetch_all(&mut conn)
        .await
        .expect("keys");
    rows.iter().map(|r| r.try_get::<Vec<u8>, _>(0).expect("a key")).collect()
}

each_backend!(works, a_request_through_its_modules_then_purged);
