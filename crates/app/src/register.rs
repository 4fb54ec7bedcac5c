//! Register use cases: show an access point at an instant, its history, and write to it.

use domain::register::effective;
use domain::{AccessPoint, Change, Ean, Occupancy, PartyId, Period, RecordId, Recorded, Registration};
use jiff::Timestamp;
use serde::Serialize;

use policy::{Action, Resource, Visible};

use crate::gate::{Ask, Sent};
use crate::write::RegisterChanges;
use crate::{Actor, AppError, Cloison, Counts, StoreError, Written};

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

/// How a view names the party `id`, as the register holds it (`None`: no longer there).
pub(crate) fn party_ref_of(id: &PartyId, party: Option<&domain::Party>) -> PartyRef {
    PartyRef {
        id: id.clone(),
        name: party.map(|p| p.name.as_str().to_owned()),
        gln: party.and_then(|p| match p.kind {
            domain::PartyKind::Supplier { gln } => Some(gln.to_string()),
            _ => None,
        }),
    }
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

impl Cloison {
    pub(crate) async fn party_ref(&self, id: &PartyId) -> Result<PartyRef, AppError> {
        let party = self.store.party(id).await?;
        Ok(party_ref_of(id, party.as_ref()))
    }

    /// The access point at `at`: its occupant and supplier then, unclipped, for a role that
    /// sees the whole register (the register team, the ethics committee, the operator). Any
    /// other role gets `NotVisible`, as for an access point that does not exist (I5): its
    /// view of an access point is [`Cloison::access_point_at`], clipped. The read is journaled,
    /// found or not, before the answer is returned.
    pub async fn register_show(
        &self,
        actor: &Actor,
        ean: Ean,
        at: Timestamp,
    ) -> Result<Sent<RegisterView>, AppError> {
        let ean_text = ean.to_string();
        let ask = Ask::access_point(
            Action::ReadAccessPoint,
            ean,
            &ean_text,
            "register.show",
            "register consultation",
        );
        self.read(actor, ask, |visible| async move {
            if visible != Visible::All {
                return Err(AppError::NotVisible);
            }
            self.build_show(ean, at).await
        })
        .await
    }

    async fn build_show(&self, ean: Ean, at: Timestamp) -> Result<RegisterView, AppError> {
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

    /// Every record of the access point, superseded ones marked, for a role that sees the
    /// whole register; journaled like a show.
    pub async fn register_history(&self, actor: &Actor, ean: Ean) -> Result<Sent<HistoryView>, AppError> {
        let ean_text = ean.to_string();
        let ask = Ask::access_point(
            Action::ReadHistory,
            ean,
            &ean_text,
            "register.history",
            "register consultation",
        );
        self.read(actor, ask, |visible| async move {
            if visible != Visible::All {
                return Err(AppError::NotVisible);
            }
            self.build_history(ean).await
        })
        .await
    }

    async fn build_history(&self, ean: Ean) -> Result<HistoryView, AppError> {
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

    /// Applies changes as one request, all or nothing, each recorded at its instant, and
    /// journals them (or their refusal) in the same transaction.
    pub async fn register_apply(
        &self,
        actor: &Actor,
        changes: Vec<(Timestamp, Change)>,
    ) -> Result<Vec<Written>, AppError> {
        self.register_submit(actor, changes).await?.wait().await
    }

    /// Queues a request without waiting for it: requests are applied in the order queued,
    /// and many ride in one commit. Await the ticket to know it is durable.
    ///
    /// The policy is asked `WriteRegister` for every access point the request touches (and
    /// for the register itself when it adds a party); a refusal of any is journaled once and
    /// refuses the whole request, so nothing of it is written.
    pub async fn register_submit(
        &self,
        actor: &Actor,
        changes: Vec<(Timestamp, Change)>,
    ) -> Result<WriteTicket, AppError> {
        let mut resources: Vec<Option<(Ean, String)>> =
            changes.iter().map(|(_, c)| change_ean(c).map(|ean| (ean, ean.to_string()))).collect();
        resources.sort_unstable();
        resources.dedup();
        let act = changes.first().map_or("register.write", |(_, c)| c.action());
        let asks = resources
            .iter()
            .map(|resource| match resource {
                Some((ean, text)) => {
                    Ask::access_point(Action::WriteRegister, *ean, text, act, "register maintenance")
                }
                None => Ask::function(Action::WriteRegister, Resource::Register, act, "register maintenance"),
            })
            .collect();
        self.write(actor, asks, |template| async move {
            let command = RegisterChanges { template, changes };
            Ok(WriteTicket(self.store.submit(command).await.map_err(AppError::Internal)?))
        })
        .await
    }

    /// Sizes of the register: counts only, no record.
    pub async fn register_counts(&self, actor: &Actor) -> Result<Sent<Counts>, AppError> {
        let ask = Ask::function(
            Action::ReadRegisterSummary,
            Resource::Register,
            "register.counts",
            "register oversight",
        );
        self.read(actor, ask, |_| async move { Ok(self.store.counts().await?) }).await
    }

    /// The first `limit` EANs in numeric order.
    pub async fn register_eans(&self, actor: &Actor, limit: i64) -> Result<Sent<Vec<Ean>>, AppError> {
        let ask = Ask::function(
            Action::ListAccessPoints,
            Resource::Register,
            "register.eans",
            "register oversight",
        );
        self.read(actor, ask, |_| async move { Ok(self.store.eans(limit).await?) }).await
    }
}

/// The access point a change is about, or `None` for a change of the register's parties.
fn change_ean(change: &Change) -> Option<Ean> {
    match change {
        Change::PutParty(_) => None,
        Change::PutAccessPoint(ap) => Some(ap.ean),
        Change::RecordOccupancy { occupancy, .. } => Some(occupancy.ean),
        Change::RecordRegistration { registration, .. } => Some(registration.ean),
        Change::EndOccupancy { ean, .. } | Change::EndRegistration { ean, .. } => Some(*ean),
    }
}

/// A queued register request.
pub struct WriteTicket(store::Ticket<Result<Vec<Written>, StoreError>>);

impl WriteTicket {
    /// Waits until the request is durable; then says what it wrote or why it was refused.
    pub async fn wait(self) -> Result<Vec<Written>, AppError> {
        let committed = self.0.wait().await.map_err(AppError::Internal)?;
        Ok(committed.output?)
    }
}
