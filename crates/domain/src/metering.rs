//! Metering data: interval series by local day, index readings, their validation and
//! estimation, as pure functions.
//!
//! The reading and validation service reads every meter and checks each reading "against
//! statistics, history or climate" before a supplier bills it (chapter III of the report).
//! Everything here is the rules of that work, without storage: the store keeps what these types
//! produce, and the gate decides who sees it.

mod channel;
mod estimation;
mod index;
mod interval;
mod packing;
mod profile;
mod validation;

pub use channel::{Channel, DayLayout, IntervalError};
pub use estimation::{
    EstimationConfig, EstimationError, ProfileFill, distribute, estimate_gaps, fill_to_index,
};
pub use index::{CalorificValue, Dial, IndexError, IndexReading, Register, Source};
pub use interval::{Interval, IntervalDay, Quality, Version};
pub use packing::{FORMAT, MAX_INTERVALS, PackError, pack, pack_into, unpack};
pub use profile::{HeatingModel, Profile, ProfileError};
pub use validation::{
    Connection, Finding, IndexCheck, Rule, ValidationConfig, check_coverage, check_degree_days, check_gaps,
    check_history_band, check_index, check_profile, check_spikes, check_sum_against_index, check_values,
    check_zero_runs,
};
