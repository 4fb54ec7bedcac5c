//! The conflict table: what happens when a scenario arrives on an access point where another
//! is in progress.
//!
//! The table is data ([`TABLE`]) read by one function ([`conflict`]), and the module docs of
//! [`crate::scenario`] print the same table; a test checks that the two agree cell by cell,
//! so the documentation cannot drift from the rule.
//!
//! Every rule is chosen so that an accepted scenario never takes effect before one already in
//! progress on the point: scenarios then apply in the order of their effective days, and each
//! is judged against the register as the earlier ones will leave it. A table that also let an
//! earlier incoming scenario slip in front of a pending one was rejected: the pending one
//! would then take effect on a register it was never judged against.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::request::ScenarioKind;

/// A scenario's kind and effective day: all the conflict table looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnDay {
    /// The kind.
    pub kind: ScenarioKind,
    /// The Europe/Brussels day it takes effect.
    pub day: Date,
}

/// One cell of the table: how an incoming scenario meets one in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// One process at a time on the point: the incoming one is refused, with
    /// `same_day_conflict` on the same day and `conflicting_scenario_in_progress` otherwise,
    /// and may be sent again once the pending one is done or cancelled.
    Exclusive,
    /// R3: refused with `end_of_contract_in_progress`, whether the pending scenario is a
    /// genuine end of contract, a drop or a budget-meter placement.
    Masked,
    /// The incoming scenario replaces the pending one, which ends as superseded: the
    /// customer's latest choice wins.
    Supersede,
    /// On or before the pending one's day, the incoming scenario replaces it (it makes it
    /// moot); after that day, both stand and the pending one applies first.
    SupersedeUnlessLater,
    /// The incoming scenario follows on from the pending one: accepted on or after its day
    /// (a move-in after a move-out, even the same day), refused before it.
    FollowsOn,
}

impl Rule {
    /// The name the documentation's table uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Exclusive => "exclusive",
            Rule::Masked => "masked",
            Rule::Supersede => "supersede",
            Rule::SupersedeUnlessLater => "supersede_unless_later",
            Rule::FollowsOn => "follows_on",
        }
    }
}

/// Why the conflict table refuses an incoming scenario. The variants carry nothing about the
/// scenario in progress — not its kind, its day or its initiator — because the party told is
/// often a competitor entitled to none of it (R2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conflict {
    /// Another scenario takes effect on the same day.
    SameDay,
    /// Another scenario is in progress.
    InProgress,
    /// An end of contract is in progress, as a competing switch is told whether it is one,
    /// a drop or a budget-meter placement (R3).
    EndOfContractInProgress,
}

impl Conflict {
    /// The stable rejection code.
    pub fn code(self) -> &'static str {
        match self {
            Conflict::SameDay => "same_day_conflict",
            Conflict::InProgress => "conflicting_scenario_in_progress",
            Conflict::EndOfContractInProgress => "end_of_contract_in_progress",
        }
    }
}

/// What the table decides for one pending scenario and one incoming.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "conflict", rename_all = "snake_case")]
pub enum Outcome {
    /// Both stand.
    Accept,
    /// The incoming one is accepted and the pending one ends as superseded.
    Supersede,
    /// The incoming one is refused.
    Reject(Conflict),
}

/// The kinds that can be in progress, in the order of [`TABLE`]'s rows. A rectification is
/// never in progress: it corrects the past and is applied when accepted.
pub const ROWS: [ScenarioKind; 6] = [
    ScenarioKind::SupplierSwitch,
    ScenarioKind::MoveIn,
    ScenarioKind::MoveOut,
    ScenarioKind::EndOfContract,
    ScenarioKind::Drop,
    ScenarioKind::BudgetMeter,
];

use Rule::{Exclusive as X, FollowsOn as F, Masked as M, Supersede as S, SupersedeUnlessLater as L};

/// The table: a row per kind in progress ([`ROWS`]), a column per incoming kind
/// ([`ScenarioKind::ALL`]).
///
/// The rows of the end of contract, the drop and the budget meter agree in every column a
/// party other than the point's supplier can send (all but the drop and the budget meter,
/// which only the supplier may start): that is what keeps them indistinguishable to a
/// competitor (R3), and a test holds the table to it.
pub const TABLE: [[Rule; 7]; 6] = [
    // switch, move-in, move-out, end of contract, drop, budget meter, rectification
    [S, L, L, X, X, X, X], // switch in progress
    [X, X, X, X, X, X, X], // move-in in progress
    [X, F, X, X, X, X, X], // move-out in progress
    [M, L, L, X, S, X, X], // end of contract in progress
    [M, L, L, X, X, X, X], // drop in progress
    [M, L, L, X, X, X, X], // budget meter in progress
];

/// The table's rule for a kind in progress and an incoming kind.
pub fn rule(in_progress: ScenarioKind, incoming: ScenarioKind) -> Rule {
    let column = ScenarioKind::ALL.iter().position(|k| *k == incoming);
    let row = ROWS.iter().position(|k| *k == in_progress);
    match (row, column) {
        (Some(row), Some(column)) => TABLE[row][column],
        // A rectification is applied when accepted; should one ever be seen in progress,
        // nothing may meet it.
        _ => Rule::Exclusive,
    }
}

/// What happens when `incoming` arrives on a point where `in_progress` is pending.
pub fn conflict(in_progress: OnDay, incoming: OnDay) -> Outcome {
    let exclusive = if incoming.day == in_progress.day { Conflict::SameDay } else { Conflict::InProgress };
    match rule(in_progress.kind, incoming.kind) {
        Rule::Exclusive => Outcome::Reject(exclusive),
        Rule::Masked => Outcome::Reject(Conflict::EndOfContractInProgress),
        Rule::Supersede => Outcome::Supersede,
        Rule::SupersedeUnlessLater if incoming.day <= in_progress.day => Outcome::Supersede,
        Rule::SupersedeUnlessLater => Outcome::Accept,
        Rule::FollowsOn if incoming.day >= in_progress.day => Outcome::Accept,
        Rule::FollowsOn => Outcome::Reject(Conflict::InProgress),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ScenarioKind::*;

    const EARLIER: Date = Date::constant(2025, 3, 9);
    const DAY: Date = Date::constant(2025, 3, 10);
    const LATER: Date = Date::constant(2025, 3, 11);

    const A: Outcome = Outcome::Accept;
    const SUP: Outcome = Outcome::Supersede;
    const SAME: Outcome = Outcome::Reject(Conflict::SameDay);
    const BUSY: Outcome = Outcome::Reject(Conflict::InProgress);
    const EOC: Outcome = Outcome::Reject(Conflict::EndOfContractInProgress);

    /// Every cell, with the incoming scenario one day before, on, and one day after the
    /// pending one's day: (in progress, incoming, [earlier, same day, later]).
    const CELLS: [(ScenarioKind, ScenarioKind, [Outcome; 3]); 42] = [
        (SupplierSwitch, SupplierSwitch, [SUP, SUP, SUP]),
        (SupplierSwitch, MoveIn, [SUP, SUP, A]),
        (SupplierSwitch, MoveOut, [SUP, SUP, A]),
        (SupplierSwitch, EndOfContract, [BUSY, SAME, BUSY]),
        (SupplierSwitch, Drop, [BUSY, SAME, BUSY]),
        (SupplierSwitch, BudgetMeter, [BUSY, SAME, BUSY]),
        (SupplierSwitch, Rectification, [BUSY, SAME, BUSY]),
        (MoveIn, SupplierSwitch, [BUSY, SAME, BUSY]),
        (MoveIn, MoveIn, [BUSY, SAME, BUSY]),
        (MoveIn, MoveOut, [BUSY, SAME, BUSY]),
        (MoveIn, EndOfContract, [BUSY, SAME, BUSY]),
        (MoveIn, Drop, [BUSY, SAME, BUSY]),
        (MoveIn, BudgetMeter, [BUSY, SAME, BUSY]),
        (MoveIn, Rectification, [BUSY, SAME, BUSY]),
        (MoveOut, SupplierSwitch, [BUSY, SAME, BUSY]),
        (MoveOut, MoveIn, [BUSY, A, A]),
        (MoveOut, MoveOut, [BUSY, SAME, BUSY]),
        (MoveOut, EndOfContract, [BUSY, SAME, BUSY]),
        (MoveOut, Drop, [BUSY, SAME, BUSY]),
        (MoveOut, BudgetMeter, [BUSY, SAME, BUSY]),
        (MoveOut, Rectification, [BUSY, SAME, BUSY]),
        (EndOfContract, SupplierSwitch, [EOC, EOC, EOC]),
        (EndOfContract, MoveIn, [SUP, SUP, A]),
        (EndOfContract, MoveOut, [SUP, SUP, A]),
        (EndOfContract, EndOfContract, [BUSY, SAME, BUSY]),
        (EndOfContract, Drop, [SUP, SUP, SUP]),
        (EndOfContract, BudgetMeter, [BUSY, SAME, BUSY]),
        (EndOfContract, Rectification, [BUSY, SAME, BUSY]),
        (Drop, SupplierSwitch, [EOC, EOC, EOC]),
        (Drop, MoveIn, [SUP, SUP, A]),
        (Drop, MoveOut, [SUP, SUP, A]),
        (Drop, EndOfContract, [BUSY, SAME, BUSY]),
        (Drop, Drop, [BUSY, SAME, BUSY]),
        (Drop, BudgetMeter, [BUSY, SAME, BUSY]),
        (Drop, Rectification, [BUSY, SAME, BUSY]),
        (BudgetMeter, SupplierSwitch, [EOC, EOC, EOC]),
        (BudgetMeter, MoveIn, [SUP, SUP, A]),
        (BudgetMeter, MoveOut, [SUP, SUP, A]),
        (BudgetMeter, EndOfContract, [BUSY, SAME, BUSY]),
        (BudgetMeter, Drop, [BUSY, SAME, BUSY]),
        (BudgetMeter, BudgetMeter, [BUSY, SAME, BUSY]),
        (BudgetMeter, Rectification, [BUSY, SAME, BUSY]),
    ];

    #[test]
    fn every_cell_of_the_table_decides_as_written() {
        for (in_progress, incoming, expected) in CELLS {
            for (day, want) in [EARLIER, DAY, LATER].into_iter().zip(expected) {
                let got = conflict(OnDay { kind: in_progress, day: DAY }, OnDay { kind: incoming, day });
                assert_eq!(got, want, "{in_progress} in progress on {DAY}, {incoming} on {day}");
            }
        }
        // The cells above are every pair, once.
        let mut pairs: Vec<_> = CELLS.iter().map(|(a, b, _)| (*a, *b)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        assert_eq!(pairs.len(), ROWS.len() * ScenarioKind::ALL.len());
    }

    #[test]
    fn an_accepted_scenario_never_takes_effect_before_the_pending_one() {
        for in_progress in ROWS {
            for incoming in ScenarioKind::ALL {
                for day in [EARLIER, DAY, LATER] {
                    let outcome =
                        conflict(OnDay { kind: in_progress, day: DAY }, OnDay { kind: incoming, day });
                    if outcome == Outcome::Accept {
                        assert!(day >= DAY, "{incoming} on {day} slips before {in_progress}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_competitor_cannot_tell_a_drop_or_a_budget_meter_from_an_end_of_contract() {
        // Only the point's supplier may start a drop or a budget meter, so only the other
        // columns are answers a competitor can see.
        let competitor_columns =
            ScenarioKind::ALL.iter().filter(|k| !matches!(k, ScenarioKind::Drop | ScenarioKind::BudgetMeter));
        for incoming in competitor_columns {
            let genuine = rule(EndOfContract, *incoming);
            assert_eq!(rule(Drop, *incoming), genuine, "{incoming}");
            assert_eq!(rule(BudgetMeter, *incoming), genuine, "{incoming}");
        }
    }

    #[test]
    fn the_documented_table_is_the_one_in_force() {
        let docs = include_str!("../scenario.rs");
        let rows: Vec<Vec<String>> = docs
            .lines()
            .filter_map(|line| line.strip_prefix("//! |"))
            .map(|line| line.split('|').map(|cell| cell.trim().trim_matches('`').to_owned()).collect())
            .collect();
        let header = &rows[0];
        let columns: Vec<&str> = ScenarioKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(&header[1..=columns.len()], columns.as_slice(), "column headings");
        let body: Vec<_> = rows.iter().skip(2).collect();
        assert_eq!(body.len(), ROWS.len(), "one documented row per kind in progress");
        for (row, kind) in body.iter().zip(ROWS) {
            assert_eq!(row[0], kind.as_str());
            for (column, incoming) in ScenarioKind::ALL.iter().enumerate() {
                assert_eq!(row[column + 1], rule(kind, *incoming).as_str(), "{kind} × {incoming}");
            }
        }
    }
}
