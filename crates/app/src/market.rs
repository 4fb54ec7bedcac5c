//! The market at the door: scenarios submitted, followed, cancelled and run on their day, and
//! the per-party message queues with their journal receipts (R1, R2, R3, R7).
//!
//! The rules are the domain's (`domain::scenario`); each use case here asks the gate, then
//! hands the writer one command that reads the access point under its lock, judges, writes
//! the scenario, its steps and its messages, and returns the journal entries that bind them,
//! all in one transaction. So an accepted scenario and every message it owes commit together
//! or not at all, and a crash after the answer loses neither (I4).
//!
//! A refusal is an answer, not an error: it is journaled with its stable code, kept for the
//! request's idempotency key, and replayed as it was. When the refusal is about a scenario in
//! progress, what the requester is told of it is the policy's decision (R3,
//! `LearnScenarioInProgress`): a drop or a budget-meter placement is told exactly as a
//! genuine end of contract, and the journal entry names the policy that masked it.
//!
//! Every message is queued by the market hub, one journal entry per message, carrying the
//! digest of the message's body. Its recipient gets the entry itself with an inclusion proof
//! against a signed head (a [`Receipt`]), and so can prove, without trusting us, that we
//! journaled exactly what we sent. The hub's entry names the hub, not the party whose
//! scenario caused the message, since the recipient sees the entry whole.

use domain::label::Confidentiality;
use domain::scenario::{
    self, Config, DsoService, Event, Message, Recipient, Rejection, Request, Rule, Scenario, ScenarioId,
    ScenarioKind, Status, TransitionError,
};
use domain::{AccessPoint, Change, Ean, Energy, GridStatus, MeterKind, PartyId, ReadingRegime};
use jiff::Timestamp;
use jiff::civil::Date;
use journal::{Entry, Hash};
use policy::{Action, Resource};
use serde::{Deserialize, Serialize};
use store::{Acknowledged, Applied, Command, Done, StoreError, StoredScenario, WriteTx};

use crate::gate::{Ask, Refusal, Sent, Teller};
use crate::wire::{HeadView, InclusionProofView};
use crate::{Actor, AppError, Cloison};

/// The most messages one peek returns.
pub const MAX_BUNDLE: i64 = 500;

/// A scenario as its initiator and the DSO see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioView {
    /// The id it is known by: random, so it tells nobody how many scenarios there are (I5).
    pub id: String,
    /// What it does.
    pub kind: ScenarioKind,
    /// The access point.
    pub ean: Ean,
    /// The energy requested.
    pub energy: Energy,
    /// The Europe/Brussels day it takes effect, from its first instant.
    pub effective_day: Date,
    /// Where it stands.
    pub status: Status,
    /// Who started it, the only party who may cancel it.
    pub initiator: PartyId,
}

impl ScenarioView {
    fn of(public_id: &str, scenario: &Scenario) -> ScenarioView {
        ScenarioView {
            id: public_id.to_owned(),
            kind: scenario.kind(),
            ean: scenario.request.ean,
            energy: scenario.request.energy,
            effective_day: scenario.day(),
            status: scenario.status,
            initiator: scenario.request.initiator.clone(),
        }
    }
}

/// What a market request came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum MarketAnswer {
    /// Done: the scenario as it now stands.
    Accepted {
        /// The scenario.
        scenario: ScenarioView,
    },
    /// Refused by the market's rules: nothing changed.
    Refused {
        /// The stable code (`domain::scenario::REJECTION_CODES`, or a transition's).
        code: String,
        /// The field at fault.
        field: String,
        /// What is wrong, naming nobody else's scenario or customer.
        message: String,
    },
}

impl MarketAnswer {
    fn refused(code: &str, text: &str) -> MarketAnswer {
        let (field, message) = match text.split_once(": ") {
            Some((field, _)) if !field.contains(' ') => (field, text),
            _ => ("request", text),
        };
        MarketAnswer::Refused { code: code.to_owned(), field: field.to_owned(), message: message.to_owned() }
    }
}

/// The DSO's field report on a budget-meter placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// The visit is planned for the scenario's day.
    Scheduled,
    /// The budget meter is in place: the point's meter changes.
    Placed,
    /// The visit could not be done.
    Failed,
}

impl Placement {
    fn as_str(self) -> &'static str {
        match self {
            Placement::Scheduled => "scheduled",
            Placement::Placed => "placed",
            Placement::Failed => "failed",
        }
    }
}

/// What a market day did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayRun {
    /// The day run.
    pub day: Date,
    /// The scenarios that took effect, by id.
    pub completed: Vec<String>,
    /// The scenarios due whose changes the register refused (a register write by staff in
    /// between, say): left in progress for staff to resolve, with the code.
    pub held: Vec<(String, String)>,
}

/// The journal's proof that a message is what was journaled: the entry that queued it, and
/// its inclusion in a signed head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// The entry's canonical bytes, hex: its `data_digest` is SHA-256 of the message's body,
    /// and SHA-256(0x00 ‖ these bytes) is the leaf the proof starts from.
    pub entry: String,
    /// The entry's inclusion in the tree of the head.
    pub proof: InclusionProofView,
    /// The signed head the proof ends at, with the key that verifies it.
    pub head: HeadView,
}

/// Why a receipt does not prove its message.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// The entry's bytes are not an entry.
    #[error("entry: {0}")]
    Entry(String),
    /// The entry digests other bytes than the body.
    #[error("body: the entry's digest is not the body's")]
    Digest,
    /// The entry is not in the head's tree.
    #[error("proof: {0}")]
    Proof(String),
    /// The head is not signed by the key.
    #[error("head: {0}")]
    Head(String),
}

/// Checks a receipt as its recipient would, holding the message and the journal's published
/// key but not our database: the body's SHA-256 is the entry's `data_digest`, the entry is in
/// the tree of the head, and the head is signed by `key`. Returns the entry's index.
pub fn verify_receipt(
    body: &[u8],
    receipt: &Receipt,
    key: &crate::VerifyingKey,
) -> Result<u64, ReceiptError> {
    let bytes = hex::decode(&receipt.entry).map_err(|e| ReceiptError::Entry(e.to_string()))?;
    let entry = Entry::decode(&bytes).map_err(|e| ReceiptError::Entry(e.to_string()))?;
    if entry.data_digest != Some(Hash::digest(body)) {
        return Err(ReceiptError::Digest);
    }
    let head = receipt.head.signed().ok_or_else(|| ReceiptError::Head("a signature is 64 bytes".into()))?;
    head.verify(key).map_err(|e| ReceiptError::Head(e.to_string()))?;
    let proof = &receipt.proof;
    if proof.size != head.head.size || proof.root != head.head.root {
        return Err(ReceiptError::Proof("the proof is not against the head".into()));
    }
    journal::verify_inclusion(
        &journal::leaf_hash(&bytes),
        proof.index,
        proof.size,
        &proof.hashes,
        &proof.root,
    )
    .map_err(|e| ReceiptError::Proof(e.to_string()))?;
    Ok(proof.index)
}

/// One message as its recipient reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageView {
    /// The id it is acknowledged by: stable across deliveries (at-least-once), random (I5).
    pub id: String,
    /// What it says, as its body names it.
    pub kind: String,
    /// The body: JSON, as a string holding exactly the bytes whose digest is journaled.
    pub body: String,
    /// When it was queued.
    pub created: Timestamp,
    /// The proof that this is what was journaled.
    pub receipt: Receipt,
}

/// A bundle of a queue's oldest messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bundle {
    /// Whose queue.
    pub recipient: String,
    /// The messages, oldest first.
    pub messages: Vec<MessageView>,
}

/// An acknowledgement's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AckView {
    /// The message.
    pub id: String,
    /// Whether this call took it out of the queue (`false`: it was out already, and a
    /// retried acknowledgement changes nothing).
    pub removed: bool,
}

/// A queued market submission.
pub struct MarketTicket(store::Ticket<Submitted>);

impl MarketTicket {
    /// Waits until the submission is durable; then its answer.
    pub async fn wait(self) -> Result<Sent<MarketAnswer>, AppError> {
        let committed = self.0.wait().await.map_err(AppError::Internal)?;
        match committed.output {
            Submitted::Answer(json) => Ok(Sent::written(answer_of(&json)?, json)
                .labelled(Confidentiality::PersonalData, committed.entries.start)),
            Submitted::KeyReused => Err(AppError::KeyReused),
        }
    }
}

/// What a submission under an idempotency key came to.
#[derive(Debug)]
pub(crate) enum Submitted {
    /// The answer's bytes: the first one, or a replay of it.
    Answer(Vec<u8>),
    /// The key was used before for another request.
    KeyReused,
}

/// How a queue is named: a party's id, or `dso:` and a service.
pub fn queue_name(recipient: &Recipient) -> String {
    match recipient {
        Recipient::Party(party) => party.to_string(),
        Recipient::Dso(service) => format!("dso:{}", service_name(*service)),
    }
}

fn service_name(service: DsoService) -> &'static str {
    match service {
        DsoService::Field => "field",
        DsoService::BudgetMeter => "budget_meter",
    }
}

/// The kinds the market runs here, in the API's and the CLI's words. A rectification is
/// judged by the domain, but undoing a registration needs a withdrawal record the register
/// does not have yet, so it is not offered.
pub const MARKET_KINDS: [ScenarioKind; 6] = [
    ScenarioKind::SupplierSwitch,
    ScenarioKind::MoveIn,
    ScenarioKind::MoveOut,
    ScenarioKind::EndOfContract,
    ScenarioKind::Drop,
    ScenarioKind::BudgetMeter,
];

/// The Europe/Brussels day now: the day requests are judged on.
pub fn market_today() -> Date {
    Timestamp::now().to_zoned(domain::period::brussels()).date()
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Journal(format!("market answer: {e}")))
}

/// A message's body: its kind (and work order), the scenario, the point and the day, and
/// for a supplier gaining the point its technical data. Never the other party or the reason.
fn body(message: &Message, public_id: &str, point: Option<&AccessPoint>) -> Result<Vec<u8>, StoreError> {
    #[derive(Serialize)]
    struct Technical {
        energy: Energy,
        regime: ReadingRegime,
        meter: MeterKind,
        grid_status: GridStatus,
    }
    let mut value =
        serde_json::to_value(message.kind).map_err(|e| StoreError::Journal(format!("message kind: {e}")))?;
    let ean = point.map(|ap| ap.ean);
    if let serde_json::Value::Object(map) = &mut value {
        map.insert("scenario".into(), public_id.into());
        map.insert("ean".into(), ean.map(|e| e.to_string()).into());
        map.insert("day".into(), message.day.to_string().into());
        if message.kind == scenario::MessageKind::TechnicalData {
            let technical = point.map(|ap| Technical {
                energy: ap.energy,
                regime: ap.regime,
                meter: ap.meter,
                grid_status: ap.grid_status,
            });
            map.insert(
                "technical".into(),
                serde_json::to_value(technical).map_err(|e| StoreError::Journal(e.to_string()))?,
            );
        }
    }
    to_json(&value)
}

fn kind_name(message: &Message) -> String {
    match serde_json::to_value(message.kind) {
        Ok(serde_json::Value::Object(map)) => match map.get("message") {
            Some(serde_json::Value::String(name)) => name.clone(),
            _ => "message".into(),
        },
        _ => "message".into(),
    }
}

/// Queues `messages` about the scenario known as `public_id`, one hub entry each.
async fn queue(
    tx: &mut WriteTx,
    hub: &Entry,
    messages: &[Message],
    public_id: &str,
    point: Option<&AccessPoint>,
    at: Timestamp,
) -> Result<Vec<Entry>, StoreError> {
    let mut entries = Vec::with_capacity(messages.len());
    for message in messages {
        let bytes = body(message, public_id, point)?;
        let recipient = queue_name(&message.recipient);
        let id = tx.insert_message(&recipient, message.scenario, &kind_name(message), &bytes, at).await?;
        entries.push(tx.slot().fill(Entry {
            subjects: vec![id, recipient, public_id.to_owned()],
            data_digest: Some(Hash::digest(&bytes)),
            ..hub.clone()
        }));
    }
    Ok(entries)
}

/// The register changes of `effects` on `point`: the domain's effects as the store's changes.
fn changes_of(effects: Vec<scenario::Effect>, point: &AccessPoint) -> Result<Vec<Change>, &'static str> {
    use scenario::Effect as E;
    let mut point = point.clone();
    effects
        .into_iter()
        .map(|effect| {
            Ok(match effect {
                E::OpenRegistration { registration } => {
                    Change::RecordRegistration { registration, supersedes: None }
                }
                E::ReplaceRegistration { supersedes, registration } => {
                    Change::RecordRegistration { registration, supersedes: Some(supersedes) }
                }
                E::OpenOccupancy { occupancy } => Change::RecordOccupancy { occupancy, supersedes: None },
                E::ReplaceOccupancy { supersedes, occupancy } => {
                    Change::RecordOccupancy { occupancy, supersedes: Some(supersedes) }
                }
                E::SetMeter { meter, .. } => {
                    point.meter = meter;
                    Change::PutAccessPoint(point.clone())
                }
                E::SetGridStatus { status, .. } => {
                    point.grid_status = status;
                    Change::PutAccessPoint(point.clone())
                }
                E::WithdrawRegistration { .. } | E::WithdrawOccupancy { .. } => {
                    return Err("not_withdrawable");
                }
            })
        })
        .collect()
}

/// Applies the register changes of `scenario` on its day, each change journaled as the
/// register's own act about the scenario; `Err(code)` when the register refuses (nothing of
/// it is then written).
async fn take_effect(
    tx: &mut WriteTx,
    template: &Entry,
    scenario: &Scenario,
    public_id: &str,
    config: &Config,
    at: Timestamp,
) -> Result<Result<Vec<Entry>, String>, StoreError> {
    let view = tx.point_view(scenario.request.ean, None).await?;
    let Some(point) = view.access_point.clone() else { return Ok(Err("unknown_ean".into())) };
    let effects = match scenario::effects(scenario, &view, config) {
        Ok(effects) => effects,
        Err(rejection) => return Ok(Err(rejection.code().to_owned())),
    };
    let changes = match changes_of(effects, &point) {
        Ok(changes) => changes.into_iter().map(|c| (at, c)).collect::<Vec<_>>(),
        Err(code) => return Ok(Err(code.to_owned())),
    };
    if changes.is_empty() {
        return Ok(Ok(Vec::new()));
    }
    match tx.apply_all(&changes).await? {
        Applied::Written(written) => Ok(Ok(changes
            .iter()
            .zip(written)
            .map(|((_, change), (_, concerned, slot))| {
                let mut subjects = vec![public_id.to_owned()];
                for subject in change.subjects().into_iter().chain(concerned.iter().map(ToString::to_string))
                {
                    if !subjects.contains(&subject) {
                        subjects.push(subject);
                    }
                }
                slot.fill(Entry {
                    action: change.action().to_owned(),
                    subjects,
                    outcome: "ok".into(),
                    ..template.clone()
                })
            })
            .collect())),
        Applied::Refused { error, .. } => Ok(Err(error.code().to_owned())),
    }
}

/// What a refused request is told about the scenario in progress that refused it: the
/// domain's refusal, as the policy lets it be worded (R3). Returns the refusal and the
/// policies that decided the wording.
fn wording(
    teller: &Teller,
    rejection: Rejection,
    view: &scenario::PointView,
    incoming: ScenarioKind,
) -> (Rejection, Vec<String>) {
    let Rejection::ScenarioInProgress { ean, conflict: scenario::Conflict::EndOfContractInProgress } =
        rejection
    else {
        return (rejection, Vec::new());
    };
    let blocking = view
        .scenarios
        .iter()
        .filter(|s| s.status.is_in_progress() && s.request.ean == ean)
        .map(Scenario::kind)
        .find(|kind| scenario::rule(*kind, incoming) == Rule::Masked);
    match blocking.and_then(|kind| teller.as_end_of_contract(kind)) {
        Some(policies) => (rejection, policies),
        // No policy lets it be told: tell less, never more (I2).
        None => (Rejection::ScenarioInProgress { ean, conflict: scenario::Conflict::InProgress }, Vec::new()),
    }
}

/// A new scenario, judged and, if accepted, written with its messages.
struct SubmitScenario {
    template: Entry,
    hub: Entry,
    teller: Teller,
    request: Request,
    today: Date,
    config: Config,
    /// The idempotency key: the party, the key, and the digest of the request.
    key: Option<(String, String, Vec<u8>)>,
}

impl SubmitScenario {
    async fn remember(&self, tx: &mut WriteTx, answer: &[u8], at: Timestamp) -> Result<(), StoreError> {
        if let Some((party, key, digest)) = &self.key {
            tx.remember(party, key, digest, answer, at).await?;
        }
        Ok(())
    }
}

impl Command for SubmitScenario {
    type Output = Submitted;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Submitted>, StoreError> {
        let ean = self.request.ean;
        let entry = |action: &str, outcome: String, answer: &[u8], subjects: Vec<String>| Entry {
            action: action.to_owned(),
            subjects,
            outcome,
            data_digest: Some(Hash::digest(answer)),
            ..self.template.clone()
        };
        if let Some((party, key, digest)) = &self.key {
            if let Some(first) = tx.remembered(party, key).await? {
                let (output, outcome) = if first.request_digest == *digest {
                    (Submitted::Answer(first.answer), "ok".to_owned())
                } else {
                    (Submitted::KeyReused, "refused:idempotency_key_reused".to_owned())
                };
                let answer = match &output {
                    Submitted::Answer(bytes) => bytes.as_slice(),
                    Submitted::KeyReused => &[],
                };
                let mut replay = entry("market.scenario.replay", outcome, answer, vec![ean.to_string()]);
                if matches!(output, Submitted::KeyReused) {
                    replay.data_digest = None;
                }
                return Ok(Done { output, entries: vec![tx.slot().fill(replay)] });
            }
        }
        let corrects = match &self.request.action {
            scenario::Action::Rectification { corrects } => Some(*corrects),
            _ => None,
        };
        let view = tx.point_view(ean, corrects).await?;
        let id = tx.next_scenario_id().await?;
        let at = Timestamp::now();
        let kind = self.request.kind();
        let customer = self.request.action.customer().map(ToString::to_string);
        match scenario::submit(id, self.request.clone(), &view, &self.config, self.today) {
            Err(rejection) => {
                let (rejection, policies) = wording(&self.teller, rejection, &view, kind);
                let answer = to_json(&MarketAnswer::refused(rejection.code(), &rejection.to_string()))?;
                self.remember(tx, &answer, at).await?;
                let outcome = format!("refused:{}", rejection.code());
                let refused = entry("market.scenario.submit", outcome, &answer, vec![ean.to_string()]);
                let refused = tx.slot().fill(Teller::told(refused, policies));
                Ok(Done { output: Submitted::Answer(answer), entries: vec![refused] })
            }
            Ok(accepted) => {
                let public_id = tx.insert_scenario(&accepted.scenario, at).await?;
                let mut superseded = Vec::new();
                for old in &accepted.supersedes {
                    let Some(pending) = view.scenarios.iter().find(|s| s.id == *old) else {
                        return Err(StoreError::Journal(format!(
                            "superseded scenario {old} is not on the point"
                        )));
                    };
                    let replaced = pending.supersede().map_err(|e| StoreError::Journal(e.to_string()))?;
                    tx.insert_status(*old, Status::Superseded, at).await?;
                    superseded.push((tx.scenario_public_id(*old).await?, replaced));
                }
                let answer = to_json(&MarketAnswer::Accepted {
                    scenario: ScenarioView::of(&public_id, &accepted.scenario),
                })?;
                self.remember(tx, &answer, at).await?;
                let mut subjects = vec![public_id.clone(), ean.to_string()];
                subjects.extend(customer);
                subjects.extend(superseded.iter().map(|(p, _)| p.clone()));
                let accept = entry("market.scenario.accept", "ok".into(), &answer, subjects);
                let mut entries = vec![tx.slot().fill(accept)];
                let point = view.access_point.as_ref();
                for (old_id, old) in &superseded {
                    let told = scenario::messages(old, Event::Superseded);
                    entries.extend(queue(tx, &self.hub, &told, old_id, point, at).await?);
                }
                let told = scenario::messages(&accepted.scenario, Event::Accepted);
                entries.extend(queue(tx, &self.hub, &told, &public_id, point, at).await?);
                Ok(Done { output: Submitted::Answer(answer), entries })
            }
        }
    }
}

/// A step of an accepted scenario: a cancellation, or a placement report.
struct Step {
    template: Entry,
    hub: Entry,
    public_id: String,
    id: ScenarioId,
    ean: Ean,
    /// Who cancels: the initiator (or the DSO acting for it).
    by: PartyId,
    what: StepKind,
    today: Date,
    config: Config,
}

#[derive(Clone, Copy)]
enum StepKind {
    Cancel,
    Placement(Placement),
}

impl Command for Step {
    type Output = Result<Vec<u8>, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let at = Timestamp::now();
        let view = tx.point_view(self.ean, Some(self.id)).await?;
        let action = match self.what {
            StepKind::Cancel => "market.scenario.cancel".to_owned(),
            StepKind::Placement(p) => format!("market.placement.{}", p.as_str()),
        };
        let entry = |outcome: String, answer: &[u8]| Entry {
            action: action.clone(),
            subjects: vec![self.public_id.clone(), self.ean.to_string()],
            outcome,
            data_digest: Some(Hash::digest(answer)),
            ..self.template.clone()
        };
        let refuse = |tx: &mut WriteTx, error: &TransitionError| -> Result<Done<Self::Output>, StoreError> {
            let answer = to_json(&MarketAnswer::refused(error.code(), &error.to_string()))?;
            let refused = tx.slot().fill(entry(format!("refused:{}", error.code()), &answer));
            Ok(Done { output: Ok(answer), entries: vec![refused] })
        };
        let Some(current) = view.scenarios.iter().find(|s| s.id == self.id) else {
            return Err(StoreError::Journal(format!("scenario {} is not on its access point", self.id)));
        };
        let (next, event) = match self.what {
            StepKind::Cancel => (current.cancel(&self.by, self.today, &view.scenarios), Event::Cancelled),
            StepKind::Placement(Placement::Scheduled) => (current.schedule(), Event::Scheduled),
            StepKind::Placement(Placement::Placed) => (current.place(self.today), Event::Placed),
            StepKind::Placement(Placement::Failed) => (current.fail(), Event::Failed),
        };
        let next = match next {
            Ok(next) => next,
            Err(error) => return refuse(tx, &error),
        };
        let savepoint = tx.savepoint().await?;
        let mut entries = Vec::new();
        if event == Event::Placed {
            match take_effect(tx, &self.template, current, &self.public_id, &self.config, at).await? {
                Ok(written) => entries.extend(written),
                Err(code) => {
                    tx.rollback_to(savepoint).await?;
                    let answer = to_json(&MarketAnswer::refused(
                        &code,
                        &format!("ean: the register refuses the placement on {} ({code})", self.ean),
                    ))?;
                    let refused = tx.slot().fill(entry(format!("refused:{code}"), &answer));
                    return Ok(Done { output: Ok(answer), entries: vec![refused] });
                }
            }
        }
        tx.release(savepoint).await?;
        tx.insert_status(self.id, next.status, at).await?;
        let answer = to_json(&MarketAnswer::Accepted { scenario: ScenarioView::of(&self.public_id, &next) })?;
        entries.push(tx.slot().fill(entry("ok".into(), &answer)));
        let told = scenario::messages(&next, event);
        entries.extend(queue(tx, &self.hub, &told, &self.public_id, view.access_point.as_ref(), at).await?);
        Ok(Done { output: Ok(answer), entries })
    }
}

/// The market's day: every accepted scenario whose day has come takes effect.
struct RunDay {
    template: Entry,
    hub: Entry,
    today: Date,
    config: Config,
}

impl Command for RunDay {
    type Output = Result<DayRun, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let at = Timestamp::now();
        let due: Vec<StoredScenario> = tx.due_scenarios(self.today).await?;
        let mut run = DayRun { day: self.today, completed: Vec::new(), held: Vec::new() };
        let mut entries = Vec::new();
        for stored in due.into_iter().filter(|s| s.scenario.status == Status::Accepted) {
            let scenario = &stored.scenario;
            let done = match scenario.complete(self.today) {
                Ok(done) => done,
                Err(error) => {
                    run.held.push((stored.public_id.clone(), error.code().to_owned()));
                    continue;
                }
            };
            let savepoint = tx.savepoint().await?;
            match take_effect(tx, &self.template, scenario, &stored.public_id, &self.config, at).await? {
                Ok(written) => {
                    tx.release(savepoint).await?;
                    entries.extend(written);
                    tx.insert_status(scenario.id, Status::Completed, at).await?;
                    entries.push(tx.slot().fill(Entry {
                        action: "market.scenario.complete".into(),
                        subjects: vec![stored.public_id.clone(), scenario.request.ean.to_string()],
                        outcome: "ok".into(),
                        ..self.template.clone()
                    }));
                    let told = scenario::messages(&done, Event::Completed);
                    entries.extend(queue(tx, &self.hub, &told, &stored.public_id, None, at).await?);
                    run.completed.push(stored.public_id);
                }
                Err(code) => {
                    tx.rollback_to(savepoint).await?;
                    entries.push(tx.slot().fill(Entry {
                        action: "market.scenario.complete".into(),
                        subjects: vec![stored.public_id.clone(), scenario.request.ean.to_string()],
                        outcome: format!("refused:{code}"),
                        ..self.template.clone()
                    }));
                    run.held.push((stored.public_id, code));
                }
            }
        }
        if entries.is_empty() {
            // A day with nothing due is still a day run: its entry says so.
            entries.push(tx.slot().fill(Entry {
                action: "market.day".into(),
                subjects: vec![self.today.to_string()],
                outcome: "ok".into(),
                ..self.template.clone()
            }));
        }
        Ok(Done { output: Ok(run), entries })
    }
}

/// Takes a message out of its recipient's queue.
struct Acknowledge {
    template: Entry,
    recipient: String,
    id: String,
}

impl Command for Acknowledge {
    type Output = Acknowledged;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Acknowledged>, StoreError> {
        let done = tx.acknowledge(&self.recipient, &self.id, Timestamp::now()).await?;
        let outcome = match done {
            Acknowledged::Now => "ok",
            Acknowledged::Before => "ok:before",
            Acknowledged::NoSuchMessage => "not_visible",
        };
        let entry = tx.slot().fill(Entry {
            subjects: vec![self.id, self.recipient],
            outcome: outcome.to_owned(),
            ..self.template
        });
        Ok(Done { output: done, entries: vec![entry] })
    }
}

impl Cloison {
    /// The market's configuration: windows, notice periods, last resort.
    pub fn market_config(&self) -> &Config {
        &self.market
    }

    /// Submits a scenario, judged on `today` (Europe/Brussels; [`market_today`] for a live
    /// request). A supplier submits in its own name only; the DSO's staff enter scenarios for
    /// the initiator the request names. Under an idempotency `key`, a repeat of the same
    /// request answers the first answer again, and another request is refused.
    pub async fn market_submit(
        &self,
        actor: &Actor,
        request: Request,
        key: Option<&str>,
        today: Date,
    ) -> Result<Sent<MarketAnswer>, AppError> {
        self.market_queue(actor, request, key, today).await?.wait().await
    }

    /// Queues a submission without waiting for it, as [`Cloison::register_submit`] queues
    /// register requests: submissions are judged in the order queued, and many ride in one
    /// commit. Await the ticket for the answer, once durable.
    pub async fn market_queue(
        &self,
        actor: &Actor,
        request: Request,
        key: Option<&str>,
        today: Date,
    ) -> Result<MarketTicket, AppError> {
        if actor.role == domain::Role::Supplier && request.initiator != actor.party {
            return Err(AppError::Invalid(StoreError::Config {
                field: "initiator",
                reason: "a supplier starts scenarios in its own name".into(),
            }));
        }
        if !MARKET_KINDS.contains(&request.kind()) {
            return Err(AppError::Invalid(StoreError::Config {
                field: "kind",
                reason: format!("{} is not a scenario this market runs", request.kind()),
            }));
        }
        let key = match key {
            Some(key) => {
                check_key(key)?;
                let digest = Hash::digest(&to_json(&request)?).as_bytes().to_vec();
                Some((actor.party.to_string(), key.to_owned(), digest))
            }
            None => None,
        };
        let ean = request.ean;
        let text = ean.to_string();
        let act = "market.scenario.submit";
        let ask = Ask::access_point(Action::StartScenario, ean, &text, act, "market");
        let hub = self.hub_entry()?;
        let teller = self.teller(actor);
        let config = self.market.clone();
        self.write(actor, vec![ask], |template| async move {
            let command = SubmitScenario { template, hub, teller, request, today, config, key };
            Ok(MarketTicket(self.store.submit(command).await.map_err(AppError::Internal)?))
        })
        .await
    }

    /// A scenario, to its initiator and the DSO; anyone else, and an id that does not exist,
    /// get the same not-visible answer (I5).
    pub async fn market_scenario(
        &self,
        actor: &Actor,
        public_id: &str,
    ) -> Result<Sent<ScenarioView>, AppError> {
        let stored = self.store.scenario(public_id).await?;
        let own = stored.as_ref().is_some_and(|s| s.scenario.request.initiator == actor.party);
        let ask = scenario_ask(Action::ReadScenario, own, "market.scenario.show", public_id);
        self.read(actor, ask, |_| async move {
            let stored = stored.ok_or(AppError::NoSuch("scenario"))?;
            Ok(ScenarioView::of(&stored.public_id, &stored.scenario))
        })
        .await
    }

    /// Cancels a scenario before its day: by its initiator, or by the DSO's staff for it.
    pub async fn market_cancel(
        &self,
        actor: &Actor,
        public_id: &str,
        today: Date,
    ) -> Result<Sent<MarketAnswer>, AppError> {
        self.market_step(actor, public_id, StepKind::Cancel, Action::CancelScenario, today).await
    }

    /// The DSO's report on a budget-meter placement.
    pub async fn market_placement(
        &self,
        actor: &Actor,
        public_id: &str,
        placement: Placement,
        today: Date,
    ) -> Result<Sent<MarketAnswer>, AppError> {
        self.market_step(actor, public_id, StepKind::Placement(placement), Action::ReportPlacement, today)
            .await
    }

    async fn market_step(
        &self,
        actor: &Actor,
        public_id: &str,
        what: StepKind,
        action: Action,
        today: Date,
    ) -> Result<Sent<MarketAnswer>, AppError> {
        let stored = self.store.scenario(public_id).await?;
        let own = stored.as_ref().is_some_and(|s| s.scenario.request.initiator == actor.party);
        let act = match what {
            StepKind::Cancel => "market.scenario.cancel",
            StepKind::Placement(_) => "market.placement",
        };
        let ask = scenario_ask(action, own, act, public_id);
        let decision = self.decide(actor, &ask).await?;
        if !decision.allowed {
            return Err(self.refuse(actor, &ask, decision).await);
        }
        let Some(stored) = stored else {
            // Allowed, but no such scenario: journaled as the read path journals a miss, and
            // answered as a refusal is (I5).
            return self
                .read(actor, ask, |_| async { Err::<MarketAnswer, _>(AppError::NoSuch("scenario")) })
                .await;
        };
        let hub = self.hub_entry()?;
        let config = self.market.clone();
        let scenario = stored.scenario;
        // The DSO's staff act for the initiator; a supplier only for itself.
        let by = if actor.role == domain::Role::Supplier {
            actor.party.clone()
        } else {
            scenario.request.initiator.clone()
        };
        let json = self
            .write(actor, vec![ask], |template| async move {
                let command = Step {
                    template,
                    hub,
                    public_id: stored.public_id,
                    id: scenario.id,
                    ean: scenario.request.ean,
                    by,
                    what,
                    today,
                    config,
                };
                let ticket = self.store.submit(command).await.map_err(AppError::Internal)?;
                let committed = ticket.wait().await.map_err(AppError::Internal)?;
                Ok((committed.output.map_err(AppError::from)?, committed.entries.start))
            })
            .await?;
        let (json, index) = json;
        Ok(Sent::written(answer_of(&json)?, json).labelled(Confidentiality::PersonalData, index))
    }

    /// Runs the market's day `today`: the accepted scenarios whose day has come take effect.
    pub async fn market_run_day(&self, actor: &Actor, today: Date) -> Result<DayRun, AppError> {
        let ask = Ask::function(Action::RunMarketDay, Resource::Register, "market.day", "market");
        let hub = self.hub_entry()?;
        let config = self.market.clone();
        self.write(actor, vec![ask], |template| async move {
            let command = RunDay { template, hub, today, config };
            let ticket = self.store.submit(command).await.map_err(AppError::Internal)?;
            ticket.wait().await.map_err(AppError::Internal)?.output.map_err(AppError::from)
        })
        .await
    }

    /// The oldest unacknowledged messages of a queue, at most `limit` (up to
    /// [`MAX_BUNDLE`]), each with its receipt. A supplier reads its own queue; the DSO's
    /// staff name the queue they deliver (`recipient`).
    pub async fn market_peek(
        &self,
        actor: &Actor,
        recipient: Option<&str>,
        limit: i64,
    ) -> Result<Sent<Bundle>, AppError> {
        let recipient = recipient.map_or_else(|| actor.party.to_string(), str::to_owned);
        let own = recipient == actor.party.as_str();
        let ask =
            Ask::function(Action::PeekMessages, Resource::Queue { own }, "market.messages.peek", "market")
                .about(vec![recipient.clone()]);
        let limit = limit.clamp(1, MAX_BUNDLE);
        self.read(actor, ask, |_| async move {
            let stored = self.store.peek_messages(&recipient, limit).await?;
            let head = self.store.journal_head().await?;
            let key = self.store.journal_public_key();
            let mut messages = Vec::with_capacity(stored.len());
            for message in stored {
                let entry = self.store.journal_entry(message.entry).await?.ok_or_else(|| {
                    AppError::Internal(StoreError::Journal("a queued message's entry is missing".into()))
                })?;
                let hashes = self.store.inclusion_proof(message.entry, head.head.size).await?;
                let body = String::from_utf8(message.body).map_err(|_| {
                    AppError::Internal(StoreError::Journal("a message body is not UTF-8".into()))
                })?;
                messages.push(MessageView {
                    id: message.id,
                    kind: message.kind,
                    body,
                    created: message.created,
                    receipt: Receipt {
                        entry: hex::encode(&entry.bytes),
                        proof: InclusionProofView {
                            index: message.entry,
                            size: head.head.size,
                            hashes,
                            root: head.head.root,
                        },
                        head: HeadView::new(&head, &key),
                    },
                });
            }
            Ok(Bundle { recipient, messages })
        })
        .await
    }

    /// Acknowledges message `id` of a queue (the caller's own, or one the DSO's staff
    /// deliver): it leaves the queue. Acknowledging again changes nothing; an id not in that
    /// queue, someone else's or none, is not visible (I5).
    pub async fn market_acknowledge(
        &self,
        actor: &Actor,
        recipient: Option<&str>,
        id: &str,
    ) -> Result<AckView, AppError> {
        self.market_acknowledge_queue(actor, recipient, id).await?.wait().await
    }

    /// Queues an acknowledgement without waiting for it, so a party emptying its queue sends
    /// a bundle's acknowledgements in one commit. Await the ticket for the answer.
    pub async fn market_acknowledge_queue(
        &self,
        actor: &Actor,
        recipient: Option<&str>,
        id: &str,
    ) -> Result<AckTicket, AppError> {
        let recipient = recipient.map_or_else(|| actor.party.to_string(), str::to_owned);
        let own = recipient == actor.party.as_str();
        let ask = Ask::function(
            Action::AcknowledgeMessage,
            Resource::Queue { own },
            "market.message.ack",
            "market",
        )
        .about(vec![id.to_owned(), recipient.clone()]);
        let id = id.to_owned();
        self.write(actor, vec![ask], |template| async move {
            let command = Acknowledge { template, recipient, id: id.clone() };
            Ok(AckTicket { ticket: self.store.submit(command).await.map_err(AppError::Internal)?, id })
        })
        .await
    }
}

/// A queued acknowledgement.
pub struct AckTicket {
    ticket: store::Ticket<Acknowledged>,
    id: String,
}

impl AckTicket {
    /// Waits until the acknowledgement is durable; then what it did.
    pub async fn wait(self) -> Result<AckView, AppError> {
        match self.ticket.wait().await.map_err(AppError::Internal)?.output {
            Acknowledged::Now => Ok(AckView { id: self.id, removed: true }),
            Acknowledged::Before => Ok(AckView { id: self.id, removed: false }),
            Acknowledged::NoSuchMessage => Err(AppError::NoSuch("message")),
        }
    }
}

fn scenario_ask<'a>(action: Action, own: bool, act: &'a str, public_id: &str) -> Ask<'a> {
    Ask {
        action,
        resource: Resource::Scenario { own },
        ean: None,
        act,
        subjects: vec![public_id.to_owned()],
        purpose: "market",
        refusal: Refusal::NoSuch("scenario"),
    }
}

fn answer_of(json: &[u8]) -> Result<MarketAnswer, AppError> {
    serde_json::from_slice(json).map_err(|e| {
        AppError::Internal(StoreError::Journal(format!("a kept market answer does not parse: {e}")))
    })
}

/// The longest idempotency key: a UUID is 36 characters; this leaves room for the client's
/// own prefixes.
pub const MAX_KEY_LEN: usize = 128;

fn check_key(key: &str) -> Result<(), AppError> {
    let ok = !key.is_empty() && key.len() <= MAX_KEY_LEN && key.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(AppError::Invalid(StoreError::Config {
            field: "Idempotency-Key",
            reason: format!("a key is 1 to {MAX_KEY_LEN} visible ASCII characters"),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_its_field_from_the_rules_text() {
        let answer = MarketAnswer::refused("unknown_ean", "ean: 541448820000000017 is not an access point");
        let MarketAnswer::Refused { field, code, .. } = &answer else { panic!("refused") };
        assert_eq!((field.as_str(), code.as_str()), ("ean", "unknown_ean"));
        let MarketAnswer::Refused { field, .. } = MarketAnswer::refused("x", "no field here") else {
            panic!("refused")
        };
        assert_eq!(field, "request");
    }

    #[test]
    fn keys_are_short_visible_ascii() {
        assert!(check_key("3f2c-01").is_ok());
        assert!(check_key("").is_err());
        assert!(check_key("a b").is_err());
        assert!(check_key(&"k".repeat(MAX_KEY_LEN + 1)).is_err());
    }

    #[test]
    fn queues_are_named_by_party_or_service() {
        let party: PartyId = "gln-5414488200007".parse().expect("party id");
        assert_eq!(queue_name(&Recipient::Party(party)), "gln-5414488200007");
        assert_eq!(queue_name(&Recipient::Dso(DsoService::BudgetMeter)), "dso:budget_meter");
    }
}
