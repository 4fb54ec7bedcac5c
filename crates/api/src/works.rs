//! Customer works over HTTP (R13): the works team captures requests and moves them through
//! their modules and runs the retention schedule; a requester reads its own requests; anyone
//! else asking for a request gets the answer of one that does not exist.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::works::{RequesterKind, Step};
use jiff::civil::Date;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::answer::Answer;
use crate::extract::{Caller, Segment};
use crate::{ApiError, State as AppState};

fn invalid(field: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::invalid("invalid_body", format!("{field}: {e}"))
}

fn day(text: Option<&str>) -> Result<Date, ApiError> {
    match text {
        None => Ok(app::market_today()),
        Some(t) => t.parse().map_err(|_| invalid("day", format!("a day is written YYYY-MM-DD, found {t:?}"))),
    }
}

/// A request as captured.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaptureBody {
    kind: String,
    requester: String,
    requester_kind: String,
    fields: BTreeMap<String, String>,
    day: Option<String>,
}

/// A step as posted.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepBody {
    step: String,
    #[serde(default)]
    fields: BTreeMap<String, String>,
    day: Option<String>,
}

/// Captures a work request: `{"kind", "requester", "requester_kind", "fields": {…}, "day"?}`.
/// The capture module keeps the requester's name, billing address and a description, and
/// may keep a phone, an e-mail, the access point and the VAT rate; any other field is refused
/// naming it and the module (R13).
#[utoipa::path(post, path = "/v1/works", security(("bearer" = [])),
    request_body(content = crate::schema::WorkCapture, content_type = "application/json"),
    responses(
        (status = 201, description = "captured", body = crate::schema::WorkView),
        (status = 400, description = "malformed, or refused by a rule (an unknown kind, a field the module does not keep): the message names the field and the rule", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not run works", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn capture_work(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: CaptureBody = serde_json::from_slice(&body).map_err(|e| invalid("body", e))?;
    let requester = body.requester.parse().map_err(|e| invalid("requester", e))?;
    let requester_kind: RequesterKind =
        serde_json::from_value(serde_json::Value::String(body.requester_kind.clone())).map_err(|_| {
            invalid(
                "requester_kind",
                format!(
                    "{:?} is not customer, third_party, public_body, supplier or internal",
                    body.requester_kind
                ),
            )
        })?;
    let day = day(body.day.as_deref())?;
    let sent =
        state.app.capture_work(&actor, &body.kind, requester, requester_kind, body.fields, day).await?;
    Ok(Answer::sent(sent).with_status(StatusCode::CREATED))
}

/// A work request's id in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct WorkPath {
    /// The request's id, as its capture answered it.
    #[param(pattern = "^wrk_[0-9a-f]{16}$")]
    #[allow(dead_code)]
    id: String,
}

/// Moves a request one step on: `{"step": "study" | "offer" | "accept" | "plan" | "execute" |
/// "invoice" | "cancel", "fields"?: {…}, "day"?}`; each module keeps only its own fields.
#[utoipa::path(post, path = "/v1/works/{id}/steps", security(("bearer" = [])), params(WorkPath),
    request_body(content = crate::schema::WorkStep, content_type = "application/json"),
    responses(
        (status = 200, description = "the request after the step", body = crate::schema::WorkView),
        (status = 400, description = "malformed, or refused by a rule (out of order, an offer accepted twice, a field the module does not keep, an unknown request)", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not run works", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn work_step(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(id): Segment,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: StepBody = serde_json::from_slice(&body).map_err(|e| invalid("body", e))?;
    let fields = body.fields;
    let step = match body.step.as_str() {
        "study" => Step::Study { fields },
        "offer" => Step::Offer { fields },
        "plan" => Step::Plan { fields },
        "execute" => Step::Execute { fields },
        "invoice" => Step::Invoice { fields },
        "accept" | "cancel" if !fields.is_empty() => {
            return Err(invalid("fields", format!("{} keeps no fields", body.step)));
        }
        "accept" => Step::Accept,
        "cancel" => Step::Cancel,
        other => {
            return Err(invalid(
                "step",
                format!("{other:?} is not study, offer, accept, plan, execute, invoice or cancel"),
            ));
        }
    };
    let day = day(body.day.as_deref())?;
    Ok(Answer::sent(state.app.work_step(&actor, &id, step, day).await?).into_response())
}

/// Every work request: the works team's view.
#[utoipa::path(get, path = "/v1/works", security(("bearer" = [])),
    responses(
        (status = 200, description = "the requests", body = Vec<crate::schema::WorkView>),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not run works", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn list_works(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.works(&actor).await?).into_response())
}

/// One work request: for the works team or its own requester; anyone else gets 404, as for a
/// request that does not exist.
#[utoipa::path(get, path = "/v1/works/{id}", security(("bearer" = [])), params(WorkPath),
    responses(
        (status = 200, description = "the request", body = crate::schema::WorkView),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 404, description = "no request visible to the caller with this id", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn show_work(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(id): Segment,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.work(&actor, &id).await?).into_response())
}

/// A closed request's asset record: its technical data, and the network user's name and
/// contract date read from the register as it is viewed. For the works team; anyone else
/// gets 404, as for no record.
#[utoipa::path(get, path = "/v1/works/{id}/asset", security(("bearer" = [])), params(WorkPath),
    responses(
        (status = 200, description = "the asset record", body = crate::schema::AssetView),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 404, description = "no closed request visible to the caller with this id", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn work_asset(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(id): Segment,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.asset_record(&actor, &id).await?).into_response())
}

/// The caller's own work requests and their state.
#[utoipa::path(get, path = "/v1/me/works", security(("bearer" = [])),
    responses(
        (status = 200, description = "the caller's requests", body = Vec<crate::schema::WorkView>),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role files no work requests", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn own_works(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.own_works(&actor).await?).into_response())
}

/// Runs the retention schedule: `{"day"?}` (default today). Purges the personal data whose
/// time is up, each with its legal basis.
#[utoipa::path(post, path = "/v1/works/retention", security(("bearer" = [])),
    request_body(content = crate::schema::DailyRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "what was purged", body = crate::schema::RetentionReport),
        (status = 400, description = "a malformed day, or one after today", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not run works", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn works_retention(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        day: Option<String>,
    }
    let body: Body = if body.is_empty() {
        Body { day: None }
    } else {
        serde_json::from_slice(&body).map_err(|e| invalid("body", e))?
    };
    let day = day(body.day.as_deref())?;
    Ok(Answer::sent(state.app.works_retention(&actor, day).await?).into_response())
}
