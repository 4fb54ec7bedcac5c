//! The web interface: pages the server renders, for staff, customers and the ethics committee,
//! in French and English.
//!
//! A confidential back office is best served by pages the server renders: every decision stays
//! behind the gate, and the browser holds nothing it was not shown. A page calls the same use
//! cases of `app` as the API, as the same kind of actor (a session is a bearer token made at
//! sign-in), and shows the answer the gate sent, labelled (R8). Every control is a plain link
//! or form first, so the core paths work without JavaScript; htmx, embedded in the binary
//! with its integrity hash, only spares full reloads.
//!
//! Served by `cloison serve` under `/ui`, beside the API, through the same accept loop.
#![warn(missing_docs)]
// A handler's refusal is the page or redirect it answers with (an axum `Response`), returned
// as the error of a `Result` so `?` ends the handler there; boxing it would only add an
// allocation on the refusal path.
#![allow(clippy::result_large_err)]

mod audit;
mod chart;
mod contact;
mod door;
pub mod i18n;
mod pages;
mod render;
pub mod session;
mod work;

use std::sync::Arc;

use app::Cloison;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};

use crate::i18n::Catalogues;

/// How the pages run, from the binary's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark cookies `Secure`: the server speaks TLS (or sits behind a proxy that does).
    pub secure_cookies: bool,
    /// How long a session lasts from sign-in.
    pub session_lifetime: jiff::SignedDuration,
}

/// What every page handler shares.
#[derive(Clone)]
pub(crate) struct Web {
    app: Cloison,
    keys: session::Keys,
    config: Arc<Config>,
    catalogues: Arc<Catalogues>,
}

/// htmx 2.0.4 (BSD Zero Clause), vendored: no page loads anything from another site.
const HTMX: &[u8] = include_bytes!("../assets/htmx.min.js");
/// Its Subresource Integrity hash, checked by the browser before it runs the script.
pub(crate) const HTMX_INTEGRITY: &str =
    "sha384-HGfztofotfshcF7+8n44JQL2oJmowVChPTg48S+jvZoztPfvwD79OC/LTtG6dMp+";
const STYLE: &str = include_str!("../assets/style.css");

/// The pages as a router, to merge beside the API's.
pub fn router(app: Cloison, config: Config) -> Result<Router, String> {
    let keys = session::Keys::new(app.front_end_key("web"));
    let web = Web { app, keys, config: Arc::new(config), catalogues: Arc::new(Catalogues::load()?) };
    Ok(Router::new()
        .route("/", get(|| async { Redirect::to("/ui") }))
        .route("/ui", get(pages::home))
        .route("/ui/", get(|| async { Redirect::to("/ui") }))
        .route("/ui/assets/htmx.min.js", get(|| async { asset("text/javascript; charset=utf-8", HTMX) }))
        .route("/ui/assets/style.css", get(|| async { asset("text/css; charset=utf-8", STYLE.as_bytes()) }))
        .route("/ui/lang/{tag}", get(pages::language))
        .route("/ui/login", get(pages::login_form).post(pages::login))
        .route("/ui/logout", post(pages::logout))
        .route("/ui/access-points", get(pages::access_point))
        .route("/ui/access-points/{ean}/history", get(pages::history))
        .route("/ui/access-points/{ean}/consumption", get(pages::consumption))
        .route("/ui/me/access-log", get(pages::access_log))
        .route("/ui/journal", get(audit::search))
        .route("/ui/journal/entries/{index}", get(audit::entry))
        .route("/ui/journal/head", get(audit::head))
        .route("/ui/journal/verify", post(audit::verify))
        .route("/ui/journal/proof", get(audit::proof))
        .route("/ui/messages", get(work::messages))
        .route("/ui/messages/{id}/ack", post(work::acknowledge))
        .route("/ui/scenarios/{id}", get(work::scenario))
        .route("/ui/scenarios/{id}/cancel", post(work::cancel))
        .route("/ui/validation", get(work::validation))
        .route("/ui/validation/{id}", post(work::decide))
        .route("/ui/access-requests", get(work::access_requests))
        .route("/ui/access-requests/{id}", post(work::decide_access))
        .route("/ui/mandates", get(work::mandates))
        .route("/ui/health", get(work::health))
        .route("/ui/contact", get(contact::screen))
        .route("/ui/contact/report", get(contact::report))
        // Not a fallback: the API's router, merged beside this one, has its own.
        .route("/ui/{*rest}", get(pages::not_found))
        .with_state(web))
}

fn asset(content_type: &'static str, bytes: &'static [u8]) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        bytes,
    )
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use sha2::{Digest, Sha384};

    use super::*;

    #[test]
    fn the_integrity_hash_is_the_embedded_scripts() {
        let digest = Sha384::digest(HTMX);
        let expected = format!("sha384-{}", base64::engine::general_purpose::STANDARD.encode(digest));
        assert_eq!(HTMX_INTEGRITY, expected);
    }
}
