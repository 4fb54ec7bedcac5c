//! The producer connection queues through the door (R15): the connections team's commands,
//! the daily run, the views built for each caller, and the audit that rebuilds every queue
//! from its journaled commands.
//!
//! Each command is decided at the gate (`ManageConnections`), then applied in the writer's
//! transaction to the queue as it stands there, with one journal entry naming the substation,
//! the request and the producer and carrying the digest of the answer; the rows it writes are
//! bound to that entry. A command dated after today (Europe/Brussels) is refused: the queue
//! records what happened, not what is planned.
//!
//! A producer sees its own requests only, each with its position in its queue and the queue's
//! capacity figures: never another producer's identity, project or request.

use domain::SubstationId;
use domain::producer::{Command, Figures, Happening, Queue, Request};
use jiff::Timestamp;
use jiff::civil::Date;
use journal::Entry;
use policy::{Action, Resource};
use serde::Serialize;
use store::journal::{Command as StoreCommand, Done};
use store::{StoreError, WriteTx};

use crate::gate::{Ask, Sent, answered};
use crate::market::market_today;
use crate::write::refused;
use crate::{Actor, AppError, Cloison};

/// What a command did: what happened to which request, and the queue's figures after.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionOutcome {
    /// The substation.
    pub substation: SubstationId,
    /// The command's name.
    pub command: &'static str,
    /// What happened, request by request.
    pub happened: Vec<Happening>,
    /// The queue's figures after.
    pub figures: Figures,
    /// The request the command named or filed, as it stands after.
    pub request: Option<Request>,
}

/// One substation's part of a daily run.
#[derive(Debug, Clone, Serialize)]
pub struct DailyQueue {
    /// The substation.
    pub substation: SubstationId,
    /// Reminders, caducities (the regulator told) and re-offers.
    pub happened: Vec<Happening>,
}

/// What a daily run did.
#[derive(Debug, Clone, Serialize)]
pub struct DailyReport {
    /// The day run for.
    pub day: Date,
    /// The queues checked.
    pub queues: usize,
    /// The queues where something happened.
    pub changed: Vec<DailyQueue>,
}

/// A request as staff see it: with its position among the requests still in the procedure.
#[derive(Debug, Clone, Serialize)]
pub struct RankedRequest {
    /// Its position (from 1), or `None` once its procedure is over or its works ordered.
    pub position: Option<u32>,
    /// The request.
    #[serde(flatten)]
    pub request: Request,
}

/// A queue as staff and the ethics committee see it.
#[derive(Debug, Clone, Serialize)]
pub struct QueueView {
    /// The substation.
    pub substation: SubstationId,
    /// Its figures.
    pub figures: Figures,
    /// Every request, in rank order.
    pub requests: Vec<RankedRequest>,
}

/// A producer's own request: its position and the queue's figures, nobody else's.
#[derive(Debug, Clone, Serialize)]
pub struct OwnRequest {
    /// The substation.
    pub substation: SubstationId,
    /// Its position among the requests still in the procedure on that substation.
    pub position: Option<u32>,
    /// The queue's figures.
    pub figures: Figures,
    /// The request.
    pub request: Request,
}

/// What the audit found: the queues rebuilt from their journaled commands, beside the stored
/// ones.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionAudit {
    /// Commands replayed.
    pub commands: usize,
    /// Queues compared.
    pub queues: usize,
    /// Requests compared.
    pub requests: usize,
    /// The first difference, naming the substation, the request and the field; `None` when the
    /// stored queues are exactly what the commands make.
    pub first_difference: Option<String>,
}

fn views(queue: &Queue) -> QueueView {
    QueueView {
        substation: queue.substation.clone(),
        figures: queue.figures(),
        requests: queue
            .requests
            .iter()
            .map(|r| RankedRequest { position: queue.position(&r.id), request: r.clone() })
            .collect(),
    }
}

fn in_future(day: Date) -> Result<(), AppError> {
    let today = market_today();
    if day > today {
        return Err(AppError::Invalid(StoreError::Refused {
            field: "day",
            code: "day_in_future",
            reason: format!("{day} is after today ({today}): the queue records what happened"),
        }));
    }
    Ok(())
}

impl Cloison {
    /// Applies one command to `substation`'s queue. Refused, with the rule named and nothing
    /// changed, when the day is after today, the substation has no queue, the producer is not
    /// a network user, or the procedure does not allow it.
    pub async fn connection_command(
        &self,
        actor: &Actor,
        substation: SubstationId,
        command: Command,
    ) -> Result<Sent<ConnectionOutcome>, AppError> {
        in_future(command.day())?;
        let mut subjects = vec![substation.to_string()];
        subjects.extend(command.request().map(str::to_owned));
        if let Command::Acknowledge { producer, .. } = &command {
            subjects.push(producer.to_string());
        }
        let act = format!("producers.{}", command.name());
        let ask = Ask::function(
            Action::ManageConnections,
            Resource::Connections,
            &act,
            "producer connection queue (R15)",
        )
        .about(subjects);
        self.write(actor, vec![ask], |template| async move {
            let run = ApplyConnection { template, substation, command };
            Ok(self.store.submit(run).await?.wait().await?.output?)
        })
        .await
    }

    /// The daily run for `day`: reminders due, caducities (the regulator told), and the
    /// capacity they free re-offered in rank order, on every queue. Idempotent: run again for
    /// the same day, it finds nothing more to do; it may be run for a past day it missed.
    pub async fn connections_daily(&self, actor: &Actor, day: Date) -> Result<Sent<DailyReport>, AppError> {
        in_future(day)?;
        let ask = Ask::function(
            Action::ManageConnections,
            Resource::Connections,
            "producers.daily",
            "producer connection queue (R15)",
        )
        .about(vec![day.to_string()]);
        self.write(actor, vec![ask], |template| async move {
            Ok(self.store.submit(DailyRun { template, day }).await?.wait().await?.output?)
        })
        .await
    }

    /// Every queue with every request, in rank order: the connections team's and the ethics
    /// committee's view.
    pub async fn connection_queues(&self, actor: &Actor) -> Result<Sent<Vec<QueueView>>, AppError> {
        let ask = Ask::function(
            Action::ReviewConnections,
            Resource::Connections,
            "producers.list",
            "producer connection queue (R15)",
        );
        self.read(actor, ask, |_| async {
            Ok(self.store.connection_queues().await?.iter().map(views).collect::<Vec<_>>())
        })
        .await
    }

    /// The caller's own requests, each with its position and its queue's figures.
    pub async fn own_connections(&self, actor: &Actor) -> Result<Sent<Vec<OwnRequest>>, AppError> {
        let ask = Ask::function(
            Action::ReadOwnConnections,
            Resource::Connections,
            "producers.own",
            "a producer's own connection requests (R15)",
        );
        let producer = actor.party.clone();
        self.read(actor, ask, |_| async move {
            let queues = self.store.connection_queues_of(&producer).await?;
            Ok(queues
                .iter()
                .flat_map(|queue| {
                    let figures = queue.figures();
                    queue.requests.iter().filter(|r| r.producer == producer).map(move |r| OwnRequest {
                        substation: queue.substation.clone(),
                        position: queue.position(&r.id),
                        figures,
                        request: r.clone(),
                    })
                })
                .collect::<Vec<_>>())
        })
        .await
    }

    /// Rebuilds every queue from its journaled commands alone and compares it with the stored
    /// queue, naming the first difference: a hand-made change to the stored queue (a rank, a
    /// state, a capacity) is found even where it would verify.
    pub async fn connections_audit(&self, actor: &Actor) -> Result<Sent<ConnectionAudit>, AppError> {
        let ask = Ask::function(
            Action::ReviewConnections,
            Resource::Connections,
            "producers.audit",
            "producer connection queue audit (R15)",
        );
        self.read(actor, ask, |_| async {
            let commands = self.store.connection_commands().await?;
            let stored = self.store.connection_queues().await?;
            Ok(audit(&commands, &stored))
        })
        .await
    }
}

/// Replays `commands` and compares the queues they make with `stored`.
fn audit(commands: &[(SubstationId, u32, Command)], stored: &[Queue]) -> ConnectionAudit {
    let mut rebuilt: Vec<Queue> = Vec::new();
    let mut first_difference = None;
    for (substation, seq, command) in commands {
        if rebuilt.last().is_none_or(|q| &q.substation != substation) {
            rebuilt.push(Queue::new(substation.clone()));
        }
        let queue = rebuilt.last_mut().expect("pushed above");
        if let Err(e) = queue.apply(command) {
            first_difference.get_or_insert_with(|| {
                format!("{substation}: command {seq} ({}) is refused on replay: {e}", command.name())
            });
        }
    }
    let requests = stored.iter().map(|q| q.requests.len()).sum();
    if first_difference.is_none() {
        first_difference = compare(&rebuilt, stored);
    }
    ConnectionAudit { commands: commands.len(), queues: stored.len(), requests, first_difference }
}

/// The first difference between the queues `expected` and `found`, named.
fn compare(expected: &[Queue], found: &[Queue]) -> Option<String> {
    for (i, want) in expected.iter().enumerate() {
        let Some(got) = found.get(i).filter(|q| q.substation == want.substation) else {
            return Some(format!("{}: the stored queue is missing", want.substation));
        };
        let name = &want.substation;
        if want.capacity != got.capacity {
            return Some(format!(
                "{name}: capacity_kw is {} where the commands make {}",
                got.capacity, want.capacity
            ));
        }
        if want.next_filing != got.next_filing {
            return Some(format!(
                "{name}: next_filing is {} where the commands make {}",
                got.next_filing, want.next_filing
            ));
        }
        if want.last_day != got.last_day {
            return Some(format!(
                "{name}: last_day is {:?} where the commands make {:?}",
                got.last_day, want.last_day
            ));
        }
        for (j, r) in want.requests.iter().enumerate() {
            let Some(g) = got.requests.get(j) else {
                return Some(format!("{name}: request {} is missing", r.id));
            };
            if g.id != r.id {
                return Some(format!(
                    "{name}: rank {} holds {} where the commands put {}",
                    j + 1,
                    g.id,
                    r.id
                ));
            }
            if g != r {
                let (a, b) = (serde_json::to_value(r).ok()?, serde_json::to_value(g).ok()?);
                let field = a
                    .as_object()
                    .and_then(|a| {
                        a.iter().find(|(k, v)| b.get(k.as_str()) != Some(*v)).map(|(k, _)| k.clone())
                    })
                    .unwrap_or_else(|| "its record".into());
                return Some(format!(
                    "{name}: request {}: {field} is {} where the commands make {}",
                    r.id,
                    b.get(&field).map(ToString::to_string).unwrap_or_default(),
                    a.get(&field).map(ToString::to_string).unwrap_or_default()
                ));
            }
        }
        if let Some(extra) = got.requests.get(want.requests.len()) {
            return Some(format!("{name}: request {} is stored but no command filed it", extra.id));
        }
    }
    found.get(expected.len()).map(|extra| format!("{}: a stored queue no command opened", extra.substation))
}

struct ApplyConnection {
    template: Entry,
    substation: SubstationId,
    command: Command,
}

impl StoreCommand for ApplyConnection {
    type Output = Result<Sent<ConnectionOutcome>, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let savepoint = tx.savepoint().await?;
        let result = tx.apply_connection(&self.substation, &self.command, Timestamp::now()).await;
        match result {
            Ok((queue, happened)) => {
                tx.release(savepoint).await?;
                let named = self.command.request().map(str::to_owned).or_else(|| {
                    happened.iter().find(|h| h.what == "acknowledged").and_then(|h| h.request.clone())
                });
                let outcome = ConnectionOutcome {
                    substation: self.substation.clone(),
                    command: self.command.name(),
                    request: named.as_deref().and_then(|id| queue.request(id)).cloned(),
                    figures: queue.figures(),
                    happened,
                };
                let mut subjects = self.template.subjects.clone();
                if let (Command::Acknowledge { .. }, Some(id)) = (&self.command, &named) {
                    subjects.push(id.clone());
                }
                let (sent, entry) =
                    answered(tx, self.template, subjects, outcome, Action::ManageConnections)?;
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

struct DailyRun {
    template: Entry,
    day: Date,
}

impl StoreCommand for DailyRun {
    type Output = Result<Sent<DailyReport>, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let substations = tx.connection_substations().await?;
        let mut report = DailyReport { day: self.day, queues: substations.len(), changed: Vec::new() };
        let mut subjects = self.template.subjects.clone();
        for substation in substations {
            let (_, happened) =
                tx.apply_connection(&substation, &Command::Daily { day: self.day }, Timestamp::now()).await?;
            if !happened.is_empty() {
                subjects.push(substation.to_string());
                subjects.extend(happened.iter().filter_map(|h| h.request.clone()));
                if happened.iter().any(|h| h.regulator) {
                    subjects.push("regulator".into());
                }
                report.changed.push(DailyQueue { substation, happened });
            }
        }
        subjects.dedup();
        let (sent, entry) = answered(tx, self.template, subjects, report, Action::ManageConnections)?;
        Ok(Done { output: Ok(sent), entries: vec![entry] })
    }
}
