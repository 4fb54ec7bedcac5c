//! Writes the reference data of `data/`: four standard load profiles and a daily degree-day
//! series, synthesised from the models below, byte for byte the same on every run.
//!
//! ```text
//! cargo run -p demo --example reference_data -- data
//! ```
//!
//! The files are synthesised, not observed: Cloison needs profiles and degree-days of the
//! right shape and size to validate and estimate readings, and must be able to say exactly
//! where they come from. Synergrid's published profiles and the Royal Meteorological
//! Institute's observations are the real sources; they come with their own terms and change
//! every year, so they are loaded by an operator, not committed here. `data/README.md`
//! describes the formats; this file is the model.
//!
//! Determinism: only the four arithmetic operations, `sqrt` and `round` touch floating
//! point (all exactly rounded in IEEE 754), the cosine and the exponential are computed here
//! by series rather than by the platform's maths library (whose last bit differs between
//! systems), and the random numbers are a fixed-seed ChaCha8 stream read as raw words. So
//! the output does not depend on the machine, only on this file.

use std::fs;
use std::path::Path;

use domain::calendar::DayType;
use jiff::civil::Date;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The years the profiles are normalised over and the degree-days cover.
const FIRST_YEAR: i16 = 2020;
const LAST_YEAR: i16 = 2027;

/// What a year of an electricity profile adds up to, in mWh: 1 MWh.
const YEAR_MILLI_WH: f64 = 1_000_000_000.0;

/// What each hourly row of a gas profile adds up to.
const GAS_ROW_TOTAL: u64 = 10_000;

/// The seed of the weather noise: 32 fixed bytes, so the stream does not depend on how a
/// library expands a shorter seed.
const WEATHER_SEED: [u8; 32] = *b"cloison degree-days uccle, v1...";

/// A Gaussian bump of load around a local time of day.
struct Bump {
    /// Where it peaks, in hours after local midnight.
    centre: f64,
    /// Its standard deviation, in hours.
    width: f64,
    /// Its height, in the units of the base.
    height: f64,
}

const fn bump(centre: f64, width: f64, height: f64) -> Bump {
    Bump { centre, width, height }
}

/// The shape of a day: a constant base (what runs all the time) plus bumps (what people do).
struct DayShape {
    base: f64,
    bumps: &'static [Bump],
}

/// A profile: one shape per day type (weekday, Saturday, Sunday; holidays are Sundays), and
/// a seasonal factor `1 + seasonal × cos(2π (month − 1) / 12)`, highest in January and lowest
/// in July.
struct Model {
    file: &'static str,
    shapes: [DayShape; 3],
    seasonal: f64,
}

/// Households: a night base of fridges and standby; a short morning bump around 07:30
/// (breakfast, showers), a little at lunch, the evening peak from 18:00 to 21:30 (cooking,
/// lighting, television) trailing off before midnight. At the weekend the morning is later
/// and wider, midday is busier (people are at home), the evening a little earlier. Winter
/// months weigh 1.5 times July (lighting, auxiliary heating).
const RESIDENTIAL: Model = Model {
    file: "electricity_residential.csv",
    shapes: [
        DayShape {
            base: 0.42,
            bumps: &[
                bump(7.5, 0.7, 0.55),
                bump(12.5, 1.5, 0.18),
                bump(19.3, 1.35, 1.05),
                bump(22.3, 1.0, 0.25),
            ],
        },
        DayShape {
            base: 0.42,
            bumps: &[bump(9.3, 1.3, 0.5), bump(12.8, 1.6, 0.5), bump(19.2, 1.5, 0.9), bump(22.5, 1.0, 0.25)],
        },
        DayShape {
            base: 0.42,
            bumps: &[bump(9.7, 1.4, 0.5), bump(12.6, 1.4, 0.65), bump(19.0, 1.6, 0.85), bump(22.2, 1.0, 0.2)],
        },
    ],
    seasonal: 0.2,
};

/// Offices and shops: a base of servers, refrigeration and security; on weekdays three wide
/// bumps make a plateau from 08:00 to 18:00 with a start-up at 07:30; Saturdays are shop
/// hours, about half as high; Sundays (and holidays) are nearly flat. The season matters
/// little (lighting): January weighs 1.17 times July.
const NON_RESIDENTIAL: Model = Model {
    file: "electricity_non_residential.csv",
    shapes: [
        DayShape {
            base: 0.30,
            bumps: &[bump(9.0, 1.3, 0.9), bump(12.3, 1.6, 0.95), bump(15.6, 1.4, 0.9), bump(7.6, 0.5, 0.15)],
        },
        DayShape { base: 0.30, bumps: &[bump(11.0, 1.8, 0.45), bump(15.0, 1.8, 0.4)] },
        DayShape { base: 0.30, bumps: &[bump(12.5, 2.5, 0.06)] },
    ],
    seasonal: 0.08,
};

/// A gas profile: the share of the year that does not follow the weather, and the hourly
/// shape of a day by day type (the day's amount follows the degree-days, see the domain's
/// `GasProfile`).
struct GasModel {
    file: &'static str,
    base_share_permille: u32,
    shapes: [DayShape; 3],
}

/// Households: 15 % of the year is cooking and hot water; heating runs on a night setback,
/// with a sharp morning start around 06:45 and a long evening; later mornings at the weekend.
const GAS_RESIDENTIAL: GasModel = GasModel {
    file: "gas_residential.csv",
    base_share_permille: 150,
    shapes: [
        DayShape { base: 0.5, bumps: &[bump(6.8, 0.9, 1.1), bump(12.5, 2.0, 0.2), bump(18.8, 2.2, 0.8)] },
        DayShape { base: 0.5, bumps: &[bump(8.3, 1.2, 0.95), bump(13.0, 2.5, 0.35), bump(18.8, 2.2, 0.75)] },
        DayShape { base: 0.5, bumps: &[bump(8.6, 1.3, 0.9), bump(12.5, 2.2, 0.45), bump(18.6, 2.2, 0.7)] },
    ],
};

/// Offices and shops: 25 % of the year is process and hot water; heating boosts at 07:00 and
/// holds through opening hours on weekdays, less on Saturdays, and only keeps the frost off
/// on Sundays.
const GAS_NON_RESIDENTIAL: GasModel = GasModel {
    file: "gas_non_residential.csv",
    base_share_permille: 250,
    shapes: [
        DayShape { base: 0.35, bumps: &[bump(7.0, 0.8, 0.7), bump(12.5, 3.5, 0.9)] },
        DayShape { base: 0.35, bumps: &[bump(8.5, 0.9, 0.4), bump(12.5, 3.0, 0.5)] },
        DayShape { base: 0.35, bumps: &[bump(12.0, 4.0, 0.15)] },
    ],
};

/// The climate of the degree-day series: a daily mean temperature of
/// `MEAN + AMPLITUDE × cos(2π (day of year − WARMEST_DAY) / 365.25)` (about Uccle's
/// 1991–2020 normals: 10.6 °C a year, 3.4 °C in mid-January, 17.8 °C around 19 July) plus
/// autoregressive weather noise `n(d) = PERSISTENCE × n(d − 1) + SHOCK × ε(d)`, ε standard
/// normal: a cold spell lasts a few days, as the weather does. The stationary spread of the
/// noise is `SHOCK / √(1 − PERSISTENCE²)`, about 3.3 °C.
const MEAN: f64 = 10.6;
const AMPLITUDE: f64 = 7.2;
const WARMEST_DAY: f64 = 200.0;
const PERSISTENCE: f64 = 0.75;
const SHOCK: f64 = 2.2;
/// The Belgian gas market's degree-day base (16.5/16.5): a day counts `max(0, 16.5 − T)`.
const DEGREE_DAY_BASE: f64 = 16.5;

/// The cosine by reduction to [−π, π] and its Taylor series (20 terms reach far below an ulp
/// there), so that no platform library decides the last bit.
fn cos(x: f64) -> f64 {
    let tau = std::f64::consts::TAU;
    let r = x - tau * (x / tau).round();
    let (mut term, mut sum) = (1.0, 1.0);
    for k in 1..=20 {
        term *= -r * r / f64::from((2 * k - 1) * (2 * k));
        sum += term;
    }
    sum
}

/// `e^(−z)` for `z ≥ 0`: the Taylor series of `e^(−z/1024)` squared ten times.
fn exp_neg(z: f64) -> f64 {
    if z > 700.0 {
        return 0.0;
    }
    let small = -z / 1024.0;
    let (mut term, mut sum) = (1.0, 1.0);
    for k in 1..=20 {
        term *= small / f64::from(k);
        sum += term;
    }
    (0..10).fold(sum, |s, _| s * s)
}

impl DayShape {
    /// The shape at `slot` of `per_day` equal slots, taken at the slot's middle; distances
    /// wrap around midnight.
    fn at(&self, slot: usize, per_day: usize) -> f64 {
        let t = (slot as f64 + 0.5) * 24.0 / per_day as f64;
        self.bumps.iter().fold(self.base, |v, b| {
            let d = (t - b.centre).abs();
            let d = d.min(24.0 - d) / b.width;
            v + b.height * exp_neg(0.5 * d * d)
        })
    }
}

/// How many days of each (month, day type) the years `FIRST_YEAR..=LAST_YEAR` have,
/// holidays counted as Sundays.
fn day_counts() -> [[u32; 3]; 12] {
    let mut counts = [[0u32; 3]; 12];
    let first = Date::constant(FIRST_YEAR, 1, 1);
    let end = Date::constant(LAST_YEAR + 1, 1, 1);
    let days = std::iter::successors(Some(first), |d| d.tomorrow().ok()).take_while(|d| *d < end);
    for day in days {
        let kind = DayType::ALL.iter().position(|&t| t == DayType::of(day)).unwrap_or(0);
        counts[day.month() as usize - 1][kind] += 1;
    }
    counts
}

/// The 36 rows of an electricity profile, scaled so that the years `FIRST_YEAR..=LAST_YEAR`
/// average 1 MWh (in mWh); each year then lands within a fraction of a percent of it, by its
/// count of Sundays and holidays. Daylight-saving days are left out of the scaling: the hour
/// the spring day loses and the one the autumn day repeats nearly cancel.
fn electricity_csv(model: &Model) -> String {
    let season = |month: usize| 1.0 + model.seasonal * cos(std::f64::consts::TAU * month as f64 / 12.0);
    let raw = |month: usize, kind: usize, q: usize| season(month) * model.shapes[kind].at(q, 96);
    let counts = day_counts();
    let years = f64::from(LAST_YEAR - FIRST_YEAR + 1);
    let mut raw_year = 0.0;
    for (month, kinds) in counts.iter().enumerate() {
        for (kind, &days) in kinds.iter().enumerate() {
            let day: f64 = (0..96).map(|q| raw(month, kind, q)).sum();
            raw_year += f64::from(days) * day / years;
        }
    }
    let scale = YEAR_MILLI_WH / raw_year;
    let mut csv = String::from("month,day_type");
    (0..96).for_each(|q| csv.push_str(&format!(",w{q:02}")));
    csv.push('\n');
    for month in 0..12 {
        for (kind, day_type) in DayType::ALL.into_iter().enumerate() {
            csv.push_str(&format!("{},{day_type}", month + 1));
            for q in 0..96 {
                let weight = (raw(month, kind, q) * scale).round().max(1.0) as u64;
                csv.push_str(&format!(",{weight}"));
            }
            csv.push('\n');
        }
    }
    csv
}

/// Whole numbers proportional to `values` adding up to `total` exactly (largest remainder,
/// ties to the earlier slot), each at least 1.
fn apportion(values: &[f64], total: u64) -> Vec<u64> {
    let sum: f64 = values.iter().sum();
    let exact: Vec<f64> = values.iter().map(|v| v / sum * total as f64).collect();
    let mut whole: Vec<u64> = exact.iter().map(|e| (e.floor() as u64).max(1)).collect();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b))
    });
    let given: u64 = whole.iter().sum();
    for &i in order.iter().cycle().take(total.saturating_sub(given) as usize) {
        whole[i] += 1;
    }
    whole
}

/// The three rows of a gas profile, each row's hourly weights adding up to 10,000.
fn gas_csv(model: &GasModel) -> String {
    let mut csv = String::from("day_type,base_share_permille");
    (0..24).for_each(|h| csv.push_str(&format!(",h{h:02}")));
    csv.push('\n');
    for (shape, day_type) in model.shapes.iter().zip(DayType::ALL) {
        csv.push_str(&format!("{day_type},{}", model.base_share_permille));
        let hours: Vec<f64> = (0..24).map(|h| shape.at(h, 24)).collect();
        for weight in apportion(&hours, GAS_ROW_TOTAL) {
            csv.push_str(&format!(",{weight}"));
        }
        csv.push('\n');
    }
    csv
}

/// A standard normal draw, as the sum of twelve uniforms minus six (Irwin–Hall): exact
/// arithmetic only, unlike Box–Muller's logarithm, and its ±6 bound is no loss for weather.
fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    // The top 53 bits of a word, as a uniform in [0, 1).
    let uniform = |rng: &mut ChaCha8Rng| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (0..12).map(|_| uniform(rng)).sum::<f64>() - 6.0
}

/// The degree-day series, one line per day of `FIRST_YEAR..=LAST_YEAR`, and each year's sum.
fn degree_days_csv() -> (String, Vec<(i16, u64)>) {
    let mut rng = ChaCha8Rng::from_seed(WEATHER_SEED);
    // Start the noise from its stationary distribution rather than from zero, so the first
    // winter is as variable as the others.
    let mut noise = SHOCK / (1.0 - PERSISTENCE * PERSISTENCE).sqrt() * standard_normal(&mut rng);
    let mut csv = String::from("day,degree_days\n");
    let mut sums: Vec<(i16, u64)> = Vec::new();
    let first = Date::constant(FIRST_YEAR, 1, 1);
    let end = Date::constant(LAST_YEAR + 1, 1, 1);
    for (i, day) in
        std::iter::successors(Some(first), |d| d.tomorrow().ok()).take_while(|d| *d < end).enumerate()
    {
        if i > 0 {
            noise = PERSISTENCE * noise + SHOCK * standard_normal(&mut rng);
        }
        let angle = std::f64::consts::TAU * (f64::from(day.day_of_year()) - WARMEST_DAY) / 365.25;
        let mean_temperature = MEAN + AMPLITUDE * cos(angle) + noise;
        let tenths = ((DEGREE_DAY_BASE - mean_temperature) * 10.0).round().max(0.0) as u64;
        csv.push_str(&format!("{day},{}.{}\n", tenths / 10, tenths % 10));
        match sums.last_mut() {
            Some((year, sum)) if *year == day.year() => *sum += tenths,
            _ => sums.push((day.year(), tenths)),
        }
    }
    (csv, sums)
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, text)?;
    println!("wrote {} ({} bytes)", path.display(), text.len());
    Ok(())
}

fn main() -> std::io::Result<()> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "data".to_owned());
    let out = Path::new(&out);
    for model in [&RESIDENTIAL, &NON_RESIDENTIAL] {
        write(&out.join("profiles").join(model.file), &electricity_csv(model))?;
    }
    for model in [&GAS_RESIDENTIAL, &GAS_NON_RESIDENTIAL] {
        write(&out.join("profiles").join(model.file), &gas_csv(model))?;
    }
    let (csv, sums) = degree_days_csv();
    write(&out.join("climate").join("degree_days_uccle.csv"), &csv)?;
    for (year, tenths) in sums {
        println!("degree-days {year}: {}.{}", tenths / 10, tenths % 10);
    }
    Ok(())
}
