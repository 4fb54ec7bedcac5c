//! Register use cases: show an access point at an instant, its history, and write to it.

use domain::register::effective;
use domain::{AccessPoint, Ean, Occupancy, Party, PartyId, Period, RecordId, Recorded, Registration};
use jiff::Timestamp;
use serde::Serialize;

use crate::{Actor, AppError, Cloison, Counts};

/// A party as a view names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartyRef {
    /// Opaque id.
    pub id: PartyId,
    /// Name, when the party still exists in the register.
    pub name: Option<String>,
    /// GLN, for a supplier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gln: Option<String>,
}

/// The access point at one instant: who occupied it and who supplied it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterView {
    /// The instant asked about.
    pub at: Timestamp,
    /// The access point.
    pub access_point: AccessPoint,
    /// The network user at `at`, and the period of that occupancy.
    pub occupant: Option<Holder>,
    /// The registered supplier at `at`, and the period of that registration.
    pub supplier: Option<Holder>,
}

/// A party holding an access point for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holder {
    /// The network user or supplier.
    pub party: PartyRef,
    /// The whole period of the occupancy or registration containing the instant asked.
    pub period: Period,
}

/// One record of a history, with whether it is still effective.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordView {
    /// Record id.
    pub id: RecordId,
    /// The network user or supplier.
    pub party: PartyRef,
    /// The period it covers.
    pub period: Period,
    /// When the register learnt it.
    pub recorded_at: Timestamp,
    /// The record it corrects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<RecordId>,
    /// False when a later record corrected it.
    pub effective: bool,
}

/// Every occupancy and registration of an access point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryView {
    /// The access point.
    pub access_point: AccessPoint,
    /// Occupancies in the order written.
    pub occupancies: Vec<RecordView>,
    /// Registrations in the order written.
    pub registrations: Vec<RecordView>,
}

/// A write to the register.
#[derive(Debug, Clone)]
pub enum Command {
    /// Adds a party.
    PutParty(Party),
    /// Adds an access point or a new version of it.
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
}

/// What a command wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// A party was added.
    Party,
    /// This version of an access point was written.
    AccessPointVersion(i64),
    /// This occupancy or registration record was written.
    Record(RecordId),
}

impl Cloison {
    async fn party_ref(&self, id: &PartyId) -> Result<PartyRef, AppError> {
        let party = self.store.party(id).await?;
        Ok(PartyRef {
            id: id.clone(),
            name: party.as_ref().map(|p| p.name.as_str().to_owned()),
            gln: party.and_then(|p| match p.kind {
                domain::PartyKind::Supplier { gln } => Some(gln.to_string()),
                _ => None,
            }),
        })
    }

    /// The access point at `at`: its occupant and supplier then.
    pub async fn register_show(
        &self,
        _actor: &Actor,
        ean: Ean,
        at: Timestamp,
    ) -> Result<RegisterView, AppError> {
        let (access_point, snapshot) =
            self.store.snapshot(ean, at).await?.ok_or(AppError::UnknownAccessPoint(ean))?;
        let occupant = match snapshot.occupancy {
            Some(r) => {
                Some(Holder { party: self.party_ref(&r.value.network_user).await?, period: r.value.period })
            }
            None => None,
        };
        let supplier = match snapshot.registration {
            Some(r) => {
                Some(Holder { party: self.party_ref(&r.value.supplier).await?, period: r.value.period })
            }
            None => None,
        };
        Ok(RegisterView { at, access_point, occupant, supplier })
    }

    /// Every record of the access point, superseded ones marked.
    pub async fn register_history(&self, _actor: &Actor, ean: Ean) -> Result<HistoryView, AppError> {
        let history = self.store.history(ean).await?.ok_or(AppError::UnknownAccessPoint(ean))?;
        let occupancies = self
            .record_views(&history.occupancies, |o: &Occupancy| (o.network_user.clone(), o.period))
            .await?;
        let registrations = self
            .record_views(&history.registrations, |r: &Registration| (r.supplier.clone(), r.period))
            .await?;
        Ok(HistoryView { access_point: history.access_point, occupancies, registrations })
    }

    async fn record_views<T>(
        &self,
        records: &[Recorded<T>],
        parts: impl Fn(&T) -> (PartyId, Period),
    ) -> Result<Vec<RecordView>, AppError> {
        let live: Vec<RecordId> = effective(records).map(|r| r.id).collect();
        let mut views = Vec::with_capacity(records.len());
        for r in records {
            let (party, period) = parts(&r.value);
            views.push(RecordView {
                id: r.id,
                party: self.party_ref(&party).await?,
                period,
                recorded_at: r.recorded_at,
                supersedes: r.supersedes,
                effective: live.contains(&r.id),
            });
        }
        Ok(views)
    }

    /// Applies commands in one transaction, all or nothing; each is recorded at its instant.
    pub async fn register_apply(
        &self,
        actor: &Actor,
        commands: &[(Timestamp, Command)],
    ) -> Result<Vec<Written>, AppError> {
        let mut batch = self.register_batch(actor).await?;
        let mut written = Vec::with_capacity(commands.len());
        for (at, command) in commands {
            written.push(batch.apply(*at, command).await?);
        }
        batch.commit().await?;
        Ok(written)
    }

    /// Opens a unit of work: commands applied to it see each other's results, and become
    /// visible together at commit. Dropping it without commit changes nothing.
    pub async fn register_batch(&self, actor: &Actor) -> Result<RegisterBatch, AppError> {
        Ok(RegisterBatch { tx: self.store.begin().await?, _actor: actor.clone() })
    }

    /// Sizes of the register.
    pub async fn register_counts(&self, _actor: &Actor) -> Result<Counts, AppError> {
        Ok(self.store.counts().await?)
    }

    /// The first `limit` EANs in numeric order.
    pub async fn register_eans(&self, _actor: &Actor, limit: i64) -> Result<Vec<Ean>, AppError> {
        Ok(self.store.eans(limit).await?)
    }
}

/// A unit of work on the register (see [`Cloison::register_batch`]).
pub struct RegisterBatch {
    tx: store::WriteTx,
    _actor: Actor,
}

impl RegisterBatch {
    /// Applies one command recorded at `at`; an invalid command changes nothing and the
    /// batch can go on.
    pub async fn apply(&mut self, at: Timestamp, command: &Command) -> Result<Written, AppError> {
        Ok(match command {
            Command::PutParty(p) => self.tx.put_party(p, at).await.map(|()| Written::Party)?,
            Command::PutAccessPoint(ap) => {
                self.tx.put_access_point(ap, at).await.map(Written::AccessPointVersion)?
            }
            Command::RecordOccupancy { occupancy, supersedes } => {
                self.tx.record_occupancy(occupancy, *supersedes, at).await.map(Written::Record)?
            }
            Command::RecordRegistration { registration, supersedes } => {
                self.tx.record_registration(registration, *supersedes, at).await.map(Written::Record)?
            }
        })
    }

    /// Makes every applied command durable and visible.
    pub async fn commit(self) -> Result<(), AppError> {
        Ok(self.tx.commit().await?)
    }
}
