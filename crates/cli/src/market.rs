//! `cloison market` and `cloison messages`: the register team's market desk.
//!
//! Scenarios received by other channels (a letter, a phone call from a supplier without a
//! connection) are entered here for the initiator they name, judged today by the same rules
//! and the same gate as over HTTP; the queues of parties and services without a connection
//! are delivered from here.

use std::path::Path;

use anyhow::Result;
use app::{Actor, MarketAnswer, Placement};
use clap::{Args, Subcommand, ValueEnum};
use domain::scenario::{Action, Request, ScenarioKind};
use domain::{Address, Energy, PartyId};
use jiff::civil::Date;

use crate::Failure;
use crate::identity::{operator, refusal};
use crate::output::{labelled, outln};
use crate::register::{open, parse_ean};

/// What every scenario request names.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// The 18-digit EAN of the access point.
    ean: String,
    /// The Europe/Brussels day it takes effect (YYYY-MM-DD).
    #[arg(long)]
    day: String,
    /// The supplier the scenario is for; default the operator's own party.
    #[arg(long)]
    initiator: Option<String>,
    /// The energy to supply.
    #[arg(long, value_enum, default_value_t = EnergyArg::Electricity)]
    energy: EnergyArg,
    /// A key that makes the submission safe to retry: the same key and request answer the
    /// first answer again.
    #[arg(long)]
    key: Option<String>,
    /// Database URL or SQLite file (default from configuration).
    #[arg(long)]
    db: Option<String>,
    /// Print JSON for scripts.
    #[arg(long)]
    json: bool,
}

/// The customer a scenario is about.
#[derive(Debug, Args)]
pub struct CustomerArgs {
    /// The network user's party id.
    #[arg(long)]
    customer: String,
}

/// The energies, as the command line names them.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EnergyArg {
    /// Electricity.
    Electricity,
    /// Natural gas.
    Gas,
}

/// A placement report's step.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StepArg {
    /// Planned for the scenario's day.
    Scheduled,
    /// In place: the meter changes.
    Placed,
    /// Could not be done.
    Failed,
}

/// Where to find one scenario.
#[derive(Debug, Args)]
pub struct IdArgs {
    /// The scenario's id.
    id: String,
    /// Database URL or SQLite file (default from configuration).
    #[arg(long)]
    db: Option<String>,
    /// Print JSON for scripts.
    #[arg(long)]
    json: bool,
}

/// Market scenarios, as the register team enters and follows them.
#[derive(Debug, Subcommand)]
pub enum MarketCommand {
    /// A new supplier takes over the point; the customer stays.
    Switch {
        #[command(flatten)]
        scenario: ScenarioArgs,
        #[command(flatten)]
        customer: CustomerArgs,
    },
    /// A network user moves in, supplied by the initiator.
    MoveIn {
        #[command(flatten)]
        scenario: ScenarioArgs,
        #[command(flatten)]
        customer: CustomerArgs,
        /// Where bills go: street.
        #[arg(long)]
        street: String,
        /// House number.
        #[arg(long)]
        number: String,
        /// Box, when there is one.
        #[arg(long = "box")]
        box_number: Option<String>,
        /// Belgian postal code.
        #[arg(long)]
        postal_code: String,
        /// Municipality.
        #[arg(long)]
        municipality: String,
    },
    /// The network user moves out; the supply ends with the occupancy.
    MoveOut {
        #[command(flatten)]
        scenario: ScenarioArgs,
        #[command(flatten)]
        customer: CustomerArgs,
    },
    /// The supplier ends its contract; the customer stays.
    EndOfContract {
        #[command(flatten)]
        scenario: ScenarioArgs,
    },
    /// The supplier stops supplying a customer who does not pay.
    Drop {
        #[command(flatten)]
        scenario: ScenarioArgs,
        #[command(flatten)]
        customer: CustomerArgs,
    },
    /// The supplier asks for a budget meter for a customer in payment difficulty.
    BudgetMeter {
        #[command(flatten)]
        scenario: ScenarioArgs,
        #[command(flatten)]
        customer: CustomerArgs,
    },
    /// Cancels a scenario before its day, for its initiator.
    Cancel {
        #[command(flatten)]
        id: IdArgs,
    },
    /// Reports a budget-meter placement step.
    Placement {
        #[command(flatten)]
        id: IdArgs,
        /// The step.
        #[arg(long, value_enum)]
        step: StepArg,
    },
    /// Shows a scenario.
    Show {
        #[command(flatten)]
        id: IdArgs,
    },
    /// Runs the market's day: scenarios whose day has come take effect.
    RunDay {
        /// The Europe/Brussels day (YYYY-MM-DD); default today.
        #[arg(long)]
        day: Option<String>,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

/// The queues of parties and services, delivered by the register team.
#[derive(Debug, Subcommand)]
pub enum MessagesCommand {
    /// The oldest unacknowledged messages of a queue, with their receipts.
    Peek {
        /// The queue: a party id, or `dso:field`, `dso:budget_meter`; default the operator's.
        #[arg(long)]
        party: Option<String>,
        /// At most this many (1 to 500).
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Acknowledges a message: it leaves the queue.
    Ack {
        /// The message's id.
        id: String,
        /// The queue; default the operator's.
        #[arg(long)]
        party: Option<String>,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
}

fn day(flag: &str, text: &str) -> Result<Date, Failure> {
    text.parse().map_err(|_| Failure::Invalid(format!("{flag}: a day is written YYYY-MM-DD, found {text:?}")))
}

fn party(flag: &str, text: &str) -> Result<PartyId, Failure> {
    text.parse().map_err(|e| Failure::Invalid(format!("{flag}: {e}")))
}

fn request(actor: &Actor, args: &ScenarioArgs, action: Action) -> Result<Request, Failure> {
    Ok(Request {
        ean: parse_ean(&args.ean)?,
        energy: match args.energy {
            EnergyArg::Electricity => Energy::Electricity,
            EnergyArg::Gas => Energy::Gas,
        },
        initiator: match &args.initiator {
            Some(text) => party("--initiator", text)?,
            None => actor.party.clone(),
        },
        effective_day: day("--day", &args.day)?,
        action,
    })
}

/// Prints a market answer; a refusal is the command's failure, with the market's code.
fn answer(view: &MarketAnswer, json: bool) -> Result<()> {
    if json {
        outln!("{}", serde_json::to_string_pretty(view)?)?;
    }
    match view {
        MarketAnswer::Accepted { scenario } => {
            if !json {
                outln!(
                    "scenario {} · {} on {} from {} · {} · initiator {}",
                    scenario.id,
                    scenario.kind,
                    scenario.ean,
                    scenario.effective_day,
                    scenario.status.as_str(),
                    scenario.initiator
                )?;
            }
            Ok(())
        }
        MarketAnswer::Refused { code, message, .. } => {
            Err(Failure::Invalid(format!("refused ({code}): {message}")).into())
        }
    }
}

/// Runs a market command.
pub async fn run(config_file: Option<&Path>, command: MarketCommand) -> Result<()> {
    let actor = operator(config_file)?;
    let today = app::market_today();
    let customer = |args: &CustomerArgs| party("--customer", &args.customer);
    let (scenario, action) = match command {
        MarketCommand::Switch { scenario, customer: c } => {
            let action = Action::SupplierSwitch { customer: customer(&c)? };
            (scenario, action)
        }
        MarketCommand::MoveIn {
            scenario,
            customer: c,
            street,
            number,
            box_number,
            postal_code,
            municipality,
        } => {
            let shipping_address =
                Address::new(&street, &number, box_number.as_deref(), &postal_code, &municipality)
                    .map_err(|e| Failure::Invalid(format!("shipping address: {e}")))?;
            (scenario, Action::MoveIn { customer: customer(&c)?, shipping_address })
        }
        MarketCommand::MoveOut { scenario, customer: c } => {
            (scenario, Action::MoveOut { customer: customer(&c)? })
        }
        MarketCommand::EndOfContract { scenario } => (scenario, Action::EndOfContract),
        MarketCommand::Drop { scenario, customer: c } => (scenario, Action::Drop { customer: customer(&c)? }),
        MarketCommand::BudgetMeter { scenario, customer: c } => {
            (scenario, Action::BudgetMeter { customer: customer(&c)? })
        }
        MarketCommand::Cancel { id } => {
            let app = open(config_file, id.db.as_deref()).await?;
            let sent = app.market_cancel(&actor, &id.id, today).await;
            app.close().await;
            return answer(labelled(sent.map_err(|e| refusal(e, &actor))?).view(), id.json);
        }
        MarketCommand::Placement { id, step } => {
            let step = match step {
                StepArg::Scheduled => Placement::Scheduled,
                StepArg::Placed => Placement::Placed,
                StepArg::Failed => Placement::Failed,
            };
            let app = open(config_file, id.db.as_deref()).await?;
            let sent = app.market_placement(&actor, &id.id, step, today).await;
            app.close().await;
            return answer(labelled(sent.map_err(|e| refusal(e, &actor))?).view(), id.json);
        }
        MarketCommand::Show { id } => {
            let app = open(config_file, id.db.as_deref()).await?;
            let sent = app.market_scenario(&actor, &id.id).await;
            app.close().await;
            let view = labelled(sent.map_err(|e| refusal(e, &actor))?).into_view();
            return answer(&MarketAnswer::Accepted { scenario: view }, id.json);
        }
        MarketCommand::RunDay { day: asked, db, json } => {
            let on = asked.as_deref().map(|d| day("--day", d)).transpose()?.unwrap_or(today);
            let app = open(config_file, db.as_deref()).await?;
            let run = app.market_run_day(&actor, on).await;
            app.close().await;
            let run = run.map_err(|e| refusal(e, &actor))?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&run)?)?;
            } else {
                outln!(
                    "{}: {} scenario(s) took effect, {} held",
                    run.day,
                    run.completed.len(),
                    run.held.len()
                )?;
                for (id, code) in &run.held {
                    outln!("  held {id}: {code}")?;
                }
            }
            return Ok(());
        }
    };
    if !app::MARKET_KINDS.contains(&action.kind()) || action.kind() == ScenarioKind::Rectification {
        return Err(Failure::Invalid(format!("{} is not offered", action.kind())).into());
    }
    let request = request(&actor, &scenario, action)?;
    let app = open(config_file, scenario.db.as_deref()).await?;
    let sent = app.market_submit(&actor, request, scenario.key.as_deref(), today).await;
    app.close().await;
    answer(labelled(sent.map_err(|e| refusal(e, &actor))?).view(), scenario.json)
}

/// Runs a messages command.
pub async fn run_messages(config_file: Option<&Path>, command: MessagesCommand) -> Result<()> {
    let actor = operator(config_file)?;
    match command {
        MessagesCommand::Peek { party, limit, db, json } => {
            if !(1..=app::MAX_BUNDLE).contains(&limit) {
                return Err(Failure::Invalid(format!("--limit: 1 to {}", app::MAX_BUNDLE)).into());
            }
            let app = open(config_file, db.as_deref()).await?;
            let sent = app.market_peek(&actor, party.as_deref(), limit).await;
            app.close().await;
            let sent = labelled(sent.map_err(|e| refusal(e, &actor))?);
            if json {
                outln!("{}", String::from_utf8_lossy(sent.json()))?;
                return Ok(());
            }
            let bundle = sent.view();
            outln!("queue {}: {} message(s)", bundle.recipient, bundle.messages.len())?;
            for m in &bundle.messages {
                outln!("  {} · {} · entry #{} · {}", m.id, m.kind, m.receipt.proof.index, m.body)?;
            }
        }
        MessagesCommand::Ack { id, party, db } => {
            let app = open(config_file, db.as_deref()).await?;
            let done = app.market_acknowledge(&actor, party.as_deref(), &id).await;
            app.close().await;
            let done = done.map_err(|e| refusal(e, &actor))?;
            if done.removed {
                outln!("message {} acknowledged", done.id)?;
            } else {
                outln!("message {} was acknowledged before; nothing changed", done.id)?;
            }
        }
    }
    Ok(())
}
