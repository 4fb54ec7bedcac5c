//! The pure domain of Cloison: identifiers, periods, the access register, the market
//! scenarios that change it, and the metering data with its validation and estimation.
//!
//! Nothing here does I/O, reads a clock or draws randomness: time and identifiers come in as
//! arguments, so every rule can be property-tested and every other crate agrees on one
//! meaning of an EAN, a period or an overlap. Types are parsed, not validated: a value of
//! `Ean`, `Gln`, `Period`… exists only if it passed its rule, and serde goes through the same
//! check.
#![warn(missing_docs)]

pub mod access_point;
pub mod calendar;
pub mod consent;
pub mod contact;
pub mod disclosure;
pub mod gs1;
pub mod instant;
pub mod label;
pub mod mandate;
pub mod metering;
pub mod party;
pub mod period;
pub mod producer;
pub mod register;
pub mod role;
pub mod scenario;
pub mod sign_in;
pub mod staff;
pub mod works;

pub use access_point::{
    AccessPoint, Address, AddressError, Energy, GridStatus, MeterKind, ReadingRegime, SubstationId,
    UnknownValue,
};
pub use gs1::{Ean, Gln, Gs1Error};
pub use party::{Email, Party, PartyError, PartyId, PartyKind, PersonName, Phone};
pub use period::{BRUSSELS, DayPeriod, Period, PeriodError};
pub use register::rules::{RecordKind, RuleError};
pub use register::{Change, Occupancy, OverlapError, Periodic, RecordId, Recorded, Registration, Snapshot};
pub use role::{Role, RoleError};
