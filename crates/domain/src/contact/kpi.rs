//! The contact center's indicators, computed from interaction records.
//!
//! Each principal has its own reporting (R12): callers pass one principal's records (see
//! [`kpis_per_principal`]), never a mix. Records hold references — the principal, the entry
//! point, the operator's party, times — and no customer data, so the indicators can be shown
//! to the principal and to the regulator as they are.
//!
//! # Definitions
//!
//! All times are in seconds. With `offered` the number of records:
//!
//! - an interaction is **answered** when it has an `answered_at`, **abandoned** otherwise;
//! - a **short abandon** is an abandon after less than [`SHORT_ABANDON_SECONDS`]
//!   (`ended_at - offered_at < 6`): a misdial or a caller hanging up during the greeting, which
//!   says nothing of the service and is left out of the two ratios that count abandons;
//! - **service level** = answered within the threshold (`answered_at - offered_at <=
//!   threshold`) / answered;
//! - **service level with abandons** = answered within the threshold / (answered + abandoned −
//!   short abandons);
//! - **abandonment rate** = (abandoned − short abandons) / (offered − short abandons);
//! - **average handling time** (AHT) = sum of (`ended_at - answered_at + wrap_seconds`) /
//!   answered;
//! - **average speed of answer** (ASA) = sum of (`answered_at - offered_at`) / answered;
//! - **occupancy** of an operator = handling seconds / staffed seconds.
//!
//! A ratio whose denominator is 0 is `None`, not 0 or 100 %: "no calls" is not "perfect
//! service". Negative durations (a record whose times are out of order) count as 0.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Channel;
use super::config::ContactConfig;

/// Abandons shorter than this many seconds are short abandons.
pub const SHORT_ABANDON_SECONDS: i64 = 6;

/// How an interaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// An operator took it.
    Answered,
    /// The customer left before an operator took it.
    Abandoned,
}

impl Outcome {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Abandoned => "abandoned",
        }
    }
}

/// One interaction as the reporting sees it: references and times, no customer data (R12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractionRecord {
    /// The principal it belonged to.
    pub principal: String,
    /// The address of the entry point it came in by.
    pub entry: String,
    /// The channel it came by.
    pub channel: Channel,
    /// The operator who answered it, if one did.
    pub operator: Option<String>,
    /// When it was offered to the contact center, in seconds.
    pub offered_at: i64,
    /// When an operator took it, in seconds.
    pub answered_at: Option<i64>,
    /// When it ended (hang-up, abandon, reply sent), in seconds.
    pub ended_at: i64,
    /// The operator's wrap-up time after it, in seconds.
    pub wrap_seconds: u32,
    /// How it ended.
    pub outcome: Outcome,
}

impl InteractionRecord {
    /// Seconds from offer to answer, if answered.
    pub fn wait_seconds(&self) -> Option<i64> {
        self.answered_at.map(|a| (a - self.offered_at).max(0))
    }

    /// Seconds the operator spent on it, wrap-up included; 0 if not answered.
    pub fn handling_seconds(&self) -> i64 {
        self.answered_at.map_or(0, |a| (self.ended_at - a).max(0) + i64::from(self.wrap_seconds))
    }

    /// Whether it is a short abandon.
    pub fn is_short_abandon(&self) -> bool {
        self.answered_at.is_none() && self.ended_at - self.offered_at < SHORT_ABANDON_SECONDS
    }
}

/// The indicators of a set of records (see the module documentation for each definition).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpis {
    /// Interactions offered.
    pub offered: u64,
    /// Interactions answered.
    pub answered: u64,
    /// Interactions abandoned, short abandons included.
    pub abandoned: u64,
    /// Abandons shorter than [`SHORT_ABANDON_SECONDS`].
    pub short_abandons: u64,
    /// Answered within the threshold / answered.
    pub service_level: Option<f64>,
    /// Answered within the threshold / (answered + abandoned − short abandons).
    pub service_level_with_abandons: Option<f64>,
    /// (Abandoned − short abandons) / (offered − short abandons).
    pub abandonment_rate: Option<f64>,
    /// Average handling time, wrap-up included, over answered interactions.
    pub average_handling_seconds: Option<f64>,
    /// Average wait before answer, over answered interactions.
    pub average_speed_of_answer_seconds: Option<f64>,
}

/// One operator's work over a set of records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperatorActivity {
    /// The operator's party.
    pub operator: String,
    /// Interactions answered.
    pub handled: u64,
    /// Seconds spent on them, wrap-up included.
    pub handling_seconds: u64,
    /// Seconds staffed, as given.
    pub staffed_seconds: u64,
    /// Handling seconds / staffed seconds; `None` when not staffed.
    pub occupancy: Option<f64>,
}

fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    // Counts stay far below 2^53, so the conversions are exact.
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// The indicators of `records` for a service-level threshold of `threshold_seconds`.
pub fn kpis(records: &[InteractionRecord], threshold_seconds: u32) -> Kpis {
    let (mut answered, mut abandoned, mut short, mut within) = (0u64, 0u64, 0u64, 0u64);
    let (mut handling, mut waiting) = (0i64, 0i64);
    for record in records {
        match record.wait_seconds() {
            Some(wait) => {
                answered += 1;
                waiting += wait;
                handling += record.handling_seconds();
                if wait <= i64::from(threshold_seconds) {
                    within += 1;
                }
            }
            None => {
                abandoned += 1;
                if record.is_short_abandon() {
                    short += 1;
                }
            }
        }
    }
    let offered = records.len() as u64;
    let average = |sum: i64| (answered > 0).then(|| sum as f64 / answered as f64);
    Kpis {
        offered,
        answered,
        abandoned,
        short_abandons: short,
        service_level: ratio(within, answered),
        service_level_with_abandons: ratio(within, answered + abandoned - short),
        abandonment_rate: ratio(abandoned - short, offered - short),
        average_handling_seconds: average(handling),
        average_speed_of_answer_seconds: average(waiting),
    }
}

/// Each principal's indicators, over its own records only and with its own threshold
/// (R12: each principal has its own reporting). Records of a principal the configuration
/// does not know are left out.
pub fn kpis_per_principal(records: &[InteractionRecord], config: &ContactConfig) -> BTreeMap<String, Kpis> {
    config
        .principals
        .iter()
        .map(|principal| {
            let own: Vec<InteractionRecord> =
                records.iter().filter(|r| r.principal == principal.id).cloned().collect();
            (principal.id.clone(), kpis(&own, principal.service_level_seconds))
        })
        .collect()
}

/// Each operator's work in `records`, with its occupancy against `staffed_seconds`: one line
/// per operator that answered something or was staffed, ordered by party.
pub fn operator_activity(
    records: &[InteractionRecord],
    staffed_seconds: &BTreeMap<String, u64>,
) -> Vec<OperatorActivity> {
    let mut work: BTreeMap<&str, (u64, u64)> = staffed_seconds.keys().map(|k| (k.as_str(), (0, 0))).collect();
    for record in records {
        if let (Some(operator), Some(_)) = (&record.operator, record.answered_at) {
            let line = work.entry(operator).or_default();
            line.0 += 1;
            line.1 += record.handling_seconds().unsigned_abs();
        }
    }
    work.into_iter()
        .map(|(operator, (handled, handling_seconds))| {
            let staffed = staffed_seconds.get(operator).copied().unwrap_or(0);
            OperatorActivity {
                operator: operator.to_owned(),
                handled,
                handling_seconds,
                staffed_seconds: staffed,
                occupancy: ratio(handling_seconds, staffed),
            }
        })
        .collect()
}
