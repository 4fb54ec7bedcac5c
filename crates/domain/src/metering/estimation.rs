//! Estimation: values for intervals without a usable one, always flagged
//! [`Quality::Estimated`] and always a new version of the day.
//!
//! - A short gap between two measured (or corrected) values is a straight line between them:
//!   over an hour or two a load drifts rather than jumps, and the neighbours are the best
//!   witnesses of that very day. An estimate is never an end of the line, so estimates are not
//!   drawn from estimates.
//! - A longer gap, or one at the edge of the day, follows the standard load profile scaled to
//!   the point's yearly consumption: a straight line over an evening would miss its peak.
//! - When both ends of a period are known by index readings, [`fill_to_index`] shares what
//!   the index says is missing among the holes, so that the estimates plus the measures add up
//!   to the index difference exactly — a supplier bills the index, and a curve that disagreed
//!   with it by a few Wh would be a dispute. Integer Wh do not divide exactly, so the sharing
//!   ([`distribute`]) uses largest-remainder rounding: each gets the floor of its share, and the
//!   Wh left over go one each to the largest remainders.

use super::channel::IntervalError;
use super::interval::{Interval, IntervalDay, Quality};
use super::profile::{Profile, ProfileError};

/// Why an estimate could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EstimationError {
    /// Nothing to share a total among.
    #[error("weights: no interval to share {total} Wh among")]
    NoInterval {
        /// The total to share.
        total: i64,
    },
    /// Weights that are all zero cannot share a non-zero total.
    #[error("weights: all weights are zero, {total} Wh cannot be shared")]
    NoWeight {
        /// The total to share.
        total: i64,
    },
    /// One weight per interval was expected.
    #[error("weights: {expected} intervals in the period, {found} weights given")]
    WeightCount {
        /// Intervals in the period.
        expected: usize,
        /// Weights given.
        found: usize,
    },
    /// The measured intervals already exceed the index difference: nothing is left for the
    /// holes, which is the sum rule's finding, not something an estimate can fix.
    #[error(
        "index_difference: measured intervals sum to {measured} Wh, more than the index difference of {difference} Wh"
    )]
    MeasuredExceedsIndex {
        /// The usable intervals' sum.
        measured: i64,
        /// The index difference.
        difference: i64,
    },
    /// No interval needed an estimate.
    #[error("intervals: every interval already has a usable value")]
    NothingToEstimate,
    /// The profile could not be read over the range asked.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The new version could not be made.
    #[error(transparent)]
    Interval(#[from] IntervalError),
}

impl EstimationError {
    /// The stable code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            EstimationError::NoInterval { .. } => "no_interval",
            EstimationError::NoWeight { .. } => "no_weight",
            EstimationError::WeightCount { .. } => "weight_count",
            EstimationError::MeasuredExceedsIndex { .. } => "measured_exceeds_index",
            EstimationError::NothingToEstimate => "nothing_to_estimate",
            EstimationError::Profile(e) => e.code(),
            EstimationError::Interval(e) => e.code(),
        }
    }
}

/// How estimation chooses between interpolation and the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EstimationConfig {
    /// The longest gap filled by a straight line, in minutes. Default 120: two hours of
    /// quarter-hours (or two hours of gas) follow a drift; beyond, a household's evening peak
    /// or a night setback would be lost.
    pub short_gap_minutes: u32,
}

impl Default for EstimationConfig {
    fn default() -> Self {
        EstimationConfig { short_gap_minutes: 120 }
    }
}

/// A point's standard load profile placed on a day: the profile, the point's yearly
/// consumption, and the profile's index of the day's first interval.
#[derive(Debug, Clone, Copy)]
pub struct ProfileFill<'a> {
    /// The profile, one weight per interval of the reference year.
    pub profile: &'a Profile,
    /// The point's yearly consumption in Wh (its standard annual consumption).
    pub yearly_wh: i64,
    /// The profile index of the day's first interval.
    pub first: usize,
}

/// `n / d` rounded to the nearest integer, halves away from zero.
fn div_round(n: i128, d: i128) -> i128 {
    let q = (n.abs() * 2 + d.abs()) / (2 * d.abs());
    if (n < 0) != (d < 0) { -q } else { q }
}

/// Shares `total` Wh among intervals in proportion to `weights`, so that the shares add up to
/// `total` exactly (largest remainder; ties go to the earlier interval, so the result does
/// not depend on anything but the inputs).
pub fn distribute(total: i64, weights: &[u64]) -> Result<Vec<i64>, EstimationError> {
    if weights.is_empty() {
        return Err(EstimationError::NoInterval { total });
    }
    let weight_sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    if weight_sum == 0 {
        return if total == 0 {
            Ok(vec![0; weights.len()])
        } else {
            Err(EstimationError::NoWeight { total })
        };
    }
    let magnitude = u128::from(total.unsigned_abs());
    let mut shares: Vec<u128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
    for (i, &w) in weights.iter().enumerate() {
        let scaled = magnitude * u128::from(w);
        shares.push(scaled / weight_sum);
        remainders.push((scaled % weight_sum, i));
    }
    let left = magnitude - shares.iter().sum::<u128>();
    // Largest remainder first; among equal remainders, the earlier interval.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take(left as usize) {
        shares[i] += 1;
    }
    // Every share is at most |total|, so it fits an i64 once the sign is back.
    let sign: i128 = if total < 0 { -1 } else { 1 };
    Ok(shares.into_iter().map(|s| (sign * s as i128) as i64).collect())
}

/// A value a straight line may start or end on: measured, or set by a validator. An estimate
/// is not one, so that estimates are never drawn from estimates.
fn anchor(interval: &Interval) -> Option<i64> {
    matches!(interval.quality(), Quality::Measured | Quality::Corrected).then(|| interval.wh()).flatten()
}

/// The next version of a day with its unusable intervals (missing or rejected) estimated:
/// short gaps between two measured (or corrected) values by linear interpolation, the others
/// from the profile if one is given (left as they are otherwise).
pub fn estimate_gaps(
    day: &IntervalDay,
    config: &EstimationConfig,
    profile: Option<ProfileFill<'_>>,
) -> Result<IntervalDay, EstimationError> {
    let values = day.intervals();
    let short = (i64::from(config.short_gap_minutes) / (day.channel().interval_seconds() / 60)) as usize;
    let mut replacements: Vec<(usize, Interval)> = Vec::new();
    let mut start = 0;
    while start < values.len() {
        if values[start].usable().is_some() {
            start += 1;
            continue;
        }
        let end = start + values[start..].iter().take_while(|v| v.usable().is_none()).count();
        let left = start.checked_sub(1).and_then(|i| anchor(&values[i]));
        let right = values.get(end).and_then(anchor);
        let length = end - start;
        match (left, right, profile) {
            (Some(left), Some(right), _) if length <= short => {
                let step = i128::from(right) - i128::from(left);
                for k in 1..=length {
                    let wh = i128::from(left) + div_round(step * k as i128, length as i128 + 1);
                    replacements.push((start + k - 1, Interval::estimated(wh as i64)));
                }
            }
            (_, _, Some(fill)) => {
                let range = fill.first + start..fill.first + end;
                let expected = fill.profile.expected_wh(fill.yearly_wh, range.clone())?;
                let weights: Vec<u64> = fill.profile.weights(range)?.iter().map(|&w| u64::from(w)).collect();
                let shares = distribute(expected, &weights)?;
                replacements.extend(
                    shares.into_iter().enumerate().map(|(k, wh)| (start + k, Interval::estimated(wh))),
                );
            }
            _ => {}
        }
        start = end;
    }
    if replacements.is_empty() {
        return Err(EstimationError::NothingToEstimate);
    }
    Ok(day.corrected(&replacements)?)
}

/// The days between two index readings, each with its unusable intervals estimated so that
/// the usable values of all the days add up to `index_difference_wh` exactly. `weights` holds
/// one weight per interval of the period (the profile over those days, in order); the
/// remainder is shared among the holes by their weights, or evenly if theirs are all zero.
/// Days without holes come back unchanged; the others at their next version.
pub fn fill_to_index(
    days: &[IntervalDay],
    index_difference_wh: i64,
    weights: &[u32],
) -> Result<Vec<IntervalDay>, EstimationError> {
    let expected: usize = days.iter().map(|d| d.intervals().len()).sum();
    if weights.len() != expected {
        return Err(EstimationError::WeightCount { expected, found: weights.len() });
    }
    let measured = days.iter().map(|d| d.usable_total().0).fold(0i64, i64::saturating_add);
    let holes: Vec<(usize, usize, u64)> = days
        .iter()
        .enumerate()
        .flat_map(|(d, day)| day.intervals().iter().enumerate().map(move |(i, v)| (d, i, v)))
        .zip(weights)
        .filter(|((_, _, v), _)| v.usable().is_none())
        .map(|((d, i, _), &w)| (d, i, u64::from(w)))
        .collect();
    if holes.is_empty() {
        return Err(EstimationError::NothingToEstimate);
    }
    let left = index_difference_wh.saturating_sub(measured);
    if left < 0 {
        return Err(EstimationError::MeasuredExceedsIndex { measured, difference: index_difference_wh });
    }
    let mut hole_weights: Vec<u64> = holes.iter().map(|h| h.2).collect();
    if hole_weights.iter().all(|&w| w == 0) {
        hole_weights.iter_mut().for_each(|w| *w = 1);
    }
    let shares = distribute(left, &hole_weights)?;
    let mut per_day: Vec<Vec<(usize, Interval)>> = vec![Vec::new(); days.len()];
    for (&(d, i, _), wh) in holes.iter().zip(shares) {
        per_day[d].push((i, Interval::new(wh, Quality::Estimated)));
    }
    days.iter()
        .zip(per_day)
        .map(
            |(day, replacements)| {
                if replacements.is_empty() { Ok(day.clone()) } else { Ok(day.corrected(&replacements)?) }
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_and_follow_the_weights() {
        assert_eq!(distribute(10, &[1, 1, 1]), Ok(vec![4, 3, 3]));
        assert_eq!(distribute(-10, &[1, 1, 1]), Ok(vec![-4, -3, -3]));
        assert_eq!(distribute(100, &[1, 0, 3]), Ok(vec![25, 0, 75]));
        assert_eq!(distribute(0, &[0, 0]), Ok(vec![0, 0]));
        assert_eq!(distribute(5, &[0, 0]), Err(EstimationError::NoWeight { total: 5 }));
        assert_eq!(distribute(5, &[]), Err(EstimationError::NoInterval { total: 5 }));
        assert_eq!(distribute(i64::MIN, &[1, 1]), Ok(vec![i64::MIN / 2, i64::MIN / 2]));
    }

    #[test]
    fn rounding_is_to_the_nearest() {
        assert_eq!(div_round(5, 2), 3);
        assert_eq!(div_round(-5, 2), -3);
        assert_eq!(div_round(4, 3), 1);
        assert_eq!(div_round(-4, 3), -1);
    }
}
