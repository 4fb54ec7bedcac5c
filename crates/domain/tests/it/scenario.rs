//! Market scenarios through their public API: each scenario's path and each rejection code,
//! table-driven through one `check`, and the R3 answer compared across the three scenarios a
//! competitor must not tell apart.

use domain::scenario::{
    Action, Config, DsoService, Effect, Event, LastResort, MessageKind, PointView, Recipient, Rejection,
    Request, Scenario, ScenarioId, ScenarioKind, Status, WorkOrder, apply, effects, messages, submit,
};
use domain::{
    AccessPoint, Address, DayPeriod, Ean, Energy, GridStatus, MeterKind, Occupancy, PartyId, Period,
    ReadingRegime, RecordId, Recorded, Registration,
};
use jiff::civil::Date;
use jiff::{Span, Timestamp};

pub const TODAY: Date = Date::constant(2025, 3, 1);

pub fn day(offset: i32) -> Date {
    TODAY.checked_add(Span::new().days(offset)).expect("in range")
}

pub fn start(day: Date) -> Timestamp {
    DayPeriod::new(day, None).expect("open").to_period().expect("placeable").from()
}

pub fn party(id: &str) -> PartyId {
    id.parse().expect("valid id")
}

pub fn ean(n: u64) -> Ean {
    Ean::from_body(54_144_100_000_000_000 + n).expect("valid body")
}

pub fn address() -> Address {
    Address::new("Rue de Fer", "12", None, "5000", "Namur").expect("valid")
}

pub fn access_point(ean: Ean) -> AccessPoint {
    AccessPoint {
        ean,
        energy: Energy::Electricity,
        address: address(),
        substation: "SUB-1".parse().expect("valid"),
        regime: ReadingRegime::Ymr,
        meter: MeterKind::Classic,
        grid_status: GridStatus::Energised,
    }
}

/// Point 1, occupied by nu-1 and supplied by sup-a since 2024-01-01, nothing in progress.
pub fn occupied(ean: Ean) -> PointView {
    let since = start(Date::constant(2024, 1, 1));
    PointView {
        access_point: Some(access_point(ean)),
        occupancies: vec![Recorded {
            id: RecordId(1),
            recorded_at: since,
            supersedes: None,
            value: Occupancy {
                ean,
                network_user: party("nu-1"),
                period: Period::open(since),
                shipping_address: address(),
            },
        }],
        registrations: vec![Recorded {
            id: RecordId(2),
            recorded_at: since,
            supersedes: None,
            value: Registration { ean, supplier: party("sup-a"), period: Period::open(since) },
        }],
        scenarios: Vec::new(),
    }
}

fn request(initiator: &str, offset: i32, action: Action) -> Request {
    Request {
        ean: ean(1),
        energy: Energy::Electricity,
        initiator: party(initiator),
        effective_day: day(offset),
        action,
    }
}

fn switch(initiator: &str, customer: &str, offset: i32) -> Request {
    request(initiator, offset, Action::SupplierSwitch { customer: party(customer) })
}

fn move_in(initiator: &str, customer: &str, offset: i32) -> Request {
    request(initiator, offset, Action::MoveIn { customer: party(customer), shipping_address: address() })
}

fn move_out(initiator: &str, customer: &str, offset: i32) -> Request {
    request(initiator, offset, Action::MoveOut { customer: party(customer) })
}

fn end_of_contract(initiator: &str, offset: i32) -> Request {
    request(initiator, offset, Action::EndOfContract)
}

fn drop_(initiator: &str, customer: &str, offset: i32) -> Request {
    request(initiator, offset, Action::Drop { customer: party(customer) })
}

fn budget_meter(initiator: &str, customer: &str, offset: i32) -> Request {
    request(initiator, offset, Action::BudgetMeter { customer: party(customer) })
}

fn rectify(initiator: &str, corrects: i64, offset: i32) -> Request {
    request(initiator, offset, Action::Rectification { corrects: ScenarioId(corrects) })
}

/// A scenario already accepted on point 1, as the store would hold it.
fn pending(id: i64, request: Request, view: &PointView) -> Scenario {
    submit(ScenarioId(id), request, view, &Config::default(), TODAY)
        .expect("the fixture scenario is acceptable")
        .scenario
}

fn with(mut view: PointView, scenario: Scenario) -> PointView {
    view.scenarios.push(scenario);
    view
}

/// What an accepted request must look like: its state, what it supersedes, the messages of
/// its acceptance (recipient, kind), and the register once its changes are applied on its day
/// (supplier and occupant in force from that day).
struct Expected {
    status: Status,
    supersedes: &'static [i64],
    told: &'static [(&'static str, MessageKind)],
    then: (Option<&'static str>, Option<&'static str>),
}

fn recipient(name: &str) -> Recipient {
    match name {
        "dso:field" => Recipient::Dso(DsoService::Field),
        "dso:budget_meter" => Recipient::Dso(DsoService::BudgetMeter),
        other => Recipient::Party(party(other)),
    }
}

/// Submits `request` against `view` with `config` and compares with `expected`: the
/// rejection code, or the accepted scenario, its messages and the register after its day.
fn check(name: &str, request: Request, view: &PointView, config: &Config, expected: Result<Expected, &str>) {
    let verdict = submit(ScenarioId(100), request, view, config, TODAY);
    let expected = match (verdict, expected) {
        (Err(got), Err(code)) => {
            assert_eq!(got.code(), code, "{name}: {got}");
            return;
        }
        (Ok(got), Err(code)) => panic!("{name}: accepted as {:?}, expected {code}", got.scenario.status),
        (Err(got), Ok(_)) => panic!("{name}: refused with {} ({got})", got.code()),
        (Ok(got), Ok(expected)) => (got, expected),
    };
    let (accepted, expected) = expected;
    assert_eq!(accepted.scenario.status, expected.status, "{name}");
    assert_eq!(
        accepted.supersedes,
        expected.supersedes.iter().map(|i| ScenarioId(*i)).collect::<Vec<_>>(),
        "{name}"
    );
    let told: Vec<(Recipient, MessageKind)> =
        messages(&accepted.scenario, Event::Accepted).into_iter().map(|m| (m.recipient, m.kind)).collect();
    let want: Vec<(Recipient, MessageKind)> = expected.told.iter().map(|(r, k)| (recipient(r), *k)).collect();
    assert_eq!(told, want, "{name}: messages");

    // The register on the effective day: the scenarios that stay, then this one, in order.
    let mut register = view.clone();
    register.scenarios.retain(|s| !accepted.supersedes.contains(&s.id));
    let mut staying: Vec<Scenario> =
        register.scenarios.iter().filter(|s| s.status.is_in_progress()).cloned().collect();
    staying.push(accepted.scenario.clone());
    staying.sort_by_key(|s| (s.day(), s.id));
    for scenario in &staying {
        let changes = effects(scenario, &register, config).expect("an accepted scenario has effects");
        apply(&mut register, &changes, start(scenario.day())).expect("its effects apply");
    }
    let at = start(accepted.scenario.day());
    let supplier =
        register.registrations.iter().find(|r| r.value.period.contains(at)).map(|r| r.value.supplier.clone());
    let occupant = register
        .occupancies
        .iter()
        .find(|o| o.value.period.contains(at))
        .map(|o| o.value.network_user.clone());
    assert_eq!(supplier, expected.then.0.map(party), "{name}: supplier from the day");
    assert_eq!(occupant, expected.then.1.map(party), "{name}: occupant from the day");
}

use MessageKind::{Accepted as Acc, PointLost, Rectified, SupplyStarts, TechnicalData as Tech};

#[test]
fn each_scenario_takes_its_path() {
    let config = Config::default();
    let point = occupied(ean(1));
    let mut cut = point.clone();
    if let Some(ap) = cut.access_point.as_mut() {
        ap.grid_status = GridStatus::Deenergised;
    }
    let default_supplier =
        Config { last_resort: LastResort::DefaultSupplier { supplier: party("sup-x") }, ..Config::default() };
    let cases: Vec<(&str, Request, PointView, &Config, Expected)> = vec![
        (
            "switch",
            switch("sup-b", "nu-1", 10),
            point.clone(),
            &config,
            Expected {
                status: Status::Accepted,
                supersedes: &[],
                told: &[("sup-b", Acc), ("sup-b", Tech), ("sup-a", PointLost)],
                then: (Some("sup-b"), Some("nu-1")),
            },
        ),
        (
            "move-in of a new occupant",
            move_in("sup-b", "nu-2", 5),
            point.clone(),
            &config,
            Expected {
                status: Status::Accepted,
                supersedes: &[],
                told: &[("sup-b", Acc), ("sup-b", Tech), ("sup-a", PointLost)],
                then: (Some("sup-b"), Some("nu-2")),
            },
        ),
        (
            "move-in dated back",
            move_in("sup-b", "nu-2", -30),
            point.clone(),
            &config,
            Expected {
                status: Status::Accepted,
                supersedes: &[],
                told: &[("sup-b", Acc), ("sup-b", Tech), ("sup-a", PointLost)],
                then: (Some("sup-b"), Some("nu-2")),
            },
        ),
        (
            "move-in on a cut-off point reconnects it",
            move_in("sup-b", "nu-2", 5),
            cut.clone(),
            &config,
            Expected {
                status: Status::Accepted,
                supersedes: &[],
                told: &[
                    ("sup-b", Acc),
                    ("sup-b", Tech),
                    ("sup-a", PointLost),
                    ("dso:field", MessageKind::WorkOrder(WorkOrder::Energise)),
                ],
                then: (Some("sup-b"), Some("nu-2")),
            },
        ),
        (
            "move-out",
            move_out("sup-a", "nu-1", 3),
            point.clone(),
            &config,
            Expected {
                status: Status::Accepted,
                supersedes: &[],
                told: &[("sup-a", Acc)],
                then: (None, None),
            },
        ),
        (
            "end of contract, point cut off",
            end_of_contract("sup-a", 60),
            point.clone(),
            &config,
            Expected {
                status: Status::Accepted,
                supersedes: &[],
                told: &[("sup-a", Acc), ("dso:field", MessageKind::WorkOrder(WorkOrder::Deenergise))],
                then: (None, Some("nu-1")),
            },
        ),
        (
            "end of contract, default supplier",
            end_of_contract("sup-a", 60),
            point.clone(),
            &default_supplier,
            Expected {
                status: Status::Accepted,
                supersedes: &[],
                told: &[("sup-a", Acc), ("sup-x", SupplyStarts), ("sup-x", Tech)],
                then: (Some("sup-x"), Some("nu-1")),
            },
        ),
        (
            "drop asks for a budget meter",
            drop_("sup-a", "nu-1", 15),
            point.clone(),
            &default_supplier,
            Expected {
                status: Status::Accepted,
                supersedes: &[],
                told: &[
                    ("sup-a", Acc),
                    ("sup-x", SupplyStarts),
                    ("sup-x", Tech),
                    ("dso:budget_meter", MessageKind::WorkOrder(WorkOrder::PlaceBudgetMeter)),
                ],
                then: (Some("sup-x"), Some("nu-1")),
            },
        ),
        (
            "budget meter",
            budget_meter("sup-a", "nu-1", 20),
            point.clone(),
            &config,
            Expected {
                status: Status::Requested,
                supersedes: &[],
                told: &[
                    ("sup-a", Acc),
                    ("dso:budget_meter", MessageKind::WorkOrder(WorkOrder::PlaceBudgetMeter)),
                ],
                then: (Some("sup-a"), Some("nu-1")),
            },
        ),
        (
            "a second switch replaces the first",
            switch("sup-c", "nu-1", 12),
            with(point.clone(), pending(1, switch("sup-b", "nu-1", 10), &point)),
            &config,
            Expected {
                status: Status::Accepted,
                supersedes: &[1],
                told: &[("sup-c", Acc), ("sup-c", Tech), ("sup-a", PointLost)],
                then: (Some("sup-c"), Some("nu-1")),
            },
        ),
        (
            "a move-in after a pending switch takes the point from the new supplier",
            move_in("sup-c", "nu-2", 20),
            with(point.clone(), pending(1, switch("sup-b", "nu-1", 10), &point)),
            &config,
            Expected {
                status: Status::Accepted,
                supersedes: &[],
                told: &[("sup-c", Acc), ("sup-c", Tech), ("sup-b", PointLost)],
                then: (Some("sup-c"), Some("nu-2")),
            },
        ),
        (
            "a move-in the day of a pending move-out follows on",
            move_in("sup-b", "nu-2", 3),
            with(point.clone(), pending(1, move_out("sup-a", "nu-1", 3), &point)),
            &config,
            Expected {
                status: Status::Accepted,
                supersedes: &[],
                told: &[("sup-b", Acc), ("sup-b", Tech)],
                then: (Some("sup-b"), Some("nu-2")),
            },
        ),
        (
            "a move-out supersedes a pending end of contract",
            move_out("sup-a", "nu-1", 10),
            with(point.clone(), pending(1, end_of_contract("sup-a", 60), &point)),
            &config,
            Expected {
                status: Status::Accepted,
                supersedes: &[1],
                told: &[("sup-a", Acc)],
                then: (None, None),
            },
        ),
        (
            "a drop supersedes its own pending end of contract",
            drop_("sup-a", "nu-1", 20),
            with(point.clone(), pending(1, end_of_contract("sup-a", 60), &point)),
            &config,
            Expected {
                status: Status::Accepted,
                supersedes: &[1],
                told: &[
                    ("sup-a", Acc),
                    ("dso:field", MessageKind::WorkOrder(WorkOrder::Deenergise)),
                    ("dso:budget_meter", MessageKind::WorkOrder(WorkOrder::PlaceBudgetMeter)),
                ],
                then: (None, Some("nu-1")),
            },
        ),
    ];
    for (name, request, view, config, expected) in cases {
        check(name, request, &view, config, Ok(expected));
    }
}

/// A point whose switch to sup-b on 2025-02-01 is completed, for rectifications.
fn switched() -> PointView {
    let mut view = occupied(ean(1));
    let past = Date::constant(2025, 2, 1);
    let mut scenario = pending(7, switch("sup-b", "nu-1", 10), &view);
    scenario.request.effective_day = past;
    scenario.status = Status::Completed;
    let changes = effects(&scenario, &view, &Config::default()).expect("a switch has effects");
    apply(&mut view, &changes, start(past)).expect("applies");
    view.scenarios.push(scenario);
    view
}

#[test]
fn a_rectification_brings_the_earlier_supplier_back_as_a_correction() {
    let view = switched();
    let past = Date::constant(2025, 2, 1);
    let mut request = rectify("sup-b", 7, 0);
    request.effective_day = past;
    let accepted = submit(ScenarioId(8), request, &view, &Config::default(), TODAY).expect("rectifiable");
    assert_eq!(accepted.scenario.status, Status::Completed);
    let told: Vec<_> =
        messages(&accepted.scenario, Event::Accepted).into_iter().map(|m| (m.recipient, m.kind)).collect();
    assert_eq!(told, vec![(recipient("sup-b"), Acc), (recipient("sup-a"), Rectified)]);

    let changes = effects(&accepted.scenario, &view, &Config::default()).expect("effects");
    assert!(matches!(changes[0], Effect::WithdrawRegistration { .. }), "{changes:?}");
    let mut after = view.clone();
    apply(&mut after, &changes, start(TODAY)).expect("applies");
    // sup-a holds the point again, without interruption, as a new record superseding the
    // ended one; nothing was rewritten.
    assert_eq!(after.registrations.len(), 1);
    let restored = &after.registrations[0];
    assert_eq!(restored.value.supplier, party("sup-a"));
    assert_eq!(restored.value.period, Period::open(start(Date::constant(2024, 1, 1))));
    let ended =
        view.registrations.iter().find(|r| r.value.supplier == party("sup-a")).expect("ended by the switch");
    assert_eq!(restored.supersedes, Some(ended.id));
}

#[test]
fn each_rejection_has_its_code() {
    let config = Config::default();
    let point = occupied(ean(1));
    let mut unknown = point.clone();
    unknown.access_point = None;
    let mut gas = point.clone();
    let mut removed = point.clone();
    let mut cut = point.clone();
    let mut budget = point.clone();
    for (view, change) in [(&mut gas, 0), (&mut removed, 1), (&mut cut, 2), (&mut budget, 3)] {
        let ap = view.access_point.as_mut().expect("known");
        match change {
            0 => ap.energy = Energy::Gas,
            1 => ap.grid_status = GridStatus::Removed,
            2 => ap.grid_status = GridStatus::Deenergised,
            _ => ap.meter = MeterKind::Budget,
        }
    }
    let mut starts_that_day = point.clone();
    starts_that_day.registrations[0].value.period =
        Period::new(start(Date::constant(2024, 1, 1)), Some(start(day(10)))).expect("non-empty");
    starts_that_day.registrations.push(Recorded {
        id: RecordId(3),
        recorded_at: start(TODAY),
        supersedes: None,
        value: Registration { ean: ean(1), supplier: party("sup-c"), period: Period::open(start(day(10))) },
    });
    let rectification_day = Date::constant(2025, 2, 1);
    let rect = |initiator: &str, corrects: i64| {
        let mut r = rectify(initiator, corrects, 0);
        r.effective_day = rectification_day;
        r
    };
    let switched = switched();
    let mut switched_long_ago = switched.clone();
    switched_long_ago.scenarios[0].request.effective_day = Date::constant(2024, 12, 1);
    let mut dropped = switched.clone();
    dropped.scenarios[0].request.action = Action::Drop { customer: party("nu-1") };
    let busy = with(switched.clone(), pending(9, end_of_contract("sup-b", 60), &switched));

    let cases: Vec<(&str, Request, PointView, &str)> = vec![
        ("unknown point", switch("sup-b", "nu-1", 10), unknown, "unknown_ean"),
        ("other energy", switch("sup-b", "nu-1", 10), gas, "not_suppliable"),
        ("removed point", move_in("sup-b", "nu-2", 10), removed, "not_suppliable"),
        ("switch on a cut-off point", switch("sup-b", "nu-1", 10), cut, "not_suppliable"),
        ("retroactive switch", switch("sup-b", "nu-1", -1), point.clone(), "effective_day_outside_window"),
        ("switch too far ahead", switch("sup-b", "nu-1", 91), point.clone(), "effective_day_outside_window"),
        (
            "end of contract without notice",
            end_of_contract("sup-a", 30),
            point.clone(),
            "effective_day_outside_window",
        ),
        ("switch for someone else", switch("sup-b", "nu-2", 10), point.clone(), "customer_mismatch"),
        ("switch to oneself", switch("sup-a", "nu-1", 10), point.clone(), "already_the_supplier"),
        ("move-in of the occupant", move_in("sup-b", "nu-1", 10), point.clone(), "already_the_occupant"),
        ("move-out by a competitor", move_out("sup-b", "nu-1", 10), point.clone(), "not_the_supplier"),
        ("move-out of someone else", move_out("sup-a", "nu-2", 10), point.clone(), "customer_mismatch"),
        ("end of contract by a competitor", end_of_contract("sup-b", 60), point.clone(), "not_the_supplier"),
        ("drop by a competitor", drop_("sup-b", "nu-1", 20), point.clone(), "not_the_supplier"),
        ("budget meter twice", budget_meter("sup-a", "nu-1", 20), budget, "already_a_budget_meter"),
        (
            "two move-ins on one day",
            move_in("sup-c", "nu-3", 5),
            with(point.clone(), pending(1, move_in("sup-b", "nu-2", 5), &point)),
            "same_day_conflict",
        ),
        (
            "two move-ins on different days",
            move_in("sup-c", "nu-3", 6),
            with(point.clone(), pending(1, move_in("sup-b", "nu-2", 5), &point)),
            "conflicting_scenario_in_progress",
        ),
        (
            "switch against a pending move-out",
            switch("sup-b", "nu-1", 5),
            with(point.clone(), pending(1, move_out("sup-a", "nu-1", 10), &point)),
            "conflicting_scenario_in_progress",
        ),
        (
            "switch against a pending drop",
            switch("sup-b", "nu-1", 30),
            with(point.clone(), pending(1, drop_("sup-a", "nu-1", 20), &point)),
            "end_of_contract_in_progress",
        ),
        (
            "move-out by the old supplier after its pending loss",
            move_out("sup-a", "nu-1", 20),
            with(point.clone(), pending(1, switch("sup-b", "nu-1", 10), &point)),
            "not_the_supplier",
        ),
        ("rectification by another party", rect("sup-c", 7), switched.clone(), "not_the_initiator"),
        ("rectification of an unknown scenario", rect("sup-b", 70), switched.clone(), "not_the_initiator"),
        ("rectification of a drop", rect("sup-b", 7), dropped, "not_rectifiable"),
        (
            "rectification on another day",
            rectify("sup-b", 7, 0),
            switched.clone(),
            "effective_day_outside_window",
        ),
        ("rectification too late", rect("sup-b", 7), switched_long_ago, "effective_day_outside_window"),
        ("rectification while busy", rect("sup-b", 7), busy, "conflicting_scenario_in_progress"),
        ("switch onto a registration of that day", switch("sup-b", "nu-1", 10), starts_that_day, "overlap"),
    ];
    for (name, request, view, code) in cases {
        check(name, request, &view, &config, Err(code));
    }
}

#[test]
fn every_code_in_the_table_of_codes_is_distinct() {
    let mut codes = domain::scenario::REJECTION_CODES.to_vec();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), domain::scenario::REJECTION_CODES.len());
}

/// R3: the competitor's switch gets the same refusal — value, code and text — whether the
/// point has a genuine end of contract, a drop or a budget-meter placement in progress, and
/// no message in any case.
#[test]
fn a_competitor_cannot_tell_payment_difficulty_from_an_end_of_contract() {
    let point = occupied(ean(1));
    let in_progress =
        [end_of_contract("sup-a", 60), drop_("sup-a", "nu-1", 20), budget_meter("sup-a", "nu-1", 20)];
    let answers: Vec<Rejection> = in_progress
        .into_iter()
        .map(|p| {
            let view = with(point.clone(), pending(1, p, &point));
            submit(ScenarioId(2), switch("sup-b", "nu-1", 30), &view, &Config::default(), TODAY)
                .expect_err("a switch meets the end of contract")
        })
        .collect();
    assert_eq!(answers[0].code(), "end_of_contract_in_progress");
    for answer in &answers[1..] {
        assert_eq!(answer, &answers[0]);
        assert_eq!(answer.to_string(), answers[0].to_string());
    }
    assert_eq!(domain::scenario::told_to_competitor(ScenarioKind::Drop), Some(ScenarioKind::EndOfContract));
    assert_eq!(
        domain::scenario::told_to_competitor(ScenarioKind::BudgetMeter),
        Some(ScenarioKind::EndOfContract)
    );
    assert_eq!(domain::scenario::told_to_competitor(ScenarioKind::MoveIn), None);
}

/// R3 beyond the refusal: a supplier that is not the initiator gets the same messages from a
/// drop as from an end of contract (the default supplier sees a point starting, not why).
#[test]
fn the_default_supplier_cannot_tell_a_drop_from_an_end_of_contract() {
    let config =
        Config { last_resort: LastResort::DefaultSupplier { supplier: party("sup-x") }, ..Config::default() };
    let point = occupied(ean(1));
    let told_to_others = |request: Request| {
        let accepted = submit(ScenarioId(5), request, &point, &config, TODAY).expect("accepted");
        let mut all = Vec::new();
        for event in [Event::Accepted, Event::Cancelled] {
            all.extend(
                messages(&accepted.scenario, event)
                    .into_iter()
                    .filter(|m| matches!(&m.recipient, Recipient::Party(p) if *p != party("sup-a"))),
            );
        }
        all
    };
    let mut eoc = end_of_contract("sup-a", 60);
    let mut drop = drop_("sup-a", "nu-1", 60);
    eoc.effective_day = day(60);
    drop.effective_day = day(60);
    let (genuine, masked) = (told_to_others(eoc), told_to_others(drop));
    assert!(!genuine.is_empty());
    assert_eq!(
        serde_json::to_string(&genuine).expect("serialisable"),
        serde_json::to_string(&masked).expect("serialisable")
    );
}

#[test]
fn a_cancellation_reaches_exactly_those_told_at_acceptance() {
    let point = occupied(ean(1));
    let accepted = submit(ScenarioId(5), switch("sup-b", "nu-1", 10), &point, &Config::default(), TODAY)
        .expect("accepted")
        .scenario;
    let cancelled = accepted.cancel(&party("sup-b"), TODAY, &[]).expect("before its day");
    let told: Vec<_> =
        messages(&cancelled, Event::Cancelled).into_iter().map(|m| (m.recipient, m.kind)).collect();
    assert_eq!(
        told,
        vec![(recipient("sup-b"), MessageKind::Cancelled), (recipient("sup-a"), MessageKind::Withdrawn)]
    );
    assert_eq!(
        accepted.cancel(&party("sup-a"), TODAY, &[]).map_err(|e| e.code()),
        Err("not_the_initiator"),
        "the losing supplier cannot cancel"
    );
    assert_eq!(
        accepted.cancel(&party("sup-b"), day(10), &[]).map_err(|e| e.code()),
        Err("too_late_to_cancel")
    );
}

/// Completes `request` on point 1 as of its day, for rectifications of moves.
fn completed(view: &mut PointView, id: i64, request: Request) -> Scenario {
    let on = request.effective_day;
    let mut scenario =
        submit(ScenarioId(id), request, view, &Config::default(), TODAY).expect("accepted").scenario;
    let changes = effects(&scenario, view, &Config::default()).expect("effects");
    apply(view, &changes, start(on)).expect("applies");
    scenario.status = Status::Completed;
    view.scenarios.push(scenario.clone());
    scenario
}

#[test]
fn a_rectified_move_in_gives_the_point_back_to_the_earlier_occupant_and_supplier() {
    let mut view = occupied(ean(1));
    completed(&mut view, 3, move_in("sup-b", "nu-2", -10));
    let mut request = rectify("sup-b", 3, 0);
    request.effective_day = day(-10);
    let accepted = submit(ScenarioId(4), request, &view, &Config::default(), TODAY).expect("rectifiable");
    let told: Vec<_> =
        messages(&accepted.scenario, Event::Accepted).into_iter().map(|m| (m.recipient, m.kind)).collect();
    assert_eq!(told, vec![(recipient("sup-b"), Acc), (recipient("sup-a"), Rectified)]);
    let changes = effects(&accepted.scenario, &view, &Config::default()).expect("effects");
    apply(&mut view, &changes, start(TODAY)).expect("applies");
    let since = Period::open(start(Date::constant(2024, 1, 1)));
    let occupancies: Vec<_> =
        view.occupancies.iter().map(|o| (o.value.network_user.clone(), o.value.period)).collect();
    let registrations: Vec<_> =
        view.registrations.iter().map(|r| (r.value.supplier.clone(), r.value.period)).collect();
    assert_eq!(occupancies, vec![(party("nu-1"), since)]);
    assert_eq!(registrations, vec![(party("sup-a"), since)]);
}

#[test]
fn a_rectified_move_out_reopens_the_occupancy_unless_someone_moved_in() {
    let mut view = occupied(ean(1));
    completed(&mut view, 3, move_out("sup-a", "nu-1", -10));
    let mut request = rectify("sup-a", 3, 0);
    request.effective_day = day(-10);
    let mut reopened = view.clone();
    let accepted =
        submit(ScenarioId(4), request.clone(), &reopened, &Config::default(), TODAY).expect("rectifiable");
    let changes = effects(&accepted.scenario, &reopened, &Config::default()).expect("effects");
    apply(&mut reopened, &changes, start(TODAY)).expect("applies");
    let since = Period::open(start(Date::constant(2024, 1, 1)));
    assert_eq!(reopened.occupancies.iter().map(|o| o.value.period).collect::<Vec<_>>(), vec![since]);
    assert_eq!(reopened.registrations.iter().map(|r| r.value.period).collect::<Vec<_>>(), vec![since]);

    // Once someone has moved in on that day, the move-out was real.
    completed(&mut view, 5, move_in("sup-b", "nu-2", -10));
    let refused = submit(ScenarioId(6), request, &view, &Config::default(), TODAY).expect_err("overtaken");
    assert_eq!(refused.code(), "not_rectifiable");
}
