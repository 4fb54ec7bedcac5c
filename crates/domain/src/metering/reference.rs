//! Reference data in files: standard load profiles and a daily degree-day series, parsed from
//! their CSV text and expanded onto Europe/Brussels local days.
//!
//! The crate ships no files and reads none: the application embeds the files of `data/`
//! (whose README gives their format and how they were made) and hands their text here. Parsing
//! is strict and names the line and column of the first fault ([`ReferenceError`], with a
//! stable [`ReferenceError::code`]), because a profile silently missing a row would bias every
//! estimate made from it.
//!
//! # Electricity
//!
//! An [`ElectricityProfile`] has one row of 96 quarter-hour weights per month and
//! [`DayType`] (36 rows). A weight is the consumption in mWh expected in that quarter-hour of
//! local wall-clock time for a point consuming 1 MWh a year ([`REFERENCE_YEAR_MILLI_WH`]), so
//! rows compare across months and day types and a year's expansion adds up to about 10⁹.
//! Expanding a day takes the row of its month and day type (a public holiday is a Sunday),
//! then, for each interval of the day's [`DayLayout`], the slot of its local start time: on the
//! spring change the 02:00–03:00 slots are skipped (92 weights), on the autumn change they are
//! used twice (100). Reading the wall clock rather than patching two known dates keeps that
//! right for any year the tz database knows.
//!
//! Expected consumption over days is the point's yearly consumption times the days' weights
//! over the weights of their calendar year, one year at a time: a period across New Year takes
//! each side at its own year's total, so a whole calendar year is always exactly the yearly
//! consumption (rounded), whatever its number of Sundays. Dividing everything by the total of
//! the period's first year was simpler and rejected: two years of a profile then did not make
//! twice the yearly consumption.
//!
//! # Gas
//!
//! A [`GasProfile`] is a base share (the part of the yearly consumption that does not depend
//! on the weather: cooking, hot water) and an hourly shape per day type. The day's share of
//! the year follows the degree-days of that calendar year:
//!
//! `share(d) = base / days_in_year + (1 − base) × DD(d) / Σ DD(year of d)`
//!
//! so a year's shares add up to one. A year with no degree-day at all gives each day
//! `1 / days_in_year`: the weather part then has no day to go to. Gas days are local calendar
//! days (00:00–24:00), like the gas channel's intervals. The day type only shapes the hours
//! inside a day; it does not move consumption between days.
//!
//! Everything is computed in integers (degree-days are kept in tenths, as the files write
//! them) and rounded once, to the nearest, so the same files give the same Wh on any machine.

use std::fmt;

use jiff::civil::Date;

use super::channel::{Channel, DayLayout};
use super::estimation::distribute;
use super::profile::{HeatingModel, Profile, ProfileError};
use crate::calendar::DayType;
use crate::period::brussels;

/// The yearly consumption the profile weights are written for, in mWh: 1 MWh. A weight is
/// mWh per interval for a point consuming this much a year.
pub const REFERENCE_YEAR_MILLI_WH: u64 = 1_000_000_000;

/// Quarter-hours in a 24-hour day: the columns of an electricity profile.
const QUARTER_HOURS: usize = 96;
/// Hours in a 24-hour day: the columns of a gas profile.
const HOURS: usize = 24;
/// The most degree-days one day may carry, in tenths: a daily mean below −83.5 °C is a unit
/// mistake (tenths written as whole degree-days), not weather.
const MAX_DEGREE_DAY_TENTHS: u32 = 1_000;

/// What was wrong with a reference file; the stable code is [`ReferenceErrorKind::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceErrorKind {
    /// The first line is not the expected header.
    BadHeader,
    /// A line with the wrong number of columns.
    FieldCount,
    /// A field that is not a number of the expected form.
    BadNumber,
    /// A number or name outside what the column allows.
    BadValue,
    /// A profile weight of zero or below: every interval of a profile consumes something.
    NotPositive,
    /// A negative degree-day value: degree-days are `max(0, 16.5 − T)`.
    Negative,
    /// A day that is not an ISO date.
    BadDate,
    /// A profile row that the file does not give.
    MissingRow,
    /// A profile row or a day given twice.
    DuplicateRow,
    /// A day before the one on the previous line.
    OutOfOrder,
    /// Days missing between two lines of a daily series.
    GapInSeries,
    /// A file with a header and no data.
    Empty,
}

impl ReferenceErrorKind {
    /// The stable code an import report or the API shows.
    pub fn code(self) -> &'static str {
        match self {
            ReferenceErrorKind::BadHeader => "bad_header",
            ReferenceErrorKind::FieldCount => "field_count",
            ReferenceErrorKind::BadNumber => "bad_number",
            ReferenceErrorKind::BadValue => "bad_value",
            ReferenceErrorKind::NotPositive => "not_positive",
            ReferenceErrorKind::Negative => "negative",
            ReferenceErrorKind::BadDate => "bad_date",
            ReferenceErrorKind::MissingRow => "missing_row",
            ReferenceErrorKind::DuplicateRow => "duplicate_row",
            ReferenceErrorKind::OutOfOrder => "out_of_order",
            ReferenceErrorKind::GapInSeries => "gap_in_series",
            ReferenceErrorKind::Empty => "empty",
        }
    }
}

/// Why a reference file was refused: which file, line and column, and why. Parsing stops at
/// the first fault, since a profile is either whole or unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceError {
    /// The name the file was parsed under.
    pub file: String,
    /// The 1-based line, or 0 for a fault of the whole file (a missing row).
    pub line: usize,
    /// The column at fault (`w37`, `day`), or what is missing (`month 3, saturday`).
    pub field: String,
    /// The kind of fault, which gives the code.
    pub kind: ReferenceErrorKind,
    /// What was found and what was expected.
    pub reason: String,
}

impl ReferenceError {
    /// The stable code of the refusal.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}: {}", self.file, self.field, self.reason)
        } else {
            write!(f, "{} line {}: {}: {}", self.file, self.line, self.field, self.reason)
        }
    }
}

impl std::error::Error for ReferenceError {}

/// A degree-day value was asked for a day the series does not cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("degree_days: no value for {day}, the series covers {first} to {last}")]
pub struct MissingDegreeDays {
    /// The first day asked for that the series lacks.
    pub day: Date,
    /// The series' first day.
    pub first: Date,
    /// The series' last day.
    pub last: Date,
}

impl MissingDegreeDays {
    /// The stable code of the refusal.
    pub fn code(&self) -> &'static str {
        "degree_days_missing"
    }
}

/// Builds errors for one file.
struct Errors<'a> {
    file: &'a str,
}

impl Errors<'_> {
    fn at(&self, line: usize, field: &str, kind: ReferenceErrorKind, reason: String) -> ReferenceError {
        ReferenceError { file: self.file.to_owned(), line, field: field.to_owned(), kind, reason }
    }
}

/// The non-blank lines of a CSV text with their 1-based line numbers, split on commas and
/// trimmed. The files have no quoting: no field of theirs can hold a comma.
fn records(csv: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    csv.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| (i + 1, line.split(',').map(str::trim).collect()))
}

/// Checks the header line against the expected column names.
fn check_header(
    errors: &Errors<'_>,
    header: Option<(usize, Vec<&str>)>,
    expected: &[String],
) -> Result<(), ReferenceError> {
    let Some((line, found)) = header else {
        return Err(errors.at(
            1,
            "header",
            ReferenceErrorKind::BadHeader,
            format!("the file is empty, expected the header `{}`", expected.join(",")),
        ));
    };
    if found.len() != expected.len() {
        return Err(errors.at(
            line,
            "header",
            ReferenceErrorKind::BadHeader,
            format!("{} columns, expected {} (`{},…`)", found.len(), expected.len(), expected[..3].join(",")),
        ));
    }
    match found.iter().zip(expected).position(|(f, e)| f != e) {
        Some(i) => Err(errors.at(
            line,
            "header",
            ReferenceErrorKind::BadHeader,
            format!("column {} is `{}`, expected `{}`", i + 1, found[i], expected[i]),
        )),
        None => Ok(()),
    }
}

/// Checks a data line's column count.
fn check_count(
    errors: &Errors<'_>,
    line: usize,
    fields: &[&str],
    expected: usize,
) -> Result<(), ReferenceError> {
    if fields.len() == expected {
        Ok(())
    } else {
        Err(errors.at(
            line,
            "line",
            ReferenceErrorKind::FieldCount,
            format!("{} columns, the header has {expected}", fields.len()),
        ))
    }
}

/// A whole number in `range`, or the error naming the field.
fn parse_integer(
    errors: &Errors<'_>,
    line: usize,
    field: &str,
    text: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ReferenceError> {
    let value: i64 = text.parse().map_err(|_| {
        errors.at(line, field, ReferenceErrorKind::BadNumber, format!("`{text}` is not a whole number"))
    })?;
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(errors.at(
            line,
            field,
            ReferenceErrorKind::BadValue,
            format!("{value} is outside {}..={}", range.start(), range.end()),
        ))
    }
}

/// A profile weight: a whole number, positive.
fn parse_weight(errors: &Errors<'_>, line: usize, field: &str, text: &str) -> Result<u32, ReferenceError> {
    let value: i64 = text.parse().map_err(|_| {
        errors.at(line, field, ReferenceErrorKind::BadNumber, format!("`{text}` is not a whole number"))
    })?;
    if value <= 0 {
        return Err(errors.at(
            line,
            field,
            ReferenceErrorKind::NotPositive,
            format!("weight {value} must be positive: every interval of a profile consumes something"),
        ));
    }
    u32::try_from(value).map_err(|_| {
        errors.at(line, field, ReferenceErrorKind::BadValue, format!("weight {value} is above {}", u32::MAX))
    })
}

/// A day type by its text.
fn parse_day_type(errors: &Errors<'_>, line: usize, text: &str) -> Result<DayType, ReferenceError> {
    DayType::ALL.into_iter().find(|t| t.as_str() == text).ok_or_else(|| {
        errors.at(
            line,
            "day_type",
            ReferenceErrorKind::BadValue,
            format!("`{text}` is not one of weekday, saturday, sunday"),
        )
    })
}

fn day_type_index(day_type: DayType) -> usize {
    match day_type {
        DayType::Weekday => 0,
        DayType::Saturday => 1,
        DayType::Sunday => 2,
    }
}

/// The days `from..to`, stopping at the last date a [`Date`] can hold.
fn days(from: Date, to: Date) -> impl Iterator<Item = Date> {
    std::iter::successors(Some(from), |d| d.tomorrow().ok()).take_while(move |d| *d < to)
}

/// 1 January of `year`; a year outside the range of [`Date`] is clamped to it, as the
/// calendar does, since no day outside exists to ask about.
fn year_start(year: i16) -> Date {
    Date::new(year, 1, 1).unwrap_or(if year < 0 { Date::MIN } else { Date::MAX.first_of_year() })
}

/// The days of a calendar year, in order.
fn days_of_year(year: i16) -> impl Iterator<Item = Date> {
    let first = year_start(year);
    std::iter::successors(Some(first), move |d| d.tomorrow().ok().filter(|n| n.year() == first.year()))
}

/// `value × part / total`, rounded to the nearest, halves away from zero (as
/// [`Profile::expected_wh`] does), its magnitude clamped to `i64::MAX`.
fn scale(value: i64, part: u128, total: u128) -> i64 {
    if total == 0 {
        return 0;
    }
    let scaled = u128::from(value.unsigned_abs()).saturating_mul(part);
    let rounded = scaled.saturating_mul(2).saturating_add(total) / total.saturating_mul(2);
    let magnitude = rounded.min(i64::MAX as u128) as i64;
    if value < 0 { -magnitude } else { magnitude }
}

/// The 24-hour slot (of `per_hour` a hour) each interval of `day` on `channel` starts in,
/// read from its local wall-clock start: the slots of a skipped hour are absent, those of a
/// repeated hour appear twice.
fn slots(channel: Channel, day: Date, per_hour: usize) -> Vec<usize> {
    let full = 24 * per_hour;
    let layout = match DayLayout::new(channel, day) {
        // A full-length Brussels day has no change of offset, so interval i is slot i.
        Ok(layout) if layout.len() != full => layout,
        // A day that cannot be placed (only at the ends of the years jiff holds) is read as
        // a plain 24-hour day: there is no offset change to follow there.
        _ => return (0..full).collect(),
    };
    let zone = brussels();
    let minutes = 60 / per_hour;
    (0..layout.len())
        .filter_map(|i| layout.interval_start(i).ok())
        .map(|at| {
            let local = zone.to_datetime(at);
            local.hour() as usize * per_hour + local.minute() as usize / minutes
        })
        .collect()
}

/// A standard load profile of electricity: 96 quarter-hour weights for each month and day
/// type, in mWh for a point consuming 1 MWh a year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectricityProfile {
    name: String,
    /// Row `(month − 1) × 3 + day type`.
    rows: Vec<[u32; QUARTER_HOURS]>,
    totals: Vec<u64>,
}

impl ElectricityProfile {
    /// Parses a profile file (`month,day_type,w00,…,w95`, 36 rows), refusing a missing or
    /// repeated row, a weight that is not a positive whole number, or a malformed line. `name`
    /// only names the file in errors.
    pub fn parse(name: &str, csv: &str) -> Result<Self, ReferenceError> {
        let errors = Errors { file: name };
        let mut expected = vec!["month".to_owned(), "day_type".to_owned()];
        expected.extend((0..QUARTER_HOURS).map(|q| format!("w{q:02}")));
        let mut lines = records(csv);
        check_header(&errors, lines.next(), &expected)?;
        let mut rows: Vec<Option<(usize, [u32; QUARTER_HOURS])>> = vec![None; 36];
        for (line, fields) in lines {
            check_count(&errors, line, &fields, expected.len())?;
            let month = parse_integer(&errors, line, "month", fields[0], 1..=12)? as usize;
            let day_type = parse_day_type(&errors, line, fields[1])?;
            let mut weights = [0u32; QUARTER_HOURS];
            for (q, weight) in weights.iter_mut().enumerate() {
                *weight = parse_weight(&errors, line, &expected[q + 2], fields[q + 2])?;
            }
            let slot = &mut rows[(month - 1) * 3 + day_type_index(day_type)];
            if let Some((first, _)) = slot {
                return Err(errors.at(
                    line,
                    "month,day_type",
                    ReferenceErrorKind::DuplicateRow,
                    format!("month {month}, {day_type} is already given on line {first}"),
                ));
            }
            *slot = Some((line, weights));
        }
        let mut complete = Vec::with_capacity(36);
        for (i, row) in rows.into_iter().enumerate() {
            let Some((_, weights)) = row else {
                return Err(errors.at(
                    0,
                    &format!("month {}, {}", i / 3 + 1, DayType::ALL[i % 3]),
                    ReferenceErrorKind::MissingRow,
                    "no row for this month and day type; the profile needs all 36".to_owned(),
                ));
            };
            complete.push(weights);
        }
        let totals = complete.iter().map(|r| r.iter().map(|&w| u64::from(w)).sum()).collect();
        Ok(ElectricityProfile { name: name.to_owned(), rows: complete, totals })
    }

    /// The name the profile was parsed under.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn row(&self, day: Date) -> usize {
        (day.month() as usize - 1) * 3 + day_type_index(DayType::of(day))
    }

    /// The weights of a local day, one per quarter-hour of its [`DayLayout`] on electricity
    /// offtake (92, 96 or 100), from its month and day type, each taken at its local start
    /// time. This is what a day of [`ElectricityProfile::profile_for_days`] holds.
    pub fn day_weights(&self, day: Date) -> Vec<u32> {
        let row = &self.rows[self.row(day)];
        slots(Channel::ElectricityOfftake, day, 4).into_iter().map(|s| row[s]).collect()
    }

    /// The sum of a day's weights: mWh expected that day for 1 MWh a year.
    pub fn day_total(&self, day: Date) -> u64 {
        match DayLayout::new(Channel::ElectricityOfftake, day) {
            Ok(layout) if layout.len() != QUARTER_HOURS => {
                self.day_weights(day).iter().map(|&w| u64::from(w)).sum()
            }
            _ => self.totals[self.row(day)],
        }
    }

    /// The sum of a calendar year's weights: what a point consuming 1 MWh a year is expected
    /// to consume that year, in mWh. Close to [`REFERENCE_YEAR_MILLI_WH`], not equal: years
    /// differ in their Sundays and holidays.
    pub fn year_total(&self, year: i16) -> u64 {
        days_of_year(year).map(|d| self.day_total(d)).sum()
    }

    /// The consumption in Wh expected over the local days `from..to` (`to` excluded) for a
    /// point consuming `yearly_wh` a year: for each calendar year touched, `yearly_wh` times the
    /// weights of its days in the period over the year's total, rounded to the nearest Wh.
    /// Zero for an empty period.
    pub fn expected_wh(&self, yearly_wh: i64, from: Date, to: Date) -> i64 {
        let mut parts: Vec<(i16, u64)> = Vec::new();
        for day in days(from, to) {
            let total = self.day_total(day);
            match parts.last_mut() {
                Some((year, part)) if *year == day.year() => *part += total,
                _ => parts.push((day.year(), total)),
            }
        }
        parts.into_iter().fold(0i64, |sum, (year, part)| {
            sum.saturating_add(scale(yearly_wh, u128::from(part), u128::from(self.year_total(year))))
        })
    }

    /// The weights of the days `from..to` end to end, as a [`Profile`] for [`fill_to_index`]
    /// (the days between two readings) or a [`ProfileFill`] (a whole year, with the index of
    /// the day's first quarter-hour). Refuses an empty period.
    ///
    /// [`fill_to_index`]: super::fill_to_index
    /// [`ProfileFill`]: super::ProfileFill
    pub fn profile_for_days(&self, from: Date, to: Date) -> Result<Profile, ProfileError> {
        Profile::new(days(from, to).flat_map(|d| self.day_weights(d)).collect())
    }
}

/// A standard load profile of gas: the share of the year that does not depend on the
/// weather, and an hourly shape per day type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GasProfile {
    name: String,
    base_permille: u16,
    /// Row by day type: weekday, saturday, sunday.
    rows: [[u32; HOURS]; 3],
}

impl GasProfile {
    /// Parses a profile file (`day_type,base_share_permille,h00,…,h23`, one row per day type),
    /// refusing a missing or repeated row, a weight that is not a positive whole number, a
    /// base share outside 0..=1000 or one that differs between rows (it is the profile's, and
    /// repeated only so that each row reads on its own).
    pub fn parse(name: &str, csv: &str) -> Result<Self, ReferenceError> {
        let errors = Errors { file: name };
        let mut expected = vec!["day_type".to_owned(), "base_share_permille".to_owned()];
        expected.extend((0..HOURS).map(|h| format!("h{h:02}")));
        let mut lines = records(csv);
        check_header(&errors, lines.next(), &expected)?;
        let mut rows: [Option<(usize, [u32; HOURS])>; 3] = [None; 3];
        let mut base: Option<(usize, i64)> = None;
        for (line, fields) in lines {
            check_count(&errors, line, &fields, expected.len())?;
            let day_type = parse_day_type(&errors, line, fields[0])?;
            let share = parse_integer(&errors, line, "base_share_permille", fields[1], 0..=1000)?;
            match base {
                Some((first, value)) if value != share => {
                    return Err(errors.at(
                        line,
                        "base_share_permille",
                        ReferenceErrorKind::BadValue,
                        format!("{share} differs from the {value} of line {first}: the base share is the profile's"),
                    ));
                }
                Some(_) => {}
                None => base = Some((line, share)),
            }
            let mut weights = [0u32; HOURS];
            for (h, weight) in weights.iter_mut().enumerate() {
                *weight = parse_weight(&errors, line, &expected[h + 2], fields[h + 2])?;
            }
            let slot = &mut rows[day_type_index(day_type)];
            if let Some((first, _)) = slot {
                return Err(errors.at(
                    line,
                    "day_type",
                    ReferenceErrorKind::DuplicateRow,
                    format!("{day_type} is already given on line {first}"),
                ));
            }
            *slot = Some((line, weights));
        }
        let mut complete = [[0u32; HOURS]; 3];
        for (i, row) in rows.into_iter().enumerate() {
            let Some((_, weights)) = row else {
                return Err(errors.at(
                    0,
                    DayType::ALL[i].as_str(),
                    ReferenceErrorKind::MissingRow,
                    "no row for this day type; the profile needs weekday, saturday and sunday".to_owned(),
                ));
            };
            complete[i] = weights;
        }
        // Three rows were read, so a base share was.
        let base_permille = base.map_or(0, |(_, value)| value as u16);
        Ok(GasProfile { name: name.to_owned(), base_permille, rows: complete })
    }

    /// The name the profile was parsed under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The share of the yearly consumption that does not depend on the weather, in ‰.
    pub fn base_share_permille(&self) -> u16 {
        self.base_permille
    }

    /// A day's share of its year as an exact fraction `(numerator, denominator)`; the
    /// denominator is the same for every day of a year, so shares of one year add as
    /// numerators.
    fn share(&self, day: Date, degree_days: &DegreeDays) -> Result<(u128, u128), MissingDegreeDays> {
        let year_total = u128::from(degree_days.year_tenths(day.year())?);
        let days_in_year = day.days_in_year() as u128;
        if year_total == 0 {
            return Ok((1, days_in_year));
        }
        let today = u128::from(degree_days.tenths(day)?);
        let base = u128::from(self.base_permille);
        Ok((base * year_total + (1000 - base) * days_in_year * today, 1000 * days_in_year * year_total))
    }

    /// The share of its year's consumption expected on `day`, from the degree-days of its
    /// calendar year (see the module documentation); the shares of a year add up to one.
    /// Needs the whole year in `degree_days`.
    pub fn day_share(&self, day: Date, degree_days: &DegreeDays) -> Result<f64, MissingDegreeDays> {
        let (numerator, denominator) = self.share(day, degree_days)?;
        Ok(numerator as f64 / denominator as f64)
    }

    /// The consumption in Wh expected over the local days `from..to` (`to` excluded) for a
    /// point consuming `yearly_wh` a year: the sum of the days' shares times `yearly_wh`,
    /// rounded to the nearest Wh once per calendar year touched. Needs the degree-days of
    /// every such year in full; zero for an empty period.
    pub fn expected_wh(
        &self,
        yearly_wh: i64,
        from: Date,
        to: Date,
        degree_days: &DegreeDays,
    ) -> Result<i64, MissingDegreeDays> {
        let mut parts: Vec<(i16, u128, u128)> = Vec::new();
        for day in days(from, to) {
            let (numerator, denominator) = self.share(day, degree_days)?;
            match parts.last_mut() {
                Some((year, part, _)) if *year == day.year() => *part += numerator,
                _ => parts.push((day.year(), numerator, denominator)),
            }
        }
        Ok(parts.into_iter().fold(0i64, |sum, (_, part, denominator)| {
            sum.saturating_add(scale(yearly_wh, part, denominator))
        }))
    }

    /// The hourly weights of a local day, one per hour of its [`DayLayout`] on gas offtake
    /// (23, 24 or 25), in mWh for a point consuming 1 MWh a year: the day's share of the year
    /// shared among its hours by the day type's shape, adding up to the day's mWh exactly.
    /// A short or long day keeps its share: the weather, not the clock, decides a gas day.
    pub fn day_weights(&self, day: Date, degree_days: &DegreeDays) -> Result<Vec<u32>, MissingDegreeDays> {
        let (numerator, denominator) = self.share(day, degree_days)?;
        let day_milli_wh = scale(REFERENCE_YEAR_MILLI_WH as i64, numerator, denominator);
        let row = &self.rows[day_type_index(DayType::of(day))];
        let shape: Vec<u64> =
            slots(Channel::GasOfftake, day, 1).into_iter().map(|h| u64::from(row[h])).collect();
        // A day has hours and positive weights, so sharing cannot fail; each share is at most
        // the day's mWh, itself at most 10⁹, so it fits a u32.
        let shares = distribute(day_milli_wh, &shape).unwrap_or_default();
        Ok(shares.into_iter().map(|s| u32::try_from(s).unwrap_or(u32::MAX)).collect())
    }

    /// The hourly weights of the days `from..to` end to end, for [`fill_to_index`] on a gas
    /// point: one per interval, in order.
    ///
    /// [`fill_to_index`]: super::fill_to_index
    pub fn weights_for_days(
        &self,
        from: Date,
        to: Date,
        degree_days: &DegreeDays,
    ) -> Result<Vec<u32>, MissingDegreeDays> {
        let mut weights = Vec::new();
        for day in days(from, to) {
            weights.extend(self.day_weights(day, degree_days)?);
        }
        Ok(weights)
    }

    /// The [`HeatingModel`] this profile implies for a point consuming `yearly_wh` in `year`:
    /// the base share spread evenly over the year's days, the rest over its degree-days. It
    /// predicts the same yearly consumption as the profile (up to rounding), for the validation
    /// of a gas point without a fitted model of its own.
    pub fn heating_model(
        &self,
        yearly_wh: i64,
        year: i16,
        degree_days: &DegreeDays,
    ) -> Result<HeatingModel, MissingDegreeDays> {
        let year_tenths = u128::from(degree_days.year_tenths(year)?);
        let days_in_year = year_start(year).days_in_year() as u128;
        if year_tenths == 0 {
            return Ok(HeatingModel {
                base_wh_per_day: scale(yearly_wh, 1, days_in_year),
                wh_per_degree_day: 0,
            });
        }
        let base = u128::from(self.base_permille);
        Ok(HeatingModel {
            base_wh_per_day: scale(yearly_wh, base, 1000 * days_in_year),
            // Degree-days are kept in tenths: per whole degree-day is ten tenths.
            wh_per_degree_day: scale(yearly_wh, (1000 - base) * 10, 1000 * year_tenths),
        })
    }
}

/// A contiguous daily series of heating degree-days (16.5 °C base), kept in tenths as the
/// file writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DegreeDays {
    first: Date,
    last: Date,
    tenths: Vec<u32>,
}

/// Degree-days with at most one decimal, in tenths: `Err` holds the kind and the reason.
fn parse_tenths(text: &str) -> Result<u32, (ReferenceErrorKind, String)> {
    let bad =
        || (ReferenceErrorKind::BadNumber, format!("`{text}` is not a number with at most one decimal"));
    if let Some(rest) = text.strip_prefix('-') {
        return Err(match parse_tenths(rest) {
            Ok(_) => {
                (ReferenceErrorKind::Negative, format!("{text} is negative: degree-days are never below 0"))
            }
            Err(_) => bad(),
        });
    }
    let (whole, decimal) = text.split_once('.').unwrap_or((text, "0"));
    let digits =
        |s: &str, most: usize| !s.is_empty() && s.len() <= most && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole, 4) || !digits(decimal, 1) {
        return Err(bad());
    }
    let value = whole.parse::<u32>().map_err(|_| bad())? * 10 + decimal.parse::<u32>().map_err(|_| bad())?;
    if value > MAX_DEGREE_DAY_TENTHS {
        return Err((
            ReferenceErrorKind::BadValue,
            format!("{text} is above {}: a unit mistake, not weather", MAX_DEGREE_DAY_TENTHS / 10),
        ));
    }
    Ok(value)
}

impl DegreeDays {
    /// Parses a series file (`day,degree_days`, one line per day in order, values with at
    /// most one decimal), refusing a gap, a repeated or backward day, a negative value, or a
    /// malformed line, each with its line number. `name` only names the file in errors.
    pub fn parse(name: &str, csv: &str) -> Result<Self, ReferenceError> {
        let errors = Errors { file: name };
        let mut lines = records(csv);
        check_header(&errors, lines.next(), &["day".to_owned(), "degree_days".to_owned()])?;
        let mut series: Option<(Date, Date)> = None;
        let mut tenths = Vec::new();
        for (line, fields) in lines {
            check_count(&errors, line, &fields, 2)?;
            let day: Date = fields[0].parse().map_err(|_| {
                errors.at(
                    line,
                    "day",
                    ReferenceErrorKind::BadDate,
                    format!("`{}` is not an ISO date (YYYY-MM-DD)", fields[0]),
                )
            })?;
            if let Some((_, previous)) = series {
                let expected = previous.tomorrow().ok();
                if Some(day) != expected {
                    let (kind, reason) = if day == previous {
                        (ReferenceErrorKind::DuplicateRow, format!("{day} is given twice"))
                    } else if day < previous {
                        (ReferenceErrorKind::OutOfOrder, format!("{day} comes after {previous}"))
                    } else {
                        (
                            ReferenceErrorKind::GapInSeries,
                            format!("{day} follows {previous}: the days between are missing"),
                        )
                    };
                    return Err(errors.at(line, "day", kind, reason));
                }
            }
            let value = parse_tenths(fields[1])
                .map_err(|(kind, reason)| errors.at(line, "degree_days", kind, reason))?;
            tenths.push(value);
            series = Some((series.map_or(day, |(first, _)| first), day));
        }
        let Some((first, last)) = series else {
            return Err(errors.at(0, "day", ReferenceErrorKind::Empty, "no day in the series".to_owned()));
        };
        Ok(DegreeDays { first, last, tenths })
    }

    /// The series' first day.
    pub fn first(&self) -> Date {
        self.first
    }

    /// The series' last day.
    pub fn last(&self) -> Date {
        self.last
    }

    fn missing(&self, day: Date) -> MissingDegreeDays {
        MissingDegreeDays { day, first: self.first, last: self.last }
    }

    /// The position of `day` in the series, if the series covers it.
    fn index(&self, day: Date) -> Option<usize> {
        let offset = day.duration_since(self.first).as_secs().div_euclid(86_400);
        usize::try_from(offset).ok().filter(|&i| i < self.tenths.len())
    }

    fn tenths(&self, day: Date) -> Result<u32, MissingDegreeDays> {
        self.index(day).map(|i| self.tenths[i]).ok_or_else(|| self.missing(day))
    }

    /// The degree-days of a calendar year, in tenths, refusing a year the series does not
    /// cover in full (naming its first day missing): a share of a partial year would not be a
    /// share of the year.
    fn year_tenths(&self, year: i16) -> Result<u64, MissingDegreeDays> {
        let first = year_start(year);
        if first < self.first {
            return Err(self.missing(first));
        }
        if first.last_of_year() > self.last {
            return Err(self.missing(first.max(self.last.tomorrow().unwrap_or(first))));
        }
        let from = self.index(first).ok_or_else(|| self.missing(first))?;
        let year_days = self.tenths.get(from..from + first.days_in_year() as usize);
        Ok(year_days.ok_or_else(|| self.missing(first))?.iter().map(|&t| u64::from(t)).sum())
    }

    /// The degree-days of `day`, if the series covers it.
    pub fn get(&self, day: Date) -> Option<f64> {
        self.tenths(day).ok().map(|t| f64::from(t) / 10.0)
    }

    /// The degree-days of the days `from..to` (`to` excluded), one per day, for
    /// [`HeatingModel::expected_wh`]; refuses a period the series does not cover in full,
    /// naming the first day missing. Empty for an empty period.
    pub fn range(&self, from: Date, to: Date) -> Result<Vec<f64>, MissingDegreeDays> {
        days(from, to).map(|d| self.tenths(d).map(|t| f64::from(t) / 10.0)).collect()
    }

    /// The degree-days of a calendar year, refusing a year not covered in full (a year outside
    /// the range of [`Date`] is clamped to it).
    pub fn year_total(&self, year: i16) -> Result<f64, MissingDegreeDays> {
        self.year_tenths(year).map(|t| t as f64 / 10.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i16, m: i8, d: i8) -> Date {
        Date::constant(y, m, d)
    }

    /// An electricity profile file whose weight for (month, day type, slot) is `weight`.
    fn electricity_csv(weight: impl Fn(usize, DayType, usize) -> u32) -> String {
        let mut csv = String::from("month,day_type");
        (0..96).for_each(|q| csv.push_str(&format!(",w{q:02}")));
        csv.push('\n');
        for month in 1..=12 {
            for day_type in DayType::ALL {
                csv.push_str(&format!("{month},{day_type}"));
                (0..96).for_each(|q| csv.push_str(&format!(",{}", weight(month, day_type, q))));
                csv.push('\n');
            }
        }
        csv
    }

    /// A weight that says where it comes from: month, day type and slot.
    fn telling(month: usize, day_type: DayType, slot: usize) -> u32 {
        (month * 10_000 + day_type_index(day_type) * 1_000 + slot + 1) as u32
    }

    fn gas_csv(base: [u32; 3]) -> String {
        let mut csv = String::from("day_type,base_share_permille");
        (0..24).for_each(|h| csv.push_str(&format!(",h{h:02}")));
        csv.push('\n');
        for (i, day_type) in DayType::ALL.into_iter().enumerate() {
            csv.push_str(&format!("{day_type},{}", base[i]));
            (0..24).for_each(|h| csv.push_str(&format!(",{}", 100 + h + 10 * i)));
            csv.push('\n');
        }
        csv
    }

    /// Degree-days from `from` for `count` days, colder in winter.
    fn degree_days_csv(from: Date, count: usize) -> String {
        let mut csv = String::from("day,degree_days\n");
        for (i, day) in std::iter::successors(Some(from), |d| d.tomorrow().ok()).take(count).enumerate() {
            let winter = (day.month() as i32 - 7).unsigned_abs();
            csv.push_str(&format!("{day},{}.{}\n", winter * 2, i % 10));
        }
        csv
    }

    /// Replaces field `column` (0-based) of line `line` (1-based) of a CSV text.
    fn with_field(csv: &str, line: usize, column: usize, value: &str) -> String {
        let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
        let mut fields: Vec<&str> = lines[line - 1].split(',').collect();
        fields[column] = value;
        lines[line - 1] = fields.join(",");
        lines.join("\n")
    }

    fn without_line(csv: &str, line: usize) -> String {
        csv.lines().enumerate().filter(|(i, _)| i + 1 != line).map(|(_, l)| l).collect::<Vec<_>>().join("\n")
    }

    /// Parses with `parse` and checks the refusal's code, line and field.
    fn check<T: fmt::Debug>(parsed: Result<T, ReferenceError>, code: &str, line: usize, field: &str) {
        let error = parsed.expect_err("the file is faulty");
        assert_eq!((error.code(), error.line, error.field.as_str()), (code, line, field), "{error}");
    }

    #[test]
    fn electricity_files_are_refused_with_line_and_field() {
        let good = electricity_csv(telling);
        assert!(ElectricityProfile::parse("test", &good).is_ok());
        check(
            ElectricityProfile::parse("test", "month,day_type,w00\n1,weekday,5\n"),
            "bad_header",
            1,
            "header",
        );
        check(ElectricityProfile::parse("test", &good.replacen("w17", "w18", 1)), "bad_header", 1, "header");
        check(ElectricityProfile::parse("test", ""), "bad_header", 1, "header");
        // Line 2 is January weekdays; line 9 is March Saturdays.
        check(
            ElectricityProfile::parse("test", &without_line(&good, 9)),
            "missing_row",
            0,
            "month 3, saturday",
        );
        let repeated = format!("{good}{}\n", good.lines().nth(8).expect("line 9"));
        check(ElectricityProfile::parse("test", &repeated), "duplicate_row", 38, "month,day_type");
        let error =
            ElectricityProfile::parse("test", &with_field(&good, 5, 14, "abc")).expect_err("not a number");
        assert_eq!(error.code(), "bad_number");
        assert_eq!(error.to_string(), "test line 5: w12: `abc` is not a whole number");
        check(ElectricityProfile::parse("test", &with_field(&good, 5, 14, "0")), "not_positive", 5, "w12");
        check(ElectricityProfile::parse("test", &with_field(&good, 5, 14, "-3")), "not_positive", 5, "w12");
        check(ElectricityProfile::parse("test", &with_field(&good, 5, 0, "13")), "bad_value", 5, "month");
        check(
            ElectricityProfile::parse("test", &with_field(&good, 5, 1, "holiday")),
            "bad_value",
            5,
            "day_type",
        );
        let short = good.replacen(",10096\n", "\n", 1);
        check(ElectricityProfile::parse("test", &short), "field_count", 2, "line");
    }

    #[test]
    fn daylight_saving_days_skip_or_repeat_the_hour_from_two() {
        let profile = ElectricityProfile::parse("test", &electricity_csv(telling)).expect("valid");
        let sunday = |month: usize, slot: usize| telling(month, DayType::Sunday, slot);
        let spring = profile.day_weights(date(2026, 3, 29));
        assert_eq!(spring.len(), 92);
        assert_eq!(spring[7], sunday(3, 7), "01:45");
        assert_eq!(spring[8], sunday(3, 12), "03:00 follows 01:45");
        let autumn = profile.day_weights(date(2026, 10, 25));
        assert_eq!(autumn.len(), 100);
        let repeated: Vec<u32> = (8..12).map(|s| sunday(10, s)).collect();
        assert_eq!(autumn[8..12], repeated[..], "02:00 summer time");
        assert_eq!(autumn[12..16], repeated[..], "02:00 winter time");
        assert_eq!(autumn[16], sunday(10, 12));
        assert_eq!(profile.day_weights(date(2026, 10, 26)).len(), 96);
        let full: u64 = (0..96).map(|s| u64::from(sunday(3, s))).sum();
        let skipped: u64 = (8..12).map(|s| u64::from(sunday(3, s))).sum();
        assert_eq!(profile.day_total(date(2026, 3, 29)), full - skipped);
    }

    #[test]
    fn a_holiday_takes_the_sunday_row() {
        let profile = ElectricityProfile::parse("test", &electricity_csv(telling)).expect("valid");
        let row = |day_type| (0..96).map(|s| telling(7, day_type, s)).collect::<Vec<_>>();
        assert_eq!(profile.day_weights(date(2026, 7, 21)), row(DayType::Sunday), "a Tuesday holiday");
        assert_eq!(profile.day_weights(date(2026, 7, 22)), row(DayType::Weekday));
        assert_eq!(profile.day_weights(date(2026, 7, 25)), row(DayType::Saturday));
    }

    #[test]
    fn expected_consumption_adds_up_to_the_year() {
        let profile = ElectricityProfile::parse("test", &electricity_csv(telling)).expect("valid");
        for yearly in [3_500_000, 1, 0, -2_000_000, 987_654_321] {
            assert_eq!(profile.expected_wh(yearly, date(2026, 1, 1), date(2027, 1, 1)), yearly);
            assert_eq!(profile.expected_wh(yearly, date(2024, 1, 1), date(2026, 1, 1)), 2 * yearly);
            let halves = profile.expected_wh(yearly, date(2026, 1, 1), date(2026, 7, 1))
                + profile.expected_wh(yearly, date(2026, 7, 1), date(2027, 1, 1));
            assert!((halves - yearly).abs() <= 1, "{halves} for {yearly}");
        }
        assert_eq!(profile.expected_wh(1_000, date(2026, 5, 1), date(2026, 5, 1)), 0);
        assert_eq!(profile.expected_wh(1_000, date(2026, 5, 2), date(2026, 5, 1)), 0);
        // Summer days weigh less than winter days in this profile, by month.
        let january = profile.expected_wh(3_650_000, date(2026, 1, 5), date(2026, 1, 6));
        let july = profile.expected_wh(3_650_000, date(2026, 7, 6), date(2026, 7, 7));
        assert!(january < july, "weights grow with the month here: {january} {july}");
        let year = profile.profile_for_days(date(2026, 1, 1), date(2027, 1, 1)).expect("a year");
        assert_eq!(year.len(), 365 * 96);
        assert_eq!(profile.profile_for_days(date(2026, 1, 2), date(2026, 1, 1)), Err(ProfileError::NoWeight));
        let weeks = profile.profile_for_days(date(2026, 3, 23), date(2026, 4, 6)).expect("two weeks");
        assert_eq!(weeks.len(), 14 * 96 - 4);
    }

    #[test]
    fn gas_files_are_refused_with_line_and_field() {
        assert!(GasProfile::parse("gas", &gas_csv([150; 3])).is_ok());
        check(GasProfile::parse("gas", &gas_csv([150, 150, 200])), "bad_value", 4, "base_share_permille");
        check(GasProfile::parse("gas", &gas_csv([1001; 3])), "bad_value", 2, "base_share_permille");
        check(GasProfile::parse("gas", &without_line(&gas_csv([150; 3]), 3)), "missing_row", 0, "saturday");
        check(
            GasProfile::parse("gas", &with_field(&gas_csv([150; 3]), 3, 0, "weekday")),
            "duplicate_row",
            3,
            "day_type",
        );
        check(
            GasProfile::parse("gas", &with_field(&gas_csv([150; 3]), 2, 25, "1e3")),
            "bad_number",
            2,
            "h23",
        );
        check(
            GasProfile::parse("gas", &gas_csv([150; 3]).replacen("h00", "hour00", 1)),
            "bad_header",
            1,
            "header",
        );
    }

    #[test]
    fn degree_day_series_are_refused_with_line_and_field() {
        let good = degree_days_csv(date(2025, 12, 30), 10);
        let series = DegreeDays::parse("dd", &good).expect("valid");
        assert_eq!((series.first(), series.last()), (date(2025, 12, 30), date(2026, 1, 8)));
        assert_eq!(series.get(date(2025, 12, 31)), Some(10.1));
        assert_eq!(series.get(date(2026, 1, 9)), None);
        assert_eq!(series.get(date(2025, 12, 29)), None);
        check(DegreeDays::parse("dd", &without_line(&good, 5)), "gap_in_series", 5, "day");
        check(DegreeDays::parse("dd", &with_field(&good, 5, 0, "2026-01-01")), "duplicate_row", 5, "day");
        check(DegreeDays::parse("dd", &with_field(&good, 5, 0, "2025-12-01")), "out_of_order", 5, "day");
        check(DegreeDays::parse("dd", &with_field(&good, 5, 0, "2026-1-2")), "bad_date", 5, "day");
        check(DegreeDays::parse("dd", &with_field(&good, 5, 1, "-1.0")), "negative", 5, "degree_days");
        check(DegreeDays::parse("dd", &with_field(&good, 5, 1, "1.25")), "bad_number", 5, "degree_days");
        check(DegreeDays::parse("dd", &with_field(&good, 5, 1, "x")), "bad_number", 5, "degree_days");
        check(DegreeDays::parse("dd", &with_field(&good, 5, 1, "120.0")), "bad_value", 5, "degree_days");
        check(DegreeDays::parse("dd", "day,degree_days\n"), "empty", 0, "day");
        check(DegreeDays::parse("dd", "day,degree_days\n2026-01-01,1.0,2\n"), "field_count", 2, "line");
        assert_eq!(
            series.range(date(2026, 1, 7), date(2026, 1, 11)),
            Err(MissingDegreeDays {
                day: date(2026, 1, 9),
                first: date(2025, 12, 30),
                last: date(2026, 1, 8)
            })
        );
        assert_eq!(series.range(date(2026, 1, 7), date(2026, 1, 9)), Ok(vec![12.8, 12.9]));
        let error = series.year_total(2026).expect_err("a partial year");
        assert_eq!(error.day, date(2026, 1, 9));
        assert_eq!(
            error.to_string(),
            "degree_days: no value for 2026-01-09, the series covers 2025-12-30 to 2026-01-08"
        );
        assert_eq!(series.year_total(2025).expect_err("a partial year").day, date(2025, 1, 1));
    }

    #[test]
    fn gas_follows_the_degree_days_of_its_year() {
        let profile = GasProfile::parse("gas", &gas_csv([150; 3])).expect("valid");
        let series = DegreeDays::parse("dd", &degree_days_csv(date(2025, 12, 1), 500)).expect("valid");
        let (from, to) = (date(2026, 1, 1), date(2027, 1, 1));
        for yearly in [15_000_000, 1, 0, -7] {
            assert_eq!(profile.expected_wh(yearly, from, to, &series), Ok(yearly));
        }
        let shares: f64 = days(from, to).map(|d| profile.day_share(d, &series).expect("covered")).sum();
        assert!((shares - 1.0).abs() < 1e-9, "{shares}");
        let cold = profile.day_share(date(2026, 1, 15), &series).expect("covered");
        let warm = profile.day_share(date(2026, 7, 15), &series).expect("covered");
        assert!(cold > 5.0 * warm, "{cold} {warm}");
        assert!(warm >= 0.15 / 365.0, "a day keeps its base");
        assert_eq!(
            profile.expected_wh(1_000, date(2025, 12, 31), from, &series).expect_err("2025 is partial").day,
            date(2025, 1, 1)
        );

        // Hours follow the local day: 23 and 25 on the changes, adding up to the day's share.
        for (day, hours) in [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 10, 26), 24)] {
            let weights = profile.day_weights(day, &series).expect("covered");
            assert_eq!(weights.len(), hours, "{day}");
            let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
            let share = profile.day_share(day, &series).expect("covered");
            assert_eq!(total, (share * REFERENCE_YEAR_MILLI_WH as f64).round() as u64, "{day}");
        }
        let year: Vec<u32> = profile.weights_for_days(from, to, &series).expect("covered");
        assert_eq!(year.len(), 365 * 24);
        let total: u64 = year.iter().map(|&w| u64::from(w)).sum();
        assert!(total.abs_diff(REFERENCE_YEAR_MILLI_WH) <= 365, "{total}");

        // The heating model predicts the year the profile shares out.
        let model = profile.heating_model(15_000_000, 2026, &series).expect("covered");
        assert_eq!(model.base_wh_per_day, (15_000_000.0_f64 * 0.15 / 365.0).round() as i64);
        let predicted = model.expected_wh(&series.range(from, to).expect("covered"));
        assert!((predicted - 15_000_000).abs() < 1_000, "{predicted}");
    }

    #[test]
    fn a_year_without_degree_days_is_all_base() {
        let profile = GasProfile::parse("gas", &gas_csv([150; 3])).expect("valid");
        let mut csv = String::from("day,degree_days\n");
        for day in days_of_year(2026) {
            csv.push_str(&format!("{day},0.0\n"));
        }
        let series = DegreeDays::parse("dd", &csv).expect("valid");
        assert_eq!(profile.expected_wh(365_000, date(2026, 1, 1), date(2026, 1, 2), &series), Ok(1_000));
        let model = profile.heating_model(365_000, 2026, &series).expect("covered");
        assert_eq!(model, HeatingModel { base_wh_per_day: 1_000, wh_per_degree_day: 0 });
    }

    /// The files the application embeds: each parses, and they say what `data/README.md` says.
    #[test]
    fn the_shipped_files_parse_and_hold_together() {
        let residential = ElectricityProfile::parse(
            "electricity_residential",
            include_str!("../../../../data/profiles/electricity_residential.csv"),
        )
        .expect("the residential electricity profile parses");
        let non_residential = ElectricityProfile::parse(
            "electricity_non_residential",
            include_str!("../../../../data/profiles/electricity_non_residential.csv"),
        )
        .expect("the non-residential electricity profile parses");
        let gas_residential = GasProfile::parse(
            "gas_residential",
            include_str!("../../../../data/profiles/gas_residential.csv"),
        )
        .expect("the residential gas profile parses");
        let gas_non_residential = GasProfile::parse(
            "gas_non_residential",
            include_str!("../../../../data/profiles/gas_non_residential.csv"),
        )
        .expect("the non-residential gas profile parses");
        let degree_days = DegreeDays::parse(
            "degree_days_uccle",
            include_str!("../../../../data/climate/degree_days_uccle.csv"),
        )
        .expect("the degree-day series parses");

        assert_eq!((degree_days.first(), degree_days.last()), (date(2020, 1, 1), date(2027, 12, 31)));
        assert_eq!(
            (gas_residential.base_share_permille(), gas_non_residential.base_share_permille()),
            (150, 250)
        );
        for year in 2020..=2027 {
            let from = date(year, 1, 1);
            let to = date(year + 1, 1, 1);
            assert!(days(from, to).all(|d| degree_days.get(d).is_some()), "{year}");
            let sum = degree_days.year_total(year).expect("a whole year");
            assert!((2_000.0..=2_700.0).contains(&sum), "{year}: {sum} degree-days");
            // A weight is mWh for 1 MWh a year: a year adds up to 10⁹ mWh, within 1 %.
            for profile in [&residential, &non_residential] {
                let total = profile.year_total(year);
                assert!(
                    total.abs_diff(REFERENCE_YEAR_MILLI_WH) < REFERENCE_YEAR_MILLI_WH / 100,
                    "{year}: {total}"
                );
                assert_eq!(profile.expected_wh(3_500_000, from, to), 3_500_000);
            }
            for gas in [&gas_residential, &gas_non_residential] {
                assert_eq!(gas.expected_wh(15_000_000, from, to, &degree_days), Ok(15_000_000));
                let model = gas.heating_model(15_000_000, year, &degree_days).expect("a whole year");
                let predicted = model.expected_wh(&degree_days.range(from, to).expect("a whole year"));
                assert!((predicted - 15_000_000).abs() < 2_000, "{year}: {predicted}");
            }
        }
        // Winter weighs more than summer, on the same weekday.
        let (january, july) = (date(2026, 1, 14), date(2026, 7, 15));
        assert!(residential.day_total(january) > residential.day_total(july) * 14 / 10);
        assert!(non_residential.day_total(january) > non_residential.day_total(july));
        // Offices work on weekdays: a Wednesday weighs more than the Sunday after.
        assert!(non_residential.day_total(july) > 2 * non_residential.day_total(date(2026, 7, 19)));
        assert!(
            gas_residential.day_share(january, &degree_days).expect("covered")
                > gas_residential.day_share(july, &degree_days).expect("covered")
        );
        assert_eq!(residential.day_weights(date(2026, 3, 29)).len(), 92);
        assert_eq!(gas_residential.day_weights(date(2026, 10, 25), &degree_days).map(|w| w.len()), Ok(25));
    }
}
