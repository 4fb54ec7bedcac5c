//! GS1 identifiers: the EAN of an access point (an 18-digit GSRN) and the GLN of a market party.
//!
//! Both carry a mod-10 check digit computed the GS1 way: from the right, digits are weighted
//! 3, 1, 3, 1… and the check digit brings the sum to a multiple of ten. It catches every
//! single-digit error and every adjacent transposition except 0↔5 pairs with a weight swap
//! that keeps the sum (for example "09" ↔ "90"). The error says which rule failed, because a
//! supplier's back office that sends a wrong EAN needs to know whether it was cut, mistyped or
//! transposed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a string is not a valid GS1 identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Gs1Error {
    /// The identifier does not have the number of digits its kind requires.
    #[error("{kind} must have {expected} digits, found {found} characters")]
    Length {
        /// "EAN" or "GLN".
        kind: &'static str,
        /// Digits required.
        expected: usize,
        /// Characters received.
        found: usize,
    },
    /// A character is not an ASCII digit.
    #[error("{kind} must contain only digits, found {found:?} at position {position}")]
    NotADigit {
        /// "EAN" or "GLN".
        kind: &'static str,
        /// 1-based position of the offending character.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// The last digit does not match the GS1 mod-10 check digit of the others.
    #[error("{kind} check digit is {found}, the GS1 mod-10 check digit of the first digits is {expected}")]
    CheckDigit {
        /// "EAN" or "GLN".
        kind: &'static str,
        /// The check digit the body requires.
        expected: u8,
        /// The check digit received.
        found: u8,
    },
}

/// The GS1 mod-10 check digit of `body` (all digits, without the check digit).
///
/// Weights run 3, 1, 3… from the rightmost body digit, whatever the length, which is what
/// makes GSRN (18), GLN (13) and GTIN codes share one routine.
pub fn check_digit(body: &[u8]) -> u8 {
    let sum: u32 =
        body.iter().rev().enumerate().map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 3 } else { 1 }).sum();
    ((10 - sum % 10) % 10) as u8
}

/// Parses `text` as `N` digits whose last is the check digit of the others.
fn parse_digits<const N: usize>(kind: &'static str, text: &str) -> Result<[u8; N], Gs1Error> {
    let found = text.chars().count();
    if found != N {
        return Err(Gs1Error::Length { kind, expected: N, found });
    }
    let mut digits = [0u8; N];
    for (i, c) in text.chars().enumerate() {
        let Some(d) = c.to_digit(10).filter(|_| c.is_ascii_digit()) else {
            return Err(Gs1Error::NotADigit { kind, position: i + 1, found: c });
        };
        digits[i] = d as u8;
    }
    let expected = check_digit(&digits[..N - 1]);
    let found = digits[N - 1];
    if expected != found {
        return Err(Gs1Error::CheckDigit { kind, expected, found });
    }
    Ok(digits)
}

fn to_number(digits: &[u8]) -> u64 {
    digits.iter().fold(0, |n, d| n * 10 + u64::from(*d))
}

macro_rules! gs1_identifier {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $len:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(u64);

        impl $name {
            /// Number of digits, check digit included.
            pub const LEN: usize = $len;

            /// Builds the identifier from its digits without the check digit, computing it.
            ///
            /// Used to mint identifiers (demo data, tests); parsing goes through `FromStr`.
            pub fn from_body(body: u64) -> Result<Self, Gs1Error> {
                let text = format!("{body:0width$}", width = $len - 1);
                if text.len() != $len - 1 {
                    return Err(Gs1Error::Length { kind: $kind, expected: $len, found: text.len() + 1 });
                }
                let digits: Vec<u8> = text.bytes().map(|b| b - b'0').collect();
                Ok(Self(body * 10 + u64::from(check_digit(&digits))))
            }

            /// The identifier as a number: the store keeps it as a 64-bit integer key.
            pub fn as_u64(self) -> u64 {
                self.0
            }

            /// Rebuilds an identifier from a number produced by `as_u64`, re-checking it.
            pub fn from_u64(value: u64) -> Result<Self, Gs1Error> {
                format!("{value:0width$}", width = $len).parse()
            }
        }

        impl FromStr for $name {
            type Err = Gs1Error;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                parse_digits::<$len>($kind, text).map(|d| Self(to_number(&d)))
            }
        }

        impl TryFrom<String> for $name {
            type Error = Gs1Error;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                text.parse()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.to_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:0width$}", self.0, width = $len)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($name))
            }
        }
    };
}

gs1_identifier!(
    /// The 18-digit EAN (GS1 GSRN) of an access point; Belgian ones start with `54`.
    Ean,
    "EAN",
    18
);

gs1_identifier!(
    /// The 13-digit Global Location Number of a market party (a supplier, the DSO).
    Gln,
    "GLN",
    13
);

impl Ean {
    /// Whether the GS1 company prefix is Belgian (`54…`), as all Walloon access points are.
    pub fn is_belgian(self) -> bool {
        self.to_string().starts_with("54")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_a_known_gsrn() {
        // 54144… is a typical Belgian EAN shape; the check digit is computed by hand:
        // body 54144100000000001 → weighted sum 42 → check digit 8.
        let ean: Ean = "541441000000000018".parse().expect("valid EAN");
        assert_eq!(ean.to_string(), "541441000000000018");
        assert!(ean.is_belgian());
    }

    #[test]
    fn known_gln_vectors() {
        // GS1's own example GLN 0614141000005 (check digit 5) and Belgian 5400000000003.
        assert!("0614141000005".parse::<Gln>().is_ok());
        assert!("5400000000003".parse::<Gln>().is_ok());
        assert_eq!(
            "0614141000006".parse::<Gln>(),
            Err(Gs1Error::CheckDigit { kind: "GLN", expected: 5, found: 6 })
        );
    }

    #[test]
    fn errors_name_the_rule() {
        assert_eq!(
            "54144100000000001".parse::<Ean>(),
            Err(Gs1Error::Length { kind: "EAN", expected: 18, found: 17 })
        );
        assert_eq!(
            "54144100000000001x".parse::<Ean>(),
            Err(Gs1Error::NotADigit { kind: "EAN", position: 18, found: 'x' })
        );
        assert_eq!(
            "541441000000000017".parse::<Ean>(),
            Err(Gs1Error::CheckDigit { kind: "EAN", expected: 8, found: 7 })
        );
        // Non-ASCII digits are not digits for a register key.
        assert!(matches!("٥٤١٤٤١٠٠٠٠٠٠٠٠٠٠١٧".parse::<Ean>(), Err(Gs1Error::NotADigit { .. })));
        assert!(Gs1Error::Length { kind: "EAN", expected: 18, found: 3 }.to_string().contains("18 digits"));
    }

    #[test]
    fn serde_goes_through_the_check() {
        let ok: Ean = serde_json::from_str("\"541441000000000018\"").expect("valid");
        assert_eq!(serde_json::to_string(&ok).expect("serialises"), "\"541441000000000018\"");
        assert!(serde_json::from_str::<Ean>("\"541441000000000017\"").is_err());
    }

    fn any_ean() -> impl Strategy<Value = Ean> {
        (0u64..100_000_000_000_000_000).prop_map(|b| Ean::from_body(b).expect("17-digit body"))
    }

    proptest! {
        #[test]
        fn ean_round_trips(ean in any_ean()) {
            let text = ean.to_string();
            prop_assert_eq!(text.len(), 18);
            prop_assert_eq!(text.parse::<Ean>(), Ok(ean));
            prop_assert_eq!(Ean::from_u64(ean.as_u64()), Ok(ean));
        }

        #[test]
        fn every_single_digit_change_is_rejected(ean in any_ean(), pos in 0usize..18, delta in 1u8..10) {
            let mut digits: Vec<u8> = ean.to_string().into_bytes();
            digits[pos] = b'0' + (digits[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(digits).expect("ascii");
            prop_assert!(changed.parse::<Ean>().is_err());
        }

        #[test]
        fn adjacent_transpositions_are_rejected_unless_undetectable(ean in any_ean(), pos in 0usize..17) {
            let mut digits: Vec<u8> = ean.to_string().into_bytes();
            let (a, b) = (digits[pos] - b'0', digits[pos + 1] - b'0');
            digits.swap(pos, pos + 1);
            let swapped = String::from_utf8(digits).expect("ascii");
            // Weights 3 and 1 alternate, so a swap changes the sum by 2·(a−b); the check
            // misses it exactly when a−b is a multiple of 5 (0↔5, 1↔6, …) or a = b.
            let detectable = a != b && (i16::from(a) - i16::from(b)).rem_euclid(5) != 0;
            if detectable {
                prop_assert!(swapped.parse::<Ean>().is_err());
            } else {
                prop_assert!(swapped.parse::<Ean>().is_ok());
            }
        }
    }
}
