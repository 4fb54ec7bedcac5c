//! A year of interval data for the demo's remotely read (AMR) access points, with the faults
//! the validation must catch.
//!
//! Each point gets the last year of the market window: quarter-hours of electricity offtake,
//! or hours of gas, from a household-like curve (a base load, a morning and an evening peak,
//! more in winter; gas follows the cold) with noise from the demo's seed. A few days of a few
//! points carry a fault, and the first point carries one of each kind, so the tour always has
//! a finding to show: a gap (two quarter-hours never received), a spike (a value twenty times
//! its neighbours), a negative value, and a run of zeros on a point that always consumes.
//! Index readings (and so rollovers and backward indexes) are not part of the demo yet.
//!
//! The values go in through the same import as a metering team's file (`readings_import`),
//! in batches, so the demo's data is judged, journaled and validated like anyone's.

use app::{Actor, AppError, Batch, Cloison, ImportMode, ImportReport, PlacedRow};
use domain::metering::{Channel, DayLayout, Interval, ReadingRow};
use domain::{Ean, Energy};
use jiff::civil::Date;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The first day of the demo's interval data: one year before the end of the market window.
pub const READINGS_FROM: Date = Date::constant(2025, 1, 1);

/// Rows per import batch.
const BATCH: usize = 20_000;

/// A fault planted on one day of one point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Gap,
    Spike,
    Negative,
    ZeroRun,
}

/// The faults of `point` on `day`: all four on fixed days of the first point, and one in
/// about every 400 point-days elsewhere.
fn faults(first: bool, day: Date, rng: &mut ChaCha8Rng) -> Vec<Fault> {
    if first {
        return match (day.month(), day.day()) {
            (2, 10) => vec![Fault::Gap],
            (3, 12) => vec![Fault::Spike],
            (6, 3) => vec![Fault::Negative],
            (9, 22) => vec![Fault::ZeroRun],
            _ => Vec::new(),
        };
    }
    if rng.gen_range(0..400) == 0 {
        vec![[Fault::Gap, Fault::Spike, Fault::Negative, Fault::ZeroRun][rng.gen_range(0..4)]]
    } else {
        Vec::new()
    }
}

/// One day's values of a household-like curve, in Wh per interval.
fn curve(
    channel: Channel,
    day: Date,
    layout: &DayLayout,
    scale: f64,
    rng: &mut ChaCha8Rng,
) -> Vec<Option<i64>> {
    // Colder months weigh more: 1.4 in January down to 0.7 in July.
    let season = 1.05 + 0.35 * ((f64::from(day.day_of_year()) / 365.25) * std::f64::consts::TAU).cos();
    let step_hours = channel.interval_seconds() as f64 / 3600.0;
    (0..layout.len())
        .map(|i| {
            let hour = (i as f64 * step_hours) % 24.0;
            let bump = |centre: f64, width: f64| (-((hour - centre) / width).powi(2)).exp();
            let shape = match channel {
                Channel::GasOfftake => season * season * (0.6 + 0.8 * bump(7.0, 2.0) + 0.9 * bump(19.0, 3.0)),
                _ => season * (0.35 + 0.9 * bump(7.5, 1.2) + 1.3 * bump(19.5, 2.0)),
            };
            let noise = rng.gen_range(0.85..1.15);
            Some((shape * scale * step_hours * noise).round() as i64)
        })
        .collect()
}

/// Plants `fault` in `values`.
fn plant(fault: Fault, values: &mut [Option<i64>]) {
    let mid = values.len() / 2;
    match fault {
        Fault::Gap => {
            values[mid] = None;
            values[mid + 1] = None;
        }
        Fault::Spike => values[mid] = values[mid].map(|v| v.max(100) * 20),
        Fault::Negative => values[mid] = Some(-values[mid].unwrap_or(1).abs().max(1)),
        Fault::ZeroRun => {
            let run = values.len() / 3;
            for v in &mut values[2..2 + run] {
                *v = Some(0);
            }
        }
    }
}

/// Imports a year of interval data for `points` (the AMR points, in the demo's order), as
/// `actor`; `progress` gets the share done.
pub async fn import(
    app: &Cloison,
    actor: &Actor,
    seed: u64,
    points: &[(Ean, Energy)],
    progress: impl Fn(f64),
) -> Result<ImportReport, AppError> {
    let mut report = ImportReport::default();
    let mut batch = Batch::default();
    let mut line = 0u64;
    let to = READINGS_FROM.checked_add(jiff::Span::new().years(1)).expect("in range");
    for (n, (ean, energy)) in points.iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ ean.as_u64());
        let channel = match energy {
            Energy::Electricity => Channel::ElectricityOfftake,
            Energy::Gas => Channel::GasOfftake,
        };
        // Watts of an average hour: a flat of 200 to 600 W, gas heating 1 to 3 kW.
        let scale = match energy {
            Energy::Electricity => rng.gen_range(200.0..600.0),
            Energy::Gas => rng.gen_range(1000.0..3000.0),
        };
        let mut day = READINGS_FROM;
        while day < to {
            let layout = DayLayout::new(channel, day)
                .map_err(|e| AppError::Internal(app::StoreError::Journal(e.to_string())))?;
            let mut values = curve(channel, day, &layout, scale, &mut rng);
            for fault in faults(n == 0, day, &mut rng) {
                plant(fault, &mut values);
            }
            for (index, value) in values.into_iter().enumerate() {
                let Some(wh) = value else { continue };
                line += 1;
                let row = ReadingRow { ean: *ean, channel, day, index, interval: Interval::measured(wh) };
                batch.rows.push(PlacedRow { line, row });
            }
            if batch.rows.len() >= BATCH {
                report.add(
                    app.readings_import(actor, std::mem::take(&mut batch), ImportMode::Write)
                        .await?
                        .into_view(),
                );
            }
            day = day.tomorrow().expect("in range");
        }
        progress((n + 1) as f64 / points.len() as f64);
    }
    if !batch.rows.is_empty() {
        report.add(app.readings_import(actor, batch, ImportMode::Write).await?.into_view());
    }
    Ok(report)
}
