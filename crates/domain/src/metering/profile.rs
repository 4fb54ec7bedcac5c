//! Reference data the rules and the estimates compare with: a standard load profile and a
//! heating model, given as values so that this crate ships no data files.
//!
//! A standard load profile (SLP) is the shape of a typical year of a class of customers
//! (residential, non-residential; electricity, gas): one weight per interval or per day, whose
//! share of the year's total is the share of the yearly consumption expected then. Where the
//! profiles come from (synthesised or taken from a published set) is the data's concern; the
//! rules only need the weights.

use std::ops::Range;

/// Why reference data was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// A profile with no weight at all cannot share anything out.
    #[error("weights: a profile needs at least one positive weight")]
    NoWeight,
    /// A range of a profile past its end.
    #[error("range: {start}..{end} is outside the profile's {len} weights")]
    Range {
        /// Start asked for.
        start: usize,
        /// End asked for.
        end: usize,
        /// Weights in the profile.
        len: usize,
    },
}

impl ProfileError {
    /// The stable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            ProfileError::NoWeight => "profile_without_weight",
            ProfileError::Range { .. } => "profile_range",
        }
    }
}

/// The weights of a standard load profile over a reference year, with their total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    weights: Vec<u32>,
    total: u64,
}

impl Profile {
    /// A profile of these weights (one per interval or per day of the year, in order); refuses
    /// one whose weights are all zero.
    pub fn new(weights: Vec<u32>) -> Result<Self, ProfileError> {
        let total = weights.iter().map(|&w| u64::from(w)).sum();
        if total == 0 {
            return Err(ProfileError::NoWeight);
        }
        Ok(Profile { weights, total })
    }

    /// How many weights.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// Always false: a profile has a positive weight.
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// The weights of a range, refusing one past the end.
    pub fn weights(&self, range: Range<usize>) -> Result<&[u32], ProfileError> {
        let (start, end, len) = (range.start, range.end, self.weights.len());
        self.weights.get(range).ok_or(ProfileError::Range { start, end, len })
    }

    /// The consumption expected over `range` for a point consuming `yearly_wh` a year:
    /// `yearly_wh × Σ weights[range] / Σ weights`, rounded to the nearest Wh.
    pub fn expected_wh(&self, yearly_wh: i64, range: Range<usize>) -> Result<i64, ProfileError> {
        let part: u64 = self.weights(range)?.iter().map(|&w| u64::from(w)).sum();
        let scaled = i128::from(yearly_wh) * i128::from(part);
        let total = i128::from(self.total);
        // Round half away from zero, in integers so that the same inputs give the same Wh on
        // every machine.
        let rounded = (scaled.abs() * 2 + total) / (2 * total) * scaled.signum();
        Ok(rounded.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
    }
}

/// How a gas point's consumption follows the weather: a base (cooking, hot water) and a part
/// proportional to heating degree-days, fitted on the point's history by whoever supplies it.
///
/// Degree-days are counted the Belgian way, on a 16.5 °C base (the gas market's "degrés-jours
/// 16.5/16.5"): a day averaging 6.5 °C counts 10.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeatingModel {
    /// Wh consumed a day whatever the weather.
    pub base_wh_per_day: i64,
    /// Wh consumed per degree-day.
    pub wh_per_degree_day: i64,
}

impl HeatingModel {
    /// The consumption expected over days with these degree-days (one value per day).
    pub fn expected_wh(&self, degree_days: &[f64]) -> i64 {
        let heating: f64 = degree_days.iter().map(|d| d.max(0.0)).sum();
        let base = self.base_wh_per_day.saturating_mul(degree_days.len() as i64);
        base.saturating_add((heating * self.wh_per_degree_day as f64).round() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_consumption_is_the_share_of_the_year() {
        let profile = Profile::new(vec![1, 2, 3, 4]).expect("weights");
        assert_eq!(profile.expected_wh(1000, 0..4), Ok(1000));
        assert_eq!(profile.expected_wh(1000, 3..4), Ok(400));
        assert_eq!(profile.expected_wh(1000, 0..1), Ok(100));
        assert_eq!(profile.expected_wh(10, 1..2), Ok(2));
        assert_eq!(profile.expected_wh(1000, 2..5), Err(ProfileError::Range { start: 2, end: 5, len: 4 }));
        assert_eq!(Profile::new(vec![0, 0]), Err(ProfileError::NoWeight));
    }

    #[test]
    fn a_warm_day_adds_no_heating() {
        let model = HeatingModel { base_wh_per_day: 5_000, wh_per_degree_day: 4_000 };
        assert_eq!(model.expected_wh(&[10.0, 0.0, -2.0]), 3 * 5_000 + 40_000);
    }
}
