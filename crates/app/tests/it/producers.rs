//! The producer connection queue through the gate, on both backends (R15): a partial offer
//! split, a caducity that re-offers in rank order, each producer seeing only its own requests,
//! bad input refused with nothing written, and the audit that finds a hand-made change to the
//! stored queue.

use app::{AppError, Cloison, Role};
use domain::producer::{Command, State};
use domain::{Change, Party, PartyKind, SubstationId};
use jiff::civil::Date;
use store::StoreError;

use crate::each_backend;
use crate::harness::{TestApp, actor, auditor, id, small_register};

fn d(text: &str) -> Date {
    text.parse().expect("test day")
}

fn sub() -> SubstationId {
    "SUB-LIEGE-07".parse().expect("substation")
}

async fn producers(app: &Cloison) {
    small_register(app).await;
    let party = |pid: &str, kind: PartyKind, name: &str| {
        Change::PutParty(Party {
            id: id(pid),
            kind,
            name: name.parse().expect("name"),
            phone: None,
            email: None,
        })
    };
    let since = crate::harness::at("2024-01-01T00:00:00Z");
    app.register_apply(
        &actor("system", Role::System),
        vec![
            (since, party("prod-sol", PartyKind::Company, "Solaire Hesbaye SA")),
            (since, party("prod-vent", PartyKind::Person, "Anne Vandenbroucke")),
        ],
    )
    .await
    .expect("producers recorded");
}

async fn run(app: &Cloison, command: Command) -> app::ConnectionOutcome {
    let staff = actor("staff-con", Role::ConnectionStaff);
    match app.connection_command(&staff, sub(), command.clone()).await {
        Ok(sent) => sent.into_view(),
        Err(e) => panic!("{command:?} refused: {e}"),
    }
}

fn code(result: Result<impl std::fmt::Debug, AppError>) -> &'static str {
    match result {
        Err(AppError::Invalid(StoreError::Refused { code, .. })) => code,
        Err(AppError::Invalid(StoreError::WrongPartyKind { .. })) => "wrong_party_kind",
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn commands(app: &Cloison) -> usize {
    app.connections_audit(&auditor()).await.expect("audit").into_view().commands
}

async fn the_queue_serves_in_rank_order_and_each_producer_sees_its_own(t: &TestApp) {
    let app = &t.app;
    producers(app).await;
    run(app, Command::SetCapacity { kw: 3_000, day: d("2026-01-05") }).await;
    let sol = run(
        app,
        Command::Acknowledge {
            producer: id("prod-sol"),
            kw: 2_000,
            transmission_study: false,
            day: d("2026-02-02"),
        },
    )
    .await
    .request
    .expect("filed")
    .id;
    let vent = run(
        app,
        Command::Acknowledge {
            producer: id("prod-vent"),
            kw: 2_000,
            transmission_study: false,
            day: d("2026-02-02"),
        },
    )
    .await
    .request
    .expect("filed")
    .id;
    run(app, Command::PayDetailedStudy { request: sol.clone(), day: d("2026-02-10") }).await;
    let split = run(app, Command::PayDetailedStudy { request: vent.clone(), day: d("2026-02-10") }).await;
    let what: Vec<&str> = split.happened.iter().map(|h| h.what).collect();
    assert_eq!(what, ["reserved", "split"], "{split:?}");
    assert_eq!(
        (split.figures.reserved_kw, split.figures.waiting_kw, split.figures.free_kw),
        (3_000, 1_000, 0)
    );
    run(app, Command::SendOffer { request: sol.clone(), day: d("2026-03-02") }).await;

    // Above 1 MW the window is 40 working days (to 28 April), the reminder 10 before.
    // The daily run: the reminder, then the caducity on the first day after the window, and
    // the capacity re-offered to the waiting part; run again, it finds nothing to do.
    let staff = actor("staff-con", Role::ConnectionStaff);
    let reminder = app.connections_daily(&staff, d("2026-04-14")).await.expect("daily").into_view();
    assert_eq!(
        reminder.changed.len(),
        1,
        "{reminder:?} {:?}",
        app.connection_queues(&auditor()).await.expect("q").into_view()
    );
    assert_eq!(reminder.changed[0].happened[0].what, "reminder");
    let lapsed = app.connections_daily(&staff, d("2026-04-29")).await.expect("daily");
    assert!(lapsed.label().is_some(), "the daily run's answer is labelled");
    let lapsed = lapsed.into_view();
    let what: Vec<(Option<String>, &str, bool)> =
        lapsed.changed[0].happened.iter().map(|h| (h.request.clone(), h.what, h.regulator)).collect();
    let part = format!("{vent}.1");
    assert_eq!(what, [(Some(sol.clone()), "lapsed", true), (Some(part.clone()), "reoffered", false)]);
    let again = app.connections_daily(&staff, d("2026-04-29")).await.expect("daily").into_view();
    assert!(again.changed.is_empty(), "the daily run is idempotent: {again:?}");

    // Each producer sees its own requests, their positions and the figures; nobody else's.
    let own = app.own_connections(&actor("prod-vent", Role::Customer)).await.expect("own").into_view();
    let ids: Vec<(&str, Option<u32>, State)> =
        own.iter().map(|o| (o.request.id.as_str(), o.position, o.request.state)).collect();
    assert_eq!(ids, [(vent.as_str(), Some(1), State::Studying), (part.as_str(), Some(2), State::Studying)]);
    assert_eq!((own[0].figures.capacity_kw, own[0].figures.free_kw), (3_000, 1_000));
    let json = serde_json::to_string(&own).expect("json");
    assert!(!json.contains("prod-sol") && !json.contains(&sol), "another producer leaks: {json}");
    let own = app.own_connections(&actor("prod-sol", Role::Customer)).await.expect("own").into_view();
    assert_eq!(own.len(), 1);
    assert_eq!((own[0].request.state, own[0].position), (State::Lapsed, None));
    assert!(
        app.own_connections(&actor("nu-yasmine", Role::Customer)).await.expect("own").into_view().is_empty()
    );
    for role in [Role::Supplier, Role::Customer, Role::Support, Role::RegisterStaff] {
        let denied = app.connection_queues(&actor("sup-a", role)).await;
        assert!(matches!(denied, Err(AppError::Forbidden)), "{role:?} sees every queue: {denied:?}");
    }
    let denied = app
        .connection_command(
            &actor("prod-vent", Role::Customer),
            sub(),
            Command::Daily { day: d("2026-04-30") },
        )
        .await;
    assert!(matches!(denied, Err(AppError::Forbidden)), "a producer runs the queue: {denied:?}");
    let queues = app.connection_queues(&auditor()).await.expect("the committee reviews").into_view();
    assert_eq!(queues[0].requests.len(), 3);

    // Bad input: refused with the rule named, and nothing written.
    let before = commands(app).await;
    let staff = actor("staff-con", Role::ConnectionStaff);
    let tomorrow = app::market_today().tomorrow().expect("tomorrow");
    let cases: Vec<(SubstationId, Command, &str)> = vec![
        (sub(), Command::Daily { day: tomorrow }, "day_in_future"),
        (
            "SUB-NOWHERE".parse().expect("id"),
            Command::SetCapacity { kw: 10, day: d("2026-05-01") },
            "ok-open",
        ),
        (
            "SUB-UNKNOWN".parse().expect("id"),
            Command::Acknowledge {
                producer: id("prod-sol"),
                kw: 10,
                transmission_study: false,
                day: d("2026-05-01"),
            },
            "unknown_substation",
        ),
        (
            sub(),
            Command::Acknowledge {
                producer: id("sup-a"),
                kw: 10,
                transmission_study: false,
                day: d("2026-05-01"),
            },
            "wrong_party_kind",
        ),
        (sub(), Command::SetCapacity { kw: 1_000, day: d("2026-05-01") }, "capacity_below_held"),
        (sub(), Command::Sign { request: sol.clone(), day: d("2026-05-01") }, "wrong_state"),
        (sub(), Command::PayOrientation { request: vent.clone(), day: d("2026-01-01") }, "day_before_last"),
    ];
    let mut opened = 0;
    for (substation, command, expected) in cases {
        let result = app.connection_command(&staff, substation, command.clone()).await;
        if expected == "ok-open" {
            result.expect("a new substation's queue opens with its capacity");
            opened += 1;
            continue;
        }
        assert_eq!(code(result), expected, "{command:?}");
    }
    assert_eq!(commands(app).await, before + opened, "refusals write nothing");

    // The audit rebuilds the queues from their commands: untouched, they agree.
    let audit = app.connections_audit(&auditor()).await.expect("audit").into_view();
    assert_eq!(audit.first_difference, None, "{audit:?}");
    assert_eq!((audit.queues, audit.requests), (2, 3));
    t.app.journal_verify(&t.keys.journal.verifying_key(), |_| {}).await.expect("the journal verifies");

    // A DBA gives the waiting part more capacity than it was offered, past the triggers.
    tamper(
        t,
        &format!(
            "UPDATE connection_requests SET request = replace(request, '\"kw\":1000', '\"kw\":1500') \
             WHERE request_id = '{part}'"
        ),
    )
    .await;
    let audit = app.connections_audit(&auditor()).await.expect("audit").into_view();
    let found = audit.first_difference.expect("the audit finds the change");
    assert!(found.contains(&part) && found.contains("kw"), "{found}");
    let verified = t.app.journal_verify(&t.keys.journal.verifying_key(), |_| {}).await;
    assert!(verified.is_err(), "the journal binds the row too");
}

/// Runs `sql` as a DBA would, with the append-only triggers out of the way.
async fn tamper(t: &TestApp, sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(&t.url).await.expect("raw connection");
    let statements: Vec<String> = if t.url.starts_with("sqlite") {
        vec!["DROP TRIGGER connection_requests_no_update".into(), sql.into()]
    } else {
        vec!["ALTER TABLE connection_requests DISABLE TRIGGER USER".into(), sql.into()]
    };
    for statement in statements {
        sqlx::query(&statement).execute(&mut conn).await.expect("tamper");
    }
}

each_backend!(queue, the_queue_serves_in_rank_order_and_each_producer_sees_its_own);
