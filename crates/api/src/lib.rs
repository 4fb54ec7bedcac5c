//! The HTTP API: the one door over the network.
//!
//! Only this crate knows HTTP and JSON shapes; every handler authenticates the caller from a
//! bearer token, then calls one use case of `app`, which decides, clips and journals. Errors
//! leave through one table ([`ApiError`]) with a stable `code`; 5xx causes are logged, never
//! sent. What a caller may not see and what does not exist give the same 404 (I5).
//!
//! The server entry point takes a bound listener and a shutdown future, so tests run it on
//! port 0 and stop it cleanly.
#![warn(missing_docs)]

mod error;
mod metrics;
mod openapi;
mod routes;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use app::Cloison;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub use error::ApiError;

/// What every handler shares.
#[derive(Clone)]
pub struct State {
    app: Cloison,
    metrics: Arc<metrics::Metrics>,
}

/// The whole API as a router, for `serve` and for tests that drive it in-process.
pub fn router(app: Cloison) -> Router {
    let state = State { app, metrics: Arc::new(metrics::Metrics::new()) };
    routes::routes()
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        // Requests carry no bodies yet; 16 KiB is ample for the ones to come.
        .layer(RequestBodyLimitLayer::new(16 * 1024))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(15),
        ))
        .with_state(state)
}

/// Serves the API on `listener` until `shutdown` resolves, then lets requests in flight end.
pub async fn serve(
    listener: TcpListener,
    app: Cloison,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app)).with_graceful_shutdown(shutdown).await
}
