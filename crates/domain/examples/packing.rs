//! Prints how many bytes a value the packing of interval days takes on a year of a synthetic
//! residential household: the figure the module documentation of `domain::metering` quotes.
//!
//! Run with `cargo run -p domain --example packing`.

#[path = "../tests/it/synthetic.rs"]
mod synthetic;

use domain::Ean;
use domain::metering::{Channel, Interval, IntervalDay};
use jiff::Span;
use jiff::civil::Date;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ean = Ean::from_body(54_144_100_000_000_001)?;
    let first = Date::constant(2026, 1, 1);
    let (mut bytes, mut values) = (0usize, 0usize);
    let mut smallest = usize::MAX;
    let mut largest = 0usize;
    for offset in 0..365 {
        let day = first.checked_add(Span::new().days(offset))?;
        let count = domain::metering::DayLayout::new(Channel::ElectricityOfftake, day)?.len();
        let intervals =
            synthetic::residential_day(offset as u64, count).into_iter().map(Interval::measured).collect();
        let packed = IntervalDay::new(ean, Channel::ElectricityOfftake, day, intervals)?.pack();
        smallest = smallest.min(packed.len());
        largest = largest.max(packed.len());
        bytes += packed.len();
        values += count;
    }
    println!(
        "{values} quarter-hour values of 2026 in {bytes} bytes: {:.2} bytes a value (days of {smallest} to {largest} bytes)",
        bytes as f64 / values as f64
    );
    Ok(())
}
