//! Access requests over HTTP (R6): a member of staff asks for a role; the manager of a service
//! whose jobs carry it approves or refuses; an approval is effective at once.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::Role;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::answer::Answer;
use crate::extract::{Caller, Segment};
use crate::{ApiError, State as AppState};

fn today() -> jiff::civil::Date {
    domain::period::local_day(jiff::Timestamp::now())
}

/// A request for a role.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestBody {
    role: String,
    until: String,
}

/// Asks for a role until a day (at most a year away): `{"role", "until"}`. Pending until a
/// manager of a service whose jobs carry the role decides.
#[utoipa::path(post, path = "/v1/access-requests", security(("bearer" = [])),
    request_body(content = crate::schema::AccessRequestBody, content_type = "application/json"),
    responses(
        (status = 201, description = "the request, pending", body = crate::schema::AccessRequest),
        (status = 400, description = "malformed, not a staff role, or a bad day: the message names the field", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role is not staff", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn request_access(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: RequestBody =
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid("invalid_body", format!("body: {e}")))?;
    let role =
        Role::parse(&body.role).map_err(|e| ApiError::invalid("invalid_body", format!("role: {e}")))?;
    let until = body.until.parse().map_err(|_| {
        ApiError::invalid(
            "invalid_body",
            format!("until: a calendar day is written YYYY-MM-DD, found {:?}", body.until),
        )
    })?;
    let request = state.app.request_access(&actor, role, until, today()).await?;
    Ok((StatusCode::CREATED, Json(request)).into_response())
}

/// The caller's own requests, and those the caller may decide.
#[utoipa::path(get, path = "/v1/access-requests", security(("bearer" = [])),
    responses(
        (status = 200, description = "the requests", body = Vec<crate::schema::AccessRequest>),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role is not staff", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn access_requests(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.access_requests(&actor).await?).into_response())
}

/// A request's id in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct RequestPath {
    /// The request's id, as its submission answered it.
    #[param(pattern = "^req_[0-9a-f]{16}$")]
    #[allow(dead_code)]
    request: String,
}

/// A manager's decision.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    decision: String,
}

/// A service manager's decision: `{"decision": "approve" | "refuse"}`. An approval grants the
/// role until the day asked; taken once.
#[utoipa::path(post, path = "/v1/access-requests/{request}/decision", security(("bearer" = [])), params(RequestPath),
    request_body(content = crate::schema::AccessDecisionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "decided: the request", body = crate::schema::AccessRequest),
        (status = 400, description = "malformed, unknown, already decided, or the caller does not manage the role's service: the message names the field", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role is not staff", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn decide_access_request(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(id): Segment,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: DecisionBody =
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid("invalid_body", format!("body: {e}")))?;
    let approve = match body.decision.as_str() {
        "approve" => true,
        "refuse" => false,
        other => {
            return Err(ApiError::invalid(
                "invalid_body",
                format!("decision: {other:?} is not approve or refuse"),
            ));
        }
    };
    Ok(Json(state.app.decide_access_request(&actor, &id, approve, today()).await?).into_response())
}

/// An emergency access asked for.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BreakGlassBody {
    role: String,
    reason: String,
    minutes: u32,
}

/// Opens emergency access for the calling support person (R10): `{"role", "reason",
/// "minutes"}`, one of the roles that read data, at most four hours, with a reason of 10 to
/// 500 characters. Answers a new token, shown once, that expires with the access; every act
/// made with it is listed to the ethics committee (`GET /v1/break-glass`).
#[utoipa::path(post, path = "/v1/break-glass", security(("bearer" = [])),
    request_body(content = crate::schema::BreakGlassBody, content_type = "application/json"),
    responses(
        (status = 201, description = "opened: the token, shown once", body = crate::schema::BreakGlassOpened),
        (status = 400, description = "malformed, a role break-glass does not open, a bad reason or duration: the message names the field", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role may not open emergency access", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn open_break_glass(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: BreakGlassBody =
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid("invalid_body", format!("body: {e}")))?;
    let role =
        Role::parse(&body.role).map_err(|e| ApiError::invalid("invalid_body", format!("role: {e}")))?;
    let duration = jiff::SignedDuration::from_mins(i64::from(body.minutes));
    let opened = state.app.open_break_glass(&actor, role, &body.reason, duration).await?;
    Ok((StatusCode::CREATED, Json(opened)).into_response())
}

/// Every emergency access, its reason and every act done under it, for the ethics committee
/// (R10): its feed of break-glass uses.
#[utoipa::path(get, path = "/v1/break-glass", security(("bearer" = [])),
    responses(
        (status = 200, description = "the accesses, oldest first, each with its acts", body = Vec<crate::schema::BreakGlassUse>),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not review access", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn break_glass_report(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.break_glass_report(&actor).await?).into_response())
}
