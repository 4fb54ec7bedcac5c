//! The contact center's configuration: principals, their entry points, queues, routing
//! rules, operators and procedures, read from one TOML document and checked as a whole.
//!
//! The configuration is where a sealing mistake would be made, so it is refused all or
//! nothing: [`ContactConfig::parse`] either returns a configuration in which every rule of R12
//! holds, or the first fault with its field path, a stable code and a reason naming the
//! principals, rules and skills involved. Nothing half-loaded ever reaches the router. TOML
//! was chosen over JSON because supervisors edit it by hand and comment it; keys are checked
//! (`deny_unknown_fields`) so that a misspelt `exclude` is refused with its line and column
//! rather than silently ignored.
//!
//! # What is refused
//!
//! | code | fault |
//! |---|---|
//! | `bad_toml`, `unknown_key` | TOML syntax, a wrong type, a missing or unknown key (with line and column) |
//! | `bad_pair` | an `[[incompatible]]` entry that is not two different, non-blank skills |
//! | `bad_id`, `bad_name`, `bad_party`, `bad_skill`, `bad_step` | a malformed id, name, party, skill or procedure step |
//! | `duplicate_principal`, `duplicate_queue`, `duplicate_rule`, `duplicate_operator`, `duplicate_procedure`, `duplicate_entry_point`, `duplicate_target` | the same thing twice |
//! | `not_e164`, `bad_address` | an entry point's address not in its channel's form (with the column) |
//! | `shared_entry_point` | one entry point owned by two principals (both named) |
//! | `bad_expression` | a `when` or `exclude` that does not parse (with line and column inside it) |
//! | `operator_in_when` | a `when` testing the operator, which is not chosen yet when it is decided |
//! | `no_target` | a rule with an empty `to` |
//! | `cross_principal_route` | a rule, default queue or back office naming another principal's queue |
//! | `unknown_queue` | a rule, default queue or back office naming a queue nobody has |
//! | `incompatible_skills` | an operator holding an incompatible pair, over every principal they serve |
//!
//! # Skills and their incompatibilities
//!
//! An operator of a principal of kind `dso` holds the implied skill `dso`, of kind `supplier`
//! the implied skill `supplier`, and the pair (`dso`, `supplier`) is always incompatible (R12:
//! DSO and supplier skills never sit on the same operator). Further pairs are configured in
//! `[[incompatible]]`. An operator's skills are checked over the union of every principal they
//! serve, so the same person cannot answer for the DSO on one line and for a supplier on another.
//!
//! # Format
//!
//! ```toml
//! # Pairs of skills no operator may hold together, besides ("dso", "supplier").
//! [[incompatible]]
//! skills = ["complaints", "billing"]
//!
//! [[principal]]
//! id = "dso"                      # [a-z0-9-]{1,32}
//! name = "Distribution grid operator"
//! kind = "dso"                    # dso | supplier | other
//! default_queue = "dso-general"
//! service_level_seconds = 20      # the service-level threshold of its reporting; 20 by default
//! back_offices = ["dso-back-office"]
//!
//! [[principal.entry_point]]
//! channel = "call"                # call and sms: E.164; mail: local@domain, lowercase; chat: [a-z0-9-]{1,64}
//! address = "+3278151515"
//! [[principal.entry_point]]
//! channel = "mail"
//! address = "contact@dso.example"
//! [[principal.entry_point]]
//! channel = "chat"
//! address = "dso-web"
//!
//! [[principal.queue]]
//! id = "dso-general"              # unique in the whole configuration
//! skills = ["general"]
//! [[principal.queue]]
//! id = "dso-outage"
//! skills = ["outage"]
//! [[principal.queue]]
//! id = "dso-german"
//! skills = ["general", "german"]
//! [[principal.queue]]
//! id = "dso-back-office"
//! skills = ["back-office"]
//!
//! # Rules are tried in order; the first whose `when` holds routes the interaction to its
//! # queues in order, each for `timeout_seconds` (30 by default, 0 = no timeout), then to the
//! # default queue.
//! [[principal.rule]]
//! id = "outage"
//! when = 'ivr in ["outage", "gas-smell"]'
//! to = ["dso-outage"]
//! timeout_seconds = 20
//! [[principal.rule]]
//! id = "german"
//! when = 'language = "de" and channel != "mail"'
//! to = ["dso-german"]
//! exclude = 'has "trainee"'     # operators this rule never offers to
//!
//! [[principal.operator]]
//! party = "cc-ana"
//! skills = ["general", "outage", "german"]
//! [[principal.operator]]
//! party = "cc-bert"
//! skills = ["general", "trainee"]
//!
//! [[principal.procedure]]
//! id = "outage-report"
//! name = "Report an outage"
//! steps = ["Ask for the address", "Check the outage map", "Open an outage ticket"]
//!
//! [[principal]]
//! id = "sup-ardenne"
//! name = "Ardenne Énergie"
//! kind = "supplier"
//! default_queue = "ardenne-general"
//!
//! [[principal.entry_point]]
//! channel = "call"
//! address = "+3281000111"
//!
//! [[principal.queue]]
//! id = "ardenne-general"
//! skills = ["billing"]
//!
//! [[principal.operator]]
//! party = "cc-chloe"
//! skills = ["billing"]
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::number::E164;
use super::rule::Expr;
use super::{Channel, ContactError, line_column};
use crate::PartyId;

/// The skill every operator of a DSO principal holds.
pub const DSO_SKILL: &str = "dso";
/// The skill every operator of a supplier principal holds.
pub const SUPPLIER_SKILL: &str = "supplier";
/// The service-level threshold when a principal does not set one: the industry's 80/20.
pub const DEFAULT_SERVICE_LEVEL_SECONDS: u32 = 20;
/// A rule's time on each of its queues when it does not set one.
pub const DEFAULT_TIMEOUT_SECONDS: u32 = 30;

/// A checked configuration: every principal, and the pairs of skills no operator may hold
/// together besides the fixed (`dso`, `supplier`).
///
/// Its fields are public for reading; build one with [`ContactConfig::parse`], or run
/// [`ContactConfig::check`] on one built in code, so that R12 holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactConfig {
    /// The principals, in configuration order.
    pub principals: Vec<Principal>,
    /// The configured incompatible pairs of skills.
    pub incompatible: Vec<(String, String)>,
}

/// What a principal is: it decides the implied skill of its operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// The grid operator itself.
    Dso,
    /// An energy supplier.
    Supplier,
    /// Anyone else served by the contact center (a municipality, a partner).
    Other,
}

impl PrincipalKind {
    /// Every kind.
    pub const ALL: [PrincipalKind; 3] = [PrincipalKind::Dso, PrincipalKind::Supplier, PrincipalKind::Other];

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Dso => "dso",
            PrincipalKind::Supplier => "supplier",
            PrincipalKind::Other => "other",
        }
    }

    /// The kind named `text`, or a refusal naming the kinds there are.
    pub fn parse(text: &str) -> Result<PrincipalKind, ContactError> {
        PrincipalKind::ALL.into_iter().find(|k| k.as_str() == text).ok_or_else(|| {
            ContactError::new(
                "kind",
                "unknown_kind",
                format!(
                    "{text:?} is not a kind of principal: {}",
                    PrincipalKind::ALL.map(PrincipalKind::as_str).join(", ")
                ),
            )
        })
    }

    /// The skill every operator of a principal of this kind holds, so that serving the DSO
    /// and a supplier is an incompatible pair like any configured one.
    pub fn implied_skill(self) -> Option<&'static str> {
        match self {
            PrincipalKind::Dso => Some(DSO_SKILL),
            PrincipalKind::Supplier => Some(SUPPLIER_SKILL),
            PrincipalKind::Other => None,
        }
    }
}

impl fmt::Display for PrincipalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A client of the contact center, sealed off from the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// Its id, `[a-z0-9-]{1,32}`.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// What it is.
    pub kind: PrincipalKind,
    /// The numbers, mailboxes and chat ids that reach it, and only it.
    pub entry_points: Vec<EntryPoint>,
    /// Its queues.
    pub queues: Vec<Queue>,
    /// Its routing rules, tried in order.
    pub rules: Vec<RoutingRule>,
    /// The queue every routing ends on.
    pub default_queue: String,
    /// Queues of its own that interactions may be transferred to.
    pub back_offices: Vec<String>,
    /// Its operators, in order of preference.
    pub operators: Vec<Operator>,
    /// Its scripted procedures.
    pub procedures: Vec<Procedure>,
    /// The service-level threshold of its reporting, in seconds.
    pub service_level_seconds: u32,
}

impl Principal {
    /// Its queue `id`, if it has one.
    pub fn queue(&self, id: &str) -> Option<&Queue> {
        self.queues.iter().find(|q| q.id == id)
    }

    /// Its operator entry for `party`, if any.
    pub fn operator(&self, party: &str) -> Option<&Operator> {
        self.operators.iter().find(|o| o.party == party)
    }

    /// The skills `party` holds for this principal: those its entry lists, plus the skill
    /// implied by the principal's kind. Empty when `party` is not one of its operators.
    pub fn operator_skills(&self, party: &str) -> BTreeSet<String> {
        let Some(operator) = self.operator(party) else { return BTreeSet::new() };
        let mut skills = operator.skills.clone();
        skills.extend(self.kind.implied_skill().map(str::to_owned));
        skills
    }
}

/// An address a principal is reached by on a channel.
///
/// Call and sms addresses are E.164 numbers; mail addresses a lowercase mailbox
/// `local@domain`; chat addresses an id `[a-z0-9-]{1,64}`. Matching is exact, never normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EntryPoint {
    /// The channel.
    pub channel: Channel,
    /// The address on that channel.
    pub address: String,
}

impl EntryPoint {
    /// The key the entry point is known by across channels, such as `call:+3278151515`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.channel.as_str(), self.address)
    }

    /// Checks the address against its channel's form; the error (field `address`) names the
    /// column of the first wrong character.
    pub fn check(&self) -> Result<(), ContactError> {
        match self.channel {
            Channel::Call | Channel::Sms => E164::parse(&self.address).map(|_| ()),
            Channel::Mail => check_mailbox(&self.address),
            Channel::Chat => check_chat_id(&self.address),
        }
        .map_err(|e| e.in_field("address"))
    }
}

fn check_mailbox(address: &str) -> Result<(), ContactError> {
    let refuse = |column: usize, reason: String| {
        Err(ContactError::new("address", "bad_address", format!("{reason}, in {address:?}")).at(1, column))
    };
    if address.is_empty() {
        return refuse(1, "a mailbox is local@domain, found nothing".into());
    }
    if address.chars().count() > 254 {
        return refuse(255, "a mailbox has at most 254 characters".into());
    }
    let at = address.find('@');
    let mut previous = None;
    for (i, (byte, c)) in address.char_indices().enumerate() {
        let column = i + 1;
        let in_domain = at.is_some_and(|at| byte > at);
        let ok = match c {
            'a'..='z' | '0'..='9' | '-' => true,
            '.' => previous.is_some_and(|p| p != '.' && p != '@'),
            '@' => Some(byte) == at && previous.is_some(),
            '_' | '+' => !in_domain,
            'A'..='Z' => return refuse(column, "a mailbox is written in lowercase".into()),
            _ => false,
        };
        if !ok {
            return refuse(column, format!("{c:?} does not belong here in a mailbox local@domain"));
        }
        previous = Some(c);
    }
    let Some(at) = at else {
        return refuse(address.chars().count() + 1, "a mailbox is local@domain: `@` is missing".into());
    };
    let domain = address.get(at + 1..).unwrap_or_default();
    if domain.is_empty() || !domain.contains('.') || domain.ends_with('.') || domain.ends_with('-') {
        return refuse(
            address.chars().count() + 1,
            "the domain of a mailbox has labels separated by dots, such as dso.example".into(),
        );
    }
    Ok(())
}

fn check_chat_id(address: &str) -> Result<(), ContactError> {
    let refuse = |column: usize, reason: String| {
        Err(ContactError::new("address", "bad_address", format!("{reason}, in {address:?}")).at(1, column))
    };
    for (i, c) in address.chars().enumerate() {
        if i == 64 {
            return refuse(65, "a chat id has at most 64 characters".into());
        }
        if !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return refuse(i + 1, format!("a chat id is a-z, 0-9 and '-', found {c:?}"));
        }
    }
    if address.is_empty() {
        return refuse(1, "a chat id is 1 to 64 characters of a-z, 0-9 and '-', found nothing".into());
    }
    Ok(())
}

/// A queue of a principal: the skills an operator needs to take its interactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Queue {
    /// Its id, unique in the whole configuration so a rule's target names one queue.
    pub id: String,
    /// The skills an operator must hold, every one of them.
    pub skills: BTreeSet<String>,
}

/// A routing rule: when it applies, where it sends the interaction, and whom it never offers
/// it to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutingRule {
    /// Its id, unique within its principal.
    pub id: String,
    /// When it applies, over the interaction's attributes.
    pub when: Expr,
    /// Its queues (of the same principal), tried in order.
    pub targets: Vec<String>,
    /// How long the interaction waits on each target before the next; 0 means no timeout.
    pub timeout_seconds: u32,
    /// Operators it never offers to, over the interaction and the operator.
    pub exclude: Option<Expr>,
}

/// An operator of a principal and the skills it holds for that principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operator {
    /// The operator's party id.
    pub party: String,
    /// The skills granted for this principal (the implied kind skill is not listed here).
    pub skills: BTreeSet<String>,
}

/// A scripted procedure an operator follows for a principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Procedure {
    /// Its id, unique within its principal.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Its steps, in order.
    pub steps: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    incompatible: Vec<RawIncompatible>,
    #[serde(default)]
    principal: Vec<RawPrincipal>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIncompatible {
    skills: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrincipal {
    id: String,
    name: String,
    kind: PrincipalKind,
    default_queue: String,
    #[serde(default)]
    service_level_seconds: Option<u32>,
    #[serde(default)]
    back_offices: Vec<String>,
    #[serde(default)]
    entry_point: Vec<RawEntryPoint>,
    #[serde(default)]
    queue: Vec<RawQueue>,
    #[serde(default)]
    rule: Vec<RawRule>,
    #[serde(default)]
    operator: Vec<RawOperator>,
    #[serde(default)]
    procedure: Vec<RawProcedure>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntryPoint {
    channel: Channel,
    address: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQueue {
    id: String,
    #[serde(default)]
    skills: Vec<String>,
}

fn default_timeout() -> u32 {
    DEFAULT_TIMEOUT_SECONDS
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    when: String,
    to: Vec<String>,
    #[serde(default = "default_timeout")]
    timeout_seconds: u32,
    #[serde(default)]
    exclude: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOperator {
    party: String,
    #[serde(default)]
    skills: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProcedure {
    id: String,
    name: String,
    #[serde(default)]
    steps: Vec<String>,
}

fn refuse<T>(field: String, code: &'static str, reason: String) -> Result<T, ContactError> {
    Err(ContactError::new(field, code, reason))
}

/// Queue, rule and procedure ids: short and safe in records, logs and URLs.
fn check_id(field: String, id: &str, what: &str) -> Result<(), ContactError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        refuse(
            field,
            "bad_id",
            format!("a {what} id is 1 to 64 characters of A-Z, a-z, 0-9, '-', '_' and '.', found {id:?}"),
        )
    }
}

fn check_principal_id(field: String, id: &str) -> Result<(), ContactError> {
    let ok = !id.is_empty()
        && id.len() <= 32
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        refuse(
            field,
            "bad_id",
            format!("a principal id is 1 to 32 characters of a-z, 0-9 and '-', found {id:?}"),
        )
    }
}

fn check_skill(field: String, skill: &str) -> Result<(), ContactError> {
    if skill.trim().is_empty() || skill.chars().any(char::is_control) {
        refuse(
            field,
            "bad_skill",
            format!("a skill is a non-blank name without control characters, found {skill:?}"),
        )
    } else {
        Ok(())
    }
}

fn parse_expression(field: String, text: &str) -> Result<Expr, ContactError> {
    Expr::parse(text).map_err(|e| e.in_field(field))
}

/// Where a skill of an operator comes from, for the reason of a refusal.
struct Source<'c> {
    principal: &'c str,
    implied: bool,
    /// (principal, operator) indices of the entry that brought the skill.
    at: (usize, usize),
}

impl ContactConfig {
    /// The configuration written in `text`, checked as a whole, or the first fault: TOML
    /// syntax and key errors carry their (line, column) in `text`; faults of an address or an
    /// expression carry the field path and the (line, column) inside that value; semantic
    /// faults name the principals, rules and skills at fault.
    pub fn parse(text: &str) -> Result<ContactConfig, ContactError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let code = if e.message().contains("unknown field") { "unknown_key" } else { "bad_toml" };
            let error = ContactError::new("config", code, e.message().trim().to_owned());
            match e.span() {
                Some(span) => {
                    let (line, column) = line_column(text, span.start);
                    error.at(line, column)
                }
                None => error,
            }
        })?;
        let mut incompatible = Vec::with_capacity(raw.incompatible.len());
        for (i, pair) in raw.incompatible.into_iter().enumerate() {
            match <[String; 2]>::try_from(pair.skills) {
                Ok([a, b]) => incompatible.push((a, b)),
                Err(skills) => {
                    return refuse(
                        format!("incompatible[{i}].skills"),
                        "bad_pair",
                        format!("an incompatible pair names exactly two skills, found {}", skills.len()),
                    );
                }
            }
        }
        let mut principals = Vec::with_capacity(raw.principal.len());
        for (p, raw) in raw.principal.into_iter().enumerate() {
            let mut rules = Vec::with_capacity(raw.rule.len());
            for (r, rule) in raw.rule.into_iter().enumerate() {
                let path = format!("principal[{p}].rule[{r}]");
                rules.push(RoutingRule {
                    when: parse_expression(format!("{path}.when"), &rule.when)?,
                    exclude: match rule.exclude {
                        Some(text) => Some(parse_expression(format!("{path}.exclude"), &text)?),
                        None => None,
                    },
                    id: rule.id,
                    targets: rule.to,
                    timeout_seconds: rule.timeout_seconds,
                });
            }
            principals.push(Principal {
                id: raw.id,
                name: raw.name,
                kind: raw.kind,
                entry_points: raw
                    .entry_point
                    .into_iter()
                    .map(|e| EntryPoint { channel: e.channel, address: e.address })
                    .collect(),
                queues: raw
                    .queue
                    .into_iter()
                    .map(|q| Queue { id: q.id, skills: q.skills.into_iter().collect() })
                    .collect(),
                rules,
                default_queue: raw.default_queue,
                back_offices: raw.back_offices,
                operators: raw
                    .operator
                    .into_iter()
                    .map(|o| Operator { party: o.party, skills: o.skills.into_iter().collect() })
                    .collect(),
                procedures: raw
                    .procedure
                    .into_iter()
                    .map(|p| Procedure { id: p.id, name: p.name, steps: p.steps })
                    .collect(),
                service_level_seconds: raw.service_level_seconds.unwrap_or(DEFAULT_SERVICE_LEVEL_SECONDS),
            });
        }
        let config = ContactConfig { principals, incompatible };
        config.check()?;
        Ok(config)
    }

    /// Checks every rule of the configuration (see the module documentation), returning the
    /// first fault. [`ContactConfig::parse`] runs it; run it on a configuration built in code.
    pub fn check(&self) -> Result<(), ContactError> {
        for (i, (a, b)) in self.incompatible.iter().enumerate() {
            let field = format!("incompatible[{i}].skills");
            check_skill(field.clone(), a)?;
            check_skill(field.clone(), b)?;
            if a == b {
                return refuse(
                    field,
                    "bad_pair",
                    format!("an incompatible pair names two different skills, found {a:?} twice"),
                );
            }
        }
        // Who owns each queue and each entry point, to tell a cross-principal route from a typo
        // and to name both owners of a shared entry point.
        let mut queue_owner: HashMap<&str, usize> = HashMap::new();
        let mut entry_owner: HashMap<String, usize> = HashMap::new();
        let mut principal_ids: HashMap<&str, usize> = HashMap::new();
        for (p, principal) in self.principals.iter().enumerate() {
            let path = format!("principal[{p}]");
            check_principal_id(format!("{path}.id"), &principal.id)?;
            if let Some(first) = principal_ids.insert(&principal.id, p) {
                return refuse(
                    format!("{path}.id"),
                    "duplicate_principal",
                    format!(
                        "principal {} is declared twice (principal[{first}] and principal[{p}])",
                        principal.id
                    ),
                );
            }
            if principal.name.trim().is_empty() {
                return refuse(
                    format!("{path}.name"),
                    "bad_name",
                    format!("principal {} has a blank name", principal.id),
                );
            }
            for (e, entry) in principal.entry_points.iter().enumerate() {
                let field = format!("{path}.entry_point[{e}]");
                entry.check().map_err(|err| err.in_field(format!("{field}.address")))?;
                match entry_owner.get(&entry.key()).copied() {
                    Some(owner) if owner == p => {
                        return refuse(
                            field,
                            "duplicate_entry_point",
                            format!("principal {} lists entry point {} twice", principal.id, entry.key()),
                        );
                    }
                    Some(owner) => {
                        return refuse(
                            field,
                            "shared_entry_point",
                            format!(
                                "entry point {} is owned by principal {} and by principal {}: an entry point \
                                 belongs to exactly one principal (R12)",
                                entry.key(),
                                self.principals[owner].id,
                                principal.id
                            ),
                        );
                    }
                    None => {
                        entry_owner.insert(entry.key(), p);
                    }
                }
            }
            for (q, queue) in principal.queues.iter().enumerate() {
                let field = format!("{path}.queue[{q}]");
                check_id(format!("{field}.id"), &queue.id, "queue")?;
                for skill in &queue.skills {
                    check_skill(format!("{field}.skills"), skill)?;
                }
                if let Some(owner) = queue_owner.insert(&queue.id, p) {
                    let reason = if owner == p {
                        format!("principal {} declares queue {} twice", principal.id, queue.id)
                    } else {
                        format!(
                            "queue {} is declared by principal {} and by principal {}: queue ids are unique \
                             across the configuration",
                            queue.id, self.principals[owner].id, principal.id
                        )
                    };
                    return refuse(format!("{field}.id"), "duplicate_queue", reason);
                }
            }
            let mut rule_ids = BTreeSet::new();
            for (r, rule) in principal.rules.iter().enumerate() {
                let field = format!("{path}.rule[{r}]");
                check_id(format!("{field}.id"), &rule.id, "rule")?;
                if !rule_ids.insert(rule.id.as_str()) {
                    return refuse(
                        format!("{field}.id"),
                        "duplicate_rule",
                        format!("principal {} declares rule {} twice", principal.id, rule.id),
                    );
                }
                if rule.when.uses_operator() {
                    return refuse(
                        format!("{field}.when"),
                        "operator_in_when",
                        format!(
                            "rule {} of principal {} tests the operator in `when`, which is decided before \
                             any operator is chosen: test the operator in `exclude`",
                            rule.id, principal.id
                        ),
                    );
                }
                if rule.targets.is_empty() {
                    return refuse(
                        format!("{field}.to"),
                        "no_target",
                        format!("rule {} of principal {} names no queue in `to`", rule.id, principal.id),
                    );
                }
                let mut seen = BTreeSet::new();
                for (t, target) in rule.targets.iter().enumerate() {
                    if !seen.insert(target.as_str()) {
                        return refuse(
                            format!("{field}.to[{t}]"),
                            "duplicate_target",
                            format!(
                                "rule {} of principal {} names queue {target} twice",
                                rule.id, principal.id
                            ),
                        );
                    }
                }
            }
            let mut parties = BTreeSet::new();
            for (o, operator) in principal.operators.iter().enumerate() {
                let field = format!("{path}.operator[{o}]");
                operator
                    .party
                    .parse::<PartyId>()
                    .map_err(|e| ContactError::new(format!("{field}.party"), "bad_party", e.to_string()))?;
                if !parties.insert(operator.party.as_str()) {
                    return refuse(
                        format!("{field}.party"),
                        "duplicate_operator",
                        format!("principal {} lists operator {} twice", principal.id, operator.party),
                    );
                }
                for skill in &operator.skills {
                    check_skill(format!("{field}.skills"), skill)?;
                }
            }
            let mut procedure_ids = BTreeSet::new();
            for (r, procedure) in principal.procedures.iter().enumerate() {
                let field = format!("{path}.procedure[{r}]");
                check_id(format!("{field}.id"), &procedure.id, "procedure")?;
                if !procedure_ids.insert(procedure.id.as_str()) {
                    return refuse(
                        format!("{field}.id"),
                        "duplicate_procedure",
                        format!("principal {} declares procedure {} twice", principal.id, procedure.id),
                    );
                }
                if procedure.name.trim().is_empty() {
                    return refuse(
                        format!("{field}.name"),
                        "bad_name",
                        format!("procedure {} of principal {} has a blank name", procedure.id, principal.id),
                    );
                }
                if let Some(s) = procedure.steps.iter().position(|s| s.trim().is_empty()) {
                    return refuse(
                        format!("{field}.steps[{s}]"),
                        "bad_step",
                        format!("procedure {} of principal {} has a blank step", procedure.id, principal.id),
                    );
                }
            }
        }
        // Routes, once every queue's owner is known.
        for (p, principal) in self.principals.iter().enumerate() {
            let path = format!("principal[{p}]");
            let target_check = |field: String, queue: &str, what: &str| -> Result<(), ContactError> {
                match queue_owner.get(queue).copied() {
                    Some(owner) if owner == p => Ok(()),
                    Some(owner) => refuse(
                        field,
                        "cross_principal_route",
                        format!(
                            "{what} of principal {} routes to queue {queue} of principal {}: routes never \
                             leave their principal (R12)",
                            principal.id, self.principals[owner].id
                        ),
                    ),
                    None => refuse(
                        field,
                        "unknown_queue",
                        format!(
                            "{what} of principal {} names queue {queue}, which no principal has",
                            principal.id
                        ),
                    ),
                }
            };
            target_check(format!("{path}.default_queue"), &principal.default_queue, "the default queue")?;
            for (b, queue) in principal.back_offices.iter().enumerate() {
                target_check(format!("{path}.back_offices[{b}]"), queue, "a back office")?;
            }
            for (r, rule) in principal.rules.iter().enumerate() {
                for (t, target) in rule.targets.iter().enumerate() {
                    target_check(format!("{path}.rule[{r}].to[{t}]"), target, &format!("rule {}", rule.id))?;
                }
            }
        }
        self.check_operators()
    }

    /// Segregation of duties over every principal an operator serves.
    fn check_operators(&self) -> Result<(), ContactError> {
        let mut held: BTreeMap<&str, BTreeMap<&str, Source>> = BTreeMap::new();
        let mut order: Vec<&str> = Vec::new();
        for (p, principal) in self.principals.iter().enumerate() {
            for (o, operator) in principal.operators.iter().enumerate() {
                let skills = held.entry(&operator.party).or_insert_with(|| {
                    order.push(&operator.party);
                    BTreeMap::new()
                });
                if let Some(implied) = principal.kind.implied_skill() {
                    skills.entry(implied).or_insert_with(|| Source {
                        principal: &principal.id,
                        implied: true,
                        at: (p, o),
                    });
                }
                for skill in &operator.skills {
                    skills.entry(skill).or_insert_with(|| Source {
                        principal: &principal.id,
                        implied: false,
                        at: (p, o),
                    });
                }
            }
        }
        for party in order {
            let Some(skills) = held.get(party) else { continue };
            for (a, b) in self.incompatible_pairs() {
                if let (Some(first), Some(second)) = (skills.get(a), skills.get(b)) {
                    let describe = |skill: &str, source: &Source| {
                        if source.implied {
                            format!("{skill} (implied by serving principal {})", source.principal)
                        } else {
                            format!("{skill} (granted for principal {})", source.principal)
                        }
                    };
                    // The entry that completed the pair is the one to fix.
                    let (p, o) = first.at.max(second.at);
                    return refuse(
                        format!("principal[{p}].operator[{o}].skills"),
                        "incompatible_skills",
                        format!(
                            "operator {party} would hold {} and {}, which are incompatible (R12)",
                            describe(a, first),
                            describe(b, second)
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    /// Every incompatible pair: the fixed (`dso`, `supplier`) first, then the configured ones.
    pub fn incompatible_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        std::iter::once((DSO_SKILL, SUPPLIER_SKILL))
            .chain(self.incompatible.iter().map(|(a, b)| (a.as_str(), b.as_str())))
    }

    /// The first incompatible pair `skills` holds, if any.
    pub fn incompatible_pair(&self, skills: &BTreeSet<String>) -> Option<(&str, &str)> {
        self.incompatible_pairs().find(|(a, b)| skills.contains(*a) && skills.contains(*b))
    }

    /// The principal `id`, if there is one.
    pub fn principal(&self, id: &str) -> Option<&Principal> {
        self.principals.iter().find(|p| p.id == id)
    }

    /// The principal owning the entry point (`channel`, `address`), matched exactly: a
    /// national form of a number owned as E.164 matches nothing.
    pub fn principal_of_entry(&self, channel: Channel, address: &str) -> Option<&Principal> {
        self.principals
            .iter()
            .find(|p| p.entry_points.iter().any(|e| e.channel == channel && e.address == address))
    }

    /// Every principal `party` is an operator of, in configuration order.
    pub fn principals_of_operator(&self, party: &str) -> Vec<&Principal> {
        self.principals.iter().filter(|p| p.operators.iter().any(|o| o.party == party)).collect()
    }

    /// Every skill `party` holds, over every principal it serves, implied skills included.
    pub fn skills_of(&self, party: &str) -> BTreeSet<String> {
        let mut skills = BTreeSet::new();
        for principal in &self.principals {
            skills.extend(principal.operator_skills(party));
        }
        skills
    }

    /// Segregation of duties at grant time: refuses (code `incompatible_skills`, field
    /// `skills`) granting `skills` to `party` when they, together with what `party` already
    /// holds over every principal (implied skills included), would hold an incompatible pair.
    ///
    /// A grant adds to what the party holds; to replace a party's skills, check the new
    /// configuration as a whole with [`ContactConfig::check`].
    pub fn check_grant(&self, party: &str, skills: &BTreeSet<String>) -> Result<(), ContactError> {
        let held = self.skills_of(party);
        let mut all = held.clone();
        all.extend(skills.iter().cloned());
        match self.incompatible_pair(&all) {
            None => Ok(()),
            Some((a, b)) => {
                let origin = |skill: &str| if held.contains(skill) { "already held" } else { "granted" };
                refuse(
                    "skills".into(),
                    "incompatible_skills",
                    format!(
                        "{party} would hold {a} ({}) and {b} ({}), which are incompatible (R12)",
                        origin(a),
                        origin(b)
                    ),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example in the module documentation, so the documentation cannot drift from the format.
    fn documented_example() -> String {
        let source = include_str!("config.rs");
        let mut inside = false;
        let mut out = String::new();
        for line in source.lines() {
            let Some(doc) = line.strip_prefix("//!") else { continue };
            let doc = doc.strip_prefix(' ').unwrap_or(doc);
            if doc.starts_with("```") {
                if inside {
                    break;
                }
                inside = doc == "```toml";
                continue;
            }
            if inside {
                out.push_str(doc);
                out.push('\n');
            }
        }
        out
    }

    #[test]
    fn the_documented_example_parses() {
        let text = documented_example();
        assert!(text.contains("[[principal]]"));
        let config = ContactConfig::parse(&text).expect("the documented example is valid");
        assert_eq!(config.principals.len(), 2);
        let dso = config.principal("dso").expect("dso");
        assert_eq!(dso.rules[0].timeout_seconds, 20);
        assert_eq!(dso.rules[1].timeout_seconds, DEFAULT_TIMEOUT_SECONDS);
        assert_eq!(config.principal("sup-ardenne").map(|p| p.service_level_seconds), Some(20));
        assert_eq!(
            config.principal_of_entry(Channel::Call, "+3278151515").map(|p| p.id.as_str()),
            Some("dso")
        );
        assert!(config.principal_of_entry(Channel::Sms, "+3278151515").is_none());
        assert!(config.skills_of("cc-ana").contains(DSO_SKILL));
    }

    #[test]
    fn mailboxes_and_chat_ids_name_the_bad_column() {
        let column = |channel, address: &str| {
            EntryPoint { channel, address: address.into() }
                .check()
                .err()
                .and_then(|e| e.position)
                .map(|p| p.1)
        };
        assert_eq!(column(Channel::Mail, "contact@dso.example"), None);
        assert_eq!(column(Channel::Mail, "first.last+x@dso.example"), None);
        assert_eq!(column(Channel::Mail, "Contact@dso.example"), Some(1));
        assert_eq!(column(Channel::Mail, "con tact@dso.example"), Some(4));
        assert_eq!(column(Channel::Mail, "a@b@c.example"), Some(4));
        assert_eq!(column(Channel::Mail, "contact"), Some(8));
        assert_eq!(column(Channel::Mail, "contact@dso"), Some(12));
        assert_eq!(column(Channel::Mail, "@dso.example"), Some(1));
        assert_eq!(column(Channel::Chat, "dso-web"), None);
        assert_eq!(column(Channel::Chat, "dso_web"), Some(4));
        assert_eq!(column(Channel::Chat, ""), Some(1));
    }
}
