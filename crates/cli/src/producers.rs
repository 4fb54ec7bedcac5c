//! `cloison producers`: the producer connection queues (R15), as the connections team runs
//! them, the daily run, a producer's own view and the audit; and `cloison calendar`, the
//! Belgian working days every deadline counts in.

use std::path::Path;

use anyhow::Result;
use app::{ConnectionOutcome, QueueView};
use clap::Subcommand;
use domain::SubstationId;
use domain::calendar::{ExtraDays, public_holidays};
use domain::producer::{Command, Happening, parse_kw};
use jiff::civil::Date;

use crate::Failure;
use crate::identity::{operator, refusal};
use crate::output::{labelled, outln};
use crate::register::open;

/// Producer connection queue commands.
#[derive(Debug, Subcommand)]
pub enum ProducersCommand {
    /// Set a substation's hosting capacity (kW); the first one opens its queue. Capacity freed
    /// goes to the waiting list in rank order at once.
    Capacity {
        /// The substation (as the register names it).
        substation: String,
        /// The hosting capacity, kW.
        #[arg(long, allow_hyphen_values = true)]
        kw: String,
        #[command(flatten)]
        on: On,
    },
    /// File an admissible request: the acknowledgement is sent on the day, which fixes its rank.
    Acknowledge {
        /// The substation.
        substation: String,
        /// The producer (a network user's party id).
        #[arg(long)]
        producer: String,
        /// The installation's power, kW.
        #[arg(long, allow_hyphen_values = true)]
        kw: String,
        /// Transmission or local-transmission studies are needed (70 working days).
        #[arg(long)]
        transmission_study: bool,
        #[command(flatten)]
        on: On,
    },
    /// The orientation study is paid: its report is due in 15 working days.
    PayOrientation {
        /// The request (SUBSTATION/N).
        request: String,
        #[command(flatten)]
        on: On,
    },
    /// The detailed study is paid: the request competes for capacity at its rank.
    PayStudy {
        /// The request (SUBSTATION/N).
        request: String,
        #[command(flatten)]
        on: On,
    },
    /// The technical and financial proposal (or partial offer) is sent.
    Offer {
        /// The request (SUBSTATION/N or SUBSTATION/N.P).
        request: String,
        #[command(flatten)]
        on: On,
    },
    /// Extend the acceptance window by 1 to 20 working days.
    Extend {
        /// The request.
        request: String,
        /// Working days, 1 to 20.
        #[arg(long)]
        working_days: u32,
        #[command(flatten)]
        on: On,
    },
    /// The contract is signed and paid: the capacity is acquired.
    Sign {
        /// The request.
        request: String,
        #[command(flatten)]
        on: On,
    },
    /// Extend the works deadline once, by at most a year, on proof of a pending permit.
    ExtendWorks {
        /// The request.
        request: String,
        /// The new last day to order the works (YYYY-MM-DD).
        #[arg(long)]
        until: String,
        /// The reference of the authority's certificate.
        #[arg(long)]
        permit: String,
        #[command(flatten)]
        on: On,
    },
    /// The connection works are ordered.
    OrderWorks {
        /// The request.
        request: String,
        #[command(flatten)]
        on: On,
    },
    /// The producer withdraws the request (or a waiting part) in writing.
    Withdraw {
        /// The request.
        request: String,
        #[command(flatten)]
        on: On,
    },
    /// The installation changed significantly: the request and all its parts leave the queue.
    Remove {
        /// The request.
        request: String,
        /// What changed.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        on: On,
    },
    /// The daily run: reminders, caducities (the regulator told), re-offers. Idempotent; may
    /// be run for a past day it missed.
    Daily {
        #[command(flatten)]
        on: On,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Every queue, every request in rank order, every deadline.
    List {
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// The acting producer's own requests, their positions and the capacity figures.
    Own {
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Rebuild every queue from its journaled commands and compare with the stored queues;
    /// exits 1 naming the first difference.
    Audit {
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

/// The day a command takes effect, and where.
#[derive(Debug, clap::Args)]
pub struct On {
    /// The day it happened (YYYY-MM-DD, Europe/Brussels; default today); never after today.
    #[arg(long)]
    day: Option<String>,
    /// Database URL or SQLite file (default from configuration).
    #[arg(long)]
    db: Option<String>,
}

/// Calendar commands.
#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// How many working days there are from FROM to TO, both included (as a working-day
    /// count of a period is usually understood: a week from Monday to Friday has five).
    WorkingDays {
        /// The first day (YYYY-MM-DD), counted when it is a working day.
        from: String,
        /// The last day (YYYY-MM-DD), counted when it is a working day.
        to: String,
        /// Regional or company days off to skip too: a CSV file `day,name`
        /// (data/calendar/extra-days-wallonia.csv is one).
        #[arg(long)]
        extra: Option<std::path::PathBuf>,
    },
    /// The day N working days after FROM (FROM not counted): where a deadline of "N working
    /// days from FROM" falls.
    Add {
        /// Working days.
        n: u32,
        /// The day it runs from (YYYY-MM-DD).
        from: String,
        /// Regional or company days off to skip too: a CSV file `day,name`.
        #[arg(long)]
        extra: Option<std::path::PathBuf>,
    },
    /// The Belgian legal public holidays of YEAR.
    Holidays {
        /// The year.
        year: i16,
    },
}

fn day(flag: &str, text: &str) -> Result<Date, Failure> {
    text.parse().map_err(|_| Failure::Invalid(format!("{flag}: a day is written YYYY-MM-DD, found {text:?}")))
}

fn substation(text: &str) -> Result<SubstationId, Failure> {
    text.parse().map_err(|e| Failure::Invalid(format!("substation: {e}")))
}

/// The substation a request id names: the part before its `/`.
fn substation_of(request: &str) -> Result<SubstationId, Failure> {
    let (name, _) = request
        .split_once('/')
        .ok_or_else(|| Failure::Invalid(format!("request: a request is SUBSTATION/N, found {request:?}")))?;
    substation(name)
}

fn kw(flag: &'static str, text: &str) -> Result<u32, Failure> {
    parse_kw(flag, text).map_err(|e| Failure::Invalid(format!("--kw: {}: {}", e.code, e.reason)))
}

fn happening(h: &Happening) -> String {
    let mut line = format!("{} {}", h.request.as_deref().unwrap_or("queue"), h.what);
    if let Some(kw) = h.kw {
        line.push_str(&format!(" {kw} kW"));
    }
    if let Some(due) = h.due {
        line.push_str(&format!(" due {due}"));
    }
    if h.regulator {
        line.push_str(" (regulator told)");
    }
    line
}

fn render_outcome(outcome: &ConnectionOutcome) -> String {
    let mut text = String::new();
    for h in &outcome.happened {
        text.push_str(&happening(h));
        text.push('\n');
    }
    let f = outcome.figures;
    text.push_str(&format!(
        "{}: capacity {} kW, reserved {}, allocated {}, free {}, waiting {}\n",
        outcome.substation, f.capacity_kw, f.reserved_kw, f.allocated_kw, f.free_kw, f.waiting_kw
    ));
    text
}

fn render_queues(queues: &[QueueView]) -> String {
    let mut text = String::new();
    for q in queues {
        let f = q.figures;
        text.push_str(&format!(
            "{}: capacity {} kW, reserved {}, allocated {}, free {}, waiting {}\n",
            q.substation, f.capacity_kw, f.reserved_kw, f.allocated_kw, f.free_kw, f.waiting_kw
        ));
        for r in &q.requests {
            let r_ = &r.request;
            let due = [
                ("offer due", r_.offer_due),
                ("accept by", r_.accept_by),
                ("reminder", r_.reminder_on),
                ("works by", r_.works_by),
            ]
            .iter()
            .filter_map(|(what, d)| d.map(|d| format!("{what} {d}")))
            .collect::<Vec<_>>()
            .join(", ");
            text.push_str(&format!(
                "  {:>4} {} {} {} kW {} acknowledged {}{}\n",
                r.position.map_or_else(|| "-".to_owned(), |p| p.to_string()),
                r_.id,
                r_.producer,
                r_.kw,
                r_.state,
                r_.rank.acknowledged,
                if due.is_empty() { String::new() } else { format!(" ({due})") }
            ));
        }
    }
    text
}

/// Runs `cloison producers …`.
pub async fn run(config_file: Option<&Path>, command: ProducersCommand) -> Result<()> {
    let actor = operator(config_file)?;
    let today = app::market_today();
    let on = |on: &On| -> Result<Date, Failure> { on.day.as_deref().map_or(Ok(today), |d| day("--day", d)) };
    let (target, command, db) = match command {
        ProducersCommand::Capacity { substation: s, kw: k, on: o } => {
            (substation(&s)?, Command::SetCapacity { kw: kw("capacity_kw", &k)?, day: on(&o)? }, o.db)
        }
        ProducersCommand::Acknowledge { substation: s, producer, kw: k, transmission_study, on: o } => {
            let producer = producer.parse().map_err(|e| Failure::Invalid(format!("--producer: {e}")))?;
            let command =
                Command::Acknowledge { producer, kw: kw("kw", &k)?, transmission_study, day: on(&o)? };
            (substation(&s)?, command, o.db)
        }
        ProducersCommand::PayOrientation { request, on: o } => {
            (substation_of(&request)?, Command::PayOrientation { day: on(&o)?, request }, o.db)
        }
        ProducersCommand::PayStudy { request, on: o } => {
            (substation_of(&request)?, Command::PayDetailedStudy { day: on(&o)?, request }, o.db)
        }
        ProducersCommand::Offer { request, on: o } => {
            (substation_of(&request)?, Command::SendOffer { day: on(&o)?, request }, o.db)
        }
        ProducersCommand::Extend { request, working_days, on: o } => {
            (substation_of(&request)?, Command::Extend { day: on(&o)?, working_days, request }, o.db)
        }
        ProducersCommand::Sign { request, on: o } => {
            (substation_of(&request)?, Command::Sign { day: on(&o)?, request }, o.db)
        }
        ProducersCommand::ExtendWorks { request, until, permit, on: o } => {
            let until = day("--until", &until)?;
            (substation_of(&request)?, Command::ExtendWorks { day: on(&o)?, until, permit, request }, o.db)
        }
        ProducersCommand::OrderWorks { request, on: o } => {
            (substation_of(&request)?, Command::OrderWorks { day: on(&o)?, request }, o.db)
        }
        ProducersCommand::Withdraw { request, on: o } => {
            (substation_of(&request)?, Command::Withdraw { day: on(&o)?, request }, o.db)
        }
        ProducersCommand::Remove { request, reason, on: o } => {
            (substation_of(&request)?, Command::Remove { day: on(&o)?, reason, request }, o.db)
        }
        ProducersCommand::Daily { on: o, json } => {
            let run_day = on(&o)?;
            let app = open(config_file, o.db.as_deref()).await?;
            let result = app.connections_daily(&actor, run_day).await;
            app.close().await;
            let report = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
            if json {
                outln!("{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                outln!(
                    "daily run for {}: {} queue(s), {} changed",
                    report.day,
                    report.queues,
                    report.changed.len()
                )?;
                for queue in &report.changed {
                    for h in &queue.happened {
                        outln!("{}", happening(h))?;
                    }
                }
            }
            return Ok(());
        }
        ProducersCommand::List { db, json } => {
            let app = open(config_file, db.as_deref()).await?;
            let result = app.connection_queues(&actor).await;
            app.close().await;
            let queues = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
            if json {
                outln!("{}", serde_json::to_string_pretty(&queues)?)?;
            } else {
                crate::output::write_str(&render_queues(&queues))?;
            }
            return Ok(());
        }
        ProducersCommand::Own { db, json } => {
            let app = open(config_file, db.as_deref()).await?;
            let result = app.own_connections(&actor).await;
            app.close().await;
            let own = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
            if json {
                outln!("{}", serde_json::to_string_pretty(&own)?)?;
            } else {
                for o in &own {
                    outln!(
                        "{} {} kW {} position {} on {} (capacity {} kW, free {}, waiting {})",
                        o.request.id,
                        o.request.kw,
                        o.request.state,
                        o.position.map_or_else(|| "-".to_owned(), |p| p.to_string()),
                        o.substation,
                        o.figures.capacity_kw,
                        o.figures.free_kw,
                        o.figures.waiting_kw
                    )?;
                }
            }
            return Ok(());
        }
        ProducersCommand::Audit { db, json } => {
            let app = open(config_file, db.as_deref()).await?;
            let result = app.connections_audit(&actor).await;
            app.close().await;
            let audit = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
            if json {
                outln!("{}", serde_json::to_string_pretty(&audit)?)?;
            }
            if let Some(difference) = &audit.first_difference {
                anyhow::bail!("the stored queues differ from their journaled commands: {difference}");
            }
            if !json {
                outln!(
                    "queues intact: {} commands replayed, {} queues and {} requests as the commands make them",
                    audit.commands,
                    audit.queues,
                    audit.requests
                )?;
            }
            return Ok(());
        }
    };
    let app = open(config_file, db.as_deref()).await?;
    let result = app.connection_command(&actor, target, command).await;
    app.close().await;
    let outcome = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
    crate::output::write_str(&render_outcome(&outcome))?;
    Ok(())
}

/// The extra days off of `file`, or none: every line checked, the first bad one named.
fn extra_days(file: Option<&Path>) -> Result<ExtraDays, Failure> {
    let Some(file) = file else {
        return Ok(ExtraDays::default());
    };
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::Invalid(format!("--extra: cannot read {}: {e}", file.display())))?;
    ExtraDays::parse(&file.display().to_string(), &text)
        .map_err(|e| Failure::Invalid(format!("--extra: {e}")))
}

/// Runs `cloison calendar …`: no database, no identity; the calendar is public.
pub fn run_calendar(command: CalendarCommand) -> Result<()> {
    match command {
        CalendarCommand::WorkingDays { from, to, extra } => {
            let extra = extra_days(extra.as_deref())?;
            let (from, to) = (day("from", &from)?, day("to", &to)?);
            if to < from {
                return Err(Failure::Invalid(format!("to: {to} is before {from}")).into());
            }
            let mut n = u32::from(extra.is_working_day(from));
            let mut d = from;
            while d < to {
                d = d.tomorrow().map_err(|e| Failure::Invalid(format!("to: {e}")))?;
                n += u32::from(extra.is_working_day(d));
            }
            outln!("{n}")?;
        }
        CalendarCommand::Add { n, from, extra } => {
            outln!("{}", extra_days(extra.as_deref())?.add_working_days(day("from", &from)?, n))?;
        }
        CalendarCommand::Holidays { year } => {
            if !(1583..=9999).contains(&year) {
                return Err(Failure::Invalid(format!("year: 1583 to 9999, found {year}")).into());
            }
            for (date, holiday) in public_holidays(year) {
                outln!("{date} {holiday}")?;
            }
        }
    }
    Ok(())
}
