//! What a market party asks for: the scenario kinds, their requests, and the configuration of
//! the days they may take effect on.
//!
//! A request is plain data, built by the API or the CLI from what the initiator sent and
//! judged by [`super::submit`]. The kinds follow the names the Belgian market (UMIG) gives
//! its processes where it has one — Switch, Move In, Move Out, End of Contract, Drop — and
//! the Walloon budget-meter procedure for the rest, so a reader of the market's documents
//! finds the same words here.

use std::fmt;

use jiff::civil::Date;
use jiff::{Span, Timestamp};
use serde::{Deserialize, Serialize};

use crate::access_point::{Address, Energy};
use crate::gs1::Ean;
use crate::party::PartyId;
use crate::period::{PeriodError, day_start};

/// The key of one scenario, given by the store; increasing in the order scenarios were
/// accepted, which is also the order two scenarios of the same day are applied in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScenarioId(pub i64);

impl fmt::Display for ScenarioId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The kinds of market scenario, without their data: what the conflict table, the journal and
/// the mask (R3) reason about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioKind {
    /// Switch: a new supplier takes over a point whose network user stays.
    SupplierSwitch,
    /// Move In: a network user and their supplier start on a point together.
    MoveIn,
    /// Move Out: the network user leaves; the supply ends with the occupancy.
    MoveOut,
    /// End of Contract: the supplier stops, the customer stays; the point goes to the
    /// last-resort arrangement of the configuration.
    EndOfContract,
    /// Drop: the supplier stops supplying a customer who does not pay; in Wallonia this asks
    /// the DSO to place a budget meter.
    Drop,
    /// Placement of a budget (prepayment) meter for a customer in payment difficulty.
    BudgetMeter,
    /// Correction of an erroneous switch or move: the earlier state comes back as new records
    /// that supersede, never as an overwrite (I4).
    Rectification,
}

impl ScenarioKind {
    /// Every kind, in the order of the conflict table's rows and columns.
    pub const ALL: [ScenarioKind; 7] = [
        ScenarioKind::SupplierSwitch,
        ScenarioKind::MoveIn,
        ScenarioKind::MoveOut,
        ScenarioKind::EndOfContract,
        ScenarioKind::Drop,
        ScenarioKind::BudgetMeter,
        ScenarioKind::Rectification,
    ];

    /// The stable text form used in the journal, the API's paths and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioKind::SupplierSwitch => "supplier_switch",
            ScenarioKind::MoveIn => "move_in",
            ScenarioKind::MoveOut => "move_out",
            ScenarioKind::EndOfContract => "end_of_contract",
            ScenarioKind::Drop => "drop",
            ScenarioKind::BudgetMeter => "budget_meter",
            ScenarioKind::Rectification => "rectification",
        }
    }
}

impl fmt::Display for ScenarioKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a request asks for, with the data only that kind needs.
///
/// The customer is named in every scenario about a customer so that a supplier acting on the
/// wrong point, or for a customer who has left, is refused (`customer_mismatch`) instead of
/// changing someone else's supply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// The initiator becomes the supplier of `customer`, who occupies the point.
    SupplierSwitch {
        /// The network user the new contract is with.
        customer: PartyId,
    },
    /// `customer` starts occupying the point, supplied by the initiator.
    MoveIn {
        /// The new network user.
        customer: PartyId,
        /// Where bills and histories go (R4); the occupancy keeps it.
        shipping_address: Address,
    },
    /// `customer` stops occupying the point; the initiator is their supplier.
    MoveOut {
        /// The leaving network user.
        customer: PartyId,
    },
    /// The initiator, the point's supplier, ends its contract; the customer stays.
    EndOfContract,
    /// The initiator, the point's supplier, stops supplying `customer`, who does not pay.
    Drop {
        /// The customer in default.
        customer: PartyId,
    },
    /// The initiator, the point's supplier, asks for a budget meter for `customer`.
    BudgetMeter {
        /// The customer in payment difficulty.
        customer: PartyId,
    },
    /// The scenario `corrects`, a completed switch or move on this point, was an error.
    Rectification {
        /// The scenario whose effect is undone.
        corrects: ScenarioId,
    },
}

impl Action {
    /// The kind of scenario this action starts.
    pub fn kind(&self) -> ScenarioKind {
        match self {
            Action::SupplierSwitch { .. } => ScenarioKind::SupplierSwitch,
            Action::MoveIn { .. } => ScenarioKind::MoveIn,
            Action::MoveOut { .. } => ScenarioKind::MoveOut,
            Action::EndOfContract => ScenarioKind::EndOfContract,
            Action::Drop { .. } => ScenarioKind::Drop,
            Action::BudgetMeter { .. } => ScenarioKind::BudgetMeter,
            Action::Rectification { .. } => ScenarioKind::Rectification,
        }
    }

    /// The customer the action names, if it names one.
    pub fn customer(&self) -> Option<&PartyId> {
        match self {
            Action::SupplierSwitch { customer }
            | Action::MoveIn { customer, .. }
            | Action::MoveOut { customer }
            | Action::Drop { customer }
            | Action::BudgetMeter { customer } => Some(customer),
            Action::EndOfContract | Action::Rectification { .. } => None,
        }
    }
}

/// A market party's request, as received: judged by [`super::submit`] against the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The access point.
    pub ean: Ean,
    /// The energy the initiator means to supply: market messages name it, and a request for
    /// the wrong network is refused (`not_suppliable`) rather than guessed.
    pub energy: Energy,
    /// The party starting the scenario, the only one who may cancel it.
    pub initiator: PartyId,
    /// The Europe/Brussels day the scenario takes effect, from its first instant.
    pub effective_day: Date,
    /// What is asked for.
    pub action: Action,
}

impl Request {
    /// The kind of scenario requested.
    pub fn kind(&self) -> ScenarioKind {
        self.action.kind()
    }

    /// The first instant of the effective day in Europe/Brussels: where the register's
    /// records end and start, whatever the length of that day.
    pub fn effective_instant(&self) -> Result<Timestamp, PeriodError> {
        day_start(self.effective_day)
    }
}

/// The days, counted from the day the request is judged, on which a scenario may take
/// effect: `earliest..=latest`. A negative `earliest` allows a scenario dated back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// The first allowed day, as an offset from today.
    pub earliest: i32,
    /// The last allowed day, as an offset from today.
    pub latest: i32,
}

impl Window {
    /// Whether `day` is allowed when judged on `today`.
    pub fn allows(&self, today: Date, day: Date) -> bool {
        let offset = |days: i32| today.checked_add(Span::new().days(days)).ok();
        match (offset(self.earliest), offset(self.latest)) {
            (Some(first), Some(last)) => first <= day && day <= last,
            _ => false,
        }
    }
}

/// Where a point goes when its supplier ends the contract (or drops the customer) and nobody
/// else takes over: the DSO's configuration, because the regional rules differ and change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "last_resort", rename_all = "snake_case")]
pub enum LastResort {
    /// This supplier (the DSO acting as social or default supplier, or a designated one)
    /// supplies from the effective day, so the customer is never without energy.
    DefaultSupplier {
        /// The default supplier.
        supplier: PartyId,
    },
    /// Nobody supplies: the DSO's field service de-energises the point on the effective day,
    /// which comes only after the notice period of the window.
    Deenergise,
}

/// The market's timing rules, as configuration: the windows differ between the regulator's
/// rules, the DSO's own procedures and the test demo, so none is written into the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Switch. Default `0..=90`: never retroactive (the old supplier has billed the past),
    /// and a chosen horizon of three months for a contract signed ahead.
    pub switch: Window,
    /// Move In. Default `-30..=90`: a chosen default; moves are often declared after the keys
    /// changed hands, so they may be dated back a month, with the index read that day.
    pub move_in: Window,
    /// Move Out. Default `-30..=90`, for the same reason as a move-in.
    pub move_out: Window,
    /// End of Contract. Default `60..=365`: the earliest day is the notice period, chosen to
    /// match the two months' notice usually owed to a household in Belgium.
    pub end_of_contract: Window,
    /// Drop. Default `15..=90`: a chosen notice that leaves the DSO time to plan the budget
    /// meter the drop asks for.
    pub drop: Window,
    /// Budget-meter placement. Default `0..=40`: a chosen default of the order of the
    /// placement deadline the Walloon public-service obligations set for the DSO.
    pub budget_meter: Window,
    /// How many days after its effective day a switch or a move may still be rectified.
    /// Default 60: a chosen default, long enough for the first bill to reveal the error.
    pub rectification_days: i32,
    /// Where a point goes after an end of contract or a drop. Default
    /// [`LastResort::Deenergise`]: the only choice that names no party, so a default
    /// configuration cannot name a supplier that does not exist.
    pub last_resort: LastResort,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            switch: Window { earliest: 0, latest: 90 },
            move_in: Window { earliest: -30, latest: 90 },
            move_out: Window { earliest: -30, latest: 90 },
            end_of_contract: Window { earliest: 60, latest: 365 },
            drop: Window { earliest: 15, latest: 90 },
            budget_meter: Window { earliest: 0, latest: 40 },
            rectification_days: 60,
            last_resort: LastResort::Deenergise,
        }
    }
}

impl Config {
    /// The window of a kind, or `None` for a rectification, whose day is the corrected
    /// scenario's and is bounded by [`Config::rectification_days`] instead.
    pub fn window(&self, kind: ScenarioKind) -> Option<Window> {
        match kind {
            ScenarioKind::SupplierSwitch => Some(self.switch),
            ScenarioKind::MoveIn => Some(self.move_in),
            ScenarioKind::MoveOut => Some(self.move_out),
            ScenarioKind::EndOfContract => Some(self.end_of_contract),
            ScenarioKind::Drop => Some(self.drop),
            ScenarioKind::BudgetMeter => Some(self.budget_meter),
            ScenarioKind::Rectification => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_include_both_ends_and_nothing_outside() {
        let today = Date::constant(2025, 3, 1);
        let w = Window { earliest: -2, latest: 3 };
        assert!(w.allows(today, Date::constant(2025, 2, 27)));
        assert!(w.allows(today, Date::constant(2025, 3, 4)));
        assert!(!w.allows(today, Date::constant(2025, 2, 26)));
        assert!(!w.allows(today, Date::constant(2025, 3, 5)));
    }

    #[test]
    fn every_kind_has_a_distinct_text_form() {
        let mut names: Vec<_> = ScenarioKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ScenarioKind::ALL.len());
        for kind in ScenarioKind::ALL {
            let json = serde_json::to_string(&kind).expect("a unit variant serialises");
            assert_eq!(json, format!("\"{kind}\""));
        }
    }

    #[test]
    fn the_default_configuration_never_allows_a_retroactive_switch() {
        let config = Config::default();
        let today = Date::constant(2025, 3, 1);
        assert!(!config.switch.allows(today, Date::constant(2025, 2, 28)));
        assert!(config.switch.allows(today, today));
        assert!(!config.end_of_contract.allows(today, Date::constant(2025, 3, 31)));
        assert!(config.window(ScenarioKind::Rectification).is_none());
    }
}
