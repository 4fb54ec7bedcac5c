//! `cloison works`: customer works requests (R13) through their six modules, as the works
//! team runs them; a requester's own view; the retention schedule.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use app::WorkView;
use clap::Subcommand;
use domain::works::{RequesterKind, Step};
use jiff::civil::Date;

use crate::Failure;
use crate::identity::{operator, refusal};
use crate::output::{labelled, outln};
use crate::register::open;

/// Customer works commands.
#[derive(Debug, Subcommand)]
pub enum WorksCommand {
    /// Capture a request: its kind, its requester and the capture module's fields
    /// (requester_name, billing_address, description; phone, email, ean, vat_rate). Nothing
    /// else is kept (R13).
    Capture {
        /// new_connection, connection_change, meter_change or removal.
        #[arg(long)]
        kind: String,
        /// The requester's party id.
        #[arg(long)]
        requester: String,
        /// customer, third_party, public_body, supplier or internal.
        #[arg(long, default_value = "customer")]
        requester_kind: String,
        /// A field, NAME=VALUE (repeat).
        #[arg(long = "field", value_name = "NAME=VALUE")]
        fields: Vec<String>,
        #[command(flatten)]
        on: On,
    },
    /// Move a request one step on: study, offer, accept, plan, execute, invoice or cancel,
    /// with the step's module's fields.
    Step {
        /// The request's id (wrk_…).
        id: String,
        /// study, offer, accept, plan, execute, invoice or cancel.
        step: String,
        /// A field, NAME=VALUE (repeat).
        #[arg(long = "field", value_name = "NAME=VALUE")]
        fields: Vec<String>,
        #[command(flatten)]
        on: On,
    },
    /// Every request (the works team).
    List {
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// The acting requester's own requests.
    Own {
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// One request, for the works team or its requester (exit 3 for anyone else, as for no
    /// request).
    Show {
        /// The request's id.
        id: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// A closed request's asset record, with the network user's name and contract date read
    /// from the register now.
    Asset {
        /// The request's id.
        id: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Run the retention schedule (policies/retention.csv): purge the personal data whose time
    /// is up, each with its legal basis.
    Retention {
        #[command(flatten)]
        on: On,
    },
}

/// The day a command takes effect, and where.
#[derive(Debug, clap::Args)]
pub struct On {
    /// The day (YYYY-MM-DD, default today); never after today.
    #[arg(long)]
    day: Option<String>,
    /// Database URL or SQLite file (default from configuration).
    #[arg(long)]
    db: Option<String>,
}

fn day(on: &On) -> Result<Date, Failure> {
    match &on.day {
        None => Ok(app::market_today()),
        Some(t) => t
            .parse()
            .map_err(|_| Failure::Invalid(format!("--day: a day is written YYYY-MM-DD, found {t:?}"))),
    }
}

fn fields(pairs: &[String]) -> Result<BTreeMap<String, String>, Failure> {
    let mut out = BTreeMap::new();
    for pair in pairs {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| Failure::Invalid(format!("--field: NAME=VALUE, found {pair:?}")))?;
        if out.insert(k.trim().to_owned(), v.to_owned()).is_some() {
            return Err(Failure::Invalid(format!("--field: {k} given twice")));
        }
    }
    Ok(out)
}

fn render(w: &WorkView) -> String {
    let mut text = format!(
        "{} {} for {} ({}) {} version {} on {}\n",
        w.id,
        w.kind.as_str(),
        w.requester,
        serde_json::to_value(w.requester_kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        w.stage,
        w.version,
        w.changed
    );
    for (k, v) in w.fields.iter().chain(&w.personal) {
        text.push_str(&format!("  {k}: {v}\n"));
    }
    if !w.purged.is_empty() {
        text.push_str(&format!("  purged: {}\n", w.purged.join(", ")));
    }
    if let Some(a) = &w.asset {
        text.push_str(&format!(
            "  asset: {} kVA {} {} meter {}\n",
            a.power_kva, a.supply_type, a.meter_type, a.meter_number
        ));
    }
    text
}

fn print(works: &[WorkView], json: bool) -> Result<()> {
    if json {
        outln!("{}", serde_json::to_string_pretty(works)?)?;
    } else {
        for w in works {
            crate::output::write_str(&render(w))?;
        }
    }
    Ok(())
}

/// Runs `cloison works …`.
pub async fn run(config_file: Option<&Path>, command: WorksCommand) -> Result<()> {
    let actor = operator(config_file)?;
    match command {
        WorksCommand::Capture { kind, requester, requester_kind, fields: pairs, on } => {
            let requester = requester.parse().map_err(|e| Failure::Invalid(format!("--requester: {e}")))?;
            let requester_kind: RequesterKind = serde_json::from_value(serde_json::Value::String(requester_kind.clone()))
                .map_err(|_| {
                    Failure::Invalid(format!(
                        "--requester-kind: {requester_kind:?} is not customer, third_party, public_body, supplier or internal"
                    ))
                })?;
            let (fields, day) = (fields(&pairs)?, day(&on)?);
            let app = open(config_file, on.db.as_deref()).await?;
            let result = app.capture_work(&actor, &kind, requester, requester_kind, fields, day).await;
            app.close().await;
            let work = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
            crate::output::write_str(&render(&work))?;
        }
        WorksCommand::Step { id, step, fields: pairs, on } => {
            let fields = fields(&pairs)?;
            let step = match step.as_str() {
                "study" => Step::Study { fields },
                "offer" => Step::Offer { fields },
                "plan" => Step::Plan { fields },
                "execute" => Step::Execute { fields },
                "invoice" => Step::Invoice { fields },
                "accept" | "cancel" if !fields.is_empty() => {
                    return Err(Failure::Invalid(format!("--field: {step} keeps no fields")).into());
                }
                "accept" => Step::Accept,
                "cancel" => Step::Cancel,
                other => {
                    return Err(Failure::Invalid(format!(
                        "step: {other:?} is not study, offer, accept, plan, execute, invoice or cancel"
                    ))
                    .into());
                }
            };
            let day = day(&on)?;
            let app = open(config_file, on.db.as_deref()).await?;
            let result = app.work_step(&actor, &id, step, day).await;
            app.close().await;
            let work = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
            crate::output::write_str(&render(&work))?;
        }
        WorksCommand::List { db, json } => {
            let app = open(config_file, db.as_deref()).await?;
            let result = app.works(&actor).await;
            app.close().await;
            print(labelled(result.map_err(|e| refusal(e, &actor))?).view(), json)?;
        }
        WorksCommand::Own { db, json } => {
            let app = open(config_file, db.as_deref()).await?;
            let result = app.own_works(&actor).await;
            app.close().await;
            print(labelled(result.map_err(|e| refusal(e, &actor))?).view(), json)?;
        }
        WorksCommand::Show { id, db, json } => {
            let app = open(config_file, db.as_deref()).await?;
            let result = app.work(&actor, &id).await;
            app.close().await;
            let work = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
            print(std::slice::from_ref(&work), json)?;
        }
        WorksCommand::Asset { id, db, json } => {
            let app = open(config_file, db.as_deref()).await?;
            let result = app.asset_record(&actor, &id).await;
            app.close().await;
            let view = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
            if json {
                outln!("{}", serde_json::to_string_pretty(&view)?)?;
            } else {
                let a = &view.asset;
                outln!(
                    "{} {} {} kVA {} {} meter {}; network user now: {}; contract since {}",
                    view.request,
                    a.ean.map(|e| e.to_string()).unwrap_or_default(),
                    a.power_kva,
                    a.supply_type,
                    a.meter_type,
                    a.meter_number,
                    view.network_user.as_deref().unwrap_or("none"),
                    view.contract_from.map(crate::time::local).unwrap_or_else(|| "-".into())
                )?;
            }
        }
        WorksCommand::Retention { on } => {
            let day = day(&on)?;
            let app = open(config_file, on.db.as_deref()).await?;
            let result = app.works_retention(&actor, day).await;
            app.close().await;
            let report = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
            outln!(
                "retention run for {}: {} ended request(s), {} purge(s)",
                report.day,
                report.ended,
                report.purged.len()
            )?;
            for p in &report.purged {
                outln!("{} {} purged ({})", p.request, p.category, p.legal_basis)?;
            }
        }
    }
    Ok(())
}
