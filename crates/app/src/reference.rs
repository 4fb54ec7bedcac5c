//! The reference data the rules compare readings with, embedded from `data/`: the residential
//! load profiles of electricity and gas and the degree-days of Uccle (how they were made is
//! in `data/README.md`).
//!
//! A reading is judged "against statistics and climate" by what a point's own consumption
//! predicts: its yearly consumption, learned from its readings of the year before, spread over
//! the new period by the profile (electricity) or by the degree-days (gas). Each day's share
//! of its year is computed once here, so judging a reading adds up at most a few hundred
//! shares, whatever the period.
//!
//! The register does not yet keep each customer's class (residential or not), so every point
//! is judged against the residential profiles: the band around them is wide (40–250 %).

use std::collections::HashMap;
use std::sync::LazyLock;

use domain::Energy;
use domain::metering::{
    Channel, DegreeDays, ElectricityProfile, GasProfile, IntervalDay, Profile, ReferenceError,
};
use jiff::civil::Date;

const ELECTRICITY: &str = include_str!("../../../data/profiles/electricity_residential.csv");
const GAS: &str = include_str!("../../../data/profiles/gas_residential.csv");
const DEGREE_DAYS: &str = include_str!("../../../data/climate/degree_days_uccle.csv");

/// The first and last years whose electricity shares are computed (the profile repeats every
/// year; only its calendar of Sundays and holidays changes).
const YEARS: std::ops::RangeInclusive<i16> = 2000..=2050;

/// Each local day's share of its year's consumption, per energy, and the profiles themselves
/// for the shape of a day.
pub(crate) struct Reference {
    electricity: HashMap<Date, f64>,
    gas: HashMap<Date, f64>,
    electricity_profile: ElectricityProfile,
    gas_profile: GasProfile,
    degree_days: DegreeDays,
}

static EMBEDDED: LazyLock<Result<Reference, ReferenceError>> = LazyLock::new(Reference::load);

impl Reference {
    /// The embedded data, parsed once; an error only if a shipped file does not parse, which
    /// the tests rule out.
    pub(crate) fn embedded() -> Result<&'static Reference, &'static ReferenceError> {
        EMBEDDED.as_ref()
    }

    fn load() -> Result<Reference, ReferenceError> {
        let profile = ElectricityProfile::parse("data/profiles/electricity_residential.csv", ELECTRICITY)?;
        let gas_profile = GasProfile::parse("data/profiles/gas_residential.csv", GAS)?;
        let degree_days = DegreeDays::parse("data/climate/degree_days_uccle.csv", DEGREE_DAYS)?;
        let mut electricity = HashMap::new();
        for year in YEARS {
            let total = profile.year_total(year) as f64;
            let mut day = Date::new(year, 1, 1).ok();
            while let Some(d) = day.filter(|d| d.year() == year) {
                electricity.insert(d, profile.day_total(d) as f64 / total);
                day = d.tomorrow().ok();
            }
        }
        let mut gas = HashMap::new();
        let mut day = Some(degree_days.first());
        while let Some(d) = day.filter(|d| *d <= degree_days.last()) {
            if let Ok(share) = gas_profile.day_share(d, &degree_days) {
                gas.insert(d, share);
            }
            day = d.tomorrow().ok();
        }
        Ok(Reference { electricity, gas, electricity_profile: profile, gas_profile, degree_days })
    }

    /// The profile of one local day of `channel` (one weight per interval: 92/96/100, or
    /// 23/24/25 for gas), and the day's total as its usable values imply: their sum scaled by
    /// the weight of the whole day over theirs. What a long gap is estimated with: the day's
    /// own level, in the profile's shape. `None` for injection (a production profile is not
    /// shipped), a gas day without degree-days, or a day with no usable value.
    pub(crate) fn day_fill(&self, day: &IntervalDay) -> Option<(Profile, i64)> {
        let weights = match day.channel() {
            Channel::ElectricityOfftake => self.electricity_profile.day_weights(day.day()),
            Channel::GasOfftake => self.gas_profile.day_weights(day.day(), &self.degree_days).ok()?,
            Channel::ElectricityInjection => return None,
        };
        if weights.len() != day.intervals().len() {
            return None;
        }
        let (mut measured, mut measured_weight) = (0i128, 0u128);
        for (interval, &weight) in day.intervals().iter().zip(&weights) {
            if let Some(wh) = interval.usable() {
                measured += i128::from(wh);
                measured_weight += u128::from(weight);
            }
        }
        let all: u128 = weights.iter().map(|&w| u128::from(w)).sum();
        if measured_weight == 0 || measured < 0 {
            return None;
        }
        let total = (measured * all as i128 + measured_weight as i128 / 2) / measured_weight as i128;
        let profile = Profile::new(weights).ok()?;
        Some((profile, i64::try_from(total).ok()?))
    }

    /// The share of a year's consumption expected over the local days `from..to`, or `None`
    /// when a day has no reference (gas outside the degree-day series).
    pub(crate) fn share(&self, energy: Energy, from: Date, to: Date) -> Option<f64> {
        let shares = match energy {
            Energy::Electricity => &self.electricity,
            Energy::Gas => &self.gas,
        };
        let mut sum = 0.0;
        let mut day = from;
        while day < to {
            sum += shares.get(&day)?;
            day = day.tomorrow().ok()?;
        }
        Some(sum)
    }

    /// The consumption in Wh expected over `from..to` of a point consuming `consumed_wh` over
    /// `base..from` (its history): the history scaled to a year by the reference, then spread
    /// over the period. `None` when a day lacks a reference or the history has no weight.
    pub(crate) fn expected_wh(
        &self,
        energy: Energy,
        base: Date,
        consumed_wh: i64,
        from: Date,
        to: Date,
    ) -> Option<i64> {
        let history = self.share(energy, base, from)?;
        if history <= 0.0 {
            return None;
        }
        let period = self.share(energy, from, to)?;
        Some((consumed_wh as f64 * period / history).round() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_shipped_data_loads_and_a_year_is_the_whole() {
        let reference = Reference::embedded().expect("the shipped files parse");
        let year = |energy| reference.share(energy, date(2025, 1, 1), date(2026, 1, 1)).expect("a year");
        assert!((year(Energy::Electricity) - 1.0).abs() < 1e-9);
        assert!((year(Energy::Gas) - 1.0).abs() < 1e-9);
        // Winter weighs more than summer, gas far more so.
        let month =
            |energy, m| reference.share(energy, date(2025, m, 1), date(2025, m, 28)).expect("a month");
        assert!(month(Energy::Electricity, 1) > 1.2 * month(Energy::Electricity, 7));
        assert!(month(Energy::Gas, 1) > 3.0 * month(Energy::Gas, 7));
        assert_eq!(reference.share(Energy::Gas, date(2040, 1, 1), date(2040, 1, 2)), None);
        // A point that used 3,000 kWh over 2025 is expected to use about a quarter of it in a
        // quarter of 2026, more in winter's.
        let q1 = reference
            .expected_wh(Energy::Electricity, date(2025, 1, 1), 3_000_000, date(2026, 1, 1), date(2026, 4, 1))
            .expect("expected");
        assert!((750_000..1_000_000).contains(&q1), "{q1}");
    }
}
