//! The `cloison` binary: build a demo, query the register, and (as the project grows) serve
//! the API and audit the journal.
//!
//! Exit codes are part of the interface, because scripts of the register team branch on them:
//! 0 success, 1 failure on our side, 2 invalid input (the message says which field and why),
//! 3 a valid identifier the register does not know (or, for an identity that does not see the
//! whole register, one it may not see: one answer for both, I5), 4 refused by the policies for
//! the identity the command acts as (`--as`; the refusal is journaled); 141 when standard
//! output was closed by its reader (see `output`).

mod admin;
mod against;
mod bench;
mod bench_contact;
mod bench_market;
mod bench_metering;
mod bench_research;
mod config;
mod contact;
mod database;
mod demo;
mod iam;
mod identity;
mod init;
mod journal;
mod mandates;
mod market;
mod metering;
mod output;
mod producers;
mod register;
mod research;
mod serve;
mod time;
mod witness;
mod works;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Cloison: the confidential register, metering and market data of a distribution grid operator.
#[derive(Debug, Parser)]
#[command(name = "cloison", version, about, long_about = None)]
struct Cli {
    /// Settings file (TOML: database_url, seal_key, key_file); default ./cloison.toml if present.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Act as this party in this role (PARTY:ROLE), decided by the same policies as the API;
    /// else the settings file's `operator`, else system:system.
    #[arg(long = "as", global = true, value_name = "PARTY:ROLE", env = "CLOISON_AS")]
    identity: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build a realistic synthetic Walloon grid, deterministically from a seed, and tour it.
    Demo(demo::DemoArgs),
    /// Create an empty database (schema, key check, journal key); other commands never create one.
    Init(init::InitArgs),
    /// Serve the HTTP API (default 127.0.0.1:8080).
    Serve(serve::ServeArgs),
    /// Query the access register: who occupied and who supplied an access point, over time.
    #[command(subcommand)]
    Register(register::RegisterCommand),
    /// Market scenarios: switches, moves, ends of contract, drops, budget meters; the day run.
    #[command(subcommand)]
    Market(market::MarketCommand),
    /// Message queues of the market: peek with receipts, acknowledge.
    #[command(subcommand)]
    Messages(market::MessagesCommand),
    /// Bulk loads: interval readings from a CSV file.
    #[command(subcommand)]
    Import(metering::ImportCommand),
    /// Metering data: an access point's consumption, clipped to what the identity may see.
    #[command(subcommand)]
    Metering(metering::MeteringCommand),
    /// The tamper-evident journal: heads, entries, proofs, verification, search, keys.
    #[command(subcommand)]
    Journal(journal::JournalCommand),
    /// Access management: API tokens.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Access management: roles from the HR extracts, exceptions, revocations, the review.
    #[command(subcommand)]
    Iam(iam::IamCommand),
    /// Customers' written mandates (R5): record, revoke, list, sample for an audit.
    #[command(subcommand)]
    Mandates(mandates::MandatesCommand),
    /// Producer connection queues (R15): capacities, requests, offers, the daily run, the audit.
    #[command(subcommand)]
    Producers(producers::ProducersCommand),
    /// Customer works (R13): requests through their six modules, the retention schedule.
    #[command(subcommand)]
    Works(works::WorksCommand),
    /// The contact center (R12): configuration, directories, the simulator, staffing, reports.
    #[command(subcommand)]
    Contact(contact::ContactCommand),
    /// Warehouse extracts: the register and the metering series as labelled Parquet files.
    #[command(subcommand)]
    Export(research::ExportCommand),
    /// Consumption per substation or municipality with disclosure control (R14).
    Aggregates(research::AggregatesArgs),
    /// Consent-based research (R14): agreements, extracts, consents.
    #[command(subcommand)]
    Research(research::ResearchCommand),
    /// The Belgian working-day calendar the market and connection deadlines count in.
    #[command(subcommand)]
    Calendar(producers::CalendarCommand),
    /// Measure this installation under load.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Witness transparency logs (c2sp.org/tlog-witness): cosign only checkpoints that extend
    /// what was cosigned before, so a rolled-back or forked journal gets no cosignature.
    #[command(subcommand)]
    Witness(witness::WitnessCommand),
}

/// How a command failed, for the exit code.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The input broke a rule; the message says which.
    #[error("{0}")]
    Invalid(String),
    /// The identifier is valid but unknown.
    #[error("{0}")]
    NotFound(String),
    /// The policies refuse this to the identity the command acts as.
    #[error("{0}")]
    Forbidden(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CLOISON_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader has what it wanted; a message would only land in its terminal.
        Err(e) if e.downcast_ref::<output::Closed>().is_some() => ExitCode::from(141),
        Err(e) => {
            let code = match e.downcast_ref::<Failure>() {
                Some(Failure::Invalid(_)) => 2,
                Some(Failure::NotFound(_)) => 3,
                Some(Failure::Forbidden(_)) => 4,
                None => 1,
            };
            eprintln!("error: {e:#}");
            ExitCode::from(code)
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    identity::set_flag(cli.identity);
    match cli.command {
        Command::Demo(args) => demo::run(cli.config.as_deref(), args).await,
        Command::Init(args) => init::run(cli.config.as_deref(), args).await,
        Command::Serve(args) => serve::run(cli.config.as_deref(), args).await,
        Command::Register(cmd) => register::run(cli.config.as_deref(), cmd).await,
        Command::Journal(cmd) => journal::run(cli.config.as_deref(), cmd).await,
        Command::Market(cmd) => market::run(cli.config.as_deref(), cmd).await,
        Command::Messages(cmd) => market::run_messages(cli.config.as_deref(), cmd).await,
        Command::Import(cmd) => metering::run_import(cli.config.as_deref(), cmd).await,
        Command::Metering(cmd) => metering::run(cli.config.as_deref(), cmd).await,
        Command::Admin(cmd) => admin::run(cli.config.as_deref(), cmd).await,
        Command::Iam(cmd) => iam::run(cli.config.as_deref(), cmd).await,
        Command::Mandates(cmd) => mandates::run(cli.config.as_deref(), cmd).await,
        Command::Producers(cmd) => producers::run(cli.config.as_deref(), cmd).await,
        Command::Calendar(cmd) => producers::run_calendar(cmd),
        Command::Works(cmd) => works::run(cli.config.as_deref(), cmd).await,
        Command::Contact(cmd) => contact::run(cli.config.as_deref(), cmd).await,
        Command::Export(cmd) => research::export(cli.config.as_deref(), cmd).await,
        Command::Aggregates(args) => research::aggregates(cli.config.as_deref(), args).await,
        Command::Research(cmd) => research::research(cli.config.as_deref(), cmd).await,
        Command::Bench(cmd) => bench::run(cli.config.as_deref(), cmd).await,
        Command::Witness(cmd) => witness::run(cmd).await,
    }
}
