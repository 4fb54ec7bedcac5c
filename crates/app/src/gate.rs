//! The one gate (I1, I2, R7, R10): every use case of [`Cloison`] that acts for someone passes
//! here, from the command line and from HTTP alike.
//!
//! A use case states its question: who (the actor's party and role), what (a Cedar action), on
//! what (a resource), and how the journal names the act. The gate asks the policy; if the
//! answer is no, it journals the refusal and refuses, running nothing. If yes, it runs the
//! use case's work with what the decision lets it see, serialises the answer once, digests
//! exactly those bytes, and journals the act with the ids of the policies that decided before
//! the answer leaves. A write hands its command the entry template carrying the decision, and
//! the writer journals the outcome in the same transaction as the change.
//!
//! This module is the only place that builds the decision written in a journal entry, so the
//! journal cannot claim a decision no policy made (a test walks the sources to keep it so).

use std::future::Future;

use domain::Ean;
use domain::label::{Confidentiality, Label};
use policy::{Action, Decision, Facts, Resource, Visible};
use serde::Serialize;

use crate::{Actor, AppError, Cloison, StoreError};

/// An answer that passed the gate: the view, and the JSON bytes whose digest the journal
/// holds. A front end that sends JSON sends these bytes, so what the journal says left is
/// what left.
#[derive(Debug, Clone)]
pub struct Sent<T> {
    view: T,
    json: Vec<u8>,
    label: Option<Label>,
}

impl<T> Sent<Option<T>> {
    /// The answer when the read found something; otherwise the answer of nothing there, `what`
    /// named (I5). The label and the digested bytes are the read's own.
    pub(crate) fn found(self, what: &'static str) -> Result<Sent<T>, AppError> {
        match self.view {
            Some(view) => Ok(Sent { view, json: self.json, label: self.label }),
            None => Err(AppError::NoSuch(what)),
        }
    }
}

/// A read that only its own party or a role allowed it may see: the refusal of any other
/// caller is the answer of nothing there, `what` named, so an id is no oracle (I5).
pub(crate) fn or_nothing<T>(
    read: Result<Sent<Option<T>>, AppError>,
    what: &'static str,
) -> Result<Sent<T>, AppError> {
    match read {
        Ok(sent) => sent.found(what),
        Err(AppError::Forbidden) => Err(AppError::NoSuch(what)),
        Err(e) => Err(e),
    }
}

/// The entry of a write command that answers `view`: the command's template with `subjects`,
/// outcome `ok` and the digest of the answer's bytes, in the command's next slot; and the
/// answer, labelled with that slot's index at `action`'s level (R8).
pub(crate) fn answered<T: Serialize>(
    tx: &mut store::WriteTx,
    template: journal::Entry,
    subjects: Vec<String>,
    view: T,
    action: Action,
) -> Result<(Sent<T>, journal::Entry), StoreError> {
    let json = serde_json::to_vec(&view).map_err(|e| StoreError::Journal(e.to_string()))?;
    let slot = tx.slot();
    let index = slot.sequence();
    let entry = slot.fill(journal::Entry {
        subjects,
        outcome: "ok".into(),
        data_digest: Some(journal::Hash::digest(&json)),
        ..template
    });
    Ok((Sent::written(view, json).labelled(action.confidentiality(), index), entry))
}

impl<T> Sent<T> {
    /// An answer whose bytes were fixed by a write command (a market answer, kept for its
    /// idempotency key and digested in the command's own entry).
    pub(crate) fn written(view: T, json: Vec<u8>) -> Sent<T> {
        Sent { view, json, label: None }
    }

    /// The same answer with its label: how confidential, and the index of the journal entry
    /// that records that it was sent (R8).
    pub(crate) fn labelled(self, confidentiality: Confidentiality, journal_index: u64) -> Sent<T> {
        Sent { label: Some(Label { confidentiality, journal_index }), ..self }
    }

    /// The same answer with the label of the entry that recorded it, when a use case made
    /// its answer from another command's (a warehouse export's closing entry).
    pub(crate) fn with_label(self, label: Option<Label>) -> Sent<T> {
        Sent { label, ..self }
    }

    /// The label a front end shows beside the answer (R8): every answer that passed the gate
    /// has one once its entry is durable.
    pub fn label(&self) -> Option<Label> {
        self.label
    }

    /// The same answer seen as another type whose JSON is the same bytes (a command's output
    /// enum serialised untagged, narrowed to the variant the use case submitted for); `None`
    /// when `narrow` finds another variant.
    pub(crate) fn narrow<U>(self, narrow: impl FnOnce(T) -> Option<U>) -> Option<Sent<U>> {
        let Sent { view, json, label } = self;
        narrow(view).map(|view| Sent { view, json, label })
    }

    /// The answer, for a front end that shapes its own output (the command line).
    pub fn view(&self) -> &T {
        &self.view
    }

    /// The answer, owned.
    pub fn into_view(self) -> T {
        self.view
    }

    /// The answer's JSON, exactly as digested in the journal.
    pub fn json(&self) -> &[u8] {
        &self.json
    }

    /// The answer's JSON, owned.
    pub fn into_json(self) -> Vec<u8> {
        self.json
    }
}

/// What a refusal answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// About one access point: the same answer as for one that does not exist (I5).
    NotVisible,
    /// About one thing known by a random id (a scenario, a message): the same answer as for
    /// an id that does not exist (I5).
    NoSuch(&'static str),
    /// About a function as a whole: the role may not use it.
    Forbidden,
}

/// One question to the gate.
pub(crate) struct Ask<'a> {
    /// The Cedar action.
    pub action: Action,
    /// What it is asked of.
    pub resource: Resource<'a>,
    /// The access point, when the resource is one: its facts are read by EAN.
    pub ean: Option<Ean>,
    /// How the journal names the act (`register.show`, `api.access_point.show`, …).
    pub act: &'a str,
    /// What the act is about: identifiers, never names.
    pub subjects: Vec<String>,
    /// Why, as the journal records it.
    pub purpose: &'a str,
    /// What a denial answers.
    pub refusal: Refusal,
}

impl<'a> Ask<'a> {
    /// A question about one access point (`text` is its EAN as text, which the policy and
    /// the journal name it by), refused as not visible (I5).
    pub fn access_point(action: Action, ean: Ean, text: &'a str, act: &'a str, purpose: &'a str) -> Ask<'a> {
        Ask {
            action,
            resource: Resource::AccessPoint { ean: text },
            ean: Some(ean),
            act,
            subjects: vec![text.to_owned()],
            purpose,
            refusal: Refusal::NotVisible,
        }
    }

    /// A question about a function as a whole (the journal, the register, the installation),
    /// refused as forbidden.
    pub fn function(action: Action, resource: Resource<'a>, act: &'a str, purpose: &'a str) -> Ask<'a> {
        Ask { action, resource, ean: None, act, subjects: Vec::new(), purpose, refusal: Refusal::Forbidden }
    }

    /// The same question about these subjects.
    pub fn about(self, subjects: Vec<String>) -> Ask<'a> {
        Ask { subjects, ..self }
    }
}

/// What a run may add to the journal entry: more deciding policies (a use case that asked
/// the policy again inside, like the access log per access point).
pub(crate) struct Ran<T> {
    pub view: T,
    pub policies: Vec<String>,
}

impl<T> From<T> for Ran<T> {
    fn from(view: T) -> Ran<T> {
        Ran { view, policies: Vec::new() }
    }
}

/// How the journal names the outcome of a run that failed.
fn outcome_of(error: &AppError) -> String {
    match error {
        AppError::UnknownAccessPoint(_) | AppError::NoSuchEntry(_) => "not_found".into(),
        AppError::NotVisible | AppError::NoSuch(_) => "not_visible".into(),
        AppError::Forbidden => "forbidden".into(),
        AppError::Invalid(e) => crate::write::refused(e),
        AppError::BadLines(_) => "refused:bad_lines".into(),
        AppError::KeyReused => "refused:idempotency_key_reused".into(),
        AppError::Internal(_) => "error".into(),
    }
}

/// Serialises an answer once, for both the digest and the wire.
fn to_json<T: Serialize>(view: &T) -> Result<Vec<u8>, AppError> {
    serde_json::to_vec(view).map_err(|e| AppError::Internal(StoreError::Journal(e.to_string())))
}

impl Cloison {
    /// The policy's decision on `ask` for `actor`, with the actor's own periods on an access
    /// point as facts when the policies for this role and action can depend on them.
    pub(crate) async fn decide(&self, actor: &Actor, ask: &Ask<'_>) -> Result<Decision, AppError> {
        let facts = match ask.ean {
            Some(ean) if self.policy.needs_facts(actor.role.as_str(), ask.action) => {
                let (registrations, occupancies) = self.store.periods_on(&actor.party, ean).await?;
                let mandates = self.mandates_on(actor, ask.action, ean).await?;
                Facts { registrations, occupancies, mandates }
            }
            _ => Facts::default(),
        };
        Ok(self.decide_on(actor, ask, &facts))
    }

    /// What the actor's written mandates give it on `ean` for the action's data scope, read
    /// only when a policy for its role reveals mandates (R5); none otherwise.
    pub(crate) async fn mandates_on(
        &self,
        actor: &Actor,
        action: Action,
        ean: Ean,
    ) -> Result<Vec<domain::Period>, AppError> {
        let scope = match action {
            Action::ReadAccessPoint => domain::mandate::Scope::Register,
            Action::ReadConsumption => domain::mandate::Scope::Consumption,
            _ => return Ok(Vec::new()),
        };
        if !self.policy.uses_mandates(actor.role.as_str(), action) {
            return Ok(Vec::new());
        }
        Ok(self.store.mandated_on(&actor.party, ean, scope).await?)
    }

    /// The policy's decision on `ask` for `actor`, given the actor's own periods on the
    /// access point, read already in the same snapshot as the rest of the request
    /// (`store::PointRead`). Exactly what [`Cloison::decide`] asks: the facts are given to
    /// the policy only where it would have read them.
    fn decide_given(&self, actor: &Actor, ask: &Ask<'_>, facts: Facts) -> Decision {
        let facts = match ask.ean {
            Some(_) if self.policy.needs_facts(actor.role.as_str(), ask.action) => facts,
            _ => Facts::default(),
        };
        self.decide_on(actor, ask, &facts)
    }

    fn decide_on(&self, actor: &Actor, ask: &Ask<'_>, facts: &Facts) -> Decision {
        self.policy.decide(&policy::Question {
            party: actor.party.as_str(),
            role: actor.role.as_str(),
            action: ask.action,
            resource: ask.resource,
            facts,
        })
    }

    /// The journal entry of an act by `actor`, carrying the decision that let it happen or
    /// refused it. Subjects are identifiers, never names.
    fn entry(
        &self,
        actor: &Actor,
        ask: &Ask<'_>,
        allowed: bool,
        policies: Vec<String>,
        outcome: String,
        data_digest: Option<journal::Hash>,
    ) -> journal::Entry {
        journal::Entry {
            sequence: 0,
            time_micros: jiff::Timestamp::now().as_microsecond(),
            actor: journal::Actor {
                party_id: actor.party.to_string(),
                role: actor.role.as_str().to_owned(),
                session: actor.session.clone(),
            },
            action: ask.act.to_owned(),
            subjects: ask.subjects.clone(),
            purpose: ask.purpose.to_owned(),
            decision: journal::Decision { allowed, policies },
            outcome,
            data_digest,
            salt: None,
            rows: Vec::new(),
        }
    }

    /// Journals a refusal and returns the error the caller gets.
    pub(crate) async fn refuse(&self, actor: &Actor, ask: &Ask<'_>, decision: Decision) -> AppError {
        let error = match ask.refusal {
            Refusal::NotVisible => AppError::NotVisible,
            Refusal::NoSuch(what) => AppError::NoSuch(what),
            Refusal::Forbidden => AppError::Forbidden,
        };
        let entry = self.entry(actor, ask, false, decision.policies, outcome_of(&error), None);
        match self.store.append(vec![entry]).await {
            Ok(_) => error,
            Err(e) => AppError::Internal(e),
        }
    }

    /// The read path: decide; refuse and journal, or run with what is visible, serialise,
    /// digest, journal, answer. A run that finds nothing to show (not there, not visible at
    /// that instant) is journaled with that outcome and its error returned.
    pub(crate) async fn read<T, R, F, Fut>(
        &self,
        actor: &Actor,
        ask: Ask<'_>,
        run: F,
    ) -> Result<Sent<T>, AppError>
    where
        T: Serialize,
        R: Into<Ran<T>>,
        F: FnOnce(Visible) -> Fut,
        Fut: Future<Output = Result<R, AppError>>,
    {
        let decision = self.decide(actor, &ask).await?;
        self.read_decided(actor, ask, decision, run).await
    }

    /// The read path of [`Cloison::read`] for a use case that read the actor's facts
    /// together with its data, in one snapshot: decide on them, then the same path.
    pub(crate) async fn read_given<T, R, F, Fut>(
        &self,
        actor: &Actor,
        ask: Ask<'_>,
        facts: Facts,
        run: F,
    ) -> Result<Sent<T>, AppError>
    where
        T: Serialize,
        R: Into<Ran<T>>,
        F: FnOnce(Visible) -> Fut,
        Fut: Future<Output = Result<R, AppError>>,
    {
        let decision = self.decide_given(actor, &ask, facts);
        self.read_decided(actor, ask, decision, run).await
    }

    /// Refuse and journal, or run with what is visible, serialise, digest, journal, answer.
    async fn read_decided<T, R, F, Fut>(
        &self,
        actor: &Actor,
        ask: Ask<'_>,
        decision: Decision,
        run: F,
    ) -> Result<Sent<T>, AppError>
    where
        T: Serialize,
        R: Into<Ran<T>>,
        F: FnOnce(Visible) -> Fut,
        Fut: Future<Output = Result<R, AppError>>,
    {
        if !decision.allowed {
            return Err(self.refuse(actor, &ask, decision).await);
        }
        let mut policies = decision.policies;
        let (outcome, digest, answer) = match run(decision.visible).await.map(Into::into) {
            Ok(ran) => {
                let json = to_json(&ran.view)?;
                policies.extend(ran.policies);
                policies.sort_unstable();
                policies.dedup();
                let digest = journal::Hash::digest(&json);
                ("ok".to_owned(), Some(digest), Ok(Sent { view: ran.view, json, label: None }))
            }
            Err(e) => (outcome_of(&e), None, Err(e)),
        };
        let entry = self.entry(actor, &ask, true, policies, outcome, digest);
        let appended = self.store.append(vec![entry]).await.map_err(AppError::Internal)?;
        answer.map(|sent| sent.labelled(ask.action.confidentiality(), appended.entries.start))
    }

    /// An act whose only trace is its journal entry (a note): decide, then journal it as the
    /// act itself. Returns the entry's index once durable.
    pub(crate) async fn note(&self, actor: &Actor, ask: Ask<'_>) -> Result<u64, AppError> {
        self.note_outcome(actor, ask, "ok".into()).await
    }

    /// A note whose outcome the use case judged without writing anything: a refusal at a
    /// door (a wrong password, a forged form), journaled as `outcome` under the decision that
    /// the actor may knock. Returns the entry's index once durable.
    pub(crate) async fn note_outcome(
        &self,
        actor: &Actor,
        ask: Ask<'_>,
        outcome: String,
    ) -> Result<u64, AppError> {
        let decision = self.decide(actor, &ask).await?;
        if !decision.allowed {
            return Err(self.refuse(actor, &ask, decision).await);
        }
        let entry = self.entry(actor, &ask, true, decision.policies, outcome, None);
        Ok(self.store.append(vec![entry]).await.map_err(AppError::Internal)?.entries.start)
    }

    /// The write path: decide every question (a request may touch several access points);
    /// if one is refused, journal the refusal once and refuse the whole request, writing
    /// nothing. Otherwise hand `submit` the entry template that carries the decision (every
    /// deciding policy), for the writer to journal each change with its outcome in the
    /// change's own transaction.
    pub(crate) async fn write<W, F, Fut>(
        &self,
        actor: &Actor,
        asks: Vec<Ask<'_>>,
        submit: F,
    ) -> Result<W, AppError>
    where
        F: FnOnce(journal::Entry) -> Fut,
        Fut: Future<Output = Result<W, AppError>>,
    {
        let Some(first) = asks.first() else {
            return Err(AppError::Invalid(StoreError::Config {
                field: "changes",
                reason: "a request must carry at least one change".into(),
            }));
        };
        let mut policies = Vec::new();
        for ask in &asks {
            let decision = self.decide(actor, ask).await?;
            if !decision.allowed {
                let subjects = asks.iter().flat_map(|a| a.subjects.iter().cloned()).collect::<Vec<_>>();
                let refused = Ask {
                    action: ask.action,
                    resource: ask.resource,
                    ean: ask.ean,
                    act: ask.act,
                    subjects,
                    purpose: ask.purpose,
                    refusal: Refusal::Forbidden,
                };
                return Err(self.refuse(actor, &refused, decision).await);
            }
            policies.extend(decision.policies);
        }
        policies.sort_unstable();
        policies.dedup();
        let template = self.entry(actor, first, true, policies, String::new(), None);
        submit(template).await
    }
}

/// The party the market hub acts as when it queues a message: neither the initiator nor
/// the DSO's staff, so a message's journal entry, which its recipient receives whole in its
/// receipt, names nobody the recipient may not know of (R3).
pub(crate) const MARKET_HUB: &str = "market-hub";

/// What a party is told of the scenario in progress that refused its request: the policy's
/// answer to `LearnScenarioInProgress` on the kind in progress (R3), asked inside the
/// writer's transaction, where the kind is known.
pub(crate) struct Teller {
    policy: std::sync::Arc<policy::Policy>,
    party: String,
    role: String,
}

impl Teller {
    /// The policies that let the kind in progress be told as an end of contract, or `None`
    /// when none does (the party is then told only that a scenario is in progress).
    pub(crate) fn as_end_of_contract(&self, kind: domain::scenario::ScenarioKind) -> Option<Vec<String>> {
        let facts = Facts::default();
        let decision = self.policy.decide(&policy::Question {
            party: &self.party,
            role: &self.role,
            action: Action::LearnScenarioInProgress,
            resource: Resource::ScenarioKind { kind },
            facts: &facts,
        });
        decision.allowed.then_some(decision.policies)
    }

    /// `entry` with the policies that decided what it told added to its decision's reasons.
    pub(crate) fn told(mut entry: journal::Entry, policies: Vec<String>) -> journal::Entry {
        entry.decision.policies.extend(policies);
        entry.decision.policies.sort_unstable();
        entry.decision.policies.dedup();
        entry
    }
}

impl Cloison {
    /// The R3 teller for `actor`.
    pub(crate) fn teller(&self, actor: &Actor) -> Teller {
        Teller {
            policy: self.policy.clone(),
            party: actor.party.to_string(),
            role: actor.role.as_str().to_owned(),
        }
    }

    /// The template of the entries of messages the market hub queues, carrying the policy's
    /// decision that the hub may send them. A policy set that does not let it fails the
    /// request: no scenario is accepted whose messages could not be sent.
    pub(crate) fn hub_entry(&self) -> Result<journal::Entry, AppError> {
        let facts = Facts::default();
        let role = domain::Role::System.as_str();
        let decision = self.policy.decide(&policy::Question {
            party: MARKET_HUB,
            role,
            action: Action::SendMessage,
            resource: Resource::Queue { own: false },
            facts: &facts,
        });
        if !decision.allowed {
            return Err(AppError::Internal(StoreError::Config {
                field: "policies",
                reason: format!("the market hub may not send messages ({})", decision.policies.join(", ")),
            }));
        }
        Ok(journal::Entry {
            sequence: 0,
            time_micros: jiff::Timestamp::now().as_microsecond(),
            actor: journal::Actor {
                party_id: MARKET_HUB.to_owned(),
                role: role.to_owned(),
                session: MARKET_HUB.to_owned(),
            },
            action: "market.message.queue".to_owned(),
            subjects: Vec::new(),
            purpose: "market".to_owned(),
            decision: journal::Decision { allowed: decision.allowed, policies: decision.policies },
            outcome: "ok".to_owned(),
            data_digest: None,
            salt: None,
            rows: Vec::new(),
        })
    }
}
