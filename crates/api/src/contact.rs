//! The contact center over HTTP (R12): its configuration, routing, the screen pop, the
//! interactions' history, cases, directory loads and each principal's report. The principal
//! always comes from the entry point, the interaction or the case; an operator asking about
//! another principal's interaction or case gets 404, as for one that does not exist.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::answer::Answer;
use crate::extract::{Caller, Params, Segment};
use crate::{ApiError, State as AppState};

fn invalid(field: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::invalid("invalid_body", format!("{field}: {e}"))
}

fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| invalid("body", e))
}

/// A configuration to load.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigBody {
    config: String,
}

/// Loads a new version of the contact center's configuration: `{"config": "<TOML text>"}`.
/// It is checked as a whole first: a rule routing to another principal's queue, an entry
/// point with two owners, an operator with incompatible skills, a number that is not E.164
/// or a rule that does not parse is refused with the reason and its position, and nothing is
/// loaded.
#[utoipa::path(post, path = "/v1/contact/config", security(("bearer" = [])),
    request_body(content = crate::schema::ContactConfigBody, content_type = "application/json"),
    responses(
        (status = 201, description = "loaded", body = crate::schema::ContactConfigView),
        (status = 400, description = "malformed, or refused: the message names the rule, the principals and the position", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not configure the contact center", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn load_contact_config(
    State(state): State<AppState>,
    Caller(actor): Caller,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let body: ConfigBody = body(&bytes)?;
    let sent = state.app.load_contact_config(&actor, &body.config).await?;
    Ok(Answer::sent(sent).with_status(StatusCode::CREATED))
}

/// The configuration in force: its version, digest and principals.
#[utoipa::path(get, path = "/v1/contact/config", security(("bearer" = [])),
    responses(
        (status = 200, description = "the configuration", body = crate::schema::ContactConfigView),
        (status = 400, description = "no configuration is loaded", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not read the configuration", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn show_contact_config(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.contact_config_view(&actor).await?).into_response())
}

/// A new interaction as posted.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteBody {
    channel: String,
    entry: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    caller: Option<String>,
    identifier: Option<String>,
    at: Option<i64>,
    #[serde(default)]
    available: BTreeSet<String>,
}

/// Routes a new interaction: the entry point picks the principal, its rules pick the queues
/// in turn, and the operators `available` now with the queue's skills are eligible; the
/// caller's number or the captured identifier is looked up in that principal's directory
/// only. Recorded with references, never the number.
#[utoipa::path(post, path = "/v1/contact/interactions", security(("bearer" = [])),
    request_body(content = crate::schema::NewInteraction, content_type = "application/json"),
    responses(
        (status = 201, description = "routed and recorded", body = crate::schema::RoutedView),
        (status = 400, description = "malformed, an unknown entry point, a number that is not E.164, or no configuration", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the caller is no operator of the entry point's principal", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn route_interaction(
    State(state): State<AppState>,
    Caller(actor): Caller,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let body: RouteBody = body(&bytes)?;
    let new = app::NewInteraction {
        channel: body.channel,
        entry: body.entry,
        attributes: body.attributes,
        caller: body.caller,
        identifier: body.identifier,
        at: body.at,
    };
    let sent = state.app.route_interaction(&actor, &new, &body.available).await?;
    Ok(Answer::sent(sent).with_status(StatusCode::CREATED))
}

/// An interaction's or a case's id in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct ContactPath {
    /// The id, as its creation answered it.
    #[param(pattern = "^(int|case)_[0-9a-f]{16}$")]
    #[allow(dead_code)]
    id: String,
}

/// An interaction: references and history. For its principal's operators; 404 to anyone
/// else, as for one that does not exist.
#[utoipa::path(get, path = "/v1/contact/interactions/{id}", security(("bearer" = [])), params(ContactPath),
    responses(
        (status = 200, description = "the interaction", body = crate::schema::InteractionView),
        (status = 400, description = "no configuration is loaded", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 404, description = "no interaction visible to the caller with this id", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn show_interaction(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(id): Segment,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.contact_interaction(&actor, &id).await?).into_response())
}

/// An event as posted.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventBody {
    kind: String,
    at: Option<i64>,
    queue: Option<String>,
    wrap_seconds: Option<u32>,
}

/// Records what happened to an interaction: `answered`, `transferred` (to a queue of the same
/// principal, carrying the context), `ended` (with its after-call work) or `abandoned`.
#[utoipa::path(post, path = "/v1/contact/interactions/{id}/events", security(("bearer" = [])), params(ContactPath),
    request_body(content = crate::schema::InteractionEvent, content_type = "application/json"),
    responses(
        (status = 200, description = "the interaction after the event", body = crate::schema::InteractionView),
        (status = 400, description = "malformed, out of order, or a transfer to another principal's queue", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 404, description = "no interaction visible to the caller with this id", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn interaction_event(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(id): Segment,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let body: EventBody = body(&bytes)?;
    let event = app::InteractionEvent {
        kind: body.kind,
        at: body.at,
        queue: body.queue,
        wrap_seconds: body.wrap_seconds,
    };
    Ok(Answer::sent(state.app.interaction_event(&actor, &id, &event).await?).into_response())
}

/// A screen pop as asked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScreenBody {
    channel: String,
    entry: String,
    caller: Option<String>,
    identifier: Option<String>,
}

/// The screen pop: the entry point selects the principal; the caller's number (exact E.164,
/// never a suffix) or the identifier an IVR captured is looked up in that principal's
/// directory only; the answer is the matching customers and their open cases.
#[utoipa::path(post, path = "/v1/contact/screen-pop", security(("bearer" = [])),
    request_body(content = crate::schema::ScreenPopBody, content_type = "application/json"),
    responses(
        (status = 200, description = "the operator's screen", body = crate::schema::ScreenPop),
        (status = 400, description = "malformed, an unknown entry point, a number that is not E.164, or no configuration", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the caller is no operator of the entry point's principal", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn screen_pop(
    State(state): State<AppState>,
    Caller(actor): Caller,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let body: ScreenBody = body(&bytes)?;
    let sent = state
        .app
        .screen_pop(&actor, &body.channel, &body.entry, body.caller.as_deref(), body.identifier.as_deref())
        .await?;
    Ok(Answer::sent(sent).into_response())
}

/// A case as opened.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseBody {
    principal: String,
    customer: String,
    procedure: String,
}

/// Opens a case for a customer of the principal's directory, following one of its
/// procedures.
#[utoipa::path(post, path = "/v1/contact/cases", security(("bearer" = [])),
    request_body(content = crate::schema::CaseBody, content_type = "application/json"),
    responses(
        (status = 201, description = "opened", body = crate::schema::ContactCase),
        (status = 400, description = "malformed, an unknown principal or procedure, or a customer of no such directory", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the caller is no operator of this principal", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn open_case(
    State(state): State<AppState>,
    Caller(actor): Caller,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let body: CaseBody = body(&bytes)?;
    let sent = state.app.open_case(&actor, &body.principal, &body.customer, &body.procedure).await?;
    Ok(Answer::sent(sent).with_status(StatusCode::CREATED))
}

/// Moves a case one step on along its procedure; closed after the last.
#[utoipa::path(post, path = "/v1/contact/cases/{id}/steps", security(("bearer" = [])), params(ContactPath),
    responses(
        (status = 200, description = "the case after the step", body = crate::schema::ContactCase),
        (status = 400, description = "the case is closed, or no configuration", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 404, description = "no case visible to the caller with this id", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn case_step(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(id): Segment,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.advance_case(&actor, &id).await?).into_response())
}

/// Whose cases.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct CasesQuery {
    /// The principal.
    principal: String,
    /// The customer's reference in its directory.
    customer: String,
}

/// A customer's cases in one principal's directory.
#[utoipa::path(get, path = "/v1/contact/cases", security(("bearer" = [])), params(CasesQuery),
    responses(
        (status = 200, description = "the cases", body = Vec<crate::schema::ContactCase>),
        (status = 400, description = "malformed, or no configuration", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the caller is no operator of this principal", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn list_cases(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Params(q): Params<CasesQuery>,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.customer_cases(&actor, &q.principal, &q.customer).await?).into_response())
}

/// A directory load as posted.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectoryBody {
    principal: String,
    entries: Vec<DirectoryEntryBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectoryEntryBody {
    customer: String,
    number: String,
    name: String,
}

/// Loads customers into one principal's directory, all or nothing: names sealed, numbers
/// kept only as a blind index keyed for that principal.
#[utoipa::path(post, path = "/v1/contact/directory", security(("bearer" = [])),
    request_body(content = crate::schema::DirectoryBody, content_type = "application/json"),
    responses(
        (status = 200, description = "what the load did", body = crate::schema::DirectoryLoaded),
        (status = 400, description = "malformed, a number that is not E.164 (the line named), an unknown principal", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the caller is no supervisor of this principal", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn load_directory(
    State(state): State<AppState>,
    Caller(actor): Caller,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let body: DirectoryBody = body(&bytes)?;
    let lines = body
        .entries
        .into_iter()
        .map(|e| app::DirectoryLine { customer: e.customer, number: e.number, name: e.name })
        .collect();
    Ok(Answer::sent(state.app.load_directory(&actor, &body.principal, lines).await?).into_response())
}

/// A principal in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct PrincipalPath {
    /// The principal's id.
    #[param(pattern = "^[a-z0-9-]{1,32}$")]
    #[allow(dead_code)]
    principal: String,
}

/// A report's period.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReportQuery {
    /// The period's start, RFC 3339.
    #[param(format = DateTime)]
    from: String,
    /// The period's end (exclusive), RFC 3339.
    #[param(format = DateTime)]
    until: String,
}

/// One principal's report over a period: volumes per entry point, service level (both
/// variants), abandonment, handling and answer times, each operator's activity and
/// occupancy, and what is going on now. For that principal's supervisors and the ethics
/// committee.
#[utoipa::path(get, path = "/v1/contact/reports/{principal}", security(("bearer" = [])),
    params(PrincipalPath, ReportQuery),
    responses(
        (status = 200, description = "the report", body = crate::schema::ContactReport),
        (status = 400, description = "a malformed or empty period, an unknown principal, or no configuration", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the caller is no supervisor of this principal", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn contact_report(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(principal): Segment,
    Params(q): Params<ReportQuery>,
) -> Result<Response, ApiError> {
    let instant = |name: &str, text: &str| {
        domain::instant::parse_rfc3339(text)
            .map(|t| t.as_second())
            .map_err(|e| ApiError::invalid("invalid_instant", format!("{name}: {e}")))
    };
    let (from, until) = (instant("from", &q.from)?, instant("until", &q.until)?);
    Ok(Answer::sent(state.app.contact_report(&actor, &principal, from, until).await?).into_response())
}

/// A shift as posted.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShiftBody {
    principal: String,
    from: String,
    until: String,
}

/// Records the calling operator's shift for one principal it serves, once ended: what the
/// report's occupancy counts handling time against.
#[utoipa::path(post, path = "/v1/contact/shifts", security(("bearer" = [])),
    request_body(content = crate::schema::ShiftBody, content_type = "application/json"),
    responses(
        (status = 201, description = "recorded", body = crate::schema::Shift),
        (status = 400, description = "malformed, an empty period, a shift not yet ended, an unknown principal, or no configuration", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the caller is no operator of this principal", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn record_shift(
    State(state): State<AppState>,
    Caller(actor): Caller,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let body: ShiftBody = body(&bytes)?;
    let instant = |name: &str, text: &str| {
        domain::instant::parse_rfc3339(text)
            .map(|t| t.as_second())
            .map_err(|e| ApiError::invalid("invalid_instant", format!("{name}: {e}")))
    };
    let (from, until) = (instant("from", &body.from)?, instant("until", &body.until)?);
    let sent = state.app.record_shift(&actor, &body.principal, from, until).await?;
    Ok(Answer::sent(sent).with_status(StatusCode::CREATED))
}
