//! `cloison iam`: access management (R6, R11): the nightly sync of the HR extracts, manual
//! exceptions, revocations and the access review.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use app::{Cloison, DEFAULT_MAX_REMOVAL_PERCENT, Role, SyncInput, SyncReport};
use clap::Subcommand;
use domain::PartyId;
use jiff::civil::Date;

use crate::Failure;
use crate::identity::{operator, refusal};
use crate::output::{labelled, outln};
use crate::register::open;

/// Access management commands.
#[derive(Debug, Subcommand)]
pub enum IamCommand {
    /// Align roles with jobs from the two HR extracts: joiners get their job's roles, movers
    /// lose the old job's grants and tokens, leavers lose everything at once. Prints and stores
    /// the change report; exit 2 with every bad line named, and nothing changed, otherwise.
    Sync {
        /// The internal staff's extract (CSV, see the README).
        #[arg(long)]
        internal: PathBuf,
        /// The external staff's extract (same columns).
        #[arg(long)]
        external: PathBuf,
        /// Print what would change and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// The largest share of the people holding access one sync may remove, in percent:
        /// a truncated file must not fire everybody.
        #[arg(long, default_value_t = DEFAULT_MAX_REMOVAL_PERCENT, value_parser = clap::value_parser!(u32).range(0..=100))]
        max_removal: u32,
        /// Apply even above --max-removal (after checking the files are whole).
        #[arg(long)]
        force: bool,
        /// The day the extracts speak for (default: today in Brussels).
        #[arg(long)]
        on: Option<String>,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print the whole report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// A manual exception: a role the person's job does not carry, approved by a manager of a
    /// service whose jobs carry it, until a day at most a year away.
    Grant {
        /// The person's party (hr-…).
        #[arg(long)]
        party: String,
        /// The role.
        #[arg(long)]
        role: String,
        /// The approving service manager's party.
        #[arg(long)]
        approver: String,
        /// The last day of the exception (YYYY-MM-DD).
        #[arg(long)]
        until: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// End a grant by its id (grt_…); the holder's tokens of that role stop at once.
    Revoke {
        /// The grant's id.
        grant: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// Ask for a role for yourself (`--as PARTY:ROLE`) until a day: pending until a manager of
    /// a service whose jobs carry the role decides.
    Request {
        /// The role.
        #[arg(long)]
        role: String,
        /// The last day (YYYY-MM-DD), at most a year away.
        #[arg(long)]
        until: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// Your own requests, and those you may decide.
    Requests {
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// A service manager's decision on a request (req_…): the role is granted at once.
    Decide {
        /// The request's id.
        request: String,
        /// approve or refuse.
        #[arg(value_parser = ["approve", "refuse"])]
        decision: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// Emergency access by support (R10): open it with a reason, or the ethics committee's
    /// report of every opening and every act done under it.
    #[command(subcommand)]
    BreakGlass(BreakGlassCommand),
    /// The access review: every grant in force, and every party holding two roles the
    /// segregation of duties forbids together (by grant or by token). Exit 1 on a violation.
    Check {
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

/// Break-glass commands.
#[derive(Debug, Subcommand)]
pub enum BreakGlassCommand {
    /// Open emergency access for yourself (`--as PARTY:support`): a role that reads data, for
    /// at most 4 hours, with a token that ends with it; the secret is printed once.
    Open {
        /// register_staff, metering_staff or call_center.
        #[arg(long)]
        role: String,
        /// Why, 10 to 500 characters: the ethics committee reads it.
        #[arg(long)]
        reason: String,
        /// How long, e.g. 30m, 2h (at most 4h).
        #[arg(long = "for", default_value = "1h")]
        duration: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Every break-glass access, its reason, and every act done with its token.
    Report {
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

async fn break_glass(config_file: Option<&Path>, command: BreakGlassCommand) -> Result<()> {
    let actor = operator(config_file)?;
    match command {
        BreakGlassCommand::Open { role, reason, duration, db, json } => {
            let role = Role::parse(&role).map_err(|e| Failure::Invalid(format!("--role: {e}")))?;
            let duration: jiff::SignedDuration = duration
                .parse::<jiff::Span>()
                .ok()
                .and_then(|span| jiff::SignedDuration::try_from(span).ok())
                .ok_or_else(|| {
                    Failure::Invalid(format!("--for: {duration:?} is not a duration such as 30m or 2h"))
                })?;
            let app = open(config_file, db.as_deref()).await?;
            let result = app.open_break_glass(&actor, role, &reason, duration).await;
            app.close().await;
            let opened = result.map_err(|e| refusal(e, &actor))?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&opened)?)?;
            } else {
                outln!("{}", opened.secret)?;
                eprintln!(
                    "break-glass {}: {} as {} until {} (token {}, shown once); the ethics committee is told",
                    opened.grant, actor.party, opened.role, opened.expires, opened.token_id
                );
            }
        }
        BreakGlassCommand::Report { db, json } => {
            let app = open(config_file, db.as_deref()).await?;
            let result = app.break_glass_report(&actor).await;
            app.close().await;
            let report = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
            if json {
                outln!("{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                for used in &report {
                    let g = &used.grant;
                    outln!(
                        "{} {} as {} from {} until {}{}: {}",
                        g.grant,
                        g.party,
                        g.role,
                        g.opened,
                        g.expires,
                        g.closed.map(|c| format!(" (closed {c})")).unwrap_or_default(),
                        g.reason
                    )?;
                    for act in &used.acts {
                        outln!(
                            "  #{} {} {} {} {}",
                            act.index,
                            act.time,
                            act.action,
                            act.subjects.join(","),
                            act.outcome
                        )?;
                    }
                }
                outln!("{} break-glass access(es)", report.len())?;
            }
        }
    }
    Ok(())
}

fn day(flag: &str, text: &str) -> Result<Date, Failure> {
    text.parse().map_err(|_| {
        Failure::Invalid(format!("{flag}: a calendar day is written YYYY-MM-DD, found {text:?}"))
    })
}

fn party(flag: &str, text: &str) -> Result<PartyId, Failure> {
    text.parse().map_err(|e| Failure::Invalid(format!("{flag}: {e}")))
}

fn read(flag: &str, path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::Invalid(format!("{flag}: cannot read {}: {e}", path.display())).into())
}

fn today() -> Date {
    domain::period::local_day(jiff::Timestamp::now())
}

/// The report as a person reads it: the counts, then one line per change.
fn render(report: &SyncReport) -> String {
    let mut text = format!(
        "{} on {}: {} joiner(s), {} mover(s), {} leaver(s), {} record update(s), {} unchanged; \
         {} held access before; {} token(s) revoked\n",
        match &report.report {
            Some(id) => format!("sync {id}"),
            None => "dry run (nothing changed)".to_owned(),
        },
        report.today,
        report.joiners,
        report.movers,
        report.leavers,
        report.updated,
        report.unchanged,
        report.active_before,
        report.tokens_revoked,
    );
    for change in &report.changes {
        let roles =
            |roles: &mut dyn Iterator<Item = Role>| roles.map(Role::as_str).collect::<Vec<_>>().join(",");
        text.push_str(&format!(
            "  {:<7} {:<12} {:<16} {}{}{}{}\n",
            change.kind.as_str(),
            change.employee,
            change.party,
            change.record.job,
            change.from_job.as_ref().map(|j| format!(" (was {j})")).unwrap_or_default(),
            if change.grant.is_empty() {
                String::new()
            } else {
                format!(" +{}", roles(&mut change.grant.iter().copied()))
            },
            if change.revoke.is_empty() {
                String::new()
            } else {
                format!(" -{}", roles(&mut change.revoke.iter().map(|r| r.role)))
            },
        ));
    }
    text
}

/// Runs `cloison iam …`.
pub async fn run(config_file: Option<&Path>, command: IamCommand) -> Result<()> {
    match command {
        IamCommand::Sync { internal, external, dry_run, max_removal, force, on, db, json } => {
            let today = on.as_deref().map(|t| day("--on", t)).transpose()?.unwrap_or_else(today);
            let input = SyncInput {
                internal: read("--internal", &internal)?,
                external: read("--external", &external)?,
                today,
                max_removal_percent: max_removal,
                force,
            };
            let actor = operator(config_file)?;
            let app = open(config_file, db.as_deref()).await?;
            let result = if dry_run {
                app.sync_staff_dry_run(&actor, input).await.map(|sent| labelled(sent).into_view())
            } else {
                app.sync_staff(&actor, input).await.map(|sent| labelled(sent).into_view())
            };
            app.close().await;
            let report = result.map_err(|e| refusal(e, &actor))?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                crate::output::write_str(&render(&report))?;
            }
        }
        IamCommand::Grant { party: who, role, approver, until, db, json } => {
            let who = party("--party", &who)?;
            let approver = party("--approver", &approver)?;
            let role = Role::parse(&role).map_err(|e| Failure::Invalid(format!("--role: {e}")))?;
            let until = day("--until", &until)?;
            let actor = operator(config_file)?;
            let app = open(config_file, db.as_deref()).await?;
            let result = app.grant_exception(&actor, &who, role, &approver, until, today()).await;
            app.close().await;
            let grant = result.map_err(|e| refusal(e, &actor))?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&grant)?)?;
            } else {
                outln!(
                    "grant {}: {} as {} until {}, approved by {}",
                    grant.grant,
                    grant.party,
                    grant.role,
                    until,
                    approver
                )?;
            }
        }
        IamCommand::Revoke { grant, db } => {
            let actor = operator(config_file)?;
            let app = open(config_file, db.as_deref()).await?;
            let result = app.revoke_grant(&actor, &grant).await;
            app.close().await;
            let tokens = result.map_err(|e| refusal(e, &actor))?;
            outln!("grant {grant} revoked; {} token(s) revoked with it", tokens.len())?;
        }
        IamCommand::Check { db, json } => return check(config_file, db, json).await,
        IamCommand::BreakGlass(command) => return break_glass(config_file, command).await,
        IamCommand::Request { role, until, db } => {
            let role = Role::parse(&role).map_err(|e| Failure::Invalid(format!("--role: {e}")))?;
            let until = day("--until", &until)?;
            let actor = operator(config_file)?;
            let app = open(config_file, db.as_deref()).await?;
            let result = app.request_access(&actor, role, until, today()).await;
            app.close().await;
            let request = result.map_err(|e| refusal(e, &actor))?;
            outln!(
                "{}: {} asks for {} until {} (pending)",
                request.request,
                request.party,
                request.role,
                request.until
            )?;
        }
        IamCommand::Requests { db, json } => {
            let actor = operator(config_file)?;
            let app = open(config_file, db.as_deref()).await?;
            let result = app.access_requests(&actor).await;
            app.close().await;
            let requests = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
            if json {
                outln!("{}", serde_json::to_string_pretty(&requests)?)?;
            } else {
                for r in &requests {
                    outln!(
                        "{} {} {} until {} {}{}",
                        r.request,
                        r.party,
                        r.role,
                        r.until,
                        r.status,
                        r.approver.as_ref().map(|a| format!(" by {a}")).unwrap_or_default()
                    )?;
                }
            }
        }
        IamCommand::Decide { request, decision, db } => {
            let actor = operator(config_file)?;
            let app = open(config_file, db.as_deref()).await?;
            let result = app.decide_access_request(&actor, &request, decision == "approve", today()).await;
            app.close().await;
            let decided = result.map_err(|e| refusal(e, &actor))?;
            outln!("{}: {}", decided.request, decided.status)?;
        }
    }
    Ok(())
}

async fn check(config_file: Option<&Path>, db: Option<String>, json: bool) -> Result<()> {
    let actor = operator(config_file)?;
    let app: Cloison = open(config_file, db.as_deref()).await?;
    let result = app.access_check(&actor).await;
    app.close().await;
    let check = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
    if json {
        outln!("{}", serde_json::to_string_pretty(&check)?)?;
    } else {
        outln!("{} grant(s) in force", check.grants.len())?;
        for g in &check.grants {
            outln!(
                "  {:<16} {:<15} {:<20} {}",
                g.party,
                g.role.as_str(),
                g.source,
                g.expires.map(|e| format!("until {e}")).unwrap_or_default()
            )?;
        }
        for v in &check.violations {
            outln!("violation: {} holds {} and {}: {}", v.party, v.role, v.other, v.reason)?;
        }
        if check.violations.is_empty() {
            outln!("no segregation-of-duties violation")?;
        }
    }
    if check.violations.is_empty() {
        Ok(())
    } else {
        Err(anyhow::anyhow!("{} segregation-of-duties violation(s)", check.violations.len()))
            .context("iam check")
    }
}
