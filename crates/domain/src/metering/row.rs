//! One interval value as the metering team's systems deliver it: a CSV line of
//! `cloison import readings`, or an object of `POST /v1/readings`.
//!
//! The same six fields either way, so one parser judges both and a row refused from a file is
//! refused with the same code over HTTP:
//!
//! | field | what | example |
//! |---|---|---|
//! | `ean` | the access point, 18 digits with its GS1 check digit | `541448000000000011` |
//! | `channel` | `electricity_offtake`, `electricity_injection` or `gas_offtake` | |
//! | `start` | the interval's first instant, RFC 3339 with its offset | `2026-10-25T02:00:00+01:00` |
//! | `value` | a decimal number in `unit`, empty only for a missing interval | `123`, `0.123` |
//! | `unit` | `Wh` or `kWh` (at most 3 decimals, so a whole Wh) | |
//! | `quality` | `measured` (when empty), `estimated`, `missing`, `rejected`, `corrected` | |
//!
//! The start carries its offset because the autumn change shows 02:00 twice: `+02:00` is the
//! first, `+01:00` the second. A start off the channel's boundary (a quarter-hour for
//! electricity, an hour for gas) is refused, never rounded: a value cannot be filed under an
//! interval it only partly covers. Gas arrives as energy; converting a volume needs the
//! calorific value of the reading ([`super::IndexReading::gas`]), which a series row does not
//! carry, so `m3` is refused by name.

use jiff::Timestamp;
use jiff::civil::Date;

use super::channel::{Channel, DayLayout};
use super::interval::{Interval, Quality};
use crate::gs1::Ean;

/// The columns of a row, in file order; the header line of a file names exactly these.
pub const ROW_FIELDS: [&str; 6] = ["ean", "channel", "start", "value", "unit", "quality"];

/// The largest value a row may carry, in Wh: 1 GWh in one quarter-hour is four times the
/// largest injection site of a distribution grid, so anything above is a typo or a unit
/// mistake, not a reading.
pub const MAX_ROW_WH: i64 = 1_000_000_000;

/// One interval value, judged: where it goes (point, channel, local day, interval number)
/// and what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadingRow {
    /// The access point.
    pub ean: Ean,
    /// The channel.
    pub channel: Channel,
    /// The Europe/Brussels local day the interval belongs to.
    pub day: Date,
    /// The interval's number within the day (0-based).
    pub index: usize,
    /// Its value and quality.
    pub interval: Interval,
}

/// Why a row was refused: the field at fault, a stable code, and a reason a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct RowError {
    /// The field at fault, as [`ROW_FIELDS`] names it (`row` for the line as a whole).
    pub field: &'static str,
    /// The stable code (`bad_ean`, `not_on_interval_boundary`, …).
    pub code: &'static str,
    /// Why, naming what was found.
    pub reason: String,
}

impl RowError {
    fn new(field: &'static str, code: &'static str, reason: impl Into<String>) -> RowError {
        RowError { field, code, reason: reason.into() }
    }
}

/// How many characters of a refused field an error quotes: enough to recognise it, never a
/// whole runaway line.
const QUOTE: usize = 40;

fn quoted(text: &str) -> String {
    let mut shown: String = text.chars().take(QUOTE).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

impl ReadingRow {
    /// Judges the six fields of a row, in [`ROW_FIELDS`] order; the first field at fault is
    /// the one reported.
    pub fn parse(fields: [&str; 6]) -> Result<ReadingRow, RowError> {
        let [ean, channel, start, value, unit, quality] = fields.map(str::trim);
        let ean: Ean = ean.parse().map_err(|e| RowError::new("ean", "bad_ean", format!("{e}")))?;
        let channel: Channel = channel.parse().map_err(|e: crate::access_point::UnknownValue| {
            RowError::new("channel", "bad_channel", e.to_string())
        })?;
        let at: Timestamp = start.parse().map_err(|_| {
            RowError::new(
                "start",
                "bad_start",
                format!(
                    "{} is not an RFC 3339 instant with an offset (2026-10-25T02:00:00+01:00)",
                    quoted(start)
                ),
            )
        })?;
        let (layout, index) = DayLayout::locate(channel, at).map_err(|e| {
            RowError::new("start", e.code(), e.to_string().trim_start_matches("start: ").to_owned())
        })?;
        let quality = if quality.is_empty() {
            Quality::Measured
        } else {
            quality.parse::<Quality>().map_err(|e| RowError::new("quality", "bad_quality", e.to_string()))?
        };
        let interval = if quality == Quality::Missing {
            if !value.is_empty() {
                return Err(RowError::new(
                    "value",
                    "value_on_missing",
                    format!("a missing interval has no value, found {}", quoted(value)),
                ));
            }
            Interval::missing()
        } else {
            let wh = parse_wh(value, unit)?;
            Interval::new(wh, quality)
        };
        Ok(ReadingRow { ean, channel, day: layout.day(), index, interval })
    }

    /// Judges one line of a CSV file: six comma-separated fields, no quoting (no field can
    /// hold a comma).
    pub fn parse_line(line: &str) -> Result<ReadingRow, RowError> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut fields = line.split(',');
        let mut six = [""; 6];
        for (i, slot) in six.iter_mut().enumerate() {
            *slot = fields.next().ok_or_else(|| {
                RowError::new(
                    "row",
                    "wrong_field_count",
                    format!("a row has 6 fields ({}), found {i}", ROW_FIELDS.join(",")),
                )
            })?;
        }
        if fields.next().is_some() {
            let found = 7 + fields.count();
            return Err(RowError::new(
                "row",
                "wrong_field_count",
                format!("a row has 6 fields ({}), found {found}", ROW_FIELDS.join(",")),
            ));
        }
        ReadingRow::parse(six)
    }

    /// Whether `line` is the header naming [`ROW_FIELDS`], which a file may start with.
    pub fn is_header(line: &str) -> bool {
        let line = line.trim_end_matches(['\n', '\r']);
        line.split(',').map(str::trim).eq(ROW_FIELDS)
    }
}

/// A value in `unit` as whole Wh: `Wh` takes an integer, `kWh` at most three decimals, so no
/// value is ever rounded.
fn parse_wh(value: &str, unit: &str) -> Result<i64, RowError> {
    let decimals = match unit {
        "Wh" => 0,
        "kWh" => 3,
        "m3" | "m³" => {
            return Err(RowError::new(
                "unit",
                "bad_unit",
                "gas series arrive as energy (Wh or kWh); a volume needs its calorific value, which a series row does not carry",
            ));
        }
        other => {
            return Err(RowError::new(
                "unit",
                "bad_unit",
                format!("unit must be Wh or kWh, found {}", quoted(other)),
            ));
        }
    };
    let not_a_number =
        || RowError::new("value", "bad_value", format!("{} is not a decimal number", quoted(value)));
    let (negative, digits) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !all_digits(whole)
        || !all_digits(fraction)
        || (digits.contains('.') && fraction.is_empty())
    {
        return Err(not_a_number());
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > decimals {
        return Err(RowError::new(
            "value",
            "too_precise",
            format!("{} has more decimals than a whole Wh in {unit}", quoted(value)),
        ));
    }
    let scale = 10_i64.pow(decimals as u32);
    let too_large = || {
        RowError::new(
            "value",
            "impossible_value",
            format!("{} is above {MAX_ROW_WH} Wh for one interval", quoted(value)),
        )
    };
    let whole: i64 =
        if whole.len() > 18 { return Err(too_large()) } else { whole.parse().map_err(|_| not_a_number())? };
    let mut part: i64 = if fraction.is_empty() { 0 } else { fraction.parse().map_err(|_| not_a_number())? };
    part *= 10_i64.pow((decimals - fraction.len()) as u32);
    let wh = whole.checked_mul(scale).and_then(|w| w.checked_add(part)).ok_or_else(too_large)?;
    if wh > MAX_ROW_WH {
        return Err(too_large());
    }
    Ok(if negative { -wh } else { wh })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EAN: &str = "541448000000000011";

    fn row(start: &str, value: &str, unit: &str, quality: &str) -> Result<ReadingRow, RowError> {
        ReadingRow::parse([EAN, "electricity_offtake", start, value, unit, quality])
    }

    #[test]
    fn the_two_two_oclocks_of_the_autumn_change_are_two_intervals() {
        let first = row("2026-10-25T02:00:00+02:00", "10", "Wh", "").expect("first 02:00");
        let second = row("2026-10-25T02:00:00+01:00", "10", "Wh", "").expect("second 02:00");
        assert_eq!((first.day, second.day), (Date::constant(2026, 10, 25), Date::constant(2026, 10, 25)));
        assert_eq!((first.index, second.index), (8, 12));
    }

    #[test]
    fn kwh_becomes_whole_wh_and_more_decimals_are_refused() {
        assert_eq!(
            row("2026-01-05T10:15:00+01:00", "0.123", "kWh", "").expect("ok").interval.wh(),
            Some(123)
        );
        assert_eq!(row("2026-01-05T10:15:00+01:00", "2", "kWh", "").expect("ok").interval.wh(), Some(2000));
        assert_eq!(row("2026-01-05T10:15:00+01:00", "-7", "Wh", "").expect("ok").interval.wh(), Some(-7));
        assert_eq!(
            row("2026-01-05T10:15:00+01:00", "0.1234", "kWh", "").expect_err("too precise").code,
            "too_precise"
        );
        assert_eq!(
            row("2026-01-05T10:15:00+01:00", "1.5", "Wh", "").expect_err("half Wh").code,
            "too_precise"
        );
    }

    #[test]
    fn each_field_at_fault_is_named_with_its_code() {
        let cases = [
            (
                ["54144800000000001", "electricity_offtake", "2026-01-05T10:15:00Z", "1", "Wh", ""],
                "ean",
                "bad_ean",
            ),
            ([EAN, "water", "2026-01-05T10:15:00Z", "1", "Wh", ""], "channel", "bad_channel"),
            ([EAN, "electricity_offtake", "yesterday", "1", "Wh", ""], "start", "bad_start"),
            (
                [EAN, "electricity_offtake", "2026-01-05T10:10:00Z", "1", "Wh", ""],
                "start",
                "not_on_interval_boundary",
            ),
            (
                [EAN, "gas_offtake", "2026-01-05T10:15:00Z", "1", "Wh", ""],
                "start",
                "not_on_interval_boundary",
            ),
            ([EAN, "electricity_offtake", "2026-01-05T10:15:00Z", "1e3", "Wh", ""], "value", "bad_value"),
            ([EAN, "electricity_offtake", "2026-01-05T10:15:00Z", "", "Wh", ""], "value", "bad_value"),
            ([EAN, "electricity_offtake", "2026-01-05T10:15:00Z", "1.", "Wh", ""], "value", "bad_value"),
            ([EAN, "electricity_offtake", "2026-01-05T10:15:00Z", "1", "MWh", ""], "unit", "bad_unit"),
            ([EAN, "gas_offtake", "2026-01-05T10:00:00Z", "1", "m3", ""], "unit", "bad_unit"),
            (
                [EAN, "electricity_offtake", "2026-01-05T10:15:00Z", "1", "Wh", "good"],
                "quality",
                "bad_quality",
            ),
            (
                [EAN, "electricity_offtake", "2026-01-05T10:15:00Z", "1", "Wh", "missing"],
                "value",
                "value_on_missing",
            ),
            (
                [EAN, "electricity_offtake", "2026-01-05T10:15:00Z", "1000000001", "Wh", ""],
                "value",
                "impossible_value",
            ),
            (
                [EAN, "electricity_offtake", "2026-01-05T10:15:00Z", "99999999999999999999999", "Wh", ""],
                "value",
                "impossible_value",
            ),
        ];
        for (fields, field, code) in cases {
            let e = ReadingRow::parse(fields).expect_err("refused");
            assert_eq!((e.field, e.code), (field, code), "{fields:?}: {e}");
            assert!(e.to_string().starts_with(field), "{e}");
        }
    }

    #[test]
    fn a_missing_interval_has_no_value() {
        let r = row("2026-01-05T10:15:00+01:00", "", "Wh", "missing").expect("missing");
        assert_eq!((r.interval.wh(), r.interval.quality()), (None, Quality::Missing));
    }

    #[test]
    fn lines_split_into_six_fields_and_a_header_is_recognised() {
        let line = format!("{EAN},gas_offtake,2026-03-29T03:00:00+02:00,2500,Wh,estimated\r\n");
        let r = ReadingRow::parse_line(&line).expect("a gas hour");
        assert_eq!((r.channel, r.index, r.interval.quality()), (Channel::GasOfftake, 2, Quality::Estimated));
        assert_eq!(ReadingRow::parse_line("a,b,c").expect_err("short").code, "wrong_field_count");
        assert_eq!(
            ReadingRow::parse_line("a,b,c,d,e,f,g,h").expect_err("long").reason,
            "a row has 6 fields (ean,channel,start,value,unit,quality), found 8"
        );
        assert!(ReadingRow::is_header("ean,channel,start,value,unit,quality\n"));
        assert!(!ReadingRow::is_header(&line));
    }

    #[test]
    fn a_runaway_field_is_quoted_short() {
        let long = "9".repeat(10_000);
        let e = row(&long, "1", "Wh", "").expect_err("not an instant");
        assert!(e.reason.len() < 200, "{}", e.reason.len());
    }
}
