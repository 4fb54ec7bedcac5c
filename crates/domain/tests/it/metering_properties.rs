//! Properties of metering over random days, half of them on the days the clocks change: the
//! packing round-trips and refuses garbage without panicking, instants and intervals map back
//! and forth, and estimates add up to the index difference exactly.

use domain::instant::parse_rfc3339;
use domain::metering::{
    Channel, DayLayout, EstimationConfig, Interval, IntervalDay, Profile, ProfileFill, Quality, Version,
    distribute, estimate_gaps, fill_to_index, pack, unpack,
};
use jiff::civil::{Date, Weekday};
use jiff::{Span, Timestamp};
use proptest::prelude::*;

use crate::metering::{ORDINARY, SPRING, ean};

fn any_channel() -> impl Strategy<Value = Channel> {
    prop::sample::select(Channel::ALL.to_vec())
}

/// A local day: anywhere in 2020–2035, or one of that period's clock-change Sundays.
fn any_day() -> impl Strategy<Value = Date> {
    let anywhere = (0i32..16 * 365)
        .prop_map(|d| Date::constant(2020, 1, 1).checked_add(Span::new().days(d)).expect("in range"));
    let change = (2020i16..2036, any::<bool>()).prop_map(|(year, spring)| {
        Date::constant(year, if spring { 3 } else { 10 }, 1)
            .nth_weekday_of_month(-1, Weekday::Sunday)
            .expect("a last Sunday")
    });
    prop_oneof![anywhere, change]
}

fn any_interval() -> impl Strategy<Value = Interval> {
    let quality = prop::sample::select(Quality::ALL.to_vec());
    let wh = prop_oneof![
        8 => 0i64..2_000,
        1 => -50i64..0,
        1 => any::<i64>(),
    ];
    (wh, quality).prop_map(|(wh, quality)| Interval::new(wh, quality))
}

/// A series of `n` intervals where qualities come in runs, as they do in real data, or not.
fn any_series(n: usize) -> impl Strategy<Value = Vec<Interval>> {
    let scattered = prop::collection::vec(any_interval(), n);
    let runs =
        (prop::collection::vec(0i64..2_000, n), 0..n, 0..n).prop_map(|(values, from, len)| {
            values
                .into_iter()
                .enumerate()
                .map(|(i, wh)| {
                    if (from..from + len).contains(&i) { Interval::missing() } else { Interval::measured(wh) }
                })
                .collect()
        });
    prop_oneof![scattered, runs]
}

fn any_interval_day() -> impl Strategy<Value = IntervalDay> {
    (any_channel(), any_day(), 1u32..5).prop_flat_map(|(channel, day, version)| {
        let n = DayLayout::new(channel, day).expect("placeable").len();
        any_series(n).prop_map(move |intervals| {
            IntervalDay::with_version(
                ean(),
                channel,
                day,
                Version::try_from(version).expect("positive"),
                intervals,
            )
            .expect("the day's length")
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_packed_day_reads_back_exactly(day in any_interval_day()) {
        let bytes = day.pack();
        let back = IntervalDay::unpack(day.ean(), day.channel(), day.day(), day.version(), &bytes);
        prop_assert_eq!(back, Ok(day.clone()));
        // Every strict prefix is refused: a cut column is never a shorter day.
        for cut in 0..bytes.len() {
            prop_assert!(unpack(&bytes[..cut]).is_err(), "prefix of {} bytes accepted", cut);
        }
    }

    #[test]
    fn a_packed_day_is_refused_under_another_days_length(day in any_interval_day()) {
        let ordinary = DayLayout::new(day.channel(), ORDINARY).expect("placeable").len();
        let other = if day.layout().len() == ordinary { SPRING } else { ORDINARY };
        let e = IntervalDay::unpack(day.ean(), day.channel(), other, day.version(), &day.pack());
        prop_assert_eq!(e.map_err(|e| e.code()), Err("wrong_interval_count"));
    }

    #[test]
    fn random_bytes_are_refused_or_are_a_packing(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        // Never a panic; and what is accepted is exactly what the encoder writes for it.
        if let Ok(series) = unpack(&bytes) {
            prop_assert_eq!(pack(&series), bytes);
        }
    }

    #[test]
    fn a_garbled_packing_is_refused_or_repacks_the_same(day in any_interval_day(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = day.pack();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        if let Ok(series) = unpack(&bytes) {
            prop_assert_eq!(pack(&series), bytes);
        }
    }

    #[test]
    fn a_run_spelled_in_two_is_refused(values in prop::collection::vec(0i64..2_000, 2..=15), split in any::<prop::sample::Index>()) {
        // Up to 15 intervals, a run's varint is one byte: (length << 3 | quality).
        let series: Vec<Interval> = values.into_iter().map(Interval::measured).collect();
        let bytes = pack(&series);
        let n = series.len() as u8;
        prop_assert_eq!(bytes[2], n << 3);
        let k = 1 + split.index(series.len() - 1) as u8;
        let mut spelled = bytes[..2].to_vec();
        spelled.extend([k << 3, (n - k) << 3]);
        spelled.extend(&bytes[3..]);
        prop_assert_eq!(unpack(&spelled).map_err(|e| e.code()), Err("packed_malformed_run"));
    }

    #[test]
    fn an_interval_start_is_located_back_and_its_label_names_it(channel in any_channel(), day in any_day(), at in any::<prop::sample::Index>()) {
        let layout = DayLayout::new(channel, day).expect("placeable");
        let index = at.index(layout.len());
        let start = layout.interval_start(index).expect("in the day");
        let (found, found_index) = DayLayout::locate(channel, start).expect("a boundary");
        prop_assert_eq!((found.day(), found_index), (day, index));
        prop_assert_eq!(layout.index_of(start), Ok(index));
        prop_assert_eq!(parse_rfc3339(&layout.label(index).expect("in the day")), Ok(start));
        let off = Timestamp::from_second(start.as_second() + 60).expect("in range");
        prop_assert_eq!(DayLayout::locate(channel, off).map_err(|e| e.code()), Err("not_on_interval_boundary"));
    }

    #[test]
    fn shares_add_up_to_the_total_and_stay_within_one_of_the_exact_share(
        total in -10_000_000i64..10_000_000,
        weights in prop::collection::vec(0u64..1_000, 1..200),
    ) {
        prop_assume!(weights.iter().any(|&w| w > 0));
        let shares = distribute(total, &weights).expect("weights");
        prop_assert_eq!(shares.iter().sum::<i64>(), total);
        let weight_sum: i128 = weights.iter().map(|&w| i128::from(w)).sum();
        for (&share, &w) in shares.iter().zip(&weights) {
            let exact = i128::from(total) * i128::from(w);
            // |share × Σw − total × w| < Σw: the share is the exact one rounded up or down.
            prop_assert!((i128::from(share) * weight_sum - exact).abs() < weight_sum);
        }
    }

    #[test]
    fn estimates_sum_exactly_to_the_index_difference(
        first in any_day(),
        days in 1usize..4,
        seed in prop::collection::vec((0i64..800, any::<bool>()), 400),
        weights in prop::collection::vec(0u32..50, 400),
        extra in 0i64..1_000_000,
    ) {
        let mut series = Vec::new();
        let mut k = 0;
        let mut day = first;
        for _ in 0..days {
            let n = DayLayout::new(Channel::ElectricityOfftake, day).expect("placeable").len();
            let intervals = (0..n).map(|i| {
                let (wh, hole) = seed[(k + i) % seed.len()];
                if hole { Interval::missing() } else { Interval::measured(wh) }
            }).collect();
            k += n;
            series.push(IntervalDay::new(ean(), Channel::ElectricityOfftake, day, intervals).expect("the day's length"));
            day = day.tomorrow().expect("in range");
        }
        let holes: usize = series.iter().map(|d| d.usable_total().1).sum();
        prop_assume!(holes > 0);
        let measured: i64 = series.iter().map(|d| d.usable_total().0).sum();
        let difference = measured + extra;
        let filled = fill_to_index(&series, difference, &weights[..k]).expect("room for the holes");
        prop_assert_eq!(filled.iter().map(|d| d.usable_total().0).sum::<i64>(), difference);
        for (before, after) in series.iter().zip(&filled) {
            for (b, a) in before.intervals().iter().zip(after.intervals()) {
                if b.quality() == Quality::Missing {
                    prop_assert_eq!(a.quality(), Quality::Estimated);
                    prop_assert!(a.wh().is_some_and(|wh| wh >= 0));
                } else {
                    prop_assert_eq!(a, b);
                }
            }
        }
    }

    #[test]
    fn with_a_profile_every_hole_is_estimated_and_nothing_else_moves(
        channel in any_channel(),
        day in any_day(),
        values in prop::collection::vec((0i64..3_000, 0u8..10), 100),
        weights in prop::collection::vec(0u32..100, 100),
    ) {
        let n = DayLayout::new(channel, day).expect("placeable").len();
        // One interval in ten is a hole, missing or rejected.
        let intervals: Vec<Interval> = values[..n].iter().map(|&(wh, roll)| match roll {
            0 => Interval::missing(),
            1 => Interval::new(wh, Quality::Rejected),
            _ => Interval::measured(wh),
        }).collect();
        prop_assume!(intervals.iter().any(|i| i.usable().is_none()));
        let day = IntervalDay::new(crate::metering::ean(), channel, day, intervals).expect("the day's length");
        let mut year = vec![1u32; 35_136];
        year[..n].copy_from_slice(&weights[..n]);
        let profile = Profile::new(year).expect("weights");
        let fill = ProfileFill { profile: &profile, yearly_wh: 4_000_000, first: 0 };
        let estimated = estimate_gaps(&day, &EstimationConfig::default(), Some(fill)).expect("holes");
        prop_assert_eq!(estimated.version().get(), 2);
        let (before, after) = (day.intervals(), estimated.intervals());
        for i in 0..n {
            if before[i].usable().is_some() {
                prop_assert_eq!(after[i], before[i]);
                continue;
            }
            prop_assert_eq!(after[i].quality(), Quality::Estimated);
            let wh = after[i].wh().expect("an estimate has a value");
            prop_assert!(wh >= 0);
            // Between two measures, a short gap stays between them.
            let left = (0..i).rev().find(|&j| before[j].usable().is_some());
            let right = (i..n).find(|&j| before[j].usable().is_some());
            let short = EstimationConfig::default().short_gap_minutes as i64 * 60 / channel.interval_seconds();
            if let (Some(l), Some(r)) = (left, right) {
                if (r - l - 1) as i64 <= short {
                    let (a, b) = (before[l].wh().expect("usable"), before[r].wh().expect("usable"));
                    prop_assert!(a.min(b) <= wh && wh <= a.max(b), "{} not between {} and {}", wh, a, b);
                }
            }
        }
    }
}
