//! A synthetic residential load, shared by the packing test and the `packing` example so that
//! the figure the example prints is the one the test asserts.

/// One local day of quarter-hourly offtake of a household using about 3,800 kWh a year, in Wh:
/// a standby base, morning, midday and evening peaks, ±30 Wh of noise and appliances (kettle,
/// oven, washing machine) switching on at random. `seed` varies the noise; the same seed gives
/// the same day.
pub fn residential_day(seed: u64, intervals: usize) -> Vec<i64> {
    // xorshift64: deterministic and dependency-free; the shape matters, not the randomness.
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..intervals)
        .map(|i| {
            let hour = i as f64 / 4.0;
            let bump =
                |centre: f64, width: f64, height: f64| height * (-((hour - centre) / width).powi(2)).exp();
            let shape = 45.0 + bump(7.5, 1.0, 120.0) + bump(12.5, 1.5, 50.0) + bump(19.5, 1.8, 220.0);
            let noise = (next() % 61) as f64 - 30.0;
            let appliance = if next() % 12 == 0 { 150.0 + (next() % 200) as f64 } else { 0.0 };
            (shape + noise + appliance).max(5.0).round() as i64
        })
        .collect()
}
