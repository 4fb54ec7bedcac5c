//! Routes and handlers: parse, authenticate, call one use case, shape the JSON.

use app::{Actor, JournalQuery, SignedTreeHead};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use domain::Ean;
use jiff::Timestamp;
use rand::RngCore;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{ApiError, State as AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/v1/me", get(me))
        .route("/v1/access-points/{ean}", get(access_point))
        .route("/v1/access-points/{ean}/history", get(history))
        .route("/v1/journal/head", get(journal_head))
        .route("/v1/journal/proofs/inclusion", get(inclusion))
        .route("/v1/journal/proofs/consistency", get(consistency))
        .route("/v1/journal/entries", get(entries))
}

/// The authenticated caller of a request.
pub struct Caller(Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let secret = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(ApiError::unauthenticated)?;
        let mut id = [0u8; 8];
        rand::rngs::OsRng.fill_bytes(&mut id);
        let request = hex::encode(id);
        match state.app.authenticate(secret, &request).await {
            Ok(Some(actor)) => Ok(Caller(actor)),
            Ok(None) => Err(ApiError::unauthenticated()),
            Err(e) => Err(e.into()),
        }
    }
}

fn parse_ean(text: &str) -> Result<Ean, ApiError> {
    text.parse().map_err(|e| ApiError::invalid("invalid_ean", format!("ean: {e}")))
}

fn parse_instant(name: &str, text: &str) -> Result<Timestamp, ApiError> {
    text.parse().map_err(|e| {
        ApiError::invalid("invalid_instant", format!("{name}: must be an RFC 3339 instant: {e}"))
    })
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}

async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}

async fn me(State(state): State<AppState>, Caller(actor): Caller) -> Result<Json<Value>, ApiError> {
    Ok(Json(serde_json::to_value(state.app.me(&actor).await?).map_err(ApiError::internal)?))
}

#[derive(Deserialize)]
struct AtQuery {
    at: Option<String>,
}

async fn access_point(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(ean): Path<String>,
    Query(query): Query<AtQuery>,
) -> Result<Json<Value>, ApiError> {
    let ean = parse_ean(&ean)?;
    let at = match query.at.as_deref() {
        Some(text) => parse_instant("at", text)?,
        None => Timestamp::now(),
    };
    let view = state.app.access_point_at(&actor, ean, at).await?;
    Ok(Json(serde_json::to_value(view).map_err(ApiError::internal)?))
}

async fn history(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(ean): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ean = parse_ean(&ean)?;
    let view = state.app.access_point_history(&actor, ean).await?;
    Ok(Json(serde_json::to_value(view).map_err(ApiError::internal)?))
}

fn head_json(head: &SignedTreeHead, key: &app::VerifyingKey) -> Value {
    json!({
        "size": head.head.size,
        "root": head.head.root.to_string(),
        "time": Timestamp::from_microsecond(head.head.time_micros).map(|t| t.to_string()).unwrap_or_default(),
        "signature": hex::encode(head.signature),
        "public_key": hex::encode(key.as_bytes()),
    })
}

async fn journal_head(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let head = state.app.journal_head().await?;
    Ok(Json(head_json(&head, &state.app.journal_public_key())))
}

#[derive(Deserialize)]
struct InclusionQuery {
    index: u64,
    size: Option<u64>,
}

async fn inclusion(
    State(state): State<AppState>,
    Query(q): Query<InclusionQuery>,
) -> Result<Json<Value>, ApiError> {
    let head = state.app.journal_head().await?;
    let size = q.size.unwrap_or(head.head.size);
    if size > head.head.size || q.index >= size {
        return Err(ApiError::invalid(
            "invalid_range",
            format!("index must be below size, and size at most {}", head.head.size),
        ));
    }
    let proof = state.app.journal_inclusion_proof(q.index, size).await?;
    let root = state.app.journal_root(size).await?;
    Ok(Json(json!({
        "index": q.index,
        "size": size,
        "hashes": proof.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "root": root.to_string(),
    })))
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    old: u64,
    new: Option<u64>,
}

async fn consistency(
    State(state): State<AppState>,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Json<Value>, ApiError> {
    let head = state.app.journal_head().await?;
    let new = q.new.unwrap_or(head.head.size);
    if new > head.head.size || q.old > new {
        return Err(ApiError::invalid(
            "invalid_range",
            format!("old must not exceed new, and new at most {}", head.head.size),
        ));
    }
    let proof = state.app.journal_consistency_proof(q.old, new).await?;
    Ok(Json(json!({
        "old": q.old,
        "new": new,
        "hashes": proof.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "old_root": state.app.journal_root(q.old).await?.to_string(),
        "new_root": state.app.journal_root(new).await?.to_string(),
    })))
}

#[derive(Deserialize)]
struct EntriesQuery {
    subject: Option<String>,
    actor: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<i64>,
}

async fn entries(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Query(q): Query<EntriesQuery>,
) -> Result<Json<Value>, ApiError> {
    let query = JournalQuery {
        subject: q.subject,
        actor: q.actor,
        from: q.from.as_deref().map(|t| parse_instant("from", t)).transpose()?,
        to: q.to.as_deref().map(|t| parse_instant("to", t)).transpose()?,
        limit: q.limit.unwrap_or(100).clamp(1, 10_000),
    };
    let found = state.app.journal_entries_for(&actor, &query).await?;
    Ok(Json(serde_json::to_value(found).map_err(ApiError::internal)?))
}
