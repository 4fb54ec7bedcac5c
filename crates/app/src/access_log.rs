//! The access log: a customer sees who accessed the data of their access points, when and
//! why, from the journal (R4, R7).
//!
//! The log is read through the door like any answer. The policy first says whether the role
//! has an access log at all (`ReadAccessLog`); then, for each access point the caller occupies,
//! which periods of it they may see (`ReadOwnAccessLog`, their own occupancies). Only journal
//! entries whose time lies inside those periods are read: an access before the caller moved
//! in or after they left concerns another occupant, and showing it would tell the caller that
//! someone lived there and was looked at (an oracle on the next occupant, R4, I5).
//!
//! Two kinds of entries are left out even inside the periods. Another customer's own reads:
//! a customer only ever sees their own occupancy (R4), so a former occupant looking at their
//! old history after moving out read nothing of the caller's, and listing it would name them.
//! And writes about someone else's data: a correction of a predecessor's occupancy, or a
//! registration covering only a predecessor's time, may be written while the caller lives
//! there, and showing it would tell them when and how a stranger's record changed. The
//! journal's writer names, beside the EAN, the network users whose data each write is about,
//! and a write is shown only when it names the caller.
//!
//! Who accessed is projected, not copied: suppliers, third parties and researchers are named
//! (party id and name), since the customer may hold them to account; DSO staff appear as their
//! service only (R6: access is individual for the ethics committee, but a customer learns
//! which service, never which employee).

use std::collections::HashMap;

use domain::{Ean, PartyId, Period};
use jiff::Timestamp;
use policy::{Action, Resource, Visible};
use serde::Serialize;

use crate::gate::{Ask, Ran, Sent};
use crate::register::PartyRef;
use crate::{Actor, AppError, Cloison, Role};

/// The largest page of an access log, so one request cannot make the server read the whole
/// journal.
pub const ACCESS_LOG_MAX_LIMIT: i64 = 1000;

/// What the caller asks of their access log: a page, optionally within `[from, to)`. Built
/// only through [`AccessLogQuery::new`], which refuses a page size out of bounds or an empty
/// time range, so the use case never sees one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogQuery {
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    after: Option<u64>,
    limit: i64,
}

impl AccessLogQuery {
    /// Entries in `[from, to)` (either end open), after journal index `after` (the `next` of
    /// the previous page), at most `limit` of them (1 to [`ACCESS_LOG_MAX_LIMIT`]).
    pub fn new(
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        after: Option<u64>,
        limit: i64,
    ) -> Result<AccessLogQuery, AppError> {
        let invalid = |field, reason: String| AppError::Invalid(store::StoreError::Config { field, reason });
        if !(1..=ACCESS_LOG_MAX_LIMIT).contains(&limit) {
            return Err(invalid(
                "limit",
                format!("must be between 1 and {ACCESS_LOG_MAX_LIMIT}, found {limit}"),
            ));
        }
        if let (Some(from), Some(to)) = (from, to) {
            if from >= to {
                return Err(invalid("to", format!("must be after from ({from}), found {to}")));
            }
        }
        if let Some(after) = after.filter(|a| i64::try_from(*a).is_err()) {
            // The number itself, not its `Option`: the message is read by people.
            return Err(invalid("after", format!("must be a journal index below 2^63, found {after}")));
        }
        Ok(AccessLogQuery { from, to, after, limit })
    }
}

/// One access to the data of one of the caller's access points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessLogEntry {
    /// When it happened.
    pub time: Timestamp,
    /// The caller's access point it concerned.
    pub ean: Ean,
    /// Who accessed: a named party, or a DSO service.
    pub accessor: Accessor,
    /// What was done, as the journal names it (`api.access_point.show`, …).
    pub action: String,
    /// Why, as the journal records it.
    pub purpose: String,
    /// Whether the policy allowed it; a refused attempt is shown too.
    pub allowed: bool,
}

/// Who accessed, as a customer may know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accessor {
    /// The role the access was made in (`supplier`, `register_staff`, …).
    pub role: String,
    /// The party, for suppliers, third parties, researchers and the caller themselves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<PartyRef>,
    /// The DSO service, for staff: never the person (R6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<&'static str>,
}

/// A page of the caller's access log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessLog {
    /// Accesses, oldest first; an entry about two of the caller's access points appears once
    /// for each.
    pub entries: Vec<AccessLogEntry>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<u64>,
}

/// The DSO service a staff role belongs to, or `None` for a role whose members are named to
/// the customer. An unknown role is shown as a service: naming a person must be deliberate.
fn service_of(role: &str) -> Option<&'static str> {
    let Ok(role) = Role::parse(role) else {
        return Some("distribution system operator");
    };
    match role {
        Role::Supplier | Role::ThirdParty | Role::Researcher | Role::Customer => None,
        Role::RegisterStaff => Some("access register team"),
        Role::MeteringStaff => Some("metering team"),
        Role::MeterReader => Some("meter reading"),
        Role::ConnectionStaff => Some("connections team"),
        Role::WorksStaff => Some("customer works team"),
        Role::PrivacyStaff => Some("data protection office"),
        Role::CallCenter => Some("call center"),
        Role::Auditor => Some("ethics committee"),
        Role::Support => Some("support and administration"),
        Role::System => Some("automated processing"),
    }
}

impl Cloison {
    /// The caller's access log: who accessed the data of the access points they occupy,
    /// inside their occupancy periods (R4, R7). The read is journaled before the answer leaves
    /// (I2); a role without an access log gets [`AppError::Forbidden`], journaled too. The
    /// journal entry names the role-level policy and every per-access-point one that allowed.
    pub async fn access_log(
        &self,
        actor: &Actor,
        query: &AccessLogQuery,
    ) -> Result<Sent<AccessLog>, AppError> {
        let mut eans: Vec<Ean> =
            self.store.party_periods(&actor.party).await?.occupancies.iter().map(|r| r.value.ean).collect();
        eans.sort_unstable();
        eans.dedup();
        let subjects = eans.iter().map(ToString::to_string).collect();
        let ask = Ask::function(Action::ReadAccessLog, Resource::Journal, "api.access_log", "access log")
            .about(subjects);
        self.read(actor, ask, |_| self.build_access_log(actor, query, &eans)).await
    }

    /// The log itself, once the role may have one: one policy question per access point the
    /// caller occupies, then the journal read inside the windows the answers allow.
    async fn build_access_log(
        &self,
        actor: &Actor,
        query: &AccessLogQuery,
        eans: &[Ean],
    ) -> Result<Ran<AccessLog>, AppError> {
        // `new` refused `from` at or after `to`, so only an empty range at the very end of
        // time is left, which holds nothing.
        let bounds = Period::new(query.from.unwrap_or(Timestamp::MIN), query.to).ok();
        let mut policies = Vec::new();
        let mut windows: Vec<(String, Period)> = Vec::new();
        for ean in eans {
            let ean_text = ean.to_string();
            let ask =
                Ask::access_point(Action::ReadOwnAccessLog, *ean, &ean_text, "api.access_log", "access log");
            let decision = self.decide(actor, &ask).await?;
            if !decision.allowed {
                continue;
            }
            policies.extend(decision.policies);
            let visible = match (&decision.visible, bounds) {
                (_, None) => Vec::new(),
                (Visible::Periods(_) | Visible::All, Some(bounds)) => decision.visible.clip(&bounds),
                (Visible::Nothing, Some(_)) => Vec::new(),
            };
            windows.extend(visible.into_iter().map(|p| (ean_text.clone(), p)));
        }

        let view = self.access_log_within(&actor.party, query, &windows).await?;
        Ok(Ran { view, policies })
    }

    /// The entries of `party`'s access log inside `windows` (an access point and a period
    /// of it each): what the customer may see, or what a data subject's access request
    /// hands them (art. 15).
    pub(crate) async fn access_log_within(
        &self,
        party: &PartyId,
        query: &AccessLogQuery,
        windows: &[(String, Period)],
    ) -> Result<AccessLog, AppError> {
        let found = self.store.journal_about(windows, query.after, query.limit).await?;
        let next =
            if found.len() as i64 == query.limit { found.last().map(|e| e.entry.sequence) } else { None };
        let mut parties: HashMap<String, PartyRef> = HashMap::new();
        let mut entries = Vec::new();
        for stored in &found {
            let e = &stored.entry;
            let Ok(time) = Timestamp::from_microsecond(e.time_micros) else { continue };
            let own = e.actor.party_id == party.as_str();
            if e.actor.role == Role::Customer.as_str() && !own {
                // Another customer's read of their own occupancy, not of the caller's data.
                continue;
            }
            if domain::Change::is_change_action(&e.action) && !e.subjects.iter().any(|s| s == party.as_str())
            {
                // A write about another occupant's record or contract, written while the
                // caller lived there: not theirs to see (R4). The writer names the network
                // users whose data a write is about (`store::WriteTx::concerned`).
                continue;
            }
            let accessor = self.accessor(&e.actor, own, &mut parties).await?;
            for ean in windows_hit(windows, e, time) {
                entries.push(AccessLogEntry {
                    time,
                    ean,
                    accessor: accessor.clone(),
                    action: e.action.clone(),
                    purpose: e.purpose.clone(),
                    allowed: e.decision.allowed,
                });
            }
        }
        Ok(AccessLog { entries, next })
    }

    /// Who accessed, as the customer may know it: staff as their service unless it is the
    /// caller themselves, others by party (looked up once per request in `parties`).
    async fn accessor(
        &self,
        who: &journal::Actor,
        own: bool,
        parties: &mut HashMap<String, PartyRef>,
    ) -> Result<Accessor, AppError> {
        let role = who.role.clone();
        let service = service_of(&who.role);
        if service.is_some() && !own {
            return Ok(Accessor { role, party: None, service });
        }
        if let Some(party) = parties.get(&who.party_id) {
            return Ok(Accessor { role, party: Some(party.clone()), service: None });
        }
        // The journal's actors are parsed party ids; one that no longer parses names nobody
        // the register knows, so only the role is shown.
        let Ok(id) = who.party_id.parse::<PartyId>() else {
            return Ok(Accessor { role, party: None, service: None });
        };
        let party = self.party_ref(&id).await?;
        parties.insert(who.party_id.clone(), party.clone());
        Ok(Accessor { role, party: Some(party), service: None })
    }
}

/// The caller's access points that `entry` names inside one of their windows, each once.
fn windows_hit<'a>(
    windows: &'a [(String, Period)],
    entry: &'a journal::Entry,
    time: Timestamp,
) -> impl Iterator<Item = Ean> + 'a {
    let mut seen: Vec<&'a str> = Vec::new();
    entry.subjects.iter().filter_map(move |subject| {
        let inside = windows.iter().any(|(ean, period)| ean == subject && period.contains(time));
        if !inside || seen.contains(&subject.as_str()) {
            return None;
        }
        seen.push(subject.as_str());
        subject.parse().ok()
    })
}
