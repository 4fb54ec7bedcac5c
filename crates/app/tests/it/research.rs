//! Consent-based research, aggregates and warehouse exports through the gate, on both
//! backends (R14, R8, I3, I5): extracts hold only consenting participants, inside their
//! occupancy, under pseudonyms of each partner's own; a withdrawal takes effect at the next
//! extract; aggregates withhold small cells; the warehouse files are what their report and
//! digests say, with no personal value in clear (the API suite reads them back in DuckDB); a
//! data subject's access request is answered with everything held.

use app::{AggregateQuery, AppError, CellView, Cloison, Role};
use domain::consent::{Agreement, Category, Collection, ConsentTerms};
use domain::metering::Channel;
use domain::{Change, Party, PartyKind};
use store::StoreError;

use crate::each_backend;
use crate::harness::{TestApp, actor, ean, id};
use crate::metering::{d, import, register, rows};

fn refused<T: std::fmt::Debug>(result: Result<T, AppError>) -> (&'static str, &'static str) {
    match result {
        Err(AppError::Invalid(StoreError::Refused { field, code, .. })) => (field, code),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn terms(partners: &[&str]) -> ConsentTerms {
    ConsentTerms {
        purposes: vec!["demand_study".into()],
        categories: vec![Category::QuarterHourly],
        partners: partners.iter().map(|p| id(p)).collect(),
        from: d(2026, 3, 1),
        to: d(2026, 12, 31),
        collection: Collection::Online,
    }
}

fn agreement(partner: &str) -> Agreement {
    Agreement {
        partner: id(partner),
        reference: format!("{partner}-2026"),
        purposes: vec!["demand_study".into()],
        categories: vec![Category::QuarterHourly, Category::Daily],
        substations: vec![],
        from: d(2026, 3, 1),
        // Far ahead: an agreement that has ended allows no more extracts.
        to: d(2099, 12, 31),
    }
}

/// The metering register, two research partners, and ten days of quarter-hours across
/// nu-yasmine's move-out on 2026-03-20 (nu-marc moves in).
async fn setup(app: &Cloison) -> i64 {
    register(app).await;
    let since = jiff::Timestamp::from_second(1_704_067_200).expect("2024-01-01");
    let researcher = |pid: &str, name: &str| {
        Change::PutParty(Party {
            id: id(pid),
            kind: PartyKind::Researcher,
            name: name.parse().expect("name"),
            phone: None,
            email: None,
        })
    };
    let changes = vec![researcher("uni-a", "University A"), researcher("uni-b", "University B")];
    app.register_apply(&actor("system", Role::System), changes.into_iter().map(|c| (since, c)).collect())
        .await
        .expect("partners");
    let rows = rows(ean(), Channel::ElectricityOfftake, d(2026, 3, 15), d(2026, 3, 25));
    let total: i64 = rows.iter().map(|r| r.row.interval.usable().expect("a value")).sum();
    import(app, rows).await;
    total
}

async fn extracts_hold_only_consenting_participants(t: &TestApp) {
    let app = &t.app;
    setup(app).await;
    let yasmine = actor("nu-yasmine", Role::Customer);
    let marc = actor("nu-marc", Role::Customer);
    let office = actor("staff-dpo", Role::PrivacyStaff);

    // Bad input, refused with the field named.
    let mut reversed = terms(&["uni-a"]);
    reversed.to = d(2026, 2, 1);
    assert_eq!(refused(app.give_consent(&yasmine, reversed).await), ("to", "end_before_start"));
    assert_eq!(
        refused(app.give_consent(&yasmine, terms(&["sup-a"])).await),
        ("partners", "not_a_research_partner")
    );
    assert_eq!(
        refused(app.make_extract(&office, "agr_0000000000000000", "demand_study", "quarter_hourly").await),
        ("agreement", "unknown_agreement")
    );
    assert_eq!(
        refused(app.record_agreement(&office, agreement("sup-a")).await),
        ("partner", "not_a_research_partner")
    );
    assert!(matches!(app.give_consent(&office, terms(&["uni-a"])).await, Err(AppError::Forbidden)));
    // The refusals wrote nothing.
    assert!(app.consents(&office).await.expect("registry").into_view().is_empty());
    assert!(app.agreements(&office).await.expect("agreements").into_view().is_empty());
    assert!(app.extracts(&office).await.expect("extracts").into_view().is_empty());

    let given = app.give_consent(&yasmine, terms(&["uni-a", "uni-b"])).await.expect("consent").into_view();
    let receipt = given["id"].as_str().expect("receipt id").to_owned();
    assert_eq!(given["receipt"]["piiPrincipalId"], "nu-yasmine");
    let a = app.record_agreement(&office, agreement("uni-a")).await.expect("agreement").into_view();
    let b = app.record_agreement(&office, agreement("uni-b")).await.expect("agreement").into_view();
    let (a, b) = (a["id"].as_str().expect("id").to_owned(), b["id"].as_str().expect("id").to_owned());
    assert_eq!(
        refused(app.make_extract(&office, &a, "marketing", "quarter_hourly").await),
        ("purpose", "purpose_not_agreed")
    );
    assert_eq!(refused(app.make_extract(&office, &a, "demand_study", "yearly").await).0, "category");

    let made =
        app.make_extract(&office, &a, "demand_study", "quarter_hourly").await.expect("extract").into_view();
    let id_a = made["id"].as_str().expect("extract id").to_owned();
    assert_eq!(made["participants"], 1);
    // Her five days before she moved out, nothing of nu-marc's after (I3).
    assert_eq!(made["rows"], 5 * 96);
    let uni_a = actor("uni-a", Role::Researcher);
    let uni_b = actor("uni-b", Role::Researcher);
    let body_a = app.extract(&uni_a, &id_a).await.expect("own extract").into_view().csv;
    assert_eq!(body_a.lines().count(), 1 + 5 * 96);
    assert!(body_a.lines().skip(1).all(|l| l.contains(",2026-03-1")), "only days before the move-out");
    assert!(!body_a.contains("nu-yasmine") && !body_a.contains(&ean().to_string()), "ids are pseudonyms");
    // Another partner's extract: the answer of none (I5); the partner sees its own only.
    assert!(matches!(app.extract(&uni_b, &id_a).await, Err(AppError::NoSuch(_))));
    assert!(matches!(app.extract(&marc, &id_a).await, Err(AppError::NoSuch(_))));
    assert!(app.extracts(&uni_b).await.expect("list").into_view().is_empty());
    assert_eq!(app.extracts(&uni_a).await.expect("list").into_view().len(), 1);

    let made_b =
        app.make_extract(&office, &b, "demand_study", "quarter_hourly").await.expect("extract").into_view();
    let body_b = app.extract(&uni_b, made_b["id"].as_str().expect("id")).await.expect("own").into_view().csv;
    let who =
        |body: &str| body.lines().nth(1).expect("a row").split(',').next().expect("participant").to_owned();
    assert_ne!(who(&body_a), who(&body_b), "two partners' pseudonyms for one person differ");
    assert_eq!(body_a.lines().count(), body_b.lines().count());

    // Withdrawing: as easy as giving, once, and only one's own; the next extract is empty.
    assert_eq!(refused(app.withdraw_consent(&marc, &receipt).await), ("consent", "unknown_consent"));
    app.withdraw_consent(&yasmine, &receipt).await.expect("withdrawn");
    assert_eq!(refused(app.withdraw_consent(&yasmine, &receipt).await), ("consent", "already_withdrawn"));
    let after =
        app.make_extract(&office, &a, "demand_study", "quarter_hourly").await.expect("extract").into_view();
    assert_eq!((after["participants"].as_i64(), after["rows"].as_i64()), (Some(0), Some(0)));
    let own = app.own_consents(&yasmine).await.expect("own").into_view();
    assert_eq!(own.len(), 1);
    assert!(own[0].withdrawn_at.is_some());
    assert!(app.own_consents(&marc).await.expect("own").into_view().is_empty());
    app.journal_verify(&t.keys.journal.verifying_key(), |_| {}).await.expect("the journal still verifies");
}
each_backend!(extracts, extracts_hold_only_consenting_participants);

async fn aggregates_withhold_small_cells(t: &TestApp) {
    let app = &t.app;
    let total = setup(app).await;
    let anyone = actor("sup-a", Role::Supplier);
    let ask = |min: Option<u32>, share: Option<u32>| {
        AggregateQuery::new("substation", "day", d(2026, 3, 1), d(2026, 3, 31), min, share, None)
            .expect("query")
    };
    // One point: under the default 15/15 rule every cell is withheld.
    let table = app.aggregates(&anyone, &ask(None, None)).await.expect("table").into_view();
    assert_eq!(table.rows.len(), 1);
    assert!(table.rows[0].cells.iter().all(|c| matches!(c, CellView::Withheld { .. })));
    assert!(matches!(table.total, CellView::Withheld { .. }));
    // With the rules relaxed to one point, the published total is the imported total.
    let table = app.aggregates(&anyone, &ask(Some(1), Some(100))).await.expect("table").into_view();
    assert_eq!(table.total, CellView::Published { wh: total, points: 1 });
    assert_eq!(table.periods.len(), 10);
    let month =
        AggregateQuery::new("municipality", "month", d(2026, 3, 1), d(2026, 3, 31), Some(1), Some(100), None)
            .expect("query");
    let by_month = app.aggregates(&anyone, &month).await.expect("table").into_view();
    assert_eq!(by_month.rows[0].area, "Namur");
    assert_eq!(by_month.rows[0].cells, vec![CellView::Published { wh: total, points: 1 }]);

    let bad = |level: &str, granularity: &str, from, to| match AggregateQuery::new(
        level,
        granularity,
        from,
        to,
        None,
        None,
        None,
    ) {
        Err(AppError::Invalid(StoreError::Refused { field, .. })) => field,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(bad("province", "day", d(2026, 3, 1), d(2026, 3, 2)), "level");
    assert_eq!(bad("substation", "week", d(2026, 3, 1), d(2026, 3, 2)), "granularity");
    assert_eq!(bad("substation", "day", d(2026, 3, 2), d(2026, 3, 1)), "to");
    assert_eq!(bad("substation", "hour", d(2026, 3, 1), d(2026, 6, 1)), "to");
    assert!(matches!(
        AggregateQuery::new("substation", "day", d(2026, 3, 1), d(2026, 3, 2), Some(0), None, None),
        Err(AppError::Invalid(StoreError::Refused { field: "min_points", .. }))
    ));
}
each_backend!(aggregates, aggregates_withhold_small_cells);

async fn warehouse_files_hold_no_personal_value_in_clear(t: &TestApp) {
    let app = &t.app;
    setup(app).await;
    let office = actor("staff-dpo", Role::PrivacyStaff);
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(matches!(
        app.export_warehouse(&actor("nu-yasmine", Role::Customer), dir.path(), None, None).await,
        Err(AppError::Forbidden)
    ));
    assert_eq!(
        refused(app.export_warehouse(&office, dir.path(), Some(d(2026, 3, 2)), Some(d(2026, 3, 1))).await).0,
        "to"
    );
    let sent = app.export_warehouse(&office, dir.path(), None, None).await.expect("export");
    let report = sent.view().clone();
    assert_eq!(report.metering_values, 10 * 96);
    assert!(report.files.iter().all(|f| f.sha256.len() == 64));
    let root = std::path::Path::new(&report.directory);
    // The files carry what the report says: rows, sizes and digests (the journal binds them).
    for file in &report.files {
        let bytes = std::fs::read(root.join(&file.path)).expect("file");
        assert_eq!(bytes.len() as i64, file.bytes);
        assert_eq!(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)), file.sha256);
        assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"), "a Parquet file");
    }
    assert_eq!(report.files.iter().filter(|f| f.dataset == "metering").map(|f| f.rows).sum::<i64>(), 960);
    // No personal value in clear anywhere in the files.
    for file in &report.files {
        let bytes = std::fs::read(root.join(&file.path)).expect("file");
        for secret in ["Yasmine", "Peeters", "Rue de Fer", "nu-yasmine", "nu-marc", "Marc Dubois"] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} in clear in {}",
                file.path
            );
        }
    }
    // Exporting again writes a new set beside it, never over it.
    let again = app.export_warehouse(&office, dir.path(), None, None).await.expect("export").into_view();
    assert_ne!(again.directory, report.directory);
    app.journal_verify(&t.keys.journal.verifying_key(), |_| {}).await.expect("the journal still verifies");
}
each_backend!(warehouse, warehouse_files_hold_no_personal_value_in_clear);

async fn a_subject_sees_everything_held(t: &TestApp) {
    let app = &t.app;
    setup(app).await;
    let marc = actor("nu-marc", Role::Customer);
    let office = actor("staff-dpo", Role::PrivacyStaff);
    // His supplier reads his consumption, while he lives there: an access his answer shows.
    app.consumption(
        &actor("sup-b", Role::Supplier),
        ean(),
        d(2026, 3, 21),
        d(2026, 3, 24),
        app::Resolution::Day,
    )
    .await
    .expect("the supplier reads");
    assert_eq!(refused(app.file_subject_request(&marc, "erasure", "please").await), ("kind", "unknown_kind"));
    assert_eq!(refused(app.file_subject_request(&marc, "access", "  ").await).0, "details");
    let filed = app.file_subject_request(&marc, "access", "everything you hold on me").await.expect("filed");
    let filed = filed.into_view();
    let request = filed["id"].as_str().expect("id").to_owned();
    let received: jiff::civil::Date = filed["received_at"]
        .as_str()
        .expect("received")
        .parse::<jiff::Timestamp>()
        .expect("instant")
        .to_zoned(domain::period::brussels())
        .date();
    assert_eq!(filed["due"].as_str().expect("due"), domain::consent::due_day(received).to_string());
    let queue = app.subject_requests(&office).await.expect("queue").into_view();
    assert_eq!(queue.len(), 1);
    assert!(!queue[0].overdue);
    assert!(matches!(app.subject_requests(&marc).await, Err(AppError::Forbidden)));
    assert_eq!(refused(app.answer_subject_request(&office, &request, "maybe", "x").await).0, "outcome");
    app.answer_subject_request(&office, &request, "done", "here is everything").await.expect("answered");
    assert_eq!(
        refused(app.answer_subject_request(&office, &request, "done", "again").await),
        ("request", "already_answered")
    );
    let own = app.own_subject_requests(&marc).await.expect("own").into_view();
    let answer = own[0].request.answer.as_ref().expect("answered");
    let export = answer.export.as_ref().expect("an access request's export");
    assert_eq!(export["party"]["name"], "Marc Dubois");
    assert_eq!(export["occupancies"][0]["ean"], ean().to_string());
    let log = export["access_log"]["entries"].as_array().expect("the access log");
    assert!(log.iter().any(|e| e["accessor"]["party"]["id"] == "sup-b"), "who accessed his data: {log:?}");
    assert!(
        app.own_subject_requests(&actor("nu-yasmine", Role::Customer))
            .await
            .expect("own")
            .into_view()
            .is_empty()
    );
}
each_backend!(subject_requests, a_subject_sees_everything_held);
