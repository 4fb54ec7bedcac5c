//! The messages scenarios produce, as data, and the mask a competing supplier sees (R3).
//!
//! Each event of a scenario tells each party exactly what it must know: the initiator that
//! its scenario moved on; a supplier losing the point, the loss and its day and nothing
//! more; a supplier gaining it, the point's technical data; the DSO's services, their work
//! orders. Nothing else is addressed to anyone, and a message names a kind and a day, never
//! the other party or the reason: the supplier losing a point to a drop's default supplier
//! must not learn it was a drop.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::lifecycle::{Scenario, WorkOrder};
use super::request::{ScenarioId, ScenarioKind};
use crate::party::PartyId;

/// A service of the DSO itself that receives work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DsoService {
    /// The field technicians who cut and restore supply.
    Field,
    /// The team that places budget meters.
    BudgetMeter,
}

/// Who a message is addressed to: one market party, or one of the DSO's services.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "to", content = "id", rename_all = "snake_case")]
pub enum Recipient {
    /// A supplier.
    Party(PartyId),
    /// A DSO service.
    Dso(DsoService),
}

/// What a message says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "message", content = "order", rename_all = "snake_case")]
pub enum MessageKind {
    /// To the initiator: its scenario is accepted.
    Accepted,
    /// To a supplier gaining the point: the point's technical data (meter, regime, energy).
    TechnicalData,
    /// To a supplier gaining the point without having asked (the default supplier).
    SupplyStarts,
    /// To the supplier losing the point: the loss and its day, nothing more.
    PointLost,
    /// To a supplier whose registration a rectification withdraws or restores.
    Rectified,
    /// To the initiator: its cancellation is done.
    Cancelled,
    /// To the initiator: a later scenario replaced its own.
    Superseded,
    /// To everyone else told at acceptance: forget what you were told.
    Withdrawn,
    /// To the initiator: the budget meter's placement is planned.
    Scheduled,
    /// To the initiator: the budget meter is placed.
    Placed,
    /// To the initiator: the placement failed.
    PlacementFailed,
    /// To a DSO service: work to do.
    WorkOrder(WorkOrder),
}

/// One message: to one recipient, about one scenario, for its effective day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The addressee; nobody else ever sees it.
    pub recipient: Recipient,
    /// What it says.
    pub kind: MessageKind,
    /// The scenario's effective day.
    pub day: Date,
    /// The scenario it is about.
    pub scenario: ScenarioId,
}

/// What happened to a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// It was accepted (a rectification is accepted and applied at once).
    Accepted,
    /// Its initiator cancelled it.
    Cancelled,
    /// A later scenario replaced it.
    Superseded,
    /// It took effect.
    Completed,
    /// Its budget-meter placement was planned.
    Scheduled,
    /// Its budget meter was placed.
    Placed,
    /// Its budget-meter placement failed.
    Failed,
}

fn service(order: WorkOrder) -> DsoService {
    match order {
        WorkOrder::Energise | WorkOrder::Deenergise => DsoService::Field,
        WorkOrder::PlaceBudgetMeter => DsoService::BudgetMeter,
    }
}

/// Who is told what when the scenario is accepted, the initiator first.
fn on_acceptance(scenario: &Scenario) -> Vec<(Recipient, MessageKind)> {
    let initiator = Recipient::Party(scenario.request.initiator.clone());
    let mut out = vec![(initiator.clone(), MessageKind::Accepted)];
    if matches!(scenario.kind(), ScenarioKind::SupplierSwitch | ScenarioKind::MoveIn) {
        out.push((initiator, MessageKind::TechnicalData));
    }
    let rectification = scenario.kind() == ScenarioKind::Rectification;
    if let Some(losing) = &scenario.parties.losing_supplier {
        let kind = if rectification { MessageKind::Rectified } else { MessageKind::PointLost };
        out.push((Recipient::Party(losing.clone()), kind));
    }
    if let Some(gaining) = &scenario.parties.gaining_supplier {
        let to = Recipient::Party(gaining.clone());
        if rectification {
            out.push((to, MessageKind::Rectified));
        } else {
            out.push((to.clone(), MessageKind::SupplyStarts));
            out.push((to, MessageKind::TechnicalData));
        }
    }
    for order in &scenario.parties.work_orders {
        out.push((Recipient::Dso(service(*order)), MessageKind::WorkOrder(*order)));
    }
    out
}

/// The messages `event` of `scenario` produces, each for one recipient. A cancellation or a
/// supersession reaches exactly those told at acceptance: the initiator with its own kind,
/// the others with [`MessageKind::Withdrawn`].
pub fn messages(scenario: &Scenario, event: Event) -> Vec<Message> {
    let initiator = Recipient::Party(scenario.request.initiator.clone());
    let pairs: Vec<(Recipient, MessageKind)> = match event {
        Event::Accepted => on_acceptance(scenario),
        Event::Cancelled | Event::Superseded => {
            let own =
                if event == Event::Cancelled { MessageKind::Cancelled } else { MessageKind::Superseded };
            let mut told: Vec<Recipient> = Vec::new();
            for (recipient, _) in on_acceptance(scenario) {
                if recipient != initiator && !told.contains(&recipient) {
                    told.push(recipient);
                }
            }
            std::iter::once((initiator, own))
                .chain(told.into_iter().map(|r| (r, MessageKind::Withdrawn)))
                .collect()
        }
        Event::Completed => Vec::new(),
        Event::Scheduled => vec![(initiator, MessageKind::Scheduled)],
        Event::Placed => vec![(initiator, MessageKind::Placed)],
        Event::Failed => vec![(initiator, MessageKind::PlacementFailed)],
    };
    pairs
        .into_iter()
        .map(|(recipient, kind)| Message { recipient, kind, day: scenario.day(), scenario: scenario.id })
        .collect()
}

/// How a scenario in progress is presented to a competing supplier whose switch meets it
/// (R3): the fact the policy decides on, before the answer is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mask {
    /// A genuine end of contract: told as what it is.
    Genuine,
    /// A drop or a budget-meter placement: it says the customer cannot pay, so it is told as
    /// an end of contract, in the same words and fields.
    Masked,
    /// Anything else: told only that a scenario is in progress, whatever it is.
    Undisclosed,
}

/// The mask class of a kind in progress, as the policy deciding the answer is fed it: the
/// policy names the decision in the journal, and this function is the one place that says
/// which kinds reveal payment difficulty.
pub fn mask(in_progress: ScenarioKind) -> Mask {
    match in_progress {
        ScenarioKind::EndOfContract => Mask::Genuine,
        ScenarioKind::Drop | ScenarioKind::BudgetMeter => Mask::Masked,
        ScenarioKind::SupplierSwitch
        | ScenarioKind::MoveIn
        | ScenarioKind::MoveOut
        | ScenarioKind::Rectification => Mask::Undisclosed,
    }
}

/// The kind a competing supplier is told is in progress: a drop or a budget-meter placement
/// is told as an end of contract; for kinds it is told nothing about, `None`.
pub fn told_to_competitor(in_progress: ScenarioKind) -> Option<ScenarioKind> {
    match mask(in_progress) {
        Mask::Genuine | Mask::Masked => Some(ScenarioKind::EndOfContract),
        Mask::Undisclosed => None,
    }
}
