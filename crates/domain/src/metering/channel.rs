//! Channels and the intervals of a Europe/Brussels local day.
//!
//! Interval data is stored and shown by local day, because that is how the market bills and
//! how a customer reads a curve; but a local day is not a fixed number of intervals. On the
//! last Sunday of March Brussels skips from 02:00 to 03:00 (92 quarter-hours, 23 hours), on
//! the last Sunday of October it repeats the hour from 02:00 (100 quarter-hours, 25 hours).
//! Every count here comes from the bundled tz database through [`day_start`], never from a
//! list of dates, so a future change of the rules only needs a newer database.
//!
//! Because the repeated hour shows the same wall time twice, an interval's local label carries
//! its offset (`2026-10-25T02:00:00+02:00`, then `2026-10-25T02:00:00+01:00`): a label without
//! one would name two intervals.
//!
//! Gas is counted on the same midnight-to-midnight local day as electricity, not on the
//! 06:00 "gas day" of the transmission network, so that one access point's electricity and gas
//! rows line up and a supplier's period clips both the same way.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::access_point::{Energy, UnknownValue};
use crate::period::{day_start, local_day};

/// What a series measures, and so how long its intervals are.
///
/// Offtake and injection are separate channels rather than one signed series: a prosumer's
/// meter has two registers that never net out, suppliers bill them at different prices, and a
/// negative value in either is then always a fault the validation can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Active energy taken from the grid, per quarter-hour.
    ElectricityOfftake,
    /// Active energy injected into the grid (solar panels, cogeneration), per quarter-hour.
    ElectricityInjection,
    /// Gas taken from the grid, per hour, as energy (the volume times the calorific value).
    GasOfftake,
}

impl Channel {
    /// Every channel, in a fixed order (for tables and tests).
    pub const ALL: [Channel; 3] =
        [Channel::ElectricityOfftake, Channel::ElectricityInjection, Channel::GasOfftake];

    /// The stable text form used in the store, the CLI and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::ElectricityOfftake => "electricity_offtake",
            Channel::ElectricityInjection => "electricity_injection",
            Channel::GasOfftake => "gas_offtake",
        }
    }

    /// The network the channel belongs to: a channel is only valid on a point of that energy.
    pub fn energy(self) -> Energy {
        match self {
            Channel::ElectricityOfftake | Channel::ElectricityInjection => Energy::Electricity,
            Channel::GasOfftake => Energy::Gas,
        }
    }

    /// Whether the channel measures energy leaving the grid, where a long run of zeros on an
    /// active point is suspicious; injection is zero every night.
    pub fn is_offtake(self) -> bool {
        !matches!(self, Channel::ElectricityInjection)
    }

    /// The length of one interval in seconds: 15 minutes for electricity, 60 for gas, as
    /// remote reading delivers them.
    pub fn interval_seconds(self) -> i64 {
        match self.energy() {
            Energy::Electricity => 15 * 60,
            Energy::Gas => 60 * 60,
        }
    }
}

impl FromStr for Channel {
    type Err = UnknownValue;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Channel::ALL.into_iter().find(|c| c.as_str() == text).ok_or_else(|| UnknownValue {
            what: "channel",
            found: text.to_owned(),
            expected: &["electricity_offtake", "electricity_injection", "gas_offtake"],
        })
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a day, an instant or an interval of a series was refused. Each variant names the field
/// at fault; [`IntervalError::code`] is the stable code an import report or the API shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntervalError {
    /// The local day cannot be placed on the time line (outside the supported years).
    #[error("day: {day} cannot be placed in Europe/Brussels: {reason}")]
    Day {
        /// The day received.
        day: String,
        /// What the time-zone computation said.
        reason: String,
    },
    /// An instant that does not start an interval of the channel.
    #[error("{field}: {at} is not on a {minutes}-minute interval boundary")]
    NotOnBoundary {
        /// The field holding the instant (`start` in an import row).
        field: &'static str,
        /// The instant received.
        at: Timestamp,
        /// The channel's interval length.
        minutes: i64,
    },
    /// An interval number past the end of the local day.
    #[error("index: interval {index} does not exist on {day}, which has {count} intervals on this channel")]
    OutsideDay {
        /// The local day.
        day: Date,
        /// The interval number received (0-based).
        index: usize,
        /// How many intervals the day has.
        count: usize,
    },
    /// An instant on a boundary, but of another local day than the one being filled.
    #[error("{field}: {at} is not on the local day {day}")]
    StartOutsideDay {
        /// The field holding the instant.
        field: &'static str,
        /// The instant received.
        at: Timestamp,
        /// The local day expected.
        day: Date,
    },
    /// A series whose length is not the number of intervals of its day.
    #[error("intervals: {day} has {expected} intervals on this channel, {found} were given")]
    WrongCount {
        /// The local day.
        day: Date,
        /// How many intervals the day has.
        expected: usize,
        /// How many were given.
        found: usize,
    },
    /// A correction that changes nothing: a new version must differ from the one it follows.
    #[error("corrections: a correction must change at least one interval")]
    NothingCorrected,
    /// The version counter cannot go further.
    #[error("version: {version} is the last version a day can have")]
    VersionExhausted {
        /// The current version.
        version: u32,
    },
    /// A version number of zero: versions count from one.
    #[error("version: versions count from 1, found 0")]
    ZeroVersion,
}

impl IntervalError {
    /// The stable code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            IntervalError::Day { .. } => "day_out_of_range",
            IntervalError::NotOnBoundary { .. } => "not_on_interval_boundary",
            IntervalError::OutsideDay { .. } => "interval_outside_day",
            IntervalError::StartOutsideDay { .. } => "start_outside_day",
            IntervalError::WrongCount { .. } => "wrong_interval_count",
            IntervalError::NothingCorrected => "nothing_corrected",
            IntervalError::VersionExhausted { .. } => "version_exhausted",
            IntervalError::ZeroVersion => "zero_version",
        }
    }
}

/// The intervals of one channel on one Europe/Brussels local day: where each starts, and its
/// local label.
///
/// Computed once per day and then pure arithmetic: Brussels offsets are whole hours, so every
/// quarter-hour of the day is a quarter-hour of UTC and the `i`-th interval starts exactly
/// `i` interval lengths after the day's first instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayLayout {
    channel: Channel,
    day: Date,
    start: Timestamp,
    count: usize,
}

impl DayLayout {
    /// The layout of `day` on `channel`, from the tz database.
    pub fn new(channel: Channel, day: Date) -> Result<Self, IntervalError> {
        let placing = |e: crate::period::PeriodError| IntervalError::Day {
            day: day.to_string(),
            reason: e.to_string(),
        };
        let start = day_start(day).map_err(placing)?;
        let next =
            day.tomorrow().map_err(|e| IntervalError::Day { day: day.to_string(), reason: e.to_string() })?;
        let end = day_start(next).map_err(placing)?;
        let seconds = end.as_second() - start.as_second();
        Ok(DayLayout { channel, day, start, count: (seconds / channel.interval_seconds()) as usize })
    }

    /// The layout of the local day an instant falls on, and the number of the interval it
    /// starts; refuses an instant that is not an interval boundary, since a value cannot be
    /// filed under an interval it only partly covers.
    pub fn locate(channel: Channel, at: Timestamp) -> Result<(DayLayout, usize), IntervalError> {
        let minutes = channel.interval_seconds() / 60;
        if at.subsec_nanosecond() != 0 || at.as_second().rem_euclid(channel.interval_seconds()) != 0 {
            return Err(IntervalError::NotOnBoundary { field: "start", at, minutes });
        }
        let layout = DayLayout::new(channel, local_day(at))?;
        let index = (at.as_second() - layout.start.as_second()) / channel.interval_seconds();
        Ok((layout, index as usize))
    }

    /// The channel.
    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// The local day.
    pub fn day(&self) -> Date {
        self.day
    }

    /// How many intervals the day has: 92, 96 or 100 quarter-hours; 23, 24 or 25 hours.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Always false: every local day has intervals. Present because a `len` asks for it.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The first instant of the day.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// The first instant after the day.
    pub fn end(&self) -> Timestamp {
        self.offset(self.count)
    }

    fn offset(&self, index: usize) -> Timestamp {
        let seconds = self.start.as_second() + index as i64 * self.channel.interval_seconds();
        // A day that could be placed has its end inside jiff's range too, and index ≤ count.
        Timestamp::from_second(seconds).unwrap_or(self.start)
    }

    fn check(&self, index: usize) -> Result<(), IntervalError> {
        if index < self.count {
            Ok(())
        } else {
            Err(IntervalError::OutsideDay { day: self.day, index, count: self.count })
        }
    }

    /// The instant interval `index` (0-based) starts.
    pub fn interval_start(&self, index: usize) -> Result<Timestamp, IntervalError> {
        self.check(index)?;
        Ok(self.offset(index))
    }

    /// The local label of interval `index`: its start as an RFC 3339 local time with the
    /// Brussels offset, distinct for the two 02:00 of the autumn change.
    pub fn label(&self, index: usize) -> Result<String, IntervalError> {
        let at = self.interval_start(index)?;
        Ok(crate::period::local_label(at))
    }

    /// The number of the interval starting at `at`, refusing an instant off the channel's
    /// boundaries or outside the day.
    pub fn index_of(&self, at: Timestamp) -> Result<usize, IntervalError> {
        let (layout, index) = DayLayout::locate(self.channel, at)?;
        if layout.day != self.day {
            return Err(IntervalError::StartOutsideDay { field: "start", at, day: self.day });
        }
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_round_trip_through_their_text() {
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>(), Ok(c));
        }
        let e = "water".parse::<Channel>().expect_err("not a channel");
        assert!(e.to_string().starts_with("channel must be one of"), "{e}");
    }

    #[test]
    fn an_instant_before_the_day_is_outside_it() {
        let layout = DayLayout::new(Channel::GasOfftake, Date::constant(2026, 1, 10)).expect("placeable");
        let before = Timestamp::from_second(layout.start().as_second() - 3600).expect("in range");
        assert!(matches!(layout.index_of(before), Err(IntervalError::StartOutsideDay { .. })));
        assert!(matches!(layout.index_of(layout.end()), Err(IntervalError::StartOutsideDay { .. })));
        assert_eq!(layout.index_of(layout.start()), Ok(0));
    }
}
