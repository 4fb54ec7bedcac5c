//! Metering data: interval series by local day, index readings, their validation and
//! estimation, as pure functions.
//!
//! The reading and validation service reads every meter and checks each reading "against
//! statistics, history or climate" before a supplier bills it (chapter III of the report).
//! Everything here is the rules of that work, without storage: the store keeps what these types
//! produce, and the gate decides who sees it.

mod channel;
mod interval;
mod packing;
pub use channel::{Channel, DayLayout, IntervalError};
pub use interval::{Interval, IntervalDay, Quality, Version};
pub use packing::{FORMAT, MAX_INTERVALS, PackError, pack, pack_into, unpack};
