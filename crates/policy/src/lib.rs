//! Authorization of Cloison: Cedar policies shipped as files, decisions that say what is visible.
//!
//! Who may do what is written in Cedar under `policies/` at the repository root, next to its
//! schema, so the rules of DESIGN.md can be read, reviewed and audited apart from the code
//! that applies them. Those files are embedded at compile time as the default set
//! ([`Policy::embedded`]); a deployment may load its own directory ([`Policy::load`]). Both
//! go through the same parse and strict schema validation: a policy that does not check is a
//! start-up error, never a silent deny or allow.
//!
//! A decision is more than allowed or denied (I3): each permit says with `@visible` what it
//! reveals, and [`Policy::decide`] turns that into the periods the actor may see, from the
//! facts the store knows of the actor on that resource. Cedar answers whether; this crate
//! answers when. Time stays out of Cedar because Cedar cannot return a set of periods, and
//! encoding "inside a registration" as a policy condition would answer one instant per call.
//!
//! Roles are Cedar entities (`Cloison::Role`, an enum), the principal a member of its role,
//! rather than a `role` string attribute: a policy naming a role that does not exist fails
//! validation instead of never matching, and a role in a policy's scope lets `decide` hand
//! Cedar only the policies of the acting role and action, which is most of its speed.
//!
//! Cedar's answer depends only on what it is shown. When no policy names a particular party
//! or access point (checked at load, [`Policy::id_blind`]), that is the role, the action and
//! whether the principal is among the resource's suppliers and occupants: so each such
//! answer is computed by Cedar once and remembered. A policy set that names one keeps asking
//! Cedar every time.
//!
//! Anything not permitted, and any error while deciding, is a denial (I2).
#![warn(missing_docs)]

mod load;
mod visible;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};

use cedar_policy as cedar;
use domain::Period;
use domain::label::Confidentiality;

pub use load::PolicyError;
pub use visible::Visible;

use load::{Reveal, Source};

/// The reason given when no policy permitted: nothing is allowed unless a policy says so (I2).
pub const DEFAULT_DENY: &str = "default-deny";

/// The reason given when Cedar could not evaluate the question (an action asked of the wrong
/// kind of resource, a policy that errs): the decision fails closed (I2).
pub const EVALUATION_ERROR: &str = "evaluation-error";

/// The policy files compiled into the binary, by the path errors give them.
const EMBEDDED_SCHEMA: (&str, &str) =
    ("policies/cloison.cedarschema", include_str!("../../../policies/cloison.cedarschema"));
const EMBEDDED_POLICIES: [(&str, &str); 11] = [
    ("policies/connections.cedar", include_str!("../../../policies/connections.cedar")),
    ("policies/contact.cedar", include_str!("../../../policies/contact.cedar")),
    ("policies/installation.cedar", include_str!("../../../policies/installation.cedar")),
    ("policies/journal.cedar", include_str!("../../../policies/journal.cedar")),
    ("policies/mandates.cedar", include_str!("../../../policies/mandates.cedar")),
    ("policies/market.cedar", include_str!("../../../policies/market.cedar")),
    ("policies/metering.cedar", include_str!("../../../policies/metering.cedar")),
    ("policies/register.cedar", include_str!("../../../policies/register.cedar")),
    ("policies/research.cedar", include_str!("../../../policies/research.cedar")),
    ("policies/web.cedar", include_str!("../../../policies/web.cedar")),
    ("policies/works.cedar", include_str!("../../../policies/works.cedar")),
];

/// The loaded policy set: parsed and validated once, then asked many times.
pub struct Policy {
    /// Every policy; `decide` asks Cedar about the subset in `index` only.
    all: cedar::PolicySet,
    schema: cedar::Schema,
    authorizer: cedar::Authorizer,
    /// What each policy reveals, by `@id`.
    reveals: HashMap<String, Reveal>,
    /// The policies that can apply, per action (indexed by `Action as usize`) and role.
    index: Vec<ByRole>,
    party_type: cedar::EntityTypeName,
    role_type: cedar::EntityTypeName,
    access_point_type: cedar::EntityTypeName,
    scenario_type: cedar::EntityTypeName,
    scenario_kind_type: cedar::EntityTypeName,
    queue_type: cedar::EntityTypeName,
    route_type: cedar::EntityTypeName,
    contact_principal_type: cedar::EntityTypeName,
    journal: cedar::EntityUid,
    register: cedar::EntityUid,
    installation: cedar::EntityUid,
    metering: cedar::EntityUid,
    connections: cedar::EntityUid,
    works: cedar::EntityUid,
    research: cedar::EntityUid,
    contact_center: cedar::EntityUid,
    /// Per action (indexed by `Action as usize`): the roles whose applicable policies have a
    /// condition, so their decision depends on the facts; `None` in the set stands for roles
    /// no scope names. See [`Policy::needs_facts`].
    conditional: Vec<HashSet<Option<String>>>,
    /// Per action: the roles (`None`: roles no scope names) with a policy revealing
    /// mandates, for whom the store reads mandates as facts. See [`Policy::uses_mandates`].
    mandating: Vec<HashSet<Option<String>>>,
    /// The action entity of each [`Action`], indexed by `Action as usize`.
    actions: Vec<cedar::EntityUid>,
    /// Cedar's answers already given, when the policies allow remembering them (see
    /// [`Policy::id_blind`]); `None` otherwise.
    /// By role name, looked up without allocating; then by [`memo_slot`].
    /// Each role's answers are on the heap: at tens of thousands of slots, an array built on
    /// the stack would overflow a test thread's.
    memo: Option<RwLock<HashMap<String, Answers>>>,
}

/// One role's remembered answers, [`MEMO_SLOTS`] of them.
type Answers = Box<[Option<Verdict>]>;

/// Roles remembered at most: far above the roles there are, so only a flood of made-up role
/// names stops the memo from growing (they are then decided each time).
const MEMO_ROLES: usize = 256;

/// The distinct resources an answer can depend on (see `Resource::memo_slot`).
const RESOURCE_SLOTS: usize = 19 + domain::scenario::ScenarioKind::ALL.len();

/// Answers remembered per role: each action, with or without each of the two memberships,
/// for each distinct resource.
const MEMO_SLOTS: usize = Action::ALL.len() * 8 * RESOURCE_SLOTS;

/// Where the answer to `question` is remembered within its role: everything else Cedar's
/// answer depends on when no policy names a party or an access point.
fn memo_slot(question: &Question<'_>) -> usize {
    (question.action as usize * 8
        + 4 * usize::from(!question.facts.registrations.is_empty())
        + 2 * usize::from(!question.facts.occupancies.is_empty())
        + usize::from(!question.facts.mandates.is_empty()))
        * RESOURCE_SLOTS
        + question.resource.memo_slot()
}

/// Cedar's answer, before the facts' periods are clipped to it.
#[derive(Debug, Clone)]
struct Verdict {
    allowed: bool,
    policies: Vec<String>,
}

/// The policies of one action, split by the role their scope names.
///
/// Cedar evaluates every policy of the set it is given, a few microseconds each (it rebuilds
/// each policy's condition). Most policies cannot apply to a question: another action in their
/// scope, or `principal in Role::"x"` for another role. Dropping those beforehand gives the
/// same decision, because a scope that does not match makes a policy false without evaluating
/// its conditions (so without errors either), and the principal built by `decide` is in its
/// own role and nothing else. Policies whose scope names no role stay in every set.
struct ByRole {
    /// For each role some scope names: its policies and those naming no role.
    roles: HashMap<String, cedar::PolicySet>,
    /// The policies naming no role, for a role no scope names.
    others: cedar::PolicySet,
}

impl ByRole {
    fn build(
        policies: &cedar::PolicySet,
        action: &cedar::EntityUid,
        role_type: &cedar::EntityTypeName,
    ) -> Result<ByRole, String> {
        // The only possible error is a duplicate id, which loading already refused.
        let set = |policies: Vec<cedar::Policy>| {
            cedar::PolicySet::from_policies(policies).map_err(|e| e.to_string())
        };
        let mut others = Vec::new();
        let mut by_role: HashMap<String, Vec<cedar::Policy>> = HashMap::new();
        for policy in policies.policies() {
            // Action groups are refused at load, so `in` means one of the listed actions.
            let applies = match policy.action_constraint() {
                cedar::ActionConstraint::Any => true,
                cedar::ActionConstraint::Eq(only) => only == *action,
                cedar::ActionConstraint::In(actions) => actions.contains(action),
            };
            if !applies {
                continue;
            }
            match policy.principal_constraint() {
                cedar::PrincipalConstraint::In(group) | cedar::PrincipalConstraint::IsIn(_, group)
                    if group.type_name() == role_type =>
                {
                    by_role.entry(group.id().unescaped().to_owned()).or_default().push(policy.clone());
                }
                _ => others.push(policy.clone()),
            }
        }
        let roles = by_role
            .into_iter()
            .map(|(role, own)| {
                let own = set(own.into_iter().chain(others.iter().cloned()).collect())?;
                Ok((role, own))
            })
            .collect::<Result<_, String>>()?;
        Ok(ByRole { roles, others: set(others)? })
    }

    /// The roles (`None`: roles no scope names) with an applicable policy revealing mandates.
    fn mandating(&self, reveals: &HashMap<String, Reveal>) -> HashSet<Option<String>> {
        let reveals_mandates = |set: &cedar::PolicySet| {
            set.policies().any(|p| reveals.get(AsRef::<str>::as_ref(p.id())) == Some(&Reveal::Mandates))
        };
        let mut roles: HashSet<Option<String>> = self
            .roles
            .iter()
            .filter(|(_, set)| reveals_mandates(set))
            .map(|(role, _)| Some(role.clone()))
            .collect();
        if reveals_mandates(&self.others) {
            roles.insert(None);
        }
        roles
    }

    /// The roles (`None`: roles no scope names) for which some applicable policy has a
    /// condition beyond its scope, or reveals periods taken from the facts.
    fn conditional(&self, reveals: &HashMap<String, Reveal>) -> HashSet<Option<String>> {
        let factual = |policy: &cedar::Policy| {
            let id: &str = policy.id().as_ref();
            policy.has_non_scope_constraint()
                || matches!(
                    reveals.get(id),
                    Some(Reveal::Registrations | Reveal::Occupancies | Reveal::Mandates)
                )
        };
        let has_condition = |set: &cedar::PolicySet| set.policies().any(factual);
        let mut roles: HashSet<Option<String>> = self
            .roles
            .iter()
            .filter(|(_, set)| has_condition(set))
            .map(|(role, _)| Some(role.clone()))
            .collect();
        if has_condition(&self.others) {
            roles.insert(None);
        }
        roles
    }

    fn for_role(&self, role: &str) -> &cedar::PolicySet {
        self.roles.get(role).unwrap_or(&self.others)
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<&String> = self.reveals.keys().collect();
        ids.sort();
        f.debug_struct("Policy").field("policies", &ids).finish_non_exhaustive()
    }
}

/// What an actor asks to do. Each is a Cedar action of `policies/cloison.cedarschema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// The register of an access point at an instant.
    ReadAccessPoint,
    /// The versions of an access point's register over time.
    ReadHistory,
    /// Any change to the register: of an access point, or a party record (on the register).
    WriteRegister,
    /// The signed journal tree head: hashes only, public.
    ReadJournalHead,
    /// The journal entries: for the ethics committee.
    ReadJournalEntries,
    /// Who accessed a customer's data, asked by that customer, per access point.
    ReadOwnAccessLog,
    /// Whether the actor has an access log at all (role-level, on the journal).
    ReadAccessLog,
    /// The sizes of the register (counts of access points, parties, records): no record.
    ReadRegisterSummary,
    /// The EANs of the register, in order: identifiers of every access point.
    ListAccessPoints,
    /// Who the caller is, and the access points they hold: the caller's own data.
    ReadOwnIdentity,
    /// A note in the journal about an act that touched no data (a load test, an event).
    WriteJournalNote,
    /// Signing and keeping a checkpoint head of the journal now.
    SignCheckpoint,
    /// Creating and revoking bearer tokens: who may call, in which role.
    ManageTokens,
    /// Reading an installation setting.
    ReadSetting,
    /// Writing an installation setting.
    WriteSetting,
    /// Starting a market scenario on an access point.
    StartScenario,
    /// A market scenario's state.
    ReadScenario,
    /// Cancelling a market scenario before its day.
    CancelScenario,
    /// The DSO's reports on a budget-meter placement.
    ReportPlacement,
    /// The market's day: due scenarios take effect.
    RunMarketDay,
    /// What a party is told of the scenario in progress that refused its request (R3).
    LearnScenarioInProgress,
    /// The oldest unacknowledged messages of a queue.
    PeekMessages,
    /// Taking a message out of a queue.
    AcknowledgeMessage,
    /// Queueing a market message: the market hub's act.
    SendMessage,
    /// An access point's interval data and index readings, clipped to what the actor may see.
    ReadConsumption,
    /// Importing readings: interval values and index readings, by the metering team's systems.
    WriteReadings,
    /// The validators' work: the queue of findings, and a decision on one.
    ValidateReadings,
    /// Planning a reader's route: which access points, for which reading window.
    AssignRoutes,
    /// A route's access points in the current window (R9).
    ReadRoute,
    /// An index reading from a reader's field device, for a point of their route (R9).
    WriteRouteReading,
    /// Who holds which role: the nightly HR sync, manual exceptions, revocations (R6, R11).
    ManageAccess,
    /// The access report: staff records, grants in force, segregation-of-duties violations.
    ReviewAccess,
    /// Recording and revoking a customer's written mandate (R5).
    ManageMandates,
    /// The mandates on record, and a random sample of them for an audit.
    ReviewMandates,
    /// Emergency access by support, with a reason, limited in time, reported to the ethics
    /// committee (R10).
    OpenBreakGlass,
    /// Asking for a role, and seeing one's own requests (R6).
    RequestAccess,
    /// A service manager's decision on a request for a role of the service (R6).
    DecideAccessRequest,
    /// The producer connection queue's procedure: capacities, requests, offers, the daily
    /// run (R15).
    ManageConnections,
    /// Every queue as it stands, and the audit that rebuilds them from the journal (R15).
    ReviewConnections,
    /// A producer's own connection requests, their ranks and the capacity figures (R15).
    ReadOwnConnections,
    /// Customer works requests through their modules, and the retention schedule (R13).
    ManageWorks,
    /// A requester's own works requests and their state (R13).
    ReadOwnWorks,
    /// A closed request's asset record, with the network user's name and contract date read
    /// from the register as it is viewed (R13).
    ReadAssetRecord,
    /// The data protection office's work: consents on paper, research agreements and
    /// extracts, warehouse exports, the data subjects' requests (R14).
    ManageResearch,
    /// A network user's own consents and requests about their data: given, withdrawn,
    /// filed and answered (GDPR art. 7, 15, 16).
    ManageOwnData,
    /// A research partner's own extracts, and nothing else (R14).
    ReadResearchExtracts,
    /// Aggregates with disclosure control: no personal data, so any authenticated role (R14).
    ReadAggregates,
    /// Signing in to the web interface with one's own password, and out of one's own session.
    SignIn,
    /// The system's health for those who run it: counts of what waits, no personal data (R10).
    ReadSystemHealth,
    /// Loading a new version of the contact center's configuration: principals, entry
    /// points, queues, routing rules, operators and their skills (R12).
    ConfigureContact,
    /// The contact center's configuration as loaded, for those who run and audit it.
    ReadContactConfig,
    /// An operator's work for one principal: routing an interaction, the screen pop in that
    /// principal's directory, its cases and transfers (R12).
    HandleInteraction,
    /// One principal's reports and live monitoring, for its supervisors (R12).
    ReadContactReport,
    /// Loading customers into one principal's directory (R12).
    ManageContactDirectory,
}

/// The kinds of resource the schema declares, each action applying to some of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// One access point.
    AccessPoint,
    /// The journal (a singleton).
    Journal,
    /// The register as a whole (a singleton): its sizes, its listing, its party records.
    Register,
    /// The installation (a singleton): its tokens and settings.
    Installation,
    /// One market scenario.
    Scenario,
    /// The kind of a scenario in progress (R3).
    ScenarioKind,
    /// One party's or service's message queue.
    Queue,
    /// The metering data as a whole (a singleton): what an import writes to.
    Metering,
    /// A meter reader's route in the current reading window (R9).
    Route,
    /// The producer connection queues (a singleton) (R15).
    Connections,
    /// The customer works requests (a singleton) (R13).
    Works,
    /// Research, consents and exports (a singleton) (R14).
    Research,
    /// The contact center as a whole (a singleton): its configuration (R12).
    ContactCenter,
    /// One principal of the contact center (R12).
    ContactPrincipal,
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: [Action; 54] = [
        Action::ReadAccessPoint,
        Action::ReadHistory,
        Action::WriteRegister,
        Action::ReadJournalHead,
        Action::ReadJournalEntries,
        Action::ReadOwnAccessLog,
        Action::ReadAccessLog,
        Action::ReadRegisterSummary,
        Action::ListAccessPoints,
        Action::ReadOwnIdentity,
        Action::WriteJournalNote,
        Action::SignCheckpoint,
        Action::ManageTokens,
        Action::ReadSetting,
        Action::WriteSetting,
        Action::StartScenario,
        Action::ReadScenario,
        Action::CancelScenario,
        Action::ReportPlacement,
        Action::RunMarketDay,
        Action::LearnScenarioInProgress,
        Action::PeekMessages,
        Action::AcknowledgeMessage,
        Action::SendMessage,
        Action::ReadConsumption,
        Action::WriteReadings,
        Action::ValidateReadings,
        Action::AssignRoutes,
        Action::ReadRoute,
        Action::WriteRouteReading,
        Action::ManageAccess,
        Action::ReviewAccess,
        Action::ManageMandates,
        Action::ReviewMandates,
        Action::OpenBreakGlass,
        Action::RequestAccess,
        Action::DecideAccessRequest,
        Action::ManageConnections,
        Action::ReviewConnections,
        Action::ReadOwnConnections,
        Action::ManageWorks,
        Action::ReadOwnWorks,
        Action::ReadAssetRecord,
        Action::ManageResearch,
        Action::ManageOwnData,
        Action::ReadResearchExtracts,
        Action::ReadAggregates,
        Action::SignIn,
        Action::ReadSystemHealth,
        Action::ConfigureContact,
        Action::ReadContactConfig,
        Action::HandleInteraction,
        Action::ReadContactReport,
        Action::ManageContactDirectory,
    ];

    /// The kinds of resource the action applies to, as the schema's `appliesTo` says.
    pub fn applies_to(self) -> &'static [ResourceKind] {
        use ResourceKind as K;
        match self {
            Action::ReadAccessPoint | Action::ReadHistory | Action::ReadOwnAccessLog => &[K::AccessPoint],
            Action::WriteRegister => &[K::AccessPoint, K::Register],
            Action::ReadJournalHead
            | Action::ReadJournalEntries
            | Action::ReadAccessLog
            | Action::WriteJournalNote
            | Action::SignCheckpoint => &[K::Journal],
            Action::ReadRegisterSummary
            | Action::ListAccessPoints
            | Action::ReadOwnIdentity
            | Action::RunMarketDay
            | Action::ManageMandates
            | Action::ReviewMandates => &[K::Register],
            Action::ManageTokens
            | Action::ReadSetting
            | Action::WriteSetting
            | Action::ManageAccess
            | Action::ReviewAccess
            | Action::OpenBreakGlass
            | Action::RequestAccess
            | Action::DecideAccessRequest
            | Action::SignIn
            | Action::ReadSystemHealth => &[K::Installation],
            Action::StartScenario => &[K::AccessPoint],
            Action::ReadScenario | Action::CancelScenario | Action::ReportPlacement => &[K::Scenario],
            Action::LearnScenarioInProgress => &[K::ScenarioKind],
            Action::PeekMessages | Action::AcknowledgeMessage | Action::SendMessage => &[K::Queue],
            Action::ReadConsumption => &[K::AccessPoint],
            Action::WriteReadings | Action::ValidateReadings | Action::AssignRoutes => &[K::Metering],
            Action::ReadRoute | Action::WriteRouteReading => &[K::Route],
            Action::ManageConnections | Action::ReviewConnections | Action::ReadOwnConnections => {
                &[K::Connections]
            }
            Action::ManageWorks | Action::ReadOwnWorks | Action::ReadAssetRecord => &[K::Works],
            Action::ManageResearch
            | Action::ManageOwnData
            | Action::ReadResearchExtracts
            | Action::ReadAggregates => &[K::Research],
            Action::ConfigureContact | Action::ReadContactConfig => &[K::ContactCenter],
            Action::HandleInteraction | Action::ReadContactReport | Action::ManageContactDirectory => {
                &[K::ContactPrincipal]
            }
        }
    }

    /// How confidential what this action answers is: the label of every answer it gives (R8).
    /// Decided per action, not per answer, so that no code path can forget to label, and a
    /// new action must say it here to compile.
    pub fn confidentiality(self) -> Confidentiality {
        match self {
            Action::ReadJournalHead | Action::SignCheckpoint => Confidentiality::Public,
            Action::ReadRegisterSummary
            | Action::ListAccessPoints
            | Action::WriteJournalNote
            | Action::ReadSetting
            | Action::WriteSetting
            | Action::RunMarketDay
            // Aggregates hold no personal data once disclosure control has run (R14).
            | Action::ReadAggregates
            // Counts of what waits, never whom it is about (R10).
            | Action::ReadSystemHealth
            // Entry points, queues, rules and skills: how the center runs, no customer.
            | Action::ConfigureContact
            | Action::ReadContactConfig => Confidentiality::Internal,
            // That a scenario is in progress, and nothing of whom it is about (R3).
            Action::LearnScenarioInProgress => Confidentiality::Commercial,
            // Network users' data, and staff members' (who holds which role, who asked what).
            // A scenario or a market message is a supplier's business too, but it names a
            // customer and what happens to their supply: the stricter label wins.
            Action::StartScenario
            | Action::ReadScenario
            | Action::CancelScenario
            | Action::PeekMessages
            | Action::AcknowledgeMessage
            | Action::SendMessage
            | Action::ReadAccessPoint
            | Action::ReadHistory
            | Action::WriteRegister
            | Action::ReadJournalEntries
            | Action::ReadOwnAccessLog
            | Action::ReadAccessLog
            | Action::ReadOwnIdentity
            | Action::ManageTokens
            | Action::ReportPlacement
            | Action::ReadConsumption
            | Action::WriteReadings
            | Action::ValidateReadings
            | Action::AssignRoutes
            | Action::ReadRoute
            | Action::WriteRouteReading
            | Action::ManageAccess
            | Action::ReviewAccess
            | Action::ManageMandates
            | Action::ReviewMandates
            | Action::OpenBreakGlass
            | Action::RequestAccess
            | Action::DecideAccessRequest
            // A producer may be a person, and a request names it and its project.
            | Action::ManageConnections
            | Action::ReviewConnections
            | Action::ReadOwnConnections
            | Action::ManageWorks
            | Action::ReadOwnWorks
            | Action::ReadAssetRecord
            // Consents and requests name their subject; extracts are pseudonymised, still
            // personal data (GDPR recital 26).
            | Action::ManageResearch
            | Action::ManageOwnData
            | Action::ReadResearchExtracts
            // A session for a named party, like a token (ManageTokens).
            | Action::SignIn
            // A customer found by their number, their cases; an operator's activity.
            | Action::HandleInteraction
            | Action::ReadContactReport
            | Action::ManageContactDirectory => Confidentiality::PersonalData,
        }
    }

    /// The Cedar action id, as the policies name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::ReadAccessPoint => "ReadAccessPoint",
            Action::ReadHistory => "ReadHistory",
            Action::WriteRegister => "WriteRegister",
            Action::ReadJournalHead => "ReadJournalHead",
            Action::ReadJournalEntries => "ReadJournalEntries",
            Action::ReadOwnAccessLog => "ReadOwnAccessLog",
            Action::ReadAccessLog => "ReadAccessLog",
            Action::ReadRegisterSummary => "ReadRegisterSummary",
            Action::ListAccessPoints => "ListAccessPoints",
            Action::ReadOwnIdentity => "ReadOwnIdentity",
            Action::WriteJournalNote => "WriteJournalNote",
            Action::SignCheckpoint => "SignCheckpoint",
            Action::ManageTokens => "ManageTokens",
            Action::ReadSetting => "ReadSetting",
            Action::WriteSetting => "WriteSetting",
            Action::StartScenario => "StartScenario",
            Action::ReadScenario => "ReadScenario",
            Action::CancelScenario => "CancelScenario",
            Action::ReportPlacement => "ReportPlacement",
            Action::RunMarketDay => "RunMarketDay",
            Action::LearnScenarioInProgress => "LearnScenarioInProgress",
            Action::PeekMessages => "PeekMessages",
            Action::AcknowledgeMessage => "AcknowledgeMessage",
            Action::SendMessage => "SendMessage",
            Action::ReadConsumption => "ReadConsumption",
            Action::WriteReadings => "WriteReadings",
            Action::ValidateReadings => "ValidateReadings",
            Action::AssignRoutes => "AssignRoutes",
            Action::ReadRoute => "ReadRoute",
            Action::WriteRouteReading => "WriteRouteReading",
            Action::ManageAccess => "ManageAccess",
            Action::ReviewAccess => "ReviewAccess",
            Action::ManageMandates => "ManageMandates",
            Action::ReviewMandates => "ReviewMandates",
            Action::OpenBreakGlass => "OpenBreakGlass",
            Action::RequestAccess => "RequestAccess",
            Action::DecideAccessRequest => "DecideAccessRequest",
            Action::ManageConnections => "ManageConnections",
            Action::ReviewConnections => "ReviewConnections",
            Action::ReadOwnConnections => "ReadOwnConnections",
            Action::ManageWorks => "ManageWorks",
            Action::ReadOwnWorks => "ReadOwnWorks",
            Action::ReadAssetRecord => "ReadAssetRecord",
            Action::ManageResearch => "ManageResearch",
            Action::ManageOwnData => "ManageOwnData",
            Action::ReadResearchExtracts => "ReadResearchExtracts",
            Action::ReadAggregates => "ReadAggregates",
            Action::SignIn => "SignIn",
            Action::ReadSystemHealth => "ReadSystemHealth",
            Action::ConfigureContact => "ConfigureContact",
            Action::ReadContactConfig => "ReadContactConfig",
            Action::HandleInteraction => "HandleInteraction",
            Action::ReadContactReport => "ReadContactReport",
            Action::ManageContactDirectory => "ManageContactDirectory",
        }
    }
}

/// What the action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource<'a> {
    /// One access point, by EAN.
    AccessPoint {
        /// The access point's EAN.
        ean: &'a str,
    },
    /// The journal as a whole.
    Journal,
    /// The register as a whole.
    Register,
    /// The installation: tokens and settings.
    Installation,
    /// One market scenario; `own` when the asking party started it. Only that matters to a
    /// decision, so the scenario's other facts never reach the policy.
    Scenario {
        /// Whether the asking party is its initiator.
        own: bool,
    },
    /// The kind of a scenario in progress that met the asking party's request (R3).
    ScenarioKind {
        /// The kind, as the domain names it.
        kind: domain::scenario::ScenarioKind,
    },
    /// A message queue; `own` when it is the asking party's.
    Queue {
        /// Whether the queue is the asking party's own.
        own: bool,
    },
    /// The metering data as a whole.
    Metering,
    /// A reader's route; `own` when the access point asked about is on the asking reader's
    /// route in the current window (or, for the route itself, when it is the reader's own).
    Route {
        /// Whether the route is the asking reader's own, holding the point asked about.
        own: bool,
    },
    /// The producer connection queues as a whole.
    Connections,
    /// The customer works requests as a whole.
    Works,
    /// Research, consents and exports as a whole.
    Research,
    /// The contact center as a whole: its configuration.
    ContactCenter,
    /// One principal of the contact center. Only whether the asking party is one of its
    /// operators, and one of its supervisors, may decide (R12): the principal's id, its
    /// directory and its cases never reach the policy.
    ContactPrincipal {
        /// Whether the asking party is an operator of this principal.
        operator: bool,
        /// Whether the asking party is a supervisor of this principal.
        supervisor: bool,
    },
}

impl Resource<'_> {
    /// Which kind of resource this is.
    pub fn kind(&self) -> ResourceKind {
        match self {
            Resource::AccessPoint { .. } => ResourceKind::AccessPoint,
            Resource::Journal => ResourceKind::Journal,
            Resource::Register => ResourceKind::Register,
            Resource::Installation => ResourceKind::Installation,
            Resource::Scenario { .. } => ResourceKind::Scenario,
            Resource::ScenarioKind { .. } => ResourceKind::ScenarioKind,
            Resource::Queue { .. } => ResourceKind::Queue,
            Resource::Metering => ResourceKind::Metering,
            Resource::Connections => ResourceKind::Connections,
            Resource::Works => ResourceKind::Works,
            Resource::Research => ResourceKind::Research,
            Resource::Route { .. } => ResourceKind::Route,
            Resource::ContactCenter => ResourceKind::ContactCenter,
            Resource::ContactPrincipal { .. } => ResourceKind::ContactPrincipal,
        }
    }

    /// Where the answer about this resource is remembered among an action's answers: what
    /// of the resource itself a decision can depend on when no policy names a party or an
    /// access point. Its type (an action may apply to two: `WriteRegister` to an access point
    /// and to the register, which different policies decide), whether it is the asker's own,
    /// and a scenario kind, a fixed enum the R3 policies name.
    fn memo_slot(&self) -> usize {
        match self {
            Resource::AccessPoint { .. } => 0,
            Resource::Journal => 1,
            Resource::Register => 2,
            Resource::Installation => 3,
            Resource::Scenario { own } => 4 + usize::from(*own),
            Resource::Queue { own } => 6 + usize::from(*own),
            Resource::Metering => 8,
            Resource::Route { own } => 9 + usize::from(*own),
            Resource::Connections => 11,
            Resource::Works => 12,
            Resource::Research => 13,
            Resource::ContactCenter => 14,
            Resource::ContactPrincipal { operator, supervisor } => {
                15 + usize::from(*operator) + 2 * usize::from(*supervisor)
            }
            Resource::ScenarioKind { kind } => {
                19 + domain::scenario::ScenarioKind::ALL.iter().position(|k| k == kind).unwrap_or(0)
            }
        }
    }
}

/// What the store knows of the principal on this resource: its own periods.
///
/// Only the principal's own rights matter to a decision, so the store loads these few
/// periods rather than the access point's whole history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The principal's accepted registrations on the access point, as supplier.
    pub registrations: Vec<Period>,
    /// The principal's occupancies of the access point, as network user.
    pub occupancies: Vec<Period>,
    /// What customers' written mandates give the principal on the access point, for the
    /// action's data scope: each mandate's period within the mandating customer's
    /// occupancies (R5). Read only for the roles whose policies reveal mandates
    /// ([`Policy::uses_mandates`]).
    pub mandates: Vec<Period>,
}

/// One authorization question: who, in which role, does what, to what, knowing which facts.
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    /// The acting party's id.
    pub party: &'a str,
    /// The role it acts in, as `domain::Role::as_str` spells it (`"supplier"`, `"auditor"`…).
    /// An unknown role is in no policy's scope and is denied.
    pub role: &'a str,
    /// What it asks to do.
    pub action: Action,
    /// What it asks it of.
    pub resource: Resource<'a>,
    /// Its own periods on the resource.
    pub facts: &'a Facts,
}

/// The answer: whether, why, and what may be seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the action may proceed.
    pub allowed: bool,
    /// The `@id`s of the policies that decided, sorted, for the journal: the permits on an
    /// allow; the forbids on a deny, or [`DEFAULT_DENY`] when nothing permitted, or
    /// [`EVALUATION_ERROR`].
    pub policies: Vec<String>,
    /// What may be seen. Always [`Visible::Nothing`] on a deny. On an allow it may also be
    /// `Nothing`: an action that reveals no register data (the journal head, `@visible("none")`),
    /// or a permit on periods when the facts hold none. `allowed` stays true then, because the
    /// action itself is permitted; the caller clips to nothing.
    pub visible: Visible,
}

impl Decision {
    fn denied(policies: Vec<String>) -> Decision {
        Decision { allowed: false, policies, visible: Visible::Nothing }
    }
}

impl Policy {
    /// The policies under `policies/` as they were when this binary was built.
    pub fn embedded() -> Result<Policy, PolicyError> {
        let source = |(file, text): (&str, &str)| Source { file: PathBuf::from(file), text: text.to_owned() };
        let schema = source(EMBEDDED_SCHEMA);
        let files: Vec<Source> = EMBEDDED_POLICIES.into_iter().map(source).collect();
        Policy::build(&schema, &files)
    }

    /// The policies of a directory: `cloison.cedarschema` and every `*.cedar` file in it.
    pub fn load(dir: &Path) -> Result<Policy, PolicyError> {
        let (schema, files) = load::read_dir(dir)?;
        Policy::build(&schema, &files)
    }

    fn build(schema: &Source, files: &[Source]) -> Result<Policy, PolicyError> {
        let loaded = load::load(schema, files)?;
        let name = |text: &str| -> Result<cedar::EntityTypeName, PolicyError> {
            text.parse().map_err(|e: cedar::ParseErrors| PolicyError::Schema {
                file: schema.file.clone(),
                diagnostic: format!("entity type {text}: {e}"),
            })
        };
        let party_type = name("Cloison::Party")?;
        let role_type = name("Cloison::Role")?;
        let access_point_type = name("Cloison::AccessPoint")?;
        let scenario_type = name("Cloison::Scenario")?;
        let scenario_kind_type = name("Cloison::ScenarioKind")?;
        let queue_type = name("Cloison::Queue")?;
        let route_type = name("Cloison::Route")?;
        let contact_principal_type = name("Cloison::ContactPrincipal")?;
        let singleton = |type_name: &str, id: &str| -> Result<cedar::EntityUid, PolicyError> {
            Ok(cedar::EntityUid::from_type_name_and_id(name(type_name)?, cedar::EntityId::new(id)))
        };
        let journal = singleton("Cloison::Journal", "journal")?;
        let register = singleton("Cloison::Register", "register")?;
        let installation = singleton("Cloison::Installation", "installation")?;
        let metering = singleton("Cloison::Metering", "metering")?;
        let connections = singleton("Cloison::Connections", "connections")?;
        let works = singleton("Cloison::Works", "works")?;
        let research = singleton("Cloison::Research", "research")?;
        let contact_center = singleton("Cloison::ContactCenter", "contact_center")?;
        let action_type = name("Cloison::Action")?;
        let actions = Action::ALL
            .iter()
            .map(|a| {
                cedar::EntityUid::from_type_name_and_id(action_type.clone(), cedar::EntityId::new(a.as_str()))
            })
            .collect::<Vec<_>>();
        let index = actions
            .iter()
            .map(|action| ByRole::build(&loaded.policies, action, &role_type))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| PolicyError::Schema {
                file: schema.file.clone(),
                diagnostic: format!("cannot index the policies by action and role: {e}"),
            })?;
        let memo = Policy::id_blind(
            &loaded.policies,
            [
                &role_type,
                &action_type,
                &scenario_kind_type,
                journal.type_name(),
                register.type_name(),
                installation.type_name(),
                metering.type_name(),
            ],
        )
        .then(|| RwLock::new(HashMap::new()));
        let conditional = index.iter().map(|by_role| by_role.conditional(&loaded.reveals)).collect();
        let mandating = index.iter().map(|by_role| by_role.mandating(&loaded.reveals)).collect();
        Ok(Policy {
            memo,
            all: loaded.policies,
            schema: loaded.schema,
            authorizer: cedar::Authorizer::new(),
            reveals: loaded.reveals,
            index,
            party_type,
            role_type,
            access_point_type,
            scenario_type,
            scenario_kind_type,
            queue_type,
            route_type,
            contact_principal_type,
            journal,
            register,
            installation,
            metering,
            connections,
            works,
            research,
            contact_center,
            conditional,
            mandating,
            actions,
        })
    }

    /// The `@id`s of the loaded policies, sorted.
    pub fn ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.all.policies().map(|p| AsRef::<str>::as_ref(p.id())).collect();
        ids.sort_unstable();
        ids
    }

    /// Whether no policy names an entity whose id varies between questions: every entity
    /// literal in every scope and condition is a role, an action or the journal (whose one id
    /// `decide` always uses). Cedar cannot read an id as text, so two questions that differ
    /// only in the party's or the access point's id then get the same answer, and an answer
    /// can be remembered by role, action and the two memberships. Templates could be linked
    /// to any entity, so a set with one is not id-blind.
    fn id_blind<'a>(
        policies: &cedar::PolicySet,
        fixed: impl IntoIterator<Item = &'a cedar::EntityTypeName>,
    ) -> bool {
        let fixed: Vec<&cedar::EntityTypeName> = fixed.into_iter().collect();
        policies.templates().next().is_none()
            && policies
                .policies()
                .flat_map(cedar::Policy::entity_literals)
                .all(|uid| fixed.contains(&uid.type_name()))
    }

    /// Whether some policy that may apply to `role` on `action` reveals what mandates give
    /// (`@visible("mandates")`): the caller then reads the principal's mandates on the access
    /// point into [`Facts::mandates`]; for every other role it need not (R5).
    pub fn uses_mandates(&self, role: &str, action: Action) -> bool {
        let mandating = &self.mandating[action as usize];
        let scoped = self.index[action as usize].roles.contains_key(role);
        mandating.contains(&if scoped { Some(role.to_owned()) } else { None })
    }

    /// Whether a decision of `action` for `role` can depend on the facts: some policy that
    /// may apply has a condition (`when`, `unless`) beyond its scope, or reveals the
    /// principal's own periods. When none does, the caller may ask with empty facts and save
    /// reading the principal's periods (a write by the register team, say).
    pub fn needs_facts(&self, role: &str, action: Action) -> bool {
        let conditional = &self.conditional[action as usize];
        let scoped = self.index[action as usize].roles.contains_key(role);
        conditional.contains(&if scoped { Some(role.to_owned()) } else { None })
    }

    /// Decides `question`. Never fails: anything Cedar cannot evaluate is a denial (I2).
    pub fn decide(&self, question: &Question<'_>) -> Decision {
        let Some(memo) = &self.memo else {
            return self.decide_uncached(question);
        };
        let slot = memo_slot(question);
        let known = memo
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(question.role)
            .and_then(|answers| answers[slot].clone());
        let verdict = match known {
            Some(verdict) => verdict,
            None => {
                let policies = self.index[question.action as usize].for_role(question.role);
                let verdict = self.verdict(question, policies);
                let mut memo = memo.write().unwrap_or_else(PoisonError::into_inner);
                if let Some(answers) = memo.get_mut(question.role) {
                    answers[slot] = Some(verdict.clone());
                } else if memo.len() < MEMO_ROLES {
                    let mut answers: Answers = vec![None; MEMO_SLOTS].into_boxed_slice();
                    answers[slot] = Some(verdict.clone());
                    memo.insert(question.role.to_owned(), answers);
                }
                verdict
            }
        };
        self.decision(verdict, question.facts)
    }

    /// Decides `question` by asking Cedar, whether or not the answer is remembered.
    fn decide_uncached(&self, question: &Question<'_>) -> Decision {
        self.decide_among(question, self.index[question.action as usize].for_role(question.role))
    }

    /// Decides `question` with only `policies` in force.
    fn decide_among(&self, question: &Question<'_>, policies: &cedar::PolicySet) -> Decision {
        self.decision(self.verdict(question, policies), question.facts)
    }

    fn decision(&self, verdict: Verdict, facts: &Facts) -> Decision {
        if !verdict.allowed {
            return Decision::denied(verdict.policies);
        }
        let visible = self.visible(&verdict.policies, facts);
        Decision { allowed: verdict.allowed, policies: verdict.policies, visible }
    }

    /// Cedar's answer to `question` with only `policies` in force.
    fn verdict(&self, question: &Question<'_>, policies: &cedar::PolicySet) -> Verdict {
        let denied = |policies: Vec<String>| Verdict { allowed: false, policies };
        let Some((request, entities)) = self.request(question, false) else {
            return denied(vec![EVALUATION_ERROR.to_owned()]);
        };
        let response = self.authorizer.is_authorized(&request, policies, &entities);
        let diagnostics = response.diagnostics();
        // Cedar skips a policy that errs; a forbid that errs would then not forbid. Fail closed.
        if diagnostics.errors().next().is_some() {
            return denied(vec![EVALUATION_ERROR.to_owned()]);
        }
        let mut policies: Vec<String> = diagnostics.reason().map(ToString::to_string).collect();
        policies.sort_unstable();
        if response.decision() == cedar::Decision::Deny {
            if policies.is_empty() {
                policies.push(DEFAULT_DENY.to_owned());
            }
            return denied(policies);
        }
        Verdict { allowed: response.decision() == cedar::Decision::Allow, policies }
    }

    /// The union of what the permitting policies reveal; "all" wins.
    fn visible(&self, permits: &[String], facts: &Facts) -> Visible {
        let mut registrations = false;
        let mut occupancies = false;
        let mut mandates = false;
        for id in permits {
            // Every loaded policy has a reveal; an unknown id reveals nothing (fail closed).
            match self.reveals.get(id).copied().unwrap_or(Reveal::Nothing) {
                Reveal::All => return Visible::All,
                Reveal::Registrations => registrations = true,
                Reveal::Occupancies => occupancies = true,
                Reveal::Mandates => mandates = true,
                Reveal::Nothing => {}
            }
        }
        let registrations = facts.registrations.iter().filter(|_| registrations);
        let occupancies = facts.occupancies.iter().filter(|_| occupancies);
        let mandates = facts.mandates.iter().filter(|_| mandates);
        Visible::from_periods(registrations.chain(occupancies).chain(mandates).copied())
    }

    /// The Cedar request and the two entities it needs, built directly (no JSON): the principal,
    /// member of its role and nothing else, and the resource. With `conform`, the request and
    /// the entities are checked against the schema; the tests do, `decide` does not pay for it
    /// on every call: this code is their only producer, and the one thing a question can get
    /// wrong, an action asked of the wrong kind of resource, is checked here in Rust.
    fn request(&self, question: &Question<'_>, conform: bool) -> Option<(cedar::Request, cedar::Entities)> {
        if !conform && !question.action.applies_to().contains(&question.resource.kind()) {
            return None;
        }
        let principal = cedar::EntityUid::from_type_name_and_id(
            self.party_type.clone(),
            cedar::EntityId::new(question.party),
        );
        let role = cedar::EntityUid::from_type_name_and_id(
            self.role_type.clone(),
            cedar::EntityId::new(question.role),
        );
        let party = cedar::Entity::new_no_attrs(principal.clone(), HashSet::from([role]));
        let (resource, resource_entity) = match question.resource {
            Resource::AccessPoint { ean } => {
                let uid = cedar::EntityUid::from_type_name_and_id(
                    self.access_point_type.clone(),
                    cedar::EntityId::new(ean),
                );
                // Only the principal's membership matters to a decision, so the sets hold the
                // principal or nothing.
                let members = |holds: bool| {
                    cedar::RestrictedExpression::new_set(
                        holds.then(|| cedar::RestrictedExpression::new_entity_uid(principal.clone())),
                    )
                };
                let entity = cedar::Entity::new_with_tags(
                    uid.clone(),
                    [
                        ("suppliers".to_owned(), members(!question.facts.registrations.is_empty())),
                        ("occupants".to_owned(), members(!question.facts.occupancies.is_empty())),
                        ("mandated".to_owned(), members(!question.facts.mandates.is_empty())),
                    ],
                    [],
                    [],
                )
                .ok()?;
                (uid, Some(entity))
            }
            Resource::Scenario { own } | Resource::Queue { own } | Resource::Route { own } => {
                let (type_name, attribute) = match question.resource {
                    Resource::Scenario { .. } => (&self.scenario_type, "initiators"),
                    Resource::Route { .. } => (&self.route_type, "readers"),
                    _ => (&self.queue_type, "owners"),
                };
                // The entity's id is never the scenario's or the queue's: only whether it
                // is the principal's own may decide.
                let uid =
                    cedar::EntityUid::from_type_name_and_id(type_name.clone(), cedar::EntityId::new("asked"));
                let members = cedar::RestrictedExpression::new_set(
                    own.then(|| cedar::RestrictedExpression::new_entity_uid(principal.clone())),
                );
                let entity =
                    cedar::Entity::new_with_tags(uid.clone(), [(attribute.to_owned(), members)], [], [])
                        .ok()?;
                (uid, Some(entity))
            }
            Resource::ScenarioKind { kind } => {
                let uid = cedar::EntityUid::from_type_name_and_id(
                    self.scenario_kind_type.clone(),
                    cedar::EntityId::new(kind.as_str()),
                );
                // A member of an enum type is known from the schema, not given as an entity
                // (like the principal's role).
                (uid, None)
            }
            Resource::Journal => (
                self.journal.clone(),
                Some(cedar::Entity::new_no_attrs(self.journal.clone(), Default::default())),
            ),
            Resource::Register => (
                self.register.clone(),
                Some(cedar::Entity::new_no_attrs(self.register.clone(), Default::default())),
            ),
            Resource::Installation => (
                self.installation.clone(),
                Some(cedar::Entity::new_no_attrs(self.installation.clone(), Default::default())),
            ),
            Resource::Metering => (
                self.metering.clone(),
                Some(cedar::Entity::new_no_attrs(self.metering.clone(), Default::default())),
            ),
            Resource::Connections => (
                self.connections.clone(),
                Some(cedar::Entity::new_no_attrs(self.connections.clone(), Default::default())),
            ),
            Resource::Works => (
                self.works.clone(),
                Some(cedar::Entity::new_no_attrs(self.works.clone(), Default::default())),
            ),
            Resource::Research => (
                self.research.clone(),
                Some(cedar::Entity::new_no_attrs(self.research.clone(), Default::default())),
            ),
            Resource::ContactCenter => (
                self.contact_center.clone(),
                Some(cedar::Entity::new_no_attrs(self.contact_center.clone(), Default::default())),
            ),
            Resource::ContactPrincipal { operator, supervisor } => {
                // Like a queue: the entity's id is never the principal's, and its sets hold
                // the asking party or nothing.
                let uid = cedar::EntityUid::from_type_name_and_id(
                    self.contact_principal_type.clone(),
                    cedar::EntityId::new("asked"),
                );
                let members = |holds: bool| {
                    cedar::RestrictedExpression::new_set(
                        holds.then(|| cedar::RestrictedExpression::new_entity_uid(principal.clone())),
                    )
                };
                let entity = cedar::Entity::new_with_tags(
                    uid.clone(),
                    [
                        ("operators".to_owned(), members(operator)),
                        ("supervisors".to_owned(), members(supervisor)),
                    ],
                    [],
                    [],
                )
                .ok()?;
                (uid, Some(entity))
            }
        };
        let schema = conform.then_some(&self.schema);
        let entities =
            cedar::Entities::from_entities(std::iter::once(party).chain(resource_entity), schema).ok()?;
        let action = self.actions[question.action as usize].clone();
        let request =
            cedar::Request::new(principal, action, resource, cedar::Context::empty(), schema).ok()?;
        Some((request, entities))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("test timestamp")
    }

    fn period(from: &str, to: Option<&str>) -> Period {
        Period::new(ts(from), to.map(ts)).expect("test period is non-empty")
    }

    /// Every role, as the domain spells them.
    fn roles() -> [&'static str; 14] {
        domain::Role::ALL.map(domain::Role::as_str)
    }

    /// Three registrations, two of them touching: visible as two merged periods.
    fn registered() -> Facts {
        Facts {
            registrations: vec![
                period("2024-03-01T00:00:00Z", Some("2024-05-01T00:00:00Z")),
                period("2024-01-01T00:00:00Z", Some("2024-03-01T00:00:00Z")),
                period("2024-07-01T00:00:00Z", None),
            ],
            occupancies: vec![],
            mandates: vec![],
        }
    }

    fn registered_visible() -> Visible {
        Visible::Periods(vec![
            period("2024-01-01T00:00:00Z", Some("2024-05-01T00:00:00Z")),
            period("2024-07-01T00:00:00Z", None),
        ])
    }

    fn occupying() -> Facts {
        Facts {
            registrations: vec![],
            occupancies: vec![period("2023-06-01T00:00:00Z", Some("2024-02-01T00:00:00Z"))],
            mandates: vec![],
        }
    }

    /// A customer's mandate on the access point, as the store gives it: already within that
    /// customer's occupancy.
    fn mandated() -> Facts {
        Facts {
            registrations: vec![],
            occupancies: vec![],
            mandates: vec![period("2023-09-01T00:00:00Z", Some("2024-01-01T00:00:00Z"))],
        }
    }

    fn mandated_visible() -> Visible {
        Visible::Periods(mandated().mandates)
    }

    fn occupying_visible() -> Visible {
        Visible::Periods(occupying().occupancies)
    }

    /// Registered and occupying: what support or a third party would claim, to no avail.
    fn both() -> Facts {
        Facts {
            registrations: registered().registrations,
            occupancies: occupying().occupancies,
            mandates: vec![],
        }
    }

    fn resource_for(action: Action) -> Resource<'static> {
        match action.applies_to()[0] {
            ResourceKind::AccessPoint => Resource::AccessPoint { ean: "541448820000000017" },
            ResourceKind::Journal => Resource::Journal,
            ResourceKind::Register => Resource::Register,
            ResourceKind::Installation => Resource::Installation,
            ResourceKind::Scenario => Resource::Scenario { own: true },
            ResourceKind::ScenarioKind => {
                Resource::ScenarioKind { kind: domain::scenario::ScenarioKind::Drop }
            }
            ResourceKind::Queue => Resource::Queue { own: true },
            ResourceKind::Metering => Resource::Metering,
            ResourceKind::Route => Resource::Route { own: true },
            ResourceKind::Connections => Resource::Connections,
            ResourceKind::Works => Resource::Works,
            ResourceKind::Research => Resource::Research,
            ResourceKind::ContactCenter => Resource::ContactCenter,
            ResourceKind::ContactPrincipal => Resource::ContactPrincipal { operator: true, supervisor: true },
        }
    }

    /// Every resource a question can name, each variant of the market's resources included.
    fn every_resource() -> Vec<Resource<'static>> {
        let mut all = vec![
            Resource::AccessPoint { ean: "541448820000000017" },
            Resource::Journal,
            Resource::Register,
            Resource::Installation,
            Resource::Metering,
            Resource::Connections,
            Resource::Works,
            Resource::Research,
            Resource::ContactCenter,
        ];
        for own in [false, true] {
            all.push(Resource::ContactPrincipal { operator: own, supervisor: false });
            all.push(Resource::ContactPrincipal { operator: own, supervisor: true });
            all.push(Resource::Scenario { own });
            all.push(Resource::Queue { own });
            all.push(Resource::Route { own });
        }
        all.extend(domain::scenario::ScenarioKind::ALL.map(|kind| Resource::ScenarioKind { kind }));
        all
    }

    fn ask(policy: &Policy, role: &str, action: Action, facts: &Facts) -> Decision {
        ask_of(policy, role, action, resource_for(action), facts)
    }

    fn ask_of(
        policy: &Policy,
        role: &str,
        action: Action,
        resource: Resource<'_>,
        facts: &Facts,
    ) -> Decision {
        let question = Question { party: "party-1", role, action, resource, facts };
        policy.decide(&question)
    }

    fn check(
        policy: &Policy,
        role: &str,
        action: Action,
        facts: &Facts,
        expected_allowed: bool,
        expected_visible: Visible,
    ) {
        check_of(policy, role, action, resource_for(action), facts, expected_allowed, expected_visible);
    }

    fn check_of(
        policy: &Policy,
        role: &str,
        action: Action,
        resource: Resource<'_>,
        facts: &Facts,
        expected_allowed: bool,
        expected_visible: Visible,
    ) {
        let decision = ask_of(policy, role, action, resource, facts);
        assert_eq!(
            (decision.allowed, &decision.visible),
            (expected_allowed, &expected_visible),
            "{role} {action:?} on {resource:?} with {facts:?}: {decision:?}"
        );
        assert!(!decision.policies.is_empty(), "{role} {action:?}: a decision always names its reason");
        if !decision.allowed {
            assert_eq!(decision.visible, Visible::Nothing, "a denial shows nothing");
        }
    }

    fn embedded() -> Policy {
        Policy::embedded().expect("the shipped policies load")
    }

    #[test]
    fn every_role_and_action_decides_as_the_actor_table_says() {
        use Action::*;
        use Visible::{All, Nothing};
        let policy = embedded();
        let none = Facts::default();
        let deny = (false, Nothing);
        #[rustfmt::skip]
        let rows: Vec<(&str, Action, Facts, (bool, Visible))> = vec![
            // R1, R2: a supplier sees only inside its registrations, nothing without one.
            ("supplier", ReadAccessPoint, registered(), (true, registered_visible())),
            ("supplier", ReadHistory, registered(), (true, registered_visible())),
            ("supplier", ReadAccessPoint, none.clone(), deny.clone()),
            ("supplier", ReadHistory, none.clone(), deny.clone()),
            ("supplier", ReadAccessPoint, occupying(), deny.clone()),
            ("supplier", ReadHistory, both(), (true, registered_visible())),
            ("supplier", WriteRegister, registered(), deny.clone()),
            ("supplier", ReadJournalHead, none.clone(), (true, Nothing)),
            ("supplier", ReadJournalEntries, registered(), deny.clone()),
            ("supplier", ReadOwnAccessLog, both(), deny.clone()),
            ("supplier", ReadAccessLog, both(), deny.clone()),
            // R4: a customer sees inside their occupancies, and who accessed that data.
            ("customer", ReadAccessPoint, occupying(), (true, occupying_visible())),
            ("customer", ReadHistory, occupying(), (true, occupying_visible())),
            ("customer", ReadAccessPoint, none.clone(), deny.clone()),
            ("customer", ReadHistory, registered(), deny.clone()),
            ("customer", ReadAccessPoint, both(), (true, occupying_visible())),
            ("customer", WriteRegister, occupying(), deny.clone()),
            ("customer", ReadJournalHead, none.clone(), (true, Nothing)),
            ("customer", ReadJournalEntries, occupying(), deny.clone()),
            ("customer", ReadOwnAccessLog, occupying(), (true, occupying_visible())),
            ("customer", ReadOwnAccessLog, none.clone(), deny.clone()),
            ("customer", ReadAccessLog, none.clone(), (true, Nothing)),
            // R5 not yet: a third party gets nothing, whatever the facts.
            ("third_party", ReadAccessPoint, both(), deny.clone()),
            ("third_party", ReadHistory, both(), deny.clone()),
            ("third_party", WriteRegister, both(), deny.clone()),
            ("third_party", ReadJournalHead, none.clone(), (true, Nothing)),
            ("third_party", ReadJournalEntries, both(), deny.clone()),
            ("third_party", ReadOwnAccessLog, both(), deny.clone()),
            ("third_party", ReadAccessLog, both(), deny.clone()),
            // R6: the register team keeps the register.
            ("register_staff", ReadAccessPoint, none.clone(), (true, All)),
            ("register_staff", ReadHistory, none.clone(), (true, All)),
            ("register_staff", WriteRegister, none.clone(), (true, All)),
            ("register_staff", ReadJournalHead, none.clone(), (true, Nothing)),
            ("register_staff", ReadJournalEntries, none.clone(), deny.clone()),
            ("register_staff", ReadOwnAccessLog, both(), deny.clone()),
            ("register_staff", ReadAccessLog, both(), deny.clone()),
            // R6: metering reads the register, does not change it.
            ("metering_staff", ReadAccessPoint, none.clone(), (true, All)),
            ("metering_staff", ReadHistory, none.clone(), (true, All)),
            ("metering_staff", WriteRegister, none.clone(), deny.clone()),
            ("metering_staff", ReadJournalHead, none.clone(), (true, Nothing)),
            ("metering_staff", ReadJournalEntries, none.clone(), deny.clone()),
            ("metering_staff", ReadOwnAccessLog, both(), deny.clone()),
            ("metering_staff", ReadAccessLog, both(), deny.clone()),
            // R6: the call center reads only.
            ("call_center", ReadAccessPoint, none.clone(), (true, All)),
            ("call_center", ReadHistory, none.clone(), (true, All)),
            ("call_center", WriteRegister, none.clone(), deny.clone()),
            ("call_center", ReadJournalHead, none.clone(), (true, Nothing)),
            ("call_center", ReadJournalEntries, none.clone(), deny.clone()),
            ("call_center", ReadOwnAccessLog, both(), deny.clone()),
            ("call_center", ReadAccessLog, both(), deny.clone()),
            // Chapter II: the ethics committee reads everything, the journal too, writes nothing.
            ("auditor", ReadAccessPoint, none.clone(), (true, All)),
            ("auditor", ReadHistory, none.clone(), (true, All)),
            ("auditor", WriteRegister, none.clone(), deny.clone()),
            ("auditor", ReadJournalHead, none.clone(), (true, Nothing)),
            ("auditor", ReadJournalEntries, none.clone(), (true, All)),
            ("auditor", ReadOwnAccessLog, both(), deny.clone()),
            ("auditor", ReadAccessLog, both(), deny.clone()),
            // R10: support sees no data, even where the facts say it is registered.
            ("support", ReadAccessPoint, both(), deny.clone()),
            ("support", ReadHistory, both(), deny.clone()),
            ("support", WriteRegister, both(), deny.clone()),
            ("support", ReadJournalHead, none.clone(), (true, Nothing)),
            ("support", ReadJournalEntries, both(), deny.clone()),
            ("support", ReadOwnAccessLog, both(), deny.clone()),
            ("support", ReadAccessLog, both(), deny.clone()),
            // R14 not yet: a researcher gets no individual data.
            ("researcher", ReadAccessPoint, both(), deny.clone()),
            ("researcher", ReadHistory, both(), deny.clone()),
            ("researcher", WriteRegister, both(), deny.clone()),
            ("researcher", ReadJournalHead, none.clone(), (true, Nothing)),
            // R9: a meter reader has a route, not the register nor anyone's consumption.
            ("meter_reader", ReadAccessPoint, both(), deny.clone()),
            ("meter_reader", ReadHistory, both(), deny.clone()),
            ("meter_reader", WriteRegister, both(), deny.clone()),
            ("meter_reader", ReadJournalHead, none.clone(), (true, Nothing)),
            ("meter_reader", ReadJournalEntries, both(), deny.clone()),
            ("meter_reader", ReadOwnAccessLog, both(), deny.clone()),
            ("meter_reader", ReadAccessLog, both(), deny.clone()),
            ("meter_reader", ReadConsumption, both(), deny.clone()),
            // R15: the connections team runs the producer queue, and sees no register,
            // consumption or journal.
            ("connection_staff", ReadAccessPoint, both(), deny.clone()),
            ("connection_staff", ReadHistory, both(), deny.clone()),
            ("connection_staff", WriteRegister, both(), deny.clone()),
            ("connection_staff", ReadJournalHead, none.clone(), (true, Nothing)),
            ("connection_staff", ReadJournalEntries, both(), deny.clone()),
            ("connection_staff", ReadOwnAccessLog, both(), deny.clone()),
            ("connection_staff", ReadAccessLog, both(), deny.clone()),
            ("connection_staff", ReadConsumption, both(), deny.clone()),
            // R13: the customer works team keeps its requests, and sees no register,
            // consumption or journal.
            ("works_staff", ReadAccessPoint, both(), deny.clone()),
            ("works_staff", ReadHistory, both(), deny.clone()),
            ("works_staff", WriteRegister, both(), deny.clone()),
            ("works_staff", ReadJournalHead, none.clone(), (true, Nothing)),
            ("works_staff", ReadJournalEntries, both(), deny.clone()),
            ("works_staff", ReadOwnAccessLog, both(), deny.clone()),
            ("works_staff", ReadAccessLog, both(), deny.clone()),
            ("works_staff", ReadConsumption, both(), deny.clone()),
            // R14: the data protection office handles consents and extracts, and sees no
            // register, consumption or journal of its own accord.
            ("privacy_staff", ReadAccessPoint, both(), deny.clone()),
            ("privacy_staff", ReadHistory, both(), deny.clone()),
            ("privacy_staff", WriteRegister, both(), deny.clone()),
            ("privacy_staff", ReadJournalHead, none.clone(), (true, Nothing)),
            ("privacy_staff", ReadJournalEntries, both(), deny.clone()),
            ("privacy_staff", ReadOwnAccessLog, both(), deny.clone()),
            ("privacy_staff", ReadAccessLog, both(), deny.clone()),
            ("privacy_staff", ReadConsumption, both(), deny.clone()),
            ("researcher", ReadJournalEntries, both(), deny.clone()),
            ("researcher", ReadOwnAccessLog, both(), deny.clone()),
            ("researcher", ReadAccessLog, both(), deny.clone()),
            // Batch work started by an operator.
            ("system", ReadAccessPoint, none.clone(), (true, All)),
            ("system", ReadHistory, none.clone(), (true, All)),
            ("system", WriteRegister, none.clone(), (true, All)),
            ("system", ReadJournalHead, none.clone(), (true, Nothing)),
            ("system", ReadJournalEntries, none.clone(), (true, All)),
            ("system", ReadOwnAccessLog, both(), deny.clone()),
            ("system", ReadAccessLog, both(), deny.clone()),
            // Metering data (R1, R4, R6, R10): clipped like the register, written by the
            // metering team and batch work only.
            ("supplier", ReadConsumption, registered(), (true, registered_visible())),
            ("supplier", ReadConsumption, occupying(), deny.clone()),
            ("supplier", ReadConsumption, none.clone(), deny.clone()),
            ("customer", ReadConsumption, occupying(), (true, occupying_visible())),
            ("customer", ReadConsumption, registered(), deny.clone()),
            ("customer", ReadConsumption, both(), (true, occupying_visible())),
            ("third_party", ReadConsumption, both(), deny.clone()),
            ("register_staff", ReadConsumption, both(), deny.clone()),
            ("metering_staff", ReadConsumption, none.clone(), (true, All)),
            ("call_center", ReadConsumption, none.clone(), (true, All)),
            ("auditor", ReadConsumption, none.clone(), (true, All)),
            ("support", ReadConsumption, both(), deny.clone()),
            ("researcher", ReadConsumption, both(), deny.clone()),
            ("system", ReadConsumption, none.clone(), (true, All)),
            // Written mandates (R5): a third party, or a supplier for a point it does not
            // supply, sees what the mandate names and only its periods; nobody else gains
            // anything from one.
            ("third_party", ReadAccessPoint, mandated(), (true, mandated_visible())),
            ("third_party", ReadHistory, mandated(), deny.clone()),
            ("third_party", ReadConsumption, mandated(), (true, mandated_visible())),
            ("third_party", WriteRegister, mandated(), deny.clone()),
            ("third_party", ReadOwnAccessLog, mandated(), deny.clone()),
            ("supplier", ReadAccessPoint, mandated(), (true, mandated_visible())),
            ("supplier", ReadConsumption, mandated(), (true, mandated_visible())),
            ("customer", ReadAccessPoint, mandated(), deny.clone()),
            ("customer", ReadConsumption, mandated(), deny.clone()),
            ("support", ReadAccessPoint, mandated(), deny.clone()),
            ("researcher", ReadConsumption, mandated(), deny.clone()),
            // A role nobody wrote a policy for.
            ("root", ReadAccessPoint, both(), deny.clone()),
            ("root", WriteRegister, both(), deny.clone()),
            ("root", ManageTokens, both(), deny.clone()),
        ];
        // The register-wide and installation actions: who may, and what a permit reveals;
        // every other role is denied.
        const STAFF_AND_SYSTEM: [&str; 10] = [
            "register_staff",
            "metering_staff",
            "meter_reader",
            "connection_staff",
            "works_staff",
            "privacy_staff",
            "call_center",
            "auditor",
            "support",
            "system",
        ];
        #[rustfmt::skip]
        let granted: [(Action, &[&str], Visible); 31] = [
            (ReadRegisterSummary, &["register_staff", "metering_staff", "auditor", "system"], All),
            (ReadRegisterSummary, &["support"], Nothing),
            (ListAccessPoints, &["register_staff", "metering_staff", "auditor", "system"], All),
            (ReadOwnIdentity, &roles(), Nothing),
            (WriteJournalNote, &["system", "support"], Nothing),
            (SignCheckpoint, &["system", "support"], Nothing),
            (ManageTokens, &["system"], Nothing),
            (ReadSetting, &["system", "support"], Nothing),
            (WriteSetting, &["system", "support"], Nothing),
            (WriteReadings, &["metering_staff", "system"], Nothing),
            (ValidateReadings, &["metering_staff", "system"], Nothing),
            (AssignRoutes, &["metering_staff", "system"], Nothing),
            (ManageAccess, &["system"], Nothing),
            (ReviewAccess, &["system", "auditor"], Nothing),
            (ManageMandates, &["register_staff", "system"], Nothing),
            (ReviewMandates, &["register_staff", "system", "auditor"], Nothing),
            (OpenBreakGlass, &["support"], Nothing),
            (RequestAccess, &STAFF_AND_SYSTEM, Nothing),
            (DecideAccessRequest, &STAFF_AND_SYSTEM, Nothing),
            (ManageConnections, &["connection_staff", "system"], Nothing),
            (ReviewConnections, &["connection_staff", "system", "auditor"], Nothing),
            (ReadOwnConnections, &["customer"], Nothing),
            (ManageWorks, &["works_staff", "system"], Nothing),
            (ReadOwnWorks, &["customer", "third_party", "supplier"], Nothing),
            (ReadAssetRecord, &["works_staff", "system"], Nothing),
            (ManageResearch, &["privacy_staff", "system"], Nothing),
            (ManageOwnData, &["customer"], Nothing),
            (ReadResearchExtracts, &["researcher"], Nothing),
            (ReadAggregates, &roles(), Nothing),
            (SignIn, &roles(), Nothing),
            (ReadSystemHealth, &["support", "auditor"], Nothing),
        ];
        let mut rows = rows;
        for action in [
            ReadRegisterSummary,
            ListAccessPoints,
            ReadOwnIdentity,
            WriteJournalNote,
            SignCheckpoint,
            ManageTokens,
            ReadSetting,
            WriteSetting,
            WriteReadings,
            ValidateReadings,
            AssignRoutes,
            ManageAccess,
            ReviewAccess,
            ManageMandates,
            ReviewMandates,
            OpenBreakGlass,
            RequestAccess,
            DecideAccessRequest,
            ManageConnections,
            ReviewConnections,
            ReadOwnConnections,
            ManageWorks,
            ReadOwnWorks,
            ReadAssetRecord,
            ManageResearch,
            ManageOwnData,
            ReadResearchExtracts,
            ReadAggregates,
            SignIn,
            ReadSystemHealth,
        ] {
            for role in roles() {
                let answer = granted
                    .iter()
                    .find(|(a, roles, _)| *a == action && roles.contains(&role))
                    .map_or(deny.clone(), |(.., visible)| (true, visible.clone()));
                rows.push((role, action, both(), answer));
            }
        }
        for (role, action, facts, (allowed, visible)) in &rows {
            check(&policy, role, *action, facts, *allowed, visible.clone());
        }
        // The market (R1, R2, R3, R6): who may, on which variant of the resource.
        let market = |role: &str, action: Action, resource: Resource<'_>| -> (bool, Visible) {
            let dso = ["register_staff", "system"].contains(&role);
            let supplier = role == "supplier";
            let seen = if dso { All } else { Nothing };
            let allowed = match (action, resource) {
                (StartScenario, _) => dso || supplier,
                (ReadScenario | CancelScenario, Resource::Scenario { own }) => dso || (supplier && own),
                (ReportPlacement | RunMarketDay, _) => dso,
                (PeekMessages | AcknowledgeMessage, Resource::Queue { own }) => dso || (supplier && own),
                (SendMessage, _) => role == "system",
                // R9: a reader's own route only; the metering team plans every route.
                (ReadRoute, Resource::Route { own }) => {
                    role == "metering_staff" || (role == "meter_reader" && own)
                }
                (WriteRouteReading, Resource::Route { own }) => role == "meter_reader" && own,
                // R3: a genuine end of contract and the two kinds it masks are told as an end
                // of contract, to anyone; any other kind is not told at all.
                (LearnScenarioInProgress, Resource::ScenarioKind { kind }) => {
                    domain::scenario::told_to_competitor(kind).is_some()
                }
                _ => false,
            };
            let visible = if [LearnScenarioInProgress, ReadRoute, WriteRouteReading].contains(&action) {
                Nothing
            } else {
                seen
            };
            if allowed { (true, visible) } else { deny.clone() }
        };
        let mut covered: Vec<(&str, Action)> = Vec::new();
        // The actions the table above does not name are the market's.
        let contact = [
            ConfigureContact,
            ReadContactConfig,
            HandleInteraction,
            ReadContactReport,
            ManageContactDirectory,
        ];
        let market_actions: Vec<Action> = Action::ALL
            .into_iter()
            .filter(|a| !rows.iter().any(|(_, x, ..)| x == a) && !contact.contains(a))
            .collect();
        assert_eq!(market_actions.len(), 11, "{market_actions:?}");
        // The contact center (R12): an operator handles only the principals it serves, a
        // supervisor reads only its own principal's reports and loads only its directory;
        // support configures, the ethics committee reads; nobody else touches it.
        for role in roles().into_iter().chain(["root"]) {
            for action in contact {
                for resource in
                    every_resource().into_iter().filter(|r| action.applies_to().contains(&r.kind()))
                {
                    let (operator, supervisor) = match resource {
                        Resource::ContactPrincipal { operator, supervisor } => (operator, supervisor),
                        _ => (false, false),
                    };
                    let allowed = match (role, action) {
                        ("support", ConfigureContact | ReadContactConfig) => true,
                        ("auditor", ReadContactConfig | ReadContactReport) => true,
                        ("system", _) => true,
                        ("call_center", HandleInteraction) => operator,
                        ("call_center", ReadContactReport | ManageContactDirectory) => supervisor,
                        _ => false,
                    };
                    check_of(&policy, role, action, resource, &both(), allowed, Nothing);
                }
                covered.push((role, action));
            }
        }
        for role in roles().into_iter().chain(["root"]) {
            for action in market_actions.iter().copied() {
                for resource in
                    every_resource().into_iter().filter(|r| action.applies_to().contains(&r.kind()))
                {
                    let (allowed, visible) = market(role, action, resource);
                    check_of(&policy, role, action, resource, &both(), allowed, visible);
                }
                covered.push((role, action));
            }
        }
        for role in roles() {
            for action in Action::ALL {
                assert!(
                    rows.iter().any(|(r, a, ..)| *r == role && *a == action)
                        || covered.contains(&(role, action)),
                    "the table misses {role} {action:?}"
                );
            }
        }
    }

    #[test]
    fn decisions_name_the_deciding_policies() {
        let policy = embedded();
        let none = Facts::default();
        let ids = |role, action, facts: &Facts| ask(&policy, role, action, facts).policies;
        assert_eq!(ids("supplier", Action::ReadHistory, &registered()), ["supplier-reads-own-registrations"]);
        assert_eq!(ids("supplier", Action::ReadHistory, &none), [DEFAULT_DENY]);
        assert_eq!(ids("support", Action::ReadAccessPoint, &both()), ["support-sees-no-register-data"]);
        assert_eq!(ids("support", Action::ReadJournalEntries, &none), ["support-reads-no-journal-entries"]);
        assert_eq!(ids("auditor", Action::WriteRegister, &none), ["auditor-changes-nothing"]);
        assert_eq!(ids("support", Action::ReadJournalHead, &none), ["anyone-reads-journal-head"]);
        assert_eq!(ids("customer", Action::ReadAccessLog, &none), ["customer-asks-for-access-log"]);
        assert_eq!(ids("supplier", Action::ReadAccessLog, &registered()), [DEFAULT_DENY]);
    }

    #[test]
    fn remembered_answers_are_cedars_answers() {
        let policy = embedded();
        assert!(policy.memo.is_some(), "the shipped policies name no party or access point");
        // Twice over, so the second round answers from the memo.
        for round in 0..2 {
            for role in roles().into_iter().chain(["root"]) {
                for action in Action::ALL {
                    for facts in [Facts::default(), registered(), occupying(), both()] {
                        for (party, ean) in
                            [("party-1", "541448820000000017"), ("party-2", "541448820000000024")]
                        {
                            for resource in every_resource() {
                                let resource = match resource {
                                    Resource::AccessPoint { .. } => Resource::AccessPoint { ean },
                                    other => other,
                                };
                                if !action.applies_to().contains(&resource.kind()) {
                                    continue;
                                }
                                let question = Question { party, role, action, resource, facts: &facts };
                                assert_eq!(
                                    policy.decide(&question),
                                    policy.decide_uncached(&question),
                                    "round {round}: {role} {action:?} {resource:?} {facts:?} {party} {ean}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_policy_naming_a_party_is_asked_every_time() {
        let (_dir, loaded) = load_with(
            r#"@id("p1-reads") @visible("all")
            permit (principal == Cloison::Party::"p1", action == Cloison::Action::"ReadAccessPoint", resource);"#,
        );
        let policy = loaded.expect("the policy loads");
        assert!(policy.memo.is_none(), "answers now depend on the party's id");
        let none = Facts::default();
        let ask = |party| {
            let resource = Resource::AccessPoint { ean: "541448820000000017" };
            let question =
                Question { party, role: "supplier", action: Action::ReadAccessPoint, resource, facts: &none };
            policy.decide(&question).allowed
        };
        assert!(ask("p1"));
        assert!(!ask("p2"));
        assert!(ask("p1"));
    }

    #[test]
    fn the_index_decides_as_the_whole_policy_set() {
        let policy = embedded();
        for role in roles().into_iter().chain(["root"]) {
            for action in Action::ALL {
                for facts in [Facts::default(), registered(), occupying(), both()] {
                    let question = Question {
                        party: "party-1",
                        role,
                        action,
                        resource: resource_for(action),
                        facts: &facts,
                    };
                    assert_eq!(
                        policy.decide(&question),
                        policy.decide_among(&question, &policy.all),
                        "{role} {action:?} {facts:?}"
                    );
                }
            }
        }
    }

    /// R8: whatever is asked of one access point is labelled personal data, and only the
    /// journal's head and checkpoints are public.
    #[test]
    fn an_access_point_is_never_labelled_below_personal_data() {
        for action in Action::ALL {
            if action.applies_to().contains(&ResourceKind::AccessPoint) {
                assert_eq!(action.confidentiality(), Confidentiality::PersonalData, "{action:?}");
            }
            let public = matches!(action, Action::ReadJournalHead | Action::SignCheckpoint);
            assert_eq!(action.confidentiality() == Confidentiality::Public, public, "{action:?}");
        }
        assert_eq!(Action::PeekMessages.confidentiality(), Confidentiality::PersonalData, "names customers");
        assert_eq!(Action::LearnScenarioInProgress.confidentiality(), Confidentiality::Commercial);
    }

    #[test]
    fn the_resource_of_each_action_agrees_with_the_schema() {
        let policy = embedded();
        let facts = Facts::default();
        for action in Action::ALL {
            for resource in every_resource() {
                let question = Question { party: "p", role: "auditor", action, resource, facts: &facts };
                let expected = action.applies_to().contains(&resource.kind());
                assert_eq!(policy.request(&question, true).is_some(), expected, "{action:?} on {resource:?}");
            }
        }
    }

    #[test]
    fn an_action_asked_of_the_wrong_resource_fails_closed() {
        let policy = embedded();
        let facts = Facts::default();
        for (action, resource) in [
            (Action::ReadJournalHead, Resource::AccessPoint { ean: "541448820000000017" }),
            (Action::ReadAccessPoint, Resource::Journal),
        ] {
            let question = Question { party: "p", role: "auditor", action, resource, facts: &facts };
            assert_eq!(policy.decide(&question), Decision::denied(vec![EVALUATION_ERROR.to_owned()]));
        }
    }

    #[test]
    fn the_entities_decide_builds_conform_to_the_schema() {
        let policy = embedded();
        for action in Action::ALL {
            for facts in [Facts::default(), both()] {
                let question = Question {
                    party: "party \"odd\" id",
                    role: "supplier",
                    action,
                    resource: resource_for(action),
                    facts: &facts,
                };
                assert!(policy.request(&question, true).is_some(), "{action:?} with {facts:?}");
            }
        }
    }

    fn policies_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
    }

    #[test]
    fn every_policy_file_is_embedded_and_loads_the_same() {
        let mut on_disk: Vec<String> = std::fs::read_dir(policies_dir())
            .expect("policies/ exists")
            .map(|e| e.expect("readable entry").file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".cedar"))
            .map(|name| format!("policies/{name}"))
            .collect();
        on_disk.sort();
        let embedded_files: Vec<&str> = EMBEDDED_POLICIES.iter().map(|(file, _)| *file).collect();
        assert_eq!(on_disk, embedded_files, "add new policy files to EMBEDDED_POLICIES");
        let loaded = Policy::load(&policies_dir()).expect("policies/ loads");
        assert_eq!(loaded.ids(), embedded().ids());
    }

    #[test]
    fn every_shipped_permit_says_what_it_reveals() {
        let policy = embedded();
        assert_eq!(
            policy.ids(),
            [
                "any-role-reads-aggregates",
                "any-role-signs-in",
                "anyone-reads-journal-head",
                "anyone-reads-own-identity",
                "auditor-changes-nothing",
                "auditor-reads-consumption",
                "auditor-reads-contact-config",
                "auditor-reads-contact-reports",
                "auditor-reads-journal-entries",
                "auditor-reads-register",
                "auditor-reads-system-health",
                "auditor-reviews-access",
                "auditor-reviews-connections",
                "auditor-reviews-mandates",
                "auditor-starts-no-scenario",
                "auditor-writes-no-readings",
                "call-center-reads-consumption",
                "call-center-reads-register",
                "competitor-told-end-of-contract",
                "connection-staff-manages-connections",
                "customer-asks-for-access-log",
                "customer-manages-own-data",
                "customer-reads-own-access-log",
                "customer-reads-own-consumption",
                "customer-reads-own-occupancies",
                "initiator-follows-own-scenario",
                "meter-reader-posts-route-readings",
                "meter-reader-reads-own-route",
                "metering-staff-assigns-routes",
                "metering-staff-reads-consumption",
                "metering-staff-reads-register",
                "metering-staff-reads-routes",
                "metering-staff-validates-readings",
                "metering-staff-writes-readings",
                "operator-handles-own-principal",
                "party-reads-own-queue",
                "privacy-staff-manages-research",
                "producer-reads-own-connections",
                "r3-budget-meter-told-as-end-of-contract",
                "r3-drop-told-as-end-of-contract",
                "register-staff-manages-mandates",
                "register-staff-reads-and-writes-register",
                "register-staff-runs-the-market",
                "requester-reads-own-works",
                "researcher-reads-own-extracts",
                "staff-requests-and-decides-access",
                "supervisor-reads-own-principal",
                "supplier-reads-mandated-consumption",
                "supplier-reads-mandated-register",
                "supplier-reads-own-consumption",
                "supplier-reads-own-registrations",
                "supplier-starts-scenarios",
                "support-configures-contact-center",
                "support-opens-break-glass",
                "support-reads-and-writes-settings",
                "support-reads-no-journal-entries",
                "support-reads-register-summary",
                "support-reads-system-health",
                "support-sees-no-register-data",
                "support-writes-notes-and-checkpoints",
                "system-assigns-routes",
                "system-manages-access",
                "system-manages-connections",
                "system-manages-mandates",
                "system-manages-research",
                "system-manages-tokens",
                "system-manages-works",
                "system-reads-and-writes-register",
                "system-reads-and-writes-settings",
                "system-reads-consumption",
                "system-reads-journal-entries",
                "system-runs-contact-center",
                "system-runs-the-market",
                "system-validates-readings",
                "system-writes-notes-and-checkpoints",
                "system-writes-readings",
                "third-party-reads-mandated-consumption",
                "third-party-reads-mandated-register",
                "works-staff-manages-works",
            ]
        );
    }

    /// A directory with the shipped schema and one policy file `bad.cedar` holding `text`.
    fn load_with(text: &str) -> (tempfile::TempDir, Result<Policy, PolicyError>) {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(load::SCHEMA_FILE), EMBEDDED_SCHEMA.1).expect("write schema");
        std::fs::write(dir.path().join("bad.cedar"), text).expect("write policy");
        let result = Policy::load(dir.path());
        (dir, result)
    }

    fn load_error(text: &str) -> PolicyError {
        let (_dir, result) = load_with(text);
        result.expect_err("the policy is refused")
    }

    const HEADER: &str = "@id(\"x\")\n@visible(\"all\")\n";

    #[test]
    fn a_syntax_error_names_the_file_and_the_place() {
        let error = load_error(&format!(
            "{HEADER}permit (principal, action, resource) when {{ principal.role == }};"
        ));
        assert!(matches!(error, PolicyError::Syntax { .. }), "{error:?}");
        let message = error.to_string();
        assert!(message.contains("bad.cedar: invalid policy syntax: line 3"), "{message}");
    }

    #[test]
    fn a_policy_that_does_not_match_the_schema_names_the_file_and_the_attribute() {
        let error = load_error(&format!(
            "{HEADER}permit (principal is Cloison::Party, action, resource) when {{ principal.department == \"x\" }};"
        ));
        assert!(matches!(error, PolicyError::Validation { .. }), "{error:?}");
        let message = error.to_string();
        assert!(message.contains("bad.cedar: policy does not match the schema: line 3"), "{message}");
        assert!(message.contains("department"), "{message}");
    }

    #[test]
    fn a_role_that_does_not_exist_is_a_validation_error() {
        let error = load_error(&format!(
            "{HEADER}permit (principal in Cloison::Role::\"suplier\", action, resource is Cloison::AccessPoint);"
        ));
        assert!(matches!(error, PolicyError::Validation { .. }), "{error:?}");
        assert!(error.to_string().contains("suplier"), "{error}");
    }

    #[test]
    fn annotations_are_required_and_checked() {
        let permit = "permit (principal, action == Cloison::Action::\"ReadJournalHead\", resource);";
        for (text, expected) in [
            (format!("@visible(\"all\")\n{permit}"), "policy 1 of the file has no @id"),
            (format!("@id(\"x\")\n{permit}"), "policy @id(\"x\") has no @visible"),
            (format!("@id(\"x\")\n@visible(\"some\")\n{permit}"), "@visible(\"some\") is not one of"),
            (format!("@id(\"default-deny\")\n@visible(\"none\")\n{permit}"), "reserved"),
            (format!("{HEADER}{permit}\n{HEADER}{permit}"), "already defined"),
            (
                "@id(\"x\")\n@visible(\"all\")\npermit (principal == ?principal, action, resource);".into(),
                "templates",
            ),
        ] {
            let error = load_error(&text);
            let message = error.to_string();
            assert!(matches!(error, PolicyError::Annotation { .. }), "{message}");
            assert!(message.contains("bad.cedar: ") && message.contains(expected), "{message}");
        }
    }

    #[test]
    fn a_broken_schema_or_an_empty_directory_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let error = Policy::load(dir.path()).expect_err("no schema");
        assert!(matches!(error, PolicyError::Read { .. }), "{error}");
        assert!(error.to_string().contains("cloison.cedarschema: cannot read"), "{error}");

        std::fs::write(dir.path().join(load::SCHEMA_FILE), EMBEDDED_SCHEMA.1).expect("write schema");
        let error = Policy::load(dir.path()).expect_err("no policies");
        assert!(matches!(error, PolicyError::NoPolicies { .. }), "{error}");

        std::fs::write(dir.path().join(load::SCHEMA_FILE), "entity Party = { role: Strin };").expect("write");
        std::fs::write(dir.path().join("p.cedar"), format!("{HEADER}forbid (principal, action, resource);"))
            .expect("write policy");
        let error = Policy::load(dir.path()).expect_err("broken schema");
        assert!(matches!(error, PolicyError::Schema { .. }), "{error}");
        assert!(error.to_string().contains("cloison.cedarschema: invalid schema"), "{error}");

        let grouped = EMBEDDED_SCHEMA.1.replace(
            "action ReadHistory appliesTo",
            "action Reads;\n  action ReadHistory in [Reads] appliesTo",
        );
        std::fs::write(dir.path().join(load::SCHEMA_FILE), grouped).expect("write");
        let error = Policy::load(dir.path()).expect_err("action group");
        assert!(error.to_string().contains("action groups are not supported"), "{error}");
    }

    #[test]
    fn a_role_enum_unlike_the_domain_roles_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("p.cedar"), format!("{HEADER}forbid (principal, action, resource);"))
            .expect("write policy");
        let members = "\"call_center\", \"auditor\", \"support\", \"researcher\", \"system\"";
        assert!(EMBEDDED_SCHEMA.1.contains(members), "the shipped schema lists the roles on one line");
        for (enumeration, expected) in [
            (members.replace(", \"system\"", ""), "entity Cloison::Role lacks \"system\": its members"),
            (
                format!("{members}, \"boss\""),
                "entity Cloison::Role has \"boss\", which Cloison does not know",
            ),
        ] {
            let schema = EMBEDDED_SCHEMA.1.replace(members, &enumeration);
            std::fs::write(dir.path().join(load::SCHEMA_FILE), schema).expect("write schema");
            let error = Policy::load(dir.path()).expect_err("the role enum differs from the domain's");
            assert!(matches!(error, PolicyError::Schema { .. }), "{error}");
            let message = error.to_string();
            assert!(message.contains("cloison.cedarschema: invalid schema: "), "{message}");
            assert!(message.contains(expected), "{message}");
            assert!(message.contains("supplier, customer, third_party"), "{message}");
        }
        std::fs::write(dir.path().join(load::SCHEMA_FILE), EMBEDDED_SCHEMA.1).expect("write schema");
        Policy::load(dir.path()).expect("the shipped schema lists exactly the domain's roles");
    }

    #[test]
    fn a_policy_is_shared_across_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Policy>();
    }
}
