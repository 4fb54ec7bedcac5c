//! The one door for external callers: authorise with the policy, clip to the visible
//! periods, journal, answer (R1, R2, R4, R6, R10; I1, I2, I3, I5).
//!
//! Every answer about an access point is built in three steps: the caller's own periods on it
//! (facts) come from the store; the Cedar policy decides and names what is visible; the
//! register's answer is clipped to that. What the caller may not see, and what does not exist,
//! produce the same [`AppError::NotVisible`]: status, body and timing path are the same,
//! so the answer is no oracle of the register (I5). The journal entry, allowed or denied, is
//! durable before the answer leaves; if it cannot be written the request fails (I2).

use domain::{Ean, Period};
use jiff::Timestamp;
use policy::{Action, Decision, Facts, Question, Resource, Visible};
use serde::Serialize;

use crate::register::{Holder, PartyRef};
use crate::{Actor, AppError, Cloison};

/// An access point as a caller may see it at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessPointView {
    /// The EAN.
    pub ean: Ean,
    /// The instant asked about.
    pub at: Timestamp,
    /// Electricity or gas.
    pub energy: domain::Energy,
    /// How the meter is read.
    pub regime: domain::ReadingRegime,
    /// Whether energy flows.
    pub grid_status: domain::GridStatus,
    /// The address of the access point.
    pub address: domain::Address,
    /// The occupant then, with the part of the occupancy the caller may see.
    pub occupant: Option<Holder>,
    /// The supplier then, with the part of the registration the caller may see.
    pub supplier: Option<Holder>,
}

/// The history of an access point as a caller may see it: effective records only, each
/// clipped to the caller's visible periods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClippedHistory {
    /// The EAN.
    pub ean: Ean,
    /// What the caller may see of the time line.
    pub visible: Vec<Period>,
    /// Occupancies, clipped.
    pub occupancies: Vec<Holder>,
    /// Registrations, clipped.
    pub registrations: Vec<Holder>,
}

impl Cloison {
    async fn decide_on(&self, actor: &Actor, action: Action, ean: Ean) -> Result<Decision, AppError> {
        let (registrations, occupancies) = self.store.periods_on(&actor.party, ean).await?;
        let facts = Facts { registrations, occupancies };
        let ean_text = ean.to_string();
        Ok(self.policy.decide(&Question {
            party: actor.party.as_str(),
            role: actor.role.as_str(),
            action,
            resource: Resource::AccessPoint { ean: &ean_text },
            facts: &facts,
        }))
    }

    async fn journal_decision(
        &self,
        actor: &Actor,
        action: &str,
        ean: Ean,
        decision: &Decision,
        outcome: &str,
        digest: Option<journal::Hash>,
    ) -> Result<(), AppError> {
        let mut entry = self.entry(actor, action, vec![ean.to_string()], "api consultation", outcome, digest);
        entry.decision = journal::Decision { allowed: decision.allowed, policies: decision.policies.clone() };
        self.store.append(vec![entry]).await.map_err(AppError::Internal)?;
        Ok(())
    }

    /// The access point at `at` as `actor` may see it, or `NotVisible`.
    pub async fn access_point_at(
        &self,
        actor: &Actor,
        ean: Ean,
        at: Timestamp,
    ) -> Result<AccessPointView, AppError> {
        let decision = self.decide_on(actor, Action::ReadAccessPoint, ean).await?;
        let view = if decision.allowed && decision.visible.contains(at) {
            self.clipped_view(ean, at, &decision.visible).await?
        } else {
            None
        };
        let digest = match &view {
            Some(v) => Some(digest_of(v)?),
            None => None,
        };
        let outcome = if view.is_some() { "ok" } else { "not_visible" };
        self.journal_decision(actor, "api.access_point.show", ean, &decision, outcome, digest).await?;
        view.ok_or(AppError::NotVisible)
    }

    async fn clipped_view(
        &self,
        ean: Ean,
        at: Timestamp,
        visible: &Visible,
    ) -> Result<Option<AccessPointView>, AppError> {
        let Some((ap, snapshot)) = self.store.snapshot(ean, at).await? else { return Ok(None) };
        let clip = |period: &Period| visible.clip(period).into_iter().find(|p| p.contains(at));
        let occupant = match snapshot.occupancy.as_ref().and_then(|r| clip(&r.value.period).map(|p| (r, p))) {
            Some((r, period)) => Some(Holder { party: self.party_ref(&r.value.network_user).await?, period }),
            None => None,
        };
        let supplier =
            match snapshot.registration.as_ref().and_then(|r| clip(&r.value.period).map(|p| (r, p))) {
                Some((r, period)) => Some(Holder { party: self.party_ref(&r.value.supplier).await?, period }),
                None => None,
            };
        Ok(Some(AccessPointView {
            ean,
            at,
            energy: ap.energy,
            regime: ap.regime,
            grid_status: ap.grid_status,
            address: ap.address,
            occupant,
            supplier,
        }))
    }

    /// The history of the access point as `actor` may see it, or `NotVisible`.
    pub async fn access_point_history(&self, actor: &Actor, ean: Ean) -> Result<ClippedHistory, AppError> {
        let decision = self.decide_on(actor, Action::ReadHistory, ean).await?;
        let history = if decision.allowed && decision.visible != Visible::Nothing {
            match self.store.history(ean).await? {
                Some(h) => Some(self.clip_history(ean, &h, &decision.visible).await?),
                None => None,
            }
        } else {
            None
        };
        let digest = match &history {
            Some(h) => Some(digest_of(h)?),
            None => None,
        };
        let outcome = if history.is_some() { "ok" } else { "not_visible" };
        self.journal_decision(actor, "api.access_point.history", ean, &decision, outcome, digest).await?;
        history.ok_or(AppError::NotVisible)
    }

    async fn clip_history(
        &self,
        ean: Ean,
        h: &store::History,
        visible: &Visible,
    ) -> Result<ClippedHistory, AppError> {
        let mut occupancies = Vec::new();
        for r in domain::register::effective(&h.occupancies) {
            for period in visible.clip(&r.value.period) {
                occupancies.push(Holder { party: self.party_ref(&r.value.network_user).await?, period });
            }
        }
        let mut registrations = Vec::new();
        for r in domain::register::effective(&h.registrations) {
            for period in visible.clip(&r.value.period) {
                registrations.push(Holder { party: self.party_ref(&r.value.supplier).await?, period });
            }
        }
        occupancies.sort_by_key(|h| h.period.from());
        registrations.sort_by_key(|h| h.period.from());
        let visible = match visible {
            // "Everything" from the first instant RFC 3339 can write (0001-01-01T00:00:00Z):
            // jiff's own minimum prints as a six-digit negative year, which no client parses
            // as the API's date-time.
            Visible::All => vec![Period::open(domain::instant::FIRST)],
            Visible::Periods(p) => p.clone(),
            Visible::Nothing => Vec::new(),
        };
        Ok(ClippedHistory { ean, visible, occupancies, registrations })
    }

    /// Journal entries for a caller the policy lets read them (the ethics committee); the
    /// search is journaled, allowed or not.
    pub async fn journal_entries_for(
        &self,
        actor: &Actor,
        query: &store::JournalQuery,
    ) -> Result<Vec<store::StoredEntry>, AppError> {
        let facts = Facts::default();
        let decision = self.policy.decide(&Question {
            party: actor.party.as_str(),
            role: actor.role.as_str(),
            action: Action::ReadJournalEntries,
            resource: Resource::Journal,
            facts: &facts,
        });
        if !decision.allowed {
            let mut entry = self.entry(actor, "api.journal.entries", Vec::new(), "audit", "forbidden", None);
            entry.decision = journal::Decision { allowed: false, policies: decision.policies };
            self.store.append(vec![entry]).await.map_err(AppError::Internal)?;
            return Err(AppError::Forbidden);
        }
        self.journal_search(actor, query).await
    }

    /// Who the caller is, as the door knows them.
    pub async fn me(&self, actor: &Actor) -> Result<Me, AppError> {
        let party = self.party_ref(&actor.party).await?;
        let periods = if actor.role == crate::Role::Customer || actor.role == crate::Role::Supplier {
            let p = self.store.party_periods(&actor.party).await?;
            let mut eans: Vec<Ean> = p
                .occupancies
                .iter()
                .map(|r| r.value.ean)
                .chain(p.registrations.iter().map(|r| r.value.ean))
                .collect();
            eans.sort_unstable();
            eans.dedup();
            eans
        } else {
            Vec::new()
        };
        Ok(Me { party, role: actor.role.as_str(), access_points: periods })
    }
}

/// The caller's identity and, for customers and suppliers, their access points.
#[derive(Debug, Clone, Serialize)]
pub struct Me {
    /// The party.
    pub party: PartyRef,
    /// The role of the token.
    pub role: &'static str,
    /// Access points the party occupies or supplies, at any time.
    pub access_points: Vec<Ean>,
}

pub(crate) fn digest_of<T: Serialize>(value: &T) -> Result<journal::Hash, AppError> {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| AppError::Internal(store::StoreError::Journal(e.to_string())))?;
    Ok(journal::Hash::digest(&bytes))
}
