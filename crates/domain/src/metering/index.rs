//! Index readings: the register values of meters read yearly or monthly (YMR, MMR).
//!
//! Most access points have no interval data: their consumption is the difference between two
//! index readings, taken by a reader's visit, sent back by the customer on a card or a web
//! form, estimated, or read remotely. The reading keeps its source and, for a visit, its
//! reader, because a validator judges a customer's own figure differently from a reader's,
//! and because a reader may only post readings for their route (R9).
//!
//! Values are integers in thousandths of the register's unit — Wh for electricity (the dial
//! shows kWh), dm³ for gas (the dial shows m³) — so a dial with decimals is read exactly. Gas
//! becomes energy with the calorific value the reading was converted with, kept with the
//! reading as data: it changes with the gas delivered, and a bill must be reproducible from
//! what was stored.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::access_point::Energy;
use crate::gs1::Ean;
use crate::party::PartyId;

/// The register of a meter an index is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Register {
    /// A single-rate electricity meter's one register (mono-horaire).
    Single,
    /// The day (peak) register of a dual-rate electricity meter.
    Day,
    /// The night (off-peak) register of a dual-rate electricity meter.
    Night,
    /// The exclusive-night register, metering a circuit powered only at night (storage heaters).
    ExclusiveNight,
    /// A gas meter's volume register.
    Gas,
}

impl Register {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Register::Single => "single",
            Register::Day => "day",
            Register::Night => "night",
            Register::ExclusiveNight => "exclusive_night",
            Register::Gas => "gas",
        }
    }

    /// The network whose meters have this register.
    pub fn energy(self) -> Energy {
        match self {
            Register::Gas => Energy::Gas,
            _ => Energy::Electricity,
        }
    }
}

impl Register {
    /// Every register, in a fixed order.
    pub const ALL: [Register; 5] =
        [Register::Single, Register::Day, Register::Night, Register::ExclusiveNight, Register::Gas];
}

impl std::str::FromStr for Register {
    type Err = crate::access_point::UnknownValue;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Register::ALL.into_iter().find(|r| r.as_str() == text).ok_or_else(|| {
            crate::access_point::UnknownValue {
                what: "register",
                found: text.to_owned(),
                expected: &["single", "day", "night", "exclusive_night", "gas"],
            }
        })
    }
}

impl fmt::Display for Register {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an index reading comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Source {
    /// Read by a meter reader on site, entered on their field device.
    ReaderVisit {
        /// The reader, whose route must include the point (R9).
        reader: PartyId,
    },
    /// Written by the customer on the card left or sent by the DSO.
    CustomerCard,
    /// Given by the customer on their own initiative (web form, phone, at a move).
    SelfReading,
    /// Estimated by the DSO.
    Estimate,
    /// Read remotely from a communicating meter.
    Remote,
}

impl Source {
    /// The source of this kind (`as_str`'s text), with the reader for a visit: how a stored
    /// reading's two columns come back. `None` for an unknown kind, a visit without its
    /// reader, or a reader given for another kind.
    pub fn from_parts(kind: &str, reader: Option<PartyId>) -> Option<Source> {
        match (kind, reader) {
            ("reader_visit", Some(reader)) => Some(Source::ReaderVisit { reader }),
            ("customer_card", None) => Some(Source::CustomerCard),
            ("self_reading", None) => Some(Source::SelfReading),
            ("estimate", None) => Some(Source::Estimate),
            ("remote", None) => Some(Source::Remote),
            _ => None,
        }
    }

    /// The reader of a visit.
    pub fn reader(&self) -> Option<&PartyId> {
        match self {
            Source::ReaderVisit { reader } => Some(reader),
            _ => None,
        }
    }

    /// The stable text form of the kind of source.
    pub fn as_str(&self) -> &'static str {
        match self {
            Source::ReaderVisit { .. } => "reader_visit",
            Source::CustomerCard => "customer_card",
            Source::SelfReading => "self_reading",
            Source::Estimate => "estimate",
            Source::Remote => "remote",
        }
    }
}

/// Why an index reading or a meter's description was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// An electricity register given for gas, or gas for electricity.
    #[error("register: {register} is not a register of a {energy} meter")]
    RegisterEnergy {
        /// The register received.
        register: Register,
        /// The energy the reading is for.
        energy: Energy,
    },
    /// A calorific value no distribution gas has.
    #[error("calorific_value: {wh_per_m3} Wh/m³ is outside 8000–13000, the range of distributed natural gas")]
    CalorificValue {
        /// The value received.
        wh_per_m3: u32,
    },
    /// A dial with fewer or more integer digits than meters have.
    #[error("digits: a meter dial has 4 to 9 integer digits, found {digits}")]
    Digits {
        /// The digit count received.
        digits: u8,
    },
    /// Two readings compared that are not of the same point and register.
    #[error("register: readings of {first} and {second} cannot be compared")]
    NotComparable {
        /// The first reading's point and register.
        first: String,
        /// The second's.
        second: String,
    },
    /// The later reading is not later.
    #[error("at: the reading at {next} does not come after the one at {previous}")]
    OutOfOrder {
        /// The earlier reading's time.
        previous: Timestamp,
        /// The time of the one said to follow.
        next: Timestamp,
    },
}

impl IndexError {
    /// The stable code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            IndexError::RegisterEnergy { .. } => "register_energy_mismatch",
            IndexError::CalorificValue { .. } => "calorific_value_out_of_range",
            IndexError::Digits { .. } => "dial_digits_out_of_range",
            IndexError::NotComparable { .. } => "readings_not_comparable",
            IndexError::OutOfOrder { .. } => "readings_out_of_order",
        }
    }
}

/// The energy content of a cubic metre of the gas delivered, in Wh per m³ (kWh/m³ × 1000).
///
/// Belgian distribution gas runs from about 9.5 kWh/m³ (L-gas, being phased out) to about
/// 11.6 (H-gas); 8–13 kWh/m³ bounds both with room, and refuses a value typed in the wrong unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct CalorificValue(u32);

impl CalorificValue {
    /// Wh per m³.
    pub fn wh_per_m3(self) -> u32 {
        self.0
    }

    /// The energy of a volume in dm³, rounded to the nearest Wh.
    pub fn energy_wh(self, dm3: u64) -> i64 {
        let wh = (u128::from(dm3) * u128::from(self.0) + 500) / 1000;
        i64::try_from(wh).unwrap_or(i64::MAX)
    }
}

impl TryFrom<u32> for CalorificValue {
    type Error = IndexError;
    fn try_from(wh_per_m3: u32) -> Result<Self, Self::Error> {
        if (8_000..=13_000).contains(&wh_per_m3) {
            Ok(CalorificValue(wh_per_m3))
        } else {
            Err(IndexError::CalorificValue { wh_per_m3 })
        }
    }
}

impl From<CalorificValue> for u32 {
    fn from(c: CalorificValue) -> u32 {
        c.0
    }
}

/// The integer digits of a meter's register: where it rolls over to zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Dial(u8);

impl Dial {
    /// The dial a register is assumed to have until the register keeps each meter's own:
    /// six integer digits for electricity (999,999 kWh), five for a household gas meter
    /// (99,999 m³), the common Belgian meters.
    pub const fn common(energy: Energy) -> Dial {
        match energy {
            Energy::Electricity => Dial(6),
            Energy::Gas => Dial(5),
        }
    }

    /// The number of integer digits.
    pub fn digits(self) -> u8 {
        self.0
    }

    /// The value, in thousandths of the unit, at which the register shows zero again.
    pub fn modulus(self) -> u64 {
        10u64.pow(u32::from(self.0)) * 1000
    }
}

impl TryFrom<u8> for Dial {
    type Error = IndexError;
    fn try_from(digits: u8) -> Result<Self, Self::Error> {
        if (4..=9).contains(&digits) { Ok(Dial(digits)) } else { Err(IndexError::Digits { digits }) }
    }
}

impl From<Dial> for u8 {
    fn from(d: Dial) -> u8 {
        d.0
    }
}

/// One register value of one access point at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexReading {
    ean: Ean,
    register: Register,
    value: u64,
    calorific: Option<CalorificValue>,
    at: Timestamp,
    source: Source,
}

impl IndexReading {
    /// An electricity reading of `wh` (the dial's kWh × 1000); refuses the gas register.
    pub fn electricity(
        ean: Ean,
        register: Register,
        wh: u64,
        at: Timestamp,
        source: Source,
    ) -> Result<Self, IndexError> {
        if register == Register::Gas {
            return Err(IndexError::RegisterEnergy { register, energy: Energy::Electricity });
        }
        Ok(IndexReading { ean, register, value: wh, calorific: None, at, source })
    }

    /// A gas reading of `dm3` (the dial's m³ × 1000), with the calorific value it converts with.
    pub fn gas(ean: Ean, dm3: u64, calorific: CalorificValue, at: Timestamp, source: Source) -> Self {
        IndexReading { ean, register: Register::Gas, value: dm3, calorific: Some(calorific), at, source }
    }

    /// The access point.
    pub fn ean(&self) -> Ean {
        self.ean
    }

    /// The register read.
    pub fn register(&self) -> Register {
        self.register
    }

    /// The value in thousandths of the register's unit (Wh, or dm³ for gas).
    pub fn value(&self) -> u64 {
        self.value
    }

    /// The calorific value, for a gas reading.
    pub fn calorific(&self) -> Option<CalorificValue> {
        self.calorific
    }

    /// When it was read.
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// Where it comes from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The energy of an advance of the register, in Wh: the advance itself for electricity,
    /// the volume times this reading's calorific value for gas (the later reading of a period
    /// carries the value it is billed with).
    pub fn energy_wh(&self, advance: u64) -> i64 {
        match self.calorific {
            Some(calorific) => calorific.energy_wh(advance),
            None => i64::try_from(advance).unwrap_or(i64::MAX),
        }
    }
}
