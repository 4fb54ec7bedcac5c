//! Index readings for the demo's points read yearly (YMR) or monthly (MMR), with the faults
//! the validation must catch, and a meter reader's route.
//!
//! Each point consumes a yearly amount drawn from the seed (1,500 to 6,000 kWh of electricity,
//! 7 to 28 MWh of gas, some 600 to 2,500 m³) spread over the year like a household: electricity a little more
//! in winter, gas mostly on cold days. A YMR point is read once a year on the same date from
//! 2023 to 2025, by the demo's meter reader or on the customer's card; an MMR point also on the
//! 5th of each month of 2025. Electricity meters are single-rate, or dual-rate with a day and a
//! night register read together; gas volumes carry the calorific value of the gas delivered.
//!
//! Faults: the first electricity point's dial goes round (a rollover), the second's last index
//! was typed wrong (it goes backwards), and about one point in 250 has a backward index too.
//! They go in through the same post as the metering team's systems (`index_post`).

use app::{Actor, AppError, Cloison, IndexPost, IndexReport};
use domain::{Ean, Energy, ReadingRegime};
use jiff::civil::Date;
use jiff::{Span, Zoned};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The demo's meter reader, whose visits the yearly readings are.
pub const READER: &str = "staff-rita";

/// Readings per post.
const BATCH: usize = 5_000;

/// How much of a year's consumption a day takes, by the day of the year: electricity a
/// little more in winter; gas a small base and the rest with the cold (degree-days on a
/// 16.5 °C base of a mean year at Uccle).
fn day_weight(energy: Energy, day: Date) -> f64 {
    let phase = |shift: f64| ((f64::from(day.day_of_year()) - shift) / 365.25 * std::f64::consts::TAU).cos();
    match energy {
        Energy::Electricity => (1.0 + 0.25 * phase(15.0)) / 365.25,
        Energy::Gas => {
            let degree_days = (16.5 - (10.6 + 7.2 * phase(200.0))).max(0.0);
            0.15 / 365.25 + 0.85 * degree_days / 2_300.0
        }
    }
}

/// The share of a year's consumption between two days.
fn share(energy: Energy, from: Date, to: Date) -> f64 {
    let mut sum = 0.0;
    let mut day = from;
    while day < to {
        sum += day_weight(energy, day);
        let Ok(next) = day.tomorrow() else { break };
        day = next;
    }
    sum
}

/// One register of one point, and where its dial stands, in thousandths of the unit.
struct Dial {
    register: &'static str,
    value: u64,
    /// Its share of the point's consumption (a dual-rate meter's day and night).
    part: f64,
}

fn text(thousandths: u64) -> String {
    format!("{}.{:03}", thousandths / 1000, thousandths % 1000)
}

/// Posts the index readings of `points` (the YMR and MMR points, in the demo's order) as
/// `actor`; `progress` gets the share done.
pub async fn post(
    app: &Cloison,
    actor: &Actor,
    seed: u64,
    points: &[(Ean, Energy, ReadingRegime)],
    progress: impl Fn(f64),
) -> Result<IndexReport, AppError> {
    let mut report = IndexReport::default();
    let mut batch: Vec<IndexPost> = Vec::new();
    let mut electricity_seen = 0u32;
    for (n, (ean, energy, regime)) in points.iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ ean.as_u64() ^ 0x1d3e_5a11);
        // Wh a year: 1,500 to 6,000 kWh of electricity, 7 to 28 MWh of gas (about 600 to
        // 2,500 m³).
        let yearly: u64 = match energy {
            Energy::Electricity => rng.gen_range(1_500_000..6_000_000),
            Energy::Gas => rng.gen_range(7_000_000..28_000_000),
        };
        let calorific = rng.gen_range(11_000..11_600u32);
        let mut dials: Vec<Dial> = match energy {
            Energy::Gas => {
                vec![Dial { register: "gas", value: rng.gen_range(100_000..20_000_000), part: 1.0 }]
            }
            Energy::Electricity if rng.gen_bool(0.4) => vec![
                Dial { register: "day", value: rng.gen_range(1_000_000..60_000_000), part: 0.6 },
                Dial { register: "night", value: rng.gen_range(1_000_000..60_000_000), part: 0.4 },
            ],
            Energy::Electricity => {
                vec![Dial { register: "single", value: rng.gen_range(1_000_000..60_000_000), part: 1.0 }]
            }
        };
        let (rollover, typo) = match energy {
            Energy::Electricity => {
                electricity_seen += 1;
                (electricity_seen == 1, electricity_seen == 2 || rng.gen_range(0..250) == 0)
            }
            Energy::Gas => (false, false),
        };
        if rollover {
            // Close enough to 999,999 kWh that a year goes round.
            dials[0].value = 999_000_000 - yearly / 2;
        }
        let ordinal = rng.gen_range(0..300i32);
        let visit = |year: i16| Date::constant(year, 1, 10).checked_add(Span::new().days(ordinal));
        let mut days: Vec<(Date, &str)> = Vec::new();
        for year in [2023, 2024, 2025] {
            let day = visit(year).map_err(|e| AppError::Internal(app::StoreError::Journal(e.to_string())))?;
            let source = if rng.gen_bool(0.6) { "reader_visit" } else { "customer_card" };
            days.push((day, source));
        }
        if *regime == ReadingRegime::Mmr {
            days.retain(|(d, _)| d.year() < 2025);
            days.extend((1..=12).map(|m| (Date::constant(2025, m, 5), "self_reading")));
        }
        let mut last: Option<Date> = None;
        let count = days.len();
        for (i, (day, source)) in days.into_iter().enumerate() {
            if let Some(previous) = last {
                let advance = yearly as f64 * share(*energy, previous, day) * rng.gen_range(0.9..1.1);
                for dial in &mut dials {
                    let thousandths = match energy {
                        // Wh to dm³ with the calorific value.
                        Energy::Gas => advance * 1000.0 / f64::from(calorific),
                        Energy::Electricity => advance,
                    };
                    dial.value = (dial.value + (thousandths * dial.part).round() as u64) % 1_000_000_000;
                }
            }
            last = Some(day);
            let at = Zoned::new(
                domain::period::day_start(day)
                    .map_err(|e| AppError::Internal(app::StoreError::Journal(e.to_string())))?,
                domain::period::brussels(),
            )
            .checked_add(Span::new().hours(10))
            .map_err(|e| AppError::Internal(app::StoreError::Journal(e.to_string())))?
            .timestamp();
            for dial in &dials {
                let mut value = dial.value;
                if typo && i + 1 == count {
                    // Two digits swapped on the card: the index goes far back.
                    value = value.saturating_sub(yearly.max(1_000_000) * 3);
                }
                batch.push(IndexPost {
                    ean: ean.to_string(),
                    register: dial.register.into(),
                    value: text(value),
                    at: at.to_string(),
                    source: source.into(),
                    reader: (source == "reader_visit").then(|| READER.to_owned()),
                    calorific_value: (*energy == Energy::Gas).then_some(calorific),
                });
            }
        }
        if batch.len() >= BATCH {
            add(&mut report, app.index_post(actor, std::mem::take(&mut batch)).await?.into_view());
            progress(n as f64 / points.len().max(1) as f64);
        }
    }
    if !batch.is_empty() {
        add(&mut report, app.index_post(actor, batch).await?.into_view());
    }
    progress(1.0);
    Ok(report)
}

fn add(total: &mut IndexReport, report: IndexReport) {
    total.rows += report.rows;
    total.written += report.written;
    total.unchanged += report.unchanged;
    total.findings += report.findings;
    total.refused.extend(report.refused);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_of_weights_is_about_the_whole() {
        for energy in [Energy::Electricity, Energy::Gas] {
            let year = share(energy, Date::constant(2025, 1, 1), Date::constant(2026, 1, 1));
            assert!((0.9..1.1).contains(&year), "{energy:?}: {year}");
        }
        let winter = share(Energy::Gas, Date::constant(2025, 1, 1), Date::constant(2025, 2, 1));
        let summer = share(Energy::Gas, Date::constant(2025, 7, 1), Date::constant(2025, 8, 1));
        assert!(winter > 4.0 * summer, "{winter} {summer}");
        assert_eq!(text(12_345_678), "12345.678");
    }
}
