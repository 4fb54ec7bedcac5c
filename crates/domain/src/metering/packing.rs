//! The packed bytes of an interval day: how the store keeps a day's values in one column.
//!
//! # Layout (format 1)
//!
//! ```text
//! format      1 byte            = 1
//! count       varint            number of intervals (at most 100)
//! runs        varint…           (run length << 3 | quality code), until the runs cover count
//! values      varint…           zigzag(value − previous value), for each interval that is not
//!                               missing, in time order; the first is taken against 0
//! ```
//!
//! Varints are unsigned LEB128 (7 bits a byte, high bit "more follows"), at most 10 bytes,
//! and must be minimal; zigzag maps 0, −1, 1, −2… to 0, 1, 2, 3… so a small step of either sign
//! is a small number. Deltas use wrapping arithmetic, so every `i64` round-trips.
//!
//! # Why this packing
//!
//! A row per quarter-hour costs the database a row header, the key columns and an index entry
//! for every value — tens of bytes for what is a number of two or three significant digits.
//! Packing a local day per row pays those once per 96 values. Inside the row:
//!
//! - consecutive quarter-hours of a load differ by a few tens of Wh, so the delta of a value
//!   from the previous one fits in one varint byte (|delta| < 64) most of the time and two
//!   (|delta| < 8192) almost always; raw values would need two bytes as soon as a load passes
//!   127 Wh, and fixed `i32` four;
//! - qualities come in long runs (a whole day measured; a gap of several hours missing), so
//!   runs cost two bytes for a normal day instead of one byte per value;
//! - missing intervals store no value at all.
//!
//! Measured on a synthetic residential household (about 3,800 kWh a year: a standby base,
//! morning, midday and evening peaks, noise and appliances switching on; the `packing`
//! example prints the figure, the integration test `metering_packing` asserts it), a year of
//! quarter-hours packs to 1.20 bytes per value — days of 103 to 130 bytes — well inside the
//! 4 bytes per value on disk the design sets, before the row's key and index. General-purpose compression (zstd, deflate) was rejected: on 100 to
//! 200 bytes it gains little over this, needs a dependency, and is slower to decode than a
//! loop of shifts, where the import's 2 M values/s target leaves a few hundred nanoseconds a day.
//!
//! Decoding refuses, with a [`PackError`], anything this encoder would not have written:
//! truncated input, an unknown format byte, overlong varints, unknown quality codes, runs that
//! do not add up, adjacent runs of one quality, trailing bytes. So a decoded day packs back to
//! exactly the bytes it came from, and a garbled column is an error, never a panic or a
//! silently different series.

use jiff::civil::Date;

use super::channel::{Channel, IntervalError};
use super::interval::{Interval, IntervalDay, Quality, Version};
use crate::gs1::Ean;

/// The format byte this module writes.
pub const FORMAT: u8 = 1;

/// The most intervals a packed day may claim: a 25-hour day of quarter-hours. Checked before
/// anything is allocated, so a garbled count cannot make the decoder reserve gigabytes.
pub const MAX_INTERVALS: usize = 100;

/// Why packed bytes could not be read back. Each variant gives the byte offset where reading
/// stopped, for a store's corruption report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    /// The bytes end before the day does.
    #[error("packed: truncated at byte {at}")]
    Truncated {
        /// Where more was expected.
        at: usize,
    },
    /// The first byte is not a format this code reads.
    #[error("packed: unknown format {found}, expected {FORMAT}")]
    UnknownFormat {
        /// The byte found.
        found: u8,
    },
    /// A varint longer than needed or than 64 bits.
    #[error("packed: malformed varint at byte {at}")]
    Varint {
        /// Where the varint starts.
        at: usize,
    },
    /// More intervals than any local day has.
    #[error("packed: {count} intervals, more than the {MAX_INTERVALS} a day can have")]
    TooManyIntervals {
        /// The count read.
        count: u64,
    },
    /// A quality code outside the five qualities.
    #[error("packed: unknown quality code {code} at byte {at}")]
    UnknownQuality {
        /// The code read.
        code: u8,
        /// Where its run starts.
        at: usize,
    },
    /// A run of length zero, a run past the count, or a run of the same quality as the one
    /// before it.
    #[error("packed: malformed quality run at byte {at}")]
    Run {
        /// Where the run starts.
        at: usize,
    },
    /// Bytes left after the last value.
    #[error("packed: {count} bytes after the end of the day")]
    Trailing {
        /// How many.
        count: usize,
    },
    /// The series read does not fit the day it is filed under.
    #[error(transparent)]
    Day(#[from] IntervalError),
}

impl PackError {
    /// The stable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            PackError::Truncated { .. } => "packed_truncated",
            PackError::UnknownFormat { .. } => "packed_unknown_format",
            PackError::Varint { .. } => "packed_malformed_varint",
            PackError::TooManyIntervals { .. } => "packed_too_many_intervals",
            PackError::UnknownQuality { .. } => "packed_unknown_quality",
            PackError::Run { .. } => "packed_malformed_run",
            PackError::Trailing { .. } => "packed_trailing_bytes",
            PackError::Day(e) => e.code(),
        }
    }
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A cursor over the packed bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> Result<u64, PackError> {
        let start = self.at;
        let mut n = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = *self.bytes.get(self.at).ok_or(PackError::Truncated { at: self.at })?;
            self.at += 1;
            let bits = u64::from(byte & 0x7f);
            // The tenth byte may only carry the 64th bit; a last byte of zero after the
            // first would be a longer spelling of a shorter number.
            if shift == 63 && bits > 1 {
                return Err(PackError::Varint { at: start });
            }
            n |= bits << shift;
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 {
                    return Err(PackError::Varint { at: start });
                }
                return Ok(n);
            }
        }
        Err(PackError::Varint { at: start })
    }
}

/// Appends the packed form of a series to `out` (the store reuses one buffer per batch).
pub fn pack_into(intervals: &[Interval], out: &mut Vec<u8>) {
    out.push(FORMAT);
    put_varint(out, intervals.len() as u64);
    let mut i = 0;
    while i < intervals.len() {
        let quality = intervals[i].quality();
        let run = intervals[i..].iter().take_while(|x| x.quality() == quality).count();
        put_varint(out, ((run as u64) << 3) | u64::from(quality.code()));
        i += run;
    }
    let mut previous = 0i64;
    for wh in intervals.iter().filter_map(Interval::wh) {
        put_varint(out, zigzag(wh.wrapping_sub(previous)));
        previous = wh;
    }
}

/// The packed form of a series.
pub fn pack(intervals: &[Interval]) -> Vec<u8> {
    // Two bytes a value is the usual worst case; one allocation for a typical day.
    let mut out = Vec::with_capacity(8 + 2 * intervals.len());
    pack_into(intervals, &mut out);
    out
}

/// Reads a packed series back, refusing anything [`pack`] would not have written.
pub fn unpack(bytes: &[u8]) -> Result<Vec<Interval>, PackError> {
    let format = *bytes.first().ok_or(PackError::Truncated { at: 0 })?;
    if format != FORMAT {
        return Err(PackError::UnknownFormat { found: format });
    }
    let mut reader = Reader { bytes, at: 1 };
    let count = reader.varint()?;
    if count > MAX_INTERVALS as u64 {
        return Err(PackError::TooManyIntervals { count });
    }
    let count = count as usize;
    let mut qualities: Vec<Quality> = Vec::with_capacity(count);
    while qualities.len() < count {
        let at = reader.at;
        let run = reader.varint()?;
        let code = (run & 0b111) as u8;
        let quality = Quality::from_code(code).ok_or(PackError::UnknownQuality { code, at })?;
        let length = run >> 3;
        let fits = length >= 1 && length <= (count - qualities.len()) as u64;
        if !fits || qualities.last() == Some(&quality) {
            return Err(PackError::Run { at });
        }
        qualities.extend(std::iter::repeat_n(quality, length as usize));
    }
    let mut previous = 0i64;
    let mut intervals = Vec::with_capacity(count);
    for quality in qualities {
        if quality == Quality::Missing {
            intervals.push(Interval::missing());
        } else {
            previous = previous.wrapping_add(unzigzag(reader.varint()?));
            intervals.push(Interval::new(previous, quality));
        }
    }
    match bytes.len() - reader.at {
        0 => Ok(intervals),
        count => Err(PackError::Trailing { count }),
    }
}

impl IntervalDay {
    /// The packed form of the day's intervals; the key (EAN, channel, day) and the version are
    /// the row's own columns.
    pub fn pack(&self) -> Vec<u8> {
        pack(self.intervals())
    }

    /// A day read back from its row: the packed intervals must be a valid packing and have the
    /// day's number of intervals.
    pub fn unpack(
        ean: Ean,
        channel: Channel,
        day: Date,
        version: Version,
        bytes: &[u8],
    ) -> Result<Self, PackError> {
        Ok(IntervalDay::with_version(ean, channel, day, version, unpack(bytes)?)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_maps_small_steps_to_small_numbers() {
        assert_eq!([0, -1, 1, -2, 2].map(zigzag), [0, 1, 2, 3, 4]);
        for n in [0, 1, -1, 63, -64, i64::MAX, i64::MIN] {
            assert_eq!(unzigzag(zigzag(n)), n);
        }
    }

    #[test]
    fn a_known_day_packs_to_known_bytes() {
        let series =
            [Interval::measured(100), Interval::measured(90), Interval::missing(), Interval::estimated(300)];
        // format, count 4, runs (2 measured)(1 missing)(1 estimated), deltas +100 −10 +210.
        assert_eq!(pack(&series), vec![1, 4, 2 << 3, 1 << 3 | 2, 1 << 3 | 1, 0xc8, 0x01, 19, 0xa4, 0x03]);
        assert_eq!(unpack(&pack(&series)), Ok(series.to_vec()));
    }

    #[test]
    fn what_the_encoder_never_writes_is_refused() {
        for (bytes, code) in [
            (&[][..], "packed_truncated"),
            (&[2, 0][..], "packed_unknown_format"),
            (&[1, 101][..], "packed_too_many_intervals"),
            (&[1, 0x80, 0x00][..], "packed_malformed_varint"),
            (&[1, 2, 2 << 3 | 7][..], "packed_unknown_quality"),
            (&[1, 2, 3 << 3][..], "packed_malformed_run"),
            (&[1, 2, 0][..], "packed_malformed_run"),
            (&[1, 2, 1 << 3, 1 << 3][..], "packed_malformed_run"),
            (&[1, 2, 2 << 3, 4][..], "packed_truncated"),
            (&[1, 0, 0][..], "packed_trailing_bytes"),
            (
                &[1, 1, 1 << 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02][..],
                "packed_malformed_varint",
            ),
        ] {
            let e = unpack(bytes).expect_err("garbled");
            assert_eq!(e.code(), code, "{bytes:?}: {e}");
        }
        // The largest 64-bit delta is ten bytes and reads back.
        assert_eq!(unpack(&pack(&[Interval::measured(i64::MIN)])), Ok(vec![Interval::measured(i64::MIN)]));
    }
}
