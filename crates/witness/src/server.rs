//! The witness's HTTP service: `POST /add-checkpoint`, as c2sp.org/tlog-witness defines it.
//!
//! One lock is held from reading what the witness holds to the durable write of its new
//! state, so two concurrent requests cannot both be judged against the same held size (the
//! rollback race the specification describes); the cosignature is made after the write, so
//! the witness never answers for a state it might forget. Requests are rare (one per log per
//! new checkpoint), so a single lock costs nothing.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use journal::Cosigner;
use journal::witness::{AddCheckpoint, Held, Logs, Refusal, SIZE_CONTENT_TYPE, judge};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

use crate::state::{StateError, StateFile};

/// The largest request: 63 proof lines and a checkpoint with a few dozen signatures fit in
/// well under this; more is refused before it is read.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// A witness: its key, the logs it knows, and what it holds.
pub struct Witness {
    cosigner: Cosigner,
    logs: Logs,
    state: StateFile,
    held: Mutex<Held>,
}

impl Witness {
    /// A witness signing with `cosigner` for `logs`, holding what `state` holds (nothing if
    /// the file does not exist yet).
    pub fn open(cosigner: Cosigner, logs: Logs, state: StateFile) -> Result<Witness, StateError> {
        let held = state.load()?;
        Ok(Witness { cosigner, logs, state, held: Mutex::new(held) })
    }

    /// The witness's signing identity.
    pub fn cosigner(&self) -> &Cosigner {
        &self.cosigner
    }

    /// Judges a request body; on success records the new state durably and returns the
    /// cosignature line, cosigned at `time` (Unix seconds).
    pub async fn add_checkpoint(&self, body: &str, time: u64) -> Result<String, Failure> {
        let request = AddCheckpoint::parse(body).map_err(|e| Failure::Refused(e.into()))?;
        let mut held = self.held.lock().await;
        let accepted = judge(&request, &self.logs, &held).map_err(Failure::Refused)?;
        let mut next = held.clone();
        next.insert(accepted.origin.clone(), accepted.checkpoint);
        let state = self.state.clone();
        let written = next.clone();
        tokio::task::spawn_blocking(move || state.store(&written))
            .await
            .map_err(|e| {
                Failure::State(StateError::Corrupt { path: self.state.path().into(), reason: e.to_string() })
            })?
            .map_err(Failure::State)?;
        *held = next;
        drop(held);
        Ok(self.cosigner.cosign(&accepted.text, time))
    }
}

/// Why a request got no cosignature.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The protocol's refusal, with its status.
    #[error(transparent)]
    Refused(Refusal),
    /// The state could not be written: nothing was cosigned (500).
    #[error(transparent)]
    State(StateError),
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Failure::Refused(refusal) => {
                let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
                match refusal.held_size() {
                    Some(size) if status == StatusCode::CONFLICT => {
                        (status, [(header::CONTENT_TYPE, SIZE_CONTENT_TYPE)], format!("{size}\n"))
                            .into_response()
                    }
                    _ => (
                        status,
                        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                        format!("{refusal}\n"),
                    )
                        .into_response(),
                }
            }
            Failure::State(error) => {
                tracing::error!(%error, "witness state not written; nothing cosigned");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error: the witness state could not be written\n",
                )
                    .into_response()
            }
        }
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

async fn add_checkpoint(State(witness): State<Arc<Witness>>, body: Bytes) -> Response {
    let Ok(body) = std::str::from_utf8(&body) else {
        return (StatusCode::BAD_REQUEST, "add-checkpoint request: body is not UTF-8\n").into_response();
    };
    match witness.add_checkpoint(body, unix_now()).await {
        Ok(line) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], line).into_response(),
        Err(failure) => {
            if let Failure::Refused(refusal) = &failure {
                // A refusal with a valid log signature may be evidence of a fork: keep a trace.
                tracing::warn!(%refusal, "add-checkpoint refused");
            }
            failure.into_response()
        }
    }
}

/// The witness's routes: `POST /add-checkpoint` (the submission prefix is the root).
pub fn router(witness: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(witness)
}

/// Serves `witness` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    witness: Arc<Witness>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(witness)).with_graceful_shutdown(shutdown).await
}
