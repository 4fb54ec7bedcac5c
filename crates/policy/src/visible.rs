//! What a decision reveals: nothing, everything, or a set of periods (I3).
//!
//! An allowed read is not enough: a supplier registered from March may not see February
//! (R1), so the application clips every answer to the instants the actor may see. The set is
//! kept sorted and merged, so clipping a period gives the fewest, ordered pieces and two
//! decisions over the same rights compare equal.

use domain::Period;
use jiff::Timestamp;

/// The instants a decision lets the actor see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visible {
    /// No register data at all: a denial, or an allowed action that reveals none (the
    /// public journal head).
    Nothing,
    /// Every instant: staff and auditor reads.
    All,
    /// Only these periods: sorted, merged (no two overlap or touch), never empty. Build it
    /// with [`Visible::from_periods`], which keeps that promise.
    Periods(Vec<Period>),
}

impl Visible {
    /// The union of `periods`, sorted and merged; [`Visible::Nothing`] when there are none,
    /// so an empty `Periods` never exists.
    pub fn from_periods(periods: impl IntoIterator<Item = Period>) -> Visible {
        let merged = merge(periods.into_iter().collect());
        if merged.is_empty() { Visible::Nothing } else { Visible::Periods(merged) }
    }

    /// Whether the instant `t` may be shown.
    pub fn contains(&self, t: Timestamp) -> bool {
        match self {
            Visible::Nothing => false,
            Visible::All => true,
            Visible::Periods(periods) => periods.iter().any(|p| p.contains(t)),
        }
    }

    /// The parts of `p` that may be shown, in time order; empty when none may.
    pub fn clip(&self, p: &Period) -> Vec<Period> {
        match self {
            Visible::Nothing => Vec::new(),
            Visible::All => vec![*p],
            Visible::Periods(periods) => periods.iter().filter_map(|v| v.intersection(p)).collect(),
        }
    }
}

/// Sorts `periods` and joins those that overlap or touch: `[a, b)` and `[b, c)` become
/// `[a, c)`, since nothing lies between them that could be hidden.
fn merge(mut periods: Vec<Period>) -> Vec<Period> {
    periods.sort_by_key(|p| p.from());
    let mut merged: Vec<Period> = Vec::with_capacity(periods.len());
    for next in periods {
        let Some(last) = merged.last_mut() else {
            merged.push(next);
            continue;
        };
        match last.to() {
            // Open-ended: it already covers everything that starts later.
            None => {}
            Some(end) if next.from() <= end => {
                // An open-ended `next` makes the merged period open-ended too.
                let to = next.to().map(|next_end| end.max(next_end));
                *last = Period::new(last.from(), to)
                    .expect("moving the end of a non-empty period later keeps it non-empty");
            }
            Some(_) => merged.push(next),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BASE: i64 = 1_700_000_000;

    fn hour(h: i64) -> Timestamp {
        Timestamp::from_second(BASE + h * 3600).expect("in range")
    }

    fn period(from: i64, to: Option<i64>) -> Period {
        Period::new(hour(from), to.map(hour)).expect("test period is non-empty")
    }

    #[test]
    fn touching_and_overlapping_periods_merge() {
        let visible =
            Visible::from_periods([period(10, Some(20)), period(0, Some(10)), period(15, Some(18))]);
        assert_eq!(visible, Visible::Periods(vec![period(0, Some(20))]));
        let visible = Visible::from_periods([period(30, None), period(0, Some(5)), period(40, Some(50))]);
        assert_eq!(visible, Visible::Periods(vec![period(0, Some(5)), period(30, None)]));
        assert_eq!(Visible::from_periods([]), Visible::Nothing);
    }

    #[test]
    fn clip_keeps_only_the_visible_parts() {
        let visible = Visible::from_periods([period(0, Some(10)), period(20, Some(30))]);
        assert_eq!(visible.clip(&period(5, None)), vec![period(5, Some(10)), period(20, Some(30))]);
        assert_eq!(visible.clip(&period(10, Some(20))), vec![]);
        assert_eq!(Visible::All.clip(&period(3, None)), vec![period(3, None)]);
        assert_eq!(Visible::Nothing.clip(&period(3, None)), vec![]);
        assert!(!visible.contains(hour(10)));
        assert!(visible.contains(hour(29)));
    }

    fn any_period() -> impl Strategy<Value = Period> {
        (0i64..200, proptest::option::of(1i64..100))
            .prop_map(|(from, len)| period(from, len.map(|l| from + l)))
    }

    fn any_visible() -> impl Strategy<Value = Visible> {
        prop_oneof![
            Just(Visible::Nothing),
            Just(Visible::All),
            proptest::collection::vec(any_period(), 0..6).prop_map(Visible::from_periods),
        ]
    }

    proptest! {
        // Every boundary is on the hour and below hour 300, so sampling each hour up to 400
        // decides membership exactly.

        #[test]
        fn merge_is_sorted_disjoint_and_covers_the_same_instants(
            periods in proptest::collection::vec(any_period(), 0..8)
        ) {
            let visible = Visible::from_periods(periods.clone());
            if let Visible::Periods(merged) = &visible {
                prop_assert!(!merged.is_empty());
                for pair in merged.windows(2) {
                    let end = pair[0].to();
                    prop_assert!(end.is_some_and(|end| end < pair[1].from()), "{:?} not apart", pair);
                }
            }
            for h in 0..400 {
                let t = hour(h);
                prop_assert_eq!(visible.contains(t), periods.iter().any(|p| p.contains(t)));
            }
        }

        #[test]
        fn clip_is_inside_p_and_exactly_the_visible_part(visible in any_visible(), p in any_period()) {
            let clipped = visible.clip(&p);
            for piece in &clipped {
                prop_assert_eq!(p.intersection(piece), Some(*piece), "{:?} is not inside {:?}", piece, p);
            }
            for h in 0..400 {
                let t = hour(h);
                let in_clip = clipped.iter().any(|piece| piece.contains(t));
                prop_assert_eq!(in_clip, p.contains(t) && visible.contains(t), "at hour {}", h);
            }
        }
    }
}
