//! A deterministic simulation of the contact center: traffic for the demo, the benchmarks and
//! the reporting screens, without a telephony platform.
//!
//! For each principal, interactions arrive as a Poisson process over its entry points, with
//! attributes drawn from the values its rules mention (read from the rules' syntax trees, so
//! that the rules fire). A discrete-event loop (arrival, answer, end) tracks which operators
//! are busy over simulated time — one operator serving two principals is busy for both —
//! and asks [`Router::decide`] with the time waited so far, so fall-through on timeouts and
//! on busy queues behaves as in production. An interaction abandons when its patience runs
//! out; about one in ten answered interactions is transferred to a back office of its own
//! principal.
//!
//! Randomness comes from a seed through a small splitmix64 generator written here: the domain
//! crate draws no OS randomness, and the same seed gives the same day, byte for byte, which is
//! what a benchmark or a demo tour needs. Each principal draws from its own stream, so adding
//! a principal does not change the traffic of the others.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::config::ContactConfig;
use super::kpi::{InteractionRecord, Outcome};
use super::router::{Assignment, Interaction, Router};

/// The share of answered interactions transferred to a back office.
pub const TRANSFER_SHARE: f64 = 0.1;

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationParams {
    /// Interactions generated for each principal that has an entry point.
    pub interactions_per_principal: u32,
    /// The seed: the same seed gives the same simulation.
    pub seed: u64,
    /// When the simulated day starts, in epoch seconds.
    pub start: i64,
    /// The mean time between two arrivals at one principal, in seconds.
    pub mean_interarrival_seconds: f64,
    /// The mean talk (or reply) time, in seconds.
    pub mean_handling_seconds: f64,
    /// The mean time a customer waits before abandoning, in seconds.
    pub mean_patience_seconds: f64,
    /// The operator's wrap-up time after each answered interaction, in seconds.
    pub wrap_seconds: u32,
}

/// One simulated interaction: what came in, where it ended, and its record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatedInteraction {
    /// The interaction as it arrived.
    pub interaction: Interaction,
    /// The router's decision when it was answered, or where it waited when it was abandoned.
    pub decision: Assignment,
    /// Its record for the reporting.
    pub record: InteractionRecord,
    /// The back-office queues (of the same principal) it was transferred to, in order.
    pub transfers: Vec<String>,
}

/// splitmix64 (Steele, Lea and Flood): tiny, fast, and good enough for traffic.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        // The modulo bias is below 2^-40 for the small n used here.
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Exponential with `mean`, in whole seconds.
    fn exponential(&mut self, mean: f64) -> i64 {
        if !mean.is_finite() || mean <= 0.0 {
            return 0;
        }
        let draw = -mean * (1.0 - self.unit()).ln();
        draw.round().clamp(0.0, 1e9) as i64
    }
}

/// An interaction generated before the event loop runs.
struct Arrival {
    interaction: Interaction,
    offered_at: i64,
    handling: i64,
    patience: i64,
    transfer: Option<String>,
    principal: usize,
}

/// Events at the same second run in this order: an operator freed first (so a customer
/// whose patience runs out that second is still answered), then arrivals, then abandons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Free(usize),
    Arrive(usize),
    Abandon(usize),
}

fn arrivals(config: &ContactConfig, params: &SimulationParams) -> Vec<Arrival> {
    let mut out = Vec::new();
    for (p, principal) in config.principals.iter().enumerate() {
        if principal.entry_points.is_empty() {
            continue;
        }
        let mut rng = SplitMix64(params.seed ^ (p as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
        // The values the rules compare, so that rules fire; `channel` and `entry` come from
        // the entry point, as in production.
        let mut values: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for rule in &principal.rules {
            for (name, vs) in rule.when.attribute_values() {
                values.entry(name).or_default().extend(vs);
            }
        }
        values.remove("channel");
        values.remove("entry");
        let values: Vec<(String, Vec<String>)> =
            values.into_iter().map(|(k, v)| (k, v.into_iter().collect())).collect();
        let mut t = params.start;
        for _ in 0..params.interactions_per_principal {
            t = t.saturating_add(rng.exponential(params.mean_interarrival_seconds));
            let entry = &principal.entry_points[rng.below(principal.entry_points.len())];
            let mut attributes = BTreeMap::new();
            for (name, vs) in &values {
                // One draw more than there are values: sometimes the attribute is missing.
                let pick = rng.below(vs.len() + 1);
                if let Some(v) = vs.get(pick) {
                    attributes.insert(name.clone(), v.clone());
                }
            }
            let patience = rng.exponential(params.mean_patience_seconds);
            let handling = rng.exponential(params.mean_handling_seconds).max(1);
            let transfer = if !principal.back_offices.is_empty() && rng.unit() < TRANSFER_SHARE {
                Some(principal.back_offices[rng.below(principal.back_offices.len())].clone())
            } else {
                None
            };
            out.push(Arrival {
                interaction: Interaction { channel: entry.channel, entry: entry.address.clone(), attributes },
                offered_at: t,
                handling,
                patience,
                transfer,
                principal: p,
            });
        }
    }
    out
}

/// Simulates `params.interactions_per_principal` interactions for each principal of `config`,
/// routed by `router` (built from the same configuration). Deterministic for a seed; sorted by
/// `offered_at`.
pub fn simulate(
    config: &ContactConfig,
    router: &Router,
    params: &SimulationParams,
) -> Vec<SimulatedInteraction> {
    let arrivals = arrivals(config, params);
    // Every operator party, and the principals it serves: a freed operator is only offered
    // to interactions of those principals.
    let mut parties: Vec<&str> = Vec::new();
    let mut party_index: HashMap<&str, usize> = HashMap::new();
    let mut serves: Vec<HashSet<usize>> = Vec::new();
    for (p, principal) in config.principals.iter().enumerate() {
        for operator in &principal.operators {
            let i = *party_index.entry(&operator.party).or_insert_with(|| {
                parties.push(&operator.party);
                serves.push(HashSet::new());
                parties.len() - 1
            });
            serves[i].insert(p);
        }
    }
    let mut busy: HashSet<&str> = HashSet::new();
    let mut events: BinaryHeap<Reverse<(i64, Event)>> =
        arrivals.iter().enumerate().map(|(i, a)| Reverse((a.offered_at, Event::Arrive(i)))).collect();
    let mut waiting: Vec<usize> = Vec::new();
    let mut done: Vec<Option<SimulatedInteraction>> = (0..arrivals.len()).map(|_| None).collect();

    while let Some(Reverse((now, event))) = events.pop() {
        // Waiting longer only ever narrows the steps an interaction may be offered on, so
        // nothing becomes answerable by time passing alone: an arrival can only be answered
        // on arrival, and a waiting interaction only when an operator is freed.
        let candidates: Vec<usize> = match event {
            Event::Arrive(i) => {
                waiting.push(i);
                let patience = arrivals[i].patience;
                events.push(Reverse((now.saturating_add(patience), Event::Abandon(i))));
                vec![i]
            }
            Event::Free(o) => {
                busy.remove(parties[o]);
                waiting.iter().copied().filter(|&i| serves[o].contains(&arrivals[i].principal)).collect()
            }
            Event::Abandon(i) => {
                let Some(at) = waiting.iter().position(|&w| w == i) else { continue };
                waiting.remove(at);
                let arrival = &arrivals[i];
                let waited = u32::try_from(now - arrival.offered_at).unwrap_or(u32::MAX);
                let Ok(decision) = router.decide(&arrival.interaction, &|_| false, waited) else { continue };
                done[i] = Some(SimulatedInteraction {
                    record: InteractionRecord {
                        principal: decision.principal.clone(),
                        entry: arrival.interaction.entry.clone(),
                        channel: arrival.interaction.channel,
                        operator: None,
                        offered_at: arrival.offered_at,
                        answered_at: None,
                        ended_at: now,
                        wrap_seconds: 0,
                        outcome: Outcome::Abandoned,
                    },
                    interaction: arrival.interaction.clone(),
                    decision,
                    transfers: Vec::new(),
                });
                continue;
            }
        };
        for i in candidates {
            let arrival = &arrivals[i];
            let waited = u32::try_from(now - arrival.offered_at).unwrap_or(u32::MAX);
            let available = |party: &str| !busy.contains(party);
            let decision = match router.decide(&arrival.interaction, &available, waited) {
                Ok(decision) => decision,
                Err(_) => {
                    // Not routable (a router built from another configuration): dropped.
                    waiting.retain(|&w| w != i);
                    continue;
                }
            };
            let Some(operator) = decision.operator.clone() else { continue };
            let Some(&o) = party_index.get(operator.as_str()) else { continue };
            waiting.retain(|&w| w != i);
            busy.insert(parties[o]);
            let ended_at = now.saturating_add(arrival.handling);
            events.push(Reverse((ended_at.saturating_add(i64::from(params.wrap_seconds)), Event::Free(o))));
            done[i] = Some(SimulatedInteraction {
                record: InteractionRecord {
                    principal: decision.principal.clone(),
                    entry: arrival.interaction.entry.clone(),
                    channel: arrival.interaction.channel,
                    operator: Some(operator),
                    offered_at: arrival.offered_at,
                    answered_at: Some(now),
                    ended_at,
                    wrap_seconds: params.wrap_seconds,
                    outcome: Outcome::Answered,
                },
                interaction: arrival.interaction.clone(),
                decision,
                transfers: arrival.transfer.iter().cloned().collect(),
            });
            // Only one operator was freed (or one interaction arrived): once it is taken,
            // nobody else can be answered at this instant.
            break;
        }
    }
    let mut out: Vec<SimulatedInteraction> = done.into_iter().flatten().collect();
    out.sort_by_key(|s| s.record.offered_at);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_its_reference_output() {
        // First outputs of splitmix64 seeded with 0, as in the reference implementation.
        let mut rng = SplitMix64(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn exponential_draws_have_about_their_mean() {
        let mut rng = SplitMix64(42);
        let n = 20_000;
        let sum: i64 = (0..n).map(|_| rng.exponential(100.0)).sum();
        let mean = sum as f64 / f64::from(n);
        assert!((mean - 100.0).abs() < 3.0, "{mean}");
    }
}
