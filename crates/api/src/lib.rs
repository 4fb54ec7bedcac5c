//! The HTTP API: the one door over the network.
//!
//! Only this crate knows HTTP and JSON shapes; every handler authenticates the caller from a
//! bearer token, then calls one use case of `app`, which decides, clips and journals. Errors
//! leave through one table ([`ApiError`]) with a stable `code`; 5xx causes are logged, never
//! sent. What a caller may not see and what does not exist give the same 404 (I5).
//!
//! The server entry point takes a bound listener, its [`Config`] and a shutdown future, so
//! tests run it on port 0 and stop it cleanly. It serves plain HTTP, or HTTPS with rustls when
//! the configuration carries a certificate ([`Tls`]), through one accept loop that times out
//! slow clients and caps the connections ([`Connections`]).
#![warn(missing_docs)]

mod access;
mod answer;
mod contact;
mod documents;
mod error;
mod extract;
mod limit;
mod mandates;
mod market;
mod metering;
mod metrics;
mod producers;
mod research;
mod routes;
mod schema;
mod server;
mod tls;
mod works;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use app::Cloison;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub use error::ApiError;
pub use limit::RateLimit;
pub use server::Connections;
pub use tls::{Tls, TlsError};

/// The largest request body. Requests carry no bodies yet; 16 KiB is ample for the ones to
/// come, and refusing more before reading it keeps a client from making the server buffer.
pub(crate) const MAX_BODY_BYTES: usize = 16 * 1024;
/// The longest path and query. The longest real one (an access point with an instant) is
/// under 100 bytes; 8 KiB is the common limit of proxies (nginx's header buffer), so nothing a
/// proxy passes is refused here.
pub(crate) const MAX_URI_BYTES: usize = 8 * 1024;
/// The most header fields in a request; hyper's own default, which no legitimate client nears.
pub(crate) const MAX_HEADER_COUNT: usize = 100;
/// The largest header section, fields counted as sent. 16 KiB holds a bearer token and a
/// proxy's forwarding headers many times over.
pub(crate) const MAX_HEADER_BYTES: usize = 16 * 1024;

/// How a server runs, from the binary's configuration (file, environment, flags).
///
/// No `Default`: a server's limits and transport are chosen by whoever starts it, and the
/// binary's configuration is where the defaults are written down.
#[derive(Debug, Clone)]
pub struct Config {
    /// The request budget of each bearer token.
    pub rate_limit: RateLimit,
    /// HTTPS with this certificate; plain HTTP when `None` (behind a TLS-terminating proxy,
    /// or on the loopback for a demo).
    pub tls: Option<Tls>,
    /// Timeouts and the cap on connections, so a slow client cannot starve the others.
    pub connections: Connections,
}

/// What every handler shares, behind one pointer: axum clones the state for every request
/// (each middleware that takes it and the handler), and a clone of the fields themselves
/// (the application's pools, keys and caches) measured near 3 % of the server's CPU under
/// the journaled read load.
#[derive(Clone)]
pub struct State(Arc<Shared>);

impl std::ops::Deref for State {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The fields of [`State`].
pub struct Shared {
    app: Cloison,
    metrics: Arc<metrics::Metrics>,
    limiter: Arc<limit::Limiter>,
    /// `/openapi.json`, generated once from the routes' annotations.
    openapi: Arc<String>,
}

/// The OpenAPI document of the API, generated from the handlers' annotations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes::routes().into_openapi()
}

/// The whole API as a router, for `serve` and for tests that drive it in-process.
pub fn router(app: Cloison, config: &Config) -> Router {
    let (routes, document) = routes::routes().split_for_parts();
    // Serialising a document built from our own annotations cannot fail.
    let openapi = document.to_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    let state = State(Arc::new(Shared {
        app,
        metrics: Arc::new(metrics::Metrics::new()),
        limiter: Arc::new(limit::Limiter::new(config.rate_limit)),
        openapi: Arc::new(openapi),
    }));
    routes
        .fallback(routes::no_route)
        // Inside the metrics layer, so throttled requests are counted as 429s by route.
        .layer(axum::middleware::from_fn_with_state(state.clone(), limit::per_token))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(15),
        ))
        .layer(axum::middleware::from_fn(error::head_limits))
        // Outermost, so every error made inside (a wrong method, the body limit, the timeout)
        // leaves as the documented JSON.
        .layer(axum::middleware::from_fn(error::uniform))
        .with_state(state)
}

/// Serves the API and, beside it, `pages` (the web interface's router, whose routes the API
/// does not have) through the same accept loop, limits and transport, until `shutdown`
/// resolves. The API's own layers (rate limit per token, metrics, JSON errors) stay on the
/// API's routes; the pages bring their own answers.
pub async fn serve_with_pages(
    listener: TcpListener,
    app: Cloison,
    config: Config,
    pages: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = router(app, &config).merge(pages);
    let tls = config.tls.map(|tls| tls.acceptor());
    server::serve(listener, router, tls, config.connections, shutdown).await
}

/// Serves the API on `listener` until `shutdown` resolves, then lets requests in flight end;
/// over TLS when `config` carries a certificate.
pub async fn serve(
    listener: TcpListener,
    app: Cloison,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = router(app, &config);
    let tls = config.tls.map(|tls| tls.acceptor());
    server::serve(listener, router, tls, config.connections, shutdown).await
}
