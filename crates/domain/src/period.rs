//! Periods: half-open `[from, to)` on instants, and on Europe/Brussels local days.
//!
//! Every right in Cloison is a period: a registration, an occupancy, a mandate, a reading
//! window. Half-open intervals make consecutive periods meet without overlapping (a switch
//! at midnight ends one registration exactly where the next starts), and an open end (`to`
//! absent) is how the register says "until further notice". An empty period is meaningless
//! and refused at construction, so code that holds a `Period` never checks for it again.
//!
//! The market speaks in Belgian local days (a switch "on 1 March"), the store in instants.
//! `DayPeriod` converts through the Europe/Brussels time zone from the bundled tz database,
//! so a day can be 23, 24 or 25 hours long and nothing depends on the machine's zone files.

use std::fmt;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde::{Deserialize, Serialize};

/// The IANA name of the zone in which the market's days are counted.
pub const BRUSSELS: &str = "Europe/Brussels";

/// The zone, looked up once: `TimeZone::get` searches the bundled database under a lock on
/// every call, and a month of quarter-hours asks for it thousands of times.
static ZONE: std::sync::LazyLock<TimeZone> = std::sync::LazyLock::new(|| {
    // The bundled database always has Europe/Brussels; if it ever did not, the fallback
    // would only make days UTC days, which the calendar tests would catch.
    TimeZone::get(BRUSSELS).unwrap_or(TimeZone::UTC)
});

/// The Europe/Brussels zone, from the database bundled into the binary.
pub fn brussels() -> TimeZone {
    ZONE.clone()
}

/// An instant as a Brussels local time with its offset, to the second
/// (`2026-10-25T02:00:00+02:00`, then `2026-10-25T02:00:00+01:00` an hour later): how every
/// interval and reading is labelled. The offset comes from the zone's transitions and the
/// text from RFC 3339's fixed layout, with no format string parsed per call.
pub fn local_label(at: Timestamp) -> String {
    let whole = Timestamp::from_second(at.as_second()).unwrap_or(at);
    whole.display_with_offset(ZONE.to_offset(whole)).to_string()
}

/// Why a period could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// `to` is not after `from`: the period would be empty or reversed.
    #[error("period is empty: `to` ({to}) must be after `from` ({from})")]
    Empty {
        /// The start received.
        from: String,
        /// The end received.
        to: String,
    },
    /// A local day could not be placed on the time line.
    #[error("local day {day} cannot be placed in {BRUSSELS}: {reason}")]
    Day {
        /// The day received.
        day: String,
        /// What the time-zone computation said.
        reason: String,
    },
}

/// A non-empty half-open interval of instants `[from, to)`; `to = None` means open-ended.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawPeriod", into = "RawPeriod")]
pub struct Period {
    from: Timestamp,
    to: Option<Timestamp>,
}

#[derive(Serialize, Deserialize)]
struct RawPeriod {
    from: Timestamp,
    to: Option<Timestamp>,
}

impl TryFrom<RawPeriod> for Period {
    type Error = PeriodError;
    fn try_from(raw: RawPeriod) -> Result<Self, Self::Error> {
        Period::new(raw.from, raw.to)
    }
}

impl From<Period> for RawPeriod {
    fn from(p: Period) -> Self {
        RawPeriod { from: p.from, to: p.to }
    }
}

impl Period {
    /// Builds `[from, to)`, refusing an empty or reversed interval.
    pub fn new(from: Timestamp, to: Option<Timestamp>) -> Result<Self, PeriodError> {
        match to {
            Some(to) if to <= from => Err(PeriodError::Empty { from: from.to_string(), to: to.to_string() }),
            _ => Ok(Period { from, to }),
        }
    }

    /// `[from, ∞)`: always valid.
    pub fn open(from: Timestamp) -> Self {
        Period { from, to: None }
    }

    /// The first instant inside the period.
    pub fn from(&self) -> Timestamp {
        self.from
    }

    /// The first instant after the period, if it ends.
    pub fn to(&self) -> Option<Timestamp> {
        self.to
    }

    /// Whether `at` lies inside `[from, to)`.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.from <= at && self.to.is_none_or(|to| at < to)
    }

    /// Whether the two periods share at least one instant. Touching ends do not overlap.
    pub fn overlaps(&self, other: &Period) -> bool {
        self.intersection(other).is_some()
    }

    /// The instants both periods share, if any.
    pub fn intersection(&self, other: &Period) -> Option<Period> {
        let from = self.from.max(other.from);
        let to = match (self.to, other.to) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Period::new(from, to).ok()
    }

    /// The same start, ending at `to` (for a move-out or the end of a contract).
    pub fn ending_at(&self, to: Timestamp) -> Result<Period, PeriodError> {
        Period::new(self.from, Some(to))
    }
}

impl fmt::Debug for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to {
            Some(to) => write!(f, "[{}, {})", self.from, to),
            None => write!(f, "[{}, …)", self.from),
        }
    }
}

/// A non-empty half-open interval of Europe/Brussels local days `[from, to)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DayPeriod {
    from: Date,
    to: Option<Date>,
}

impl DayPeriod {
    /// Builds `[from, to)` in local days, refusing an empty or reversed interval.
    pub fn new(from: Date, to: Option<Date>) -> Result<Self, PeriodError> {
        match to {
            Some(to) if to <= from => Err(PeriodError::Empty { from: from.to_string(), to: to.to_string() }),
            _ => Ok(DayPeriod { from, to }),
        }
    }

    /// The first day inside the period.
    pub fn from(&self) -> Date {
        self.from
    }

    /// The first day after the period, if it ends.
    pub fn to(&self) -> Option<Date> {
        self.to
    }

    /// The instants of the period: from the start of the first day in Brussels to the start
    /// of the day after the last.
    pub fn to_period(&self) -> Result<Period, PeriodError> {
        let from = day_start(self.from)?;
        let to = self.to.map(day_start).transpose()?;
        Period::new(from, to)
    }
}

impl fmt::Debug for DayPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to {
            Some(to) => write!(f, "[{}, {})", self.from, to),
            None => write!(f, "[{}, …)", self.from),
        }
    }
}

/// The instant a Europe/Brussels local day starts.
pub fn day_start(day: Date) -> Result<Timestamp, PeriodError> {
    day.to_zoned(brussels())
        .map(|z| z.timestamp())
        .map_err(|e| PeriodError::Day { day: day.to_string(), reason: e.to_string() })
}

/// The Europe/Brussels local day an instant falls on.
pub fn local_day(at: Timestamp) -> Date {
    Zoned::new(at, brussels()).date()
}

#[cfg(test)]
mod tests {
    /// Every quarter-hour of two years, both DST changes included, and instants with a
    /// fraction of a second: the label is what jiff's `strftime` prints for the zoned time.
    #[test]
    fn local_labels_are_the_zoned_times_to_the_second() {
        use super::*;
        let from = day_start(Date::constant(2025, 1, 1)).expect("a day");
        for q in 0..(2 * 366 * 96) {
            for extra_ms in [0, 999] {
                let at = Timestamp::from_millisecond(from.as_millisecond() + q * 900_000 + extra_ms)
                    .expect("in range");
                let expected = Zoned::new(at, brussels()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string();
                assert_eq!(local_label(at), expected);
            }
        }
        let autumn =
            |h: i64| local_label(Timestamp::from_second(1_792_886_400 + h * 3600).expect("in range"));
        // 2026-10-25 00:00 UTC is 02:00 summer time; an hour later, 02:00 again in winter time.
        assert_eq!(autumn(0), "2026-10-25T02:00:00+02:00");
        assert_eq!(autumn(1), "2026-10-25T02:00:00+01:00");
    }

    use super::*;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("test timestamp")
    }

    #[test]
    fn empty_and_reversed_periods_are_refused() {
        let t = ts("2024-01-01T00:00:00Z");
        assert!(matches!(Period::new(t, Some(t)), Err(PeriodError::Empty { .. })));
        assert!(Period::new(t, Some(ts("2023-01-01T00:00:00Z"))).is_err());
        assert!(Period::new(t, None).is_ok());
    }

    #[test]
    fn touching_periods_do_not_overlap() {
        let a = Period::new(ts("2024-01-01T00:00:00Z"), Some(ts("2024-03-01T00:00:00Z"))).expect("valid");
        let b = Period::open(ts("2024-03-01T00:00:00Z"));
        assert!(!a.overlaps(&b));
        assert!(!a.contains(ts("2024-03-01T00:00:00Z")));
        assert!(b.contains(ts("2024-03-01T00:00:00Z")));
    }

    #[test]
    fn brussels_days_follow_daylight_saving() {
        // 2024-03-31 is 23 hours long in Brussels, 2024-10-27 is 25.
        let spring = DayPeriod::new(Date::constant(2024, 3, 31), Some(Date::constant(2024, 4, 1)))
            .expect("valid")
            .to_period()
            .expect("placeable");
        let hours = |p: Period| (p.to().expect("closed").as_second() - p.from().as_second()) / 3600;
        assert_eq!(hours(spring), 23);
        let autumn = DayPeriod::new(Date::constant(2024, 10, 27), Some(Date::constant(2024, 10, 28)))
            .expect("valid")
            .to_period()
            .expect("placeable");
        assert_eq!(hours(autumn), 25);
        assert_eq!(spring.from(), ts("2024-03-30T23:00:00Z"));
        assert_eq!(local_day(ts("2024-06-30T22:30:00Z")), Date::constant(2024, 7, 1));
    }

    #[test]
    fn serde_refuses_an_empty_period() {
        let json = r#"{"from":"2024-01-01T00:00:00Z","to":"2024-01-01T00:00:00Z"}"#;
        assert!(serde_json::from_str::<Period>(json).is_err());
    }

    fn any_period() -> impl Strategy<Value = Period> {
        (0i64..1_000, proptest::option::of(1i64..1_000)).prop_map(|(from, len)| {
            let from = Timestamp::from_second(1_700_000_000 + from * 3600).expect("in range");
            let to = len.map(|l| Timestamp::from_second(from.as_second() + l * 3600).expect("in range"));
            Period::new(from, to).expect("positive length")
        })
    }

    proptest! {
        #[test]
        fn overlap_agrees_with_sampling(a in any_period(), b in any_period()) {
            // Every boundary is on the hour, so sampling each hour decides overlap exactly.
            let shared = (0i64..3_000).any(|h| {
                let t = Timestamp::from_second(1_700_000_000 + h * 3600).expect("in range");
                a.contains(t) && b.contains(t)
            });
            prop_assert_eq!(a.overlaps(&b), shared);
            prop_assert_eq!(a.overlaps(&b), b.overlaps(&a));
        }
    }
}
