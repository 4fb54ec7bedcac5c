//! The views for external callers: an access point and its history clipped to the visible
//! periods, and who the caller is (R1, R2, R4, R6, R10; I1, I2, I3, I5).
//!
//! Every answer about an access point passes the gate (`gate.rs`): the caller's own periods
//! on it (facts) come from the store; the Cedar policy decides and names what is visible; the
//! register's answer is clipped to that here. What the caller may not see, and what does not exist,
//! produce the same [`AppError::NotVisible`]: status, body and timing path are the same,
//! so the answer is no oracle of the register (I5). The journal entry, allowed or denied, is
//! durable before the answer leaves; if it cannot be written the request fails (I2).

use domain::{AccessPoint, Ean, PartyId, Period, Snapshot};
use jiff::Timestamp;
use policy::{Action, Facts, Resource, Visible};
use serde::Serialize;

use crate::gate::{Ask, Sent};
use crate::register::{Holder, PartyRef, party_ref_of};
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
    /// The access point at `at` as `actor` may see it, or `NotVisible`.
    pub async fn access_point_at(
        &self,
        actor: &Actor,
        ean: Ean,
        at: Timestamp,
    ) -> Result<Sent<AccessPointView>, AppError> {
        let ean_text = ean.to_string();
        let ask = Ask::access_point(
            Action::ReadAccessPoint,
            ean,
            &ean_text,
            "api.access_point.show",
            "api consultation",
        );
        self.read(actor, ask, |visible| async move {
            if !visible.contains(at) {
                return Err(AppError::NotVisible);
            }
            self.clipped_view(ean, at, &visible).await?.ok_or(AppError::NotVisible)
        })
        .await
    }

    /// The access point at `at` as the bearer of `secret` may see it: `None` when no token
    /// with that secret is valid now (unknown, revoked or expired), else what
    /// [`Cloison::access_point_at`] answers that bearer, byte for byte, journaled alike.
    ///
    /// The token, the bearer's facts and mandates, the register at `at` and the holders'
    /// names are read in one snapshot (`store::PointRead`: one statement on PostgreSQL, one read
    /// transaction on SQLite) instead of one after another: the same reads, so the same
    /// decision and the same view; a token revoked by any process before the read began is
    /// refused, as by [`Cloison::authenticate`]. `request` names the request in the
    /// actor's session, as there.
    pub async fn access_point_at_bearer(
        &self,
        secret: &str,
        request: &str,
        ean: Ean,
        at: Timestamp,
    ) -> Result<Option<Sent<AccessPointView>>, AppError> {
        let Some(read) = self.store.point_read(secret, Timestamp::now(), ean, at).await? else {
            return Ok(None);
        };
        let Some(actor) = crate::access::actor_of(&read.bearer, request) else { return Ok(None) };
        let facts = Facts {
            registrations: read.registrations.clone(),
            occupancies: read.occupancies.clone(),
            // Read with the rest, in the same snapshot; given to the policy only where
            // `mandates_on` would have read them.
            mandates: if self.policy.uses_mandates(actor.role.as_str(), Action::ReadAccessPoint) {
                read.mandates.clone()
            } else {
                Vec::new()
            },
        };
        let ean_text = ean.to_string();
        let ask = Ask::access_point(
            Action::ReadAccessPoint,
            ean,
            &ean_text,
            "api.access_point.show",
            "api consultation",
        );
        let sent = self
            .read_given(&actor, ask, facts, |visible| async move {
                if !visible.contains(at) {
                    return Err(AppError::NotVisible);
                }
                let Some((ap, snapshot)) = read.snapshot.clone() else { return Err(AppError::NotVisible) };
                Ok(clipped_view(ean, at, &visible, ap, snapshot, |id| party_ref_of(id, read.party(id))))
            })
            .await?;
        Ok(Some(sent))
    }

    async fn clipped_view(
        &self,
        ean: Ean,
        at: Timestamp,
        visible: &Visible,
    ) -> Result<Option<AccessPointView>, AppError> {
        let Some((ap, snapshot)) = self.store.snapshot(ean, at).await? else { return Ok(None) };
        let mut parties = Vec::new();
        let holders = [
            snapshot.occupancy.as_ref().map(|r| &r.value.network_user),
            snapshot.registration.as_ref().map(|r| &r.value.supplier),
        ];
        for id in holders.into_iter().flatten() {
            parties.push(self.party_ref(id).await?);
        }
        let name = |id: &PartyId| {
            parties.iter().find(|p| &p.id == id).cloned().unwrap_or_else(|| party_ref_of(id, None))
        };
        Ok(Some(clipped_view(ean, at, visible, ap, snapshot, name)))
    }

    /// The history of the access point as `actor` may see it, or `NotVisible`.
    pub async fn access_point_history(
        &self,
        actor: &Actor,
        ean: Ean,
    ) -> Result<Sent<ClippedHistory>, AppError> {
        let ean_text = ean.to_string();
        let ask = Ask::access_point(
            Action::ReadHistory,
            ean,
            &ean_text,
            "api.access_point.history",
            "api consultation",
        );
        self.read(actor, ask, |visible| async move {
            if visible == Visible::Nothing {
                return Err(AppError::NotVisible);
            }
            match self.store.history(ean).await? {
                Some(h) => self.clip_history(ean, &h, &visible).await,
                None => Err(AppError::NotVisible),
            }
        })
        .await
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

    /// Who the caller is, as the door knows them: their party and, for customers and
    /// suppliers, the access points they hold or held.
    pub async fn me(&self, actor: &Actor) -> Result<Sent<Me>, AppError> {
        let ask = Ask::function(Action::ReadOwnIdentity, Resource::Register, "api.me", "identification")
            .about(vec![actor.party.to_string()]);
        self.read(actor, ask, |_| async move {
            let party = self.party_ref(&actor.party).await?;
            let access_points = if actor.role == crate::Role::Customer || actor.role == crate::Role::Supplier
            {
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
            Ok(Me { party, role: actor.role.as_str(), access_points })
        })
        .await
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

/// The access point at `at` clipped to `visible`: each holder shown, by the name `name`
/// gives, with the visible part of its period that contains `at`, or not at all.
fn clipped_view(
    ean: Ean,
    at: Timestamp,
    visible: &Visible,
    ap: AccessPoint,
    snapshot: Snapshot,
    name: impl Fn(&PartyId) -> PartyRef,
) -> AccessPointView {
    let clip = |period: &Period| visible.clip(period).into_iter().find(|p| p.contains(at));
    let occupant = snapshot.occupancy.as_ref().and_then(|r| {
        clip(&r.value.period).map(|period| Holder { party: name(&r.value.network_user), period })
    });
    let supplier = snapshot
        .registration
        .as_ref()
        .and_then(|r| clip(&r.value.period).map(|period| Holder { party: name(&r.value.supplier), period }));
    AccessPointView {
        ean,
        at,
        energy: ap.energy,
        regime: ap.regime,
        grid_status: ap.grid_status,
        address: ap.address,
        occupant,
        supplier,
    }
}
