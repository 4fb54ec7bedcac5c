//! Market scenarios: the only way the register changes in the market, as pure state machines.
//!
//! A supplier (or the DSO) sends a [`Request`]; [`submit`] judges it against a [`PointView`]
//! of the access point — its effective occupancies and registrations and the scenarios in
//! progress on it — and the [`Config`] of windows and notice periods, on the day it is
//! received, and either refuses it with a [`Rejection`] carrying a stable code or returns the
//! accepted [`Scenario`] and the scenarios it supersedes. On the effective day, [`effects`]
//! gives the register changes as data ([`Effect`]) and [`apply`] applies them with the
//! register's own overlap rules. [`messages`] says who is told what at each [`Event`].
//!
//! Nothing here reads a clock or stores anything: "today" and ids are arguments, so each
//! rule is tested on its own, and the store, the gate and the API only carry the results.
//!
//! # Days
//!
//! Every scenario takes effect on a Europe/Brussels day, from that day's first instant
//! ([`crate::period::day_start`]), so a switch "on 1 March" ends one registration exactly
//! where the next starts, whatever the length of the day.
//!
//! # Conflict table
//!
//! When a scenario arrives on a point where another is in progress, the cell of the kind in
//! progress (row) and the incoming kind (column) decides ([`conflict`]):
//!
//! - `exclusive`: refused, `same_day_conflict` on the same day, otherwise
//!   `conflicting_scenario_in_progress`; one process at a time on a point;
//! - `masked`: refused with `end_of_contract_in_progress` (R3);
//! - `supersede`: accepted, and the one in progress ends superseded (the customer's latest
//!   choice wins);
//! - `supersede_unless_later`: on or before the pending one's day, as `supersede`; after
//!   it, both stand and apply in day order;
//! - `follows_on`: accepted on or after the pending one's day (a move-in after a move-out,
//!   even on the same day), refused as `conflicting_scenario_in_progress` before it.
//!
//! | in progress ↓ · incoming → | `supplier_switch` | `move_in` | `move_out` | `end_of_contract` | `drop` | `budget_meter` | `rectification` |
//! |---|---|---|---|---|---|---|---|
//! | `supplier_switch` | supersede | supersede_unless_later | supersede_unless_later | exclusive | exclusive | exclusive | exclusive |
//! | `move_in` | exclusive | exclusive | exclusive | exclusive | exclusive | exclusive | exclusive |
//! | `move_out` | exclusive | follows_on | exclusive | exclusive | exclusive | exclusive | exclusive |
//! | `end_of_contract` | masked | supersede_unless_later | supersede_unless_later | exclusive | supersede | exclusive | exclusive |
//! | `drop` | masked | supersede_unless_later | supersede_unless_later | exclusive | exclusive | exclusive | exclusive |
//! | `budget_meter` | masked | supersede_unless_later | supersede_unless_later | exclusive | exclusive | exclusive | exclusive |
//!
//! A rectification is never in progress (it corrects the past and applies when accepted), so
//! it has no row. The table never lets an accepted scenario take effect before one in
//! progress, so each scenario is judged against the register as the earlier ones will leave
//! it. The rows of the end of contract, the drop and the budget meter agree in every column a
//! competitor can send, which is what keeps them indistinguishable to it (R3).
//!
//! # Rejection codes
//!
//! [`submit`] answers with the first check that fails, in this order (see [`Rejection`]):
//!
//! - `unknown_ean`: the register has no such access point;
//! - `not_suppliable`: the request is for the other energy, the point is removed, or it is
//!   cut off and the scenario needs supply (a move-in reconnects it);
//! - `effective_day_outside_window`: the day is outside the kind's [`Window`] (for a
//!   rectification: not the corrected scenario's day, or too long ago); a rectification is
//!   first refused as `not_the_initiator` or `not_rectifiable`;
//! - `not_the_supplier`, `customer_mismatch`, `already_the_supplier`, `already_the_occupant`,
//!   `already_a_budget_meter`: who sends it and for whom, against the register as recorded;
//! - `same_day_conflict`, `conflicting_scenario_in_progress`, `end_of_contract_in_progress`:
//!   the conflict table;
//! - the same party checks against the register as the scenarios in progress will leave it;
//! - `overlap`, `nothing_to_end`, `not_effective`: the register's own rules on the changes.
//!
//! A transition of an accepted scenario is refused with `not_the_initiator`,
//! `too_late_to_cancel`, `conflicting_scenario_in_progress` (a later scenario was judged
//! against it), `not_yet_effective` or `invalid_transition` ([`TransitionError`]).
//!
//! # R3
//!
//! A supplier starting a switch where a drop or a budget-meter placement is in progress is
//! refused exactly as where a genuine end of contract is: the same [`Rejection`], with the
//! same code and fields, and no message. [`mask`] is the classification the policy deciding
//! that answer is fed.

mod conflict;
mod effect;
mod lifecycle;
mod message;
mod request;
mod validate;

pub use conflict::{Conflict, OnDay, Outcome, ROWS, Rule, TABLE, conflict, rule};
pub use effect::{Effect, PointView, apply, effects, occupant_at, supplier_at};
pub use lifecycle::{Parties, Scenario, Status, TransitionError, WorkOrder};
pub use message::{
    DsoService, Event, Mask, Message, MessageKind, Recipient, mask, messages, told_to_competitor,
};
pub use request::{Action, Config, LastResort, Request, ScenarioId, ScenarioKind, Window};
pub use validate::{Accepted, REJECTION_CODES, Rejection, submit};
