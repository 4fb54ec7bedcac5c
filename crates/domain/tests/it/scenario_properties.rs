//! Random interleavings of scenarios on a few access points, against a reference model
//! written here: after every step, registrations and occupancies never overlap; every
//! accepted scenario applies on its day; every message goes only to a party entitled to it;
//! and the supplier told it loses a point is the one whose registration is ended.

use std::collections::{BTreeMap, BTreeSet};

use domain::scenario::{
    Action, Config, DsoService, Event, LastResort, Message, MessageKind, PointView, Recipient, Request,
    Scenario, ScenarioId, ScenarioKind, Status, apply, effects, messages, submit,
};
use domain::{Energy, PartyId, Recorded};
use jiff::Timestamp;
use jiff::civil::Date;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use super::scenario::{TODAY, access_point, address, day, ean, occupied, party, start};

const SUPPLIERS: [&str; 3] = ["sup-a", "sup-b", "sup-c"];
const CUSTOMERS: [&str; 4] = ["nu-1", "nu-2", "nu-3", "nu-4"];
const DEFAULT_SUPPLIER: &str = "sup-x";

/// One step of the market.
#[derive(Debug, Clone)]
enum Step {
    /// A request. `initiator` 0 is the point's current supplier, 1..=3 a fixed supplier;
    /// `customer` 0 is the current occupant, 1..=4 a fixed customer; `corrects` picks among
    /// the point's completed scenarios.
    Submit { point: usize, kind: usize, initiator: usize, customer: usize, offset: i32, corrects: usize },
    /// A cancellation of the `pick`-th scenario in progress, by its initiator or not.
    Cancel { pick: usize, by_initiator: bool },
    /// Days pass; what is due takes effect.
    Advance { days: i32 },
    /// The `pick`-th budget-meter placement in progress fails.
    Fail { pick: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0..3usize, 0..7usize, 0..4usize, 0..5usize, -35..100i32, 0..4usize).prop_map(
            |(point, kind, initiator, customer, offset, corrects)| Step::Submit { point, kind, initiator, customer, offset, corrects }
        ),
        1 => (0..8usize, any::<bool>()).prop_map(|(pick, by_initiator)| Step::Cancel { pick, by_initiator }),
        2 => (1..30i32).prop_map(|days| Step::Advance { days }),
        1 => (0..8usize).prop_map(|pick| Step::Fail { pick }),
    ]
}

/// The market's state as the test keeps it, and what it has seen.
struct World {
    config: Config,
    today: Date,
    next_id: i64,
    points: Vec<PointView>,
    /// Per scenario, who was told what at acceptance.
    told: BTreeMap<ScenarioId, Vec<(Recipient, MessageKind)>>,
    /// Accepted scenarios by kind, and refusals by code, across the run.
    accepted: BTreeMap<ScenarioKind, usize>,
    refused: BTreeMap<&'static str, usize>,
}

fn overlap(a: (Timestamp, Option<Timestamp>), b: (Timestamp, Option<Timestamp>)) -> bool {
    // Written out rather than through `Period::overlaps`: this is the reference.
    let ends_after = |end: Option<Timestamp>, instant: Timestamp| end.is_none_or(|e| e > instant);
    ends_after(a.1, b.0) && ends_after(b.1, a.0)
}

fn never_overlap<T>(records: &[Recorded<T>], period: impl Fn(&T) -> (Timestamp, Option<Timestamp>)) {
    for (i, a) in records.iter().enumerate() {
        for b in &records[i + 1..] {
            assert_ne!(a.id, b.id, "two effective records with one id");
            assert!(!overlap(period(&a.value), period(&b.value)), "records {} and {} overlap", a.id, b.id);
        }
    }
}

impl World {
    fn new(default_supplier: bool) -> World {
        let last_resort = if default_supplier {
            LastResort::DefaultSupplier { supplier: party(DEFAULT_SUPPLIER) }
        } else {
            LastResort::Deenergise
        };
        let vacant = PointView { access_point: Some(access_point(ean(3))), ..PointView::default() };
        World {
            config: Config { last_resort, ..Config::default() },
            today: TODAY,
            next_id: 1,
            points: vec![occupied(ean(1)), occupied(ean(2)), vacant],
            told: BTreeMap::new(),
            accepted: BTreeMap::new(),
            refused: BTreeMap::new(),
        }
    }

    fn current_supplier(&self, point: usize) -> PartyId {
        let at = start(self.today);
        self.points[point]
            .registrations
            .iter()
            .find(|r| r.value.period.contains(at))
            .map_or(party("sup-a"), |r| r.value.supplier.clone())
    }

    fn current_occupant(&self, point: usize) -> PartyId {
        let at = start(self.today);
        self.points[point]
            .occupancies
            .iter()
            .find(|o| o.value.period.contains(at))
            .map_or(party("nu-1"), |o| o.value.network_user.clone())
    }

    /// The parties a scenario on `point` for `request` may address, decided before it is
    /// judged: its initiator, any supplier whose registration on the point starts, holds or
    /// ends at its instant, any initiator of a scenario in progress there (it may hold the
    /// point by then), the configured default supplier, and the DSO's services.
    fn entitled(&self, point: usize, request: &Request) -> BTreeSet<Recipient> {
        let view = &self.points[point];
        let at = start(request.effective_day);
        let mut out: BTreeSet<Recipient> =
            [Recipient::Dso(DsoService::Field), Recipient::Dso(DsoService::BudgetMeter)]
                .into_iter()
                .collect();
        out.insert(Recipient::Party(request.initiator.clone()));
        out.insert(Recipient::Party(party(DEFAULT_SUPPLIER)));
        for r in &view.registrations {
            let p = r.value.period;
            if p.contains(at) || p.from() == at || p.to() == Some(at) {
                out.insert(Recipient::Party(r.value.supplier.clone()));
            }
        }
        for s in view.scenarios.iter().filter(|s| s.status.is_in_progress()) {
            out.insert(Recipient::Party(s.request.initiator.clone()));
        }
        out
    }

    fn check_messages(
        &self,
        scenario: &Scenario,
        event: Event,
        sent: &[Message],
        entitled: &BTreeSet<Recipient>,
    ) {
        let initiator = Recipient::Party(scenario.request.initiator.clone());
        let told_at_acceptance: BTreeSet<&Recipient> =
            self.told.get(&scenario.id).map(|t| t.iter().map(|(r, _)| r).collect()).unwrap_or_default();
        for m in sent {
            assert_eq!(m.scenario, scenario.id);
            assert_eq!(m.day, scenario.day(), "a message speaks of its scenario's day");
            let is_dso = matches!(m.recipient, Recipient::Dso(_));
            match m.kind {
                MessageKind::WorkOrder(_) => assert!(is_dso, "{m:?}"),
                MessageKind::Withdrawn => {
                    assert!(
                        told_at_acceptance.contains(&m.recipient),
                        "withdrawn to someone never told: {m:?}"
                    )
                }
                _ => assert!(!is_dso, "a DSO service gets work orders only: {m:?}"),
            }
            match m.kind {
                MessageKind::Accepted
                | MessageKind::Cancelled
                | MessageKind::Superseded
                | MessageKind::Scheduled
                | MessageKind::Placed
                | MessageKind::PlacementFailed => assert_eq!(m.recipient, initiator, "{m:?}"),
                MessageKind::PointLost | MessageKind::SupplyStarts | MessageKind::Rectified => {
                    assert_ne!(m.recipient, initiator, "{m:?}")
                }
                MessageKind::TechnicalData => {
                    let asked = m.recipient == initiator
                        && matches!(scenario.kind(), ScenarioKind::SupplierSwitch | ScenarioKind::MoveIn);
                    let given = sent
                        .iter()
                        .any(|o| o.recipient == m.recipient && o.kind == MessageKind::SupplyStarts);
                    assert!(asked || given, "technical data to a party not gaining the point: {m:?}");
                }
                MessageKind::WorkOrder(_) | MessageKind::Withdrawn => {}
            }
            if event == Event::Accepted {
                assert!(entitled.contains(&m.recipient), "{:?} is not entitled to {m:?}", m.recipient);
            }
        }
    }

    fn scenario_mut(&mut self, id: ScenarioId) -> (usize, &mut Scenario) {
        self.points
            .iter_mut()
            .enumerate()
            .find_map(|(p, v)| v.scenarios.iter_mut().find(|s| s.id == id).map(|s| (p, s)))
            .expect("a known scenario")
    }

    fn request(
        &self,
        point: usize,
        kind: usize,
        initiator: usize,
        customer: usize,
        offset: i32,
        corrects: usize,
    ) -> Request {
        let initiator =
            if initiator == 0 { self.current_supplier(point) } else { party(SUPPLIERS[initiator - 1]) };
        let customer =
            if customer == 0 { self.current_occupant(point) } else { party(CUSTOMERS[customer - 1]) };
        let completed: Vec<&Scenario> = self.points[point]
            .scenarios
            .iter()
            .filter(|s| s.status == Status::Completed && s.kind() != ScenarioKind::Rectification)
            .collect();
        let mut effective_day = self.today.checked_add(jiff::Span::new().days(offset)).expect("in range");
        let action = match ScenarioKind::ALL[kind] {
            ScenarioKind::SupplierSwitch => Action::SupplierSwitch { customer },
            ScenarioKind::MoveIn => Action::MoveIn { customer, shipping_address: address() },
            ScenarioKind::MoveOut => Action::MoveOut { customer },
            ScenarioKind::EndOfContract => Action::EndOfContract,
            ScenarioKind::Drop => Action::Drop { customer },
            ScenarioKind::BudgetMeter => Action::BudgetMeter { customer },
            ScenarioKind::Rectification => {
                let target = completed.get(corrects % completed.len().max(1));
                if let Some(target) = target {
                    effective_day = target.day();
                }
                Action::Rectification { corrects: target.map_or(ScenarioId(0), |s| s.id) }
            }
        };
        let initiator = match (&action, completed.get(corrects % completed.len().max(1))) {
            (Action::Rectification { .. }, Some(target)) if corrects % 2 == 0 => {
                target.request.initiator.clone()
            }
            _ => initiator,
        };
        Request { ean: ean(point as u64 + 1), energy: Energy::Electricity, initiator, effective_day, action }
    }

    fn submit(&mut self, point: usize, request: Request) {
        let entitled = self.entitled(point, &request);
        let id = ScenarioId(self.next_id);
        self.next_id += 1;
        let accepted = match submit(id, request, &self.points[point], &self.config, self.today) {
            Ok(accepted) => accepted,
            Err(rejection) => {
                *self.refused.entry(rejection.code()).or_default() += 1;
                return;
            }
        };
        let scenario = accepted.scenario;
        *self.accepted.entry(scenario.kind()).or_default() += 1;
        for superseded in accepted.supersedes {
            let (p, pending) = self.scenario_mut(superseded);
            assert_eq!(p, point, "a scenario supersedes only on its own point");
            *pending = pending.supersede().expect("only a scenario in progress is superseded");
            let pending = pending.clone();
            let sent = messages(&pending, Event::Superseded);
            self.check_messages(&pending, Event::Superseded, &sent, &BTreeSet::new());
        }
        let sent = messages(&scenario, Event::Accepted);
        self.check_messages(&scenario, Event::Accepted, &sent, &entitled);
        self.told.insert(scenario.id, sent.into_iter().map(|m| (m.recipient, m.kind)).collect());
        if scenario.kind() == ScenarioKind::Rectification {
            let changes = effects(&scenario, &self.points[point], &self.config)
                .expect("an accepted rectification applies");
            apply(&mut self.points[point], &changes, start(self.today))
                .expect("its changes fit the register");
        }
        self.points[point].scenarios.push(scenario);
    }

    fn in_progress(&self) -> Vec<ScenarioId> {
        self.points
            .iter()
            .flat_map(|v| v.scenarios.iter())
            .filter(|s| s.status.is_in_progress())
            .map(|s| s.id)
            .collect()
    }

    fn cancel(&mut self, pick: usize, by_initiator: bool) {
        let ids = self.in_progress();
        let Some(id) = ids.get(pick % ids.len().max(1)).copied() else { return };
        let today = self.today;
        let (point, scenario) = self.scenario_mut(id);
        let by = if by_initiator { scenario.request.initiator.clone() } else { party("sup-c") };
        let others = self.points[point].scenarios.clone();
        let (_, scenario) = self.scenario_mut(id);
        match scenario.cancel(&by, today, &others) {
            Ok(cancelled) => {
                *scenario = cancelled.clone();
                let sent = messages(&cancelled, Event::Cancelled);
                self.check_messages(&cancelled, Event::Cancelled, &sent, &BTreeSet::new());
            }
            Err(e) => {
                // Anyone but the initiator is told only that; the initiator never is.
                let is_initiator = by == self.scenario_mut(id).1.request.initiator;
                assert_eq!(e.code() == "not_the_initiator", !is_initiator, "{e}");
                *self.refused.entry(e.code()).or_default() += 1;
            }
        }
    }

    fn fail(&mut self, pick: usize) {
        let budget: Vec<ScenarioId> = self
            .points
            .iter()
            .flat_map(|v| v.scenarios.iter())
            .filter(|s| s.status.is_in_progress() && s.kind() == ScenarioKind::BudgetMeter)
            .map(|s| s.id)
            .collect();
        let Some(id) = budget.get(pick % budget.len().max(1)).copied() else { return };
        let (_, scenario) = self.scenario_mut(id);
        let scheduled = if scenario.status == Status::Requested {
            scenario.schedule().expect("requested → scheduled")
        } else {
            scenario.clone()
        };
        let failed = scheduled.fail().expect("scheduled → failed");
        *scenario = failed.clone();
        let sent = messages(&failed, Event::Failed);
        self.check_messages(&failed, Event::Failed, &sent, &BTreeSet::new());
    }

    /// Days pass: on each point, what is due takes effect in the order of days and, on one
    /// day, of acceptance.
    fn advance(&mut self, days: i32) {
        self.today = self.today.checked_add(jiff::Span::new().days(days)).expect("in range");
        for point in 0..self.points.len() {
            let mut due: Vec<Scenario> = self.points[point]
                .scenarios
                .iter()
                .filter(|s| s.status.is_in_progress() && s.day() <= self.today)
                .cloned()
                .collect();
            due.sort_by_key(|s| (s.day(), s.id));
            for scenario in due {
                self.take_effect(point, scenario);
            }
        }
    }

    fn take_effect(&mut self, point: usize, scenario: Scenario) {
        let at = start(scenario.day());
        // The reference: the supplier whose registration this scenario's day cuts.
        let cut = self.points[point]
            .registrations
            .iter()
            .find(|r| r.value.period.contains(at) && r.value.period.from() < at)
            .map(|r| r.value.supplier.clone());
        let changes = effects(&scenario, &self.points[point], &self.config).unwrap_or_else(|e| {
            panic!("accepted {} {} cannot take effect: {e}", scenario.kind(), scenario.id)
        });
        apply(&mut self.points[point], &changes, at)
            .unwrap_or_else(|e| panic!("accepted {} {} does not fit: {e}", scenario.kind(), scenario.id));

        let told_lost: Vec<Recipient> = self.told[&scenario.id]
            .iter()
            .filter(|(_, k)| *k == MessageKind::PointLost)
            .map(|(r, _)| r.clone())
            .collect();
        let initiator = &scenario.request.initiator;
        match scenario.kind() {
            ScenarioKind::SupplierSwitch | ScenarioKind::MoveIn => {
                let expected: Vec<Recipient> =
                    cut.filter(|s| s != initiator).map(Recipient::Party).into_iter().collect();
                assert_eq!(
                    told_lost,
                    expected,
                    "{} {}: the loss told is not the loss made",
                    scenario.kind(),
                    scenario.id
                );
            }
            ScenarioKind::EndOfContract | ScenarioKind::Drop => {
                assert_eq!(cut.as_ref(), Some(initiator), "a supplier ends only its own supply");
            }
            ScenarioKind::MoveOut => {
                assert!(
                    cut.is_none() || cut.as_ref() == Some(initiator),
                    "a move-out ends its initiator's supply"
                );
            }
            ScenarioKind::BudgetMeter | ScenarioKind::Rectification => assert!(told_lost.is_empty()),
        }

        let (next, events) = match scenario.status {
            Status::Accepted => (scenario.complete(self.today).expect("due"), vec![Event::Completed]),
            Status::Requested => {
                let scheduled = scenario.schedule().expect("requested → scheduled");
                (scheduled.place(self.today).expect("due"), vec![Event::Scheduled, Event::Placed])
            }
            Status::Scheduled => (scenario.place(self.today).expect("due"), vec![Event::Placed]),
            other => panic!("{other:?} is not in progress"),
        };
        for event in events {
            let sent = messages(&next, event);
            self.check_messages(&next, event, &sent, &BTreeSet::new());
        }
        let (_, stored) = self.scenario_mut(next.id);
        *stored = next;
    }

    fn run(&mut self, step: &Step) {
        match *step {
            Step::Submit { point, kind, initiator, customer, offset, corrects } => {
                let request = self.request(point, kind, initiator, customer, offset, corrects);
                self.submit(point, request);
            }
            Step::Cancel { pick, by_initiator } => self.cancel(pick, by_initiator),
            Step::Advance { days } => self.advance(days),
            Step::Fail { pick } => self.fail(pick),
        }
        for view in &self.points {
            never_overlap(&view.registrations, |r| (r.period.from(), r.period.to()));
            never_overlap(&view.occupancies, |o| (o.period.from(), o.period.to()));
        }
    }
}

fn steps() -> impl Strategy<Value = (bool, Vec<Step>)> {
    (any::<bool>(), proptest::collection::vec(step(), 1..60))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn interleaved_scenarios_keep_the_register_sound_and_tell_only_the_entitled(
        (default_supplier, steps) in steps()
    ) {
        let mut world = World::new(default_supplier);
        for step in &steps {
            world.run(step);
        }
        world.advance(400);
        prop_assert!(world.in_progress().is_empty(), "everything due has taken effect");
    }
}

/// The property above is only as good as what it exercises: over a fixed set of random
/// runs, every kind is accepted and the main refusals happen.
#[test]
fn the_interleavings_reach_every_kind_and_the_main_refusals() {
    let mut runner = TestRunner::deterministic();
    let mut accepted: BTreeMap<ScenarioKind, usize> = BTreeMap::new();
    let mut refused: BTreeMap<&'static str, usize> = BTreeMap::new();
    for _ in 0..200 {
        let (default_supplier, steps) = steps().new_tree(&mut runner).expect("a value").current();
        let mut world = World::new(default_supplier);
        for step in &steps {
            world.run(step);
        }
        for (k, n) in world.accepted {
            *accepted.entry(k).or_default() += n;
        }
        for (c, n) in world.refused {
            *refused.entry(c).or_default() += n;
        }
    }
    for kind in ScenarioKind::ALL {
        assert!(accepted.get(&kind).copied().unwrap_or(0) > 0, "no {kind} accepted: {accepted:?}");
    }
    for code in [
        "effective_day_outside_window",
        "customer_mismatch",
        "not_the_supplier",
        "already_the_supplier",
        "conflicting_scenario_in_progress",
        "same_day_conflict",
        "end_of_contract_in_progress",
        "not_the_initiator",
        "too_late_to_cancel",
    ] {
        assert!(refused.get(code).copied().unwrap_or(0) > 0, "never refused with {code}: {refused:?}");
    }
}

/// A request from a supplier other than the point's, with any kind, customer and day.
fn competitor_request() -> impl Strategy<Value = Request> {
    (0..7usize, 1..3usize, 0..4usize, -5..95i32).prop_map(|(kind, initiator, customer, offset)| {
        let customer = party(CUSTOMERS[customer]);
        let action = match ScenarioKind::ALL[kind] {
            ScenarioKind::SupplierSwitch => Action::SupplierSwitch { customer },
            ScenarioKind::MoveIn => Action::MoveIn { customer, shipping_address: address() },
            ScenarioKind::MoveOut => Action::MoveOut { customer },
            ScenarioKind::EndOfContract => Action::EndOfContract,
            ScenarioKind::Drop => Action::Drop { customer },
            ScenarioKind::BudgetMeter => Action::BudgetMeter { customer },
            ScenarioKind::Rectification => Action::Rectification { corrects: ScenarioId(1) },
        };
        Request {
            ean: ean(1),
            energy: Energy::Electricity,
            initiator: party(SUPPLIERS[initiator]),
            effective_day: day(offset),
            action,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// R3 over every request a competitor can make: with a genuine end of contract, a drop or
    /// a budget-meter placement of sup-a in progress on the same day, the competitor gets the
    /// same answer and the same messages.
    #[test]
    fn a_competitor_gets_the_same_answers_whatever_hides_behind_an_end_of_contract(
        request in competitor_request(),
        default_supplier in any::<bool>(),
        pending_offset in 40..60i32,
    ) {
        let last_resort = if default_supplier {
            LastResort::DefaultSupplier { supplier: party(DEFAULT_SUPPLIER) }
        } else {
            LastResort::Deenergise
        };
        // Windows wide enough for all three to be in progress on the same day.
        let mut config = Config { last_resort, ..Config::default() };
        config.end_of_contract.earliest = 30;
        config.budget_meter.latest = 90;
        let point = occupied(ean(1));
        let on = day(pending_offset);
        let pending = [
            Action::EndOfContract,
            Action::Drop { customer: party("nu-1") },
            Action::BudgetMeter { customer: party("nu-1") },
        ];
        let competitor = Recipient::Party(request.initiator.clone());
        let answers: Vec<_> = pending
            .into_iter()
            .map(|action| {
                let hidden = Request { ean: ean(1), energy: Energy::Electricity, initiator: party("sup-a"), effective_day: on, action };
                let mut view = point.clone();
                view.scenarios.push(submit(ScenarioId(1), hidden, &point, &config, TODAY).expect("in progress").scenario);
                submit(ScenarioId(2), request.clone(), &view, &config, TODAY).map(|accepted| {
                    let mine: Vec<MessageKind> = messages(&accepted.scenario, Event::Accepted)
                        .into_iter()
                        .filter(|m| m.recipient == competitor)
                        .map(|m| m.kind)
                        .collect();
                    (accepted.scenario.status, accepted.supersedes, mine)
                })
            })
            .collect();
        prop_assert_eq!(&answers[1], &answers[0]);
        prop_assert_eq!(&answers[2], &answers[0]);
    }
}
