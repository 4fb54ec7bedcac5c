//! Metering through its public API: the intervals of Brussels local days across the clock
//! changes, each validation rule triggered and not, and the estimates.

use std::collections::BTreeSet;
use std::collections::HashSet;

use domain::Ean;
use domain::instant::parse_rfc3339;
use domain::metering::{
    CalorificValue, Channel, Connection, DayLayout, Dial, EstimationConfig, EstimationError, Finding,
    HeatingModel, IndexReading, Interval, IntervalDay, IntervalError, Profile, ProfileFill, Quality,
    Register, Rule, Source, ValidationConfig, check_coverage, check_degree_days, check_gaps,
    check_history_band, check_index, check_profile, check_spikes, check_sum_against_index, check_values,
    check_zero_runs, estimate_gaps, fill_to_index,
};
use jiff::Timestamp;
use jiff::civil::{Date, Weekday};

pub const SPRING: Date = Date::constant(2026, 3, 29);
pub const AUTUMN: Date = Date::constant(2026, 10, 25);
pub const ORDINARY: Date = Date::constant(2026, 6, 1);

pub fn ean() -> Ean {
    Ean::from_body(54_144_100_000_000_001).expect("valid body")
}

fn ts(text: &str) -> Timestamp {
    text.parse().expect("test instant")
}

pub fn day_of(channel: Channel, day: Date, intervals: Vec<Interval>) -> IntervalDay {
    IntervalDay::new(ean(), channel, day, intervals).expect("the day's length")
}

/// An ordinary electricity day of `wh` every quarter-hour, with some intervals replaced.
fn electricity(wh: i64, replaced: &[(usize, Interval)]) -> IntervalDay {
    let mut intervals = vec![Interval::measured(wh); 96];
    for &(i, interval) in replaced {
        intervals[i] = interval;
    }
    day_of(Channel::ElectricityOfftake, ORDINARY, intervals)
}

fn count(channel: Channel, day: Date) -> usize {
    DayLayout::new(channel, day).expect("placeable").len()
}

#[test]
fn local_days_have_92_96_or_100_quarter_hours_and_23_24_or_25_hours() {
    for channel in [Channel::ElectricityOfftake, Channel::ElectricityInjection] {
        assert_eq!(count(channel, SPRING), 92);
        assert_eq!(count(channel, ORDINARY), 96);
        assert_eq!(count(channel, AUTUMN), 100);
    }
    assert_eq!(count(Channel::GasOfftake, SPRING), 23);
    assert_eq!(count(Channel::GasOfftake, ORDINARY), 24);
    assert_eq!(count(Channel::GasOfftake, AUTUMN), 25);
}

#[test]
fn each_year_has_one_short_and_one_long_day_on_the_last_sundays_of_march_and_october() {
    // The reference is the EU rule, independent of the tz database the code reads.
    for year in 2000i16..2040 {
        let last_sunday = |month| {
            Date::constant(year, month, 1).nth_weekday_of_month(-1, Weekday::Sunday).expect("a last Sunday")
        };
        let mut day = Date::constant(year, 1, 1);
        let mut total = 0;
        while day.year() == year {
            let n = count(Channel::ElectricityOfftake, day);
            let expected = if day == last_sunday(3) {
                92
            } else if day == last_sunday(10) {
                100
            } else {
                96
            };
            assert_eq!(n, expected, "{day}");
            total += n;
            day = day.tomorrow().expect("in range");
        }
        assert_eq!(total, 96 * if Date::constant(year, 12, 31).day_of_year() == 366 { 366 } else { 365 });
    }
}

#[test]
fn the_repeated_hour_of_autumn_has_distinct_labels() {
    let layout = DayLayout::new(Channel::ElectricityOfftake, AUTUMN).expect("placeable");
    let labels: Vec<String> = (0..layout.len()).map(|i| layout.label(i).expect("in the day")).collect();
    assert_eq!(labels.iter().collect::<HashSet<_>>().len(), 100);
    assert_eq!(labels[0], "2026-10-25T00:00:00+02:00");
    assert_eq!(labels[8], "2026-10-25T02:00:00+02:00");
    assert_eq!(labels[11], "2026-10-25T02:45:00+02:00");
    assert_eq!(labels[12], "2026-10-25T02:00:00+01:00");
    assert_eq!(labels[99], "2026-10-25T23:45:00+01:00");
    // Every label is the RFC 3339 text of its interval's start.
    for (i, label) in labels.iter().enumerate() {
        assert_eq!(parse_rfc3339(label), Ok(layout.interval_start(i).expect("in the day")));
    }
    let gas = DayLayout::new(Channel::GasOfftake, AUTUMN).expect("placeable");
    assert_eq!(gas.label(2).expect("in the day"), "2026-10-25T02:00:00+02:00");
    assert_eq!(gas.label(3).expect("in the day"), "2026-10-25T02:00:00+01:00");
}

#[test]
fn the_spring_day_skips_from_two_to_three() {
    let layout = DayLayout::new(Channel::ElectricityOfftake, SPRING).expect("placeable");
    assert_eq!(layout.label(7).expect("in the day"), "2026-03-29T01:45:00+01:00");
    assert_eq!(layout.label(8).expect("in the day"), "2026-03-29T03:00:00+02:00");
    assert_eq!(layout.start(), ts("2026-03-28T23:00:00Z"));
    assert_eq!(layout.end(), ts("2026-03-29T22:00:00Z"));
    let e = layout.interval_start(92).expect_err("past the end");
    assert_eq!(e, IntervalError::OutsideDay { day: SPRING, index: 92, count: 92 });
    assert_eq!(e.code(), "interval_outside_day");
}

#[test]
fn an_instant_is_located_in_its_local_day_or_refused_off_the_boundaries() {
    // The second 02:00 of the autumn day: UTC 01:00.
    let (layout, index) =
        DayLayout::locate(Channel::ElectricityOfftake, ts("2026-10-25T01:00:00Z")).expect("boundary");
    assert_eq!((layout.day(), index), (AUTUMN, 12));
    let (layout, index) =
        DayLayout::locate(Channel::GasOfftake, ts("2026-10-25T01:00:00Z")).expect("boundary");
    assert_eq!((layout.day(), index), (AUTUMN, 3));
    // Local midnight in summer is 22:00 UTC the day before.
    let (layout, index) =
        DayLayout::locate(Channel::GasOfftake, ts("2026-05-31T22:00:00Z")).expect("boundary");
    assert_eq!((layout.day(), index), (ORDINARY, 0));
    for (channel, at, minutes) in [
        (Channel::ElectricityOfftake, "2026-10-25T01:07:00Z", 15),
        (Channel::ElectricityOfftake, "2026-10-25T01:00:00.5Z", 15),
        (Channel::GasOfftake, "2026-10-25T01:15:00Z", 60),
    ] {
        let e = DayLayout::locate(channel, ts(at)).expect_err("off the boundaries");
        assert_eq!(e, IntervalError::NotOnBoundary { field: "start", at: ts(at), minutes });
        assert_eq!(e.code(), "not_on_interval_boundary");
        assert!(e.to_string().starts_with("start: "), "{e}");
    }
}

fn connection() -> Connection {
    // 40 A single phase at 230 V.
    Connection { max_power_w: 9_200 }
}

fn rules(findings: &[Finding]) -> Vec<Rule> {
    findings.iter().map(|f| f.rule).collect()
}

#[test]
fn negative_and_impossible_values() {
    let config = ValidationConfig::default();
    // 9,200 W × 15 min × 110 % = 2,530 Wh a quarter-hour.
    let day = electricity(
        100,
        &[(10, Interval::measured(-5)), (11, Interval::measured(-7)), (40, Interval::measured(2_531))],
    );
    let findings = check_values(&day, connection(), &config);
    assert_eq!(rules(&findings), [Rule::NegativeValue, Rule::ImpossibleValue]);
    assert_eq!(findings[0].intervals, Some(10..12));
    assert_eq!(findings[0].code(), "negative_value");
    assert_eq!(findings[1].intervals, Some(40..41));
    assert!(findings[1].reason.contains("2530 Wh"), "{}", findings[1].reason);
    let fine = electricity(100, &[(10, Interval::measured(0)), (40, Interval::measured(2_530))]);
    assert_eq!(check_values(&fine, connection(), &config), []);
}

#[test]
fn spikes_against_neighbours() {
    let config = ValidationConfig::default();
    let day = electricity(100, &[(30, Interval::measured(2_000))]);
    let findings = check_spikes(&day, &config);
    assert_eq!(rules(&findings), [Rule::Spike]);
    assert_eq!(findings[0].intervals, Some(30..31));
    // Nine times the neighbours is a kettle; a jump under the floor is nothing.
    assert_eq!(check_spikes(&electricity(100, &[(30, Interval::measured(900))]), &config), []);
    assert_eq!(check_spikes(&electricity(10, &[(30, Interval::measured(200))]), &config), []);
    // A neighbour without a usable value leaves the interval unjudged.
    let beside_a_gap = electricity(100, &[(29, Interval::missing()), (30, Interval::measured(2_000))]);
    assert_eq!(check_spikes(&beside_a_gap, &config), []);
}

#[test]
fn runs_of_zeros_on_offtake() {
    let config = ValidationConfig::default();
    let zeros = |n: usize| (0..n).map(|i| (20 + i, Interval::measured(0))).collect::<Vec<_>>();
    let findings = check_zero_runs(&electricity(100, &zeros(24)), &config);
    assert_eq!(rules(&findings), [Rule::ZeroRun]);
    assert_eq!(findings[0].intervals, Some(20..44));
    assert_eq!(check_zero_runs(&electricity(100, &zeros(23)), &config), []);
    // Injection is zero every night.
    let night = day_of(Channel::ElectricityInjection, ORDINARY, vec![Interval::measured(0); 96]);
    assert_eq!(check_zero_runs(&night, &config), []);
    // Gas: a whole day at zero, not an afternoon.
    let gas_day = day_of(Channel::GasOfftake, ORDINARY, vec![Interval::measured(0); 24]);
    assert_eq!(rules(&check_zero_runs(&gas_day, &config)), [Rule::ZeroRun]);
    let mut afternoon = vec![Interval::measured(0); 24];
    afternoon[23] = Interval::measured(800);
    assert_eq!(check_zero_runs(&day_of(Channel::GasOfftake, ORDINARY, afternoon), &config), []);
}

#[test]
fn gaps_in_a_day_and_in_a_delivery() {
    let day =
        electricity(100, &[(5, Interval::missing()), (6, Interval::missing()), (50, Interval::missing())]);
    let findings = check_gaps(&day);
    assert_eq!(rules(&findings), [Rule::Gap, Rule::Gap]);
    assert_eq!(findings[0].intervals, Some(5..7));
    assert_eq!(findings[1].intervals, Some(50..51));
    assert_eq!(check_gaps(&electricity(100, &[])), []);

    let layout = DayLayout::new(Channel::ElectricityOfftake, AUTUMN).expect("placeable");
    let all: Vec<Timestamp> = (0..100).map(|i| layout.interval_start(i).expect("in the day")).collect();
    assert_eq!(check_coverage(Channel::ElectricityOfftake, AUTUMN, &all), Ok(vec![]));
    // The first 02:00 twice, the second 02:00 not at all: the labels tell them apart.
    let mut delivered = all.clone();
    delivered[12] = all[8];
    let findings =
        check_coverage(Channel::ElectricityOfftake, AUTUMN, &delivered).expect("on the boundaries");
    assert_eq!(rules(&findings), [Rule::Duplicate, Rule::Gap]);
    assert_eq!(findings[0].intervals, Some(8..9));
    assert_eq!(findings[1].intervals, Some(12..13));
    assert!(findings[1].reason.contains("02:00:00+01:00"), "{}", findings[1].reason);
    let e = check_coverage(Channel::ElectricityOfftake, ORDINARY, &all).expect_err("another day");
    assert_eq!(e.code(), "start_outside_day");
}

#[test]
fn intervals_summed_against_the_index_difference() {
    let config = ValidationConfig::default();
    let days = [electricity(100, &[]), electricity(100, &[])];
    // 19,200 Wh measured; the tolerance is 1,000 Wh or 1 %, whichever is larger.
    assert_eq!(check_sum_against_index(&days, 19_200, &config), None);
    assert_eq!(check_sum_against_index(&days, 20_100, &config), None);
    let finding = check_sum_against_index(&days, 21_000, &config).expect("1,800 Wh off");
    assert_eq!(finding.rule, Rule::SumMismatch);
    assert!(finding.reason.contains("-1800 Wh"), "{}", finding.reason);
    let with_a_hole = [electricity(100, &[(3, Interval::missing())]), electricity(100, &[])];
    assert_eq!(check_sum_against_index(&with_a_hole, 50_000, &config), None);
}

#[test]
fn the_same_period_of_previous_years() {
    let config = ValidationConfig::default();
    assert_eq!(check_history_band(3_000_000, &[3_000_000, 3_200_000], &config), None);
    let finding = check_history_band(1_000_000, &[3_000_000, 3_200_000], &config).expect("a third");
    assert_eq!(finding.code(), "outside_history_band");
    assert_eq!(
        check_history_band(7_000_000, &[3_000_000], &config).map(|f| f.rule),
        Some(Rule::OutsideHistoryBand)
    );
    assert_eq!(check_history_band(1_000_000, &[], &config), None);
    // The band's ends are inside it.
    assert_eq!(check_history_band(1_500_000, &[3_000_000], &config), None);
    assert_eq!(check_history_band(6_000_000, &[3_000_000], &config), None);
    let just_over = check_history_band(6_000_001, &[3_000_000], &config).expect("past 200 %");
    assert!(just_over.reason.ends_with("outside 50–200 %"), "{}", just_over.reason);
}

#[test]
fn a_standard_load_profile_for_points_without_interval_data() {
    let config = ValidationConfig::default();
    // A flat daily profile: 30 days of a 3,650 kWh year is 300 kWh.
    let profile = Profile::new(vec![1; 365]).expect("weights");
    assert_eq!(check_profile(310_000, 3_650_000, &profile, 0..30, &config), Ok(None));
    let finding =
        check_profile(50_000, 3_650_000, &profile, 0..30, &config).expect("in range").expect("a sixth");
    assert_eq!(finding.rule, Rule::OutsideProfileBand);
    assert!(finding.reason.contains("300000 Wh"), "{}", finding.reason);
    assert_eq!(check_profile(1, 1, &profile, 360..370, &config).map_err(|e| e.code()), Err("profile_range"));
}

#[test]
fn gas_against_heating_degree_days() {
    let config = ValidationConfig::default();
    let model = HeatingModel { base_wh_per_day: 5_000, wh_per_degree_day: 4_000 };
    let cold_month = [10.0; 30];
    // 30 × 5 kWh + 300 degree-days × 4 kWh = 1,350 kWh.
    assert_eq!(check_degree_days(1_300_000, &cold_month, model, &config), None);
    let finding = check_degree_days(3_000_000, &cold_month, model, &config).expect("more than double");
    assert_eq!(finding.rule, Rule::OutsideDegreeDayBand);
    // A mild month predicts little: the same figure is then far too much.
    assert_eq!(
        check_degree_days(1_300_000, &[1.0; 30], model, &config).map(|f| f.rule),
        Some(Rule::OutsideDegreeDayBand)
    );
}

fn reading(register: Register, kwh: u64, at: &str) -> IndexReading {
    IndexReading::electricity(ean(), register, kwh * 1000, ts(at), Source::CustomerCard)
        .expect("electricity register")
}

#[test]
fn index_readings_rollover_backwards_and_impossible() {
    let config = ValidationConfig::default();
    let dial = Dial::try_from(6).expect("six digits");
    let check = |previous: &IndexReading, next: &IndexReading| {
        check_index(previous, next, dial, connection(), &config).expect("comparable")
    };
    let january = reading(Register::Day, 5_000, "2026-01-05T10:00:00Z");
    let normal = check(&january, &reading(Register::Day, 5_300, "2026-02-05T10:00:00Z"));
    assert_eq!((normal.advance, normal.energy_wh, normal.findings), (Some(300_000), Some(300_000), vec![]));

    let rolled = check(
        &reading(Register::Day, 999_990, "2026-01-05T10:00:00Z"),
        &reading(Register::Day, 10, "2026-02-05T10:00:00Z"),
    );
    assert_eq!((rolled.advance, rules(&rolled.findings)), (Some(20_000), vec![Rule::MeterRollover]));

    let backwards = check(&january, &reading(Register::Day, 4_990, "2026-02-05T10:00:00Z"));
    assert_eq!((backwards.advance, rules(&backwards.findings)), (None, vec![Rule::IndexBackwards]));
    assert_eq!(backwards.findings[0].code(), "index_backwards");

    let beyond_the_dial = check(&january, &reading(Register::Day, 1_200_000, "2026-02-05T10:00:00Z"));
    assert_eq!(rules(&beyond_the_dial.findings), [Rule::ImpossibleValue]);
    // 10,000 kWh in a day is 417 kW on a 9.2 kW connection.
    let too_fast = check(&january, &reading(Register::Day, 15_000, "2026-01-06T10:00:00Z"));
    assert_eq!(rules(&too_fast.findings), [Rule::ImpossibleValue]);

    let night = reading(Register::Night, 5_300, "2026-02-05T10:00:00Z");
    assert_eq!(
        check_index(&january, &night, dial, connection(), &config).map_err(|e| e.code()),
        Err("readings_not_comparable")
    );
    let earlier = reading(Register::Day, 5_300, "2026-01-01T10:00:00Z");
    assert_eq!(
        check_index(&january, &earlier, dial, connection(), &config).map_err(|e| e.code()),
        Err("readings_out_of_order")
    );
}

#[test]
fn gas_readings_become_energy_with_their_calorific_value() {
    let calorific = CalorificValue::try_from(11_300).expect("H-gas");
    let at = |s| ts(s);
    let reader = Source::ReaderVisit { reader: "reader-7".parse().expect("party id") };
    let first = IndexReading::gas(ean(), 1_000_000, calorific, at("2026-01-05T10:00:00Z"), reader.clone());
    let second = IndexReading::gas(ean(), 1_250_500, calorific, at("2026-02-05T10:00:00Z"), Source::Remote);
    assert_eq!(first.source().as_str(), "reader_visit");
    let gas_meter = Connection { max_power_w: 40_000 };
    let check = check_index(
        &first,
        &second,
        Dial::try_from(5).expect("digits"),
        gas_meter,
        &ValidationConfig::default(),
    )
    .expect("comparable");
    // 250.5 m³ × 11.3 kWh/m³.
    assert_eq!((check.advance, check.energy_wh, check.findings), (Some(250_500), Some(2_830_650), vec![]));
    assert_eq!(CalorificValue::try_from(113).map_err(|e| e.code()), Err("calorific_value_out_of_range"));
    assert_eq!(
        IndexReading::electricity(ean(), Register::Gas, 1, at("2026-01-05T10:00:00Z"), Source::Estimate)
            .map_err(|e| e.code()),
        Err("register_energy_mismatch")
    );
    assert_eq!(Dial::try_from(12).map_err(|e| e.code()), Err("dial_digits_out_of_range"));
}

#[test]
fn every_rule_has_a_distinct_snake_case_code_and_is_triggered_above() {
    let codes: BTreeSet<&str> = Rule::ALL.iter().map(|r| r.code()).collect();
    assert_eq!(codes.len(), Rule::ALL.len());
    assert!(codes.iter().all(|c| c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
    // Each test above asserts its rule by name; this lists them, so a new rule without a
    // test fails here.
    let tested = [
        Rule::NegativeValue,
        Rule::ImpossibleValue,
        Rule::MeterRollover,
        Rule::IndexBackwards,
        Rule::Spike,
        Rule::ZeroRun,
        Rule::Gap,
        Rule::Duplicate,
        Rule::SumMismatch,
        Rule::OutsideHistoryBand,
        Rule::OutsideProfileBand,
        Rule::OutsideDegreeDayBand,
    ];
    assert_eq!(tested.len(), Rule::ALL.len());
}

#[test]
fn a_short_gap_is_interpolated_and_flagged_estimated() {
    let day = electricity(
        100,
        &[
            (10, Interval::measured(100)),
            (11, Interval::missing()),
            (12, Interval::missing()),
            (13, Interval::new(0, Quality::Rejected)),
            (14, Interval::measured(500)),
        ],
    );
    let estimated = estimate_gaps(&day, &EstimationConfig::default(), None).expect("a gap");
    assert_eq!(estimated.version().get(), 2);
    assert_eq!(
        &estimated.intervals()[10..15],
        [
            Interval::measured(100),
            Interval::estimated(200),
            Interval::estimated(300),
            Interval::estimated(400),
            Interval::measured(500),
        ]
    );
    // The first version stays as it was.
    assert_eq!(day.intervals()[11], Interval::missing());
    // An estimate is no end for a straight line: without a profile, that gap stays.
    let beside_an_estimate = electricity(100, &[(10, Interval::estimated(100)), (11, Interval::missing())]);
    assert_eq!(
        estimate_gaps(&beside_an_estimate, &EstimationConfig::default(), None),
        Err(EstimationError::NothingToEstimate)
    );
}

#[test]
fn a_long_gap_follows_the_profile_and_without_one_stays_missing() {
    // Three hours missing: longer than the two hours interpolation covers.
    let holes: Vec<(usize, Interval)> = (40..52).map(|i| (i, Interval::missing())).collect();
    let day = electricity(100, &holes);
    assert_eq!(
        estimate_gaps(&day, &EstimationConfig::default(), None),
        Err(EstimationError::NothingToEstimate)
    );
    // A year of quarter-hours weighing 1, except a peak weighing 3 in the gap.
    let mut weights = vec![1u32; 35_040];
    weights[1_000 + 45] = 3;
    let profile = Profile::new(weights).expect("weights");
    let fill = ProfileFill { profile: &profile, yearly_wh: 3_504_200, first: 1_000 };
    let estimated = estimate_gaps(&day, &EstimationConfig::default(), Some(fill)).expect("a gap");
    let values: Vec<Interval> = estimated.intervals()[40..52].to_vec();
    assert!(values.iter().all(|v| v.quality() == Quality::Estimated));
    // 3,504,200 Wh × 14 / 35,042 = 1,400 Wh over the gap: 100 an interval, 300 at the peak.
    assert_eq!(values.iter().filter_map(Interval::wh).sum::<i64>(), 1_400);
    assert_eq!(values[5], Interval::estimated(300));
    assert_eq!(values[0], Interval::estimated(100));
}

#[test]
fn estimates_fill_the_index_difference_exactly() {
    let days = [
        electricity(100, &[(3, Interval::missing()), (4, Interval::missing())]),
        electricity(100, &[(90, Interval::missing())]),
    ];
    // 189 usable intervals of 100 Wh; the index says 19,001: 101 Wh shared among 3 holes.
    let filled = fill_to_index(&days, 19_001, &[1; 192]).expect("holes");
    let total: i64 = filled.iter().map(|d| d.usable_total().0).sum();
    assert_eq!(total, 19_001);
    assert_eq!(filled[0].intervals()[3], Interval::estimated(34));
    assert_eq!(filled[0].intervals()[4], Interval::estimated(34));
    assert_eq!(filled[1].intervals()[90], Interval::estimated(33));
    assert_eq!(
        fill_to_index(&days, 10_000, &[1; 192]),
        Err(EstimationError::MeasuredExceedsIndex { measured: 18_900, difference: 10_000 })
    );
    assert_eq!(fill_to_index(&days, 19_001, &[1; 10]).map_err(|e| e.code()), Err("weight_count"));
}
