//! The access point: the place where energy leaves the grid, named by its EAN.
//!
//! Its address is personal data (it says where a network user lives), so the store seals the
//! street, number and box; the postal code and municipality stay in clear because anonymous
//! statistics and routing by region need them and they identify nobody on their own.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::gs1::Ean;

/// Electricity or natural gas: the two networks a Walloon DSO runs, each with its own EANs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Energy {
    /// Electricity.
    Electricity,
    /// Natural gas.
    Gas,
}

/// How the meter of an access point is read: it decides the metering data a party may get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReadingRegime {
    /// Yearly meter reading (relève annuelle): one index a year.
    #[serde(rename = "YMR")]
    Ymr,
    /// Monthly meter reading (relève mensuelle).
    #[serde(rename = "MMR")]
    Mmr,
    /// Automated meter reading: interval data, 15 min electricity, 60 min gas.
    #[serde(rename = "AMR")]
    Amr,
}

/// The kind of meter installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeterKind {
    /// An electromechanical or electronic meter read on site.
    Classic,
    /// A prepayment meter placed for a customer in payment difficulty: its presence is
    /// itself confidential towards other suppliers (R3).
    Budget,
    /// A communicating meter.
    Smart,
}

/// Whether energy can flow at the access point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GridStatus {
    /// Connected and energised.
    Energised,
    /// Connected but cut off (after a drop or an empty dwelling).
    Deenergised,
    /// Physically removed from the grid.
    Removed,
}

macro_rules! text_enum {
    ($name:ident, $what:literal, { $($variant:ident = $text:literal),+ $(,)? }) => {
        impl $name {
            /// The stable text form used in the store, the CLI and the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue { what: $what, found: text.to_owned(), expected: &[$($text),+] }),
                }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(Energy, "energy", { Electricity = "electricity", Gas = "gas" });
text_enum!(ReadingRegime, "reading regime", { Ymr = "YMR", Mmr = "MMR", Amr = "AMR" });
text_enum!(MeterKind, "meter kind", { Classic = "classic", Budget = "budget", Smart = "smart" });
text_enum!(GridStatus, "grid status", { Energised = "energised", Deenergised = "deenergised", Removed = "removed" });

/// A text that is not one of the values of a closed list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} must be one of {expected:?}, found {found:?}")]
pub struct UnknownValue {
    /// The field being parsed.
    pub what: &'static str,
    /// What was received.
    pub found: String,
    /// The accepted values.
    pub expected: &'static [&'static str],
}

/// Why an address or a substation identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// A required part is blank.
    #[error("address {field} must not be blank")]
    Blank {
        /// The blank part.
        field: &'static str,
    },
    /// Belgian postal codes are four digits from 1000 to 9999.
    #[error("postal code must be four digits from 1000 to 9999, found {0:?}")]
    PostalCode(String),
    /// A substation identifier has a fixed shape.
    #[error("substation must be 1 to 32 characters of A-Z, 0-9 and '-', found {0:?}")]
    Substation(String),
}

/// A Belgian postal address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    street: String,
    number: String,
    #[serde(rename = "box", default, skip_serializing_if = "Option::is_none")]
    box_number: Option<String>,
    postal_code: u16,
    municipality: String,
}

impl Address {
    /// Builds an address, trimming parts and refusing blank ones or a non-Belgian postal code.
    pub fn new(
        street: &str,
        number: &str,
        box_number: Option<&str>,
        postal_code: &str,
        municipality: &str,
    ) -> Result<Self, AddressError> {
        let required = |field: &'static str, value: &str| {
            let value = value.trim();
            if value.is_empty() { Err(AddressError::Blank { field }) } else { Ok(value.to_owned()) }
        };
        let code = postal_code.trim();
        let postal_code = code
            .parse::<u16>()
            .ok()
            .filter(|c| (1000..=9999).contains(c) && code.len() == 4)
            .ok_or_else(|| AddressError::PostalCode(postal_code.to_owned()))?;
        Ok(Address {
            street: required("street", street)?,
            number: required("number", number)?,
            box_number: box_number.map(str::trim).filter(|b| !b.is_empty()).map(str::to_owned),
            postal_code,
            municipality: required("municipality", municipality)?,
        })
    }

    /// Street name (personal data: sealed at rest).
    pub fn street(&self) -> &str {
        &self.street
    }
    /// House number (personal data: sealed at rest).
    pub fn number(&self) -> &str {
        &self.number
    }
    /// Box or apartment, if any (personal data: sealed at rest).
    pub fn box_number(&self) -> Option<&str> {
        self.box_number.as_deref()
    }
    /// Postal code (kept in clear: coarse enough to identify nobody).
    pub fn postal_code(&self) -> u16 {
        self.postal_code
    }
    /// Municipality (kept in clear, like the postal code).
    pub fn municipality(&self) -> &str {
        &self.municipality
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.street, self.number)?;
        if let Some(b) = &self.box_number {
            write!(f, " bte {b}")?;
        }
        write!(f, ", {} {}", self.postal_code, self.municipality)
    }
}

/// The distribution substation an access point hangs from: the aggregation level of
/// anonymous statistics (R14).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SubstationId(String);

impl FromStr for SubstationId {
    type Err = AddressError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let ok = !text.is_empty()
            && text.len() <= 32
            && text.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if ok { Ok(SubstationId(text.to_owned())) } else { Err(AddressError::Substation(text.to_owned())) }
    }
}

impl TryFrom<String> for SubstationId {
    type Error = AddressError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<SubstationId> for String {
    fn from(id: SubstationId) -> String {
        id.0
    }
}

impl SubstationId {
    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SubstationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An access point as the register knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessPoint {
    /// Its EAN, the key of every register, metering and market record.
    pub ean: Ean,
    /// Electricity or gas.
    pub energy: Energy,
    /// Where it is (street, number and box sealed at rest).
    pub address: Address,
    /// The substation it hangs from.
    pub substation: SubstationId,
    /// How its meter is read.
    pub regime: ReadingRegime,
    /// What meter is installed.
    pub meter: MeterKind,
    /// Whether energy flows.
    pub grid_status: GridStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_names_the_bad_field() {
        assert_eq!(
            Address::new(" ", "1", None, "5000", "Namur"),
            Err(AddressError::Blank { field: "street" })
        );
        assert_eq!(
            Address::new("Rue de Fer", "1", None, "500", "Namur"),
            Err(AddressError::PostalCode("500".into()))
        );
        let a = Address::new("Rue de Fer", "12", Some("3"), "5000", "Namur").expect("valid");
        assert_eq!(a.to_string(), "Rue de Fer 12 bte 3, 5000 Namur");
    }

    #[test]
    fn closed_lists_round_trip_and_refuse_the_rest() {
        for r in [ReadingRegime::Ymr, ReadingRegime::Mmr, ReadingRegime::Amr] {
            assert_eq!(r.as_str().parse::<ReadingRegime>(), Ok(r));
        }
        let err = "hourly".parse::<ReadingRegime>().expect_err("not a regime");
        assert!(err.to_string().contains("reading regime"));
    }
}
