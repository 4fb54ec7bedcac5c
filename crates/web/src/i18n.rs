//! French and English: every text of the pages from a Fluent catalogue, dates in Europe/Brussels
//! time and numbers in the locale's own form.
//!
//! The locale comes from the `cloison_lang` cookie (set by the language switch), then from the
//! browser's `Accept-Language`, then French, which most of the people the operator serves read.
//! A key missing from a catalogue shows as the key itself, and a test checks that both
//! catalogues hold the same keys, so a page is never half translated without a test failing.

use std::collections::HashMap;
use std::sync::Arc;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// The languages the pages speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    /// French (Belgium).
    Fr,
    /// English.
    En,
}

impl Locale {
    /// Both, French first: the default and the order of the switch.
    pub const ALL: [Locale; 2] = [Locale::Fr, Locale::En];

    /// The BCP 47 tag, for `<html lang>` and the cookie.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::Fr => "fr",
            Locale::En => "en",
        }
    }

    /// The locale a tag names (`fr`, `fr-BE`, `en-GB`…), if the pages speak it.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "fr" => Some(Locale::Fr),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// The locale of a request: the cookie's, else the first spoken language of
    /// `Accept-Language` by weight, else French.
    pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Locale {
        if let Some(locale) = cookie.and_then(Locale::from_tag) {
            return locale;
        }
        let mut offered: Vec<(f32, usize, Locale)> = accept_language
            .unwrap_or("")
            .split(',')
            .enumerate()
            .filter_map(|(position, item)| {
                let mut parts = item.split(';');
                let locale = Locale::from_tag(parts.next()?)?;
                let weight = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                (weight > 0.0).then_some((weight, position, locale))
            })
            .collect();
        offered.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        offered.first().map_or(Locale::Fr, |o| o.2)
    }
}

/// The two catalogues, parsed once at start.
pub struct Catalogues {
    bundles: HashMap<Locale, FluentBundle<FluentResource>>,
}

/// The catalogues' sources, embedded in the binary.
const SOURCES: [(Locale, &str); 2] =
    [(Locale::Fr, include_str!("../locales/fr.ftl")), (Locale::En, include_str!("../locales/en.ftl"))];

impl Catalogues {
    /// Parses both catalogues; a syntax error in one is a build defect, reported with its text.
    pub fn load() -> Result<Catalogues, String> {
        let mut bundles = HashMap::new();
        for (locale, source) in SOURCES {
            let resource = FluentResource::try_new(source.to_owned())
                .map_err(|(_, errors)| format!("{} catalogue: {errors:?}", locale.tag()))?;
            let tag: unic_langid::LanguageIdentifier =
                locale.tag().parse().map_err(|e| format!("{} tag: {e}", locale.tag()))?;
            let mut bundle = FluentBundle::new_concurrent(vec![tag]);
            // No Unicode isolation marks around arguments: the pages are all left to right,
            // and the marks would end up inside form values and test assertions.
            bundle.set_use_isolating(false);
            bundle.add_resource(resource).map_err(|e| format!("{} catalogue: {e:?}", locale.tag()))?;
            bundles.insert(locale, bundle);
        }
        Ok(Catalogues { bundles })
    }

    /// The message ids of one catalogue, for the test that both hold the same.
    pub fn ids(locale: Locale) -> Vec<String> {
        let source = SOURCES.iter().find(|(l, _)| *l == locale).map_or("", |(_, s)| s);
        let mut ids: Vec<String> = source
            .lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_owned()))
            .collect();
        ids.sort();
        ids
    }
}

/// The texts of one request: its locale and the catalogues, handed to every template.
#[derive(Clone)]
pub struct Texts {
    locale: Locale,
    catalogues: Arc<Catalogues>,
}

impl Texts {
    /// The texts of `locale`.
    pub fn new(locale: Locale, catalogues: Arc<Catalogues>) -> Texts {
        Texts { locale, catalogues }
    }

    /// The locale.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// `<html lang>`.
    pub fn lang(&self) -> &'static str {
        self.locale.tag()
    }

    /// The message `id`; the id itself when the catalogue lacks it.
    pub fn get(&self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` with named arguments.
    pub fn with(&self, id: &str, args: &[(&str, String)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(*name, FluentValue::from(value.clone()));
        }
        self.format(id, Some(&fluent))
    }

    /// Whether the catalogue has `id`: the generic answer view labels a field with its
    /// message when there is one.
    pub fn has(&self, id: &str) -> bool {
        self.catalogues.bundles.get(&self.locale).is_some_and(|b| b.has_message(id))
    }

    fn format(&self, id: &str, args: Option<&FluentArgs>) -> String {
        let Some(bundle) = self.catalogues.bundles.get(&self.locale) else { return id.to_owned() };
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else { return id.to_owned() };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors).into_owned();
        if !errors.is_empty() {
            tracing::warn!(id, ?errors, "message formatted with errors");
        }
        text
    }

    /// An instant as a Europe/Brussels wall-clock time in the locale's form, to the minute:
    /// `7 déc. 2026 18:30` or `7 Dec 2026, 18:30`.
    pub fn instant(&self, at: Timestamp) -> String {
        let zoned = at.to_zoned(brussels());
        let date = self.date(zoned.date());
        match self.locale {
            Locale::Fr => format!("{date} {:02}:{:02}", zoned.hour(), zoned.minute()),
            Locale::En => format!("{date}, {:02}:{:02}", zoned.hour(), zoned.minute()),
        }
    }

    /// A calendar day in the locale's form: `7 déc. 2026` or `7 Dec 2026`.
    pub fn date(&self, date: Date) -> String {
        let month = usize::try_from(date.month() - 1).unwrap_or(0);
        let name = match self.locale {
            Locale::Fr => FR_MONTHS[month],
            Locale::En => EN_MONTHS[month],
        };
        format!("{} {name} {}", date.day(), date.year())
    }

    /// An integer with the locale's digit grouping: `12 345` (a narrow no-break space, as
    /// French typography has it) or `12,345`.
    pub fn int(&self, n: i64) -> String {
        let separator = match self.locale {
            Locale::Fr => '\u{202f}',
            Locale::En => ',',
        };
        let digits = n.unsigned_abs().to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if n < 0 {
            grouped.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(separator);
            }
            grouped.push(c);
        }
        grouped
    }

    /// Watt-hours as kilowatt-hours with three decimals, in the locale's form: `1 234,567 kWh`.
    pub fn kwh(&self, wh: i64) -> String {
        let whole = self.int(wh / 1000);
        let whole = if wh < 0 && wh / 1000 == 0 { format!("-{whole}") } else { whole };
        let decimal = match self.locale {
            Locale::Fr => ',',
            Locale::En => '.',
        };
        format!("{whole}{decimal}{:03} kWh", (wh % 1000).unsigned_abs())
    }
}

const FR_MONTHS: [&str; 12] =
    ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."];
const EN_MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Europe/Brussels from the tz database; UTC if the database lacks it, so a page still shows
/// a time (with the zone named in the footer) rather than failing.
pub fn brussels() -> TimeZone {
    TimeZone::get("Europe/Brussels").unwrap_or(TimeZone::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(locale: Locale) -> Texts {
        Texts::new(locale, Arc::new(Catalogues::load().expect("catalogues parse")))
    }

    #[test]
    fn both_catalogues_hold_the_same_messages() {
        let fr = Catalogues::ids(Locale::Fr);
        let en = Catalogues::ids(Locale::En);
        assert!(fr.len() > 50, "{}", fr.len());
        let only_fr: Vec<_> = fr.iter().filter(|id| !en.contains(id)).collect();
        let only_en: Vec<_> = en.iter().filter(|id| !fr.contains(id)).collect();
        assert!(only_fr.is_empty() && only_en.is_empty(), "fr only {only_fr:?}, en only {only_en:?}");
        for locale in Locale::ALL {
            let t = texts(locale);
            for id in Catalogues::ids(locale) {
                assert!(t.has(&id), "{id} does not parse in {}", locale.tag());
            }
        }
    }

    #[test]
    fn the_cookie_wins_then_the_weights_of_accept_language_then_french() {
        assert_eq!(Locale::negotiate(Some("en"), Some("fr-BE")), Locale::En);
        assert_eq!(Locale::negotiate(Some("de"), Some("en-GB,fr;q=0.5")), Locale::En);
        assert_eq!(Locale::negotiate(None, Some("nl-BE, fr;q=0.4, en;q=0.8")), Locale::En);
        assert_eq!(Locale::negotiate(None, Some("en;q=0, fr-BE;q=0.1")), Locale::Fr);
        assert_eq!(Locale::negotiate(None, Some("de, nl")), Locale::Fr);
        assert_eq!(Locale::negotiate(None, None), Locale::Fr);
        assert_eq!(Locale::negotiate(None, Some("en;q=bad, fr")), Locale::Fr);
    }

    #[test]
    fn instants_are_brussels_wall_clock_in_the_locales_form() {
        // 2026-03-29 01:30 UTC is 03:30 in Brussels (summer time began at 01:00 UTC);
        // 2026-10-25 01:30 UTC is 02:30 in Brussels, the second 02:30 of that night.
        let spring: Timestamp = "2026-03-29T01:30:00Z".parse().expect("instant");
        let autumn: Timestamp = "2026-10-25T01:30:00Z".parse().expect("instant");
        assert_eq!(texts(Locale::Fr).instant(spring), "29 mars 2026 03:30");
        assert_eq!(texts(Locale::En).instant(spring), "29 Mar 2026, 03:30");
        assert_eq!(texts(Locale::Fr).instant(autumn), "25 oct. 2026 02:30");
        let winter: Timestamp = "2026-12-07T17:05:00Z".parse().expect("instant");
        assert_eq!(texts(Locale::Fr).instant(winter), "7 déc. 2026 18:05");
    }

    #[test]
    fn numbers_are_grouped_as_each_locale_groups_them() {
        let fr = texts(Locale::Fr);
        let en = texts(Locale::En);
        assert_eq!(fr.int(1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(en.int(1_234_567), "1,234,567");
        assert_eq!(en.int(-1_000), "-1,000");
        assert_eq!(en.int(999), "999");
        assert_eq!(fr.kwh(1_234_567), "1\u{202f}234,567 kWh");
        assert_eq!(en.kwh(-250), "-0.250 kWh");
        assert_eq!(en.kwh(5), "0.005 kWh");
    }
}
