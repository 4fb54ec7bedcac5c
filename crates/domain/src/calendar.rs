//! The Belgian calendar of the market: legal public holidays, the day types load profiles are
//! written for, and working days.
//!
//! Market deadlines (a switch notified "five working days" ahead, a correction answered within
//! ten) count working days, and standard load profiles have one curve for weekdays, one for
//! Saturdays and one for Sundays, on which public holidays are counted: a household on
//! Christmas Day cooks and heats like on a Sunday, an office is closed. Both need the same list
//! of holidays, so it lives here once rather than in each consumer.
//!
//! The list is the ten legal public holidays of the law of 4 January 1974 and its Royal
//! Decree of 18 April 1974, the days every employer must give: New Year, Easter Monday, Labour
//! Day, Ascension, Whit Monday, National Day, Assumption, All Saints, Armistice and Christmas.
//! Regional and community days (27 September, 11 July, 15 November…) and bank closing days are
//! not legal holidays and are deliberately absent: a market rule that needed them would name
//! them itself.
//!
//! The three movable feasts hang on Easter Sunday, computed with the anonymous Gregorian
//! algorithm (Meeus/Jones/Butcher) rather than taken from a table, so no year runs out. It is
//! pure integer arithmetic; years before 1583 get the proleptic Gregorian answer, which no
//! market date needs.

use std::fmt;

use jiff::civil::{Date, Weekday};

/// One of the ten Belgian legal public holidays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Holiday {
    /// 1 January.
    NewYear,
    /// The day after Easter Sunday.
    EasterMonday,
    /// 1 May.
    LabourDay,
    /// Easter Sunday plus 39 days, a Thursday.
    Ascension,
    /// Easter Sunday plus 50 days (Pentecost Monday).
    WhitMonday,
    /// 21 July.
    NationalDay,
    /// 15 August.
    Assumption,
    /// 1 November.
    AllSaints,
    /// 11 November.
    Armistice,
    /// 25 December.
    Christmas,
}

impl Holiday {
    /// Every holiday, in the order of the law (which is the calendar order except when
    /// Ascension falls on 30 April).
    pub const ALL: [Holiday; 10] = [
        Holiday::NewYear,
        Holiday::EasterMonday,
        Holiday::LabourDay,
        Holiday::Ascension,
        Holiday::WhitMonday,
        Holiday::NationalDay,
        Holiday::Assumption,
        Holiday::AllSaints,
        Holiday::Armistice,
        Holiday::Christmas,
    ];

    /// The stable snake_case name shown in the API and stored alongside computed deadlines, so
    /// that a translation of the display name never changes what was recorded.
    pub fn as_str(self) -> &'static str {
        match self {
            Holiday::NewYear => "new_year",
            Holiday::EasterMonday => "easter_monday",
            Holiday::LabourDay => "labour_day",
            Holiday::Ascension => "ascension",
            Holiday::WhitMonday => "whit_monday",
            Holiday::NationalDay => "national_day",
            Holiday::Assumption => "assumption",
            Holiday::AllSaints => "all_saints",
            Holiday::Armistice => "armistice",
            Holiday::Christmas => "christmas",
        }
    }

    /// The holiday's date in `year`.
    pub fn date(self, year: i16) -> Date {
        let easter = || easter_offset(year);
        match self {
            Holiday::NewYear => fixed(year, 1, 1),
            Holiday::EasterMonday => from_march_first(year, easter() + 1),
            Holiday::LabourDay => fixed(year, 5, 1),
            Holiday::Ascension => from_march_first(year, easter() + 39),
            Holiday::WhitMonday => from_march_first(year, easter() + 50),
            Holiday::NationalDay => fixed(year, 7, 21),
            Holiday::Assumption => fixed(year, 8, 15),
            Holiday::AllSaints => fixed(year, 11, 1),
            Holiday::Armistice => fixed(year, 11, 11),
            Holiday::Christmas => fixed(year, 12, 25),
        }
    }
}

impl fmt::Display for Holiday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The years a [`Date`] can hold; a year outside is clamped to them, since no date outside
/// exists to ask about.
fn clamp_year(year: i16) -> i16 {
    year.clamp(Date::MIN.year(), Date::MAX.year())
}

/// A fixed-date holiday of `year`.
fn fixed(year: i16, month: i8, day: i8) -> Date {
    Date::new(clamp_year(year), month, day).expect("a fixed holiday is a valid day of every clamped year")
}

/// The day `offset` days after 1 March of `year`, for the offsets the movable feasts reach
/// (Easter's 21..=55, plus at most 50): always inside March to June, whose lengths do not
/// depend on the year, so no fallible date arithmetic is needed.
fn from_march_first(year: i16, offset: i8) -> Date {
    let (month, day) = match offset {
        ..=30 => (3, offset + 1),
        31..=60 => (4, offset - 30),
        61..=91 => (5, offset - 60),
        _ => (6, offset - 91),
    };
    Date::new(clamp_year(year), month, day).expect("offsets up to 105 stay inside June of a clamped year")
}

/// Easter Sunday of `year` as days after 1 March (21 = 22 March, 55 = 25 April), by the
/// anonymous Gregorian algorithm (Meeus, *Astronomical Algorithms*, ch. 8). Euclidean division
/// keeps it right for the negative years a [`Date`] can hold.
fn easter_offset(year: i16) -> i8 {
    let y = i32::from(clamp_year(year));
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    // Meeus reads h + l - 7m + 114 as 31 × month + day - 1; for March (93 + days after
    // 1 March) and April (124 + day - 1 = 93 + 31 + day - 1) alike, the offset is that minus
    // 93. The algorithm keeps Easter in 22 March ..= 25 April, so it is 21..=55.
    (h + l - 7 * m + 114 - 93) as i8
}

/// Easter Sunday of `year` (Gregorian). A year outside the range of [`Date`] (-9999..=9999)
/// is clamped to it.
pub fn easter_sunday(year: i16) -> Date {
    from_march_first(year, easter_offset(year))
}

/// The ten legal public holidays of `year`, in date order (on a year when Ascension falls on
/// 1 May, as in 2008, both holidays are listed, Labour Day first).
pub fn public_holidays(year: i16) -> [(Date, Holiday); 10] {
    let mut days = Holiday::ALL.map(|h| (h.date(year), h));
    // Stable: two holidays on one day keep the law's order.
    days.sort_by_key(|&(date, _)| date);
    days
}

/// Which legal public holiday `date` is, if any (the first in the law's order when two fall
/// on the same day).
pub fn holiday_on(date: Date) -> Option<Holiday> {
    match (date.month(), date.day()) {
        (1, 1) => return Some(Holiday::NewYear),
        (5, 1) => return Some(Holiday::LabourDay),
        (7, 21) => return Some(Holiday::NationalDay),
        (8, 15) => return Some(Holiday::Assumption),
        (11, 1) => return Some(Holiday::AllSaints),
        (11, 11) => return Some(Holiday::Armistice),
        (12, 25) => return Some(Holiday::Christmas),
        (3..=6, _) => {}
        _ => return None,
    }
    [Holiday::EasterMonday, Holiday::Ascension, Holiday::WhitMonday]
        .into_iter()
        .find(|h| h.date(date.year()) == date)
}

/// Whether `date` is a Belgian legal public holiday.
pub fn is_public_holiday(date: Date) -> bool {
    holiday_on(date).is_some()
}

/// The kind of day a standard load profile has a curve for.
///
/// Three kinds, as the Belgian profiles are published: households and businesses behave
/// differently on Saturdays (shops open, offices closed) and Sundays, and a public holiday is
/// a Sunday for both. A holiday on a Saturday is a Sunday too: the shops are closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DayType {
    /// Monday to Friday, not a public holiday.
    Weekday,
    /// Saturday, not a public holiday.
    Saturday,
    /// Sunday, or any public holiday.
    Sunday,
}

impl DayType {
    /// Every day type, in the order profile files list them.
    pub const ALL: [DayType; 3] = [DayType::Weekday, DayType::Saturday, DayType::Sunday];

    /// The day type of `date`: a public holiday counts as a Sunday.
    pub fn of(date: Date) -> DayType {
        if is_public_holiday(date) {
            return DayType::Sunday;
        }
        match date.weekday() {
            Weekday::Saturday => DayType::Saturday,
            Weekday::Sunday => DayType::Sunday,
            _ => DayType::Weekday,
        }
    }

    /// The stable text form, as the `day_type` column of the profile files writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            DayType::Weekday => "weekday",
            DayType::Saturday => "saturday",
            DayType::Sunday => "sunday",
        }
    }
}

impl fmt::Display for DayType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `date` is a working day for market deadlines: Monday to Friday and not a legal
/// public holiday.
pub fn is_working_day(date: Date) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) && !is_public_holiday(date)
}

/// The `n`-th working day after `date` (`date` itself for `n = 0`, whatever day it is): the
/// day a deadline of "n working days" from `date` falls on. Saturates at the last date a
/// [`Date`] can hold rather than failing, since no deadline reaches year 9999.
pub fn add_working_days(date: Date, n: u32) -> Date {
    walk_working_days(date, n, true, is_working_day)
}

/// The `n`-th day `is_working` accepts after `date` (or before it, `forward` false),
/// saturating at the ends of what a [`Date`] can hold.
fn walk_working_days(date: Date, n: u32, forward: bool, is_working: impl Fn(Date) -> bool) -> Date {
    let mut day = date;
    let mut left = n;
    while left > 0 {
        match if forward { day.tomorrow() } else { day.yesterday() } {
            Ok(next) => day = next,
            Err(_) => return day,
        }
        if is_working(day) {
            left -= 1;
        }
    }
    day
}

/// The day `n` working days before `date`, counted so that
/// `add_working_days(sub_working_days(d, n), n) == d` for a working day `d`: the day a reminder
/// "n working days before a deadline" falls on. Saturates at the first date a [`Date`] can
/// hold.
pub fn sub_working_days(date: Date, n: u32) -> Date {
    walk_working_days(date, n, false, is_working_day)
}

/// Regional or company days off beyond the legal holidays (27 September for the French
/// Community, 15 November in public services, a company's bridge days), loaded from a file:
/// what staff count in when they plan, on top of [`is_working_day`]. The deadlines of the
/// market and of the connection procedure count legal working days only, as the regulations
/// write them, so a queue replays to the same deadlines whatever file an installation loads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtraDays {
    days: std::collections::BTreeMap<Date, String>,
}

/// Why a file of extra days was refused: the file, the line and the field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {field}: {reason}")]
pub struct ExtraDaysError {
    /// The file, as named to the parser.
    pub file: String,
    /// The line, from 1.
    pub line: u64,
    /// The field at fault.
    pub field: &'static str,
    /// What was wrong.
    pub reason: String,
}

impl ExtraDays {
    /// Parses a CSV file with the header `day,name`: one day off a line (`2026-09-27,Fête de la
    /// Communauté française`). A day listed twice is refused, as is a blank name.
    pub fn parse(file: &str, text: &str) -> Result<ExtraDays, ExtraDaysError> {
        let error = |line: u64, field: &'static str, reason: String| ExtraDaysError {
            file: file.to_owned(),
            line,
            field,
            reason,
        };
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
        let headers = reader.headers().map_err(|e| error(1, "header", e.to_string()))?;
        if headers.iter().collect::<Vec<_>>() != ["day", "name"] {
            return Err(error(
                1,
                "header",
                format!("expected day,name, found {}", headers.iter().collect::<Vec<_>>().join(",")),
            ));
        }
        let mut days = std::collections::BTreeMap::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                error(line, "line", e.to_string())
            })?;
            let line = record.position().map_or(0, |p| p.line());
            let day_text = record.get(0).unwrap_or_default().trim();
            let day: Date = day_text.parse().map_err(|_| {
                error(line, "day", format!("a day is written YYYY-MM-DD, found {day_text:?}"))
            })?;
            let name = record.get(1).unwrap_or_default().trim();
            if name.is_empty() {
                return Err(error(line, "name", "a day off is named".into()));
            }
            if days.insert(day, name.to_owned()).is_some() {
                return Err(error(line, "day", format!("{day} is listed twice")));
            }
        }
        Ok(ExtraDays { days })
    }

    /// The extra day off on `date`, by name.
    pub fn on(&self, date: Date) -> Option<&str> {
        self.days.get(&date).map(String::as_str)
    }

    /// Whether `date` is a working day: a legal one that is not an extra day off.
    pub fn is_working_day(&self, date: Date) -> bool {
        is_working_day(date) && !self.days.contains_key(&date)
    }

    /// The `n`-th working day after `date`, extra days off skipped too.
    pub fn add_working_days(&self, date: Date, n: u32) -> Date {
        walk_working_days(date, n, true, |d| self.is_working_day(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i16, m: i8, d: i8) -> Date {
        Date::constant(y, m, d)
    }

    #[test]
    fn easter_matches_known_dates() {
        for (year, expected) in [
            (2024, date(2024, 3, 31)),
            (2025, date(2025, 4, 20)),
            (2026, date(2026, 4, 5)),
            (2027, date(2027, 3, 28)),
            (2000, date(2000, 4, 23)),
            (2038, date(2038, 4, 25)),
            (2008, date(2008, 3, 23)),
            (2285, date(2285, 3, 22)),
            (1954, date(1954, 4, 18)),
        ] {
            assert_eq!(easter_sunday(year), expected, "{year}");
        }
    }

    #[test]
    fn movable_feasts_follow_easter() {
        assert_eq!(Holiday::EasterMonday.date(2026), date(2026, 4, 6));
        assert_eq!(Holiday::Ascension.date(2026), date(2026, 5, 14));
        assert_eq!(Holiday::WhitMonday.date(2026), date(2026, 5, 25));
        // Latest possible Easter: Whit Monday reaches into June.
        assert_eq!(Holiday::WhitMonday.date(2038), date(2038, 6, 14));
    }

    #[test]
    fn holidays_of_2026() {
        let days: Vec<(String, &str)> =
            public_holidays(2026).iter().map(|(d, h)| (d.to_string(), h.as_str())).collect();
        let expected = [
            ("2026-01-01", "new_year"),
            ("2026-04-06", "easter_monday"),
            ("2026-05-01", "labour_day"),
            ("2026-05-14", "ascension"),
            ("2026-05-25", "whit_monday"),
            ("2026-07-21", "national_day"),
            ("2026-08-15", "assumption"),
            ("2026-11-01", "all_saints"),
            ("2026-11-11", "armistice"),
            ("2026-12-25", "christmas"),
        ];
        assert_eq!(days, expected.map(|(d, h)| (d.to_owned(), h)));
        assert!(is_public_holiday(date(2026, 7, 21)));
        assert_eq!(holiday_on(date(2026, 7, 21)), Some(Holiday::NationalDay));
        assert!(!is_public_holiday(date(2026, 7, 22)));
        assert!(!is_public_holiday(date(2026, 4, 5)), "Easter Sunday is a Sunday, not a legal holiday");
    }

    #[test]
    fn ascension_on_labour_day_lists_both() {
        let days = public_holidays(2008);
        assert_eq!(days[2], (date(2008, 5, 1), Holiday::LabourDay));
        assert_eq!(days[3], (date(2008, 5, 1), Holiday::Ascension));
        // Easter on 22 March puts Ascension on 30 April, before Labour Day.
        let days = public_holidays(2285);
        assert_eq!(days[2], (date(2285, 4, 30), Holiday::Ascension));
    }

    #[test]
    fn day_types_count_holidays_as_sundays() {
        assert_eq!(DayType::of(date(2026, 7, 21)), DayType::Sunday, "a Tuesday holiday");
        assert_eq!(DayType::of(date(2026, 7, 22)), DayType::Weekday);
        assert_eq!(DayType::of(date(2026, 7, 25)), DayType::Saturday);
        assert_eq!(DayType::of(date(2026, 8, 15)), DayType::Sunday, "a Saturday holiday");
        assert_eq!(DayType::of(date(2026, 7, 26)), DayType::Sunday);
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let friday = date(2026, 7, 17);
        assert_eq!(add_working_days(friday, 0), friday);
        assert_eq!(add_working_days(friday, 1), date(2026, 7, 20));
        assert_eq!(add_working_days(friday, 2), date(2026, 7, 22), "21 July is skipped");
        assert_eq!(add_working_days(date(2026, 12, 24), 1), date(2026, 12, 28));
        assert_eq!(add_working_days(date(2026, 12, 26), 0), date(2026, 12, 26));
        assert!(!is_working_day(date(2026, 5, 14)));
        assert!(is_working_day(date(2026, 5, 15)));
        assert_eq!(add_working_days(Date::MAX, 3), Date::MAX);
    }

    #[test]
    fn years_outside_the_date_range_are_clamped() {
        assert_eq!(easter_sunday(i16::MAX), easter_sunday(9999));
        assert_eq!(easter_sunday(i16::MIN), easter_sunday(-9999));
    }

    #[test]
    fn extra_days_are_skipped_and_bad_files_named() {
        let extra =
            ExtraDays::parse("extra.csv", "day,name\n2026-09-28,Company bridge day\n").expect("a good file");
        assert!(is_working_day(date(2026, 9, 28)));
        assert!(!extra.is_working_day(date(2026, 9, 28)));
        assert_eq!(extra.add_working_days(date(2026, 9, 25), 1), date(2026, 9, 29));
        assert_eq!(extra.on(date(2026, 9, 28)), Some("Company bridge day"));
        let refused = ExtraDays::parse("extra.csv", "day,name\n2026-09-28,A\n2026-02-30,B\n")
            .expect_err("no 30 February");
        assert_eq!((refused.line, refused.field), (3, "day"));
        let refused =
            ExtraDays::parse("extra.csv", "day,name\n2026-09-28,A\n2026-09-28,B\n").expect_err("twice");
        assert_eq!((refused.line, refused.field), (3, "day"));
        let refused = ExtraDays::parse("extra.csv", "date,label\n").expect_err("bad header");
        assert_eq!(refused.field, "header");
    }

    proptest! {
        #[test]
        fn easter_is_a_sunday_between_22_march_and_25_april(year in 1583i16..=4099) {
            let easter = easter_sunday(year);
            prop_assert_eq!(easter.weekday(), Weekday::Sunday);
            prop_assert!(easter >= date(year, 3, 22) && easter <= date(year, 4, 25), "{}", easter);
            prop_assert_eq!(holiday_on(Holiday::WhitMonday.date(year)), Some(Holiday::WhitMonday));
            prop_assert_eq!(Holiday::Ascension.date(year).weekday(), Weekday::Thursday);
        }

        #[test]
        fn every_listed_holiday_is_recognised(year in 1583i16..=4099) {
            for (day, holiday) in public_holidays(year) {
                prop_assert!(is_public_holiday(day));
                prop_assert_eq!(day.year(), year);
                prop_assert_eq!(DayType::of(day), DayType::Sunday);
                prop_assert_eq!(holiday.date(year), day);
            }
        }
    }
}
