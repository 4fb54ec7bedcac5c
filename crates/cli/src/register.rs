//! `cloison register`: the access register from the command line.

use std::path::Path;

use anyhow::Result;
use app::{Actor, AppError, Cloison, HistoryView, RecordView, RegisterView, Role};
use clap::Subcommand;
use domain::{AccessPoint, Ean};

use crate::Failure;
use crate::config::Config;
use crate::output::{out, outln};
use crate::time::{local, local_period, parse_instant};

/// Register queries.
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
}

/// Parses an EAN argument, failing with the rule that broke.
pub fn parse_ean(text: &str) -> Result<Ean, Failure> {
    text.parse().map_err(|e| Failure::Invalid(format!("ean: {e}")))
}

/// The actor of a command run by a person at the terminal: the register team, named by the
/// operating-system user so the journal says who it was (R6: no shared accounts).
pub fn operator() -> Actor {
    let user = std::env::var("USER").unwrap_or_else(|_| "operator".into()).to_lowercase();
    let slug: String =
        user.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).take(58).collect();
    Actor {
        party: format!("staff-{slug}")
            .parse()
            .unwrap_or_else(|_| "staff-operator".parse().expect("valid slug")),
        role: Role::RegisterStaff,
        session: format!("cli-{}", std::process::id()),
    }
}

fn not_found(e: AppError) -> anyhow::Error {
    match e {
        AppError::UnknownAccessPoint(ean) => {
            Failure::NotFound(format!("access point {ean} is not in the register (the EAN itself is valid)"))
                .into()
        }
        AppError::Invalid(e) => Failure::Invalid(e.to_string()).into(),
        other => other.into(),
    }
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
            let app = open(config_file, db.as_deref()).await?;
            let view = app.register_show(&operator(), ean, at).await.map_err(not_found);
            app.close().await;
            let view = view?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&view)?)?;
            } else {
                out!("{}", render_show(&view))?;
            }
        }
        RegisterCommand::History { ean, db, json } => {
            let ean = parse_ean(&ean)?;
            let app = open(config_file, db.as_deref()).await?;
            let view = app.register_history(&operator(), ean).await.map_err(not_found);
            app.close().await;
            let view = view?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&view)?)?;
            } else {
                out!("{}", render_history(&view))?;
            }
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
