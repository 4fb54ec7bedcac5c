//! `cloison register`: the access register from the command line.

use std::path::Path;

use anyhow::Result;
use app::{Change, Cloison, HistoryView, RecordView, RegisterView};
use clap::Subcommand;
use domain::{AccessPoint, Ean};

use crate::Failure;
use crate::config::Config;
use crate::identity::{operator, refusal};
use crate::output::{self, out, outln};
use crate::time::{local, local_period, parse_instant};

/// Register queries and the register team's corrections.
#[derive(Debug, Subcommand)]
pub enum RegisterCommand {
    /// The access point, its occupant and its supplier at an instant.
    Show {
        /// The 18-digit EAN of the access point.
        ean: String,
        /// Instant (RFC 3339), Brussels local time or Brussels day; default now.
        #[arg(long)]
        at: Option<String>,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Every occupancy and registration of the access point, corrections included.
    History {
        /// The 18-digit EAN of the access point.
        ean: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// End the occupancy in force at an instant (a move-out): the register records a
    /// correction that ends it then. Needs an identity the policies let write the register.
    EndOccupancy {
        /// The 18-digit EAN of the access point.
        ean: String,
        /// The first instant without that occupant: RFC 3339, Brussels local time or day.
        #[arg(long)]
        at: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// End the registration in force at an instant (end of contract, drop): the register
    /// records a correction that ends it then.
    EndRegistration {
        /// The 18-digit EAN of the access point.
        ean: String,
        /// The first instant without that supplier: RFC 3339, Brussels local time or day.
        #[arg(long)]
        at: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
}

/// Parses an EAN argument, failing with the rule that broke.
pub fn parse_ean(text: &str) -> Result<Ean, Failure> {
    text.parse().map_err(|e| Failure::Invalid(format!("ean: {e}")))
}

/// Runs a register command.
pub async fn run(config_file: Option<&Path>, command: RegisterCommand) -> Result<()> {
    match command {
        RegisterCommand::Show { ean, at, db, json } => {
            let ean = parse_ean(&ean)?;
            let at = at
                .as_deref()
                .map(|t| parse_instant("--at", t))
                .transpose()?
                .unwrap_or_else(jiff::Timestamp::now);
            let actor = operator(config_file)?;
            let app = open(config_file, db.as_deref()).await?;
            let view = app.register_show(&actor, ean, at).await.map_err(|e| refusal(e, &actor));
            app.close().await;
            let view = view?;
            output::label(&view);
            let view = view.into_view();
            if json {
                outln!("{}", serde_json::to_string_pretty(&view)?)?;
            } else {
                out!("{}", render_show(&view))?;
            }
        }
        RegisterCommand::History { ean, db, json } => {
            let ean = parse_ean(&ean)?;
            let actor = operator(config_file)?;
            let app = open(config_file, db.as_deref()).await?;
            let view = app.register_history(&actor, ean).await.map_err(|e| refusal(e, &actor));
            app.close().await;
            let view = view?;
            output::label(&view);
            let view = view.into_view();
            if json {
                outln!("{}", serde_json::to_string_pretty(&view)?)?;
            } else {
                out!("{}", render_history(&view))?;
            }
        }
        RegisterCommand::EndOccupancy { ean, at, db } => {
            let ean = parse_ean(&ean)?;
            let end = parse_instant("--at", &at)?;
            let change = Change::EndOccupancy { ean, at: end };
            end_record(config_file, db.as_deref(), "occupancy", (ean, end), change).await?;
        }
        RegisterCommand::EndRegistration { ean, at, db } => {
            let ean = parse_ean(&ean)?;
            let end = parse_instant("--at", &at)?;
            let change = Change::EndRegistration { ean, at: end };
            end_record(config_file, db.as_deref(), "registration", (ean, end), change).await?;
        }
    }
    Ok(())
}

/// Applies one ending as the configured identity and says which record now holds it.
async fn end_record(
    config_file: Option<&Path>,
    db: Option<&str>,
    what: &str,
    (ean, at): (Ean, jiff::Timestamp),
    change: Change,
) -> Result<()> {
    let actor = operator(config_file)?;
    let app = open(config_file, db).await?;
    let written = app.register_apply(&actor, vec![(jiff::Timestamp::now(), change)]).await;
    app.close().await;
    let written = written.map_err(|e| refusal(e, &actor))?;
    for w in written {
        if let app::Written::Record(id) = w {
            outln!("{what} of {ean} ended at {at} (Brussels {}): record #{id}", local(at))?;
        }
    }
    Ok(())
}

/// Opens the existing database of the configuration: a command that reads or journals never
/// creates one, so a mistyped `--db` fails instead of answering from an empty register.
pub async fn open(config_file: Option<&Path>, db: Option<&str>) -> Result<Cloison> {
    let config = Config::load(config_file, db)?;
    let keys = config.keys(false)?;
    crate::database::open(&config, &keys, app::Opening::Existing).await
}

fn render_access_point(ap: &AccessPoint) -> String {
    format!(
        "EAN {} · {} · {} · {} meter · {}\n  {} · substation {}\n",
        ap.ean, ap.energy, ap.regime, ap.meter, ap.grid_status, ap.address, ap.substation
    )
}

/// The human form of `register show`.
pub fn render_show(view: &RegisterView) -> String {
    let mut out = render_access_point(&view.access_point);
    out.push_str(&format!("At {} (Brussels {})\n", view.at, local(view.at)));
    let line = |label: &str, holder: &Option<app::Holder>| match holder {
        Some(h) => format!(
            "  {label:<9} {:<12} {:<32} {}\n",
            h.party.id,
            h.party.name.as_deref().unwrap_or("?"),
            local_period(&h.period)
        ),
        None => format!("  {label:<9} none\n"),
    };
    out.push_str(&line("occupant", &view.occupant));
    out.push_str(&line("supplier", &view.supplier));
    out
}

fn render_records(out: &mut String, title: &str, records: &[RecordView]) {
    out.push_str(&format!("{title}:\n"));
    for r in records {
        out.push_str(&format!(
            "  #{:<6} {:<12} {:<32} {}{}{}\n",
            r.id,
            r.party.id,
            r.party.name.as_deref().unwrap_or("?"),
            local_period(&r.period),
            r.supersedes.map(|s| format!("  corrects #{s}")).unwrap_or_default(),
            if r.effective { "" } else { "  (superseded)" },
        ));
    }
}

/// The human form of `register history`.
pub fn render_history(view: &HistoryView) -> String {
    let mut out = render_access_point(&view.access_point);
    render_records(&mut out, "Occupancies", &view.occupancies);
    render_records(&mut out, "Registrations", &view.registrations);
    out
}
