//! The contact center through the door (R12): its configuration, routing, the screen pop,
//! interactions and their history, cases, directory loads, reports and the simulator.
//!
//! Every use case names the principal from what the platform knows, never from what the
//! caller says: the dialled entry point for a new interaction or a screen pop, the stored
//! interaction for its events, the stored case for its steps. The gate is then asked whether
//! the caller is one of that principal's operators (or supervisors), and the store is read
//! for that principal only. An operator asking about another principal's interaction or case
//! gets the answer of one that does not exist (I5); a transfer to another principal's queue,
//! or a case for a customer of another directory, is refused before anything is written.
//!
//! Supervisors are the operators of a principal holding the skill `supervisor` there.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use domain::contact::kpi::{InteractionRecord, Kpis, OperatorActivity, Outcome};
use domain::contact::simulate::{SimulationParams, simulate};
use domain::contact::{Channel, ContactConfig, ContactError, E164, Interaction, Router};
use journal::Entry;
use policy::{Action, Resource};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use store::contact::{ContactEvent, DirectoryEntry, Shift, StoredCase, StoredInteraction, new_id};
use store::journal::{Command as StoreCommand, Done};
use store::{StoreError, WriteTx};

use crate::gate::{Ask, Sent, answered, or_nothing};
use crate::write::refused;
use crate::{Actor, AppError, Cloison};

/// The skill that makes an operator of a principal one of its supervisors.
pub const SUPERVISOR_SKILL: &str = "supervisor";

/// The configuration in force, compiled once per version.
pub(crate) struct Loaded {
    version: i64,
    config: ContactConfig,
    router: Router,
}

/// Where the compiled configuration is kept, shared by every clone of [`Cloison`].
pub(crate) type ContactCache = Arc<std::sync::RwLock<Option<Arc<Loaded>>>>;

fn refusal(field: &'static str, code: &'static str, reason: impl Into<String>) -> AppError {
    AppError::Invalid(StoreError::Refused { field, code, reason: reason.into() })
}

/// A refusal of the domain's, with its field path and position in the reason.
fn invalid(field: &'static str, e: ContactError) -> AppError {
    refusal(field, e.code, e.to_string())
}

fn now_seconds() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// A principal as its configuration describes it.
#[derive(Debug, Clone, Serialize)]
pub struct PrincipalView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `dso`, `supplier` or `other`.
    pub kind: String,
    /// Its entry points, as `channel:address`.
    pub entry_points: Vec<String>,
    /// Its queues, with the skills each needs.
    pub queues: BTreeMap<String, BTreeSet<String>>,
    /// Its routing rules' ids, in order.
    pub rules: Vec<String>,
    /// Its operators, with their skills.
    pub operators: BTreeMap<String, BTreeSet<String>>,
    /// Its procedures' ids.
    pub procedures: Vec<String>,
    /// Its service-level threshold, in seconds.
    pub service_level_seconds: u32,
}

/// The configuration as loaded: its version, its digest and what it configures.
#[derive(Debug, Clone, Serialize)]
pub struct ContactConfigView {
    /// Its version (one per load).
    pub version: i64,
    /// The SHA-256 of its text, hex.
    pub sha256: String,
    /// Its principals.
    pub principals: Vec<PrincipalView>,
}

impl ContactConfigView {
    /// What `config` configures, as version `version` with digest `sha256`.
    pub fn of(version: i64, sha256: String, config: &ContactConfig) -> ContactConfigView {
        let principals = config
            .principals
            .iter()
            .map(|p| PrincipalView {
                id: p.id.clone(),
                name: p.name.clone(),
                kind: p.kind.as_str().to_owned(),
                entry_points: p.entry_points.iter().map(|e| e.key()).collect(),
                queues: p.queues.iter().map(|q| (q.id.clone(), q.skills.clone())).collect(),
                rules: p.rules.iter().map(|r| r.id.clone()).collect(),
                operators: p.operators.iter().map(|o| (o.party.clone(), o.skills.clone())).collect(),
                procedures: p.procedures.iter().map(|r| r.id.clone()).collect(),
                service_level_seconds: p.service_level_seconds,
            })
            .collect();
        ContactConfigView { version, sha256, principals }
    }
}

/// Checks a configuration's text as a whole, without loading it: what
/// `cloison contact config check` runs.
pub fn check_contact_config(text: &str) -> Result<ContactConfigView, AppError> {
    let config = ContactConfig::parse(text).map_err(|e| invalid("config", e))?;
    Ok(ContactConfigView::of(0, hex::encode(sha2::Sha256::digest(text.as_bytes())), &config))
}

/// A new interaction as the platform reports it: the channel and entry point it came by,
/// what the IVR captured, and the caller's number if the channel gives one.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct NewInteraction {
    /// `call`, `mail`, `sms` or `chat`.
    pub channel: String,
    /// The entry point's address: the dialled number, the mailbox, the chat id.
    pub entry: String,
    /// Attributes the routing rules read (`language`, `ivr`, …).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// The caller's number, E.164: looked up in this principal's directory only.
    #[serde(default)]
    pub caller: Option<String>,
    /// A customer reference an IVR captured, looked up the same way.
    #[serde(default)]
    pub identifier: Option<String>,
    /// When it was offered, in seconds since the epoch; now if absent.
    #[serde(default)]
    pub at: Option<i64>,
}

/// An interaction routed: where it goes, and who it was identified as.
#[derive(Debug, Clone, Serialize)]
pub struct RoutedView {
    /// The interaction recorded.
    pub interaction: InteractionView,
    /// The routing plan: each queue in turn, its time-out, and its eligible operators.
    pub plan: Vec<PlanStep>,
}

/// One step of a routing plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanStep {
    /// The queue.
    pub queue: String,
    /// How long the interaction waits there before falling through (0: no limit).
    pub timeout_seconds: u32,
    /// The operators eligible there now.
    pub operators: Vec<String>,
}

/// An interaction as recorded: references and history, no customer data (R12).
#[derive(Debug, Clone, Serialize)]
pub struct InteractionView {
    /// Its id.
    pub id: String,
    /// Its principal.
    pub principal: String,
    /// Its channel.
    pub channel: String,
    /// The entry point's address.
    pub entry: String,
    /// The rule that routed it.
    pub rule: Option<String>,
    /// The queue it was routed to.
    pub queue: String,
    /// The operator it was offered to.
    pub operator: Option<String>,
    /// The customer's reference in the principal's directory, when identified.
    pub customer: Option<String>,
    /// When it was offered.
    pub offered_at: i64,
    /// `offered`, `answered`, `ended` or `abandoned`.
    pub state: &'static str,
    /// What happened after it was offered.
    pub events: Vec<ContactEvent>,
}

fn state_of(events: &[ContactEvent]) -> &'static str {
    let mut state = "offered";
    for event in events {
        state = match event.kind.as_str() {
            "answered" => "answered",
            "ended" => "ended",
            "abandoned" => "abandoned",
            _ => state,
        };
    }
    state
}

impl From<StoredInteraction> for InteractionView {
    fn from(i: StoredInteraction) -> InteractionView {
        InteractionView {
            state: state_of(&i.events),
            id: i.id,
            principal: i.principal,
            channel: i.channel,
            entry: i.entry,
            rule: i.rule,
            queue: i.queue,
            operator: i.operator,
            customer: i.customer,
            offered_at: i.offered_at,
            events: i.events,
        }
    }
}

/// What happened to an interaction, as an operator or the platform reports it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct InteractionEvent {
    /// `answered`, `transferred`, `ended` or `abandoned`.
    pub kind: String,
    /// When, in seconds since the epoch; now if absent.
    #[serde(default)]
    pub at: Option<i64>,
    /// For `transferred`: the queue of the same principal it goes to.
    #[serde(default)]
    pub queue: Option<String>,
    /// For `ended`: the after-call work, in seconds.
    #[serde(default)]
    pub wrap_seconds: Option<u32>,
}

/// The operator's screen: the principal, and the customers of its directory that match,
/// each with their open cases.
#[derive(Debug, Clone, Serialize)]
pub struct ScreenPop {
    /// The principal the entry point belongs to.
    pub principal: String,
    /// Its name.
    pub principal_name: String,
    /// The matching customers.
    pub customers: Vec<ScreenCustomer>,
}

/// A customer on the operator's screen.
#[derive(Debug, Clone, Serialize)]
pub struct ScreenCustomer {
    /// Their reference in the principal's directory.
    pub customer: String,
    /// Their name.
    pub name: String,
    /// Their open cases.
    pub open_cases: Vec<StoredCase>,
}

/// A customer to load into a principal's directory.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DirectoryLine {
    /// Their reference in the principal's systems.
    pub customer: String,
    /// Their number, E.164.
    pub number: String,
    /// Their name.
    pub name: String,
}

/// What a directory load did.
#[derive(Debug, Clone, Serialize)]
pub struct DirectoryLoaded {
    /// The principal.
    pub principal: String,
    /// The entries added.
    pub added: usize,
    /// The entries the directory held already.
    pub unchanged: usize,
}

/// A principal's report over a period, and its live monitoring.
#[derive(Debug, Clone, Serialize)]
pub struct ContactReport {
    /// The principal.
    pub principal: String,
    /// The period's start and end, in seconds since the epoch.
    pub from: i64,
    /// The period's end (exclusive).
    pub until: i64,
    /// The service-level threshold, in seconds.
    pub threshold_seconds: u32,
    /// The KPIs over every interaction that ended in the period.
    pub kpis: Kpis,
    /// Volumes per entry point.
    pub entry_points: Vec<EntryVolume>,
    /// Each operator's activity.
    pub operators: Vec<OperatorActivity>,
    /// Interactions still waiting (offered, not answered) and in progress (answered, not ended).
    pub live: Live,
}

/// Volumes at one entry point.
#[derive(Debug, Clone, Serialize)]
pub struct EntryVolume {
    /// The entry point, `channel:address`.
    pub entry: String,
    /// Interactions offered.
    pub offered: u64,
    /// Answered.
    pub answered: u64,
    /// Abandoned.
    pub abandoned: u64,
}

/// What is going on now.
#[derive(Debug, Clone, Serialize)]
pub struct Live {
    /// Offered, not yet answered.
    pub waiting: u64,
    /// Answered, not yet ended.
    pub in_progress: u64,
}

/// What a simulation wrote, per principal.
#[derive(Debug, Clone, Serialize)]
pub struct Simulated {
    /// Interactions written per principal.
    pub interactions: BTreeMap<String, u64>,
    /// The simulated period's start and end, in seconds since the epoch.
    pub from: i64,
    /// Its end.
    pub until: i64,
}

/// The interaction records of a report, from the stored interactions: those not ended yet
/// are live and left out.
fn records_of(interactions: &[StoredInteraction]) -> (Vec<InteractionRecord>, Live) {
    let mut records = Vec::with_capacity(interactions.len());
    let mut live = Live { waiting: 0, in_progress: 0 };
    for i in interactions {
        let mut answered: Option<(i64, Option<String>)> = None;
        let mut ended: Option<(i64, u32, Outcome)> = None;
        for e in &i.events {
            match e.kind.as_str() {
                "answered" => answered = Some((e.at, e.operator.clone())),
                "ended" => {
                    ended = Some((e.at, u32::try_from(e.wrap_seconds).unwrap_or(0), Outcome::Answered))
                }
                "abandoned" => ended = Some((e.at, 0, Outcome::Abandoned)),
                _ => {}
            }
        }
        let Ok(channel) = Channel::parse(&i.channel) else { continue };
        match (ended, &answered) {
            (None, None) => live.waiting += 1,
            (None, Some(_)) => live.in_progress += 1,
            (Some((ended_at, wrap_seconds, outcome)), _) => records.push(InteractionRecord {
                principal: i.principal.clone(),
                entry: format!("{}:{}", i.channel, i.entry),
                channel,
                operator: answered.as_ref().and_then(|(_, o)| o.clone()).or_else(|| i.operator.clone()),
                offered_at: i.offered_at,
                answered_at: answered.as_ref().map(|(at, _)| *at),
                ended_at,
                wrap_seconds,
                outcome,
            }),
        }
    }
    (records, live)
}

impl Cloison {
    /// The configuration in force, compiled; the cached one while its version is the latest.
    pub(crate) async fn contact(&self) -> Result<Arc<Loaded>, AppError> {
        let not_configured = || {
            refusal(
                "config",
                "not_configured",
                "the contact center has no configuration loaded: `cloison contact config load FILE`",
            )
        };
        let Some(latest) = self.store.contact_config_version().await? else { return Err(not_configured()) };
        if let Ok(cache) = self.contact.read()
            && let Some(loaded) = cache.as_ref()
            && loaded.version == latest
        {
            return Ok(loaded.clone());
        }
        let Some((version, text)) = self.store.contact_config().await? else { return Err(not_configured()) };
        let config = ContactConfig::parse(&text).map_err(|e| {
            AppError::Internal(StoreError::Journal(format!("stored contact configuration: {e}")))
        })?;
        let loaded = Arc::new(Loaded { version, router: Router::new(&config), config });
        if let Ok(mut cache) = self.contact.write() {
            *cache = Some(loaded.clone());
        }
        Ok(loaded)
    }

    /// The gate's resource for principal `principal`, as `actor` stands to it.
    fn principal_resource(loaded: &Loaded, actor: &Actor, principal: &str) -> Resource<'static> {
        let party = actor.party.as_str();
        let operator =
            loaded.config.principal(principal).and_then(|p| p.operators.iter().find(|o| o.party == party));
        Resource::ContactPrincipal {
            operator: operator.is_some(),
            supervisor: operator.is_some_and(|o| o.skills.contains(SUPERVISOR_SKILL)),
        }
    }

    /// Loads a new version of the configuration, checked as a whole first: a configuration
    /// that routes across principals, shares an entry point or gives an operator
    /// incompatible skills is refused with the reason, and nothing is loaded.
    pub async fn load_contact_config(
        &self,
        actor: &Actor,
        text: &str,
    ) -> Result<Sent<ContactConfigView>, AppError> {
        let config = ContactConfig::parse(text).map_err(|e| invalid("config", e))?;
        let sha256 = hex::encode(sha2::Sha256::digest(text.as_bytes()));
        let ask = Ask::function(
            Action::ConfigureContact,
            Resource::ContactCenter,
            "contact.config.load",
            "contact center configuration (R12)",
        )
        .about(vec![sha256.clone()]);
        let text = text.to_owned();
        self.write(actor, vec![ask], |template| async move {
            let op = Op::Config { text, sha256, config: Box::new(config) };
            Ok(self.store.submit(ContactWrite { template, op }).await?.wait().await?.output?)
        })
        .await
        .and_then(|sent| {
            narrowed(sent, |o| match o {
                ContactOutput::Config(v) => Some(v),
                _ => None,
            })
        })
    }

    /// The configuration in force.
    pub async fn contact_config_view(&self, actor: &Actor) -> Result<Sent<ContactConfigView>, AppError> {
        let ask = Ask::function(
            Action::ReadContactConfig,
            Resource::ContactCenter,
            "contact.config.show",
            "contact center configuration (R12)",
        );
        self.read(actor, ask, |_| async {
            let Some((version, text)) = self.store.contact_config().await? else {
                return Err(refusal(
                    "config",
                    "not_configured",
                    "the contact center has no configuration loaded",
                ));
            };
            let loaded = self.contact().await?;
            Ok(ContactConfigView::of(
                version,
                hex::encode(sha2::Sha256::digest(text.as_bytes())),
                &loaded.config,
            ))
        })
        .await
    }

    /// The principal `entry` belongs to, or a refusal naming the entry point.
    fn principal_of_entry(loaded: &Loaded, channel: Channel, entry: &str) -> Result<String, AppError> {
        loaded.config.principal_of_entry(channel, entry).map(|p| p.id.clone()).ok_or_else(|| {
            refusal(
                "entry",
                "unknown_entry_point",
                format!("{}:{entry} is no entry point of the contact center", channel.as_str()),
            )
        })
    }

    /// The customers of `principal`'s directory the caller's number or the captured
    /// identifier names (exact matches only), each with their open cases.
    async fn identify(
        &self,
        principal: &str,
        caller: Option<&E164>,
        identifier: Option<&str>,
    ) -> Result<Vec<ScreenCustomer>, AppError> {
        let mut found: Vec<DirectoryEntry> = Vec::new();
        if let Some(identifier) = identifier {
            found.extend(self.store.directory_by_ref(principal, identifier).await?);
        }
        if found.is_empty()
            && let Some(number) = caller
        {
            found.extend(self.store.directory_by_number(principal, number.as_str()).await?);
        }
        let mut customers = Vec::with_capacity(found.len());
        for entry in found {
            let open_cases = self
                .store
                .contact_cases(principal, Some(&entry.customer))
                .await?
                .into_iter()
                .filter(|c| c.state == "open")
                .collect();
            customers.push(ScreenCustomer { customer: entry.customer, name: entry.name, open_cases });
        }
        Ok(customers)
    }

    /// The screen pop: the dialled entry point selects the principal; the caller's number
    /// (exact E.164) or the identifier an IVR captured is looked up in that principal's
    /// directory only; the screen opens on the matching customers and their open cases.
    pub async fn screen_pop(
        &self,
        actor: &Actor,
        channel: &str,
        entry: &str,
        caller: Option<&str>,
        identifier: Option<&str>,
    ) -> Result<Sent<ScreenPop>, AppError> {
        let channel = Channel::parse(channel).map_err(|e| invalid("channel", e))?;
        let caller = caller.map(E164::parse).transpose().map_err(|e| invalid("caller", e))?;
        let loaded = self.contact().await?;
        let principal = Self::principal_of_entry(&loaded, channel, entry)?;
        let resource = Self::principal_resource(&loaded, actor, &principal);
        let ask =
            Ask::function(Action::HandleInteraction, resource, "contact.screen_pop", "screen pop (R12)")
                .about(vec![principal.clone()]);
        let name = loaded.config.principal(&principal).map(|p| p.name.clone()).unwrap_or_default();
        self.read(actor, ask, |_| async move {
            let customers = self.identify(&principal, caller.as_ref(), identifier).await?;
            Ok(ScreenPop { principal, principal_name: name, customers })
        })
        .await
    }

    /// Routes a new interaction by its principal's rules to the operators available now
    /// (`available`: those the platform reports free), identifies the customer in that
    /// principal's directory, and records it.
    pub async fn route_interaction(
        &self,
        actor: &Actor,
        new: &NewInteraction,
        available: &BTreeSet<String>,
    ) -> Result<Sent<RoutedView>, AppError> {
        let channel = Channel::parse(&new.channel).map_err(|e| invalid("channel", e))?;
        let caller = new.caller.as_deref().map(E164::parse).transpose().map_err(|e| invalid("caller", e))?;
        let loaded = self.contact().await?;
        let principal = Self::principal_of_entry(&loaded, channel, &new.entry)?;
        let interaction =
            Interaction { channel, entry: new.entry.clone(), attributes: new.attributes.clone() };
        let free = |party: &str| available.contains(party);
        let routing = loaded.router.route(&interaction, &free).map_err(|e| invalid("entry", e))?;
        let decision = routing.assignment();
        let resource = Self::principal_resource(&loaded, actor, &principal);
        let id = new_id("int");
        let ask = Ask::function(Action::HandleInteraction, resource, "contact.route", "routing (R12)")
            .about(vec![id.clone(), principal.clone()]);
        let customers = self.identify(&principal, caller.as_ref(), new.identifier.as_deref()).await?;
        let customer = match customers.as_slice() {
            [one] => Some(one.customer.clone()),
            _ => None,
        };
        let stored = StoredInteraction {
            id,
            principal,
            channel: channel.as_str().to_owned(),
            entry: new.entry.clone(),
            rule: decision.rule.clone(),
            queue: decision.queue.clone(),
            operator: decision.operator.clone(),
            customer,
            offered_at: new.at.unwrap_or_else(now_seconds),
            events: Vec::new(),
        };
        let plan = routing
            .steps
            .into_iter()
            .map(|s| PlanStep { queue: s.queue, timeout_seconds: s.timeout_seconds, operators: s.operators })
            .collect::<Vec<_>>();
        self.write(actor, vec![ask], |template| async move {
            let op = Op::Route { interaction: Box::new(stored), plan };
            Ok(self.store.submit(ContactWrite { template, op }).await?.wait().await?.output?)
        })
        .await
        .and_then(|sent| {
            narrowed(sent, |o| match o {
                ContactOutput::Routed(v) => Some(v),
                _ => None,
            })
        })
    }

    /// The principal interaction or case `id` belongs to, with the gate's resource for the
    /// actor; `NoSuch` when there is none.
    async fn owner_of(
        &self,
        actor: &Actor,
        id: &str,
        what: &'static str,
    ) -> Result<(Arc<Loaded>, String, Resource<'static>), AppError> {
        let loaded = self.contact().await?;
        let Some(principal) = self.store.contact_owner(id).await? else { return Err(AppError::NoSuch(what)) };
        let resource = Self::principal_resource(&loaded, actor, &principal);
        Ok((loaded, principal, resource))
    }

    /// Nothing when `probe` is allowed; otherwise the refusal journaled by the gate's write
    /// path, answered as for an interaction or case `id` that does not exist (I5), before the
    /// caller's input is looked at, so an operator of another principal learns nothing from
    /// the validation of what they sent either.
    async fn unseen_unless_allowed(
        &self,
        actor: &Actor,
        probe: Ask<'_>,
        id: &str,
        what: &'static str,
    ) -> Result<(), AppError> {
        if self.decide(actor, &probe).await?.allowed {
            return Ok(());
        }
        let ask = probe.about(vec![id.to_owned()]);
        let refused: Result<(), AppError> =
            self.write(actor, vec![ask], |_| async { Err(AppError::Forbidden) }).await;
        match refused {
            Err(AppError::Forbidden) | Ok(()) => Err(AppError::NoSuch(what)),
            Err(e) => Err(e),
        }
    }

    /// Interaction `id`, for its principal's operators and supervisors; the answer of no
    /// interaction to anyone else (I5).
    pub async fn contact_interaction(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<Sent<InteractionView>, AppError> {
        let (_, principal, resource) = self.owner_of(actor, id, "interaction").await?;
        let ask = Ask::function(
            Action::HandleInteraction,
            resource,
            "contact.interaction.show",
            "interaction (R12)",
        )
        .about(vec![id.to_owned(), principal.clone()]);
        let found = self
            .read(actor, ask, |_| async move {
                Ok(self.store.contact_interaction_of(&principal, id).await?.map(InteractionView::from))
            })
            .await;
        or_nothing(found, "interaction")
    }

    /// Records what happened to interaction `id`: answered (by the calling operator),
    /// transferred to a queue of the same principal (never another's), ended with its
    /// after-call work, or abandoned. Refused out of order (answered twice, ended before
    /// answered…), with nothing written.
    pub async fn interaction_event(
        &self,
        actor: &Actor,
        id: &str,
        event: &InteractionEvent,
    ) -> Result<Sent<InteractionView>, AppError> {
        let (loaded, principal, resource) = self.owner_of(actor, id, "interaction").await?;
        let probe = Ask::function(
            Action::HandleInteraction,
            resource,
            "contact.interaction.event",
            "interaction (R12)",
        );
        self.unseen_unless_allowed(actor, probe, id, "interaction").await?;
        let kind = event.kind.as_str();
        if !["answered", "transferred", "ended", "abandoned"].contains(&kind) {
            return Err(refusal(
                "kind",
                "unknown_event",
                format!("{kind:?} is not an event: answered, transferred, ended, abandoned"),
            ));
        }
        let queue = match (kind, &event.queue) {
            ("transferred", None) => {
                return Err(refusal("queue", "missing_queue", "a transfer names the queue it goes to"));
            }
            ("transferred", Some(queue)) => {
                let own = loaded
                    .config
                    .principal(&principal)
                    .is_some_and(|p| p.queues.iter().any(|q| &q.id == queue));
                if !own {
                    return Err(refusal(
                        "queue",
                        "cross_principal_transfer",
                        format!(
                            "{queue} is not a queue of principal {principal}: a transfer stays with its principal"
                        ),
                    ));
                }
                Some(queue.clone())
            }
            _ => None,
        };
        let operator = match kind {
            "answered" | "ended" if actor.role == domain::Role::CallCenter => Some(actor.party.to_string()),
            _ => None,
        };
        let contact_event = ContactEvent {
            n: 0,
            kind: kind.to_owned(),
            at: event.at.unwrap_or_else(now_seconds),
            queue,
            operator,
            wrap_seconds: i64::from(event.wrap_seconds.unwrap_or(0)),
        };
        let act = format!("contact.interaction.{kind}");
        let ask = Ask::function(Action::HandleInteraction, resource, &act, "interaction (R12)")
            .about(vec![id.to_owned(), principal.clone()]);
        self.write(actor, vec![ask], |template| async move {
            let op = Op::Event { id: id.to_owned(), event: contact_event };
            Ok(self.store.submit(ContactWrite { template, op }).await?.wait().await?.output?)
        })
        .await
        .and_then(|sent| {
            narrowed(sent, |o| match o {
                ContactOutput::Interaction(v) => Some(v),
                _ => None,
            })
        })
    }

    /// Opens a case for `customer` of `principal`'s directory, following one of that
    /// principal's procedures.
    pub async fn open_case(
        &self,
        actor: &Actor,
        principal: &str,
        customer: &str,
        procedure: &str,
    ) -> Result<Sent<StoredCase>, AppError> {
        let loaded = self.contact().await?;
        let Some(p) = loaded.config.principal(principal) else {
            return Err(refusal("principal", "unknown_principal", format!("{principal} is no principal")));
        };
        let Some(steps) = p.procedures.iter().find(|r| r.id == procedure).map(|r| r.steps.len()) else {
            return Err(refusal(
                "procedure",
                "unknown_procedure",
                format!("{procedure} is not a procedure of principal {principal}"),
            ));
        };
        let resource = Self::principal_resource(&loaded, actor, principal);
        let case = StoredCase {
            id: new_id("case"),
            version: 0,
            principal: principal.to_owned(),
            customer: customer.to_owned(),
            procedure: procedure.to_owned(),
            step: 0,
            state: if steps == 0 { "closed" } else { "open" }.to_owned(),
            operator: actor.party.to_string(),
            changed_at: now_seconds(),
        };
        let ask = Ask::function(Action::HandleInteraction, resource, "contact.case.open", "case (R12)")
            .about(vec![case.id.clone(), principal.to_owned()]);
        self.write(actor, vec![ask], |template| async move {
            let op = Op::OpenCase { case: Box::new(case) };
            Ok(self.store.submit(ContactWrite { template, op }).await?.wait().await?.output?)
        })
        .await
        .and_then(|sent| {
            narrowed(sent, |o| match o {
                ContactOutput::Case(v) => Some(v),
                _ => None,
            })
        })
    }

    /// Moves case `id` one step on along its procedure; closed after the last step.
    pub async fn advance_case(&self, actor: &Actor, id: &str) -> Result<Sent<StoredCase>, AppError> {
        let (loaded, principal, resource) = self.owner_of(actor, id, "case").await?;
        let probe = Ask::function(Action::HandleInteraction, resource, "contact.case.step", "case (R12)");
        self.unseen_unless_allowed(actor, probe, id, "case").await?;
        let steps: BTreeMap<String, usize> = loaded
            .config
            .principal(&principal)
            .map(|p| p.procedures.iter().map(|r| (r.id.clone(), r.steps.len())).collect())
            .unwrap_or_default();
        let ask = Ask::function(Action::HandleInteraction, resource, "contact.case.step", "case (R12)")
            .about(vec![id.to_owned(), principal]);
        let operator = actor.party.to_string();
        self.write(actor, vec![ask], |template| async move {
            let op = Op::AdvanceCase { id: id.to_owned(), steps, operator, at: now_seconds() };
            Ok(self.store.submit(ContactWrite { template, op }).await?.wait().await?.output?)
        })
        .await
        .and_then(|sent| {
            narrowed(sent, |o| match o {
                ContactOutput::Case(v) => Some(v),
                _ => None,
            })
        })
    }

    /// Records the calling operator's shift for `principal` (seconds since the epoch, `from`
    /// before `until`, never ending in the future): what the report's occupancy counts
    /// handling time against.
    pub async fn record_shift(
        &self,
        actor: &Actor,
        principal: &str,
        from: i64,
        until: i64,
    ) -> Result<Sent<Shift>, AppError> {
        if until <= from {
            return Err(refusal(
                "until",
                "empty_period",
                format!("a shift ends after it starts: [{from}, {until})"),
            ));
        }
        if until > now_seconds() {
            return Err(refusal("until", "in_future", "a shift is recorded once it has ended"));
        }
        let loaded = self.contact().await?;
        if loaded.config.principal(principal).is_none() {
            return Err(refusal("principal", "unknown_principal", format!("{principal} is no principal")));
        }
        let resource = Self::principal_resource(&loaded, actor, principal);
        let ask =
            Ask::function(Action::HandleInteraction, resource, "contact.shift", "operator's shift (R12)")
                .about(vec![principal.to_owned(), actor.party.to_string()]);
        let shift = Shift { operator: actor.party.to_string(), from, until };
        let principal = principal.to_owned();
        self.write(actor, vec![ask], |template| async move {
            let op = Op::Shift { principal, shift };
            Ok(self.store.submit(ContactWrite { template, op }).await?.wait().await?.output?)
        })
        .await
        .and_then(|sent| {
            narrowed(sent, |o| match o {
                ContactOutput::Shift(v) => Some(v),
                _ => None,
            })
        })
    }

    /// The cases of `customer` in `principal`'s directory, for that principal's operators.
    pub async fn customer_cases(
        &self,
        actor: &Actor,
        principal: &str,
        customer: &str,
    ) -> Result<Sent<Vec<StoredCase>>, AppError> {
        let loaded = self.contact().await?;
        let resource = Self::principal_resource(&loaded, actor, principal);
        let ask = Ask::function(Action::HandleInteraction, resource, "contact.case.list", "cases (R12)")
            .about(vec![principal.to_owned(), customer.to_owned()]);
        let principal = principal.to_owned();
        self.read(
            actor,
            ask,
            |_| async move { Ok(self.store.contact_cases(&principal, Some(customer)).await?) },
        )
        .await
    }

    /// Loads customers into `principal`'s directory, all or nothing: a line with a number
    /// that is not E.164 refuses the load, naming the line.
    pub async fn load_directory(
        &self,
        actor: &Actor,
        principal: &str,
        lines: Vec<DirectoryLine>,
    ) -> Result<Sent<DirectoryLoaded>, AppError> {
        let loaded = self.contact().await?;
        if loaded.config.principal(principal).is_none() {
            return Err(refusal("principal", "unknown_principal", format!("{principal} is no principal")));
        }
        for (index, line) in lines.iter().enumerate() {
            E164::parse(&line.number)
                .map_err(|e| refusal("number", e.code, format!("line {}: {}", index + 1, e)))?;
            if line.customer.trim().is_empty() || line.name.trim().is_empty() {
                return Err(refusal(
                    "customer",
                    "empty_field",
                    format!("line {}: a directory line names a customer and a name", index + 1),
                ));
            }
        }
        let resource = Self::principal_resource(&loaded, actor, principal);
        let ask = Ask::function(
            Action::ManageContactDirectory,
            resource,
            "contact.directory.load",
            "directory (R12)",
        )
        .about(vec![principal.to_owned()]);
        let principal = principal.to_owned();
        self.write(actor, vec![ask], |template| async move {
            let op = Op::Directory { principal, lines };
            Ok(self.store.submit(ContactWrite { template, op }).await?.wait().await?.output?)
        })
        .await
        .and_then(|sent| {
            narrowed(sent, |o| match o {
                ContactOutput::Directory(v) => Some(v),
                _ => None,
            })
        })
    }

    /// `principal`'s report over `[from, until)` and its live monitoring, for its
    /// supervisors (and the ethics committee).
    pub async fn contact_report(
        &self,
        actor: &Actor,
        principal: &str,
        from: i64,
        until: i64,
    ) -> Result<Sent<ContactReport>, AppError> {
        if until <= from {
            return Err(refusal("until", "empty_period", format!("the period [{from}, {until}) is empty")));
        }
        let loaded = self.contact().await?;
        let Some(threshold) = loaded.config.principal(principal).map(|p| p.service_level_seconds) else {
            return Err(refusal("principal", "unknown_principal", format!("{principal} is no principal")));
        };
        let resource = Self::principal_resource(&loaded, actor, principal);
        let ask = Ask::function(
            Action::ReadContactReport,
            resource,
            "contact.report",
            "contact center report (R12)",
        )
        .about(vec![principal.to_owned()]);
        let principal = principal.to_owned();
        self.read(actor, ask, |_| async move {
            let interactions = self.store.contact_interactions(&principal, from, until).await?;
            let (records, live) = records_of(&interactions);
            let kpis = domain::contact::kpi::kpis(&records, threshold);
            let mut volumes: BTreeMap<String, EntryVolume> = BTreeMap::new();
            for r in &records {
                let v = volumes.entry(r.entry.clone()).or_insert_with(|| EntryVolume {
                    entry: r.entry.clone(),
                    offered: 0,
                    answered: 0,
                    abandoned: 0,
                });
                v.offered += 1;
                match r.outcome {
                    Outcome::Answered => v.answered += 1,
                    Outcome::Abandoned => v.abandoned += 1,
                }
            }
            let mut staffed: BTreeMap<String, u64> = BTreeMap::new();
            for shift in self.store.contact_shifts(&principal, from, until).await? {
                let seconds = shift.until.min(until) - shift.from.max(from);
                *staffed.entry(shift.operator).or_default() += u64::try_from(seconds).unwrap_or(0);
            }
            let operators = domain::contact::kpi::operator_activity(&records, &staffed);
            Ok(ContactReport {
                principal,
                from,
                until,
                threshold_seconds: threshold,
                kpis,
                entry_points: volumes.into_values().collect(),
                operators,
                live,
            })
        })
        .await
    }

    /// Drives `interactions` interactions per principal through the real router (seeded,
    /// reproducible) and records them with the operators' shifts, so the reports have
    /// realistic figures: the demo and `cloison contact simulate`.
    pub async fn simulate_contact(
        &self,
        actor: &Actor,
        interactions: u32,
        seed: u64,
        start: i64,
    ) -> Result<Simulated, AppError> {
        let loaded = self.contact().await?;
        let params = SimulationParams {
            interactions_per_principal: interactions,
            seed,
            start,
            mean_interarrival_seconds: 40.0,
            mean_handling_seconds: 240.0,
            mean_patience_seconds: 90.0,
            wrap_seconds: 30,
        };
        let simulated = simulate(&loaded.config, &loaded.router, &params);
        let until = simulated.iter().map(|s| s.record.ended_at + 1).max().unwrap_or(start + 1);
        let mut written: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_principal: BTreeMap<String, Vec<StoredInteraction>> = BTreeMap::new();
        for s in simulated {
            let r = &s.record;
            let mut events = Vec::new();
            if let Some(at) = r.answered_at {
                events.push(ContactEvent {
                    n: 0,
                    kind: "answered".into(),
                    at,
                    queue: None,
                    operator: r.operator.clone(),
                    wrap_seconds: 0,
                });
                for queue in &s.transfers {
                    events.push(ContactEvent {
                        n: 0,
                        kind: "transferred".into(),
                        at: r.ended_at,
                        queue: Some(queue.clone()),
                        operator: r.operator.clone(),
                        wrap_seconds: 0,
                    });
                }
            }
            events.push(ContactEvent {
                n: 0,
                kind: match r.outcome {
                    Outcome::Answered => "ended",
                    Outcome::Abandoned => "abandoned",
                }
                .into(),
                at: r.ended_at,
                queue: None,
                operator: r.operator.clone(),
                wrap_seconds: i64::from(r.wrap_seconds),
            });
            by_principal.entry(r.principal.clone()).or_default().push(StoredInteraction {
                id: new_id("int"),
                principal: r.principal.clone(),
                channel: r.channel.as_str().to_owned(),
                entry: s.interaction.entry.clone(),
                rule: s.decision.rule.clone(),
                queue: s.decision.queue.clone(),
                operator: r.operator.clone(),
                customer: None,
                offered_at: r.offered_at,
                events,
            });
        }
        for (principal, interactions) in by_principal {
            let shifts: Vec<Shift> = loaded
                .config
                .principal(&principal)
                .map(|p| {
                    p.operators
                        .iter()
                        .map(|o| Shift { operator: o.party.clone(), from: start, until })
                        .collect()
                })
                .unwrap_or_default();
            written.insert(principal.clone(), interactions.len() as u64);
            let resource = Self::principal_resource(&loaded, actor, &principal);
            let mut first = true;
            for chunk in interactions.chunks(500) {
                let ask = Ask::function(
                    Action::HandleInteraction,
                    resource,
                    "contact.simulate",
                    "simulation (R12)",
                )
                .about(vec![principal.clone()]);
                let op = Op::Simulated {
                    interactions: chunk.to_vec(),
                    shifts: if first { shifts.clone() } else { Vec::new() },
                    principal: principal.clone(),
                };
                first = false;
                self.write(actor, vec![ask], |template| async move {
                    Ok(self.store.submit(ContactWrite { template, op }).await?.wait().await?.output?)
                })
                .await?;
            }
        }
        Ok(Simulated { interactions: written, from: start, until })
    }
}

/// What a contact write does.
enum Op {
    Config { text: String, sha256: String, config: Box<ContactConfig> },
    Directory { principal: String, lines: Vec<DirectoryLine> },
    Route { interaction: Box<StoredInteraction>, plan: Vec<PlanStep> },
    Event { id: String, event: ContactEvent },
    OpenCase { case: Box<StoredCase> },
    AdvanceCase { id: String, steps: BTreeMap<String, usize>, operator: String, at: i64 },
    Simulated { interactions: Vec<StoredInteraction>, shifts: Vec<Shift>, principal: String },
    Shift { principal: String, shift: Shift },
}

/// What a contact write answers.
#[derive(Serialize)]
#[serde(untagged)]
enum ContactOutput {
    Config(ContactConfigView),
    Directory(DirectoryLoaded),
    Routed(RoutedView),
    Interaction(InteractionView),
    Case(StoredCase),
    Shift(Shift),
    Simulated { principal: String, interactions: usize },
}

/// The answer of the operation a use case submitted; any other is a fault of ours.
fn narrowed<T>(
    sent: Sent<ContactOutput>,
    narrow: impl FnOnce(ContactOutput) -> Option<T>,
) -> Result<Sent<T>, AppError> {
    sent.narrow(narrow).ok_or_else(|| {
        AppError::Internal(StoreError::Journal("a contact write answered for another operation".into()))
    })
}

struct ContactWrite {
    template: Entry,
    op: Op,
}

fn stored_refusal(field: &'static str, code: &'static str, reason: String) -> StoreError {
    StoreError::Refused { field, code, reason }
}

impl ContactWrite {
    async fn apply(&self, tx: &mut WriteTx) -> Result<(ContactOutput, Vec<String>), StoreError> {
        match &self.op {
            Op::Config { text, sha256, config } => {
                let version = tx.put_contact_config(text, sha256, now_seconds()).await?;
                Ok((ContactOutput::Config(ContactConfigView::of(version, sha256.clone(), config)), vec![]))
            }
            Op::Directory { principal, lines } => {
                let (mut added, mut unchanged) = (0, 0);
                for line in lines {
                    if tx.put_directory_entry(principal, &line.customer, &line.number, &line.name).await? {
                        added += 1;
                    } else {
                        unchanged += 1;
                    }
                }
                let view = DirectoryLoaded { principal: principal.clone(), added, unchanged };
                Ok((ContactOutput::Directory(view), vec![]))
            }
            Op::Route { interaction, plan } => {
                tx.put_interaction(interaction).await?;
                let stored = tx
                    .contact_interaction(&interaction.id)
                    .await?
                    .ok_or_else(|| StoreError::Journal("the interaction just written is gone".into()))?;
                let subjects = stored.customer.iter().cloned().collect();
                let view = RoutedView { interaction: stored.into(), plan: plan.clone() };
                Ok((ContactOutput::Routed(view), subjects))
            }
            Op::Event { id, event } => {
                let Some(stored) = tx.contact_interaction(id).await? else {
                    return Err(stored_refusal(
                        "interaction",
                        "unknown_interaction",
                        format!("no interaction {id}"),
                    ));
                };
                let state = state_of(&stored.events);
                let allowed = match event.kind.as_str() {
                    "answered" => state == "offered",
                    "transferred" | "ended" => state == "answered",
                    "abandoned" => state == "offered",
                    _ => false,
                };
                if !allowed {
                    return Err(stored_refusal(
                        "kind",
                        "out_of_order",
                        format!("{id} is {state}: it cannot be {} now", event.kind),
                    ));
                }
                let last = stored.events.last().map_or(stored.offered_at, |e| e.at);
                if event.at < last {
                    return Err(stored_refusal(
                        "at",
                        "before_last_event",
                        format!("{} is before the interaction's last event at {last}", event.at),
                    ));
                }
                let mut event = event.clone();
                if event.operator.is_none() && event.kind != "abandoned" {
                    event.operator =
                        stored.events.iter().rev().find_map(|e| e.operator.clone()).or(stored.operator);
                }
                tx.put_contact_event(id, &event).await?;
                let stored = tx
                    .contact_interaction(id)
                    .await?
                    .ok_or_else(|| StoreError::Journal("the interaction just written is gone".into()))?;
                let subjects = stored.customer.iter().cloned().collect();
                Ok((ContactOutput::Interaction(stored.into()), subjects))
            }
            Op::OpenCase { case } => {
                if !tx.in_directory(&case.principal, &case.customer).await? {
                    return Err(stored_refusal(
                        "customer",
                        "unknown_customer",
                        format!("{} is not in the directory of principal {}", case.customer, case.principal),
                    ));
                }
                tx.put_case(case).await?;
                let stored = tx
                    .contact_case(&case.id)
                    .await?
                    .ok_or_else(|| StoreError::Journal("the case just written is gone".into()))?;
                Ok((ContactOutput::Case(stored), vec![case.customer.clone()]))
            }
            Op::AdvanceCase { id, steps, operator, at } => {
                let Some(mut case) = tx.contact_case(id).await? else {
                    return Err(stored_refusal("case", "unknown_case", format!("no case {id}")));
                };
                if case.state != "open" {
                    return Err(stored_refusal("case", "case_closed", format!("{id} is closed")));
                }
                let total = steps.get(&case.procedure).copied().unwrap_or(0) as i64;
                case.step += 1;
                if case.step >= total {
                    case.state = "closed".into();
                }
                case.operator = operator.clone();
                case.changed_at = *at;
                tx.put_case(&case).await?;
                let stored = tx
                    .contact_case(id)
                    .await?
                    .ok_or_else(|| StoreError::Journal("the case just written is gone".into()))?;
                Ok((ContactOutput::Case(stored), vec![case.customer]))
            }
            Op::Shift { principal, shift } => {
                tx.put_shift(principal, shift).await?;
                Ok((ContactOutput::Shift(shift.clone()), vec![]))
            }
            Op::Simulated { interactions, shifts, principal } => {
                for shift in shifts {
                    tx.put_shift(principal, shift).await?;
                }
                for interaction in interactions {
                    tx.put_interaction(interaction).await?;
                    for event in &interaction.events {
                        tx.put_contact_event(&interaction.id, event).await?;
                    }
                }
                let output = ContactOutput::Simulated {
                    principal: principal.clone(),
                    interactions: interactions.len(),
                };
                Ok((output, vec![]))
            }
        }
    }
}

impl StoreCommand for ContactWrite {
    type Output = Result<Sent<ContactOutput>, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let savepoint = tx.savepoint().await?;
        match self.apply(tx).await {
            Ok((output, more)) => {
                tx.release(savepoint).await?;
                let mut subjects = self.template.subjects.clone();
                subjects.extend(more);
                subjects.dedup();
                let action = match self.op {
                    Op::Config { .. } => Action::ConfigureContact,
                    Op::Directory { .. } => Action::ManageContactDirectory,
                    _ => Action::HandleInteraction,
                };
                let (sent, entry) = answered(tx, self.template, subjects, output, action)?;
                Ok(Done { output: Ok(sent), entries: vec![entry] })
            }
            Err(e) if e.is_input() => {
                tx.rollback_to(savepoint).await?;
                let entry = tx.slot().fill(Entry { outcome: refused(&e), ..self.template });
                Ok(Done { output: Err(e), entries: vec![entry] })
            }
            Err(e) => Err(e),
        }
    }
}

/// A configuration for `principals` principals (the first a DSO, the others suppliers) of
/// `operators` operators each, ten routing rules apiece: what the demo, the simulator and
/// the benchmarks run on when no file is given. `dso_supervisor`, when named, is one more
/// operator of the DSO, holding the `supervisor` skill (the demo's call-center member).
pub fn sample_config(principals: usize, operators: usize, dso_supervisor: Option<&str>) -> String {
    use std::fmt::Write;
    let mut toml = String::from(
        "# Generated: one DSO and its suppliers, each sealed off from the others (R12).\n\
         [[incompatible]]\nskills = [\"complaints\", \"billing\"]\n",
    );
    for p in 0..principals.max(1) {
        let (id, name, kind) = if p == 0 {
            ("dso".to_owned(), "Distribution grid operator".to_owned(), "dso")
        } else {
            (format!("supplier-{p:02}"), format!("Supplier {p:02}"), "supplier")
        };
        let w = &mut toml;
        // Writing to a String cannot fail.
        let _ = write!(
            w,
            "\n[[principal]]\nid = \"{id}\"\nname = \"{name}\"\nkind = \"{kind}\"\n\
             default_queue = \"{id}-general\"\nback_offices = [\"{id}-back-office\"]\n"
        );
        for (channel, address) in [
            ("call", format!("+32780{p:04}01")),
            ("sms", format!("+32780{p:04}02")),
            ("mail", format!("contact@{id}.example")),
            ("chat", format!("{id}-web")),
        ] {
            let _ =
                write!(w, "[[principal.entry_point]]\nchannel = \"{channel}\"\naddress = \"{address}\"\n");
        }
        let queues: [(&str, &[&str]); 9] = [
            ("general", &["general"]),
            ("french", &["general", "fr"]),
            ("dutch", &["general", "nl"]),
            ("german", &["general", "de"]),
            ("billing", &["billing"]),
            ("urgent", &["urgent"]),
            ("moves", &["moves"]),
            ("complaints", &["complaints"]),
            ("back-office", &["back-office"]),
        ];
        for (queue, skills) in queues {
            let skills = skills.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ");
            let _ = write!(w, "[[principal.queue]]\nid = \"{id}-{queue}\"\nskills = [{skills}]\n");
        }
        let rules: [(&str, &str, &[&str], Option<&str>); 10] = [
            ("urgent", "ivr in [\"outage\", \"gas-smell\"]", &["urgent", "general"], None),
            ("billing", "ivr = \"billing\"", &["billing"], None),
            ("moves", "ivr = \"move\"", &["moves"], None),
            ("complaints", "ivr = \"complaint\"", &["complaints"], Some("has \"trainee\"")),
            ("german", "language = \"de\"", &["german"], Some("has \"trainee\"")),
            ("dutch", "language = \"nl\"", &["dutch", "general"], None),
            ("french-mail", "language = \"fr\" and channel = \"mail\"", &["french"], None),
            ("french", "language = \"fr\"", &["french", "general"], None),
            ("chat", "channel = \"chat\"", &["general"], None),
            ("sms", "channel = \"sms\"", &["general"], None),
        ];
        for (rule, when, to, exclude) in rules {
            let to = to.iter().map(|q| format!("\"{id}-{q}\"")).collect::<Vec<_>>().join(", ");
            let _ = write!(
                w,
                "[[principal.rule]]\nid = \"{rule}\"\nwhen = '{when}'\nto = [{to}]\ntimeout_seconds = 30\n"
            );
            if let Some(exclude) = exclude {
                let _ = writeln!(w, "exclude = '{exclude}'");
            }
        }
        const SKILLS: [&[&str]; 6] = [
            &["general", "fr", "urgent"],
            &["general", "nl", "moves"],
            &["general", "de", "fr"],
            &["billing", "general", "fr"],
            &["complaints", "general", "nl"],
            &["back-office", "general", "trainee"],
        ];
        for o in 0..operators {
            let mut skills: Vec<&str> = SKILLS[o % SKILLS.len()].to_vec();
            if o == 0 {
                skills.push(SUPERVISOR_SKILL);
            }
            let skills = skills.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ");
            let _ = write!(w, "[[principal.operator]]\nparty = \"{id}-op-{o:03}\"\nskills = [{skills}]\n");
        }
        if p == 0
            && let Some(party) = dso_supervisor
        {
            let _ = write!(
                w,
                "[[principal.operator]]\nparty = \"{party}\"\nskills = [\"general\", \"fr\", \"urgent\", \"{SUPERVISOR_SKILL}\"]\n"
            );
        }
        let _ = write!(
            w,
            "[[principal.procedure]]\nid = \"complaint\"\nname = \"Handle a complaint\"\n\
             steps = [\"Record the complaint\", \"Investigate\", \"Answer the customer\"]\n\
             [[principal.procedure]]\nid = \"move\"\nname = \"Register a move\"\n\
             steps = [\"Record the new address\", \"Confirm the date\"]\n"
        );
    }
    toml
}
