//! Instants as people type them and read them.
//!
//! The API speaks RFC 3339 instants; people at the DSO speak Belgian local time. `--at` (and
//! `journal search --from/--to`) therefore take, by the rules of `domain::instant`, which the API
//! shares:
//!
//! - an RFC 3339 instant with `Z` or a numeric offset (`2025-03-01T09:00:00Z`,
//!   `2025-03-01T10:00:00+01:00`) is that instant;
//! - a Brussels local date-time, with `T` or a space, minutes or seconds and an optional
//!   fraction (`2025-03-01T10:00`, `2025-03-01 10:00:30.5`), is that wall time in Brussels; at
//!   the autumn change, when the hour repeats, the earlier of the two instants; in the spring
//!   gap it is refused ("2024-03-31T02:30 does not exist in Brussels: clocks jump from 02:00 to
//!   03:00") rather than moved to an hour nobody typed;
//! - a bare date (`2025-03-01`) is the first instant of that Brussels day.
//!
//! Years are 0001–9999 and offsets ±23:59 at most, so every instant accepted prints as an RFC
//! 3339 date-time again. Human output shows Brussels local time.

use domain::Period;
use domain::period::brussels;
use jiff::Timestamp;

use crate::Failure;

/// Parses an instant given to `flag` (`--at`, `--from`, `--to`), naming the flag when refused.
pub fn parse_instant(flag: &str, text: &str) -> Result<Timestamp, Failure> {
    domain::instant::parse(text).map_err(|e| Failure::Invalid(format!("{flag}: {e}")))
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
