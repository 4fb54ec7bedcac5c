//! One access point's channel for one local day: the unit interval data is stored, versioned
//! and corrected in.
//!
//! Values are whole watt-hours (Wh) in an `i64`, for both energies: a quarter-hour of a
//! household is tens to hundreds of Wh, so kWh with decimals would need a fixed-point unit
//! anyway, and integers make sums exact (an index difference is compared and distributed to
//! the Wh). Gas is converted from m³ with the calorific value before it becomes a series, so
//! one access point's electricity and gas add up in the same unit. `i64` rather than `i32`
//! because a 25-hour day of a large injection site summed in `i32` would already be close to
//! its limit, and the packing stores small deltas whatever the width.
//!
//! A day is never changed in place (I4): [`IntervalDay::corrected`] returns the next version,
//! and the store keeps both.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::channel::{Channel, DayLayout, IntervalError};
use crate::access_point::UnknownValue;
use crate::gs1::Ean;

/// How much a value can be trusted, and where it came from.
///
/// Kept per interval, not per day: a day of measured data with one estimated hour must show
/// that hour as estimated to the supplier billing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quality {
    /// Read from the meter and not questioned.
    Measured,
    /// Computed by the DSO (interpolation or profile) where no measure could be used.
    Estimated,
    /// Nothing received for the interval; it has no value.
    Missing,
    /// Received, then refused by a validator; the value is kept to show what was refused.
    Rejected,
    /// Replaced by a validator with a value of their own.
    Corrected,
}

impl Quality {
    /// Every quality, in the order of their packed codes.
    pub const ALL: [Quality; 5] =
        [Quality::Measured, Quality::Estimated, Quality::Missing, Quality::Rejected, Quality::Corrected];

    /// The stable text form used in the store, the CLI and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Measured => "measured",
            Quality::Estimated => "estimated",
            Quality::Missing => "missing",
            Quality::Rejected => "rejected",
            Quality::Corrected => "corrected",
        }
    }

    /// Whether the value may be used: summed, billed, or taken as a neighbour by the rules.
    /// Missing intervals have none, and a rejected value was judged wrong.
    pub fn is_usable(self) -> bool {
        matches!(self, Quality::Measured | Quality::Estimated | Quality::Corrected)
    }

    /// The packed code (0–4), stable across versions of the packing.
    pub fn code(self) -> u8 {
        match self {
            Quality::Measured => 0,
            Quality::Estimated => 1,
            Quality::Missing => 2,
            Quality::Rejected => 3,
            Quality::Corrected => 4,
        }
    }

    /// The quality of a packed code, if it is one.
    pub fn from_code(code: u8) -> Option<Quality> {
        Quality::ALL.get(usize::from(code)).copied()
    }
}

impl FromStr for Quality {
    type Err = UnknownValue;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Quality::ALL.into_iter().find(|q| q.as_str() == text).ok_or_else(|| UnknownValue {
            what: "quality",
            found: text.to_owned(),
            expected: &["measured", "estimated", "missing", "rejected", "corrected"],
        })
    }
}

impl fmt::Display for Quality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One interval's energy in Wh and its quality.
///
/// A missing interval has no value: [`Interval::new`] drops whatever was given with
/// [`Quality::Missing`], so two missing intervals are always equal and the packing never
/// stores a value nobody may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interval {
    wh: i64,
    quality: Quality,
}

impl Interval {
    /// An interval of `wh` watt-hours with its quality (the value is dropped if missing).
    pub fn new(wh: i64, quality: Quality) -> Self {
        Interval { wh: if quality == Quality::Missing { 0 } else { wh }, quality }
    }

    /// A measured value.
    pub fn measured(wh: i64) -> Self {
        Interval::new(wh, Quality::Measured)
    }

    /// An estimated value.
    pub fn estimated(wh: i64) -> Self {
        Interval::new(wh, Quality::Estimated)
    }

    /// An interval nothing was received for.
    pub fn missing() -> Self {
        Interval { wh: 0, quality: Quality::Missing }
    }

    /// The value in Wh, or `None` if missing. A rejected value is returned: the validator
    /// needs to see it; [`Interval::usable`] is what sums should read.
    pub fn wh(&self) -> Option<i64> {
        (self.quality != Quality::Missing).then_some(self.wh)
    }

    /// The value, if its quality lets it be summed or billed.
    pub fn usable(&self) -> Option<i64> {
        self.quality.is_usable().then_some(self.wh)
    }

    /// The quality.
    pub fn quality(&self) -> Quality {
        self.quality
    }
}

/// The version of a day's series: 1 for the first import, one more for each correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Version(u32);

impl Version {
    /// The version of a day as first received.
    pub const FIRST: Version = Version(1);

    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }

    /// The version after this one.
    pub fn next(self) -> Result<Version, IntervalError> {
        self.0.checked_add(1).map(Version).ok_or(IntervalError::VersionExhausted { version: self.0 })
    }
}

impl TryFrom<u32> for Version {
    type Error = IntervalError;
    fn try_from(n: u32) -> Result<Self, Self::Error> {
        if n == 0 { Err(IntervalError::ZeroVersion) } else { Ok(Version(n)) }
    }
}

impl From<Version> for u32 {
    fn from(v: Version) -> u32 {
        v.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// One access point's channel for one Europe/Brussels local day, at one version.
///
/// It holds exactly as many intervals as the day has on the channel (checked at
/// construction), so code that holds one never re-checks the DST arithmetic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntervalDay {
    ean: Ean,
    layout: DayLayout,
    version: Version,
    intervals: Vec<Interval>,
}

impl IntervalDay {
    /// The first version of a day, refusing a series of the wrong length for the day.
    pub fn new(
        ean: Ean,
        channel: Channel,
        day: Date,
        intervals: Vec<Interval>,
    ) -> Result<Self, IntervalError> {
        IntervalDay::with_version(ean, channel, day, Version::FIRST, intervals)
    }

    /// A day at a given version, as the store reads it back.
    pub fn with_version(
        ean: Ean,
        channel: Channel,
        day: Date,
        version: Version,
        intervals: Vec<Interval>,
    ) -> Result<Self, IntervalError> {
        let layout = DayLayout::new(channel, day)?;
        if intervals.len() != layout.len() {
            return Err(IntervalError::WrongCount { day, expected: layout.len(), found: intervals.len() });
        }
        Ok(IntervalDay { ean, layout, version, intervals })
    }

    /// The access point.
    pub fn ean(&self) -> Ean {
        self.ean
    }

    /// The channel.
    pub fn channel(&self) -> Channel {
        self.layout.channel()
    }

    /// The local day.
    pub fn day(&self) -> Date {
        self.layout.day()
    }

    /// Where each interval starts and how it is labelled.
    pub fn layout(&self) -> &DayLayout {
        &self.layout
    }

    /// The version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The intervals, in time order.
    pub fn intervals(&self) -> &[Interval] {
        &self.intervals
    }

    /// The sum of the usable values, and how many intervals had none.
    pub fn usable_total(&self) -> (i64, usize) {
        self.intervals.iter().fold((0i64, 0usize), |(sum, holes), i| match i.usable() {
            Some(wh) => (sum.saturating_add(wh), holes),
            None => (sum, holes + 1),
        })
    }

    /// The next version, with the intervals at the given numbers replaced: a validator's
    /// decision (accept, correct, reject, estimate) is a new version, never an overwrite (I4).
    ///
    /// Refuses a number outside the day, and a set of replacements that changes nothing (a
    /// version identical to its predecessor would only blur the history).
    pub fn corrected(&self, replacements: &[(usize, Interval)]) -> Result<IntervalDay, IntervalError> {
        let mut intervals = self.intervals.clone();
        for &(index, interval) in replacements {
            let slot = intervals.get_mut(index).ok_or(IntervalError::OutsideDay {
                day: self.day(),
                index,
                count: self.layout.len(),
            })?;
            *slot = interval;
        }
        if intervals == self.intervals {
            return Err(IntervalError::NothingCorrected);
        }
        Ok(IntervalDay { ean: self.ean, layout: self.layout, version: self.version.next()?, intervals })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ean() -> Ean {
        Ean::from_body(54_144_100_000_000_001).expect("valid body")
    }

    #[test]
    fn a_missing_interval_carries_no_value() {
        assert_eq!(Interval::new(42, Quality::Missing), Interval::missing());
        assert_eq!(Interval::missing().wh(), None);
        assert_eq!(Interval::new(42, Quality::Rejected).wh(), Some(42));
        assert_eq!(Interval::new(42, Quality::Rejected).usable(), None);
    }

    #[test]
    fn qualities_round_trip_through_code_and_text() {
        for q in Quality::ALL {
            assert_eq!(Quality::from_code(q.code()), Some(q));
            assert_eq!(q.as_str().parse::<Quality>(), Ok(q));
        }
        assert_eq!(Quality::from_code(5), None);
    }

    #[test]
    fn a_day_of_the_wrong_length_is_refused() {
        let day = Date::constant(2026, 3, 29);
        let e = IntervalDay::new(ean(), Channel::ElectricityOfftake, day, vec![Interval::measured(1); 96])
            .expect_err("the spring day has 92 quarter-hours");
        assert_eq!(e, IntervalError::WrongCount { day, expected: 92, found: 96 });
        assert_eq!(e.code(), "wrong_interval_count");
    }

    #[test]
    fn a_correction_is_the_next_version_and_leaves_the_old_one() {
        let day = Date::constant(2026, 6, 1);
        let v1 = IntervalDay::new(ean(), Channel::GasOfftake, day, vec![Interval::measured(900); 24])
            .expect("24 h");
        let v2 = v1.corrected(&[(3, Interval::new(800, Quality::Corrected))]).expect("changes one hour");
        assert_eq!(v1.version(), Version::FIRST);
        assert_eq!(v2.version().get(), 2);
        assert_eq!(v1.intervals()[3], Interval::measured(900));
        assert_eq!(v2.intervals()[3].quality(), Quality::Corrected);
        assert_eq!(v1.corrected(&[(3, Interval::measured(900))]), Err(IntervalError::NothingCorrected));
        assert!(matches!(
            v1.corrected(&[(24, Interval::missing())]),
            Err(IntervalError::OutsideDay { index: 24, .. })
        ));
        let last = IntervalDay::with_version(
            ean(),
            Channel::GasOfftake,
            day,
            Version(u32::MAX),
            v1.intervals().to_vec(),
        )
        .expect("any version");
        assert_eq!(
            last.corrected(&[(0, Interval::missing())]).map(|d| d.version()),
            Err(IntervalError::VersionExhausted { version: u32::MAX })
        );
        assert_eq!(Version::try_from(0), Err(IntervalError::ZeroVersion));
    }
}
