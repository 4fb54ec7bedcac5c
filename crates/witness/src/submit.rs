//! The log's side: asking witnesses to cosign each new checkpoint of the journal, and
//! publishing what they cosigned.
//!
//! Every interval, if the head moved past what a witness last cosigned, the witness is sent
//! the head's checkpoint with a consistency proof from that size (c2sp.org/tlog-witness). A
//! witness that holds another size answers 409 with it, and the request is made again from
//! there, once: after a restart the client does not know what each witness holds, and asks.
//! The lines that come back are verified against the witness's configured key before
//! anything is kept; the head's note with every valid line is handed to the application,
//! which serves it as `/v1/journal/checkpoint`.
//!
//! Nothing here stops the server: a witness that is down, slow or refusing is logged and
//! asked again at the next interval. A witness holding a size beyond the journal's head, or
//! refusing a proof (422), is the alarm this exists for — the journal was rolled back or
//! forked — and is logged as an error.

use std::time::Duration;

use app::Cloison;
use journal::witness::{AddCheckpoint, SIZE_CONTENT_TYPE};
use journal::{KeyType, VerifierKey, verify_cosignature};

/// One witness the log asks: where, and the key its cosignatures must verify with.
#[derive(Debug, Clone)]
pub struct Target {
    /// The submission prefix; `add-checkpoint` is appended.
    pub url: String,
    /// The witness's `cosignature/v1` verifier key.
    pub key: VerifierKey,
}

/// Why a witness setting is refused.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// Not `URL VKEY`.
    #[error("witness {0:?}: expected the witness's URL, a space, then its verifier key (name+hash+key)")]
    Shape(String),
    /// The URL is not http(s).
    #[error("witness URL {0:?} must start with http:// or https://")]
    Url(String),
    /// The key is not a vkey.
    #[error("witness key: {0}")]
    Key(#[from] journal::VerifierKeyError),
    /// The key is a log key, not a cosignature key.
    #[error("witness key {0}: is a note key (type 0x01); a witness's key has type 0x04 (cosignature/v1)")]
    NotCosignature(String),
}

impl Target {
    /// A witness at `url` whose key is the vkey `key`.
    pub fn new(url: &str, key: &str) -> Result<Target, TargetError> {
        let url = url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(TargetError::Url(url.to_owned()));
        }
        let key: VerifierKey = key.parse()?;
        if key.kind() != KeyType::CosignatureV1 {
            return Err(TargetError::NotCosignature(key.to_string()));
        }
        Ok(Target { url: url.trim_end_matches('/').to_owned(), key })
    }

    /// `URL VKEY`, the form of the environment and the settings file's strings.
    pub fn parse(text: &str) -> Result<Target, TargetError> {
        let mut parts = text.split_whitespace();
        match (parts.next(), parts.next(), parts.next()) {
            (Some(url), Some(key), None) => Target::new(url, key),
            _ => Err(TargetError::Shape(text.to_owned())),
        }
    }

    fn endpoint(&self) -> String {
        format!("{}/add-checkpoint", self.url)
    }
}

/// What the client remembers of one witness between rounds.
struct Remembered {
    target: Target,
    /// The size this witness holds for our log, as far as we know (`None`: not asked yet).
    held: Option<u64>,
    /// Its latest valid cosignature line, and the size it is for.
    line: Option<(u64, String)>,
}

/// Asks `targets` to cosign the journal's head every `interval` until `stop` resolves,
/// publishing the cosigned checkpoint through `app`.
pub async fn run(
    app: Cloison,
    targets: Vec<Target>,
    interval: Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    let client = match reqwest::Client::builder().timeout(Duration::from_secs(10)).build() {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "witness client could not start; checkpoints stay uncosigned");
            return;
        }
    };
    let mut witnesses: Vec<Remembered> =
        targets.into_iter().map(|target| Remembered { target, held: None, line: None }).collect();
    let mut published = (0u64, 0usize);
    tokio::pin!(stop);
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = ticks.tick() => {}
        }
        if let Err(error) = round(&app, &client, &mut witnesses, &mut published).await {
            tracing::warn!(%error, "witness round skipped: the journal could not be read");
        }
    }
}

/// One round: every witness behind the head is asked; the head's note is published with
/// every valid line for it.
async fn round(
    app: &Cloison,
    client: &reqwest::Client,
    witnesses: &mut [Remembered],
    published: &mut (u64, usize),
) -> Result<(), app::AppError> {
    let head = app.journal_head().await?;
    let size = head.head.size;
    let note = app.journal_checkpoint_note(&head)?;
    for witness in witnesses.iter_mut() {
        if witness.line.as_ref().is_some_and(|(cosigned, _)| *cosigned == size) {
            continue;
        }
        ask(app, client, witness, size, &note).await;
    }
    let lines: Vec<&str> = witnesses
        .iter()
        .filter_map(|w| {
            w.line.as_ref().filter(|(cosigned, _)| *cosigned == size).map(|(_, line)| line.as_str())
        })
        .collect();
    // Republished when the size moves or another witness's line joins.
    if !lines.is_empty() && (size, lines.len()) != *published {
        let cosigned = format!("{note}{}", lines.concat());
        match app.journal_publish_cosigned(cosigned) {
            Ok(()) => *published = (size, lines.len()),
            Err(error) => tracing::error!(%error, "cosigned checkpoint not published"),
        }
    }
    Ok(())
}

/// Asks one witness to cosign `note` (the journal at `size`), retrying once from the size a
/// 409 reports.
async fn ask(app: &Cloison, client: &reqwest::Client, witness: &mut Remembered, size: u64, note: &str) {
    let url = witness.target.endpoint();
    for _attempt in 0..2 {
        let old = witness.held.unwrap_or(0);
        if old > size {
            tracing::error!(
                witness = %url, held = old, journal = size,
                "the witness holds a larger checkpoint than the journal's head: the journal was rolled back or forked"
            );
            // Ask again next round from 0, in case the witness was mistaken for another log.
            witness.held = None;
            return;
        }
        let proof = match app.journal_consistency_proof(old, size).await {
            Ok(proof) => proof,
            Err(error) => {
                tracing::warn!(%error, witness = %url, "no consistency proof from {old} to {size}");
                return;
            }
        };
        let body = AddCheckpoint { old, proof, note: note.to_owned() }.to_body();
        let response = match client.post(&url).body(body).send().await {
            Ok(response) => response,
            Err(error) => {
                tracing::warn!(%error, witness = %url, "witness unreachable");
                return;
            }
        };
        let status = response.status();
        let is_size = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(SIZE_CONTENT_TYPE));
        let text = match response.text().await {
            Ok(text) => text,
            Err(error) => {
                tracing::warn!(%error, witness = %url, "witness answer unreadable");
                return;
            }
        };
        match status.as_u16() {
            200 => {
                let valid = text
                    .split_inclusive('\n')
                    .find(|line| verify_cosignature(&format!("{note}{line}"), &witness.target.key).is_ok());
                match valid {
                    Some(line) => {
                        witness.held = Some(size);
                        witness.line = Some((size, line.to_owned()));
                    }
                    None => tracing::error!(
                        witness = %url, key = %witness.target.key,
                        "the witness answered 200 without a cosignature that verifies with its configured key"
                    ),
                }
                return;
            }
            409 if is_size => match text.trim().parse::<u64>() {
                Ok(held) if Some(held) != witness.held => witness.held = Some(held),
                Ok(held) => {
                    // Same size, another root: the witness cosigned another tree of this size.
                    tracing::error!(
                        witness = %url, held,
                        "the witness cosigned another checkpoint of this size: the journal was forked or rolled back"
                    );
                    return;
                }
                Err(_) => {
                    tracing::warn!(witness = %url, body = %text.trim(), "409 without a size");
                    return;
                }
            },
            422 => {
                tracing::error!(
                    witness = %url, old, size,
                    "the witness refused the consistency proof: the journal is not an extension of what it cosigned (rolled back or forked)"
                );
                return;
            }
            _ => {
                tracing::warn!(witness = %url, %status, body = %text.trim(), "the witness refused the checkpoint");
                return;
            }
        }
    }
}
