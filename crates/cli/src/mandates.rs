//! `cloison mandates`: customers' written mandates (R5), as the register team records them,
//! and the sample an audit draws.

use std::path::Path;

use anyhow::Result;
use app::MandateView;
use clap::Subcommand;
use domain::Period;
use domain::mandate::{Mandate, Scope};

use crate::Failure;
use crate::identity::{operator, refusal};
use crate::output::{labelled, outln};
use crate::register::{open, parse_ean};
use crate::time::parse_instant;

/// Mandate commands.
#[derive(Debug, Subcommand)]
pub enum MandatesCommand {
    /// Record a written mandate: the mandated party then reads exactly its scope, within its
    /// period and the customer's own occupancies, until it is revoked.
    Record {
        /// The customer (network user) who signed it.
        #[arg(long)]
        customer: String,
        /// The third party or supplier it authorises.
        #[arg(long)]
        mandated: String,
        /// An access point it names (repeat for more; each one the customer occupied).
        #[arg(long = "ean", required = true)]
        eans: Vec<String>,
        /// What it opens: register, consumption (repeat for both).
        #[arg(long = "scope", required = true, value_parser = ["register", "consumption"])]
        scopes: Vec<String>,
        /// The first instant of data it opens.
        #[arg(long)]
        from: String,
        /// The instant it stops at (default: open-ended).
        #[arg(long)]
        to: Option<String>,
        /// The written document's reference.
        #[arg(long)]
        document: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// Revoke a mandate by its id (mdt_…): it opens nothing from the next request on.
    Revoke {
        /// The mandate's id.
        mandate: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// Every mandate on record, revoked ones included.
    List {
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Draw K mandates at random for an audit; the same seed draws the same sample from the
    /// same records.
    Sample {
        /// How many, 1 to 1000.
        #[arg(long)]
        n: usize,
        /// The seed, stated in the audit's report.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

fn render(mandates: &[MandateView]) -> String {
    let mut text = String::new();
    for m in mandates {
        let scopes = m.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",");
        let eans = m.eans.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
        text.push_str(&format!(
            "{} {} -> {} [{scopes}] {} to {} on {eans} ({}){}\n",
            m.mandate,
            m.customer,
            m.mandated,
            m.from,
            m.to.map_or_else(|| "open".to_owned(), |t| t.to_string()),
            m.document,
            m.revoked.map(|r| format!(" revoked {r}")).unwrap_or_default(),
        ));
    }
    text
}

/// Runs `cloison mandates …`.
pub async fn run(config_file: Option<&Path>, command: MandatesCommand) -> Result<()> {
    let actor = operator(config_file)?;
    match command {
        MandatesCommand::Record { customer, mandated, eans, scopes, from, to, document, db } => {
            let party =
                |flag: &str, text: &str| text.parse().map_err(|e| Failure::Invalid(format!("{flag}: {e}")));
            let from = parse_instant("--from", &from)?;
            let to = to.as_deref().map(|t| parse_instant("--to", t)).transpose()?;
            let mandate = Mandate {
                customer: party("--customer", &customer)?,
                mandated: party("--mandated", &mandated)?,
                eans: eans.iter().map(|e| parse_ean(e)).collect::<Result<_, _>>()?,
                scopes: scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
                period: Period::new(from, to).map_err(|e| Failure::Invalid(format!("--to: {e}")))?,
                document,
            };
            let app = open(config_file, db.as_deref()).await?;
            let result = app.record_mandate(&actor, mandate).await;
            app.close().await;
            let id = result.map_err(|e| refusal(e, &actor))?;
            outln!("{id}")?;
        }
        MandatesCommand::Revoke { mandate, db } => {
            let app = open(config_file, db.as_deref()).await?;
            let result = app.revoke_mandate(&actor, &mandate).await;
            app.close().await;
            result.map_err(|e| refusal(e, &actor))?;
            outln!("mandate {mandate} revoked")?;
        }
        MandatesCommand::List { db, json } => {
            let app = open(config_file, db.as_deref()).await?;
            let result = app.mandates(&actor).await;
            app.close().await;
            print(labelled(result.map_err(|e| refusal(e, &actor))?).view(), json)?;
        }
        MandatesCommand::Sample { n, seed, db, json } => {
            let app = open(config_file, db.as_deref()).await?;
            let result = app.sample_mandates(&actor, n, seed).await;
            app.close().await;
            print(labelled(result.map_err(|e| refusal(e, &actor))?).view(), json)?;
        }
    }
    Ok(())
}

fn print(mandates: &[MandateView], json: bool) -> Result<()> {
    if json {
        outln!("{}", serde_json::to_string_pretty(mandates)?)?;
    } else {
        crate::output::write_str(&render(mandates))?;
    }
    Ok(())
}
