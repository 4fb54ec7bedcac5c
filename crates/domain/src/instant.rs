//! Instants as text: the one reading of RFC 3339 instants and Brussels local times.
//!
//! The API and the CLI both take instants from people and scripts, and both print them. Reading
//! them in two places let each drift: the API took anything jiff's Temporal parser takes (an
//! offset of `+25:00`, a six-digit negative year) and echoed it back as a "date-time" no RFC 3339
//! client parses; the CLI tried a bare date before a date-time, and jiff's date parser accepts a
//! date-time's prefix, so `2024-07-01T10:00` became the start of the day. This module is the
//! single grammar, written out by hand rather than delegated to a more lenient parser:
//!
//! - an **RFC 3339 instant** (`2024-07-01T08:00:00Z`, `2024-07-01T10:00:00.5+02:00`) is that
//!   instant; the offset is `Z` or `±HH:MM` with hours 00–23 and minutes 00–59 (RFC 3339's own
//!   bounds), `T` may be lower case or a space (RFC 3339 §5.6 allows both), and a leap second
//!   `:60` reads as `:59`, as jiff does, since instants here have no leap seconds;
//! - a **Brussels local date-time** (`2024-07-01T10:00`, `2024-07-01 10:00:00.25`) is that wall
//!   time in Europe/Brussels; at the autumn change, when the hour repeats, it is the earlier of
//!   the two instants (the first time the clock showed it); in the spring gap it is refused,
//!   since no instant has that local time and picking one silently would answer for a time
//!   nobody asked about;
//! - a **Brussels local day** (`2024-07-01`) is its first instant.
//!
//! [`parse_rfc3339`] takes only the first form (the API's documented `date-time`), [`parse`] all
//! three (the CLI's convenience). Years must be 0001–9999 in the text, and the instant itself
//! must lie between [`FIRST`] and [`LAST`], so that every instant accepted prints, through jiff's
//! `Display`, as an RFC 3339 date-time again: jiff's own range reaches year −9999, which prints
//! as a six-digit signed year no client reads.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};

use crate::period::{brussels, day_start};

/// The first instant RFC 3339 can write: 0001-01-01T00:00:00Z.
pub const FIRST: Timestamp = Timestamp::constant(-62_135_596_800, 0);

/// The last instant Cloison represents: jiff's maximum, 9999-12-30T22:00:00.999999999Z, which
/// lies a day before the end of year 9999 so that it has a civil date in every offset.
pub const LAST: Timestamp = Timestamp::MAX;

/// The forms a caller may have meant, to say in an error what would have been accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forms {
    /// Only an RFC 3339 instant (the API).
    Rfc3339,
    /// An instant, a Brussels local date-time or a Brussels local day (the CLI).
    InstantOrBrussels,
}

impl std::fmt::Display for Forms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Forms::Rfc3339 => {
                f.write_str("an RFC 3339 instant such as 2025-03-01T09:00:00Z or 2025-03-01T10:00:00+01:00")
            }
            Forms::InstantOrBrussels => f.write_str(
                "an RFC 3339 instant (2025-03-01T09:00:00Z), a Brussels local time (2025-03-01T10:00) \
                 or a Brussels local day (2025-03-01)",
            ),
        }
    }
}

/// Why a text is not an instant; each variant names the rule broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstantError {
    /// The text does not have the shape of any accepted form.
    #[error("{text:?} is not {forms}: expected {expected} at character {position}")]
    Syntax {
        /// The text received.
        text: String,
        /// The 1-based character where the grammar stopped matching.
        position: usize,
        /// What the grammar expected there.
        expected: &'static str,
        /// The forms that would have been accepted.
        forms: Forms,
    },
    /// The year is outside 0001–9999, the years RFC 3339 can write.
    #[error("{text:?}: year {year} is outside 0001–9999")]
    Year {
        /// The text received.
        text: String,
        /// The year as written.
        year: String,
    },
    /// The offset is not an RFC 3339 offset.
    #[error("{text:?}: offset {offset} is not an RFC 3339 offset (hours 00–23, minutes 00–59)")]
    Offset {
        /// The text received.
        text: String,
        /// The offset as written.
        offset: String,
    },
    /// The date or time fields do not name a day or a time of day (month 13, 30 February, 24:00).
    #[error("{text:?} is not a valid date and time: {reason}")]
    Field {
        /// The text received.
        text: String,
        /// Which field is out of its range.
        reason: String,
    },
    /// A Brussels local time inside the spring gap: no instant has it.
    #[error("{text} does not exist in Brussels: clocks jump from {from} to {to}")]
    Gap {
        /// The text received.
        text: String,
        /// The local time at which the clocks jumped.
        from: String,
        /// The local time they jumped to.
        to: String,
    },
    /// The fields are valid but the instant lies outside [`FIRST`]..=[`LAST`].
    #[error("{text:?} is outside the instants Cloison represents (0001-01-01T00:00:00Z to {LAST})")]
    Range {
        /// The text received.
        text: String,
    },
}

/// Reads an RFC 3339 instant: a date, a time with seconds, and `Z` or a numeric offset.
pub fn parse_rfc3339(text: &str) -> Result<Timestamp, InstantError> {
    let fields = scan(text, Forms::Rfc3339)?;
    // The scanner accepts a shorter text only when it ends there; say what was missing.
    let missing = |expected| Err(syntax(text, text.len(), expected, Forms::Rfc3339));
    match fields {
        Fields { time: None, .. } => missing("'T' and a time (T09:00:00Z)"),
        Fields { seconds: false, .. } => missing("seconds (:00)"),
        Fields { offset: None, .. } => missing("Z or a numeric offset (+01:00)"),
        Fields { date, time: Some(time), offset: Some(offset), .. } => {
            resolve_offset(text, date.to_datetime(time), offset)
        }
    }
}

/// Reads an RFC 3339 instant, a Brussels local date-time or a Brussels local day.
pub fn parse(text: &str) -> Result<Timestamp, InstantError> {
    let fields = scan(text, Forms::InstantOrBrussels)?;
    match fields {
        Fields { date, time: None, .. } => {
            let at = day_start(date).map_err(|_| InstantError::Range { text: text.to_owned() })?;
            in_range(text, at)
        }
        Fields { date, time: Some(time), offset: None, .. } => brussels_local(text, date.to_datetime(time)),
        Fields { date, time: Some(time), offset: Some(offset), .. } => {
            resolve_offset(text, date.to_datetime(time), offset)
        }
    }
}

/// The instant a store keeps as microseconds since the epoch, if it is one this module would
/// print: a corrupt or foreign value must not come out as a date-time no client parses.
pub fn from_microsecond(micros: i64) -> Result<Timestamp, InstantError> {
    let text = || format!("{micros} µs since 1970");
    let at = Timestamp::from_microsecond(micros).map_err(|_| InstantError::Range { text: text() })?;
    in_range(&text(), at)
}

/// What the scanner found; which combinations are allowed is the callers' business.
struct Fields {
    date: Date,
    time: Option<Time>,
    /// Whether the time had seconds (RFC 3339 requires them; local times may omit them).
    seconds: bool,
    offset: Option<Offset>,
}

fn syntax(text: &str, at: usize, expected: &'static str, forms: Forms) -> InstantError {
    InstantError::Syntax { text: text.to_owned(), position: at + 1, expected, forms }
}

/// A cursor over the text's bytes; every accepted byte is ASCII, so byte and character
/// positions agree up to the first error.
struct Cursor<'t> {
    text: &'t str,
    at: usize,
    forms: Forms,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn error(&self, expected: &'static str) -> InstantError {
        syntax(self.text, self.at, expected, self.forms)
    }

    fn digits(&mut self, n: usize, what: &'static str) -> Result<i32, InstantError> {
        let mut value = 0i32;
        for _ in 0..n {
            match self.peek() {
                Some(b @ b'0'..=b'9') => {
                    value = value * 10 + i32::from(b - b'0');
                    self.at += 1;
                }
                _ => return Err(self.error(what)),
            }
        }
        Ok(value)
    }

    fn byte(&mut self, expected: u8, what: &'static str) -> Result<(), InstantError> {
        if self.peek() == Some(expected) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    fn done(&self) -> bool {
        self.at == self.text.len()
    }
}

fn scan(text: &str, forms: Forms) -> Result<Fields, InstantError> {
    let mut c = Cursor { text, at: 0, forms };
    let year = scan_year(&mut c)?;
    c.byte(b'-', "'-' after the year")?;
    let month = c.digits(2, "a two-digit month")?;
    c.byte(b'-', "'-' after the month")?;
    let day = c.digits(2, "a two-digit day")?;
    let date = Date::new(year as i16, month as i8, day as i8)
        .map_err(|e| InstantError::Field { text: text.to_owned(), reason: e.to_string() })?;
    if c.done() {
        return Ok(Fields { date, time: None, seconds: false, offset: None });
    }
    match c.peek() {
        Some(b'T' | b't' | b' ') => c.at += 1,
        _ => return Err(c.error("'T' or a space before the time")),
    }
    let hour = c.digits(2, "a two-digit hour")?;
    c.byte(b':', "':' after the hour")?;
    let minute = c.digits(2, "two-digit minutes")?;
    let mut second = 0;
    let mut nanosecond = 0;
    let seconds = c.peek() == Some(b':');
    if seconds {
        c.at += 1;
        second = c.digits(2, "two-digit seconds")?;
        if c.peek() == Some(b'.') {
            c.at += 1;
            let start = c.at;
            while matches!(c.peek(), Some(b'0'..=b'9')) {
                c.at += 1;
            }
            let fraction = &text[start..c.at];
            if fraction.is_empty() || fraction.len() > 9 {
                c.at = start + fraction.len().min(9);
                return Err(c.error("one to nine fractional digits"));
            }
            nanosecond = fraction.parse::<i32>().map_err(|_| c.error("fractional digits"))?
                * 10i32.pow(9 - fraction.len() as u32);
        }
    }
    // A leap second names the last second of its minute: instants here have none.
    let second = if second == 60 { 59 } else { second };
    let time = Time::new(hour as i8, minute as i8, second as i8, nanosecond)
        .map_err(|e| InstantError::Field { text: text.to_owned(), reason: e.to_string() })?;
    if c.done() {
        return Ok(Fields { date, time: Some(time), seconds, offset: None });
    }
    if !seconds {
        // RFC 3339 writes seconds whenever it writes an offset; a local time may omit them.
        return Err(c.error(match c.forms {
            Forms::Rfc3339 => "':' and seconds",
            Forms::InstantOrBrussels => "':' and seconds before an offset",
        }));
    }
    let offset = scan_offset(&mut c)?;
    if !c.done() {
        return Err(c.error("the end of the text"));
    }
    Ok(Fields { date, time: Some(time), seconds, offset: Some(offset) })
}

/// Four digits, 0001–9999. A sign or a fifth digit before the `-` is jiff's expanded year,
/// named as a year out of range rather than as a syntax error since that is what it means.
fn scan_year(c: &mut Cursor<'_>) -> Result<i32, InstantError> {
    let start = c.at;
    let signed = matches!(c.peek(), Some(b'+' | b'-'));
    if signed {
        c.at += 1;
    }
    let first_digit = c.at;
    while matches!(c.peek(), Some(b'0'..=b'9')) {
        c.at += 1;
    }
    let digits = c.at - first_digit;
    if digits < 4 {
        return Err(c.error("a four-digit year"));
    }
    let written = &c.text[start..c.at];
    if signed || digits > 4 {
        if c.peek() == Some(b'-') {
            return Err(InstantError::Year { text: c.text.to_owned(), year: written.to_owned() });
        }
        // Digits running on (20240701T…): the basic format, not RFC 3339.
        c.at = first_digit + 4;
        return Err(c.error("'-' after the year"));
    }
    match written.parse::<i32>() {
        Ok(year) if year >= 1 => Ok(year),
        _ => Err(InstantError::Year { text: c.text.to_owned(), year: written.to_owned() }),
    }
}

fn scan_offset(c: &mut Cursor<'_>) -> Result<Offset, InstantError> {
    let start = c.at;
    let sign = match c.peek() {
        Some(b'Z' | b'z') => {
            c.at += 1;
            return Ok(Offset::UTC);
        }
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(c.error("Z or a numeric offset (+01:00)")),
    };
    c.at += 1;
    let hours = c.digits(2, "a two-digit offset hour")?;
    c.byte(b':', "':' in the offset")?;
    let minutes = c.digits(2, "two-digit offset minutes")?;
    if hours > 23 || minutes > 59 {
        return Err(InstantError::Offset { text: c.text.to_owned(), offset: c.text[start..c.at].to_owned() });
    }
    Ok(Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).expect("±23:59 is within jiff's offsets"))
}

fn resolve_offset(text: &str, local: DateTime, offset: Offset) -> Result<Timestamp, InstantError> {
    let at = offset.to_timestamp(local).map_err(|_| InstantError::Range { text: text.to_owned() })?;
    in_range(text, at)
}

fn brussels_local(text: &str, local: DateTime) -> Result<Timestamp, InstantError> {
    let zone = brussels();
    let at = match zone.to_ambiguous_zoned(local).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(local),
        // The hour that repeats: the earlier instant, when the clock first showed this time.
        AmbiguousOffset::Fold { before, .. } => before.to_timestamp(local),
        AmbiguousOffset::Gap { before, after } => return Err(gap(text, &zone, local, before, after)),
    };
    let at = at.map_err(|_| InstantError::Range { text: text.to_owned() })?;
    in_range(text, at)
}

/// The spring-gap error, naming the local times on either side of the jump.
fn gap(text: &str, zone: &TimeZone, local: DateTime, before: Offset, after: Offset) -> InstantError {
    // Read with the later offset, a time inside the gap falls just before the transition, so
    // the next transition from there is the jump itself.
    let jump = after
        .to_timestamp(local)
        .ok()
        .and_then(|probe| zone.following(probe).next())
        .map(|transition| transition.timestamp());
    let (from, to) = match jump {
        Some(jump) => (
            before.to_datetime(jump).strftime("%H:%M").to_string(),
            after.to_datetime(jump).strftime("%H:%M").to_string(),
        ),
        // Unreachable with the bundled zone data; the offsets alone still say what happened.
        None => (format!("UTC{before}"), format!("UTC{after}")),
    };
    InstantError::Gap { text: text.to_owned(), from, to }
}

fn in_range(text: &str, at: Timestamp) -> Result<Timestamp, InstantError> {
    if (FIRST..=LAST).contains(&at) { Ok(at) } else { Err(InstantError::Range { text: text.to_owned() }) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Zoned;
    use proptest::prelude::*;

    /// One table row: the text, and the instant expected or the error kind.
    fn check(parse: fn(&str) -> Result<Timestamp, InstantError>, text: &str, expected: &str) {
        let got = match parse(text) {
            Ok(at) => at.to_string(),
            Err(e) => format!("{} {e}", kind(&e)),
        };
        assert!(
            got == expected || (expected.ends_with(':') && got.starts_with(expected)),
            "{text:?}: got {got:?}, expected {expected:?}"
        );
    }

    fn kind(e: &InstantError) -> &'static str {
        match e {
            InstantError::Syntax { .. } => "syntax:",
            InstantError::Year { .. } => "year:",
            InstantError::Offset { .. } => "offset:",
            InstantError::Field { .. } => "field:",
            InstantError::Gap { .. } => "gap:",
            InstantError::Range { .. } => "range:",
        }
    }

    #[test]
    fn brussels_local_times_are_that_local_time() {
        for (text, expected) in [
            // F3: summer (CEST, UTC+2) and winter (CET, UTC+1), every spelling of a local time.
            ("2024-07-01T10:00", "2024-07-01T08:00:00Z"),
            ("2024-07-01T23:59", "2024-07-01T21:59:00Z"),
            ("2024-07-01T10:00:00", "2024-07-01T08:00:00Z"),
            ("2024-07-01 10:00", "2024-07-01T08:00:00Z"),
            ("2024-07-01t10:00:30.25", "2024-07-01T08:00:30.25Z"),
            ("2024-01-15T10:00", "2024-01-15T09:00:00Z"),
            // A bare day is its first instant.
            ("2024-07-01", "2024-06-30T22:00:00Z"),
            ("2024-01-15", "2024-01-14T23:00:00Z"),
            // Autumn: 02:30 happens twice; the first time, still on summer time.
            ("2024-10-27T02:30", "2024-10-27T00:30:00Z"),
            ("2024-10-27T03:00", "2024-10-27T02:00:00Z"),
            // Around the spring gap.
            ("2024-03-31T01:59", "2024-03-31T00:59:00Z"),
            ("2024-03-31T03:00", "2024-03-31T01:00:00Z"),
            // Instants pass through, whatever their offset.
            ("2024-07-01T08:00:00Z", "2024-07-01T08:00:00Z"),
            ("2024-07-01T10:00:00+02:00", "2024-07-01T08:00:00Z"),
            ("2024-07-01T05:30:00-02:30", "2024-07-01T08:00:00Z"),
            ("2024-07-01T08:00:00-00:00", "2024-07-01T08:00:00Z"),
            ("2024-07-01T08:00:00+23:59", "2024-06-30T08:01:00Z"),
        ] {
            check(parse, text, expected);
        }
    }

    #[test]
    fn the_spring_gap_is_refused_with_the_jump() {
        let e = parse("2024-03-31T02:30").expect_err("in the gap");
        assert_eq!(
            e.to_string(),
            "2024-03-31T02:30 does not exist in Brussels: clocks jump from 02:00 to 03:00"
        );
        assert!(matches!(parse("2024-03-31T02:00"), Err(InstantError::Gap { .. })));
        assert!(matches!(parse("2024-03-31T02:59:59.999"), Err(InstantError::Gap { .. })));
        // The same wall time as an instant is no problem: it names its offset.
        check(parse, "2024-03-31T02:30:00+01:00", "2024-03-31T01:30:00Z");
    }

    #[test]
    fn what_is_not_rfc3339_is_refused_with_the_rule() {
        for (text, expected) in [
            // F5: offsets beyond RFC 3339's, and years it cannot write.
            ("2024-07-01T08:00:00+25:00", "offset:"),
            ("2024-07-01T08:00:00+24:00", "offset:"),
            ("2024-07-01T08:00:00-24:00", "offset:"),
            ("2024-07-01T08:00:00+01:60", "offset:"),
            ("-000001-01-01T00:00:00Z", "year:"),
            ("+002024-07-01T08:00:00Z", "year:"),
            ("0000-01-01", "year:"),
            ("0000-12-31T23:00:00Z", "year:"),
            ("10000-01-01T00:00:00Z", "year:"),
            // In range as written, out of range as an instant.
            ("0001-01-01T00:00:00+00:01", "range:"),
            ("0001-01-01", "range:"),
            ("0001-01-01T00:10", "range:"),
            ("9999-12-31T23:59:59Z", "range:"),
            ("9999-12-31", "range:"),
            // Fields out of their ranges.
            ("2024-02-30", "field:"),
            ("2024-13-01T00:00:00Z", "field:"),
            ("2024-07-01T24:00:00Z", "field:"),
            ("2024-07-01T10:60", "field:"),
            // Shapes jiff accepts and RFC 3339 does not.
            ("2024-07-01T08:00Z", "syntax:"),
            ("2024-07-01T08:00:00+0200", "syntax:"),
            ("2024-07-01T08:00:00+02", "syntax:"),
            ("20240701T080000Z", "syntax:"),
            ("2024-07-01T08:00:00Z[Europe/Brussels]", "syntax:"),
            ("2024-07-01T08:00:00.1234567890Z", "syntax:"),
            ("2024-07-01T08:00:00.Z", "syntax:"),
            ("2024-07-01T08", "syntax:"),
            ("2024-7-1", "syntax:"),
            ("yesterday", "syntax:"),
            ("", "syntax:"),
            ("2024-07-01T08:00:00Z ", "syntax:"),
        ] {
            check(parse, text, expected);
        }
    }

    #[test]
    fn the_api_takes_only_instants() {
        for (text, expected) in [
            ("2024-07-01T08:00:00Z", "2024-07-01T08:00:00Z"),
            ("2024-07-01T08:00:00.000001z", "2024-07-01T08:00:00.000001Z"),
            ("2024-07-01 10:00:00+02:00", "2024-07-01T08:00:00Z"),
            ("2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z"),
            ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
            ("2024-07-01T08:00:00+25:00", "offset:"),
            ("-000001-01-01T00:00:00Z", "year:"),
            ("2024-07-01T10:00", "syntax:"),
            ("2024-07-01T10:00:00", "syntax:"),
            ("2024-07-01", "syntax:"),
            ("2024-07-01T08:00Z", "syntax:"),
        ] {
            check(parse_rfc3339, text, expected);
        }
        let e = parse_rfc3339("2024-07-01T08:00:00+25:00").expect_err("bad offset");
        assert_eq!(
            e.to_string(),
            "\"2024-07-01T08:00:00+25:00\": offset +25:00 is not an RFC 3339 offset (hours 00–23, minutes 00–59)"
        );
        let e = parse_rfc3339("2024-07-01").expect_err("a day");
        assert!(e.to_string().contains("expected 'T' and a time (T09:00:00Z) at character 11"), "{e}");
    }

    #[test]
    fn stored_microseconds_print_only_in_range() {
        assert_eq!(from_microsecond(0).map(|t| t.to_string()), Ok("1970-01-01T00:00:00Z".to_owned()));
        assert_eq!(from_microsecond(FIRST.as_microsecond()), Ok(FIRST));
        assert!(matches!(from_microsecond(FIRST.as_microsecond() - 1), Err(InstantError::Range { .. })));
        assert!(matches!(from_microsecond(i64::MIN), Err(InstantError::Range { .. })));
        assert!(matches!(from_microsecond(i64::MAX), Err(InstantError::Range { .. })));
        assert_eq!(FIRST.to_string(), "0001-01-01T00:00:00Z");
    }

    fn any_instant() -> impl Strategy<Value = Timestamp> {
        (FIRST.as_second()..=LAST.as_second(), 0i32..1_000_000_000)
            .prop_map(|(s, ns)| Timestamp::new(s, ns).expect("in jiff's range").min(LAST))
    }

    fn any_offset_seconds() -> impl Strategy<Value = i32> {
        (-(23 * 60 + 59)..=23 * 60 + 59).prop_map(|minutes: i32| minutes * 60)
    }

    /// A wall time, half of them in the small hours of a day the clocks change (the last
    /// Sunday of March or October since 1996), where a uniform draw would almost never land.
    fn any_brussels_time() -> impl Strategy<Value = DateTime> {
        let anywhere = (0i32..(200 * 366), 0i8..24).prop_map(|(day, hour)| {
            (Date::constant(1950, 1, 1).checked_add(jiff::Span::new().days(day)).expect("in range"), hour)
        });
        let changes = (1996i16..2100, any::<bool>(), 0i8..5).prop_map(|(year, spring, hour)| {
            let month = if spring { 3 } else { 10 };
            let day = Date::constant(year, month, 1)
                .nth_weekday_of_month(-1, jiff::civil::Weekday::Sunday)
                .expect("every month has a last Sunday");
            (day, hour)
        });
        (prop_oneof![anywhere, changes], 0i8..60, 0i8..60)
            .prop_map(|((date, hour), minute, second)| date.at(hour, minute, second, 0))
    }

    /// Whether `text` is an RFC 3339 date-time: the shape a client's parser expects.
    fn looks_rfc3339(text: &str) -> bool {
        let b = text.as_bytes();
        let digits = |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
        b.len() >= 20
            && digits(0..4)
            && b[4] == b'-'
            && digits(5..7)
            && b[7] == b'-'
            && digits(8..10)
            && b[10] == b'T'
            && digits(11..13)
            && b[13] == b':'
            && digits(14..16)
            && b[16] == b':'
            && digits(17..19)
            && &text[..4] != "0000"
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn every_instant_round_trips_through_its_text(at in any_instant()) {
            let text = at.to_string();
            prop_assert!(looks_rfc3339(&text), "{}", text);
            prop_assert_eq!(parse_rfc3339(&text), Ok(at));
            prop_assert_eq!(parse(&text), Ok(at));
        }

        #[test]
        fn an_instant_written_in_any_valid_offset_reads_back(at in any_instant(), seconds in any_offset_seconds()) {
            let offset = Offset::from_seconds(seconds).expect("within ±23:59");
            let text = at.to_zoned(TimeZone::fixed(offset)).strftime("%Y-%m-%dT%H:%M:%S%.f%:z").to_string();
            match parse_rfc3339(&text) {
                Ok(read) => prop_assert_eq!(read, at),
                // Only at the very ends can the local date fall outside 0001–9999.
                Err(InstantError::Year { .. }) => prop_assert!(text.starts_with("0000"), "{}", text),
                Err(e) => prop_assert!(false, "{} refused: {}", text, e),
            }
        }

        #[test]
        fn offsets_beyond_23_59_are_refused(hours in 24u32..100, minutes in 0u32..100, minus in any::<bool>()) {
            let sign = if minus { '-' } else { '+' };
            let text = format!("2024-07-01T08:00:00{sign}{hours:02}:{minutes:02}");
            prop_assert!(matches!(parse_rfc3339(&text), Err(InstantError::Offset { .. })), "{}", text);
            let text = format!("2024-07-01T08:00:00{sign}{:02}:{:02}", hours % 24, minutes.max(60));
            prop_assert!(matches!(parse_rfc3339(&text), Err(InstantError::Offset { .. })), "{}", text);
        }

        #[test]
        fn local_times_round_trip_in_brussels_except_the_gap(local in any_brussels_time()) {
            let text = local.strftime("%Y-%m-%dT%H:%M:%S").to_string();
            let as_utc = Offset::UTC.to_timestamp(local).expect("in range");
            // The reference: every instant within three hours either side, minute by minute,
            // whose Brussels wall time is this one (Brussels offsets since 1950 are whole hours).
            let shows = |at: Timestamp| Zoned::new(at, brussels()).datetime() == local;
            let candidates: Vec<Timestamp> = (-180i64..=180)
                .map(|m| Timestamp::from_second(as_utc.as_second() + m * 60).expect("in range"))
                .filter(|&at| shows(at))
                .collect();
            match parse(&text) {
                Ok(at) => {
                    prop_assert!(shows(at), "{} read as {}", text, at);
                    prop_assert_eq!(Some(&at), candidates.first(), "{} is not the earliest", text);
                }
                Err(InstantError::Gap { .. }) => prop_assert!(candidates.is_empty(), "{} exists: {:?}", text, candidates),
                Err(e) => prop_assert!(false, "{} refused: {}", text, e),
            }
        }
    }
}
