//! `cloison export`, `cloison aggregates` and `cloison research`: warehouse extracts as
//! Parquet files (chapter VI), aggregates with disclosure control, and consent-based research
//! (R14): agreements, extracts, consents, the data subjects' requests.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Subcommand;
use domain::consent::{Agreement, Category, Collection, ConsentTerms};
use jiff::civil::Date;

use crate::Failure;
use crate::identity::{operator, refusal};
use crate::output::{labelled, outln};
use crate::register::open;

/// Export commands.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Export the register's records in force and the metering series as Parquet files,
    /// partitioned by month, under DIR/export-<journal index>; party ids pseudonymised, names
    /// and streets sealed. Each file carries its label and the export's journal index.
    Warehouse {
        /// The directory to write into (created if missing); nothing in it is overwritten.
        #[arg(long)]
        to: PathBuf,
        /// The first metering day (YYYY-MM-DD); all when absent.
        #[arg(long)]
        from: Option<String>,
        /// The last metering day, inclusive.
        #[arg(long = "until")]
        until: Option<String>,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

/// Aggregates with disclosure control.
#[derive(Debug, clap::Args)]
pub struct AggregatesArgs {
    /// substation or municipality.
    level: String,
    /// month, day or hour.
    granularity: String,
    /// The first local day (YYYY-MM-DD).
    #[arg(long)]
    from: String,
    /// The last local day, inclusive.
    #[arg(long)]
    to: String,
    /// The fewest access points a published cell sums (default 15).
    #[arg(long)]
    min_points: Option<u32>,
    /// The largest share of one point in a published cell, percent (default 15).
    #[arg(long)]
    max_share: Option<u32>,
    /// Apply the p% rule with this p.
    #[arg(long)]
    p_percent: Option<u32>,
    /// Database URL or SQLite file (default from configuration).
    #[arg(long)]
    db: Option<String>,
    /// Print JSON for scripts.
    #[arg(long)]
    json: bool,
}

/// Research commands.
#[derive(Debug, Subcommand)]
pub enum ResearchCommand {
    /// Record a research partner's agreement (the data protection office).
    Agreement {
        /// The partner's party id (a researcher).
        #[arg(long)]
        partner: String,
        /// The signed agreement's reference.
        #[arg(long)]
        reference: String,
        /// A purpose (repeat).
        #[arg(long = "purpose", required = true)]
        purposes: Vec<String>,
        /// A data category, quarter_hourly or daily (repeat).
        #[arg(long = "category", required = true)]
        categories: Vec<String>,
        /// A substation of the study (repeat; none for the whole grid).
        #[arg(long = "substation")]
        substations: Vec<String>,
        /// The first day of data.
        #[arg(long)]
        from: String,
        /// The last day of data, inclusive.
        #[arg(long)]
        to: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// Make an extract under an agreement: only participants consenting now.
    Extract {
        /// The agreement's id (agr_…).
        #[arg(long)]
        agreement: String,
        /// One of its purposes.
        #[arg(long)]
        purpose: String,
        /// quarter_hourly or daily.
        #[arg(long)]
        category: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// The extracts: all for the office, a partner's own for a researcher.
    Extracts {
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// One extract's CSV, to standard output (a partner's own).
    Show {
        /// The extract's id (ext_…).
        id: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// Give a consent as the acting customer (the days are inclusive).
    Consent {
        /// A purpose (repeat).
        #[arg(long = "purpose", required = true)]
        purposes: Vec<String>,
        /// quarter_hourly or daily (repeat).
        #[arg(long = "category", required = true)]
        categories: Vec<String>,
        /// A research partner's party id (repeat).
        #[arg(long = "partner", required = true)]
        partners: Vec<String>,
        /// The first day of data covered.
        #[arg(long)]
        from: String,
        /// The last day of data covered.
        #[arg(long)]
        to: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// Withdraw one of the acting customer's consents.
    Withdraw {
        /// The receipt's id (cr_…).
        id: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// The consents: the acting customer's own, or every one for the office.
    Consents {
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
}

fn day(flag: &str, text: &str) -> Result<Date, Failure> {
    text.parse().map_err(|_| Failure::Invalid(format!("{flag}: a day is written YYYY-MM-DD, found {text:?}")))
}

fn categories(texts: &[String]) -> Result<Vec<Category>, Failure> {
    texts
        .iter()
        .map(|t| {
            Category::parse("categories", t)
                .map_err(|e| Failure::Invalid(format!("--category: {}", e.reason)))
        })
        .collect()
}

/// Runs `cloison export …`.
pub async fn export(config_file: Option<&Path>, command: ExportCommand) -> Result<()> {
    let actor = operator(config_file)?;
    let ExportCommand::Warehouse { to, from, until, db, json } = command;
    let from = from.map(|t| day("--from", &t)).transpose()?;
    let until = until.map(|t| day("--until", &t)).transpose()?;
    let app = open(config_file, db.as_deref()).await?;
    let started = std::time::Instant::now();
    let result = app.export_warehouse(&actor, &to, from, until).await;
    app.close().await;
    let report = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
    if json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        for f in &report.files {
            outln!("{} {} rows {} bytes sha256 {}", f.path, f.rows, f.bytes, f.sha256)?;
        }
        let seconds = started.elapsed().as_secs_f64().max(1e-9);
        outln!(
            "export {} in {}: {} register rows, {} metering values, {} files, {:.1} MB ({:.0} values/s)",
            report.journal_index,
            report.directory,
            report.register_rows,
            report.metering_values,
            report.files.len(),
            report.bytes as f64 / 1e6,
            report.metering_values as f64 / seconds
        )?;
    }
    Ok(())
}

/// Runs `cloison aggregates …`.
pub async fn aggregates(config_file: Option<&Path>, args: AggregatesArgs) -> Result<()> {
    let actor = operator(config_file)?;
    let query = app::AggregateQuery::new(
        &args.level,
        &args.granularity,
        day("--from", &args.from)?,
        day("--to", &args.to)?,
        args.min_points,
        args.max_share,
        args.p_percent,
    )
    .map_err(|e| refusal(e, &actor))?;
    let app = open(config_file, args.db.as_deref()).await?;
    let result = app.aggregates(&actor, &query).await;
    app.close().await;
    let table = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&table)?)?;
        return Ok(());
    }
    let cell = |c: &app::CellView| match c {
        app::CellView::Published { wh, points } => format!("{wh} Wh ({points})"),
        app::CellView::Withheld { .. } => "withheld".to_owned(),
    };
    outln!("area\t{}\ttotal", table.periods.join("\t"))?;
    for row in &table.rows {
        let cells: Vec<String> = row.cells.iter().map(cell).collect();
        outln!("{}\t{}\t{}", row.area, cells.join("\t"), cell(&row.total))?;
    }
    let totals: Vec<String> = table.period_totals.iter().map(cell).collect();
    outln!("total\t{}\t{}", totals.join("\t"), cell(&table.total))?;
    Ok(())
}

/// Runs `cloison research …`.
pub async fn research(config_file: Option<&Path>, command: ResearchCommand) -> Result<()> {
    let actor = operator(config_file)?;
    let json = |v: &serde_json::Value| -> Result<()> {
        outln!("{}", serde_json::to_string_pretty(v)?)?;
        Ok(())
    };
    match command {
        ResearchCommand::Agreement {
            partner,
            reference,
            purposes,
            categories: cats,
            substations,
            from,
            to,
            db,
        } => {
            let agreement = Agreement {
                partner: partner.parse().map_err(|e| Failure::Invalid(format!("--partner: {e}")))?,
                reference,
                purposes,
                categories: categories(&cats)?,
                substations: substations
                    .iter()
                    .map(|s| s.parse().map_err(|e| Failure::Invalid(format!("--substation: {e}"))))
                    .collect::<Result<Vec<_>, _>>()?,
                from: day("--from", &from)?,
                to: day("--to", &to)?,
            };
            let app = open(config_file, db.as_deref()).await?;
            let result = app.record_agreement(&actor, agreement).await;
            app.close().await;
            json(labelled(result.map_err(|e| refusal(e, &actor))?).view())?;
        }
        ResearchCommand::Extract { agreement, purpose, category, db } => {
            let app = open(config_file, db.as_deref()).await?;
            let result = app.make_extract(&actor, &agreement, &purpose, &category).await;
            app.close().await;
            json(labelled(result.map_err(|e| refusal(e, &actor))?).view())?;
        }
        ResearchCommand::Extracts { db } => {
            let app = open(config_file, db.as_deref()).await?;
            let result = app.extracts(&actor).await;
            app.close().await;
            let list = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
            outln!("{}", serde_json::to_string_pretty(&list)?)?;
        }
        ResearchCommand::Show { id, db } => {
            let app = open(config_file, db.as_deref()).await?;
            let result = app.extract(&actor, &id).await;
            app.close().await;
            let view = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
            crate::output::write_str(&view.csv)?;
        }
        ResearchCommand::Consent { purposes, categories: cats, partners, from, to, db } => {
            let terms = ConsentTerms {
                purposes,
                categories: categories(&cats)?,
                partners: partners
                    .iter()
                    .map(|p| p.parse().map_err(|e| Failure::Invalid(format!("--partner: {e}"))))
                    .collect::<Result<Vec<_>, _>>()?,
                from: day("--from", &from)?,
                to: day("--to", &to)?,
                collection: Collection::Online,
            };
            let app = open(config_file, db.as_deref()).await?;
            let result = app.give_consent(&actor, terms).await;
            app.close().await;
            json(labelled(result.map_err(|e| refusal(e, &actor))?).view())?;
        }
        ResearchCommand::Withdraw { id, db } => {
            let app = open(config_file, db.as_deref()).await?;
            let result = app.withdraw_consent(&actor, &id).await;
            app.close().await;
            json(labelled(result.map_err(|e| refusal(e, &actor))?).view())?;
        }
        ResearchCommand::Consents { db } => {
            let app = open(config_file, db.as_deref()).await?;
            let result = if actor.role == app::Role::Customer {
                app.own_consents(&actor).await
            } else {
                app.consents(&actor).await
            };
            app.close().await;
            let list = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
            outln!("{}", serde_json::to_string_pretty(&list)?)?;
        }
    }
    Ok(())
}
