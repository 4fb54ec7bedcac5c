//! The market's routes: scenarios and message queues (R1, R2, R3, R7).
//!
//! Bodies are parsed here into the domain's request, each field refused by name; the use
//! cases of `app` decide, judge and journal. A refused scenario is an answer (422 with the
//! market's stable code), not an error, and so is replayed under its idempotency key like an
//! acceptance.

use app::{MarketAnswer, Placement};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::scenario::{Action, Request, ScenarioKind};
use domain::{Address, Energy, PartyId};
use jiff::civil::Date;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::answer::Answer;
use crate::extract::{Caller, Params, Segment};
use crate::{ApiError, State as AppState};

/// The header that makes a submission safe to retry.
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// A market answer with its status: 201 or 200 when done, 422 when the market refused.
fn answered(sent: app::Sent<MarketAnswer>, done: StatusCode) -> Response {
    let status = match sent.view() {
        MarketAnswer::Accepted { .. } => done,
        MarketAnswer::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Answer::sent(sent).with_status(status)
}

fn json<T>(sent: app::Sent<T>) -> Response {
    Answer::sent(sent).into_response()
}

/// The scenario's path segment: a kind to start (POST), or a scenario's id (GET).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct KindPath {
    /// The kind of scenario to start.
    #[param(inline, pattern = "^(supplier_switch|move_in|move_out|end_of_contract|drop|budget_meter)$")]
    #[allow(dead_code)]
    scenario: String,
}

/// A scenario's id in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct IdPath {
    /// The scenario's id, as its submission answered it.
    #[param(pattern = "^[0-9a-f]{32}$")]
    #[allow(dead_code)]
    scenario: String,
}

/// A message's id in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct MessagePath {
    /// The message's id, as the peek gave it.
    #[param(pattern = "^[0-9a-f]{32}$")]
    #[allow(dead_code)]
    id: String,
}

/// The retry key of a submission.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub(crate) struct KeyHeader {
    /// Up to 128 visible ASCII characters, unique per request of the caller: a repeat with
    /// the same body answers the first answer again; with another body, 422
    /// `idempotency_key_reused`.
    #[serde(rename = "Idempotency-Key")]
    #[param(rename = "Idempotency-Key")]
    #[allow(dead_code)]
    key: Option<String>,
}

/// A shipping address as sent.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddressBody {
    street: String,
    number: String,
    #[serde(rename = "box")]
    box_number: Option<String>,
    postal_code: String,
    municipality: String,
}

/// A scenario request as sent: the fields its kind needs, and no other.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioBody {
    ean: String,
    energy: Energy,
    effective_day: String,
    customer: Option<String>,
    shipping_address: Option<AddressBody>,
    /// For the DSO's staff, entering a scenario for a supplier; a supplier's own is itself.
    initiator: Option<String>,
}

fn parse_kind(text: &str) -> Result<ScenarioKind, ApiError> {
    app::MARKET_KINDS.into_iter().find(|k| k.as_str() == text).ok_or_else(|| {
        let kinds: Vec<&str> = app::MARKET_KINDS.iter().map(|k| k.as_str()).collect();
        ApiError::invalid("invalid_kind", format!("kind: {text:?} is not one of {}", kinds.join(", ")))
    })
}

fn party(field: &str, text: &str) -> Result<PartyId, ApiError> {
    text.parse().map_err(|e| ApiError::invalid("invalid_body", format!("{field}: {e}")))
}

/// The domain's request from a body, for `kind`, by `caller`.
fn request_of(kind: ScenarioKind, body: &[u8], caller: &app::Actor) -> Result<Request, ApiError> {
    let body: ScenarioBody =
        serde_json::from_slice(body).map_err(|e| ApiError::invalid("invalid_body", format!("body: {e}")))?;
    let ean = body.ean.parse().map_err(|e| ApiError::invalid("invalid_ean", format!("ean: {e}")))?;
    let effective_day: Date = body.effective_day.parse().map_err(|_| {
        ApiError::invalid("invalid_day", "effective_day: a calendar day is written YYYY-MM-DD")
    })?;
    if !(1900..=2999).contains(&effective_day.year()) {
        return Err(ApiError::invalid("invalid_day", "effective_day: the year is outside 1900–2999"));
    }
    let initiator = match &body.initiator {
        Some(text) => party("initiator", text)?,
        None => caller.party.clone(),
    };
    let customer = || -> Result<PartyId, ApiError> {
        let text = body.customer.as_deref().ok_or_else(|| {
            ApiError::invalid("invalid_body", format!("customer: a {kind} names the customer"))
        })?;
        party("customer", text)
    };
    let no = |field: &str, present: bool| -> Result<(), ApiError> {
        if present {
            Err(ApiError::invalid("invalid_body", format!("{field}: a {kind} does not take one")))
        } else {
            Ok(())
        }
    };
    if kind != ScenarioKind::MoveIn {
        no("shipping_address", body.shipping_address.is_some())?;
    }
    let action = match kind {
        ScenarioKind::SupplierSwitch => Action::SupplierSwitch { customer: customer()? },
        ScenarioKind::MoveIn => {
            let address = body.shipping_address.as_ref().ok_or_else(|| {
                ApiError::invalid("invalid_body", "shipping_address: a move_in names where bills go")
            })?;
            let shipping_address = Address::new(
                &address.street,
                &address.number,
                address.box_number.as_deref(),
                &address.postal_code,
                &address.municipality,
            )
            .map_err(|e| ApiError::invalid("invalid_body", format!("shipping_address: {e}")))?;
            Action::MoveIn { customer: customer()?, shipping_address }
        }
        ScenarioKind::MoveOut => Action::MoveOut { customer: customer()? },
        ScenarioKind::EndOfContract => {
            no("customer", body.customer.is_some())?;
            Action::EndOfContract
        }
        ScenarioKind::Drop => Action::Drop { customer: customer()? },
        ScenarioKind::BudgetMeter => Action::BudgetMeter { customer: customer()? },
        ScenarioKind::Rectification => {
            return Err(ApiError::invalid("invalid_kind", "kind: rectification is not offered"));
        }
    };
    Ok(Request { ean, energy: body.energy, initiator, effective_day, action })
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    headers
        .get(IDEMPOTENCY_KEY)
        .map(|v| {
            v.to_str().map(str::to_owned).map_err(|_| {
                ApiError::invalid("invalid_header", "Idempotency-Key: visible ASCII characters only")
            })
        })
        .transpose()
}

/// Starts a scenario on an access point, judged today (Europe/Brussels). The body names the
/// access point (`ean`), the `energy`, the `effective_day` (YYYY-MM-DD) and, as the kind
/// needs, the `customer` and a move-in's `shipping_address`; the DSO's staff add the
/// `initiator` they act for. Accepted: 201 with the scenario. Refused by the market's rules:
/// 422 with the stable code; a scenario in progress is told as the policies allow (R3).
#[utoipa::path(post, path = "/v1/scenarios/{scenario}", security(("bearer" = [])), params(KindPath, KeyHeader),
    request_body(content = crate::schema::ScenarioRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "accepted: the scenario", body = crate::schema::MarketAnswer),
        (status = 400, description = "the body, the kind or a header is malformed; the message names the field", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role takes no part in the market", body = crate::schema::Error),
        (status = 422, description = "refused by the market's rules, with their stable code; or the idempotency key was used for another request", body = crate::schema::MarketAnswer),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn submit_scenario(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(kind): Segment,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let kind = parse_kind(&kind)?;
    let request = request_of(kind, &body, &actor)?;
    let key = idempotency_key(&headers)?;
    let sent = state.app.market_submit(&actor, request, key.as_deref(), app::market_today()).await?;
    Ok(answered(sent, StatusCode::CREATED))
}

/// A scenario, to its initiator and the DSO; anyone else gets the answer of an id that does
/// not exist (I5).
#[utoipa::path(get, path = "/v1/scenarios/{scenario}", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, description = "the scenario", body = crate::schema::Scenario),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 404, description = "no scenario visible to the caller with this id: one answer for both (I5)", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn show_scenario(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(id): Segment,
) -> Result<Response, ApiError> {
    Ok(json(state.app.market_scenario(&actor, &id).await?))
}

/// Cancels a scenario before its effective day: its initiator, or the DSO's staff for it.
#[utoipa::path(post, path = "/v1/scenarios/{scenario}/cancel", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, description = "cancelled: the scenario", body = crate::schema::MarketAnswer),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 404, description = "no scenario visible to the caller with this id (I5)", body = crate::schema::Error),
        (status = 422, description = "refused: too late, already ended, or built upon", body = crate::schema::MarketAnswer),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn cancel_scenario(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(id): Segment,
) -> Result<Response, ApiError> {
    let sent = state.app.market_cancel(&actor, &id, app::market_today()).await?;
    Ok(answered(sent, StatusCode::OK))
}

/// A budget-meter placement report, by the DSO's staff.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlacementBody {
    step: Placement,
}

/// The DSO's report on a budget-meter placement: `scheduled`, `placed` (the meter changes)
/// or `failed`.
#[utoipa::path(post, path = "/v1/scenarios/{scenario}/placement", security(("bearer" = [])), params(IdPath),
    request_body(content = crate::schema::PlacementRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "recorded: the scenario", body = crate::schema::MarketAnswer),
        (status = 400, description = "the body is malformed; the message names the field", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 404, description = "no scenario visible to the caller with this id (I5)", body = crate::schema::Error),
        (status = 422, description = "refused: not a step the scenario can take now", body = crate::schema::MarketAnswer),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn report_placement(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(id): Segment,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: PlacementBody =
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid("invalid_body", format!("body: {e}")))?;
    let sent = state.app.market_placement(&actor, &id, body.step, app::market_today()).await?;
    Ok(answered(sent, StatusCode::OK))
}

/// How many messages one peek returns.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PeekQuery {
    /// At most this many, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// The caller's oldest unacknowledged messages, each with its receipt: the journal entry that
/// queued it and an inclusion proof against a signed head, so the caller can prove what was
/// journaled. 204 when the queue is empty. Delivery is at least once: a message stays until
/// acknowledged, under the same id.
#[utoipa::path(get, path = "/v1/messages/peek", security(("bearer" = [])), params(PeekQuery),
    responses(
        (status = 200, description = "the oldest messages", body = crate::schema::Bundle),
        (status = 204, description = "the queue is empty"),
        (status = 400, description = "a parameter is malformed; the message names it", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role has no queue", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn peek_messages(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Params(q): Params<PeekQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=app::MAX_BUNDLE).contains(&limit) {
        return Err(ApiError::invalid("invalid_query", format!("limit: 1 to {}", app::MAX_BUNDLE)));
    }
    let sent = state.app.market_peek(&actor, None, limit).await?;
    if sent.view().messages.is_empty() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(json(sent))
}

/// Acknowledges a message: it leaves the caller's queue. Again: 200 with `removed: false`.
/// An id not in the caller's queue, someone else's or none, is 404 (I5).
#[utoipa::path(delete, path = "/v1/messages/{id}", security(("bearer" = [])), params(MessagePath),
    responses(
        (status = 200, description = "acknowledged", body = crate::schema::Ack),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role has no queue", body = crate::schema::Error),
        (status = 404, description = "no such message in the caller's queue (I5)", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn acknowledge_message(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(id): Segment,
) -> Result<Response, ApiError> {
    let done = state.app.market_acknowledge(&actor, None, &id).await?;
    let body = serde_json::to_vec(&done).map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
