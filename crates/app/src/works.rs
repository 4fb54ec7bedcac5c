//! Customer works through the door (R13): requests captured and moved through their six
//! modules by the works team, each step one command with its journal entry; the views for the
//! team and for each requester; and the retention schedule, which purges personal data by
//! deleting their keys.
//!
//! Nobody but the works team and a request's own requester sees a request: anyone else asking
//! for one by its id gets the answer of a request that does not exist (I5).

use std::collections::BTreeMap;

use domain::works::{RequesterKind, RetentionRule, Step, WorkKind, WorkRequest, parse_retention};
use domain::{Ean, PartyId};
use jiff::civil::Date;
use journal::Entry;
use policy::{Action, Resource};
use serde::Serialize;
use store::journal::{Command as StoreCommand, Done};
use store::works::StoredWork;
use store::{StoreError, WriteTx};

use crate::gate::{Ask, Sent, answered, or_nothing};
use crate::market::market_today;
use crate::write::refused;
use crate::{Actor, AppError, Cloison};

/// The retention schedule shipped with the policies: categories of personal data, how long
/// each is kept after a request ends, and the legal basis of each.
pub const RETENTION_CSV: &str = include_str!("../../../policies/retention.csv");

/// A request as the works team or its requester sees it.
#[derive(Debug, Clone, Serialize)]
pub struct WorkView {
    /// The request's id.
    pub id: String,
    /// Its version (one per step).
    pub version: i64,
    /// The day of its last step.
    pub changed: Date,
    /// What the work is.
    pub kind: WorkKind,
    /// Who asked.
    pub requester: PartyId,
    /// What kind of requester.
    pub requester_kind: RequesterKind,
    /// The access point.
    pub ean: Option<Ean>,
    /// Where it stands.
    pub stage: domain::works::Stage,
    /// What each module kept, personal fields apart.
    pub fields: BTreeMap<String, String>,
    /// The personal fields that remain.
    pub personal: BTreeMap<String, String>,
    /// The categories of personal data purged.
    pub purged: Vec<String>,
    /// The technical asset record, once closed.
    pub asset: Option<domain::works::AssetRecord>,
}

impl From<StoredWork> for WorkView {
    fn from(w: StoredWork) -> WorkView {
        WorkView {
            asset: w.request.asset_record(),
            id: w.id,
            version: w.version,
            changed: w.changed,
            kind: w.request.kind,
            requester: w.request.requester,
            requester_kind: w.request.requester_kind,
            ean: w.request.ean,
            stage: w.request.stage,
            fields: w.request.fields,
            personal: w.request.personal,
            purged: w.purged,
        }
    }
}

/// A closed request's asset record as the works team views it: the technical data it keeps,
/// and who uses the connection now, read from the register at this moment (R13): the asset
/// data never hold a copy of a name.
#[derive(Debug, Clone, Serialize)]
pub struct AssetView {
    /// The request that left the record.
    pub request: String,
    /// The technical data.
    pub asset: domain::works::AssetRecord,
    /// The network user occupying the access point now, by name, from the register.
    pub network_user: Option<String>,
    /// The effective date of the supply contract in force now (the registration's start),
    /// from the register.
    pub contract_from: Option<jiff::Timestamp>,
}

/// What a run of the retention schedule purged.
#[derive(Debug, Clone, Serialize)]
pub struct RetentionReport {
    /// The day it ran for.
    pub day: Date,
    /// The requests looked at (closed or cancelled).
    pub ended: usize,
    /// Each purge.
    pub purged: Vec<Purge>,
}

/// One category of one request's personal data purged, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Purge {
    /// The request.
    pub request: String,
    /// The category: `contact` or `invoice`.
    pub category: String,
    /// The legal basis of the period it was kept.
    pub legal_basis: String,
}

fn invalid(e: domain::works::WorksError) -> AppError {
    let field: &'static str = match e.field.as_str() {
        "kind" => "kind",
        "ean" => "ean",
        "step" => "step",
        "day" => "day",
        "request" => "request",
        _ => "fields",
    };
    let reason = if field == "fields" { format!("{}: {}", e.field, e.reason) } else { e.reason };
    AppError::Invalid(StoreError::Refused { field, code: e.code, reason })
}

/// Refuses a day after today: requests record what happened.
fn not_after_today(day: Date) -> Result<(), AppError> {
    let today = market_today();
    if day > today {
        return Err(AppError::Invalid(StoreError::Refused {
            field: "day",
            code: "day_in_future",
            reason: format!("{day} is after today ({today})"),
        }));
    }
    Ok(())
}

impl Cloison {
    /// Captures a work request for `requester` (a known party): its kind and the capture
    /// module's fields, nothing more (R13). Returns it as stored.
    pub async fn capture_work(
        &self,
        actor: &Actor,
        kind: &str,
        requester: PartyId,
        requester_kind: RequesterKind,
        fields: BTreeMap<String, String>,
        day: Date,
    ) -> Result<Sent<WorkView>, AppError> {
        not_after_today(day)?;
        let kind = WorkKind::parse(kind).map_err(invalid)?;
        let request =
            WorkRequest::capture(kind, requester.clone(), requester_kind, fields).map_err(invalid)?;
        let ask =
            Ask::function(Action::ManageWorks, Resource::Works, "works.capture", "customer works (R13)")
                .about(vec![requester.to_string()]);
        self.write(actor, vec![ask], |template| async move {
            let run = WorkCommand { template, id: None, request: Some(request), step: None, day };
            Ok(self.store.submit(run).await?.wait().await?.output?)
        })
        .await
    }

    /// Moves request `id` one step on, on `day` (never after today, nor before its last step);
    /// refused with the rule named (an offer accepted twice, execution before planning, a
    /// field the module does not keep), nothing changed.
    pub async fn work_step(
        &self,
        actor: &Actor,
        id: &str,
        step: Step,
        day: Date,
    ) -> Result<Sent<WorkView>, AppError> {
        not_after_today(day)?;
        let act = format!("works.{}", step.name());
        let ask = Ask::function(Action::ManageWorks, Resource::Works, &act, "customer works (R13)")
            .about(vec![id.to_owned()]);
        self.write(actor, vec![ask], |template| async move {
            let run = WorkCommand { template, id: Some(id.to_owned()), request: None, step: Some(step), day };
            Ok(self.store.submit(run).await?.wait().await?.output?)
        })
        .await
    }

    /// Every request: the works team's view.
    pub async fn works(&self, actor: &Actor) -> Result<Sent<Vec<WorkView>>, AppError> {
        let ask = Ask::function(Action::ManageWorks, Resource::Works, "works.list", "customer works (R13)");
        self.read(actor, ask, |_| async {
            Ok(self.store.works(None, None).await?.into_iter().map(WorkView::from).collect::<Vec<_>>())
        })
        .await
    }

    /// The caller's own requests and their state.
    pub async fn own_works(&self, actor: &Actor) -> Result<Sent<Vec<WorkView>>, AppError> {
        let ask = Ask::function(
            Action::ReadOwnWorks,
            Resource::Works,
            "works.own",
            "a requester's own works (R13)",
        );
        let party = actor.party.clone();
        self.read(actor, ask, |_| async move {
            Ok(self
                .store
                .works(Some(&party), None)
                .await?
                .into_iter()
                .map(WorkView::from)
                .collect::<Vec<_>>())
        })
        .await
    }

    /// One request: for the works team, or for its own requester; anyone else gets the answer
    /// of a request that does not exist.
    pub async fn work(&self, actor: &Actor, id: &str) -> Result<Sent<WorkView>, AppError> {
        let probe = Ask::function(Action::ManageWorks, Resource::Works, "works.show", "customer works (R13)");
        let staff = self.decide(actor, &probe).await?.allowed;
        let (action, act) = if staff {
            (Action::ManageWorks, "works.show")
        } else {
            (Action::ReadOwnWorks, "works.show_own")
        };
        let ask =
            Ask::function(action, Resource::Works, act, "customer works (R13)").about(vec![id.to_owned()]);
        let party = actor.party.clone();
        let found = self
            .read(actor, ask, |_| async move {
                let owner = if staff { None } else { Some(&party) };
                Ok(self.store.works(owner, Some(id)).await?.into_iter().next().map(WorkView::from))
            })
            .await;
        or_nothing(found, "work request")
    }

    /// The asset record request `id` left, with the network user's name and contract date
    /// read from the register now, through the gate; the answer of no request to anyone but
    /// the works team, and for a request not closed.
    pub async fn asset_record(&self, actor: &Actor, id: &str) -> Result<Sent<AssetView>, AppError> {
        let ask =
            Ask::function(Action::ReadAssetRecord, Resource::Works, "works.asset", "asset record (R13)")
                .about(vec![id.to_owned()]);
        let found = self
            .read(actor, ask, |_| async move {
                let Some(work) = self.store.works(None, Some(id)).await?.into_iter().next() else {
                    return Ok(None);
                };
                let Some(asset) = work.request.asset_record() else { return Ok(None) };
                let (mut network_user, mut contract_from) = (None, None);
                if let Some(ean) = asset.ean
                    && let Some((_, snapshot)) = self.store.snapshot(ean, jiff::Timestamp::now()).await?
                {
                    if let Some(occupancy) = snapshot.occupancy {
                        network_user = self.party_ref(&occupancy.value.network_user).await?.name;
                    }
                    contract_from = snapshot.registration.map(|r| r.value.period.from());
                }
                Ok(Some(AssetView { request: work.id, asset, network_user, contract_from }))
            })
            .await;
        or_nothing(found, "asset record")
    }

    /// Runs the retention schedule for `day` (default today, never after): every category of
    /// personal data of every ended request whose time is up is purged, each with its legal
    /// basis, in one command and one entry. Idempotent.
    pub async fn works_retention(&self, actor: &Actor, day: Date) -> Result<Sent<RetentionReport>, AppError> {
        not_after_today(day)?;
        let rules = parse_retention(RETENTION_CSV).map_err(invalid)?;
        let ask = Ask::function(
            Action::ManageWorks,
            Resource::Works,
            "works.retention",
            "retention schedule (R13)",
        )
        .about(vec![day.to_string()]);
        let sent = self
            .write(actor, vec![ask], |template| async move {
                Ok(self.store.submit(Retention { template, day, rules }).await?.wait().await?.output?)
            })
            .await?;
        if !sent.view().purged.is_empty() {
            self.store.forget_deleted().await?;
        }
        Ok(sent)
    }
}

struct WorkCommand {
    template: Entry,
    id: Option<String>,
    request: Option<WorkRequest>,
    step: Option<Step>,
    day: Date,
}

impl WorkCommand {
    async fn apply(&self, tx: &mut WriteTx) -> Result<StoredWork, StoreError> {
        let day = self.day;
        let refuse = |e: domain::works::WorksError| match invalid(e) {
            AppError::Invalid(e) => e,
            _ => StoreError::Journal("unreachable".into()),
        };
        let (id, request) = match (&self.id, &self.request, &self.step) {
            (None, Some(request), _) => {
                tx.party_kind("requester", &request.requester).await?;
                (None, request.clone())
            }
            (Some(id), _, Some(step)) => {
                let Some(stored) = tx.work(id).await? else {
                    return Err(StoreError::Refused {
                        field: "request",
                        code: "unknown_request",
                        reason: format!("no work request has the id {id}"),
                    });
                };
                if day < stored.changed {
                    return Err(StoreError::Refused {
                        field: "day",
                        code: "day_before_last",
                        reason: format!("{id} last changed on {}; {day} is earlier", stored.changed),
                    });
                }
                let mut request = stored.request;
                request.apply(step).map_err(refuse)?;
                (Some(id.as_str()), request)
            }
            _ => return Err(StoreError::Journal("a works command names a request or a step".into())),
        };
        let id = tx.put_work(id, &request, day).await?;
        tx.work(&id).await?.ok_or_else(|| StoreError::Journal("the request just written is gone".into()))
    }
}

impl StoreCommand for WorkCommand {
    type Output = Result<Sent<WorkView>, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let savepoint = tx.savepoint().await?;
        match self.apply(tx).await {
            Ok(stored) => {
                tx.release(savepoint).await?;
                let view = WorkView::from(stored);
                let mut subjects = self.template.subjects.clone();
                subjects.push(view.id.clone());
                subjects.push(view.requester.to_string());
                subjects.extend(view.ean.map(|e| e.to_string()));
                subjects.dedup();
                let (sent, entry) = answered(tx, self.template, subjects, view, Action::ManageWorks)?;
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

struct Retention {
    template: Entry,
    day: Date,
    rules: Vec<RetentionRule>,
}

impl StoreCommand for Retention {
    type Output = Result<Sent<RetentionReport>, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let ended = tx.ended_works().await?;
        let mut report = RetentionReport { day: self.day, ended: ended.len(), purged: Vec::new() };
        for (id, ended_on) in &ended {
            let Some(stored) = tx.work(id).await? else { continue };
            for rule in &self.rules {
                if stored.purged.contains(&rule.category) {
                    continue;
                }
                let mut request = stored.request.clone();
                let keep: Vec<&str> = self
                    .rules
                    .iter()
                    .filter(|r| r.category != rule.category)
                    .flat_map(|r| r.fields.iter().map(String::as_str))
                    .collect();
                if request.purge(*ended_on, self.day, rule.kept_days, &keep).is_ok() {
                    tx.purge_work(id, &rule.category, self.day, &rule.legal_basis).await?;
                    report.purged.push(Purge {
                        request: id.clone(),
                        category: rule.category.clone(),
                        legal_basis: rule.legal_basis.clone(),
                    });
                }
            }
        }
        let mut subjects = self.template.subjects.clone();
        subjects.extend(report.purged.iter().map(|p| p.request.clone()));
        subjects.dedup();
        let (sent, entry) = answered(tx, self.template, subjects, report, Action::ManageWorks)?;
        Ok(Done { output: Ok(sent), entries: vec![entry] })
    }
}
