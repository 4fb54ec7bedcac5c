//! Parties: everyone the register or the journal can name.
//!
//! A `PartyId` is an opaque, non-personal key (never a name or a national number), so it can
//! travel in the journal, in URLs and in logs. Names, phone numbers and e-mails are personal
//! data: they live only in `Party`, and the store seals them at rest (I6). Phone numbers and
//! e-mails are normalised here so that the blind index finds "+32 81 23 45 67" and
//! "081/23.45.67" as the same number.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::gs1::Gln;

/// Why a party field was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartyError {
    /// Party ids are short lowercase slugs so they are safe in URLs, logs and the journal.
    #[error(
        "party id must be 1 to 64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit, found {0:?}"
    )]
    Id(String),
    /// A name is blank.
    #[error("{field} must not be blank")]
    Blank {
        /// Which name.
        field: &'static str,
    },
    /// A phone number that is not a Belgian or international number.
    #[error(
        "phone must be a Belgian number (0…) or an international one (+…) of 8 to 15 digits, found {0:?}"
    )]
    Phone(String),
    /// An e-mail without a local part, an `@` and a dotted domain.
    #[error("email must look like local@domain.tld, found {0:?}")]
    Email(String),
}

/// The opaque identifier of a party.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PartyId(String);

impl FromStr for PartyId {
    type Err = PartyError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bytes = text.as_bytes();
        let ok = !bytes.is_empty()
            && bytes.len() <= 64
            && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
        if ok { Ok(PartyId(text.to_owned())) } else { Err(PartyError::Id(text.to_owned())) }
    }
}

impl TryFrom<String> for PartyId {
    type Error = PartyError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<PartyId> for String {
    fn from(id: PartyId) -> String {
        id.0
    }
}

impl PartyId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PartyId({})", self.0)
    }
}

/// A person's or a company's name: personal data, sealed at rest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl FromStr for PersonName {
    type Err = PartyError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.is_empty() {
            Err(PartyError::Blank { field: "name" })
        } else {
            Ok(PersonName(text.to_owned()))
        }
    }
}

impl TryFrom<String> for PersonName {
    type Error = PartyError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<PersonName> for String {
    fn from(name: PersonName) -> String {
        name.0
    }
}

impl PersonName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in E.164 form (`+3281234567`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl FromStr for Phone {
    type Err = PartyError;
    /// Accepts the ways Belgians write numbers (`081/23.45.67`, `0470 12 34 56`,
    /// `+32 81 23 45 67`, `0032…`) and keeps the E.164 form, so one number has one blind index.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || PartyError::Phone(text.to_owned());
        let trimmed = text.trim();
        if trimmed.chars().any(|c| !(c.is_ascii_digit() || " ./-()+".contains(c))) {
            return Err(bad());
        }
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        let international = if trimmed.starts_with('+') {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_owned()
        } else if let Some(rest) = digits.strip_prefix('0') {
            format!("32{rest}")
        } else {
            return Err(bad());
        };
        if !(8..=15).contains(&international.len()) || international.starts_with('0') {
            return Err(bad());
        }
        Ok(Phone(format!("+{international}")))
    }
}

impl TryFrom<String> for Phone {
    type Error = PartyError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

impl Phone {
    /// The E.164 form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, lowercased so that look-ups are exact on one spelling.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl FromStr for Email {
    type Err = PartyError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lower = text.trim().to_lowercase();
        let ok = match lower.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !lower.chars().any(char::is_whitespace)
            }
            None => false,
        };
        if ok { Ok(Email(lower)) } else { Err(PartyError::Email(text.to_owned())) }
    }
}

impl TryFrom<String> for Email {
    type Error = PartyError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl Email {
    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What kind of party this is, and what identifies it in the market.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PartyKind {
    /// A natural person occupying an access point.
    Person,
    /// A company occupying an access point.
    Company,
    /// An energy supplier, known in the market by its GLN.
    Supplier {
        /// Its market-party number.
        gln: Gln,
    },
    /// A member of the DSO's staff (internal or external), always an individual (R6).
    Staff,
    /// A third party that may act with a customer's written mandate (R5).
    ThirdParty,
    /// A researcher of a consent-based study (R14).
    Researcher,
}

impl PartyKind {
    /// The stable text form of the kind, without its market number.
    pub fn as_str(&self) -> &'static str {
        match self {
            PartyKind::Person => "person",
            PartyKind::Company => "company",
            PartyKind::Supplier { .. } => "supplier",
            PartyKind::Staff => "staff",
            PartyKind::ThirdParty => "third_party",
            PartyKind::Researcher => "researcher",
        }
    }

    /// Whether this party can occupy an access point as its network user.
    pub fn is_network_user(&self) -> bool {
        matches!(self, PartyKind::Person | PartyKind::Company)
    }
}

/// A party with its personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// Opaque key.
    pub id: PartyId,
    /// Kind and market number.
    pub kind: PartyKind,
    /// Name of the person or company (sealed at rest).
    pub name: PersonName,
    /// Phone number, if known (sealed at rest, blind-indexed).
    pub phone: Option<Phone>,
    /// E-mail, if known (sealed at rest, blind-indexed).
    pub email: Option<Email>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn party_ids_are_slugs() {
        assert!("nu-000123".parse::<PartyId>().is_ok());
        assert!("Jean Dupont".parse::<PartyId>().is_err());
        assert!("".parse::<PartyId>().is_err());
        assert!("-x".parse::<PartyId>().is_err());
    }

    #[test]
    fn belgian_phone_spellings_meet_in_one_form() {
        let forms = ["081/23.45.67", "+32 81 23 45 67", "0032 81 23 45 67", "081 23 45 67"];
        for f in forms {
            assert_eq!(f.parse::<Phone>().expect(f).as_str(), "+3281234567");
        }
        assert!("12345".parse::<Phone>().is_err());
        assert!("081-CALL-ME".parse::<Phone>().is_err());
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            "Marie.Dubois@Example.BE".parse::<Email>().expect("valid").as_str(),
            "marie.dubois@example.be"
        );
        for bad in ["no-at", "a@b", "@x.be", "a@.be", "a b@x.be", "a@b@c.be"] {
            assert!(bad.parse::<Email>().is_err(), "{bad}");
        }
    }
}
