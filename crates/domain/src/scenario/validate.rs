//! Judging a request: the checks, in a fixed order, and the stable codes of their refusals.
//!
//! The order is part of the confidentiality rules, not a detail. A request is checked
//! against the point (known, suppliable), its day, then who may send it — against the
//! register as recorded — and only then against the scenarios in progress, and last against
//! the register as those scenarios will leave it on the effective day. Putting "is the
//! initiator the point's supplier" before the conflict table is what keeps a competitor from
//! telling a drop from an end of contract by sending a drop of its own (R2, R3): it is refused
//! as `not_the_supplier` whatever is in progress.

use jiff::Span;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::conflict::{Conflict, OnDay, Outcome, conflict};
use super::effect::{Effect, PointView, apply, corrected, effects, occupant_at, supplier_at};
use super::lifecycle::{Parties, Scenario, Status, WorkOrder};
use super::request::{Action, Config, LastResort, Request, ScenarioId, ScenarioKind};
use crate::access_point::{AccessPoint, GridStatus, MeterKind};
use crate::gs1::Ean;
use crate::party::PartyId;
use crate::register::rules::RuleError;

/// Why a request was refused. Each variant names the field at fault and keeps the code the
/// API answers with ([`Rejection::code`]). None carries anything about another party's
/// scenario or customer: the refused party may be a competitor (R2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The register has no access point with this EAN.
    #[error("ean: {ean} is not an access point of this grid")]
    UnknownEan {
        /// The EAN asked for.
        ean: Ean,
    },
    /// The point cannot be supplied by this request: wrong energy, removed, or cut off for a
    /// scenario that needs supply.
    #[error("{field}: {ean} cannot be supplied by this request ({reason})")]
    NotSuppliable {
        /// `energy` or `grid_status`.
        field: &'static str,
        /// The access point.
        ean: Ean,
        /// What is wrong, in words that say nothing of any party.
        reason: &'static str,
    },
    /// The effective day is not one the market allows for this scenario today.
    #[error("effective_day: {day} is outside the days allowed for this scenario")]
    EffectiveDayOutsideWindow {
        /// The day asked for.
        day: Date,
    },
    /// A scenario in progress on the point prevents this one (see the conflict table).
    #[error("ean: {} on {ean}", conflict_text(*.conflict))]
    ScenarioInProgress {
        /// The access point.
        ean: Ean,
        /// Which refusal of the table, without the scenario behind it.
        conflict: Conflict,
    },
    /// The customer named does not occupy the point on the effective day.
    #[error("customer: the customer named does not occupy {ean} on {day}")]
    CustomerMismatch {
        /// The access point.
        ean: Ean,
        /// The effective day.
        day: Date,
    },
    /// A switch by the supplier already registered.
    #[error("initiator: already the supplier of {ean} on {day}")]
    AlreadyTheSupplier {
        /// The access point.
        ean: Ean,
        /// The effective day.
        day: Date,
    },
    /// Only the point's supplier may end its supply, drop its customer, ask for a budget
    /// meter or announce a move-out.
    #[error("initiator: not the supplier of {ean} on {day}")]
    NotTheSupplier {
        /// The access point.
        ean: Ean,
        /// The effective day.
        day: Date,
    },
    /// A move-in of the customer already occupying the point.
    #[error("customer: the customer named already occupies {ean} on {day}")]
    AlreadyTheOccupant {
        /// The access point.
        ean: Ean,
        /// The effective day.
        day: Date,
    },
    /// A budget meter asked for where one is (or will be) in place.
    #[error("ean: {ean} already has a budget meter")]
    AlreadyABudgetMeter {
        /// The access point.
        ean: Ean,
    },
    /// A rectification naming a scenario of another initiator, or none; the same answer for
    /// both, so naming ids teaches nothing (I5).
    #[error("corrects: scenario {corrects} is not one of the initiator's")]
    NotTheInitiator {
        /// The scenario named.
        corrects: ScenarioId,
    },
    /// A rectification of a scenario that is not a completed switch or move, or whose
    /// effect has since been overtaken (someone moved in on the day a move-out is undone).
    #[error("corrects: scenario {corrects} cannot be rectified")]
    NotRectifiable {
        /// The scenario named.
        corrects: ScenarioId,
    },
    /// The register refuses the changes (an overlap, nothing in force to end).
    #[error("{0}")]
    Register(#[from] RuleError),
}

fn conflict_text(conflict: Conflict) -> &'static str {
    match conflict {
        Conflict::SameDay => "another scenario takes effect on the same day",
        Conflict::InProgress => "another scenario is in progress",
        Conflict::EndOfContractInProgress => "an end of contract is in progress",
    }
}

impl Rejection {
    /// The stable code of the refusal, as the journal's outcome and the API's error name it.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::UnknownEan { .. } => "unknown_ean",
            Rejection::NotSuppliable { .. } => "not_suppliable",
            Rejection::EffectiveDayOutsideWindow { .. } => "effective_day_outside_window",
            Rejection::ScenarioInProgress { conflict, .. } => conflict.code(),
            Rejection::CustomerMismatch { .. } => "customer_mismatch",
            Rejection::AlreadyTheSupplier { .. } => "already_the_supplier",
            Rejection::NotTheSupplier { .. } => "not_the_supplier",
            Rejection::AlreadyTheOccupant { .. } => "already_the_occupant",
            Rejection::AlreadyABudgetMeter { .. } => "already_a_budget_meter",
            Rejection::NotTheInitiator { .. } => "not_the_initiator",
            Rejection::NotRectifiable { .. } => "not_rectifiable",
            Rejection::Register(e) => e.code(),
        }
    }
}

/// Every code [`Rejection::code`] can answer, for the API's error table and its tests.
pub const REJECTION_CODES: [&str; 17] = [
    "unknown_ean",
    "not_suppliable",
    "effective_day_outside_window",
    "same_day_conflict",
    "conflicting_scenario_in_progress",
    "end_of_contract_in_progress",
    "customer_mismatch",
    "already_the_supplier",
    "not_the_supplier",
    "already_the_occupant",
    "already_a_budget_meter",
    "not_the_initiator",
    "not_rectifiable",
    "wrong_party_kind",
    "not_effective",
    "nothing_to_end",
    "overlap",
];

/// An accepted request: the new scenario and the scenarios in progress it supersedes, which
/// the caller moves to [`Status::Superseded`] in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// The scenario, in its first state.
    pub scenario: Scenario,
    /// The scenarios it replaces.
    pub supersedes: Vec<ScenarioId>,
}

fn suppliable(ap: &AccessPoint, request: &Request) -> Result<(), Rejection> {
    let refuse = |field, reason| Err(Rejection::NotSuppliable { field, ean: request.ean, reason });
    if ap.energy != request.energy {
        return refuse("energy", "the point is on the other energy's grid");
    }
    match ap.grid_status {
        GridStatus::Removed => refuse("grid_status", "the point is removed from the grid"),
        GridStatus::Deenergised
            if matches!(
                request.kind(),
                ScenarioKind::SupplierSwitch
                    | ScenarioKind::EndOfContract
                    | ScenarioKind::Drop
                    | ScenarioKind::BudgetMeter
            ) =>
        {
            refuse("grid_status", "the point is de-energised; a move-in reconnects it")
        }
        _ => Ok(()),
    }
}

/// Who may send the request, against `view` on the effective instant `at`.
fn parties_allowed(request: &Request, view: &PointView, at: Timestamp) -> Result<(), Rejection> {
    let (ean, day) = (request.ean, request.effective_day);
    let supplier = supplier_at(view, at).map(|r| &r.value.supplier);
    let occupant = occupant_at(view, at).map(|o| &o.value.network_user);
    let is_supplier = supplier == Some(&request.initiator);
    let occupies = |customer: &PartyId| occupant == Some(customer);
    match &request.action {
        Action::SupplierSwitch { customer } => {
            if !occupies(customer) {
                return Err(Rejection::CustomerMismatch { ean, day });
            }
            if is_supplier {
                return Err(Rejection::AlreadyTheSupplier { ean, day });
            }
        }
        Action::MoveIn { customer, .. } => {
            if occupies(customer) {
                return Err(Rejection::AlreadyTheOccupant { ean, day });
            }
        }
        Action::MoveOut { customer } | Action::Drop { customer } | Action::BudgetMeter { customer } => {
            if !is_supplier {
                return Err(Rejection::NotTheSupplier { ean, day });
            }
            if !occupies(customer) {
                return Err(Rejection::CustomerMismatch { ean, day });
            }
            let budget = view.access_point.as_ref().is_some_and(|ap| ap.meter == MeterKind::Budget);
            if request.kind() == ScenarioKind::BudgetMeter && budget {
                return Err(Rejection::AlreadyABudgetMeter { ean });
            }
        }
        Action::EndOfContract => {
            if !is_supplier {
                return Err(Rejection::NotTheSupplier { ean, day });
            }
        }
        Action::Rectification { .. } => {}
    }
    Ok(())
}

/// The effective day is allowed: the kind's window, or for a rectification the corrected
/// scenario's own day, still within [`Config::rectification_days`].
fn day_allowed(request: &Request, view: &PointView, config: &Config, today: Date) -> Result<(), Rejection> {
    let day = request.effective_day;
    let outside = Err(Rejection::EffectiveDayOutsideWindow { day });
    match (&request.action, config.window(request.kind())) {
        (_, Some(window)) => {
            if window.allows(today, day) {
                Ok(())
            } else {
                outside
            }
        }
        (Action::Rectification { corrects }, None) => {
            let named =
                view.scenarios.iter().find(|s| s.id == *corrects && s.request.initiator == request.initiator);
            let Some(named) = named else { return Err(Rejection::NotTheInitiator { corrects: *corrects }) };
            if corrected(*corrects, view).is_none() {
                return Err(Rejection::NotRectifiable { corrects: *corrects });
            }
            let last = named.day().checked_add(Span::new().days(config.rectification_days)).ok();
            if day != named.day() || last.is_none_or(|last| today > last) { outside } else { Ok(()) }
        }
        (_, None) => outside,
    }
}

/// The parties a scenario concerns, from the register as it will stand just before its day
/// and from its own changes.
fn parties(
    request: &Request,
    view: &PointView,
    at: Timestamp,
    config: &Config,
    changes: &[Effect],
) -> Parties {
    let other = |p: Option<&PartyId>| p.filter(|p| **p != request.initiator).cloned();
    let current = supplier_at(view, at).map(|r| &r.value.supplier);
    let default_supplier = match &config.last_resort {
        LastResort::DefaultSupplier { supplier } => Some(supplier),
        LastResort::Deenergise => None,
    };
    let mut work_orders = Vec::new();
    for change in changes {
        match change {
            Effect::SetGridStatus { status: GridStatus::Energised, .. } => {
                work_orders.push(WorkOrder::Energise)
            }
            Effect::SetGridStatus { status: GridStatus::Deenergised, .. } => {
                work_orders.push(WorkOrder::Deenergise)
            }
            _ => {}
        }
    }
    if matches!(request.kind(), ScenarioKind::Drop | ScenarioKind::BudgetMeter) {
        work_orders.push(WorkOrder::PlaceBudgetMeter);
    }
    let (losing_supplier, gaining_supplier) = match request.kind() {
        ScenarioKind::SupplierSwitch | ScenarioKind::MoveIn => (other(current), None),
        ScenarioKind::EndOfContract | ScenarioKind::Drop => (None, other(default_supplier)),
        ScenarioKind::MoveOut | ScenarioKind::BudgetMeter => (None, None),
        ScenarioKind::Rectification => {
            let supplier_of = |id| view.registrations.iter().find(|r| r.id == id).map(|r| &r.value.supplier);
            let withdrawn = changes.iter().find_map(|c| match c {
                Effect::WithdrawRegistration { supersedes } => supplier_of(*supersedes),
                _ => None,
            });
            let restored = changes.iter().find_map(|c| match c {
                Effect::ReplaceRegistration { registration, .. } => Some(&registration.supplier),
                _ => None,
            });
            // Should a rectification hand the point back to the supplier it takes it from,
            // that supplier is told once.
            let losing = other(withdrawn);
            let gaining = other(restored).filter(|p| Some(p) != losing.as_ref());
            (losing, gaining)
        }
    };
    Parties { losing_supplier, gaining_supplier, work_orders }
}

/// Judges `request` on `today` (the Europe/Brussels day it is received), against the access
/// point `view` and `config`, and gives the accepted scenario the key `id`.
///
/// The checks run in this order, and the first failing one answers: the point is known
/// (`unknown_ean`) and suppliable (`not_suppliable`); the effective day is allowed
/// (`effective_day_outside_window`; for a rectification, `not_the_initiator` and
/// `not_rectifiable` first); the initiator may send it and the customer is the right one,
/// against the register as recorded (`not_the_supplier`, `customer_mismatch`,
/// `already_the_supplier`, `already_the_occupant`, `already_a_budget_meter`); the conflict
/// table against each scenario in progress, oldest first (`same_day_conflict`,
/// `conflicting_scenario_in_progress`, `end_of_contract_in_progress`); the same party checks
/// against the register as the remaining scenarios in progress will leave it; and last the
/// register's own rules on the changes the scenario will make.
pub fn submit(
    id: ScenarioId,
    request: Request,
    view: &PointView,
    config: &Config,
    today: Date,
) -> Result<Accepted, Rejection> {
    let ap = view
        .access_point
        .as_ref()
        .filter(|ap| ap.ean == request.ean)
        .ok_or(Rejection::UnknownEan { ean: request.ean })?;
    suppliable(ap, &request)?;
    day_allowed(&request, view, config, today)?;
    let at = request
        .effective_instant()
        .map_err(|_| Rejection::EffectiveDayOutsideWindow { day: request.effective_day })?;
    parties_allowed(&request, view, at)?;

    let mut pending: Vec<&Scenario> =
        view.scenarios.iter().filter(|s| s.status.is_in_progress() && s.request.ean == request.ean).collect();
    pending.sort_by_key(|s| s.id);
    let incoming = OnDay { kind: request.kind(), day: request.effective_day };
    let mut supersedes = Vec::new();
    for scenario in &pending {
        match conflict(OnDay { kind: scenario.kind(), day: scenario.day() }, incoming) {
            Outcome::Accept => {}
            Outcome::Supersede => supersedes.push(scenario.id),
            Outcome::Reject(conflict) => {
                return Err(Rejection::ScenarioInProgress { ean: request.ean, conflict });
            }
        }
    }

    // The register as the scenarios that stay will leave it on the effective day: they all
    // take effect on or before it (the conflict table accepts nothing that would precede
    // them), in the order of their days and, on one day, of their acceptance.
    let mut staying: Vec<&Scenario> = pending.into_iter().filter(|s| !supersedes.contains(&s.id)).collect();
    staying.sort_by_key(|s| (s.day(), s.id));
    let mut projected = view.clone();
    for scenario in staying {
        let changes = effects(scenario, &projected, config)?;
        let when = scenario
            .request
            .effective_instant()
            .map_err(|_| Rejection::EffectiveDayOutsideWindow { day: scenario.day() })?;
        apply(&mut projected, &changes, when)?;
    }
    if let Some(ap) = &projected.access_point {
        suppliable(ap, &request)?;
    }
    parties_allowed(&request, &projected, at)?;

    let status = match request.kind() {
        ScenarioKind::BudgetMeter => Status::Requested,
        ScenarioKind::Rectification => Status::Completed,
        _ => Status::Accepted,
    };
    let mut scenario = Scenario { id, request, status, parties: Parties::default() };
    let changes = effects(&scenario, &projected, config)?;
    apply(&mut projected.clone(), &changes, at)?;
    scenario.parties = parties(&scenario.request, &projected, at, config, &changes);
    Ok(Accepted { scenario, supersedes })
}
