//! Written mandates over HTTP (R5): the register team records and revokes them; the ethics
//! committee and the register team list them. What a mandate opens is read through the usual
//! routes (`/v1/access-points/{ean}`, `/consumption`, `/readings`), clipped by the gate.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::Period;
use domain::mandate::{Mandate, Scope};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use crate::answer::Answer;
use crate::extract::{Caller, Segment};
use crate::{ApiError, State as AppState};

/// A mandate as posted.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MandateBody {
    customer: String,
    mandated: String,
    eans: Vec<String>,
    scopes: Vec<String>,
    from: String,
    to: Option<String>,
    document: String,
}

fn invalid(field: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::invalid("invalid_body", format!("{field}: {e}"))
}

/// Records a customer's written mandate: `{"customer", "mandated", "eans": […], "scopes":
/// ["register" | "consumption"], "from", "to"?, "document"}`, the period as RFC 3339 instants.
/// The mandated party (a third party, or a supplier) then reads exactly that, inside the
/// customer's own occupancies, until it is revoked.
#[utoipa::path(post, path = "/v1/mandates", security(("bearer" = [])),
    request_body(content = crate::schema::MandateRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "recorded: the mandate's id", body = crate::schema::MandateRecorded),
        (status = 400, description = "malformed, or refused (an access point the customer never occupied, wrong kinds of party): the message names the field", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not record mandates", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn record_mandate(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: MandateBody =
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid("invalid_body", format!("body: {e}")))?;
    let eans =
        body.eans.iter().map(|t| t.parse().map_err(|e| invalid("eans", e))).collect::<Result<Vec<_>, _>>()?;
    let scopes = body
        .scopes
        .iter()
        .map(|t| {
            Scope::parse(t).ok_or_else(|| invalid("scopes", format!("{t:?} is not register or consumption")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let instant =
        |field: &str, text: &str| domain::instant::parse_rfc3339(text).map_err(|e| invalid(field, e));
    let from = instant("from", &body.from)?;
    let to = body.to.as_deref().map(|t| instant("to", t)).transpose()?;
    let period = Period::new(from, to).map_err(|e| invalid("to", e))?;
    let mandate = Mandate {
        customer: body.customer.parse().map_err(|e| invalid("customer", e))?,
        mandated: body.mandated.parse().map_err(|e| invalid("mandated", e))?,
        eans,
        scopes,
        period,
        document: body.document,
    };
    let id = state.app.record_mandate(&actor, mandate).await?;
    Ok((StatusCode::CREATED, Json(json!({ "mandate": id })).into_response()).into_response())
}

/// A mandate's id in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct MandatePath {
    /// The mandate's id, as its recording answered it.
    #[param(pattern = "^mdt_[0-9a-f]{16}$")]
    #[allow(dead_code)]
    mandate: String,
}

/// Revokes a mandate: from the next request on, it opens nothing.
#[utoipa::path(post, path = "/v1/mandates/{mandate}/revoke", security(("bearer" = [])), params(MandatePath),
    responses(
        (status = 200, description = "revoked", body = crate::schema::MandateRecorded),
        (status = 400, description = "no mandate in force has this id", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not revoke mandates", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn revoke_mandate(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(id): Segment,
) -> Result<Response, ApiError> {
    state.app.revoke_mandate(&actor, &id).await?;
    Ok(Json(json!({ "mandate": id })).into_response())
}

/// Every mandate on record, revoked ones with their revocation: for the register team and the
/// ethics committee.
#[utoipa::path(get, path = "/v1/mandates", security(("bearer" = [])),
    responses(
        (status = 200, description = "the mandates", body = Vec<crate::schema::MandateView>),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not review mandates", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn list_mandates(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.mandates(&actor).await?).into_response())
}
