//! The life of an accepted scenario: its states and the transitions between them, as pure
//! functions that return the next scenario or say why not.
//!
//! A transition never edits a scenario in place; it returns a new value, so the store can
//! write the new state as a new version and the journal can bind the old and the new (I4).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::request::{Request, ScenarioId, ScenarioKind};
use crate::party::PartyId;

/// Where a scenario stands. Market scenarios go `Accepted → Completed` on their effective
/// day; a budget meter goes `Requested → Scheduled → Placed | Failed`; a rectification is
/// `Completed` when accepted. Before its effective day any of them may end `Cancelled` (by
/// its initiator) or `Superseded` (by a later scenario, per the conflict table). A refused
/// request never becomes a scenario: its refusal is the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Accepted, waiting for its effective day.
    Accepted,
    /// A budget-meter placement asked of the DSO.
    Requested,
    /// A budget-meter placement the DSO's field service has planned for its day.
    Scheduled,
    /// Took effect on its day: the register has changed.
    Completed,
    /// The budget meter is in place: the point's meter kind changed that day.
    Placed,
    /// The placement could not be done (nobody home, technical refusal); the supplier may
    /// ask again.
    Failed,
    /// Withdrawn by its initiator before its day.
    Cancelled,
    /// Replaced by a later scenario on the same point.
    Superseded,
}

impl Status {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Accepted => "accepted",
            Status::Requested => "requested",
            Status::Scheduled => "scheduled",
            Status::Completed => "completed",
            Status::Placed => "placed",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
            Status::Superseded => "superseded",
        }
    }

    /// Whether the scenario is still to take effect: only these meet incoming scenarios in
    /// the conflict table.
    pub fn is_in_progress(self) -> bool {
        matches!(self, Status::Accepted | Status::Requested | Status::Scheduled)
    }
}

/// Work the DSO's own services must do for a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkOrder {
    /// Reconnect the supply of a de-energised point (a move-in).
    Energise,
    /// Cut the supply (an end of contract or a drop with no default supplier).
    Deenergise,
    /// Place a budget meter (a budget-meter request, or the request a drop makes).
    PlaceBudgetMeter,
}

/// The parties a scenario concerns besides its initiator, fixed when it is accepted from the
/// register as it will stand on the effective day: later messages (a cancellation) go to
/// exactly those told at acceptance, and to nobody who became a party since.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Parties {
    /// The supplier that loses the point on the effective day (or, for a rectification,
    /// whose wrong registration is withdrawn), if it is not the initiator.
    pub losing_supplier: Option<PartyId>,
    /// The supplier that gets the point without having asked (the default supplier after an
    /// end of contract or a drop; the restored one after a rectification).
    pub gaining_supplier: Option<PartyId>,
    /// The work the DSO's services are asked to do.
    pub work_orders: Vec<WorkOrder>,
}

/// An accepted scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    /// Its key.
    pub id: ScenarioId,
    /// What was asked.
    pub request: Request,
    /// Where it stands.
    pub status: Status,
    /// Who else it concerns.
    pub parties: Parties,
}

/// Why a transition was refused. Each names the rule and carries the code the API answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// Only the party that started a scenario may cancel it.
    #[error("initiator: only the initiator of scenario {id} may cancel it")]
    NotTheInitiator {
        /// The scenario.
        id: ScenarioId,
    },
    /// A scenario can be cancelled only before its effective day.
    #[error("effective_day: scenario {id} takes effect on {day}; it can no longer be cancelled on {today}")]
    TooLateToCancel {
        /// The scenario.
        id: ScenarioId,
        /// Its effective day.
        day: Date,
        /// The day of the request.
        today: Date,
    },
    /// A scenario takes effect on its day, not before.
    #[error("effective_day: scenario {id} takes effect on {day}, not on {today}")]
    NotYetEffective {
        /// The scenario.
        id: ScenarioId,
        /// Its effective day.
        day: Date,
        /// The day asked.
        today: Date,
    },
    /// A scenario accepted after this one, and judged against its effect, is in progress.
    #[error("ean: a scenario accepted after {id} is in progress on this access point")]
    LaterScenarioInProgress {
        /// The scenario.
        id: ScenarioId,
    },
    /// The transition does not leave the scenario's state.
    #[error("status: a {kind} scenario cannot go from {from} to {to}")]
    InvalidTransition {
        /// The scenario's kind.
        kind: ScenarioKind,
        /// Its state.
        from: &'static str,
        /// The state asked for.
        to: &'static str,
    },
}

impl TransitionError {
    /// The stable code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            TransitionError::NotTheInitiator { .. } => "not_the_initiator",
            TransitionError::TooLateToCancel { .. } => "too_late_to_cancel",
            TransitionError::NotYetEffective { .. } => "not_yet_effective",
            TransitionError::LaterScenarioInProgress { .. } => "conflicting_scenario_in_progress",
            TransitionError::InvalidTransition { .. } => "invalid_transition",
        }
    }
}

impl Scenario {
    /// The scenario's kind.
    pub fn kind(&self) -> ScenarioKind {
        self.request.kind()
    }

    /// Its effective day.
    pub fn day(&self) -> Date {
        self.request.effective_day
    }

    fn to(&self, status: Status) -> Scenario {
        Scenario { status, ..self.clone() }
    }

    fn invalid(&self, to: Status) -> TransitionError {
        TransitionError::InvalidTransition { kind: self.kind(), from: self.status.as_str(), to: to.as_str() }
    }

    /// Cancelled by `by` on `today`; `on_the_point` are the other scenarios in progress on
    /// the same access point.
    ///
    /// The initiator is checked first, before the state or the day: anyone else asking about
    /// a scenario id gets the same answer whatever the scenario is and wherever it stands, so
    /// guessing ids teaches nothing (I5). A cancellation is also refused while a scenario
    /// accepted after this one is in progress on the point: that one was judged, and its
    /// parties told, against the register as this one would leave it; cancelling underneath
    /// it would have it end the registration of a supplier it never told.
    pub fn cancel(
        &self,
        by: &PartyId,
        today: Date,
        on_the_point: &[Scenario],
    ) -> Result<Scenario, TransitionError> {
        if *by != self.request.initiator {
            return Err(TransitionError::NotTheInitiator { id: self.id });
        }
        if !self.status.is_in_progress() {
            return Err(self.invalid(Status::Cancelled));
        }
        if today >= self.day() {
            return Err(TransitionError::TooLateToCancel { id: self.id, day: self.day(), today });
        }
        let built_upon = on_the_point
            .iter()
            .any(|s| s.id > self.id && s.request.ean == self.request.ean && s.status.is_in_progress());
        if built_upon {
            return Err(TransitionError::LaterScenarioInProgress { id: self.id });
        }
        Ok(self.to(Status::Cancelled))
    }

    /// Replaced by a later scenario, as the conflict table decided.
    pub fn supersede(&self) -> Result<Scenario, TransitionError> {
        if !self.status.is_in_progress() {
            return Err(self.invalid(Status::Superseded));
        }
        Ok(self.to(Status::Superseded))
    }

    /// A market scenario taking effect on `today`, its effective day or later (the writer
    /// may run the day's scenarios late; the register changes from the effective day all the
    /// same).
    pub fn complete(&self, today: Date) -> Result<Scenario, TransitionError> {
        if self.status != Status::Accepted {
            return Err(self.invalid(Status::Completed));
        }
        if today < self.day() {
            return Err(TransitionError::NotYetEffective { id: self.id, day: self.day(), today });
        }
        Ok(self.to(Status::Completed))
    }

    /// The DSO's field service has planned the placement for the scenario's day.
    ///
    /// The day itself cannot move: a placement later than requested could land after a
    /// scenario accepted behind this one, which was judged against the meter as placed.
    /// A visit that cannot happen that day is a failure, and the supplier asks again.
    pub fn schedule(&self) -> Result<Scenario, TransitionError> {
        if self.status != Status::Requested {
            return Err(self.invalid(Status::Scheduled));
        }
        Ok(self.to(Status::Scheduled))
    }

    /// The budget meter was placed on `today`, the scenario's day or later.
    pub fn place(&self, today: Date) -> Result<Scenario, TransitionError> {
        if self.status != Status::Scheduled {
            return Err(self.invalid(Status::Placed));
        }
        if today < self.day() {
            return Err(TransitionError::NotYetEffective { id: self.id, day: self.day(), today });
        }
        Ok(self.to(Status::Placed))
    }

    /// The planned placement could not be done.
    pub fn fail(&self) -> Result<Scenario, TransitionError> {
        if self.status != Status::Scheduled {
            return Err(self.invalid(Status::Failed));
        }
        Ok(self.to(Status::Failed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access_point::Energy;
    use crate::gs1::Ean;
    use crate::scenario::request::Action;

    const DAY: Date = Date::constant(2025, 5, 1);

    fn party(id: &str) -> PartyId {
        id.parse().expect("valid id")
    }

    fn scenario(action: Action, status: Status) -> Scenario {
        Scenario {
            id: ScenarioId(7),
            request: Request {
                ean: Ean::from_body(54_144_100_000_000_001).expect("valid body"),
                energy: Energy::Electricity,
                initiator: party("sup-a"),
                effective_day: DAY,
                action,
            },
            status,
            parties: Parties::default(),
        }
    }

    fn switch(status: Status) -> Scenario {
        scenario(Action::SupplierSwitch { customer: party("nu-1") }, status)
    }

    fn budget(status: Status) -> Scenario {
        scenario(Action::BudgetMeter { customer: party("nu-1") }, status)
    }

    #[test]
    fn a_market_scenario_completes_on_its_day() {
        let before = Date::constant(2025, 4, 30);
        assert_eq!(switch(Status::Accepted).complete(before).map_err(|e| e.code()), Err("not_yet_effective"));
        assert_eq!(switch(Status::Accepted).complete(DAY).map(|s| s.status), Ok(Status::Completed));
        let e = switch(Status::Completed).complete(DAY).expect_err("already done");
        assert_eq!(e.code(), "invalid_transition");
        assert_eq!(e.to_string(), "status: a supplier_switch scenario cannot go from completed to completed");
    }

    #[test]
    fn a_budget_meter_is_scheduled_then_placed_or_failed() {
        let requested = budget(Status::Requested);
        assert_eq!(requested.place(DAY).map_err(|e| e.code()), Err("invalid_transition"));
        let scheduled = requested.schedule().expect("requested → scheduled");
        assert_eq!(
            scheduled.place(Date::constant(2025, 4, 30)).map_err(|e| e.code()),
            Err("not_yet_effective")
        );
        assert_eq!(scheduled.place(DAY).map(|s| s.status), Ok(Status::Placed));
        assert_eq!(scheduled.fail().map(|s| s.status), Ok(Status::Failed));
        assert_eq!(budget(Status::Placed).fail().map_err(|e| e.code()), Err("invalid_transition"));
        assert_eq!(requested.complete(DAY).map_err(|e| e.code()), Err("invalid_transition"));
    }

    /// (scenario, who cancels, on which day, expected code or the state reached)
    #[test]
    fn cancellation_is_the_initiators_before_the_day() {
        let before = Date::constant(2025, 4, 30);
        let cases: [(Scenario, &str, Date, Result<Status, &str>); 8] = [
            (switch(Status::Accepted), "sup-a", before, Ok(Status::Cancelled)),
            (switch(Status::Accepted), "sup-b", before, Err("not_the_initiator")),
            (switch(Status::Accepted), "sup-a", DAY, Err("too_late_to_cancel")),
            (switch(Status::Completed), "sup-a", before, Err("invalid_transition")),
            // Anyone else is told the same, whatever the state.
            (switch(Status::Completed), "sup-b", before, Err("not_the_initiator")),
            (budget(Status::Scheduled), "sup-a", before, Ok(Status::Cancelled)),
            (budget(Status::Placed), "sup-a", before, Err("invalid_transition")),
            (switch(Status::Superseded), "sup-a", before, Err("invalid_transition")),
        ];
        for (scenario, by, today, expected) in cases {
            let got = scenario.cancel(&party(by), today, &[]).map(|s| s.status).map_err(|e| e.code());
            assert_eq!(got, expected, "{:?} cancelled by {by} on {today}", scenario.status);
        }
    }

    #[test]
    fn a_scenario_another_was_judged_against_cannot_be_cancelled() {
        let before = Date::constant(2025, 4, 30);
        let pending = switch(Status::Accepted);
        let later = Scenario { id: ScenarioId(8), ..switch(Status::Accepted) };
        let earlier = Scenario { id: ScenarioId(6), ..switch(Status::Accepted) };
        let done = Scenario { id: ScenarioId(9), ..switch(Status::Cancelled) };
        let refused = pending.cancel(&party("sup-a"), before, &[later]).expect_err("built upon");
        assert_eq!(refused.code(), "conflicting_scenario_in_progress");
        assert!(pending.cancel(&party("sup-a"), before, &[earlier, done]).is_ok());
    }

    #[test]
    fn only_a_scenario_in_progress_is_superseded() {
        assert_eq!(switch(Status::Accepted).supersede().map(|s| s.status), Ok(Status::Superseded));
        assert_eq!(budget(Status::Requested).supersede().map(|s| s.status), Ok(Status::Superseded));
        assert!(switch(Status::Cancelled).supersede().is_err());
    }
}
