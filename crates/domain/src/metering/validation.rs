//! Validation rules: the checks a reading passes before a supplier bills it, each a pure
//! function returning [`Finding`]s with a stable [`Rule`] code and a reason a validator reads.
//!
//! A finding is not a refusal: the reading is kept, and the finding sends it to a validator's
//! work queue, where a person accepts, corrects, rejects or estimates (a new version of the
//! day). So the rules lean towards flagging, and every threshold is in [`ValidationConfig`],
//! whose defaults say why they were chosen.
//!
//! | code | checks | on |
//! |---|---|---|
//! | `negative_value` | a value below zero | interval day |
//! | `impossible_value` | more energy than the connection can carry, or an index beyond its dial | interval day, index pair |
//! | `meter_rollover` | an index that went past the dial's last value and restarted | index pair |
//! | `index_backwards` | an index lower than the one before, too far to be a rollover | index pair |
//! | `spike` | a value far above both its neighbours | interval day |
//! | `zero_run` | a long run of zeros on an offtake channel | interval day |
//! | `gap` | intervals without a value | interval day, delivered starts |
//! | `duplicate` | an interval delivered more than once | delivered starts |
//! | `sum_mismatch` | intervals summed against the index difference | interval days and index pair |
//! | `outside_history_band` | far from the same period of previous years | a consumption |
//! | `outside_profile_band` | far from a standard load profile's expectation | a consumption |
//! | `outside_degree_day_band` | gas far from what the heating degree-days predict | a consumption |

use std::fmt;
use std::ops::Range;

use jiff::Timestamp;

use super::channel::{Channel, DayLayout, IntervalError};
use super::index::{Dial, IndexError, IndexReading};
use super::interval::{IntervalDay, Quality};
use super::profile::{HeatingModel, Profile, ProfileError};
use crate::access_point::Energy;

/// A validation rule; its [`Rule::code`] is what the work queue, the journal and the API show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// A value below zero: offtake and injection are separate channels, so neither can be
    /// negative.
    NegativeValue,
    /// More than the connection can carry in the interval, or an index the dial cannot show.
    ImpossibleValue,
    /// An index that restarted from zero.
    MeterRollover,
    /// An index lower than the previous one.
    IndexBackwards,
    /// A value far above its neighbours.
    Spike,
    /// A long run of zeros where something always consumes.
    ZeroRun,
    /// Intervals without a value.
    Gap,
    /// An interval delivered twice.
    Duplicate,
    /// The intervals do not add up to the index difference.
    SumMismatch,
    /// Far from the same period of previous years.
    OutsideHistoryBand,
    /// Far from the standard load profile's expectation.
    OutsideProfileBand,
    /// Gas far from what the degree-days predict.
    OutsideDegreeDayBand,
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 12] = [
        Rule::NegativeValue,
        Rule::ImpossibleValue,
        Rule::MeterRollover,
        Rule::IndexBackwards,
        Rule::Spike,
        Rule::ZeroRun,
        Rule::Gap,
        Rule::Duplicate,
        Rule::SumMismatch,
        Rule::OutsideHistoryBand,
        Rule::OutsideProfileBand,
        Rule::OutsideDegreeDayBand,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Rule::NegativeValue => "negative_value",
            Rule::ImpossibleValue => "impossible_value",
            Rule::MeterRollover => "meter_rollover",
            Rule::IndexBackwards => "index_backwards",
            Rule::Spike => "spike",
            Rule::ZeroRun => "zero_run",
            Rule::Gap => "gap",
            Rule::Duplicate => "duplicate",
            Rule::SumMismatch => "sum_mismatch",
            Rule::OutsideHistoryBand => "outside_history_band",
            Rule::OutsideProfileBand => "outside_profile_band",
            Rule::OutsideDegreeDayBand => "outside_degree_day_band",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What a rule found: the rule, the intervals concerned (for a series) and why, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// The interval numbers concerned, for a rule on a day's series.
    pub intervals: Option<Range<usize>>,
    /// The figures behind the finding, for the validator.
    pub reason: String,
}

impl Finding {
    /// The rule's stable code.
    pub fn code(&self) -> &'static str {
        self.rule.code()
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.intervals {
            Some(r) => write!(f, "{} (intervals {}..{}): {}", self.rule, r.start, r.end, self.reason),
            None => write!(f, "{}: {}", self.rule, self.reason),
        }
    }
}

/// What the validation needs to know of the access point: the most power its connection can
/// carry. It belongs to the point (the connection's rating), not to the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection {
    /// The connection's rated power in W (for gas, the meter's maximum flow as power).
    pub max_power_w: i64,
}

/// A band around a reference value, in percent of it: a value inside `[low, high]` % passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    /// The lowest acceptable value, in percent of the reference.
    pub low_percent: u32,
    /// The highest acceptable value, in percent of the reference.
    pub high_percent: u32,
}

impl Band {
    /// Whether `value` lies in the band around `reference`.
    pub fn contains(self, value: i64, reference: i64) -> bool {
        let value = i128::from(value) * 100;
        let reference = i128::from(reference);
        reference * i128::from(self.low_percent) <= value
            && value <= reference * i128::from(self.high_percent)
    }
}

impl fmt::Display for Band {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{} %", self.low_percent, self.high_percent)
    }
}

/// The thresholds of the rules. Every default is a starting point the metering team tunes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidationConfig {
    /// How far above the connection's rated power an interval may go before it is impossible,
    /// in percent. Default 10: breakers tolerate short overloads and meters have a class
    /// error of a few percent, but a quarter-hour at more than 110 % of rating would have
    /// tripped the connection.
    pub power_margin_percent: u32,
    /// A value is a spike when it exceeds this many times the mean of its two neighbours.
    /// Default 10: a kettle or an oven can triple a household's quarter-hour, not multiply
    /// it by ten between two ordinary ones.
    pub spike_factor: u32,
    /// Below this energy per hour of interval, nothing is a spike, whatever the neighbours.
    /// Default 1000 Wh an hour (250 Wh a quarter-hour): tiny loads next to zeros would
    /// otherwise all be spikes.
    pub spike_floor_wh_per_hour: i64,
    /// A run of zeros at least this long on electricity offtake is flagged. Default 360
    /// minutes: the standby load of an occupied dwelling (fridge, router, boiler electronics)
    /// never lets six hours of quarter-hours read zero.
    pub zero_run_minutes: u32,
    /// The same for gas. Default 1440 (a whole day): gas can rest for hours between heating
    /// cycles, and a heating-only point rests all summer, for which the caller does not run
    /// the rule.
    pub gas_zero_run_minutes: u32,
    /// How far intervals may sum from the index difference, in Wh. Default 1000: a register
    /// shows whole kWh, so two readings can each be up to 1 kWh from the truth.
    pub sum_tolerance_wh: i64,
    /// And in thousandths of the index difference, whichever is larger. Default 10 (1 %), the
    /// accuracy class of the meters.
    pub sum_tolerance_per_mille: u32,
    /// A decrease is read as a rollover only if the wrapped advance is below this share of the
    /// dial, in thousandths. Default 100: a meter that really went round reads a small
    /// advance; a large wrapped advance is an index typed wrong.
    pub rollover_max_per_mille: u32,
    /// The history band, in percent of the mean of previous years for the same period.
    /// Default 50–200: households change (a baby, a heat pump, a long absence) but halving
    /// or doubling deserves a look.
    pub history_band: Band,
    /// The band around a standard load profile's expectation, in percent. Default 40–250: a
    /// profile describes an average household, so single points scatter far more than
    /// around their own history.
    pub profile_band: Band,
    /// The band around a heating model's prediction from degree-days, in percent. Default
    /// 60–160: the model is fitted on the point's own history, so it is tighter than a profile.
    pub degree_day_band: Band,
}

impl Default for ValidationConfig {
    fn default() -> Self {
        ValidationConfig {
            power_margin_percent: 10,
            spike_factor: 10,
            spike_floor_wh_per_hour: 1000,
            zero_run_minutes: 360,
            gas_zero_run_minutes: 1440,
            sum_tolerance_wh: 1000,
            sum_tolerance_per_mille: 10,
            rollover_max_per_mille: 100,
            history_band: Band { low_percent: 50, high_percent: 200 },
            profile_band: Band { low_percent: 40, high_percent: 250 },
            degree_day_band: Band { low_percent: 60, high_percent: 160 },
        }
    }
}

/// The maximal runs of intervals for which `flagged` holds.
fn runs(day: &IntervalDay, flagged: impl Fn(usize) -> bool) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for i in 0..=day.intervals().len() {
        match (start, i < day.intervals().len() && flagged(i)) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                out.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    out
}

fn label(day: &IntervalDay, index: usize) -> String {
    day.layout().label(index).unwrap_or_else(|_| format!("interval {index}"))
}

/// `negative_value` and `impossible_value`: values below zero, or above what the connection
/// carries in an interval (rated power × interval length × the margin). Rejected values are
/// judged too: a validator may look at a day again.
pub fn check_values(day: &IntervalDay, connection: Connection, config: &ValidationConfig) -> Vec<Finding> {
    let seconds = i128::from(day.channel().interval_seconds());
    let limit =
        i128::from(connection.max_power_w) * seconds * (100 + i128::from(config.power_margin_percent))
            / (3600 * 100);
    let value = |i: usize| day.intervals()[i].wh();
    let mut findings: Vec<Finding> = runs(day, |i| value(i).is_some_and(|wh| wh < 0))
        .into_iter()
        .map(|r| Finding {
            reason: format!(
                "{} Wh at {}: energy metered on one channel cannot be negative",
                value(r.start).unwrap_or(0),
                label(day, r.start)
            ),
            rule: Rule::NegativeValue,
            intervals: Some(r),
        })
        .collect();
    findings.extend(runs(day, |i| value(i).is_some_and(|wh| i128::from(wh) > limit)).into_iter().map(|r| {
        Finding {
            reason: format!(
                "{} Wh at {}: above the {limit} Wh a {} W connection can carry in one interval",
                value(r.start).unwrap_or(0),
                label(day, r.start),
                connection.max_power_w
            ),
            rule: Rule::ImpossibleValue,
            intervals: Some(r),
        }
    }));
    findings
}

/// `spike`: a usable value more than [`ValidationConfig::spike_factor`] times the mean of its
/// two usable neighbours, and above the floor. The first and last intervals of a day have one
/// neighbour here and are not judged: the day before or after is another row.
pub fn check_spikes(day: &IntervalDay, config: &ValidationConfig) -> Vec<Finding> {
    let floor = config.spike_floor_wh_per_hour.saturating_mul(day.channel().interval_seconds()) / 3600;
    let values = day.intervals();
    let mut findings = Vec::new();
    for i in 1..values.len().saturating_sub(1) {
        let (Some(before), Some(wh), Some(after)) =
            (values[i - 1].usable(), values[i].usable(), values[i + 1].usable())
        else {
            continue;
        };
        let mean = (i128::from(before) + i128::from(after)) / 2;
        let threshold = mean.max(0) * i128::from(config.spike_factor);
        if i128::from(wh) > threshold && wh > floor {
            findings.push(Finding {
                rule: Rule::Spike,
                intervals: Some(i..i + 1),
                reason: format!(
                    "{wh} Wh at {} between {before} and {after} Wh: more than {} times its neighbours",
                    label(day, i),
                    config.spike_factor
                ),
            });
        }
    }
    findings
}

/// `zero_run`: usable zeros lasting at least the configured time on an offtake channel.
/// Run it on points that are energised and occupied: an empty dwelling may be at zero.
pub fn check_zero_runs(day: &IntervalDay, config: &ValidationConfig) -> Vec<Finding> {
    if !day.channel().is_offtake() {
        return Vec::new();
    }
    let minutes = match day.channel().energy() {
        Energy::Electricity => config.zero_run_minutes,
        Energy::Gas => config.gas_zero_run_minutes,
    };
    let interval_minutes = day.channel().interval_seconds() / 60;
    let needed = (i64::from(minutes) / interval_minutes).max(1) as usize;
    runs(day, |i| day.intervals()[i].usable() == Some(0))
        .into_iter()
        .filter(|r| r.len() >= needed)
        .map(|r| Finding {
            reason: format!(
                "{} intervals of 0 Wh from {}: an active point always consumes something over {minutes} minutes",
                r.len(),
                label(day, r.start)
            ),
            rule: Rule::ZeroRun,
            intervals: Some(r),
        })
        .collect()
}

/// `gap`: runs of missing intervals in a day.
pub fn check_gaps(day: &IntervalDay) -> Vec<Finding> {
    runs(day, |i| day.intervals()[i].quality() == Quality::Missing)
        .into_iter()
        .map(|r| Finding {
            reason: format!("{} intervals missing from {}", r.len(), label(day, r.start)),
            rule: Rule::Gap,
            intervals: Some(r),
        })
        .collect()
}

/// `gap` and `duplicate` on what a delivery contained: the start instants received for one
/// channel and local day, before they become a series. Refuses a start that is not an
/// interval boundary of that day: such a row cannot be filed, which is an import error, not a
/// finding.
pub fn check_coverage(
    channel: Channel,
    day: jiff::civil::Date,
    starts: &[Timestamp],
) -> Result<Vec<Finding>, IntervalError> {
    let layout = DayLayout::new(channel, day)?;
    let mut seen = vec![0u32; layout.len()];
    for &at in starts {
        seen[layout.index_of(at)?] += 1;
    }
    let mut findings = Vec::new();
    let mut i = 0;
    while i < seen.len() {
        let count = seen[i];
        let end =
            i + seen[i..].iter().take_while(|&&c| (c == 0) == (count == 0) && (c > 1) == (count > 1)).count();
        let at = layout.label(i).unwrap_or_default();
        if count == 0 {
            findings.push(Finding {
                rule: Rule::Gap,
                intervals: Some(i..end),
                reason: format!("{} intervals not delivered from {at}", end - i),
            });
        } else if count > 1 {
            findings.push(Finding {
                rule: Rule::Duplicate,
                intervals: Some(i..end),
                reason: format!("{} intervals delivered more than once from {at}", end - i),
            });
        }
        i = end;
    }
    Ok(findings)
}

/// The tolerance of the sum rule around an expected total.
fn sum_tolerance(expected: i64, config: &ValidationConfig) -> i64 {
    let relative = i128::from(expected).abs() * i128::from(config.sum_tolerance_per_mille) / 1000;
    config.sum_tolerance_wh.max(relative as i64)
}

/// `sum_mismatch`: the usable intervals of the days between two index readings against the
/// index difference in Wh. Days with missing or rejected intervals are not judged (`None`):
/// the gap is already a finding, and the estimates that fill it are made to match.
pub fn check_sum_against_index(
    days: &[IntervalDay],
    index_difference_wh: i64,
    config: &ValidationConfig,
) -> Option<Finding> {
    let (sum, holes) = days
        .iter()
        .map(IntervalDay::usable_total)
        .fold((0i64, 0usize), |(s, h), (ds, dh)| (s.saturating_add(ds), h + dh));
    if holes > 0 {
        return None;
    }
    let tolerance = sum_tolerance(index_difference_wh, config);
    let off = sum.saturating_sub(index_difference_wh);
    (off.abs() > tolerance).then(|| Finding {
        rule: Rule::SumMismatch,
        intervals: None,
        reason: format!(
            "intervals sum to {sum} Wh, the index difference is {index_difference_wh} Wh: {off:+} Wh, beyond the {tolerance} Wh tolerance"
        ),
    })
}

/// `outside_history_band`: a consumption against the same period of previous years (their
/// consumptions, as many as known). No history, no finding: a new point has nothing to
/// compare with, and the profile rule covers it.
pub fn check_history_band(
    consumption_wh: i64,
    previous_years_wh: &[i64],
    config: &ValidationConfig,
) -> Option<Finding> {
    if previous_years_wh.is_empty() {
        return None;
    }
    let mean =
        previous_years_wh.iter().map(|&v| i128::from(v)).sum::<i128>() / previous_years_wh.len() as i128;
    let mean = mean as i64;
    let band = config.history_band;
    (!band.contains(consumption_wh, mean)).then(|| Finding {
        rule: Rule::OutsideHistoryBand,
        intervals: None,
        reason: format!(
            "{consumption_wh} Wh against a mean of {mean} Wh over {} previous years: outside {band}",
            previous_years_wh.len(),
        ),
    })
}

/// `outside_profile_band`: for a point without interval data, the consumption between two
/// readings against what its standard load profile expects over that range of the profile,
/// given the point's yearly consumption.
pub fn check_profile(
    consumption_wh: i64,
    yearly_wh: i64,
    profile: &Profile,
    range: Range<usize>,
    config: &ValidationConfig,
) -> Result<Option<Finding>, ProfileError> {
    let expected = profile.expected_wh(yearly_wh, range)?;
    let band = config.profile_band;
    Ok((!band.contains(consumption_wh, expected)).then(|| Finding {
        rule: Rule::OutsideProfileBand,
        intervals: None,
        reason: format!(
            "{consumption_wh} Wh where the load profile expects {expected} Wh for {yearly_wh} Wh a year: outside {band}"
        ),
    }))
}

/// `outside_degree_day_band`: a gas consumption against the heating model's prediction from
/// the period's daily heating degree-days.
pub fn check_degree_days(
    consumption_wh: i64,
    degree_days: &[f64],
    model: HeatingModel,
    config: &ValidationConfig,
) -> Option<Finding> {
    let expected = model.expected_wh(degree_days);
    let band = config.degree_day_band;
    (!band.contains(consumption_wh, expected)).then(|| Finding {
        rule: Rule::OutsideDegreeDayBand,
        intervals: None,
        reason: format!(
            "{consumption_wh} Wh where {:.1} degree-days over {} days predict {expected} Wh: outside {band}",
            degree_days.iter().map(|d| d.max(0.0)).sum::<f64>(),
            degree_days.len(),
        ),
    })
}

/// What two successive readings of a register say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexCheck {
    /// How far the register advanced, in thousandths of its unit, when that can be told
    /// (not after an index went backwards).
    pub advance: Option<u64>,
    /// The advance as energy, in Wh.
    pub energy_wh: Option<i64>,
    /// What the rules found.
    pub findings: Vec<Finding>,
}

/// `impossible_value`, `meter_rollover` and `index_backwards` on two successive readings of
/// one register: an index beyond the dial is impossible; a decrease is a rollover when the
/// wrapped advance is small, otherwise the index went backwards; an advance faster than the
/// connection can carry is impossible.
pub fn check_index(
    previous: &IndexReading,
    next: &IndexReading,
    dial: Dial,
    connection: Connection,
    config: &ValidationConfig,
) -> Result<IndexCheck, IndexError> {
    if previous.ean() != next.ean() || previous.register() != next.register() {
        return Err(IndexError::NotComparable {
            first: format!("{} {}", previous.ean(), previous.register()),
            second: format!("{} {}", next.ean(), next.register()),
        });
    }
    if next.at() <= previous.at() {
        return Err(IndexError::OutOfOrder { previous: previous.at(), next: next.at() });
    }
    let modulus = dial.modulus();
    let beyond: Vec<Finding> = [previous, next]
        .into_iter()
        .filter(|r| r.value() >= modulus)
        .map(|r| Finding {
            rule: Rule::ImpossibleValue,
            intervals: None,
            reason: format!("index {} at {} does not fit a {}-digit dial", r.value(), r.at(), dial.digits()),
        })
        .collect();
    if !beyond.is_empty() {
        return Ok(IndexCheck { advance: None, energy_wh: None, findings: beyond });
    }
    let mut findings = Vec::new();
    let advance = if next.value() >= previous.value() {
        Some(next.value() - previous.value())
    } else {
        let wrapped = modulus - previous.value() + next.value();
        if u128::from(wrapped) * 1000 <= u128::from(modulus) * u128::from(config.rollover_max_per_mille) {
            findings.push(Finding {
                rule: Rule::MeterRollover,
                intervals: None,
                reason: format!(
                    "index went from {} to {}: taken as the {}-digit dial going round, an advance of {wrapped}",
                    previous.value(),
                    next.value(),
                    dial.digits()
                ),
            });
            Some(wrapped)
        } else {
            findings.push(Finding {
                rule: Rule::IndexBackwards,
                intervals: None,
                reason: format!(
                    "index went back from {} to {} ({} earlier), too far for the dial to have gone round",
                    previous.value(),
                    next.value(),
                    previous.value() - next.value()
                ),
            });
            None
        }
    };
    let energy_wh = advance.map(|a| next.energy_wh(a));
    if let Some(energy) = energy_wh {
        let seconds = i128::from(next.at().as_second() - previous.at().as_second());
        let limit =
            i128::from(connection.max_power_w) * seconds * (100 + i128::from(config.power_margin_percent))
                / (3600 * 100);
        if i128::from(energy) > limit {
            findings.push(Finding {
                rule: Rule::ImpossibleValue,
                intervals: None,
                reason: format!(
                    "{energy} Wh between {} and {}: above the {limit} Wh a {} W connection can carry",
                    previous.at(),
                    next.at(),
                    connection.max_power_w
                ),
            });
        }
    }
    Ok(IndexCheck { advance, energy_wh, findings })
}
