//! `cloison journal`: the tamper-evident journal for auditors, and its keys.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use app::{
    Cloison, ConsistencyProofView, HeadView, InclusionProofView, JournalQuery, SignedTreeHead, VerifyError,
    VerifyingKey,
};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use crate::Failure;
use crate::config::write_secret;
use crate::identity::{operator, refusal};
use crate::output::{self, outln};
use crate::register::parse_ean;
use crate::time::{local, parse_instant};

/// Journal commands.
#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// The signed head of the journal: size, root, time, signature and public key.
    Head {
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Sign and keep a checkpoint head now (they are also kept every ten seconds of activity).
    Checkpoint {
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long, conflicts_with = "note")]
        json: bool,
        /// Print the head as a C2SP checkpoint (signed note) under the configured origin, for
        /// transparency-log tools and witnesses.
        #[arg(long)]
        note: bool,
    },
    /// One entry, decoded, with its exact leaf bytes in hex.
    Entry {
        /// Index of the entry, from 0.
        index: u64,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Inclusion and consistency proofs, as lists of hex hashes with the roots they lead to.
    #[command(subcommand)]
    Proof(ProofCommand),
    /// Recompute every leaf, node and root from the stored entries and check every signed
    /// head; exits 1 naming the first bad index. With --against, also prove that a checkpoint
    /// saved earlier is a prefix of the journal now; exits 1 on a rollback or a fork.
    Verify {
        /// The public key (64 hex digits) to check signatures with; default this
        /// installation's own key. An auditor passes the key published to them.
        #[arg(long)]
        public_key: Option<String>,
        /// A checkpoint saved earlier (the signed note of `journal checkpoint --note`), signed
        /// by the same key under the configured origin.
        #[arg(long, value_name = "FILE")]
        against: Option<PathBuf>,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Entries about a subject (EAN or party id) or by an actor, oldest first.
    Search {
        /// An EAN or party id the entries are about.
        #[arg(long, required_unless_present = "actor")]
        subject: Option<String>,
        /// The party id of the actor.
        #[arg(long)]
        actor: Option<String>,
        /// Entries at or after this instant (RFC 3339, Brussels time or day).
        #[arg(long)]
        from: Option<String>,
        /// Entries before this instant.
        #[arg(long)]
        to: Option<String>,
        /// At most this many entries, from 1; more than 100,000 reads as 100,000.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Generate a new Ed25519 journal signing key into a file (mode 0600) and print its
    /// public key; configure it with CLOISON_JOURNAL_KEY_FILE or `journal_key_file`.
    Keygen {
        /// Where to write the secret key; refused if the file exists.
        #[arg(long, default_value = "cloison.journal.key")]
        out: PathBuf,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

/// Proof commands.
#[derive(Debug, Subcommand)]
pub enum ProofCommand {
    /// That entry INDEX is in the tree of SIZE entries (default: the signed head's size).
    Inclusion {
        /// Index of the entry.
        index: u64,
        /// Size of the tree; default the signed head's.
        #[arg(long)]
        size: Option<u64>,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// That the tree of OLD entries is a prefix of the tree of NEW entries.
    Consistency {
        /// The older size.
        old: u64,
        /// The newer size.
        new: u64,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

fn print_head(head: &SignedTreeHead, key: &VerifyingKey, json: bool) -> Result<()> {
    if json {
        outln!("{}", serde_json::to_string_pretty(&HeadView::new(head, key))?)?;
    } else {
        let time = domain::instant::from_microsecond(head.head.time_micros)?;
        outln!("size       {}", head.head.size)?;
        outln!("root       {}", head.head.root)?;
        outln!("time       {time} (Brussels {})", local(time))?;
        outln!("signature  {}", hex::encode(head.signature))?;
        outln!("public key {}", hex::encode(key.as_bytes()))?;
    }
    Ok(())
}

fn parse_key(text: &str) -> Result<VerifyingKey, Failure> {
    let bytes: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Failure::Invalid("--public-key: must be 64 hexadecimal digits".into()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| Failure::Invalid(format!("--public-key: {e}")))
}

async fn open(config_file: Option<&Path>, db: Option<&str>) -> Result<Cloison> {
    crate::register::open(config_file, db).await
}

/// Runs a journal command.
pub async fn run(config_file: Option<&Path>, command: JournalCommand) -> Result<()> {
    match command {
        JournalCommand::Head { db, json } => {
            let app = open(config_file, db.as_deref()).await?;
            let head = app.journal_head().await;
            let key = app.journal_public_key();
            app.close().await;
            print_head(&head?, &key, json)?;
        }
        JournalCommand::Checkpoint { db, json, note } => {
            let actor = operator(config_file)?;
            let app = open(config_file, db.as_deref()).await?;
            let head = app.journal_checkpoint(&actor).await.map_err(|e| refusal(e, &actor));
            let signed = match (&head, note) {
                (Ok(head), true) => Some(app.journal_checkpoint_note(head)),
                _ => None,
            };
            let key = app.journal_public_key();
            app.close().await;
            match signed {
                // The note ends in its own newline: printed byte for byte, as verifiers read it.
                Some(signed) => crate::output::write_str(&signed?)?,
                None => print_head(&head?, &key, json)?,
            }
        }
        JournalCommand::Entry { index, db, json } => {
            let actor = operator(config_file)?;
            let app = open(config_file, db.as_deref()).await?;
            let entry = async {
                let size = app.journal_head().await?.head.size;
                if index >= size {
                    return Err(Failure::Invalid(format!(
                        "index: {index} is not below the journal's size {size}"
                    ))
                    .into());
                }
                app.journal_entry(&actor, index).await.map_err(|e| refusal(e, &actor))
            }
            .await;
            app.close().await;
            let entry = entry?;
            output::label(&entry);
            let entry = entry.into_view();
            if json {
                outln!("{}", serde_json::to_string_pretty(&entry)?)?;
            } else {
                let e = &entry.entry;
                let time = jiff::Timestamp::from_microsecond(e.time_micros)?;
                outln!("index      {}", e.sequence)?;
                outln!("time       {time} (Brussels {})", local(time))?;
                outln!("actor      {} as {} (session {})", e.actor.party_id, e.actor.role, e.actor.session)?;
                outln!("action     {}", e.action)?;
                outln!("subjects   {}", e.subjects.join(", "))?;
                outln!("purpose    {}", e.purpose)?;
                outln!(
                    "decision   {} by {}",
                    if e.decision.allowed { "allowed" } else { "denied" },
                    e.decision.policies.join(", ")
                )?;
                outln!("outcome    {}", e.outcome)?;
                outln!(
                    "data sent  {}",
                    e.data_digest.map(|d| d.to_string()).unwrap_or_else(|| "none".into())
                )?;
                outln!("leaf hash  {}", entry.leaf_hash)?;
                outln!("leaf bytes {}", hex::encode(&entry.bytes))?;
            }
        }
        JournalCommand::Proof(ProofCommand::Inclusion { index, size, db, json }) => {
            let app = open(config_file, db.as_deref()).await?;
            let result = async {
                let head = app.journal_head().await?.head.size;
                let size = match size {
                    // The store would refuse it too, but as its own failure (exit 1).
                    Some(size) if size > head => {
                        return Err(Failure::Invalid(format!(
                            "--size: {size} is beyond the journal's {head} entries"
                        ))
                        .into());
                    }
                    Some(size) => size,
                    None => head,
                };
                if index >= size {
                    return Err(
                        Failure::Invalid(format!("index: {index} is not below the size {size}")).into()
                    );
                }
                let hashes = app.journal_inclusion_proof(index, size).await?;
                let root = app.journal_root(size).await?;
                anyhow::Ok(InclusionProofView { index, size, hashes, root })
            }
            .await;
            app.close().await;
            print_proof("inclusion", &result?, json)?;
        }
        JournalCommand::Proof(ProofCommand::Consistency { old, new, db, json }) => {
            if old > new {
                return Err(Failure::Invalid(format!("old: {old} is larger than new {new}")).into());
            }
            let app = open(config_file, db.as_deref()).await?;
            let result = async {
                let head = app.journal_head().await?.head.size;
                if new > head {
                    // The store would refuse it too, but as its own failure (exit 1).
                    return Err(Failure::Invalid(format!(
                        "new: {new} is beyond the journal's {head} entries"
                    ))
                    .into());
                }
                let hashes = app.journal_consistency_proof(old, new).await?;
                let old_root = app.journal_root(old).await?;
                let new_root = app.journal_root(new).await?;
                anyhow::Ok(ConsistencyProofView { old, new, hashes, old_root, new_root })
            }
            .await;
            app.close().await;
            print_proof("consistency", &result?, json)?;
        }
        JournalCommand::Verify { public_key, against, db, json } => {
            let key = public_key.as_deref().map(parse_key).transpose()?;
            let note = against.as_deref().map(crate::against::read).transpose()?;
            let app = open(config_file, db.as_deref()).await?;
            let key = key.unwrap_or_else(|| app.journal_public_key());
            let saved = match (&against, &note) {
                (Some(path), Some(note)) => match crate::against::open(&app, path, note, &key) {
                    Ok(saved) => Some(saved),
                    Err(e) => {
                        app.close().await;
                        return Err(e);
                    }
                },
                _ => None,
            };
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(ProgressStyle::with_template(
                "{spinner} verifying the journal: {pos} entries ({per_sec})",
            )?);
            let result = app.journal_verify(&key, |n| bar.set_position(n)).await;
            bar.finish_and_clear();
            let consistency = match (&result, &saved) {
                (Ok(verified), Some(saved)) => Some(app.journal_consistent_with(saved, verified).await),
                _ => None,
            };
            app.close().await;
            match result {
                Ok(verified) => {
                    let consistent = match (&against, &saved, consistency) {
                        (Some(path), Some(saved), Some(consistency)) => {
                            Some(crate::against::judge(path, saved, &verified, consistency, json)?)
                        }
                        _ => None,
                    };
                    if json {
                        let mut answer = json!({ "ok": true, "verified": verified });
                        if let Some(consistent) = &consistent {
                            answer["against"] = serde_json::to_value(consistent)?;
                        }
                        outln!("{}", serde_json::to_string_pretty(&answer)?)?;
                    } else {
                        outln!(
                            "journal intact: {} entries, {} tree nodes, {} checkpoint heads, {} bound rows and \
                             {} subject index rows checked; root {}",
                            verified.size,
                            verified.nodes,
                            verified.checkpoints,
                            verified.rows,
                            verified.subjects,
                            verified.root
                        )?;
                        if let Some(consistent) = &consistent {
                            outln!("{consistent}")?;
                        }
                    }
                }
                Err(VerifyError::Fault(fault)) => {
                    if json {
                        outln!(
                            "{}",
                            serde_json::to_string_pretty(
                                &json!({ "ok": false, "index": fault.index, "problem": fault.problem })
                            )?
                        )?;
                    }
                    bail!("journal verification failed at {fault}");
                }
                Err(VerifyError::Store(e)) => return Err(e).context("journal verification could not run"),
            }
        }
        JournalCommand::Search { subject, actor, from, to, limit, db, json } => {
            if limit < 1 {
                return Err(Failure::Invalid(format!("--limit: must be at least 1, got {limit}")).into());
            }
            if let Some(subject) = &subject {
                // An EAN-shaped subject must be a valid EAN; party ids pass as they are.
                if subject.len() == 18 && subject.bytes().all(|b| b.is_ascii_digit()) {
                    parse_ean(subject)?;
                }
            }
            let query = JournalQuery {
                subject,
                actor,
                from: from.as_deref().map(|t| parse_instant("--from", t)).transpose()?,
                to: to.as_deref().map(|t| parse_instant("--to", t)).transpose()?,
                limit: limit.clamp(1, 100_000),
            };
            let actor = operator(config_file)?;
            let app = open(config_file, db.as_deref()).await?;
            let found = app.journal_search(&actor, &query).await.map_err(|e| refusal(e, &actor));
            app.close().await;
            let found = found?;
            output::label(&found);
            let found = found.into_view();
            if json {
                outln!("{}", serde_json::to_string_pretty(&found)?)?;
            } else {
                for e in &found {
                    let e = &e.entry;
                    let time = jiff::Timestamp::from_microsecond(e.time_micros)?;
                    outln!(
                        "#{:<8} {}  {:<20} {:<16} {:<32} {:<24} {}",
                        e.sequence,
                        local(time),
                        e.actor.party_id,
                        e.actor.role,
                        e.action,
                        e.subjects.join(","),
                        e.outcome
                    )?;
                }
                outln!("{} entries", found.len())?;
            }
        }
        JournalCommand::Keygen { out, json } => {
            if out.exists() {
                return Err(Failure::Invalid(format!(
                    "--out: {} exists; refusing to overwrite a key",
                    out.display()
                ))
                .into());
            }
            let mut seed = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
            let key = app::SigningKey::from_bytes(&seed);
            write_secret(&out, &hex::encode(seed))?;
            let public = hex::encode(key.verifying_key().as_bytes());
            if json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&json!({ "key_file": out, "public_key": public }))?
                )?;
            } else {
                outln!("secret key written to {} (mode 0600)", out.display())?;
                outln!("public key {public}")?;
                outln!(
                    "configure it with CLOISON_JOURNAL_KEY_FILE={} or journal_key_file in cloison.toml",
                    out.display()
                )?;
            }
        }
    }
    Ok(())
}

/// A proof as JSON (the API's shape, `app::wire`), or as text: its kind, then each field of
/// that shape in order, a list of hashes one per line.
fn print_proof(kind: &str, proof: &impl serde::Serialize, as_json: bool) -> Result<()> {
    if as_json {
        outln!("{}", serde_json::to_string_pretty(proof)?)?;
        return Ok(());
    }
    outln!("proof {kind}")?;
    if let serde_json::Value::Object(map) = serde_json::to_value(proof)? {
        for (name, v) in map {
            match v {
                serde_json::Value::Array(items) => {
                    outln!("{name}:")?;
                    for item in items {
                        outln!("  {}", item.as_str().unwrap_or_default())?;
                    }
                }
                other => outln!(
                    "{name} {}",
                    other.as_str().map(str::to_owned).unwrap_or_else(|| other.to_string())
                )?,
            }
        }
    }
    Ok(())
}
