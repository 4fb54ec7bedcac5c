//! The register's write rules, as pure functions over what a write transaction read.
//!
//! The store locks the access point, reads the effective records' ids and periods (and the
//! kind of the party named), calls these functions and writes what they allow. Keeping the
//! rules here rather than beside the SQL means they are property-tested without a database,
//! and that the next writer of the register (a market scenario, an import) asks the same
//! functions instead of restating a rule as a string in a query.

use jiff::Timestamp;

use crate::gs1::Ean;
use crate::party::{PartyId, PartyKind};
use crate::period::Period;
use crate::register::{OverlapError, RecordId, check_no_overlap};

/// Which kind of period record a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// A network user on an access point.
    Occupancy,
    /// A supplier's registration on an access point.
    Registration,
}

impl RecordKind {
    /// The word errors use for it.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Occupancy => "occupancy",
            RecordKind::Registration => "registration",
        }
    }
}

/// Why the register refuses a write. Each variant names the field at fault and the rule, and
/// keeps the code the API answers with ([`RuleError::code`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The party named exists but cannot play that part.
    #[error("{field}: party {id} is a {found}, expected {expected}")]
    WrongPartyKind {
        /// The field that named it.
        field: &'static str,
        /// The party.
        id: PartyId,
        /// Its kind.
        found: &'static str,
        /// What the field requires.
        expected: &'static str,
    },
    /// A correction names a record that is not effective on that access point.
    #[error("supersedes: record {id} is not an effective {what} of this access point")]
    NotEffective {
        /// "occupancy" or "registration".
        what: &'static str,
        /// The record named.
        id: RecordId,
    },
    /// An end was asked for at an instant where nothing of that kind is in force.
    #[error("at: no {what} of {ean} is in force at {at} to be ended")]
    NothingToEnd {
        /// "occupancy" or "registration".
        what: &'static str,
        /// The access point.
        ean: Ean,
        /// The instant asked.
        at: Timestamp,
    },
    /// The new period overlaps an effective record.
    #[error("period: {0}")]
    Overlap(#[from] OverlapError),
}

impl RuleError {
    /// The stable code of the refusal, as the journal's outcome and the API's error name it.
    pub fn code(&self) -> &'static str {
        match self {
            RuleError::WrongPartyKind { .. } => "wrong_party_kind",
            RuleError::NotEffective { .. } => "not_effective",
            RuleError::NothingToEnd { .. } => "nothing_to_end",
            RuleError::Overlap(_) => "overlap",
        }
    }
}

/// The network user of an occupancy must be a person or a company.
pub fn network_user(id: &PartyId, kind: &PartyKind) -> Result<(), RuleError> {
    if kind.is_network_user() {
        return Ok(());
    }
    Err(RuleError::WrongPartyKind {
        field: "network_user",
        id: id.clone(),
        found: kind.as_str(),
        expected: "person or company",
    })
}

/// The supplier of a registration must be a supplier (a party with a GLN).
pub fn supplier(id: &PartyId, kind: &PartyKind) -> Result<(), RuleError> {
    if matches!(kind, PartyKind::Supplier { .. }) {
        return Ok(());
    }
    Err(RuleError::WrongPartyKind {
        field: "supplier",
        id: id.clone(),
        found: kind.as_str(),
        expected: "supplier",
    })
}

/// A new record of `kind` with `period`, correcting `supersedes` if given, against the
/// effective records of its access point (`effective`: their ids and periods): a correction
/// must name an effective record, and the new period may overlap none of the others.
pub fn new_record(
    kind: RecordKind,
    effective: &[(RecordId, Period)],
    period: Period,
    supersedes: Option<RecordId>,
) -> Result<(), RuleError> {
    if let Some(old) = supersedes {
        if !effective.iter().any(|(id, _)| *id == old) {
            return Err(RuleError::NotEffective { what: kind.as_str(), id: old });
        }
    }
    check_no_overlap(kind.as_str(), effective.iter().copied(), period, supersedes)?;
    Ok(())
}

/// Ending what is in force at `end` on `ean` (a move-out, an end of contract): the effective
/// record that started before `end` and has not ended before it, and its period cut at `end`.
/// The caller writes a record with that period superseding that one.
///
/// A record ending exactly at `end` is still the one ended (the correction is then a no-op
/// that the journal still records); one starting at `end` is not, since nothing of it would
/// be left.
pub fn end(
    kind: RecordKind,
    ean: Ean,
    effective: &[(RecordId, Period)],
    end: Timestamp,
) -> Result<(RecordId, Period), RuleError> {
    effective
        .iter()
        .filter(|(_, period)| period.from() < end && period.to().is_none_or(|to| to >= end))
        .max_by_key(|(_, period)| period.from())
        .and_then(|(id, period)| period.ending_at(end).ok().map(|ended| (*id, ended)))
        .ok_or(RuleError::NothingToEnd { what: kind.as_str(), ean, at: end })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Gln;
    use proptest::prelude::*;

    fn t(h: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + h * 3600).expect("in range")
    }

    fn period(from: i64, to: Option<i64>) -> Period {
        Period::new(t(from), to.map(t)).expect("non-empty")
    }

    fn ean() -> Ean {
        Ean::from_body(54_144_100_000_000_001).expect("valid body")
    }

    fn party() -> PartyId {
        "p-1".parse().expect("valid id")
    }

    /// Effective periods that do not overlap, as the store would read them: consecutive
    /// spans with gaps, the last one possibly open.
    fn register() -> impl Strategy<Value = Vec<(RecordId, Period)>> {
        (proptest::collection::vec((0i64..5, 1i64..10), 0..6), any::<bool>()).prop_map(|(spans, open)| {
            let mut at = 0;
            let count = spans.len();
            spans
                .into_iter()
                .enumerate()
                .map(|(i, (gap, length))| {
                    let from = at + gap;
                    at = from + length;
                    let to = if open && i + 1 == count { None } else { Some(at) };
                    (RecordId(i as i64 + 1), period(from, to))
                })
                .collect()
        })
    }

    #[test]
    fn only_people_and_companies_occupy_and_only_suppliers_supply() {
        let gln = Gln::from_body(541_449_000_000).expect("12 digits");
        let kinds = [
            PartyKind::Person,
            PartyKind::Company,
            PartyKind::Supplier { gln },
            PartyKind::Staff,
            PartyKind::ThirdParty,
            PartyKind::Researcher,
        ];
        for kind in &kinds {
            assert_eq!(network_user(&party(), kind).is_ok(), kind.is_network_user(), "{kind:?}");
            assert_eq!(supplier(&party(), kind).is_ok(), kind.as_str() == "supplier", "{kind:?}");
        }
        let e = network_user(&party(), &PartyKind::Staff).expect_err("staff occupies nothing");
        assert_eq!(e.to_string(), "network_user: party p-1 is a staff, expected person or company");
        assert_eq!(e.code(), "wrong_party_kind");
    }

    #[test]
    fn nothing_in_force_is_nothing_to_end() {
        let effective = [(RecordId(1), period(0, Some(10))), (RecordId(2), period(12, None))];
        assert_eq!(
            end(RecordKind::Occupancy, ean(), &effective, t(5)),
            Ok((RecordId(1), period(0, Some(5))))
        );
        assert_eq!(
            end(RecordKind::Occupancy, ean(), &effective, t(10)),
            Ok((RecordId(1), period(0, Some(10))))
        );
        assert_eq!(
            end(RecordKind::Occupancy, ean(), &effective, t(20)),
            Ok((RecordId(2), period(12, Some(20))))
        );
        let e = end(RecordKind::Registration, ean(), &effective, t(11)).expect_err("a gap");
        assert_eq!(e.code(), "nothing_to_end");
        let expected = format!("at: no registration of {} is in force at", ean());
        assert!(e.to_string().starts_with(&expected), "{e}");
        assert!(end(RecordKind::Occupancy, ean(), &effective, t(12)).is_err(), "it starts then");
        assert!(end(RecordKind::Occupancy, ean(), &[], t(1)).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// An end is found exactly when some effective period started before the instant and
        /// had not ended before it; the result keeps its start, stops at the instant, and
        /// may replace it without overlapping anything else.
        #[test]
        fn an_end_cuts_the_one_record_in_force(effective in register(), at in 0i64..60) {
            let holding: Vec<_> = effective
                .iter()
                .filter(|(_, p)| p.from() < t(at) && p.to().is_none_or(|to| to >= t(at)))
                .collect();
            match end(RecordKind::Occupancy, ean(), &effective, t(at)) {
                Ok((id, ended)) => {
                    prop_assert_eq!(holding.len(), 1);
                    let (held, original) = holding[0];
                    prop_assert_eq!(id, *held);
                    prop_assert_eq!(ended.from(), original.from());
                    prop_assert_eq!(ended.to(), Some(t(at)));
                    prop_assert!(new_record(RecordKind::Occupancy, &effective, ended, Some(id)).is_ok());
                }
                Err(e) => {
                    prop_assert!(holding.is_empty());
                    prop_assert_eq!(e.code(), "nothing_to_end");
                }
            }
        }

        /// A correction must name an effective record; a new record is refused exactly when
        /// its period overlaps an effective one other than the one it replaces.
        #[test]
        fn a_new_record_is_refused_exactly_when_it_collides(
            effective in register(),
            from in 0i64..60,
            length in proptest::option::of(1i64..20),
            replaced in proptest::option::of(0i64..8),
        ) {
            let new = period(from, length.map(|l| from + l));
            let supersedes = replaced.map(RecordId);
            let verdict = new_record(RecordKind::Registration, &effective, new, supersedes);
            let named_is_effective = supersedes.is_none_or(|s| effective.iter().any(|(id, _)| *id == s));
            let collides = effective.iter().any(|(id, p)| Some(*id) != supersedes && p.overlaps(&new));
            match verdict {
                Ok(()) => prop_assert!(named_is_effective && !collides),
                Err(RuleError::NotEffective { id, .. }) => {
                    prop_assert!(!named_is_effective);
                    prop_assert_eq!(Some(id), supersedes);
                }
                Err(RuleError::Overlap(e)) => {
                    prop_assert!(named_is_effective && collides);
                    prop_assert!(Some(e.existing_id) != supersedes && e.existing.overlaps(&new));
                }
                Err(other) => prop_assert!(false, "unexpected {other}"),
            }
        }
    }
}
