//! `cloison contact`: the contact center (R12). Its configuration checked and loaded, a
//! principal's directory loaded, the simulator that drives interactions through the real
//! router, the Erlang C staffing check, and each principal's report.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Subcommand;
use domain::contact::erlang::{agents_needed, service_level};
use domain::contact::kpi::{InteractionRecord, Kpis, kpis};
use domain::contact::simulate::{SimulationParams, simulate};
use domain::contact::{ContactConfig, Router};

use crate::Failure;
use crate::identity::{operator, refusal};
use crate::output::{labelled, outln};
use crate::register::open;

/// Contact center commands.
#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// The configuration: check a file, load it, show the one in force.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Load customers into one principal's directory from a CSV file with the header
    /// `customer,number,name` (numbers in E.164): all or nothing.
    Directory {
        /// The principal.
        #[arg(long)]
        principal: String,
        /// The CSV file.
        file: PathBuf,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// Drive interactions through the real router, seeded and reproducible, and print each
    /// principal's figures with an Erlang C staffing check. In memory on a generated
    /// configuration of `--principals` principals, or on `--config FILE`; with `--record`,
    /// on the configuration loaded in the database, writing the interactions there so the
    /// reports show them.
    Simulate {
        /// How many principals the generated configuration has (the first a DSO).
        #[arg(long, default_value_t = 3)]
        principals: usize,
        /// Interactions per principal.
        #[arg(long, default_value_t = 1000)]
        interactions: u32,
        /// The seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Operators per principal of the generated configuration.
        #[arg(long, default_value_t = 12)]
        operators: usize,
        /// A configuration file instead of the generated one.
        #[arg(long, conflicts_with = "record")]
        config: Option<PathBuf>,
        /// Record into the database, on its loaded configuration.
        #[arg(long)]
        record: bool,
        /// Database URL or SQLite file (default from configuration), with `--record`.
        #[arg(long)]
        db: Option<String>,
    },
    /// Erlang C: the service level `--agents` agents give for a load, or the agents a target
    /// needs.
    Staffing {
        /// Calls in the period.
        #[arg(long)]
        calls: f64,
        /// The period, seconds.
        #[arg(long, default_value_t = 1800.0)]
        period: f64,
        /// Average handling time, seconds.
        #[arg(long)]
        handling: f64,
        /// The service-level threshold, seconds.
        #[arg(long, default_value_t = 20.0)]
        threshold: f64,
        /// Agents on duty: print the service level they give.
        #[arg(long)]
        agents: Option<u32>,
        /// The service level to reach (0–1): print the agents it needs.
        #[arg(long, default_value_t = 0.8)]
        target: f64,
    },
    /// One principal's report over a period, for its supervisors.
    Report {
        /// The principal.
        principal: String,
        /// The period's start, RFC 3339.
        #[arg(long)]
        from: String,
        /// The period's end (exclusive), RFC 3339.
        #[arg(long)]
        until: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

/// `cloison contact config`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check a configuration file as a whole, without loading it (no database needed): a rule
    /// routing across principals, a shared entry point, incompatible skills, a number that
    /// is not E.164 or a rule that does not parse is named with its position (exit 2).
    Check {
        /// The TOML file.
        file: PathBuf,
    },
    /// Check and load a configuration file as the new version.
    Load {
        /// The TOML file.
        file: PathBuf,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
    /// The configuration in force.
    Show {
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

fn read(file: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(file).map_err(|e| Failure::Invalid(format!("{}: {e}", file.display())))
}

fn print_config(view: &app::ContactConfigView) -> Result<()> {
    outln!("configuration version {} (sha256 {})", view.version, view.sha256)?;
    for p in &view.principals {
        outln!(
            "  {} ({}, {}): {} entry point(s), {} queue(s), {} rule(s), {} operator(s), {} procedure(s)",
            p.id,
            p.name,
            p.kind,
            p.entry_points.len(),
            p.queues.len(),
            p.rules.len(),
            p.operators.len(),
            p.procedures.len()
        )?;
    }
    Ok(())
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{:.1} %", v * 100.0))
}

fn seconds(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.0} s"))
}

fn print_kpis(k: &Kpis) -> Result<()> {
    outln!(
        "    offered {}, answered {}, abandoned {} ({} within 6 s)",
        k.offered,
        k.answered,
        k.abandoned,
        k.short_abandons
    )?;
    outln!(
        "    service level {} (with abandons {}), abandonment {}, AHT {}, ASA {}",
        percent(k.service_level),
        percent(k.service_level_with_abandons),
        percent(k.abandonment_rate),
        seconds(k.average_handling_seconds),
        seconds(k.average_speed_of_answer_seconds)
    )?;
    Ok(())
}

/// Each principal's figures from simulated records, with the Erlang C staffing check for the
/// load they carried.
fn print_simulation(config: &ContactConfig, records: &[InteractionRecord]) -> Result<()> {
    for p in &config.principals {
        let own: Vec<InteractionRecord> = records.iter().filter(|r| r.principal == p.id).cloned().collect();
        let k = kpis(&own, p.service_level_seconds);
        outln!("  {} ({}), {} operator(s):", p.id, p.name, p.operators.len())?;
        print_kpis(&k)?;
        let (Some(first), Some(last)) =
            (own.iter().map(|r| r.offered_at).min(), own.iter().map(|r| r.offered_at).max())
        else {
            continue;
        };
        let period = ((last - first) as f64).max(1.0);
        if let Some(aht) = k.average_handling_seconds {
            let calls = own.len() as f64;
            let threshold = f64::from(p.service_level_seconds);
            let needed = agents_needed(0.8, calls, period, aht, threshold);
            let given = u32::try_from(p.operators.len()).unwrap_or(u32::MAX);
            outln!(
                "    Erlang C: {calls:.0} interactions over {period:.0} s at {aht:.0} s need {needed} agent(s) for 80/{threshold:.0}; {given} give {}",
                percent(Some(service_level(given, calls, period, aht, threshold)))
            )?;
        }
    }
    Ok(())
}

/// Runs `cloison contact …`.
pub async fn run(config_file: Option<&Path>, command: ContactCommand) -> Result<()> {
    match command {
        ContactCommand::Config(ConfigCommand::Check { file }) => {
            let text = read(&file)?;
            let view = app::check_contact_config(&text).map_err(|e| match e {
                app::AppError::Invalid(e) => Failure::Invalid(format!("{}: {e}", file.display())),
                other => Failure::Invalid(other.to_string()),
            })?;
            outln!("{}: the configuration holds", file.display())?;
            print_config(&view)?;
        }
        ContactCommand::Config(ConfigCommand::Load { file, db }) => {
            let actor = operator(config_file)?;
            let text = read(&file)?;
            let app = open(config_file, db.as_deref()).await?;
            let result = app.load_contact_config(&actor, &text).await;
            app.close().await;
            let view = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
            print_config(&view)?;
        }
        ContactCommand::Config(ConfigCommand::Show { db, json }) => {
            let actor = operator(config_file)?;
            let app = open(config_file, db.as_deref()).await?;
            let result = app.contact_config_view(&actor).await;
            app.close().await;
            let view = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
            if json {
                outln!("{}", serde_json::to_string_pretty(&view)?)?;
            } else {
                print_config(&view)?;
            }
        }
        ContactCommand::Directory { principal, file, db } => {
            let actor = operator(config_file)?;
            let text = read(&file)?;
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let mut lines = Vec::new();
            for (index, record) in reader.deserialize::<app::DirectoryLine>().enumerate() {
                lines.push(
                    record.map_err(|e| {
                        Failure::Invalid(format!("{} line {}: {e}", file.display(), index + 2))
                    })?,
                );
            }
            let app = open(config_file, db.as_deref()).await?;
            let result = app.load_directory(&actor, &principal, lines).await;
            app.close().await;
            let loaded = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
            outln!("{}: {} added, {} already there", loaded.principal, loaded.added, loaded.unchanged)?;
        }
        ContactCommand::Simulate { principals, interactions, seed, operators, config, record, db } => {
            let start = jiff::Timestamp::now().as_second() - 86_400;
            if record {
                let actor = operator(config_file)?;
                let app = open(config_file, db.as_deref()).await?;
                let result = app.simulate_contact(&actor, interactions, seed, start).await;
                app.close().await;
                let done = result.map_err(|e| refusal(e, &actor))?;
                for (principal, n) in &done.interactions {
                    outln!("{principal}: {n} interaction(s) recorded")?;
                }
                outln!(
                    "reports: cloison contact report PRINCIPAL --from {} --until {}",
                    jiff::Timestamp::from_second(done.from).map(|t| t.to_string()).unwrap_or_default(),
                    jiff::Timestamp::from_second(done.until).map(|t| t.to_string()).unwrap_or_default()
                )?;
                return Ok(());
            }
            let text = match config {
                Some(file) => read(&file)?,
                None => app::sample_config(principals, operators, None),
            };
            let config = ContactConfig::parse(&text).map_err(|e| Failure::Invalid(e.to_string()))?;
            let router = Router::new(&config);
            let params = SimulationParams {
                interactions_per_principal: interactions,
                seed,
                start,
                mean_interarrival_seconds: 40.0,
                mean_handling_seconds: 240.0,
                mean_patience_seconds: 90.0,
                wrap_seconds: 30,
            };
            let simulated = simulate(&config, &router, &params);
            let records: Vec<InteractionRecord> = simulated.iter().map(|s| s.record.clone()).collect();
            outln!("{} interaction(s) through the router, seed {seed}:", records.len())?;
            print_simulation(&config, &records)?;
        }
        ContactCommand::Staffing { calls, period, handling, threshold, agents, target } => {
            if !(calls > 0.0 && period > 0.0 && handling > 0.0 && threshold >= 0.0) {
                return Err(Failure::Invalid(
                    "--calls, --period and --handling are positive, --threshold is not negative".into(),
                )
                .into());
            }
            if !(0.0..1.0).contains(&target) {
                return Err(
                    Failure::Invalid(format!("--target: a service level below 1, found {target}")).into()
                );
            }
            let traffic = calls * handling / period;
            outln!("load: {traffic:.2} Erlang")?;
            if let Some(agents) = agents {
                outln!(
                    "{agents} agent(s): {} answered within {threshold:.0} s",
                    percent(Some(service_level(agents, calls, period, handling, threshold)))
                )?;
            }
            let needed = agents_needed(target, calls, period, handling, threshold);
            outln!("{needed} agent(s) reach {} within {threshold:.0} s", percent(Some(target)))?;
        }
        ContactCommand::Report { principal, from, until, db, json } => {
            let actor = operator(config_file)?;
            let instant = |name: &str, text: &str| {
                domain::instant::parse_rfc3339(text)
                    .map(|t| t.as_second())
                    .map_err(|e| Failure::Invalid(format!("--{name}: {e}")))
            };
            let (from, until) = (instant("from", &from)?, instant("until", &until)?);
            let app = open(config_file, db.as_deref()).await?;
            let result = app.contact_report(&actor, &principal, from, until).await;
            app.close().await;
            let report = labelled(result.map_err(|e| refusal(e, &actor))?).into_view();
            if json {
                outln!("{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                outln!("{} (threshold {} s):", report.principal, report.threshold_seconds)?;
                print_kpis(&report.kpis)?;
                for v in &report.entry_points {
                    outln!(
                        "  {}: offered {}, answered {}, abandoned {}",
                        v.entry,
                        v.offered,
                        v.answered,
                        v.abandoned
                    )?;
                }
                for o in &report.operators {
                    outln!(
                        "  {}: {} handled, {} s, occupancy {}",
                        o.operator,
                        o.handled,
                        o.handling_seconds,
                        percent(o.occupancy)
                    )?;
                }
                outln!("  now: {} waiting, {} in progress", report.live.waiting, report.live.in_progress)?;
            }
        }
    }
    Ok(())
}
