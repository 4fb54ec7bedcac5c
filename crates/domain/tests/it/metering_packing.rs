//! The size of packed interval days on a realistic load: the figure the packing is chosen for.

use domain::metering::{Channel, DayLayout, Interval, IntervalDay, Quality};
use jiff::Span;
use jiff::civil::Date;

use crate::metering::ean;
use crate::synthetic::residential_day;

/// Bytes per value over a year of 2026 (its two clock-change days included), each day packed
/// after `damage` has had its way with the series.
fn bytes_per_value(damage: impl Fn(&mut [Interval])) -> f64 {
    let first = Date::constant(2026, 1, 1);
    let (mut bytes, mut values) = (0usize, 0usize);
    for offset in 0..365 {
        let day = first.checked_add(Span::new().days(offset)).expect("in range");
        let n = DayLayout::new(Channel::ElectricityOfftake, day).expect("placeable").len();
        let mut intervals: Vec<Interval> =
            residential_day(offset as u64, n).into_iter().map(Interval::measured).collect();
        damage(&mut intervals);
        let packed = IntervalDay::new(ean(), Channel::ElectricityOfftake, day, intervals)
            .expect("the day's length")
            .pack();
        bytes += packed.len();
        values += n;
    }
    assert_eq!(values, 365 * 96);
    bytes as f64 / values as f64
}

#[test]
fn a_residential_year_packs_under_two_bytes_a_value() {
    let clean = bytes_per_value(|_| {});
    println!("residential quarter-hours, all measured: {clean:.2} bytes a value");
    // The design's target is 4 bytes a value on disk, row and index included; the packed
    // values must leave most of that to the row.
    assert!(clean <= 2.0, "{clean:.2} bytes a value");
    // Gaps and estimates cut the quality runs; a day with a few stays well inside the target.
    let damaged = bytes_per_value(|intervals| {
        for i in (10..intervals.len()).step_by(17) {
            intervals[i] = Interval::missing();
            intervals[i - 1] = Interval::new(intervals[i - 1].wh().unwrap_or(0), Quality::Estimated);
        }
    });
    println!("with a gap and an estimate every 17 intervals: {damaged:.2} bytes a value");
    assert!(damaged <= 4.0, "{damaged:.2} bytes a value");
}
