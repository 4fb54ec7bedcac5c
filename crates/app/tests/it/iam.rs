//! Access management through the gate, on both backends (R6, R11): joiners get their job's
//! roles, a mover loses the old job's tokens, a leaver's token is refused at the next request;
//! a truncated extract is refused by the mass-removal guard; bad lines, dry runs and refused
//! exceptions change nothing; the segregation of duties is refused naming both roles.

use app::{AppError, Cloison, Role, StoreError, SyncInput};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::each_backend;
use crate::harness::{auditor, id, system};

const HEADER: &str = "employee_id,name,job_code,department,employer,start_date,end_date,status\n";

fn today() -> Date {
    domain::period::local_day(Timestamp::now())
}

fn line(id: &str, job: &str) -> String {
    format!("{id},\"Person, {id}\",{job},Market & Customers,ORES,2020-01-01,,active\n")
}

fn input(internal: &[String], external: &[String]) -> SyncInput {
    SyncInput {
        internal: HEADER.to_owned() + &internal.concat(),
        external: HEADER.to_owned() + &external.concat(),
        today: today(),
        max_removal_percent: 50,
        force: false,
    }
}

fn expires() -> Timestamp {
    Timestamp::now() + jiff::SignedDuration::from_hours(1)
}

/// Who holds which role now, as `(party, role)`.
async fn held(app: &Cloison) -> Vec<(String, Role)> {
    let check = app.access_check(&auditor()).await.expect("the auditor reviews access").into_view();
    check.grants.into_iter().map(|g| (g.party, g.role)).collect()
}

async fn joiners_movers_and_leavers_follow_the_extracts(app: &Cloison) {
    let first = input(
        &[line("I-100", "REG-AGENT"), line("I-101", "REG-AGENT"), line("I-102", "MET-VALIDATOR")],
        &[line("X-900", "CC-DSO")],
    );
    let report = app.sync_staff(&system(), first.clone()).await.expect("synced").into_view();
    assert_eq!((report.joiners, report.movers, report.leavers, report.unchanged), (4, 0, 0, 0), "{report:?}");
    let json = serde_json::to_string(&report).expect("json");
    assert!(!json.contains("Person"), "no name in the report: {json}");
    assert_eq!(
        held(app).await,
        [
            ("hr-i-100".into(), Role::RegisterStaff),
            ("hr-i-101".into(), Role::RegisterStaff),
            ("hr-i-102".into(), Role::MeteringStaff),
            ("hr-x-900".into(), Role::CallCenter),
        ]
    );
    // The same extracts again: nothing to do.
    let again = app.sync_staff(&system(), first).await.expect("synced").into_view();
    assert_eq!((again.joiners, again.unchanged, again.changes.len()), (0, 4, 0), "{again:?}");

    // Tokens follow the grants: a role the job does not carry is refused at creation.
    let mover = app.create_token(&system(), "hr-i-100", Role::RegisterStaff, expires()).await.expect("token");
    let leaver =
        app.create_token(&system(), "hr-i-101", Role::RegisterStaff, expires()).await.expect("token");
    let stays = app.create_token(&system(), "hr-i-102", Role::MeteringStaff, expires()).await.expect("token");
    match app.create_token(&system(), "hr-i-102", Role::RegisterStaff, expires()).await {
        Err(AppError::Invalid(StoreError::Refused { field: "role", code: "role_not_granted", .. })) => {}
        other => panic!("a role the job does not carry: {other:?}"),
    }
    for token in [&mover, &leaver, &stays] {
        assert!(app.authenticate(&token.secret, "r").await.expect("store").is_some());
    }

    // I-100 moves to metering, I-101 leaves, X-900 is gone from the external extract.
    let second = input(
        &[
            line("I-100", "MET-VALIDATOR"),
            "I-101,\"Person, I-101\",REG-AGENT,Market & Customers,ORES,2020-01-01,,left\n".into(),
            line("I-102", "MET-VALIDATOR"),
        ],
        &[],
    );
    let report = app.sync_staff(&system(), second).await.expect("synced").into_view();
    assert_eq!((report.joiners, report.movers, report.leavers), (0, 1, 2), "{report:?}");
    assert_eq!(report.tokens_revoked, 2, "the mover's register token and the leaver's");
    // The journal holds the sync with the report's digest.
    let size = app.journal_head().await.expect("head").head.size;
    let entry = app.journal_entry(&auditor(), size - 1).await.expect("entry").into_view().entry;
    assert_eq!((entry.action.as_str(), entry.outcome.as_str()), ("iam.sync", "ok"));
    assert_eq!(entry.subjects, [report.report.clone().expect("an id")]);
    let digest = app::Hash::digest(&serde_json::to_vec(&report).expect("json"));
    assert_eq!(entry.data_digest, Some(digest));
    assert!(entry.decision.policies.contains(&"system-manages-access".to_owned()));
    // The next request with either token is refused; the others work.
    assert!(app.authenticate(&mover.secret, "r").await.expect("store").is_none(), "the mover's old role");
    assert!(app.authenticate(&leaver.secret, "r").await.expect("store").is_none(), "the leaver");
    assert!(app.authenticate(&stays.secret, "r").await.expect("store").is_some());
    assert_eq!(
        held(app).await,
        [("hr-i-100".into(), Role::MeteringStaff), ("hr-i-102".into(), Role::MeteringStaff)]
    );
}
each_backend!(lifecycle, joiners_movers_and_leavers_follow_the_extracts);

async fn a_truncated_extract_bad_lines_and_dry_runs_change_nothing(app: &Cloison) {
    let staff: Vec<String> = (0..20).map(|i| line(&format!("I-{i:03}"), "REG-AGENT")).collect();
    let full = SyncInput { max_removal_percent: 10, ..input(&staff, &[]) };
    app.sync_staff(&system(), full.clone()).await.expect("synced");
    let token = app.create_token(&system(), "hr-i-000", Role::RegisterStaff, expires()).await.expect("token");
    let before = held(app).await;
    assert_eq!(before.len(), 20);

    // Half the file: ten people would go, over the 10 % ceiling.
    let truncated = SyncInput { max_removal_percent: 10, ..input(&staff[10..], &[]) };
    match app.sync_staff(&system(), truncated.clone()).await {
        Err(AppError::Invalid(StoreError::Refused { code: "mass_removal", reason, .. })) => {
            assert!(reason.contains("10 of the 20"), "{reason}");
        }
        other => panic!("a truncated extract: {other:?}"),
    }
    // Bad lines: every one named, nothing applied.
    let mut bad = staff.clone();
    bad[3] = "I-003,\"Person\",NO-SUCH-JOB,Market,ORES,2020-01-01,,active\n".into();
    bad[4] = "I-004,\"Person\",REG-AGENT,Market,ORES,2021-01-01,2020-01-01,active\n".into();
    bad[5] = line("I-000", "MET-VALIDATOR");
    match app.sync_staff(&system(), input(&bad, &[line("I-001", "CC-DSO")])).await {
        Err(AppError::BadLines(lines)) => {
            let got: Vec<(&str, u64, &str, &str)> =
                lines.iter().map(|l| (l.file.as_str(), l.line, l.field.as_str(), l.code)).collect();
            assert_eq!(
                got,
                [
                    ("internal", 5, "job_code", "unknown_job"),
                    ("internal", 6, "end_date", "end_before_start"),
                    ("internal", 7, "employee_id", "duplicate_employee"),
                ]
            );
        }
        other => panic!("bad lines: {other:?}"),
    }
    match app.sync_staff(&system(), input(&staff, &[line("I-001", "CC-DSO")])).await {
        Err(AppError::BadLines(lines)) => {
            assert_eq!((lines[0].file.as_str(), lines[0].code), ("external", "duplicate_employee"))
        }
        other => panic!("one id in both extracts: {other:?}"),
    }
    // A dry run tells what the truncated file would do and does none of it.
    let dry = app.sync_staff_dry_run(&system(), truncated.clone()).await.expect("dry run").into_view();
    assert_eq!((dry.dry_run, dry.leavers, dry.report.as_deref()), (true, 10, None));
    assert_eq!(held(app).await, before, "nothing changed");
    assert!(app.authenticate(&token.secret, "r").await.expect("store").is_some());
    // Forced, it applies.
    let forced =
        app.sync_staff(&system(), SyncInput { force: true, ..truncated }).await.expect("forced").into_view();
    assert_eq!(forced.leavers, 10);
    assert!(app.authenticate(&token.secret, "r").await.expect("store").is_none());
    // Only the operator syncs; the ethics committee reviews but does not sync.
    match app.sync_staff(&auditor(), full).await {
        Err(AppError::Forbidden) => {}
        other => panic!("the auditor may not sync: {other:?}"),
    }
}
each_backend!(guarded, a_truncated_extract_bad_lines_and_dry_runs_change_nothing);

async fn exceptions_need_a_manager_and_respect_the_duties(app: &Cloison) {
    let staff = [
        line("I-1", "MET-VALIDATOR"),
        line("I-2", "REG-LEAD"),
        line("I-3", "REG-AGENT"),
        line("I-4", "IT-SUPPORT"),
    ];
    app.sync_staff(&system(), input(&staff, &[])).await.expect("synced");
    let until = today().checked_add(jiff::Span::new().days(30)).expect("in range");
    let refused = |result: Result<app::GrantView, AppError>| match result {
        Err(AppError::Invalid(StoreError::Refused { field, code, reason })) => (field, code, reason),
        other => panic!("expected a refusal: {other:?}"),
    };
    // An agent is no manager.
    let (field, code, _) = refused(
        app.grant_exception(&system(), &id("hr-i-1"), Role::RegisterStaff, &id("hr-i-3"), until, today())
            .await,
    );
    assert_eq!((field, code), ("approver", "approver_not_manager"));
    // Support may not read the register: both roles named.
    let (field, code, reason) = refused(
        app.grant_exception(&system(), &id("hr-i-4"), Role::RegisterStaff, &id("hr-i-2"), until, today())
            .await,
    );
    assert_eq!((field, code), ("role", "segregation_of_duties"));
    assert!(reason.contains("register_staff") && reason.contains("support"), "{reason}");
    assert_eq!(held(app).await.len(), 4, "refusals grant nothing");
    // The service manager approves a metering validator's temporary register access.
    let grant = app
        .grant_exception(&system(), &id("hr-i-1"), Role::RegisterStaff, &id("hr-i-2"), until, today())
        .await
        .expect("approved");
    assert_eq!((grant.source.as_str(), grant.approver.as_deref()), ("exception", Some("hr-i-2")));
    let token = app.create_token(&system(), "hr-i-1", Role::RegisterStaff, expires()).await.expect("token");
    assert!(app.authenticate(&token.secret, "r").await.expect("store").is_some());
    // Revoked by hand: the token of that role stops at once.
    let tokens = app.revoke_grant(&system(), &grant.grant).await.expect("revoked");
    assert_eq!(tokens, std::slice::from_ref(&token.token_id));
    assert!(app.authenticate(&token.secret, "r").await.expect("store").is_none());
    // The review finds no violation in what the grants left.
    let check = app.access_check(&auditor()).await.expect("check").into_view();
    assert!(check.violations.is_empty(), "{:?}", check.violations);
}
each_backend!(exceptions, exceptions_need_a_manager_and_respect_the_duties);

async fn the_review_reports_hand_made_tokens_that_break_the_duties(app: &Cloison) {
    // A staff member outside the extracts, given two incompatible roles by hand.
    crate::harness::small_register(app).await;
    app.create_token(&system(), "staff-x", Role::Support, expires()).await.expect("token");
    app.create_token(&system(), "staff-x", Role::RegisterStaff, expires()).await.expect("token");
    let check = app.access_check(&auditor()).await.expect("check").into_view();
    let found: Vec<(&str, Role, Role)> =
        check.violations.iter().map(|v| (v.party.as_str(), v.role, v.other)).collect();
    assert_eq!(found, [("staff-x", Role::Support, Role::RegisterStaff)]);
}
each_backend!(review, the_review_reports_hand_made_tokens_that_break_the_duties);

async fn break_glass_is_reasoned_limited_reported_and_expires(app: &Cloison) {
    crate::harness::small_register(app).await;
    app.sync_staff(&system(), input(&[line("I-4", "IT-SUPPORT"), line("I-2", "REG-LEAD")], &[]))
        .await
        .expect("synced");
    let support = app::Actor { party: id("hr-i-4"), role: Role::Support, session: "bg".into() };
    let refused = |r: Result<app::BreakGlassOpened, AppError>| match r {
        Err(AppError::Invalid(StoreError::Refused { field, code, .. })) => (field, code),
        other => panic!("expected a refusal: {other:?}"),
    };
    let reason = "Incident 4711: the register team is unreachable and a move must be checked now";
    let short = jiff::SignedDuration::from_secs(2);
    assert_eq!(
        refused(app.open_break_glass(&support, Role::Auditor, reason, short).await),
        ("role", "not_a_break_glass_role")
    );
    assert_eq!(
        refused(app.open_break_glass(&support, Role::RegisterStaff, "x", short).await),
        ("reason", "bad_reason")
    );
    assert_eq!(
        refused(
            app.open_break_glass(&support, Role::RegisterStaff, reason, jiff::SignedDuration::from_hours(5))
                .await
        ),
        ("duration", "bad_duration")
    );
    // Only support breaks the glass.
    let lead = app::Actor { party: id("hr-i-2"), role: Role::RegisterStaff, session: "bg".into() };
    assert!(matches!(
        app.open_break_glass(&lead, Role::MeteringStaff, reason, short).await,
        Err(AppError::Forbidden)
    ));

    let opened = app.open_break_glass(&support, Role::RegisterStaff, reason, short).await.expect("opened");
    let acting = app.authenticate(&opened.secret, "r1").await.expect("store").expect("the token works");
    assert_eq!((acting.party.as_str(), acting.role), ("hr-i-4", Role::RegisterStaff));
    app.access_point_at(&acting, crate::harness::ean(), crate::harness::at("2025-06-01T00:00:00Z"))
        .await
        .expect("the register, in the emergency");

    // The ethics committee's report: the reason, opened from its seal, and the act.
    let report = app.break_glass_report(&auditor()).await.expect("report").into_view();
    assert_eq!(report.len(), 1);
    assert_eq!((report[0].grant.reason.as_str(), report[0].grant.role), (reason, Role::RegisterStaff));
    let acts: Vec<&str> = report[0].acts.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(acts.len(), 1, "{acts:?}");
    assert!(report[0].acts[0].subjects.contains(&crate::harness::ean().to_string()));
    assert!(
        matches!(app.break_glass_report(&support).await, Err(AppError::Forbidden)),
        "support does not review itself"
    );

    // It ends by itself.
    tokio::time::sleep(std::time::Duration::from_millis(2_300)).await;
    assert!(app.authenticate(&opened.secret, "r2").await.expect("store").is_none(), "expired");
    let still: Vec<(String, Role)> = held(app).await;
    assert!(!still.contains(&("hr-i-4".to_owned(), Role::RegisterStaff)), "{still:?}");
}
each_backend!(break_glass, break_glass_is_reasoned_limited_reported_and_expires);

async fn a_request_is_approved_by_the_service_manager_and_then_effective(app: &Cloison) {
    app.sync_staff(
        &system(),
        input(
            &[
                line("I-1", "MET-VALIDATOR"),
                line("I-2", "REG-LEAD"),
                line("I-3", "REG-AGENT"),
                line("I-5", "MET-LEAD"),
            ],
            &[],
        ),
    )
    .await
    .expect("synced");
    let who = |party: &str, role| app::Actor { party: id(party), role, session: "r".into() };
    let validator = who("hr-i-1", Role::MeteringStaff);
    let until = today().checked_add(jiff::Span::new().days(14)).expect("in range");
    let asked = app.request_access(&validator, Role::RegisterStaff, until, today()).await.expect("asked");
    assert_eq!((asked.status.as_str(), asked.role), ("pending", Role::RegisterStaff));
    // Not effective yet: no token in that role.
    assert!(app.create_token(&system(), "hr-i-1", Role::RegisterStaff, expires()).await.is_err());
    // Who sees it: the asker and the register service's manager; not the metering manager.
    let seen =
        |actor: app::Actor| async move { app.access_requests(&actor).await.expect("list").into_view().len() };
    assert_eq!(seen(validator.clone()).await, 1);
    assert_eq!(seen(who("hr-i-2", Role::RegisterStaff)).await, 1);
    assert_eq!(seen(who("hr-i-5", Role::MeteringStaff)).await, 0);
    let refused = |r: Result<app::AccessRequest, AppError>| match r {
        Err(AppError::Invalid(StoreError::Refused { field, code, .. })) => (field, code),
        other => panic!("expected a refusal: {other:?}"),
    };
    // An agent of the service, or the metering manager, may not decide it.
    for (party, role) in [("hr-i-3", Role::RegisterStaff), ("hr-i-5", Role::MeteringStaff)] {
        assert_eq!(
            refused(app.decide_access_request(&who(party, role), &asked.request, true, today()).await),
            ("approver", "approver_not_manager"),
            "{party}"
        );
    }
    let approved = app
        .decide_access_request(&who("hr-i-2", Role::RegisterStaff), &asked.request, true, today())
        .await
        .expect("approved");
    assert_eq!((approved.status.as_str(), approved.approver.as_deref()), ("approved", Some("hr-i-2")));
    assert!(approved.grant.is_some());
    // Effective: a token in that role now works.
    let token = app.create_token(&system(), "hr-i-1", Role::RegisterStaff, expires()).await.expect("token");
    assert!(app.authenticate(&token.secret, "r").await.expect("store").is_some());
    assert_eq!(
        refused(
            app.decide_access_request(&who("hr-i-2", Role::RegisterStaff), &asked.request, false, today())
                .await
        ),
        ("request", "already_decided")
    );
    // Bad input, refused before anything is written.
    match app.request_access(&validator, Role::Supplier, until, today()).await {
        Err(AppError::Invalid(StoreError::Refused { field: "role", .. })) => {}
        other => panic!("{other:?}"),
    }
    match app.request_access(&validator, Role::CallCenter, today(), today()).await {
        Err(AppError::Invalid(StoreError::Refused { field: "until", .. })) => {}
        other => panic!("{other:?}"),
    }
}
each_backend!(requests, a_request_is_approved_by_the_service_manager_and_then_effective);
