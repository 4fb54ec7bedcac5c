//! Consent-based research through the door (R14, chapter IX): a network user's consents,
//! given and withdrawn as easily; the research partners' agreements; the extracts made for
//! them; and the data subjects' requests for access and rectification (GDPR art. 7, 15, 16).
//!
//! An extract holds only participants whose consent names the partner, the purpose and the
//! category and was in force when the extract was made; within it, only the days their
//! consent and the agreement both cover, and only the access points they occupied, inside
//! their occupancy (I3). Every id in it is a pseudonym under a key of the partner's own
//! (HMAC-SHA-256, derived from the installation's key and the partner's id), so two partners'
//! extracts cannot be joined on a person or an access point. The selection is made from a
//! read, then checked again inside the writer's transaction: a consent withdrawn in between
//! refuses the extract rather than leak into it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use domain::consent::{
    Agreement, Category, Consent, ConsentError, ConsentTerms, Outcome, Receipt, RequestKind, check_note,
    due_day,
};
use domain::metering::Channel;
use domain::{PartyId, PartyKind};
use jiff::Timestamp;
use jiff::civil::Date;
use journal::Entry;
use policy::{Action, Resource};
use serde::Serialize;
use sha2::{Digest, Sha256};
use store::journal::{Command as StoreCommand, Done};
use store::research::{ExtractMeta, StoredAgreement, SubjectAnswer, SubjectRequest, new_id};
use store::{StoreError, WriteTx};

use crate::gate::{Ask, Sent, answered, or_nothing};
use crate::market::market_today;
use crate::write::refused;
use crate::{AccessLogQuery, Actor, AppError, Cloison};

/// The controller named on every consent receipt, and where a data subject exercises their
/// rights (the report's "designated contact point").
pub const CONTROLLER: &str = "Distribution system operator";
/// The contact point on every receipt.
pub const CONTACT_POINT: &str = "Data protection office: /v1/me/subject-requests";

/// A consent as its subject and the data protection office see it: the receipt, and whether
/// it is in force now.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentView {
    /// The receipt's id.
    pub id: String,
    /// Whose.
    pub subject: PartyId,
    /// What was agreed.
    pub terms: ConsentTerms,
    /// When it was given.
    pub given_at: Timestamp,
    /// When it was withdrawn.
    pub withdrawn_at: Option<Timestamp>,
    /// The receipt, in the Kantara v1.1 shape.
    pub receipt: Receipt,
}

impl From<Consent> for ConsentView {
    fn from(c: Consent) -> ConsentView {
        ConsentView {
            receipt: c.receipt(CONTROLLER, CONTACT_POINT),
            id: c.receipt,
            subject: c.subject,
            terms: c.terms,
            given_at: c.given_at,
            withdrawn_at: c.withdrawn_at,
        }
    }
}

/// An extract's body as a research partner receives it.
#[derive(Debug, Clone, Serialize)]
pub struct ExtractView {
    /// What it is.
    #[serde(flatten)]
    pub meta: ExtractMeta,
    /// The CSV: `participant,point,channel,day,start,wh`, every id a pseudonym of the
    /// partner's.
    pub csv: String,
}

/// A data subject's request as its subject and the office see it.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectRequestView {
    /// The request.
    #[serde(flatten)]
    pub request: SubjectRequest,
    /// Whether the answer is late: still open after the day it was due.
    pub overdue: bool,
}

impl SubjectRequestView {
    fn of(request: SubjectRequest, today: Date) -> SubjectRequestView {
        SubjectRequestView { overdue: request.state == "open" && today > request.due, request }
    }
}

pub(crate) fn consent_invalid(e: ConsentError) -> AppError {
    AppError::Invalid(StoreError::Refused { field: e.field, code: e.code, reason: e.reason })
}

fn refusal(field: &'static str, code: &'static str, reason: String) -> StoreError {
    StoreError::Refused { field, code, reason }
}

/// An extract ready to be written: what the read found.
#[derive(Debug, Clone, Serialize)]
struct Prepared {
    meta: ExtractMeta,
    csv: String,
    receipts: BTreeSet<String>,
}

/// What one research command writes.
pub(crate) enum Op {
    Give(Consent),
    Withdraw {
        receipt: String,
        subject: PartyId,
        at: Timestamp,
    },
    Agree(Agreement, Timestamp),
    Extract {
        meta: ExtractMeta,
        body: String,
        receipts: BTreeSet<String>,
        purpose: String,
        category: Category,
    },
    File(SubjectRequest),
    Answer {
        id: String,
        outcome: Outcome,
        note: String,
        export: Option<serde_json::Value>,
        at: Timestamp,
    },
    /// A warehouse export begins: its entry's index goes into every file it writes.
    ExportOpened {
        directory: String,
        from: Option<Date>,
        to: Option<Date>,
    },
    /// A warehouse export's files, each with its digest, bound to its closing entry; `view`
    /// is the export's report as answered.
    ExportFiles {
        journal_index: u64,
        files: Vec<store::research::WarehouseFile>,
        view: serde_json::Value,
    },
}

struct ResearchCommand {
    template: Entry,
    action: Action,
    op: Op,
}

impl ResearchCommand {
    /// Applies the operation; returns the view to answer and the subjects to journal.
    async fn apply(&self, tx: &mut WriteTx) -> Result<(serde_json::Value, Vec<String>), StoreError> {
        match &self.op {
            Op::Give(consent) => {
                for partner in &consent.terms.partners {
                    if tx.party_kind("partners", partner).await? != PartyKind::Researcher {
                        return Err(refusal(
                            "partners",
                            "not_a_research_partner",
                            format!("{partner} is not a research partner"),
                        ));
                    }
                }
                tx.put_consent(consent, 1).await?;
                let view = ConsentView::from(consent.clone());
                Ok((json(&view)?, vec![consent.receipt.clone(), consent.subject.to_string()]))
            }
            Op::Withdraw { receipt, subject, at } => {
                let unknown = || {
                    refusal("consent", "unknown_consent", format!("no consent of yours has the id {receipt}"))
                };
                let Some((version, mut consent)) = tx.consent(receipt).await? else { return Err(unknown()) };
                if &consent.subject != subject {
                    return Err(unknown());
                }
                consent.withdraw(*at).map_err(|e| refusal(e.field, e.code, e.reason))?;
                tx.put_consent(&consent, version + 1).await?;
                let view = ConsentView::from(consent);
                Ok((json(&view)?, vec![receipt.clone(), subject.to_string()]))
            }
            Op::Agree(agreement, at) => {
                if tx.party_kind("partner", &agreement.partner).await? != PartyKind::Researcher {
                    return Err(refusal(
                        "partner",
                        "not_a_research_partner",
                        format!("{} is not a research partner", agreement.partner),
                    ));
                }
                let id = tx.put_agreement(agreement, *at).await?;
                let view =
                    tx.agreement(&id).await?.ok_or_else(|| StoreError::Journal("agreement gone".into()))?;
                Ok((json(&view)?, vec![id, agreement.partner.to_string()]))
            }
            Op::Extract { meta, body, receipts, purpose, category } => {
                // The consents as the transaction sees them: one withdrawn since the read
                // refuses the extract (fail closed); the office makes it again.
                let now: BTreeSet<String> = tx
                    .consents_naming(&meta.partner)
                    .await?
                    .into_iter()
                    .filter(|c| in_force_for(c, &meta.partner, purpose, *category, meta.made_at))
                    .map(|c| c.receipt)
                    .collect();
                if &now != receipts {
                    return Err(refusal(
                        "consents",
                        "consents_changed",
                        "a consent was given or withdrawn while the extract was made; make it again".into(),
                    ));
                }
                tx.put_extract(meta, body).await?;
                Ok((json(meta)?, vec![meta.id.clone(), meta.partner.to_string(), meta.agreement.clone()]))
            }
            Op::File(request) => {
                tx.put_subject_request(request).await?;
                let view = SubjectRequestView::of(request.clone(), market_today());
                Ok((json(&view)?, vec![request.id.clone(), request.subject.to_string()]))
            }
            Op::ExportOpened { directory, from, to } => {
                let view = serde_json::json!({ "directory": directory, "from": from, "to": to });
                Ok((view, Vec::new()))
            }
            Op::ExportFiles { journal_index, files, view } => {
                let seq =
                    i64::try_from(*journal_index).map_err(|_| StoreError::Journal("journal index".into()))?;
                for file in files {
                    tx.put_warehouse_file(seq, file).await?;
                }
                Ok((view.clone(), vec![format!("export:{journal_index}")]))
            }
            Op::Answer { id, outcome, note, export, at } => {
                let Some(mut request) = tx.subject_request(id).await? else {
                    return Err(refusal("request", "unknown_request", format!("no request has the id {id}")));
                };
                if request.state != "open" {
                    return Err(refusal("request", "already_answered", format!("{id} was answered already")));
                }
                request.version += 1;
                request.state = match outcome {
                    Outcome::Done => "done".into(),
                    Outcome::Refused => "refused".into(),
                };
                request.answer = Some(SubjectAnswer { note: note.clone(), export: export.clone() });
                request.changed_at = *at;
                tx.put_subject_request(&request).await?;
                let subjects = vec![id.clone(), request.subject.to_string()];
                let view = SubjectRequestView::of(request, market_today());
                Ok((json(&view)?, subjects))
            }
        }
    }
}

/// An operation's view as the one JSON value every research command answers.
fn json<T: Serialize>(view: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(view).map_err(|e| StoreError::Journal(format!("research answer: {e}")))
}

impl StoreCommand for ResearchCommand {
    type Output = Result<Sent<serde_json::Value>, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let savepoint = tx.savepoint().await?;
        match self.apply(tx).await {
            Ok((view, more)) => {
                tx.release(savepoint).await?;
                let mut subjects = self.template.subjects.clone();
                for s in more {
                    if !subjects.contains(&s) {
                        subjects.push(s);
                    }
                }
                let (sent, entry) = answered(tx, self.template, subjects, view, self.action)?;
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

/// Whether consent `c` lets an extract made at `at` hold any day of its subject's data for
/// this partner, purpose and category.
fn in_force_for(c: &Consent, partner: &PartyId, purpose: &str, category: Category, at: Timestamp) -> bool {
    c.allows(partner, purpose, category, at, c.terms.from)
}

/// The key under which a partner's pseudonyms are made: its own, so two partners' extracts
/// share no identifier.
fn partner_keys(cloison: &Cloison, partner: &PartyId) -> warehouse::ExportKeys {
    warehouse::ExportKeys::from_secret(&cloison.store.derived_secret(&format!("research partner:{partner}")))
}

impl Cloison {
    pub(crate) async fn research(
        &self,
        actor: &Actor,
        action: Action,
        act: &str,
        subjects: Vec<String>,
        op: Op,
    ) -> Result<Sent<serde_json::Value>, AppError> {
        let ask =
            Ask::function(action, Resource::Research, act, "research and consents (R14)").about(subjects);
        self.write(actor, vec![ask], |template| async move {
            let run = ResearchCommand { template, action, op };
            Ok(self.store.submit(run).await?.wait().await?.output?)
        })
        .await
    }

    /// The caller gives a consent on `terms`, collected online; returns its receipt.
    pub async fn give_consent(
        &self,
        actor: &Actor,
        terms: ConsentTerms,
    ) -> Result<Sent<serde_json::Value>, AppError> {
        let terms = terms.checked().map_err(consent_invalid)?;
        let consent = Consent {
            receipt: new_id("cr"),
            subject: actor.party.clone(),
            terms,
            given_at: Timestamp::now(),
            withdrawn_at: None,
        };
        self.research(actor, Action::ManageOwnData, "consent.give", Vec::new(), Op::Give(consent)).await
    }

    /// The caller withdraws their consent `receipt`: one call, as easy as giving it. Anyone
    /// else's consent gets the answer of one that does not exist (I5).
    pub async fn withdraw_consent(
        &self,
        actor: &Actor,
        receipt: &str,
    ) -> Result<Sent<serde_json::Value>, AppError> {
        let op =
            Op::Withdraw { receipt: receipt.to_owned(), subject: actor.party.clone(), at: Timestamp::now() };
        self.research(actor, Action::ManageOwnData, "consent.withdraw", vec![receipt.to_owned()], op).await
    }

    /// The caller's own consents, withdrawn ones included, with their receipts.
    pub async fn own_consents(&self, actor: &Actor) -> Result<Sent<Vec<ConsentView>>, AppError> {
        let ask =
            Ask::function(Action::ManageOwnData, Resource::Research, "consent.own", "own consents (R14)");
        let party = actor.party.clone();
        self.read(actor, ask, |_| async move {
            Ok(self
                .store
                .consents(Some(&party))
                .await?
                .into_iter()
                .map(|(_, c)| ConsentView::from(c))
                .collect::<Vec<_>>())
        })
        .await
    }

    /// Every consent: the data protection office's registry.
    pub async fn consents(&self, actor: &Actor) -> Result<Sent<Vec<ConsentView>>, AppError> {
        let ask = Ask::function(
            Action::ManageResearch,
            Resource::Research,
            "consent.list",
            "consent registry (R14)",
        );
        self.read(actor, ask, |_| async {
            Ok(self
                .store
                .consents(None)
                .await?
                .into_iter()
                .map(|(_, c)| ConsentView::from(c))
                .collect::<Vec<_>>())
        })
        .await
    }

    /// Records a research partner's agreement.
    pub async fn record_agreement(
        &self,
        actor: &Actor,
        agreement: Agreement,
    ) -> Result<Sent<serde_json::Value>, AppError> {
        let agreement = agreement.checked().map_err(consent_invalid)?;
        let subjects = vec![agreement.partner.to_string()];
        self.research(
            actor,
            Action::ManageResearch,
            "research.agreement",
            subjects,
            Op::Agree(agreement, Timestamp::now()),
        )
        .await
    }

    /// Every agreement.
    pub async fn agreements(&self, actor: &Actor) -> Result<Sent<Vec<StoredAgreement>>, AppError> {
        let ask = Ask::function(
            Action::ManageResearch,
            Resource::Research,
            "research.agreements",
            "research agreements (R14)",
        );
        self.read(actor, ask, |_| async { Ok(self.store.agreements(None).await?) }).await
    }

    /// Makes an extract under agreement `agreement_id` for one of its purposes and
    /// categories, from every day of data the agreement covers up to yesterday: only
    /// participants consenting now, only their days and their occupied points, every id a
    /// pseudonym of the partner's. Refused with the field named when the agreement does not
    /// exist or does not allow the purpose or category.
    pub async fn make_extract(
        &self,
        actor: &Actor,
        agreement_id: &str,
        purpose: &str,
        category: &str,
    ) -> Result<Sent<serde_json::Value>, AppError> {
        let category = Category::parse("category", category).map_err(consent_invalid)?;
        // The read of consents and consumption is an access of its own, journaled as such.
        let ask = Ask::function(
            Action::ManageResearch,
            Resource::Research,
            "research.extract.read",
            "research extract (R14)",
        )
        .about(vec![agreement_id.to_owned()]);
        let prepared =
            self.read(actor, ask, |_| self.prepare_extract(agreement_id, purpose, category)).await?;
        let Prepared { meta, csv, receipts } = prepared.into_view();
        let op = Op::Extract { meta, body: csv, receipts, purpose: purpose.to_owned(), category };
        self.research(actor, Action::ManageResearch, "research.extract", vec![agreement_id.to_owned()], op)
            .await
    }

    /// Selects the participants and writes the extract's body, from a read.
    async fn prepare_extract(
        &self,
        agreement_id: &str,
        purpose: &str,
        category: Category,
    ) -> Result<Prepared, AppError> {
        let Some(stored) = self.store.agreements(None).await?.into_iter().find(|a| a.id == agreement_id)
        else {
            return Err(AppError::Invalid(refusal(
                "agreement",
                "unknown_agreement",
                format!("no agreement has the id {agreement_id:?}: an extract needs a partner's agreement"),
            )));
        };
        let agreement = &stored.agreement;
        let today = market_today();
        agreement.admits(purpose, category, today).map_err(consent_invalid)?;
        let Some((first, last)) = agreement.days_for(today) else {
            return Err(AppError::Invalid(refusal(
                "agreement",
                "no_complete_day",
                format!("the agreement starts on {}: no day of it is over yet", agreement.from),
            )));
        };
        let made_at = Timestamp::now();
        let partner = &agreement.partner;
        let consents: Vec<Consent> = self
            .store
            .consents(None)
            .await?
            .into_iter()
            .map(|(_, c)| c)
            .filter(|c| in_force_for(c, partner, purpose, category, made_at))
            .collect();
        let receipts: BTreeSet<String> = consents.iter().map(|c| c.receipt.clone()).collect();
        // Each participant's days: their consents' days within the agreement's.
        let mut days: BTreeMap<PartyId, BTreeSet<Date>> = BTreeMap::new();
        for c in &consents {
            let (mut d, end) = (c.terms.from.max(first), c.terms.to.min(last));
            while d <= end {
                days.entry(c.subject.clone()).or_default().insert(d);
                d = d.tomorrow().map_err(|e| AppError::Internal(StoreError::Journal(e.to_string())))?;
            }
        }
        let keys = partner_keys(self, partner);
        let mut csv = String::from("participant,point,channel,day,start,wh\n");
        let (mut rows, mut participants) = (0i64, 0i64);
        for (subject, their_days) in &days {
            let (Some(&from), Some(&to)) = (their_days.first(), their_days.last()) else { continue };
            let who = keys.pseudonym(&format!("party:{subject}"));
            participants += 1;
            for occupancy in self.store.party_periods(subject).await?.occupancies {
                let ean = occupancy.value.ean;
                let period = occupancy.value.period;
                let Some(point) = self.store.access_point(ean).await? else { continue };
                if !agreement.substations.is_empty() && !agreement.substations.contains(&point.substation) {
                    continue;
                }
                let at_point = keys.pseudonym(&format!("point:{ean}"));
                for channel in
                    Channel::ALL.into_iter().filter(|c| c.is_offtake() && c.energy() == point.energy)
                {
                    for day in self.store.interval_days(ean, channel, from, to).await? {
                        if !their_days.contains(&day.day()) {
                            continue;
                        }
                        let layout = day.layout();
                        let mut total: Option<i64> = None;
                        for (i, interval) in day.intervals().iter().enumerate() {
                            let Some(wh) = interval.usable() else { continue };
                            let start = layout
                                .interval_start(i)
                                .map_err(|e| AppError::Internal(StoreError::Journal(e.to_string())))?;
                            // Inside their occupancy only (I3).
                            if !period.contains(start) {
                                continue;
                            }
                            match category {
                                Category::QuarterHourly => {
                                    let _ = writeln!(
                                        csv,
                                        "{who},{at_point},{},{},{start},{wh}",
                                        channel.as_str(),
                                        day.day()
                                    );
                                    rows += 1;
                                }
                                Category::Daily => *total.get_or_insert(0) += wh,
                            }
                        }
                        if let Some(total) = total {
                            let _ =
                                writeln!(csv, "{who},{at_point},{},{},,{total}", channel.as_str(), day.day());
                            rows += 1;
                        }
                    }
                }
            }
        }
        let meta = ExtractMeta {
            id: new_id("ext"),
            partner: partner.clone(),
            agreement: stored.id.clone(),
            purpose: purpose.to_owned(),
            category: category.as_str().to_owned(),
            made_at,
            participants,
            rows,
            digest: hex::encode(Sha256::digest(csv.as_bytes())),
        };
        Ok(Prepared { meta, csv, receipts })
    }

    /// The extracts made: all of them for the office, or a research partner's own.
    pub async fn extracts(&self, actor: &Actor) -> Result<Sent<Vec<ExtractMeta>>, AppError> {
        let probe = Ask::function(
            Action::ManageResearch,
            Resource::Research,
            "research.extracts",
            "research extracts (R14)",
        );
        let office = self.decide(actor, &probe).await?.allowed;
        let action = if office { Action::ManageResearch } else { Action::ReadResearchExtracts };
        let ask = Ask::function(action, Resource::Research, "research.extracts", "research extracts (R14)");
        let party = actor.party.clone();
        self.read(actor, ask, |_| async move {
            Ok(self.store.extracts(if office { None } else { Some(&party) }).await?)
        })
        .await
    }

    /// One extract with its body: a research partner's own; any other caller but the office
    /// gets the answer of an extract that does not exist (I5).
    pub async fn extract(&self, actor: &Actor, id: &str) -> Result<Sent<ExtractView>, AppError> {
        let probe = Ask::function(
            Action::ManageResearch,
            Resource::Research,
            "research.extract.show",
            "research extracts (R14)",
        );
        let office = self.decide(actor, &probe).await?.allowed;
        let action = if office { Action::ManageResearch } else { Action::ReadResearchExtracts };
        let ask =
            Ask::function(action, Resource::Research, "research.extract.show", "research extracts (R14)")
                .about(vec![id.to_owned()]);
        let party = actor.party.clone();
        let found = self
            .read(actor, ask, |_| async move {
                let owner = if office { None } else { Some(&party) };
                Ok(self.store.extract(id, owner).await?.map(|(meta, csv)| ExtractView { meta, csv }))
            })
            .await;
        or_nothing(found, "extract")
    }

    /// The caller files a request about their data: access or rectification, in their words.
    /// Its answer is due one month later (art. 12(3)).
    pub async fn file_subject_request(
        &self,
        actor: &Actor,
        kind: &str,
        details: &str,
    ) -> Result<Sent<serde_json::Value>, AppError> {
        let kind = RequestKind::parse(kind).map_err(consent_invalid)?;
        let details = check_note("details", details).map_err(consent_invalid)?;
        let now = Timestamp::now();
        let received = now.to_zoned(domain::period::brussels()).date();
        let request = SubjectRequest {
            id: new_id("dsr"),
            version: 1,
            subject: actor.party.clone(),
            kind,
            received_at: now,
            due: due_day(received),
            state: "open".into(),
            details,
            answer: None,
            changed_at: now,
        };
        self.research(actor, Action::ManageOwnData, "subject_request.file", Vec::new(), Op::File(request))
            .await
    }

    /// The caller's own requests and their answers.
    pub async fn own_subject_requests(
        &self,
        actor: &Actor,
    ) -> Result<Sent<Vec<SubjectRequestView>>, AppError> {
        let ask = Ask::function(
            Action::ManageOwnData,
            Resource::Research,
            "subject_request.own",
            "own requests (GDPR)",
        );
        let party = actor.party.clone();
        let today = market_today();
        self.read(actor, ask, |_| async move {
            Ok(self
                .store
                .subject_requests(Some(&party), None)
                .await?
                .into_iter()
                .map(|r| SubjectRequestView::of(r, today))
                .collect::<Vec<_>>())
        })
        .await
    }

    /// Every request, oldest first, with those answered late or still open past their day
    /// marked overdue: the office's queue.
    pub async fn subject_requests(&self, actor: &Actor) -> Result<Sent<Vec<SubjectRequestView>>, AppError> {
        let ask = Ask::function(
            Action::ManageResearch,
            Resource::Research,
            "subject_request.list",
            "subjects' requests (GDPR)",
        );
        let today = market_today();
        self.read(actor, ask, |_| async move {
            Ok(self
                .store
                .subject_requests(None, None)
                .await?
                .into_iter()
                .map(|r| SubjectRequestView::of(r, today))
                .collect::<Vec<_>>())
        })
        .await
    }

    /// The office answers request `id`: done or refused, with a note. Answering an access
    /// request `done` attaches everything held about the subject, with who accessed the
    /// data of the points they occupy (their access log), as the subject will read it.
    pub async fn answer_subject_request(
        &self,
        actor: &Actor,
        id: &str,
        outcome: &str,
        note: &str,
    ) -> Result<Sent<serde_json::Value>, AppError> {
        let outcome = Outcome::parse(outcome).map_err(consent_invalid)?;
        let note = check_note("note", note).map_err(consent_invalid)?;
        let probe = Ask::function(
            Action::ManageResearch,
            Resource::Research,
            "subject_request.answer",
            "subjects' requests (GDPR)",
        );
        let allowed = self.decide(actor, &probe).await?.allowed;
        let request = if allowed {
            self.store.subject_requests(None, Some(id)).await?.into_iter().next()
        } else {
            None
        };
        let export = match &request {
            Some(r) if allowed && r.kind == RequestKind::Access && outcome == Outcome::Done => {
                Some(self.everything_held(&r.subject).await?)
            }
            _ => None,
        };
        let op = Op::Answer { id: id.to_owned(), outcome, note, export, at: Timestamp::now() };
        self.research(actor, Action::ManageResearch, "subject_request.answer", vec![id.to_owned()], op).await
    }

    /// Everything held about `subject` (art. 15): their party record, the periods they
    /// occupied, their consents, their works requests, their requests, and the access log of
    /// the points they occupy, inside their occupancies.
    async fn everything_held(&self, subject: &PartyId) -> Result<serde_json::Value, AppError> {
        let party = self.store.party(subject).await?;
        let periods = self.store.party_periods(subject).await?;
        let occupancies: Vec<serde_json::Value> = periods
            .occupancies
            .iter()
            .map(|r| {
                serde_json::json!({
                    "ean": r.value.ean.to_string(),
                    "from": r.value.period.from(),
                    "to": r.value.period.to(),
                    "shipping_address": r.value.shipping_address.to_string(),
                })
            })
            .collect();
        let consents: Vec<ConsentView> = self
            .store
            .consents(Some(subject))
            .await?
            .into_iter()
            .map(|(_, c)| ConsentView::from(c))
            .collect();
        let works: Vec<crate::WorkView> =
            self.store.works(Some(subject), None).await?.into_iter().map(crate::WorkView::from).collect();
        let requests = self.store.subject_requests(Some(subject), None).await?;
        let windows: Vec<(String, domain::Period)> =
            periods.occupancies.iter().map(|r| (r.value.ean.to_string(), r.value.period)).collect();
        let query = AccessLogQuery::new(None, None, None, crate::ACCESS_LOG_MAX_LIMIT)?;
        let log = self.access_log_within(subject, &query, &windows).await?;
        let value = serde_json::json!({
            "party": party,
            "occupancies": occupancies,
            "consents": consents,
            "works": works,
            "requests": requests,
            "access_log": log,
        });
        Ok(value)
    }
}
