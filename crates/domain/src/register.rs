//! The access register: who occupies and who supplies each access point, over time.
//!
//! The register is append-only business history (I4). A record is never rewritten: a move-out
//! that ends an open occupancy, or a correction of a wrong date, is a new record that
//! *supersedes* the old one. The effective register is the set of records nothing supersedes.
//! On one access point, effective occupancies never overlap, and neither do effective
//! registrations: at any instant there is at most one network user and one supplier.

pub mod rules;

use std::collections::HashSet;
use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::access_point::{AccessPoint, Address};
use crate::gs1::Ean;
use crate::party::{Party, PartyId};
use crate::period::Period;

/// The store's key of one register record; increasing in the order records were written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RecordId(pub i64);

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A network user on an access point for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occupancy {
    /// The access point.
    pub ean: Ean,
    /// The person or company occupying it.
    pub network_user: PartyId,
    /// When.
    pub period: Period,
    /// Where the supplier said bills and consumption histories go (R4); sealed at rest.
    pub shipping_address: Address,
}

/// A supplier's accepted registration on an access point for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// The access point.
    pub ean: Ean,
    /// The supplier holding the contract.
    pub supplier: PartyId,
    /// When.
    pub period: Period,
}

/// A record as stored: the value plus when it was written and which record it replaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded<T> {
    /// Its key.
    pub id: RecordId,
    /// When the register learnt it (transaction time, not the period it speaks of).
    pub recorded_at: Timestamp,
    /// The record this one corrects, if any.
    pub supersedes: Option<RecordId>,
    /// The occupancy or registration.
    pub value: T,
}

/// Something that has a period on one access point.
pub trait Periodic {
    /// The period the record covers.
    fn period(&self) -> Period;
}

impl Periodic for Occupancy {
    fn period(&self) -> Period {
        self.period
    }
}

impl Periodic for Registration {
    fn period(&self) -> Period {
        self.period
    }
}

/// A new record would overlap an effective one on the same access point.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} period {new} overlaps record {existing_id} with period {existing} on this access point")]
pub struct OverlapError {
    /// "occupancy" or "registration".
    pub what: &'static str,
    /// The period asked for.
    pub new: Period,
    /// The effective record it collides with.
    pub existing_id: RecordId,
    /// That record's period.
    pub existing: Period,
}

/// The records of `all` that no other record supersedes.
pub fn effective<T>(all: &[Recorded<T>]) -> impl Iterator<Item = &Recorded<T>> {
    let superseded: HashSet<RecordId> = all.iter().filter_map(|r| r.supersedes).collect();
    all.iter().filter(move |r| !superseded.contains(&r.id))
}

/// Checks that `new` (possibly replacing `replacing`) overlaps no effective record.
///
/// `effective_periods` must be the (id, period) of the effective records of one access point
/// and one kind: the store passes what it read inside its write transaction.
pub fn check_no_overlap(
    what: &'static str,
    effective_periods: impl IntoIterator<Item = (RecordId, Period)>,
    new: Period,
    replacing: Option<RecordId>,
) -> Result<(), OverlapError> {
    for (id, existing) in effective_periods {
        if Some(id) != replacing && existing.overlaps(&new) {
            return Err(OverlapError { what, new, existing_id: id, existing });
        }
    }
    Ok(())
}

/// The (id, period) pairs of records, as `check_no_overlap` takes them.
pub fn periods<'a, T: Periodic + 'a>(
    records: impl IntoIterator<Item = &'a Recorded<T>>,
) -> impl Iterator<Item = (RecordId, Period)> {
    records.into_iter().map(|r| (r.id, r.value.period()))
}

/// Who occupied and who supplied an access point at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The instant asked about.
    pub at: Timestamp,
    /// The effective occupancy containing `at`, if any.
    pub occupancy: Option<Recorded<Occupancy>>,
    /// The effective registration containing `at`, if any.
    pub registration: Option<Recorded<Registration>>,
}

/// The point-in-time answer by a plain scan of a history: the reference the store's indexed
/// query is tested against.
pub fn snapshot_at(
    occupancies: &[Recorded<Occupancy>],
    registrations: &[Recorded<Registration>],
    at: Timestamp,
) -> Snapshot {
    Snapshot {
        at,
        occupancy: effective(occupancies).find(|r| r.value.period.contains(at)).cloned(),
        registration: effective(registrations).find(|r| r.value.period.contains(at)).cloned(),
    }
}

/// A change to the register, as data: what a market process, an operator or an import asks
/// for. Changes are values so they can be queued, batched, journaled and replayed; the store
/// checks each against the register inside its transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// Adds a party.
    PutParty(Party),
    /// Adds an access point, or a new version of it (meter or status change).
    PutAccessPoint(AccessPoint),
    /// Adds an occupancy, or corrects the effective one named.
    RecordOccupancy {
        /// The occupancy.
        occupancy: Occupancy,
        /// The effective record it corrects.
        supersedes: Option<RecordId>,
    },
    /// Adds a registration, or corrects the effective one named.
    RecordRegistration {
        /// The registration.
        registration: Registration,
        /// The effective record it corrects.
        supersedes: Option<RecordId>,
    },
    /// Ends the occupancy in force at `at` (a move-out): supersedes it with one ending then.
    EndOccupancy {
        /// The access point.
        ean: Ean,
        /// The first instant without that occupant.
        at: Timestamp,
    },
    /// Ends the registration in force at `at` (end of contract, switch, drop).
    EndRegistration {
        /// The access point.
        ean: Ean,
        /// The first instant without that supplier.
        at: Timestamp,
    },
}

/// The journal's names of the register's changes, as [`Change::action`] writes them.
pub const CHANGE_ACTIONS: [&str; 6] = [
    "register.party.put",
    "register.access_point.put",
    "register.occupancy.record",
    "register.registration.record",
    "register.occupancy.end",
    "register.registration.end",
];

impl Change {
    /// The journal's name for this kind of change.
    pub fn action(&self) -> &'static str {
        match self {
            Change::PutParty(_) => CHANGE_ACTIONS[0],
            Change::PutAccessPoint(_) => CHANGE_ACTIONS[1],
            Change::RecordOccupancy { .. } => CHANGE_ACTIONS[2],
            Change::RecordRegistration { .. } => CHANGE_ACTIONS[3],
            Change::EndOccupancy { .. } => CHANGE_ACTIONS[4],
            Change::EndRegistration { .. } => CHANGE_ACTIONS[5],
        }
    }

    /// Whether a journal action names a change of the register (a write), as opposed to a
    /// read: the access log shows a customer a write only when it is about their own data.
    pub fn is_change_action(action: &str) -> bool {
        CHANGE_ACTIONS.contains(&action)
    }

    /// The identifiers the change is about (EANs and party ids), for the journal: never
    /// names or addresses.
    pub fn subjects(&self) -> Vec<String> {
        match self {
            Change::PutParty(p) => vec![p.id.to_string()],
            Change::PutAccessPoint(ap) => vec![ap.ean.to_string()],
            Change::RecordOccupancy { occupancy, .. } => {
                vec![occupancy.ean.to_string(), occupancy.network_user.to_string()]
            }
            Change::RecordRegistration { registration, .. } => {
                vec![registration.ean.to_string(), registration.supplier.to_string()]
            }
            Change::EndOccupancy { ean, .. } | Change::EndRegistration { ean, .. } => vec![ean.to_string()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reg(id: i64, from_h: i64, to_h: Option<i64>, supersedes: Option<i64>) -> Recorded<Registration> {
        let t = |h: i64| Timestamp::from_second(1_700_000_000 + h * 3600).expect("in range");
        Recorded {
            id: RecordId(id),
            recorded_at: t(0),
            supersedes: supersedes.map(RecordId),
            value: Registration {
                ean: Ean::from_body(54_144_100_000_000_001).expect("valid body"),
                supplier: "sup-a".parse().expect("valid id"),
                period: Period::new(t(from_h), to_h.map(t)).expect("non-empty"),
            },
        }
    }

    #[test]
    fn a_correction_supersedes_and_frees_the_period() {
        let open = reg(1, 0, None, None);
        let ended = reg(2, 0, Some(10), Some(1));
        let all = vec![open.clone(), ended.clone()];
        let eff: Vec<_> = effective(&all).map(|r| r.id).collect();
        assert_eq!(eff, vec![RecordId(2)]);
        // The next supplier may start at hour 10, not at hour 9.
        let next = reg(3, 10, None, None);
        assert!(check_no_overlap("registration", periods(effective(&all)), next.value.period, None).is_ok());
        let early = reg(4, 9, None, None);
        let err = check_no_overlap("registration", periods(effective(&all)), early.value.period, None)
            .expect_err("overlap");
        assert_eq!(err.existing_id, RecordId(2));
        // Replacing record 2 itself is not an overlap with itself.
        assert!(
            check_no_overlap("registration", periods(effective(&all)), early.value.period, Some(RecordId(2)))
                .is_ok()
        );
    }

    proptest! {
        #[test]
        fn overlapping_periods_are_always_rejected(
            a in (0i64..100, proptest::option::of(1i64..100)),
            b in (0i64..100, proptest::option::of(1i64..100)),
        ) {
            let first = reg(1, a.0, a.1.map(|l| a.0 + l), None);
            let second = reg(2, b.0, b.1.map(|l| b.0 + l), None);
            let existing = [first.clone()];
            let verdict = check_no_overlap("registration", periods(&existing), second.value.period, None);
            prop_assert_eq!(verdict.is_err(), first.value.period.overlaps(&second.value.period));
        }
    }
}
