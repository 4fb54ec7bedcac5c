//! Written mandates (R5): a customer authorises a third party, or a supplier that does not
//! supply them, to see named data of named access points for a period.
//!
//! A mandate opens exactly what it names: the data scopes ([`Scope`]), the access points, and
//! the period, which the store further cuts to the customer's own occupancies of each point
//! (a mandate cannot give what the customer never had). The register team records the written
//! document's reference with it, and revokes it when the customer asks; a revoked mandate
//! opens nothing from then on.

use std::fmt;

use serde::Serialize;

use crate::gs1::Ean;
use crate::party::PartyId;
use crate::period::Period;

/// The most access points one mandate may name.
pub const MAX_MANDATE_POINTS: usize = 100;

/// The longest document reference.
pub const MAX_DOCUMENT_LEN: usize = 128;

/// What data a mandate opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The register: who occupied and who supplied the point, when.
    Register,
    /// Metering data: interval values and index readings.
    Consumption,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 2] = [Scope::Register, Scope::Consumption];

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Register => "register",
            Scope::Consumption => "consumption",
        }
    }

    /// The scope its text form names.
    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A mandate as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mandate {
    /// The customer (network user) who signed it.
    pub customer: PartyId,
    /// Whom it authorises: a third party or a supplier.
    pub mandated: PartyId,
    /// The access points it names.
    pub eans: Vec<Ean>,
    /// The data it opens.
    pub scopes: Vec<Scope>,
    /// The period of data it opens.
    pub period: Period,
    /// The written document's reference (a file number, not the document).
    pub document: String,
}

/// Why a mandate was refused: the field, a stable code, a sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {code}: {reason}")]
pub struct MandateError {
    /// The field at fault.
    pub field: &'static str,
    /// The stable code.
    pub code: &'static str,
    /// What was wrong.
    pub reason: String,
}

impl Mandate {
    /// Checks what does not need the register: a customer other than the mandated party, 1 to
    /// [`MAX_MANDATE_POINTS`] distinct access points, at least one scope and none twice, and a
    /// document reference of printable characters. Whether the customer occupied each point
    /// is the store's check.
    pub fn check(&self) -> Result<(), MandateError> {
        let error = |field, code, reason: String| Err(MandateError { field, code, reason });
        if self.customer == self.mandated {
            return error("mandated", "self_mandate", "a customer does not mandate themselves".into());
        }
        if self.eans.is_empty() || self.eans.len() > MAX_MANDATE_POINTS {
            return error(
                "eans",
                "bad_count",
                format!("a mandate names 1 to {MAX_MANDATE_POINTS} access points, found {}", self.eans.len()),
            );
        }
        let mut seen = self.eans.clone();
        seen.sort();
        if let Some(pair) = seen.windows(2).find(|w| w[0] == w[1]) {
            return error("eans", "duplicate", format!("{} is named twice", pair[0]));
        }
        if self.scopes.is_empty() {
            return error(
                "scopes",
                "bad_count",
                "a mandate opens at least one of register, consumption".into(),
            );
        }
        let mut scopes = self.scopes.clone();
        scopes.sort();
        scopes.dedup();
        if scopes.len() != self.scopes.len() {
            return error("scopes", "duplicate", "a scope is named twice".into());
        }
        let document = self.document.trim();
        if document.is_empty() || document.len() > MAX_DOCUMENT_LEN || document.chars().any(char::is_control)
        {
            return error(
                "document",
                "bad_document",
                format!("the document reference is 1 to {MAX_DOCUMENT_LEN} printable characters"),
            );
        }
        Ok(())
    }

    /// The scopes as stored: sorted, comma-separated.
    pub fn scopes_text(&self) -> String {
        let mut scopes = self.scopes.clone();
        scopes.sort();
        scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
    }
}

/// What a mandate gives on one access point: its period cut to each of the customer's
/// occupancies there, in time order; nothing where they never overlap.
pub fn mandated_periods(mandate: &Period, occupancies: &[Period]) -> Vec<Period> {
    let mut periods: Vec<Period> = occupancies.iter().filter_map(|o| o.intersection(mandate)).collect();
    periods.sort_by_key(Period::from);
    periods
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("test instant")
    }

    fn mandate() -> Mandate {
        Mandate {
            customer: "nu-1".parse().expect("id"),
            mandated: "tp-1".parse().expect("id"),
            eans: vec![Ean::from_body(54_144_100_000_000_007).expect("ean")],
            scopes: vec![Scope::Consumption],
            period: Period::new(ts("2025-01-01T00:00:00Z"), Some(ts("2026-01-01T00:00:00Z")))
                .expect("period"),
            document: "MAND-2026-0042".into(),
        }
    }

    #[test]
    fn each_bad_field_is_named() {
        assert_eq!(mandate().check(), Ok(()));
        let bad = |m: Mandate| m.check().map_err(|e| (e.field, e.code));
        assert_eq!(bad(Mandate { eans: vec![], ..mandate() }), Err(("eans", "bad_count")));
        assert_eq!(
            bad(Mandate { eans: vec![mandate().eans[0]; 2], ..mandate() }),
            Err(("eans", "duplicate"))
        );
        assert_eq!(bad(Mandate { scopes: vec![], ..mandate() }), Err(("scopes", "bad_count")));
        assert_eq!(
            bad(Mandate { scopes: vec![Scope::Register, Scope::Register], ..mandate() }),
            Err(("scopes", "duplicate"))
        );
        assert_eq!(bad(Mandate { document: " ".into(), ..mandate() }), Err(("document", "bad_document")));
        assert_eq!(
            bad(Mandate { mandated: "nu-1".parse().expect("id"), ..mandate() }),
            Err(("mandated", "self_mandate"))
        );
    }

    proptest! {
        /// A mandate never gives an instant outside both its period and the customer's
        /// occupancies, and gives every instant inside both.
        #[test]
        fn what_a_mandate_gives_is_exactly_inside_both(
            m in (0i64..100, 1i64..100),
            occ in proptest::collection::vec((0i64..100, 1i64..50), 0..5),
            probe in 0i64..200,
        ) {
            let at = |d: i64| Timestamp::from_second(1_700_000_000 + d * 86_400).expect("in range");
            let mandate = Period::new(at(m.0), Some(at(m.0 + m.1))).expect("non-empty");
            let occupancies: Vec<Period> =
                occ.iter().map(|(f, l)| Period::new(at(*f), Some(at(f + l))).expect("non-empty")).collect();
            let given = mandated_periods(&mandate, &occupancies);
            let t = at(probe);
            let inside = mandate.contains(t) && occupancies.iter().any(|o| o.contains(t));
            prop_assert_eq!(given.iter().any(|p| p.contains(t)), inside);
        }
    }
}
