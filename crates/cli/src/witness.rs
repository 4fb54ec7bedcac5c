//! `cloison witness serve`: a witness for Cloison journals (and any C2SP checkpoint log),
//! following c2sp.org/tlog-witness.
//!
//! Run by somebody other than the log's operator — an ethics committee, the regulator, another
//! grid operator — it keeps, per log, the latest checkpoint it cosigned and cosigns a new one
//! only with a consistency proof from it, so a rolled-back or forked journal gets no
//! cosignature. Its own Ed25519 key is created at first start in its own file (mode 0600);
//! its verifier key is printed on standard output, the line log operators configure.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use journal::witness::Logs;
use journal::{Cosigner, KeyType, Origin, VerifierKey};

use crate::Failure;
use crate::config::write_secret;
use crate::output::outln;

/// `cloison witness …`
#[derive(Debug, Subcommand)]
pub enum WitnessCommand {
    /// Serve POST /add-checkpoint: cosign the checkpoints of the given logs that extend what
    /// this witness cosigned before, refuse the others.
    Serve(ServeArgs),
}

/// Options of `cloison witness serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: String,
    /// This witness's name, the key name of its cosignatures: a schema-less URL such as
    /// witness.example.be/cloison.
    #[arg(long)]
    pub name: String,
    /// File of the witness's Ed25519 secret key (64 hex digits); created, mode 0600, if missing.
    #[arg(long, value_name = "FILE", default_value = "witness.key")]
    pub key_file: PathBuf,
    /// File where the latest cosigned checkpoint of each log is kept (JSON, rewritten
    /// atomically before each answer). Losing it means the witness must be retired.
    #[arg(long, value_name = "FILE", default_value = "witness.json")]
    pub state: PathBuf,
    /// A log to witness: its verifier key (ORIGIN+HASH+KEY, type 0x01, key name = origin), or
    /// ORIGIN=PUBLIC_KEY_HEX (the `public_key` of /v1/journal/head). Repeat for several logs.
    #[arg(long = "log", value_name = "LOG", required = true)]
    pub logs: Vec<String>,
}

/// Runs a witness subcommand.
pub async fn run(command: WitnessCommand) -> Result<()> {
    match command {
        WitnessCommand::Serve(args) => serve(args).await,
    }
}

/// A `--log` value: a log's vkey, or `ORIGIN=HEX`.
fn log_key(text: &str) -> Result<(Origin, app::VerifyingKey)> {
    let invalid = |reason: String| Failure::Invalid(format!("--log {text:?}: {reason}"));
    if text.contains('+') {
        let vkey: VerifierKey = text.parse().map_err(|e| invalid(format!("{e}")))?;
        if vkey.kind() != KeyType::Ed25519 {
            return Err(invalid(
                "a log's key has type 0x01 (Ed25519 note signatures), not a witness's 0x04".into(),
            )
            .into());
        }
        return Ok((vkey.name().clone(), *vkey.key()));
    }
    let (origin, hex_key) = text
        .rsplit_once('=')
        .ok_or_else(|| invalid("expected a verifier key or ORIGIN=PUBLIC_KEY_HEX".into()))?;
    let origin: Origin = origin.parse().map_err(|e| invalid(format!("{e}")))?;
    let bytes: [u8; 32] = hex::decode(hex_key.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| invalid("the public key must be 64 hexadecimal digits".into()))?;
    let key =
        app::VerifyingKey::from_bytes(&bytes).map_err(|_| invalid("not an Ed25519 public key".into()))?;
    Ok((origin, key))
}

/// The witness's key from `path`, created with a fresh random key when the file is missing.
fn signing_key(path: &Path) -> Result<(app::SigningKey, bool)> {
    let created = !path.exists();
    if created {
        let mut seed = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
        write_secret(path, &hex::encode(seed))?;
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading witness key file {}", path.display()))?;
    let seed: [u8; 32] = hex::decode(text.trim()).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| {
        Failure::Invalid(format!("witness key file {}: must hold 64 hexadecimal digits", path.display()))
    })?;
    Ok((app::SigningKey::from_bytes(&seed), created))
}

async fn serve(args: ServeArgs) -> Result<()> {
    let name: Origin = args.name.parse().map_err(|e| Failure::Invalid(format!("--name: {e}")))?;
    let mut logs = Logs::new();
    for text in &args.logs {
        let (origin, key) = log_key(text)?;
        if logs.insert(origin.clone(), key).is_some() {
            return Err(Failure::Invalid(format!("--log: origin {origin} is given twice")).into());
        }
    }
    let (key, created) = signing_key(&args.key_file)?;
    let cosigner = Cosigner::new(name, key);
    let state = witness::StateFile::new(&args.state);
    let witness = Arc::new(witness::Witness::open(cosigner, logs.clone(), state)?);
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("--listen {}", args.listen))?;
    if created {
        eprintln!("created the witness key file {} (mode 0600)", args.key_file.display());
    }
    // The verifier key alone on standard output: the line a log operator copies.
    outln!("{}", witness.cosigner().verifier_key())?;
    let origins: Vec<String> = logs.keys().map(ToString::to_string).collect();
    eprintln!(
        "witness {} listening on http://{} (POST /add-checkpoint; Ctrl-C stops) for {}; state in {}",
        witness.cosigner().name(),
        listener.local_addr()?,
        origins.join(", "),
        args.state.display()
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    witness::serve(listener, witness, shutdown).await.context("serving the witness")
}
