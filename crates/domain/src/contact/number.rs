//! E.164 numbers, the only form an entry point's telephone number is written in.
//!
//! The entry point decides which principal a call belongs to (R12), so the match must be
//! exact: the party module normalises "081 23 45 67" for its blind index, but here a
//! national form is refused rather than guessed into `+3281234567`, because a guess that
//! maps a number to the wrong country or trunk would route a customer to the wrong principal.
//! The error names the column of the first wrong character so the configuration can be fixed
//! at a glance.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ContactError;

/// The most digits an E.164 number has, country code included.
pub const MAX_DIGITS: usize = 15;

/// An E.164 number: '+', a country code digit 1-9, at most 15 digits in all, nothing else
/// (no spaces).
///
/// Built only by [`E164::parse`]; serde goes through the same check.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct E164(String);

impl E164 {
    /// The number in `text`, exactly as written, or a refusal with code `not_e164`, field
    /// `number` and the (line 1, column) of the first wrong character.
    pub fn parse(text: &str) -> Result<E164, ContactError> {
        let refuse = |column: usize, reason: String| {
            Err(ContactError::new("number", "not_e164", format!("{reason}, in {text:?}")).at(1, column))
        };
        let mut digits = 0usize;
        for (i, c) in text.chars().enumerate() {
            let column = i + 1;
            match (i, c) {
                (0, '+') => {}
                (0, other) => {
                    return refuse(
                        column,
                        format!(
                            "an E.164 number starts with '+', found {other:?} (national forms are not converted)"
                        ),
                    );
                }
                (1, '0') => return refuse(column, "a country code never starts with 0".into()),
                (_, '0'..='9') if digits == MAX_DIGITS => {
                    return refuse(column, format!("an E.164 number has at most {MAX_DIGITS} digits"));
                }
                (_, '0'..='9') => digits += 1,
                (_, other) => return refuse(column, format!("expected a digit, found {other:?}")),
            }
        }
        match digits {
            0 if text.is_empty() => refuse(1, "an E.164 number starts with '+', found nothing".into()),
            0 => refuse(2, "expected a country code digit 1-9 after '+'".into()),
            _ => Ok(E164(text.to_owned())),
        }
    }

    /// The number as text, `+` and digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for E164 {
    type Err = ContactError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        E164::parse(text)
    }
}

impl TryFrom<String> for E164 {
    type Error = ContactError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        E164::parse(&text)
    }
}

impl From<E164> for String {
    fn from(number: E164) -> String {
        number.0
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_is_that_of_the_first_wrong_character() {
        let column = |t: &str| E164::parse(t).err().and_then(|e| e.position).map(|(_, c)| c);
        assert_eq!(column("+3278151515"), None);
        assert_eq!(column(""), Some(1));
        assert_eq!(column("+"), Some(2));
        assert_eq!(column("3278151515"), Some(1));
        assert_eq!(column("+0478151515"), Some(2));
        assert_eq!(column("+32 78 15"), Some(4));
        assert_eq!(column("+1234567890123456"), Some(17));
        assert_eq!(column("+123456789012345"), None);
    }

    #[test]
    fn serde_goes_through_the_check() {
        let n: E164 = serde_json::from_str("\"+3278151515\"").expect("a good number");
        assert_eq!(n.as_str(), "+3278151515");
        assert!(serde_json::from_str::<E164>("\"078151515\"").is_err());
    }
}
