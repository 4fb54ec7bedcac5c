//! What a scenario changes in the register, as data: the pure function from a scenario and
//! the access point's effective records to the list of changes, and the pure application of
//! such a list, which refuses any change that would make two records overlap.
//!
//! The store will run the same two steps inside its write transaction. Keeping them here
//! means the rule "applying an accepted scenario never yields overlapping registrations or
//! occupancies" is property-tested without a database, and that acceptance (which applies
//! the changes to a copy of the view) and the writer on the effective day agree.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::lifecycle::{Scenario, Status};
use super::request::{Action, Config, LastResort, ScenarioId, ScenarioKind};
use super::validate::Rejection;
use crate::access_point::{AccessPoint, GridStatus, MeterKind};
use crate::party::PartyId;
use crate::period::Period;
use crate::register::rules::{self, RecordKind, RuleError};
use crate::register::{Occupancy, Periodic, RecordId, Recorded, Registration, periods};

/// One access point as a scenario sees it: the point, its effective records, and the
/// scenarios on it. The store fills it inside its write transaction; tests build it by hand.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PointView {
    /// The point, or `None` when the EAN is unknown to the register.
    pub access_point: Option<AccessPoint>,
    /// Its effective occupancies (none superseded), which never overlap.
    pub occupancies: Vec<Recorded<Occupancy>>,
    /// Its effective registrations (none superseded), which never overlap.
    pub registrations: Vec<Recorded<Registration>>,
    /// The scenarios in progress on the point, plus the completed one a rectification names.
    pub scenarios: Vec<Scenario>,
}

/// One change to the register. Ends and restorations are corrections that supersede the
/// record they change, never an overwrite (I4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// A new registration.
    OpenRegistration {
        /// The registration.
        registration: Registration,
    },
    /// A new version of an effective registration with another period (an end, or the
    /// restoration of an earlier end by a rectification).
    ReplaceRegistration {
        /// The record it replaces.
        supersedes: RecordId,
        /// The new version.
        registration: Registration,
    },
    /// A correction saying an effective registration never held (a rectification): it
    /// supersedes the record and leaves nothing in its place.
    WithdrawRegistration {
        /// The record withdrawn.
        supersedes: RecordId,
    },
    /// A new occupancy.
    OpenOccupancy {
        /// The occupancy.
        occupancy: Occupancy,
    },
    /// A new version of an effective occupancy with another period.
    ReplaceOccupancy {
        /// The record it replaces.
        supersedes: RecordId,
        /// The new version.
        occupancy: Occupancy,
    },
    /// A correction saying an effective occupancy never held.
    WithdrawOccupancy {
        /// The record withdrawn.
        supersedes: RecordId,
    },
    /// The point's meter changes kind from an instant (a budget meter is placed).
    SetMeter {
        /// The new kind.
        meter: MeterKind,
        /// The first instant with it.
        from: Timestamp,
    },
    /// The point's supply is cut or restored from an instant.
    SetGridStatus {
        /// The new status.
        status: GridStatus,
        /// The first instant with it.
        from: Timestamp,
    },
}

/// The effective record in force at `at` that started before it, with its period cut at
/// `at`. A record starting exactly at `at` is not cut (nothing of it would remain): opening
/// another record at `at` then collides with it, which [`apply`] refuses.
fn cut<T: Periodic>(records: &[Recorded<T>], at: Timestamp) -> Option<(&Recorded<T>, Period)> {
    records.iter().find_map(|r| {
        let period = r.value.period();
        if period.contains(at) && period.from() < at {
            period.ending_at(at).ok().map(|p| (r, p))
        } else {
            None
        }
    })
}

/// The period a record opened at `at` may have: up to the next effective record's start, or
/// open. Should a record start at `at` itself, the open period returned collides with it and
/// [`apply`] refuses the change.
fn opening<T: Periodic>(records: &[Recorded<T>], at: Timestamp) -> Period {
    let next = records.iter().map(|r| r.value.period().from()).filter(|from| *from > at).min();
    Period::new(at, next).unwrap_or(Period::open(at))
}

fn end_registration(view: &PointView, at: Timestamp) -> Option<Effect> {
    cut(&view.registrations, at).map(|(r, period)| Effect::ReplaceRegistration {
        supersedes: r.id,
        registration: Registration { period, ..r.value.clone() },
    })
}

fn end_occupancy(view: &PointView, at: Timestamp) -> Option<Effect> {
    cut(&view.occupancies, at).map(|(r, period)| Effect::ReplaceOccupancy {
        supersedes: r.id,
        occupancy: Occupancy { period, ..r.value.clone() },
    })
}

/// The scenario `corrects`, if it is a completed switch or move on the point of `view`: the
/// only scenarios a rectification may undo.
pub(super) fn corrected(corrects: ScenarioId, view: &PointView) -> Option<&Scenario> {
    let ean = view.access_point.as_ref().map(|ap| ap.ean);
    view.scenarios.iter().find(|s| {
        s.id == corrects
            && s.status == Status::Completed
            && Some(s.request.ean) == ean
            && matches!(s.kind(), ScenarioKind::SupplierSwitch | ScenarioKind::MoveIn | ScenarioKind::MoveOut)
    })
}

/// The register changes `scenario` makes on its effective day, given the point as it stands
/// just before (every scenario of an earlier day, and earlier ones of the same day, applied).
///
/// Ends come before openings, and withdrawals before restorations, so that [`apply`], which
/// checks each change against the records as they are at that moment, never sees a transient
/// overlap. A rectification restores occupancies and registrations only: a reconnection or
/// a meter placed since stays, as it happened in the field.
pub fn effects(scenario: &Scenario, view: &PointView, config: &Config) -> Result<Vec<Effect>, Rejection> {
    let request = &scenario.request;
    let at = request
        .effective_instant()
        .map_err(|_| Rejection::EffectiveDayOutsideWindow { day: request.effective_day })?;
    let nothing = |what: RecordKind| {
        Rejection::Register(RuleError::NothingToEnd { what: what.as_str(), ean: request.ean, at })
    };
    let mut out = Vec::new();
    match &request.action {
        Action::SupplierSwitch { .. } => {
            out.extend(end_registration(view, at));
            let registration = Registration {
                ean: request.ean,
                supplier: request.initiator.clone(),
                period: opening(&view.registrations, at),
            };
            out.push(Effect::OpenRegistration { registration });
        }
        Action::MoveIn { customer, shipping_address } => {
            out.extend(end_occupancy(view, at));
            out.extend(end_registration(view, at));
            let occupancy = Occupancy {
                ean: request.ean,
                network_user: customer.clone(),
                period: opening(&view.occupancies, at),
                shipping_address: shipping_address.clone(),
            };
            out.push(Effect::OpenOccupancy { occupancy });
            let registration = Registration {
                ean: request.ean,
                supplier: request.initiator.clone(),
                period: opening(&view.registrations, at),
            };
            out.push(Effect::OpenRegistration { registration });
            if view.access_point.as_ref().is_some_and(|ap| ap.grid_status == GridStatus::Deenergised) {
                out.push(Effect::SetGridStatus { status: GridStatus::Energised, from: at });
            }
        }
        Action::MoveOut { .. } => {
            out.push(end_occupancy(view, at).ok_or_else(|| nothing(RecordKind::Occupancy))?);
            out.extend(end_registration(view, at));
        }
        Action::EndOfContract | Action::Drop { .. } => {
            out.push(end_registration(view, at).ok_or_else(|| nothing(RecordKind::Registration))?);
            match &config.last_resort {
                LastResort::DefaultSupplier { supplier } => {
                    let registration = Registration {
                        ean: request.ean,
                        supplier: supplier.clone(),
                        period: opening(&view.registrations, at),
                    };
                    out.push(Effect::OpenRegistration { registration });
                }
                LastResort::Deenergise => {
                    out.push(Effect::SetGridStatus { status: GridStatus::Deenergised, from: at })
                }
            }
        }
        Action::BudgetMeter { .. } => out.push(Effect::SetMeter { meter: MeterKind::Budget, from: at }),
        Action::Rectification { corrects } => {
            let not_rectifiable = || Rejection::NotRectifiable { corrects: *corrects };
            let wrong = corrected(*corrects, view).ok_or_else(not_rectifiable)?;
            match &wrong.request.action {
                Action::SupplierSwitch { .. } => {
                    out.extend(
                        restore_registration(view, at, &wrong.request.initiator)
                            .ok_or_else(not_rectifiable)?,
                    );
                }
                Action::MoveIn { customer, .. } => {
                    let occupancy = view
                        .occupancies
                        .iter()
                        .find(|o| o.value.network_user == *customer && o.value.period.from() == at)
                        .ok_or_else(not_rectifiable)?;
                    out.push(Effect::WithdrawOccupancy { supersedes: occupancy.id });
                    if let Some(previous) = view.occupancies.iter().find(|o| o.value.period.to() == Some(at))
                    {
                        let period = Period::new(previous.value.period.from(), occupancy.value.period.to())
                            .map_err(|_| not_rectifiable())?;
                        let occupancy = Occupancy { period, ..previous.value.clone() };
                        out.push(Effect::ReplaceOccupancy { supersedes: previous.id, occupancy });
                    }
                    out.extend(
                        restore_registration(view, at, &wrong.request.initiator)
                            .ok_or_else(not_rectifiable)?,
                    );
                }
                Action::MoveOut { customer } => {
                    let occupancy = view
                        .occupancies
                        .iter()
                        .find(|o| o.value.network_user == *customer && o.value.period.to() == Some(at))
                        .ok_or_else(not_rectifiable)?;
                    // Someone moved in on that day: the move-out was real for the register.
                    if view.occupancies.iter().any(|o| o.value.period.from() == at) {
                        return Err(not_rectifiable());
                    }
                    let period = opening(&view.occupancies, at);
                    let occupancy_period = Period::new(occupancy.value.period.from(), period.to())
                        .map_err(|_| not_rectifiable())?;
                    out.push(Effect::ReplaceOccupancy {
                        supersedes: occupancy.id,
                        occupancy: Occupancy { period: occupancy_period, ..occupancy.value.clone() },
                    });
                    let ended = view.registrations.iter().find(|r| {
                        r.value.supplier == wrong.request.initiator && r.value.period.to() == Some(at)
                    });
                    if let Some(registration) = ended {
                        if !view.registrations.iter().any(|r| r.value.period.from() == at) {
                            let until = opening(&view.registrations, at).to();
                            let period = Period::new(registration.value.period.from(), until)
                                .map_err(|_| not_rectifiable())?;
                            out.push(Effect::ReplaceRegistration {
                                supersedes: registration.id,
                                registration: Registration { period, ..registration.value.clone() },
                            });
                        }
                    }
                }
                _ => return Err(not_rectifiable()),
            }
        }
    }
    Ok(out)
}

/// Withdraws the registration `wrong` opened at `at` and lets the one that ended at `at`
/// run on to where the withdrawn one ended: `None` when `wrong` opened nothing there.
fn restore_registration(view: &PointView, at: Timestamp, wrong: &PartyId) -> Option<Vec<Effect>> {
    let opened =
        view.registrations.iter().find(|r| r.value.supplier == *wrong && r.value.period.from() == at)?;
    let mut out = vec![Effect::WithdrawRegistration { supersedes: opened.id }];
    if let Some(previous) = view.registrations.iter().find(|r| r.value.period.to() == Some(at)) {
        let period = Period::new(previous.value.period.from(), opened.value.period.to()).ok()?;
        out.push(Effect::ReplaceRegistration {
            supersedes: previous.id,
            registration: Registration { period, ..previous.value.clone() },
        });
    }
    Some(out)
}

/// The registration in force at `at`: whose supplier a scenario of that instant is judged
/// against.
pub fn supplier_at(view: &PointView, at: Timestamp) -> Option<&Recorded<Registration>> {
    view.registrations.iter().find(|r| r.value.period.contains(at))
}

/// The occupancy in force at `at`: whose network user a scenario of that instant names.
pub fn occupant_at(view: &PointView, at: Timestamp) -> Option<&Recorded<Occupancy>> {
    view.occupancies.iter().find(|o| o.value.period.contains(at))
}

/// Applies `effects` to `view` in order, as the store's writer will: each change is checked
/// against the effective records as they stand at that moment with the register's own rules
/// ([`rules::new_record`]), so a change that would overlap an effective record, or correct a
/// record that is not effective, is refused and `view` is left as it was.
///
/// New records get ids after the largest in the view, and `recorded_at` as their transaction
/// time.
pub fn apply(view: &mut PointView, effects: &[Effect], recorded_at: Timestamp) -> Result<(), RuleError> {
    let mut next = view.occupancies.iter().map(|r| r.id).chain(view.registrations.iter().map(|r| r.id)).max();
    let mut fresh = || {
        let id = RecordId(next.map_or(1, |RecordId(n)| n + 1));
        next = Some(id);
        id
    };
    let mut work = view.clone();
    for effect in effects {
        match effect {
            Effect::OpenRegistration { registration } => put(
                &mut work.registrations,
                RecordKind::Registration,
                registration.clone(),
                None,
                fresh(),
                recorded_at,
            )?,
            Effect::ReplaceRegistration { supersedes, registration } => put(
                &mut work.registrations,
                RecordKind::Registration,
                registration.clone(),
                Some(*supersedes),
                fresh(),
                recorded_at,
            )?,
            Effect::WithdrawRegistration { supersedes } => {
                withdraw(&mut work.registrations, RecordKind::Registration, *supersedes)?
            }
            Effect::OpenOccupancy { occupancy } => put(
                &mut work.occupancies,
                RecordKind::Occupancy,
                occupancy.clone(),
                None,
                fresh(),
                recorded_at,
            )?,
            Effect::ReplaceOccupancy { supersedes, occupancy } => put(
                &mut work.occupancies,
                RecordKind::Occupancy,
                occupancy.clone(),
                Some(*supersedes),
                fresh(),
                recorded_at,
            )?,
            Effect::WithdrawOccupancy { supersedes } => {
                withdraw(&mut work.occupancies, RecordKind::Occupancy, *supersedes)?
            }
            Effect::SetMeter { meter, .. } => {
                if let Some(ap) = work.access_point.as_mut() {
                    ap.meter = *meter;
                }
            }
            Effect::SetGridStatus { status, .. } => {
                if let Some(ap) = work.access_point.as_mut() {
                    ap.grid_status = *status;
                }
            }
        }
    }
    *view = work;
    Ok(())
}

fn put<T: Periodic>(
    records: &mut Vec<Recorded<T>>,
    kind: RecordKind,
    value: T,
    supersedes: Option<RecordId>,
    id: RecordId,
    recorded_at: Timestamp,
) -> Result<(), RuleError> {
    let effective: Vec<(RecordId, Period)> = periods(records.iter()).collect();
    rules::new_record(kind, &effective, value.period(), supersedes)?;
    records.retain(|r| Some(r.id) != supersedes);
    records.push(Recorded { id, recorded_at, supersedes, value });
    Ok(())
}

fn withdraw<T>(records: &mut Vec<Recorded<T>>, kind: RecordKind, id: RecordId) -> Result<(), RuleError> {
    if !records.iter().any(|r| r.id == id) {
        return Err(RuleError::NotEffective { what: kind.as_str(), id });
    }
    records.retain(|r| r.id != id);
    Ok(())
}
