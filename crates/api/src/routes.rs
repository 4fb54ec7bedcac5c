//! Routes and handlers: parse, authenticate, call one use case, shape the JSON.
//!
//! Each handler carries its OpenAPI description (`#[utoipa::path]`) and is routed only through
//! `routes!`, which registers the route and its description together: `/openapi.json` is
//! generated from these annotations, so a route cannot exist undocumented (the integration
//! tests check that no route is added another way).

use app::{ConsistencyProofView, HeadView, InclusionProofView, JournalQuery};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use domain::Ean;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::{
    __path_access_requests, __path_break_glass_report, __path_decide_access_request, __path_open_break_glass,
    __path_request_access, access_requests, break_glass_report, decide_access_request, open_break_glass,
    request_access,
};
use crate::answer::Answer;
use crate::contact::{
    __path_case_step, __path_contact_report, __path_interaction_event, __path_list_cases,
    __path_load_contact_config, __path_load_directory, __path_open_case, __path_record_shift,
    __path_route_interaction, __path_screen_pop, __path_show_contact_config, __path_show_interaction,
    case_step, contact_report, interaction_event, list_cases, load_contact_config, load_directory, open_case,
    record_shift, route_interaction, screen_pop, show_contact_config, show_interaction,
};
use crate::documents::{__path_consumption_history, consumption_history};
use crate::extract::{Caller, EanPath, Params, Secret, Segment, request_id};
use crate::mandates::{
    __path_list_mandates, __path_record_mandate, __path_revoke_mandate, list_mandates, record_mandate,
    revoke_mandate,
};
use crate::market::{
    __path_acknowledge_message, __path_cancel_scenario, __path_peek_messages, __path_report_placement,
    __path_show_scenario, __path_submit_scenario, acknowledge_message, cancel_scenario, peek_messages,
    report_placement, show_scenario, submit_scenario,
};
use crate::metering::{
    __path_assign_route, __path_consumption, __path_decide_finding, __path_index_readings,
    __path_post_index_readings, __path_post_readings, __path_post_route_reading, __path_route,
    __path_validation_queue, assign_route, consumption, decide_finding, index_readings, post_index_readings,
    post_readings, post_route_reading, route, validation_queue,
};
use crate::producers::{
    __path_connection_command, __path_connection_queues, __path_connections_audit, __path_connections_daily,
    __path_own_connections, connection_command, connection_queues, connections_audit, connections_daily,
    own_connections,
};
use crate::research::{
    __path_aggregates, __path_answer_subject_request, __path_file_subject_request, __path_give_consent,
    __path_list_extracts, __path_make_extract, __path_own_consents, __path_own_subject_requests,
    __path_record_agreement, __path_show_extract, __path_subject_requests, __path_withdraw_consent,
    aggregates, answer_subject_request, file_subject_request, give_consent, list_extracts, make_extract,
    own_consents, own_subject_requests, record_agreement, show_extract, subject_requests, withdraw_consent,
};
use crate::schema;
use crate::works::{
    __path_capture_work, __path_list_works, __path_own_works, __path_show_work, __path_work_asset,
    __path_work_step, __path_works_retention, capture_work, list_works, own_works, show_work, work_asset,
    work_step, works_retention,
};
use crate::{ApiError, State as AppState};

/// The document's frame: what no single route says.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Cloison",
        description = "The access register of a distribution grid operator: every answer clipped to what the caller may see, every access journaled.",
    ),
    modifiers(&BearerScheme),
    components(schemas(schema::Error)),
)]
struct Frame;

/// Declares the `bearer` security scheme the authenticated routes name.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every route with its description; the only way routes are added.
pub fn routes() -> OpenApiRouter<AppState> {
    let mut routes = OpenApiRouter::with_openapi(Frame::openapi())
        .routes(routes!(healthz))
        .routes(routes!(metrics))
        .routes(routes!(openapi))
        .routes(routes!(me))
        .routes(routes!(access_log))
        .routes(routes!(access_point))
        .routes(routes!(history))
        .routes(routes!(journal_head))
        .routes(routes!(journal_checkpoint))
        .routes(routes!(inclusion))
        .routes(routes!(consistency))
        .routes(routes!(entries))
        .routes(routes!(submit_scenario, show_scenario))
        .routes(routes!(cancel_scenario))
        .routes(routes!(report_placement))
        .routes(routes!(peek_messages))
        .routes(routes!(acknowledge_message))
        .routes(routes!(consumption))
        .routes(routes!(post_readings))
        .routes(routes!(validation_queue))
        .routes(routes!(decide_finding))
        .routes(routes!(index_readings))
        .routes(routes!(post_index_readings))
        .routes(routes!(route))
        .routes(routes!(post_route_reading))
        .routes(routes!(assign_route))
        .routes(routes!(record_mandate, list_mandates))
        .routes(routes!(revoke_mandate))
        .routes(routes!(request_access, access_requests))
        .routes(routes!(decide_access_request))
        .routes(routes!(open_break_glass, break_glass_report))
        .routes(routes!(consumption_history))
        .routes(routes!(connection_queues))
        .routes(routes!(connection_command))
        .routes(routes!(connections_daily))
        .routes(routes!(own_connections))
        .routes(routes!(connections_audit))
        .routes(routes!(capture_work, list_works))
        .routes(routes!(show_work))
        .routes(routes!(work_step))
        .routes(routes!(work_asset))
        .routes(routes!(own_works))
        .routes(routes!(works_retention))
        .routes(routes!(give_consent, own_consents))
        .routes(routes!(withdraw_consent))
        .routes(routes!(file_subject_request, own_subject_requests))
        .routes(routes!(subject_requests))
        .routes(routes!(answer_subject_request))
        .routes(routes!(record_agreement))
        .routes(routes!(make_extract, list_extracts))
        .routes(routes!(show_extract))
        .routes(routes!(aggregates))
        .routes(routes!(load_contact_config, show_contact_config))
        .routes(routes!(route_interaction))
        .routes(routes!(show_interaction))
        .routes(routes!(interaction_event))
        .routes(routes!(screen_pop))
        .routes(routes!(open_case, list_cases))
        .routes(routes!(case_step))
        .routes(routes!(load_directory))
        .routes(routes!(contact_report))
        .routes(routes!(record_shift));
    schema::add_layer_errors(routes.get_openapi_mut());
    routes
}

/// The answer for a path no route matches: JSON like every other error.
pub async fn no_route() -> ApiError {
    ApiError::no_route()
}

fn parse_ean(text: &str) -> Result<Ean, ApiError> {
    text.parse().map_err(|e| ApiError::invalid("invalid_ean", format!("ean: {e}")))
}

/// An instant parameter: RFC 3339 only, by the rules the CLI shares (`domain::instant`), so an
/// offset beyond ±23:59 or a year outside 0001–9999 is refused here and never echoed back.
fn parse_instant(name: &str, text: &str) -> Result<Timestamp, ApiError> {
    domain::instant::parse_rfc3339(text)
        .map_err(|e| ApiError::invalid("invalid_instant", format!("{name}: {e}")))
}

/// Liveness: answers while the server runs.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "alive", body = schema::Health)))]
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Prometheus metrics, labelled by route template only (R10).
#[utoipa::path(get, path = "/metrics",
    responses((status = 200, description = "the text exposition format", body = String, content_type = "text/plain")))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}

/// This document.
#[utoipa::path(get, path = "/openapi.json",
    responses((status = 200, description = "the OpenAPI document", body = Object)))]
async fn openapi(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], state.openapi.as_str().to_owned())
}

/// Who the caller is, and for customers and suppliers their access points.
#[utoipa::path(get, path = "/v1/me", security(("bearer" = [])),
    responses(
        (status = 200, description = "the caller", body = schema::Me),
        (status = 401, description = "no valid bearer token", body = schema::Error),
        (status = 429, description = "too many requests", body = schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = schema::Error)))]
async fn me(State(state): State<AppState>, Caller(actor): Caller) -> Result<Answer, ApiError> {
    Ok(Answer::sent(state.app.me(&actor).await?))
}

/// Parameters of the access log.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AccessLogParams {
    /// Accesses at or after this instant.
    #[param(format = DateTime)]
    from: Option<String>,
    /// Accesses before this instant; after `from`.
    #[param(format = DateTime)]
    to: Option<String>,
    /// The `next` of the previous page.
    #[param(minimum = 0, maximum = 9_223_372_036_854_775_807_i64)]
    after: Option<u64>,
    /// Journal entries per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// The caller's access log: who accessed the data of the access points they occupy, when and
/// why, inside their occupancy periods only (R4, R7). Customers only.
#[utoipa::path(get, path = "/v1/me/access-log", security(("bearer" = [])), params(AccessLogParams),
    responses(
        (status = 200, description = "a page of the access log, oldest first", body = schema::AccessLog),
        (status = 400, description = "a parameter is malformed; the message names it", body = schema::Error),
        (status = 401, description = "no valid bearer token", body = schema::Error),
        (status = 403, description = "the role may not use this at all", body = schema::Error),
        (status = 429, description = "too many requests", body = schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = schema::Error)))]
async fn access_log(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Params(q): Params<AccessLogParams>,
) -> Result<Answer, ApiError> {
    let query = app::AccessLogQuery::new(
        q.from.as_deref().map(|t| parse_instant("from", t)).transpose()?,
        q.to.as_deref().map(|t| parse_instant("to", t)).transpose()?,
        q.after,
        q.limit.unwrap_or(100),
    )?;
    Ok(Answer::sent(state.app.access_log(&actor, &query).await?))
}

/// The instant asked about.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AtQuery {
    /// RFC 3339 instant; now when absent.
    #[param(format = DateTime)]
    at: Option<String>,
}

/// An access point at an instant, clipped to what the caller may see (R1, R4, R6, I3).
#[utoipa::path(get, path = "/v1/access-points/{ean}", security(("bearer" = [])), params(EanPath, AtQuery),
    responses(
        (status = 200, description = "the access point as the caller may see it", body = schema::AccessPoint),
        (status = 400, description = "a parameter is malformed; the message names it", body = schema::Error),
        (status = 401, description = "no valid bearer token", body = schema::Error),
        (status = 404, description = "not there, or not visible to the caller: one answer for both (I5)", body = schema::Error),
        (status = 429, description = "too many requests", body = schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = schema::Error)))]
async fn access_point(
    State(state): State<AppState>,
    Secret(secret): Secret,
    ean: Result<Segment, ApiError>,
    query: Result<Params<AtQuery>, ApiError>,
) -> Result<Answer, ApiError> {
    // The token is checked with the data, in one snapshot (`Cloison::access_point_at_bearer`),
    // rather than first on its own as `Caller` does: the busiest route reads the database
    // once per request. A malformed path or query is still answered as on every other route:
    // unauthenticated first if the token is not valid, else the parameter's error.
    let parsed = ean.and_then(|Segment(ean)| parse_ean(&ean)).and_then(|ean| {
        let Params(query) = query?;
        let at = match query.at.as_deref() {
            Some(text) => parse_instant("at", text)?,
            None => Timestamp::now(),
        };
        Ok((ean, at))
    });
    let (ean, at) = match parsed {
        Ok(asked) => asked,
        Err(refusal) => {
            Secret::authenticate(&secret, &state).await?;
            return Err(refusal);
        }
    };
    match state.app.access_point_at_bearer(&secret, &request_id(), ean, at).await? {
        Some(sent) => Ok(Answer::sent(sent)),
        None => Err(ApiError::unauthenticated()),
    }
}

/// The history of an access point, each record clipped to what the caller may see.
#[utoipa::path(get, path = "/v1/access-points/{ean}/history", security(("bearer" = [])), params(EanPath),
    responses(
        (status = 200, description = "the clipped history", body = schema::History),
        (status = 400, description = "a parameter is malformed; the message names it", body = schema::Error),
        (status = 401, description = "no valid bearer token", body = schema::Error),
        (status = 404, description = "not there, or not visible to the caller: one answer for both (I5)", body = schema::Error),
        (status = 429, description = "too many requests", body = schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = schema::Error)))]
async fn history(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(ean): Segment,
) -> Result<Answer, ApiError> {
    let ean = parse_ean(&ean)?;
    Ok(Answer::sent(state.app.access_point_history(&actor, ean).await?))
}

/// The signed head of the journal: hashes only, public (R7).
#[utoipa::path(get, path = "/v1/journal/head",
    responses(
        (status = 200, description = "the signed tree head", body = schema::Head),
        (status = 429, description = "too many requests", body = schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = schema::Error)))]
async fn journal_head(State(state): State<AppState>) -> Result<Answer, ApiError> {
    let head = state.app.journal_head().await?;
    Answer::of(&HeadView::new(&head, &state.app.journal_public_key()))
}

/// The signed head as a C2SP `tlog-checkpoint` signed note, for transparency-log tools and
/// witnesses: hashes only, public (R7). Once witnesses have cosigned a checkpoint, that one is
/// served with their cosignature lines after the journal's own signature.
#[utoipa::path(get, path = "/v1/journal/checkpoint",
    responses(
        (status = 200, description = "the checkpoint: origin, size and base64 root lines, a blank line, then `— <origin> <base64(key id ‖ Ed25519 signature)>` (c2sp.org/signed-note). When `cloison serve` is configured with witnesses, the latest checkpoint they cosigned (it may trail the head by the witnesses' round trip, a few seconds), followed by one `— <witness name> <base64(key id ‖ u64 time ‖ Ed25519 signature)>` line per witness (c2sp.org/tlog-cosignature, cosignature/v1); until one has, the current head's", body = String, content_type = "text/plain; charset=utf-8"),
        (status = 429, description = "too many requests", body = schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = schema::Error)))]
async fn journal_checkpoint(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let note = state.app.journal_published_checkpoint().await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note))
}

/// Which entry, in which tree.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct InclusionQuery {
    /// The entry's index; below `size`.
    #[param(minimum = 0)]
    index: u64,
    /// The tree's size; the current head's when absent.
    #[param(minimum = 0)]
    size: Option<u64>,
}

/// Inclusion proof of one entry (public, hashes only).
#[utoipa::path(get, path = "/v1/journal/proofs/inclusion", params(InclusionQuery),
    responses(
        (status = 200, description = "the proof", body = schema::InclusionProof),
        (status = 400, description = "a parameter is malformed; the message names it", body = schema::Error),
        (status = 429, description = "too many requests", body = schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = schema::Error)))]
async fn inclusion(
    State(state): State<AppState>,
    Params(q): Params<InclusionQuery>,
) -> Result<Answer, ApiError> {
    let head = state.app.journal_head().await?;
    let size = q.size.unwrap_or(head.head.size);
    if size > head.head.size || q.index >= size {
        return Err(ApiError::invalid(
            "invalid_range",
            format!("index must be below size, and size at most {}", head.head.size),
        ));
    }
    let hashes = state.app.journal_inclusion_proof(q.index, size).await?;
    let root = state.app.journal_root(size).await?;
    Answer::of(&InclusionProofView { index: q.index, size, hashes, root })
}

/// Which two sizes.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ConsistencyQuery {
    /// The older size; at most `new`.
    #[param(minimum = 0)]
    old: u64,
    /// The newer size; the current head's when absent.
    #[param(minimum = 0)]
    new: Option<u64>,
}

/// Consistency proof between two sizes of the journal (public, hashes only).
#[utoipa::path(get, path = "/v1/journal/proofs/consistency", params(ConsistencyQuery),
    responses(
        (status = 200, description = "the proof", body = schema::ConsistencyProof),
        (status = 400, description = "a parameter is malformed; the message names it", body = schema::Error),
        (status = 429, description = "too many requests", body = schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = schema::Error)))]
async fn consistency(
    State(state): State<AppState>,
    Params(q): Params<ConsistencyQuery>,
) -> Result<Answer, ApiError> {
    let head = state.app.journal_head().await?;
    let new = q.new.unwrap_or(head.head.size);
    if new > head.head.size || q.old > new {
        return Err(ApiError::invalid(
            "invalid_range",
            format!("old must not exceed new, and new at most {}", head.head.size),
        ));
    }
    let hashes = state.app.journal_consistency_proof(q.old, new).await?;
    let old_root = state.app.journal_root(q.old).await?;
    let new_root = state.app.journal_root(new).await?;
    Answer::of(&ConsistencyProofView { old: q.old, new, hashes, old_root, new_root })
}

/// What the auditors' search filters on.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct EntriesQuery {
    /// An EAN or party id the entry is about.
    subject: Option<String>,
    /// The acting party's id.
    actor: Option<String>,
    /// Entries at or after this instant.
    #[param(format = DateTime)]
    from: Option<String>,
    /// Entries before this instant.
    #[param(format = DateTime)]
    to: Option<String>,
    /// At most this many (clamped to 1..=10000; default 100).
    limit: Option<i64>,
}

/// Journal entries, for the ethics committee only; the search is itself journaled.
#[utoipa::path(get, path = "/v1/journal/entries", security(("bearer" = [])), params(EntriesQuery),
    responses(
        (status = 200, description = "entries, oldest first", body = Vec<schema::StoredEntry>),
        (status = 400, description = "a parameter is malformed; the message names it", body = schema::Error),
        (status = 401, description = "no valid bearer token", body = schema::Error),
        (status = 403, description = "the role may not use this at all", body = schema::Error),
        (status = 429, description = "too many requests", body = schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = schema::Error)))]
async fn entries(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Params(q): Params<EntriesQuery>,
) -> Result<Answer, ApiError> {
    let query = JournalQuery {
        subject: q.subject,
        actor: q.actor,
        from: q.from.as_deref().map(|t| parse_instant("from", t)).transpose()?,
        to: q.to.as_deref().map(|t| parse_instant("to", t)).transpose()?,
        limit: q.limit.unwrap_or(100).clamp(1, 10_000),
    };
    Ok(Answer::sent(state.app.journal_search(&actor, &query).await?))
}
