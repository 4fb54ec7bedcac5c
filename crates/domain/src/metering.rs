//! Metering data: interval series by local day, index readings, their validation and
//! estimation, as pure functions.
//!
//! The reading and validation service reads every meter and checks each reading "against
//! statistics, history or climate" before a supplier bills it (chapter III of the report).
//! This module is the rules of that work, without storage: the store keeps what these types
//! produce, and the gate decides who sees it.
//!
//! # Days and channels
//!
//! Interval data is kept per access point, [`Channel`] and Europe/Brussels local day
//! ([`IntervalDay`]): quarter-hours for electricity (92, 96 or 100 a day), hours for gas (23,
//! 24 or 25). [`DayLayout`] counts them from the bundled tz database, gives each interval's
//! start instant and its local label with the offset (the two 02:00 of the autumn change
//! differ), and locates an instant, refusing one off the channel's boundaries.
//!
//! # Units and versions
//!
//! Values are whole Wh in an `i64` for both energies (gas converted from m³ with the calorific
//! value kept on the reading), each with a [`Quality`]: measured, estimated, missing, rejected
//! or corrected. A day has a [`Version`]; a validator's decision or an estimate is the next
//! version ([`IntervalDay::corrected`]), never an overwrite (I4).
//!
//! # Packing
//!
//! [`pack`] writes a day as a format byte, the count, quality runs and zigzag deltas in LEB128
//! varints; on a year of a synthetic household it takes 1.20 bytes per quarter-hour value (the
//! `packing` example prints it, a test asserts at most 2), against the design's 4 bytes a value
//! on disk. [`unpack`] refuses anything the encoder would not write. Why this layout, and
//! what was rejected, is in [`packing`].
//!
//! # Validation
//!
//! Each rule is a function returning [`Finding`]s with a stable [`Rule`] code and a reason;
//! thresholds are a [`ValidationConfig`], reference data (previous years, a standard load
//! [`Profile`], degree-days and a [`HeatingModel`]) are arguments:
//! `negative_value`, `impossible_value` ([`check_values`], [`check_index`]), `meter_rollover`,
//! `index_backwards` ([`check_index`]), `spike` ([`check_spikes`]), `zero_run`
//! ([`check_zero_runs`]), `gap` ([`check_gaps`], [`check_coverage`]), `duplicate`
//! ([`check_coverage`]), `sum_mismatch` ([`check_sum_against_index`]), `outside_history_band`
//! ([`check_history_band`]), `outside_profile_band` ([`check_profile`]),
//! `outside_degree_day_band` ([`check_degree_days`]).
//! Reference files are parsed by [`ElectricityProfile`], [`GasProfile`] and [`DegreeDays`].
//!
//! # Estimation
//!
//! [`estimate_gaps`] interpolates short gaps and follows the profile over long ones;
//! [`fill_to_index`] shares what an index difference leaves among the holes so that the day's
//! values add up to it exactly, with [`distribute`]'s largest-remainder rounding.
//!
//! # Rows
//!
//! [`ReadingRow`] judges one interval value as a file line or a JSON object carries it
//! (ean, channel, start, value, unit, quality), with a [`RowError`] naming the field and a
//! stable code; its module documents the format.
//!
//! # Error codes
//!
//! Refusals (as opposed to findings) carry stable codes too: [`IntervalError::code`]
//! (`day_out_of_range`, `not_on_interval_boundary`, `interval_outside_day`, `start_outside_day`,
//! `wrong_interval_count`, `nothing_corrected`, `version_exhausted`, `zero_version`),
//! [`PackError::code`] (`packed_…`), [`IndexError::code`], [`ProfileError::code`] and
//! [`EstimationError::code`].

mod channel;
mod estimation;
mod index;
mod interval;
pub mod packing;
mod profile;
mod reference;
mod row;
mod validation;

pub use channel::{Channel, DayLayout, IntervalError};
pub use estimation::{
    EstimationConfig, EstimationError, ProfileFill, distribute, estimate_gaps, fill_to_index,
};
pub use index::{CalorificValue, Dial, IndexError, IndexReading, Register, Source};
pub use interval::{Interval, IntervalDay, Quality, Version};
pub use packing::{FORMAT, MAX_INTERVALS, PackError, pack, pack_into, unpack};
pub use profile::{HeatingModel, Profile, ProfileError};
pub use reference::{
    DegreeDays, ElectricityProfile, GasProfile, MissingDegreeDays, REFERENCE_YEAR_MILLI_WH, ReferenceError,
    ReferenceErrorKind,
};
pub use row::{MAX_ROW_WH, ROW_FIELDS, ReadingRow, RowError};
pub use validation::{
    Band, Connection, Finding, IndexCheck, Rule, ValidationConfig, check_coverage, check_degree_days,
    check_gaps, check_history_band, check_index, check_profile, check_spikes, check_sum_against_index,
    check_values, check_zero_runs,
};
