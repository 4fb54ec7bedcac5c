//! Access management through the door (R6, R11): the nightly sync of the HR extracts, manual
//! exceptions approved by a service manager, revocations, and the access report.
//!
//! Roles follow the job: the job catalogue (`policies/jobs.csv`) says which roles each job
//! carries, the duties file (`policies/duties.csv`) which roles one person may never hold
//! together; both are built into the binary beside the policies and their digests are written
//! in every sync report. A sync is one command of the writer: it reads what Cloison holds in
//! its own transaction, plans (the domain's [`domain::staff::plan`]), and writes every staff
//! record, grant, revocation and token revocation with the report, bound to one journal entry
//! whose digest is the report's. Bad lines, a mass removal or a party that cannot be staff
//! refuse the whole sync: nothing is half-applied.

use std::collections::BTreeMap;

use domain::label::Confidentiality;
use domain::staff::{
    Catalogue, Change, ChangeKind, Duties, Employee, ExceptionAsk, LineError, Origin, Plan, Source,
    check_exception, merge, parse_extract, plan,
};
use domain::{PartyId, Role};
use jiff::Timestamp;
use jiff::civil::Date;
use policy::{Action, Resource};
use serde::Serialize;
use sha2::{Digest, Sha256};
use store::journal::{Command, Done};
use store::staff::{AccessRequest, GrantView, StaffState};
use store::{StoreError, WriteTx};

use crate::gate::{Ask, Sent};
use crate::write::refused;
use crate::{Actor, AppError, Cloison};

/// The job catalogue built into the binary.
pub const JOBS_CSV: &str = include_str!("../../../policies/jobs.csv");
/// The segregation of duties built into the binary.
pub const DUTIES_CSV: &str = include_str!("../../../policies/duties.csv");

/// The share of the people holding access a sync may take it from at once, unless forced.
pub const DEFAULT_MAX_REMOVAL_PERCENT: u32 = 10;

/// The catalogue and the duties, parsed; a file that does not parse is a build defect, told
/// as such.
pub fn catalogue() -> Result<(Catalogue, Duties), AppError> {
    let broken = |errors: Vec<LineError>| {
        AppError::Internal(StoreError::Config {
            field: "policies",
            reason: errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
        })
    };
    let duties = Duties::parse("duties.csv", DUTIES_CSV).map_err(broken)?;
    let catalogue = Catalogue::parse("jobs.csv", JOBS_CSV, &duties).map_err(broken)?;
    Ok((catalogue, duties))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What a sync is asked to do.
#[derive(Debug, Clone)]
pub struct SyncInput {
    /// The internal staff's extract, as read.
    pub internal: String,
    /// The external staff's extract, as read.
    pub external: String,
    /// The day the extracts speak for (Europe/Brussels).
    pub today: Date,
    /// The largest share of the people holding access one sync may remove, in percent.
    pub max_removal_percent: u32,
    /// Apply even over that share.
    pub force: bool,
}

/// The change report of a sync, stored, digested in its journal entry and printed. It names
/// people by employee id and party, never by name.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    /// The report's id (`sync_…`), absent for a dry run.
    pub report: Option<String>,
    /// Whether nothing was changed.
    pub dry_run: bool,
    /// The day the extracts spoke for.
    pub today: Date,
    /// SHA-256 of the catalogue, the duties and each extract, in hex.
    pub sources: BTreeMap<&'static str, String>,
    /// Changes by kind.
    pub joiners: usize,
    /// People who changed job.
    pub movers: usize,
    /// People who lost access.
    pub leavers: usize,
    /// Records that changed without a change of access.
    pub updated: usize,
    /// People left as they were.
    pub unchanged: usize,
    /// People holding access before.
    pub active_before: usize,
    /// Tokens revoked (leavers' all, movers' of roles they lost).
    pub tokens_revoked: usize,
    /// Each change.
    pub changes: Vec<Change>,
}

impl SyncReport {
    fn new(input: &SyncInput, plan: Plan, dry_run: bool) -> SyncReport {
        let sources = BTreeMap::from([
            ("jobs.csv", sha256_hex(JOBS_CSV.as_bytes())),
            ("duties.csv", sha256_hex(DUTIES_CSV.as_bytes())),
            ("internal", sha256_hex(input.internal.as_bytes())),
            ("external", sha256_hex(input.external.as_bytes())),
        ]);
        SyncReport {
            report: None,
            dry_run,
            today: input.today,
            sources,
            joiners: plan.count(ChangeKind::Joiner),
            movers: plan.count(ChangeKind::Mover),
            leavers: plan.count(ChangeKind::Leaver),
            updated: plan.count(ChangeKind::Updated),
            unchanged: plan.unchanged,
            active_before: plan.active_before,
            tokens_revoked: 0,
            changes: plan.changes,
        }
    }
}

/// Both extracts against the catalogue, merged; every bad line otherwise.
fn read_extracts(input: &SyncInput, catalogue: &Catalogue) -> Result<Vec<Employee>, AppError> {
    let internal = parse_extract(Origin::Internal, &input.internal, catalogue);
    let external = parse_extract(Origin::External, &input.external, catalogue);
    match (internal, external) {
        (Ok(internal), Ok(external)) => merge(internal, external).map_err(AppError::BadLines),
        (internal, external) => {
            let mut errors = internal.err().unwrap_or_default();
            errors.extend(external.err().unwrap_or_default());
            Err(AppError::BadLines(errors))
        }
    }
}

/// A grant in the access report, with the party's held roles for the segregation check.
#[derive(Debug, Clone, Serialize)]
pub struct AccessCheck {
    /// Every grant in force.
    pub grants: Vec<GrantView>,
    /// Pairs of incompatible roles one party holds now, by grant or by token.
    pub violations: Vec<Violation>,
}

/// One party holding two incompatible roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The party.
    pub party: String,
    /// One role.
    pub role: Role,
    /// The other.
    pub other: Role,
    /// Why the pair is refused.
    pub reason: String,
}

impl Cloison {
    /// The nightly sync, applied: joiners, movers and leavers from both extracts, every change
    /// journaled in one entry with the report's digest. Bad lines ([`AppError::BadLines`]), a
    /// removal over the ceiling (`mass_removal`) or a joiner whose party exists and is not
    /// staff refuse the sync whole, journaled as refused.
    pub async fn sync_staff(&self, actor: &Actor, input: SyncInput) -> Result<Sent<SyncReport>, AppError> {
        let ask =
            Ask::function(Action::ManageAccess, Resource::Installation, "iam.sync", "access lifecycle (R11)");
        self.write(actor, vec![ask], |template| async move {
            let (catalogue, _) = catalogue()?;
            let staff = match read_extracts(&input, &catalogue) {
                Ok(staff) => staff,
                Err(e) => {
                    let entry = journal::Entry { outcome: "refused:bad_lines".into(), ..template };
                    self.store.append(vec![entry]).await.map_err(AppError::Internal)?;
                    return Err(e);
                }
            };
            let command = SyncStaff { template, input, staff, catalogue };
            Ok(self.store.submit(command).await?.wait().await?.output?)
        })
        .await
    }

    /// What [`Cloison::sync_staff`] would do, changing nothing: a journaled read of the staff
    /// Cloison holds, answered with the report.
    pub async fn sync_staff_dry_run(
        &self,
        actor: &Actor,
        input: SyncInput,
    ) -> Result<Sent<SyncReport>, AppError> {
        let ask = Ask::function(
            Action::ReviewAccess,
            Resource::Installation,
            "iam.sync.dry_run",
            "access lifecycle (R11)",
        );
        let sent = self
            .read(actor, ask, |_| async {
                let (catalogue, _) = catalogue()?;
                let staff = read_extracts(&input, &catalogue)?;
                let state = self.store.staff_state(Timestamp::now()).await?;
                let plan = plan(&catalogue, &staff, &state.current, &state.held, input.today);
                Ok(SyncReport::new(&input, plan, true))
            })
            .await?;
        Ok(sent)
    }

    /// A manual exception: `role` for `party` until the end of `until` (Brussels), approved
    /// by `approver`, a manager of a service whose jobs carry the role. Refused with the field
    /// and a stable code otherwise, segregation of duties included.
    pub async fn grant_exception(
        &self,
        actor: &Actor,
        party: &PartyId,
        role: Role,
        approver: &PartyId,
        until: Date,
        today: Date,
    ) -> Result<GrantView, AppError> {
        let ask =
            Ask::function(Action::ManageAccess, Resource::Installation, "iam.grant", "access exception (R6)")
                .about(vec![party.to_string(), approver.to_string()]);
        self.write(actor, vec![ask], |template| async move {
            let (catalogue, duties) = catalogue()?;
            let expires = domain::period::day_start(until.tomorrow().map_err(|e| {
                AppError::Invalid(StoreError::Config { field: "until", reason: e.to_string() })
            })?)
            .map_err(|e| AppError::Invalid(StoreError::Config { field: "until", reason: e.to_string() }))?;
            let command = GrantException {
                template,
                catalogue,
                duties,
                party: party.clone(),
                role,
                approver: approver.clone(),
                until,
                today,
                expires,
            };
            Ok(self.store.submit(command).await?.wait().await?.output?)
        })
        .await
    }

    /// Ends a grant by its id, and the party's tokens in that role when no other grant of it
    /// remains.
    pub async fn revoke_grant(&self, actor: &Actor, grant: &str) -> Result<Vec<String>, AppError> {
        let ask = Ask::function(
            Action::ManageAccess,
            Resource::Installation,
            "iam.revoke",
            "access revocation (R11)",
        )
        .about(vec![grant.to_owned()]);
        self.write(actor, vec![ask], |template| async move {
            let command = RevokeGrant { template, grant: grant.to_owned() };
            Ok(self.store.submit(command).await?.wait().await?.output?)
        })
        .await
    }

    /// The access report: every grant in force and every party holding two incompatible
    /// roles, by its grants or by its tokens.
    pub async fn access_check(&self, actor: &Actor) -> Result<Sent<AccessCheck>, AppError> {
        let ask =
            Ask::function(Action::ReviewAccess, Resource::Installation, "iam.check", "access review (R6)");
        let sent = self
            .read(actor, ask, |_| async {
                let (_, duties) = catalogue()?;
                let now = Timestamp::now();
                let grants = self.store.grants_in_force(now).await?;
                let mut roles: BTreeMap<String, Vec<Role>> = BTreeMap::new();
                for grant in &grants {
                    roles.entry(grant.party.clone()).or_default().push(grant.role);
                }
                for (party, role) in self.store.token_roles(now).await? {
                    roles.entry(party).or_default().push(role);
                }
                let mut violations = Vec::new();
                for (party, mut held) in roles {
                    held.sort();
                    held.dedup();
                    for pair in duties.pairs() {
                        if held.contains(&pair.role) && held.contains(&pair.other) {
                            violations.push(Violation {
                                party: party.clone(),
                                role: pair.role,
                                other: pair.other,
                                reason: pair.reason.clone(),
                            });
                        }
                    }
                }
                Ok(AccessCheck { grants, violations })
            })
            .await?;
        Ok(sent)
    }
}

fn refusal(field: &'static str, code: &'static str, reason: String) -> StoreError {
    StoreError::Refused { field, code, reason }
}

/// The sync as one command of the writer.
struct SyncStaff {
    template: journal::Entry,
    input: SyncInput,
    staff: Vec<Employee>,
    catalogue: Catalogue,
}

impl SyncStaff {
    async fn apply(
        &self,
        tx: &mut WriteTx,
        plan: &Plan,
        state: &StaffState,
        now: Timestamp,
    ) -> Result<Result<usize, StoreError>, StoreError> {
        // Every check before the first write, so a refusal leaves nothing behind.
        for change in plan.changes.iter().filter(|c| c.kind == ChangeKind::Joiner) {
            if state.party_is_staff(&change.party) == Some(false) {
                return Ok(Err(refusal(
                    "employee_id",
                    "party_not_staff",
                    format!("{}: party {} exists and is not staff", change.employee, change.party),
                )));
            }
        }
        // Parties, records and grants a few hundred rows a statement: a first load writes
        // one of each per person.
        let new_parties: Vec<(PartyId, domain::PersonName)> = plan
            .changes
            .iter()
            .filter(|c| state.party_is_staff(&c.party).is_none())
            .filter_map(|c| c.name.clone().map(|name| (c.party.clone(), name)))
            .collect();
        tx.put_staff_parties(&new_parties, now).await?;
        let records: Vec<_> = plan
            .changes
            .iter()
            .map(|c| (&c.employee, state.next_version(&c.employee), &c.record, c.active))
            .collect();
        tx.put_staff_records(&records, now).await?;
        for change in &plan.changes {
            for revoke in &change.revoke {
                tx.revoke_grant(&revoke.grant, change.kind.as_str(), now).await?;
            }
        }
        let grants: Vec<_> = plan
            .changes
            .iter()
            .flat_map(|c| {
                c.grant.iter().map(move |role| (&c.party, *role, Source::Job(c.record.job.clone())))
            })
            .collect();
        tx.grant_job_roles(&grants, now).await?;
        let mut tokens = 0;
        for change in plan.changes.iter().filter(|c| matches!(c.kind, ChangeKind::Leaver | ChangeKind::Mover))
        {
            tokens += tx.revoke_tokens_of(&change.party, &change.grant, now).await?.len();
        }
        Ok(Ok(tokens))
    }
}

impl Command for SyncStaff {
    type Output = Result<Sent<SyncReport>, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let now = Timestamp::now();
        let state = tx.staff_state(now).await?;
        let plan = plan(&self.catalogue, &self.staff, &state.current, &state.held, self.input.today);
        if let Err(e) = plan.guard(self.input.max_removal_percent, self.input.force) {
            let error = refusal("internal", "mass_removal", e.to_string());
            let entry = tx.slot().fill(journal::Entry { outcome: refused(&error), ..self.template.clone() });
            return Ok(Done { output: Err(error), entries: vec![entry] });
        }
        let savepoint = tx.savepoint().await?;
        let tokens = match self.apply(tx, &plan, &state, now).await {
            Ok(Ok(tokens)) => tokens,
            Ok(Err(error)) => {
                tx.rollback_to(savepoint).await?;
                let entry =
                    tx.slot().fill(journal::Entry { outcome: refused(&error), ..self.template.clone() });
                return Ok(Done { output: Err(error), entries: vec![entry] });
            }
            Err(e) => return Err(e),
        };
        tx.release(savepoint).await?;
        let mut report = SyncReport::new(&self.input, plan, false);
        let mut id = [0u8; 8];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut id);
        let report_id = format!("sync_{}", hex::encode(id));
        report.report = Some(report_id.clone());
        report.tokens_revoked = tokens;
        let json = serde_json::to_vec(&report).map_err(|e| StoreError::Journal(e.to_string()))?;
        let sources = serde_json::to_vec(&report.sources).map_err(|e| StoreError::Journal(e.to_string()))?;
        tx.put_sync_report(&report_id, &sources, &json, now).await?;
        let slot = tx.slot();
        let index = slot.sequence();
        let entry = slot.fill(journal::Entry {
            subjects: vec![report_id],
            outcome: "ok".into(),
            data_digest: Some(journal::Hash::digest(&json)),
            ..self.template
        });
        // The report names people and their jobs: labelled as their personal data (R8).
        let sent = Sent::written(report, json).labelled(Confidentiality::PersonalData, index);
        Ok(Done { output: Ok(sent), entries: vec![entry] })
    }
}

/// A manual exception as one command: checked against what Cloison holds in the same
/// transaction.
struct GrantException {
    template: journal::Entry,
    catalogue: Catalogue,
    duties: Duties,
    party: PartyId,
    role: Role,
    approver: PartyId,
    until: Date,
    today: Date,
    expires: Timestamp,
}

impl Command for GrantException {
    type Output = Result<GrantView, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let now = Timestamp::now();
        let state = tx.staff_state(now).await?;
        let held = state.roles_of(&self.party);
        let ask = ExceptionAsk {
            holder: state.of_party(&self.party),
            held: &held,
            approver: state.of_party(&self.approver),
            role: self.role,
            today: self.today,
            until: self.until,
        };
        if let Err(e) = check_exception(&self.catalogue, &self.duties, &ask) {
            let error = refusal(e.field(), e.code(), e.to_string());
            let entry = tx.slot().fill(journal::Entry { outcome: refused(&error), ..self.template });
            return Ok(Done { output: Err(error), entries: vec![entry] });
        }
        let grant = tx
            .grant_role(
                &self.party,
                self.role,
                &Source::Exception,
                Some(&self.approver),
                Some(self.expires),
                now,
            )
            .await?;
        let view = GrantView {
            grant: grant.clone(),
            party: self.party.to_string(),
            role: self.role,
            source: Source::Exception.to_text(),
            approver: Some(self.approver.to_string()),
            expires: Some(self.expires),
            granted: now,
        };
        let mut subjects = self.template.subjects.clone();
        subjects.push(grant);
        let entry = tx.slot().fill(journal::Entry { subjects, outcome: "ok".into(), ..self.template });
        Ok(Done { output: Ok(view), entries: vec![entry] })
    }
}

/// A manual revocation as one command.
struct RevokeGrant {
    template: journal::Entry,
    grant: String,
}

impl Command for RevokeGrant {
    type Output = Result<Vec<String>, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let now = Timestamp::now();
        let state = tx.staff_state(now).await?;
        let Some(held) = state.held.iter().find(|h| h.grant == self.grant).cloned() else {
            let error =
                refusal("grant", "unknown_grant", format!("no grant in force has the id {}", self.grant));
            let entry = tx.slot().fill(journal::Entry { outcome: refused(&error), ..self.template });
            return Ok(Done { output: Err(error), entries: vec![entry] });
        };
        tx.revoke_grant(&held.grant, "manual", now).await?;
        let keep: Vec<Role> = state
            .held
            .iter()
            .filter(|h| h.party == held.party && h.grant != held.grant)
            .map(|h| h.role)
            .collect();
        let tokens = tx.revoke_tokens_of(&held.party, &keep, now).await?;
        let mut subjects = vec![held.party.to_string(), held.grant];
        subjects.extend(tokens.iter().cloned());
        let entry = tx.slot().fill(journal::Entry { subjects, outcome: "ok".into(), ..self.template });
        Ok(Done { output: Ok(tokens), entries: vec![entry] })
    }
}

/// The roles break-glass may open: those that read data, never the ethics committee's nor
/// the meter readers' (whose access is a route, not an emergency).
pub const BREAK_GLASS_ROLES: [Role; 3] = [Role::RegisterStaff, Role::MeteringStaff, Role::CallCenter];

/// The longest a break-glass access lasts: it is for an emergency, not a shift.
pub const MAX_BREAK_GLASS: jiff::SignedDuration = jiff::SignedDuration::from_hours(4);

/// A break-glass access just opened: the token's secret is shown once.
#[derive(Debug, Clone, Serialize)]
pub struct BreakGlassOpened {
    /// The grant's id.
    pub grant: String,
    /// The role it gives.
    pub role: Role,
    /// When it ends by itself, token and grant alike.
    pub expires: Timestamp,
    /// The token's public id.
    pub token_id: String,
    /// The bearer secret, shown once.
    pub secret: String,
}

/// One act in the break-glass report.
#[derive(Debug, Clone, Serialize)]
pub struct BreakGlassAct {
    /// Its journal index.
    pub index: u64,
    /// When.
    pub time: Timestamp,
    /// What (the journal's action).
    pub action: String,
    /// About what.
    pub subjects: Vec<String>,
    /// How it ended.
    pub outcome: String,
}

/// One break-glass access with everything done under it.
#[derive(Debug, Clone, Serialize)]
pub struct BreakGlassUse {
    /// The access.
    #[serde(flatten)]
    pub grant: store::staff::BreakGlassGrant,
    /// The acts made with its token, in journal order.
    pub acts: Vec<BreakGlassAct>,
}

impl Cloison {
    /// Opens emergency access for the acting support person: `role` (one of
    /// [`BREAK_GLASS_ROLES`]) for `duration` (at most [`MAX_BREAK_GLASS`]), with `reason`
    /// (10 to 500 characters), and a token that expires with it. Journaled, and listed with
    /// every act done under it in [`Cloison::break_glass_report`].
    pub async fn open_break_glass(
        &self,
        actor: &Actor,
        role: Role,
        reason: &str,
        duration: jiff::SignedDuration,
    ) -> Result<BreakGlassOpened, AppError> {
        let invalid = |field, code, reason: String| AppError::Invalid(refusal(field, code, reason));
        if !BREAK_GLASS_ROLES.contains(&role) {
            let roles = BREAK_GLASS_ROLES.map(Role::as_str).join(", ");
            return Err(invalid(
                "role",
                "not_a_break_glass_role",
                format!("break-glass opens {roles}, not {role}"),
            ));
        }
        let reason = reason.trim();
        if !(10..=500).contains(&reason.chars().count()) || reason.chars().any(char::is_control) {
            return Err(invalid(
                "reason",
                "bad_reason",
                "the reason is 10 to 500 printable characters".into(),
            ));
        }
        if duration <= jiff::SignedDuration::ZERO || duration > MAX_BREAK_GLASS {
            return Err(invalid("duration", "bad_duration", format!("from a second to {MAX_BREAK_GLASS:#}")));
        }
        let ask = Ask::function(
            Action::OpenBreakGlass,
            Resource::Installation,
            "iam.break_glass.open",
            "break-glass (R10)",
        )
        .about(vec![actor.party.to_string(), role.as_str().to_owned()]);
        self.write(actor, vec![ask], |template| async move {
            let expires = Timestamp::now() + duration;
            let command = OpenBreakGlass {
                template,
                party: actor.party.clone(),
                role,
                reason: reason.to_owned(),
                expires,
                token: store::NewToken::generate(expires),
            };
            Ok(self.store.submit(command).await?.wait().await?.output?)
        })
        .await
    }

    /// Every break-glass access, its reason, and every act done with its token: the ethics
    /// committee's feed of emergencies (R10).
    pub async fn break_glass_report(&self, actor: &Actor) -> Result<Sent<Vec<BreakGlassUse>>, AppError> {
        let ask = Ask::function(
            Action::ReviewAccess,
            Resource::Installation,
            "iam.break_glass.report",
            "break-glass review (R10)",
        );
        let sent = self
            .read(actor, ask, |_| async {
                let mut uses = Vec::new();
                for grant in self.store.break_glass().await? {
                    let end = grant.closed.unwrap_or(grant.expires).min(Timestamp::now());
                    let query = store::JournalQuery {
                        subject: None,
                        actor: Some(grant.party.clone()),
                        from: Some(grant.opened),
                        to: Some(end + jiff::SignedDuration::from_secs(1)),
                        limit: 100_000,
                    };
                    let prefix = format!("{}/", grant.token_id);
                    let acts = self
                        .store
                        .journal_search(&query)
                        .await?
                        .into_iter()
                        .filter(|e| e.entry.actor.session.starts_with(&prefix))
                        .map(|e| BreakGlassAct {
                            index: e.entry.sequence,
                            time: Timestamp::from_microsecond(e.entry.time_micros).unwrap_or(grant.opened),
                            action: e.entry.action,
                            subjects: e.entry.subjects,
                            outcome: e.entry.outcome,
                        })
                        .collect();
                    uses.push(BreakGlassUse { grant, acts });
                }
                Ok(uses)
            })
            .await?;
        Ok(sent)
    }
}

/// Break-glass as one command: the grant, its token and its sealed reason, one entry.
struct OpenBreakGlass {
    template: journal::Entry,
    party: PartyId,
    role: Role,
    reason: String,
    expires: Timestamp,
    token: store::NewToken,
}

impl Command for OpenBreakGlass {
    type Output = Result<BreakGlassOpened, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let now = Timestamp::now();
        let savepoint = tx.savepoint().await?;
        let opened = async {
            let grant = tx
                .grant_role(&self.party, self.role, &Source::BreakGlass, None, Some(self.expires), now)
                .await?;
            tx.create_token(&self.token, self.party.as_str(), self.role, now).await?;
            tx.put_break_glass(&grant, &self.token.token_id, &self.reason).await?;
            Ok::<_, StoreError>(grant)
        }
        .await;
        match opened {
            Ok(grant) => {
                tx.release(savepoint).await?;
                let mut subjects = self.template.subjects.clone();
                subjects.extend([grant.clone(), self.token.token_id.clone()]);
                let entry =
                    tx.slot().fill(journal::Entry { subjects, outcome: "ok".into(), ..self.template });
                let output = BreakGlassOpened {
                    grant,
                    role: self.role,
                    expires: self.expires,
                    token_id: self.token.token_id,
                    secret: self.token.secret,
                };
                Ok(Done { output: Ok(output), entries: vec![entry] })
            }
            Err(e) if e.is_input() => {
                tx.rollback_to(savepoint).await?;
                let entry = tx.slot().fill(journal::Entry { outcome: refused(&e), ..self.template });
                Ok(Done { output: Err(e), entries: vec![entry] })
            }
            Err(e) => Err(e),
        }
    }
}

impl Cloison {
    /// A member of staff asks for `role` until `until` (Brussels, included): a request for the
    /// manager of a service whose jobs carry the role, journaled.
    pub async fn request_access(
        &self,
        actor: &Actor,
        role: Role,
        until: Date,
        today: Date,
    ) -> Result<AccessRequest, AppError> {
        let invalid = |field, code, reason: String| AppError::Invalid(refusal(field, code, reason));
        if actor.role == Role::System {
            return Err(invalid(
                "party",
                "not_staff",
                "the console's identity asks for no role: act as the person".into(),
            ));
        }
        if !role.fits(&domain::PartyKind::Staff) {
            return Err(invalid("role", "not_a_staff_role", format!("{role} is not a staff role")));
        }
        let latest =
            today.checked_add(jiff::Span::new().days(domain::staff::MAX_EXCEPTION_DAYS)).unwrap_or(Date::MAX);
        if until <= today || until > latest {
            return Err(invalid(
                "until",
                "bad_expiry",
                format!(
                    "{until} must be after {today} and at most {} days later",
                    domain::staff::MAX_EXCEPTION_DAYS
                ),
            ));
        }
        let ask = Ask::function(
            Action::RequestAccess,
            Resource::Installation,
            "iam.request",
            "access request (R6)",
        )
        .about(vec![actor.party.to_string(), role.as_str().to_owned()]);
        self.write(actor, vec![ask], |template| async move {
            let command = RequestAccess { template, party: actor.party.clone(), role, until };
            Ok(self.store.submit(command).await?.wait().await?.output?)
        })
        .await
    }

    /// The requests the actor may see: their own, and those they may decide (a role some job
    /// of a service they manage carries); the console's identity and the ethics committee see
    /// them all.
    pub async fn access_requests(&self, actor: &Actor) -> Result<Sent<Vec<AccessRequest>>, AppError> {
        let ask = Ask::function(
            Action::RequestAccess,
            Resource::Installation,
            "iam.requests",
            "access request (R6)",
        );
        let sent = self
            .read(actor, ask, |_| async {
                let all = self.store.access_requests().await?;
                if matches!(actor.role, Role::System | Role::Auditor) {
                    return Ok(all);
                }
                let (catalogue, _) = catalogue()?;
                let state = self.store.staff_state(Timestamp::now()).await?;
                let managed = state.of_party(&actor.party).filter(|c| c.active).map(|c| c.record.job.clone());
                let me = actor.party.to_string();
                Ok(all
                    .into_iter()
                    .filter(|r| {
                        r.party == me || managed.as_ref().is_some_and(|job| catalogue.approves(job, r.role))
                    })
                    .collect())
            })
            .await?;
        Ok(sent)
    }

    /// A manager's decision on a request: an approval grants the role until the day asked
    /// (checked as a manual exception: manager of the role's service, not oneself,
    /// segregation of duties); a refusal closes it. Taken once (`already_decided`).
    pub async fn decide_access_request(
        &self,
        actor: &Actor,
        request: &str,
        approve: bool,
        today: Date,
    ) -> Result<AccessRequest, AppError> {
        let ask = Ask::function(
            Action::DecideAccessRequest,
            Resource::Installation,
            "iam.request.decide",
            "access request (R6)",
        )
        .about(vec![request.to_owned()]);
        self.write(actor, vec![ask], |template| async move {
            let (catalogue, duties) = catalogue()?;
            let command = DecideRequest {
                template,
                catalogue,
                duties,
                approver: actor.party.clone(),
                request: request.to_owned(),
                approve,
                today,
            };
            Ok(self.store.submit(command).await?.wait().await?.output?)
        })
        .await
    }
}

struct RequestAccess {
    template: journal::Entry,
    party: PartyId,
    role: Role,
    until: Date,
}

impl Command for RequestAccess {
    type Output = Result<AccessRequest, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let now = Timestamp::now();
        let id = tx.put_access_request(&self.party, self.role, self.until, now).await?;
        let request = tx
            .access_request(&id)
            .await?
            .ok_or_else(|| StoreError::Journal("request just written".into()))?;
        let mut subjects = self.template.subjects.clone();
        subjects.push(id);
        let entry = tx.slot().fill(journal::Entry { subjects, outcome: "ok".into(), ..self.template });
        Ok(Done { output: Ok(request), entries: vec![entry] })
    }
}

struct DecideRequest {
    template: journal::Entry,
    catalogue: Catalogue,
    duties: Duties,
    approver: PartyId,
    request: String,
    approve: bool,
    today: Date,
}

impl DecideRequest {
    async fn decide(
        &self,
        tx: &mut WriteTx,
        now: Timestamp,
    ) -> Result<Result<AccessRequest, StoreError>, StoreError> {
        let Some(request) = tx.access_request(&self.request).await? else {
            return Ok(Err(refusal(
                "request",
                "unknown_request",
                format!("no request has the id {}", self.request),
            )));
        };
        if request.status != "pending" {
            return Ok(Err(refusal(
                "request",
                "already_decided",
                format!("{} is {} already", request.request, request.status),
            )));
        }
        let party: PartyId =
            request.party.parse().map_err(|_| StoreError::Journal("request party".into()))?;
        let state = tx.staff_state(now).await?;
        let held = state.roles_of(&party);
        let ask = ExceptionAsk {
            holder: state.of_party(&party),
            held: &held,
            approver: state.of_party(&self.approver),
            role: request.role,
            today: self.today,
            until: request.until,
        };
        let checked = check_exception(&self.catalogue, &self.duties, &ask);
        let grant = match checked {
            // Refusing needs the same authority as approving, nothing more.
            Err(e)
                if self.approve
                    || matches!(
                        e,
                        domain::staff::ExceptionError::NotManager { .. }
                            | domain::staff::ExceptionError::SelfApproved
                    ) =>
            {
                return Ok(Err(refusal(e.field(), e.code(), e.to_string())));
            }
            _ if !self.approve => None,
            _ => {
                let end = request.until.tomorrow().map_err(|e| StoreError::Journal(e.to_string()))?;
                let expires =
                    domain::period::day_start(end).map_err(|e| StoreError::Journal(e.to_string()))?;
                Some(
                    tx.grant_role(
                        &party,
                        request.role,
                        &Source::Exception,
                        Some(&self.approver),
                        Some(expires),
                        now,
                    )
                    .await?,
                )
            }
        };
        tx.decide_access_request(&request.request, &self.approver, self.approve, grant.as_deref(), now)
            .await?;
        let decided = tx
            .access_request(&request.request)
            .await?
            .ok_or_else(|| StoreError::Journal("request".into()))?;
        Ok(Ok(decided))
    }
}

impl Command for DecideRequest {
    type Output = Result<AccessRequest, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let now = Timestamp::now();
        let decided = self.decide(tx, now).await?;
        let (outcome, mut subjects) = match &decided {
            Ok(request) => ("ok".to_owned(), vec![request.party.clone(), request.request.clone()]),
            Err(e) => (refused(e), self.template.subjects.clone()),
        };
        if let Ok(AccessRequest { grant: Some(grant), .. }) = &decided {
            subjects.push(grant.clone());
        }
        let entry = tx.slot().fill(journal::Entry { subjects, outcome, ..self.template });
        Ok(Done { output: decided, entries: vec![entry] })
    }
}
