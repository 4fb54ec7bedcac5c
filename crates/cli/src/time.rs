//! Instants as people type them and read them.
//!
//! The API speaks RFC 3339 instants; people at the DSO speak Belgian local time. `--at`
//! therefore takes an instant (`2025-03-01T09:00:00Z`), a Brussels local date-time
//! (`2025-03-01T10:00`) or a Brussels local day (`2025-03-01`, its first instant), and human
//! output shows Brussels local time.

use domain::Period;
use domain::period::{brussels, day_start};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};

use crate::Failure;

/// Parses `--at`.
pub fn parse_instant(text: &str) -> Result<Timestamp, Failure> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    if let Ok(day) = text.parse::<Date>() {
        return day_start(day).map_err(|e| Failure::Invalid(format!("--at: {e}")));
    }
    if let Ok(local) = text.parse::<DateTime>() {
        return local
            .to_zoned(brussels())
            .map(|z| z.timestamp())
            .map_err(|e| Failure::Invalid(format!("--at: {e}")));
    }
    Err(Failure::Invalid(format!(
        "--at: {text:?} is not an instant (2025-03-01T09:00:00Z), a Brussels local time (2025-03-01T10:00) \
         or a Brussels local day (2025-03-01)"
    )))
}

/// An instant in Brussels local time, to the minute.
pub fn local(t: Timestamp) -> String {
    t.to_zoned(brussels()).strftime("%Y-%m-%d %H:%M").to_string()
}

/// A period in Brussels local time.
pub fn local_period(p: &Period) -> String {
    match p.to() {
        Some(to) => format!("[{}, {})", local(p.from()), local(to)),
        None => format!("[{}, …)", local(p.from())),
    }
}
