//! Research, consents and aggregates over HTTP (R14): a network user gives, lists and
//! withdraws their consents and files requests about their data; the data protection office
//! keeps agreements, makes extracts and answers requests; a research partner reads its own
//! extracts; any role reads aggregates, protected by disclosure control.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::consent::{Agreement, Category, Collection, ConsentTerms};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::answer::Answer;
use crate::extract::{Caller, Params, Segment};
use crate::metering::parse_day;
use crate::{ApiError, State as AppState};

fn invalid(field: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::invalid("invalid_body", format!("{field}: {e}"))
}

fn categories(texts: &[String]) -> Result<Vec<Category>, ApiError> {
    texts
        .iter()
        .map(|t| Category::parse("categories", t).map_err(|e| invalid("categories", e.reason)))
        .collect()
}

/// A consent as given.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsentBody {
    purposes: Vec<String>,
    categories: Vec<String>,
    partners: Vec<String>,
    from: String,
    to: String,
}

/// Gives a consent: `{"purposes", "categories", "partners", "from", "to"}` (days inclusive).
/// Answers its receipt, in the Kantara consent-receipt shape.
#[utoipa::path(post, path = "/v1/me/consents", security(("bearer" = [])),
    request_body(content = crate::schema::ConsentGiven, content_type = "application/json"),
    responses(
        (status = 201, description = "given; its receipt", body = crate::schema::ConsentView),
        (status = 400, description = "malformed, or refused by a rule (an end before the start, a partner that is not a research partner): the message names the field", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role gives no consents", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn give_consent(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: ConsentBody = serde_json::from_slice(&body).map_err(|e| invalid("body", e))?;
    let partners = body
        .partners
        .iter()
        .map(|p| p.parse().map_err(|e| invalid("partners", e)))
        .collect::<Result<Vec<_>, _>>()?;
    let terms = ConsentTerms {
        purposes: body.purposes,
        categories: categories(&body.categories)?,
        partners,
        from: parse_day("from", &body.from)?,
        to: parse_day("to", &body.to)?,
        collection: Collection::Online,
    };
    Ok(Answer::sent(state.app.give_consent(&actor, terms).await?).with_status(StatusCode::CREATED))
}

/// The caller's own consents, withdrawn ones included, with their receipts.
#[utoipa::path(get, path = "/v1/me/consents", security(("bearer" = [])),
    responses(
        (status = 200, description = "the caller's consents", body = Vec<crate::schema::ConsentView>),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role gives no consents", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn own_consents(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.own_consents(&actor).await?).into_response())
}

/// A consent's receipt id in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct ConsentPath {
    /// The receipt's id.
    #[param(pattern = "^cr_[0-9a-f]{16}$")]
    #[allow(dead_code)]
    id: String,
}

/// Withdraws one of the caller's consents: as easy as giving it (GDPR art. 7(3)); it takes
/// effect at the next extract.
#[utoipa::path(post, path = "/v1/me/consents/{id}/withdraw", security(("bearer" = [])), params(ConsentPath),
    responses(
        (status = 200, description = "withdrawn; the receipt", body = crate::schema::ConsentView),
        (status = 400, description = "no consent of the caller's has this id, or it was withdrawn already", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role gives no consents", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn withdraw_consent(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(id): Segment,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.withdraw_consent(&actor, &id).await?).into_response())
}

/// A request about one's data as filed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestBody {
    kind: String,
    details: String,
}

/// Files a request about the caller's data: `{"kind": "access" | "rectification",
/// "details"}`; its answer is due one month later.
#[utoipa::path(post, path = "/v1/me/subject-requests", security(("bearer" = [])),
    request_body(content = crate::schema::SubjectRequestFiled, content_type = "application/json"),
    responses(
        (status = 201, description = "filed", body = crate::schema::SubjectRequestView),
        (status = 400, description = "malformed, or an unknown kind: the message names the field", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role files no such requests", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn file_subject_request(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: RequestBody = serde_json::from_slice(&body).map_err(|e| invalid("body", e))?;
    let sent = state.app.file_subject_request(&actor, &body.kind, &body.details).await?;
    Ok(Answer::sent(sent).with_status(StatusCode::CREATED))
}

/// The caller's own requests and their answers.
#[utoipa::path(get, path = "/v1/me/subject-requests", security(("bearer" = [])),
    responses(
        (status = 200, description = "the caller's requests", body = Vec<crate::schema::SubjectRequestView>),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role files no such requests", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn own_subject_requests(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.own_subject_requests(&actor).await?).into_response())
}

/// Every request, the overdue ones marked: the data protection office's queue.
#[utoipa::path(get, path = "/v1/subject-requests", security(("bearer" = [])),
    responses(
        (status = 200, description = "every request", body = Vec<crate::schema::SubjectRequestView>),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not answer requests", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn subject_requests(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.subject_requests(&actor).await?).into_response())
}

/// An answer as given.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    outcome: String,
    note: String,
}

/// A request's id in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct RequestPath {
    /// The request's id.
    #[param(pattern = "^dsr_[0-9a-f]{16}$")]
    #[allow(dead_code)]
    id: String,
}

/// Answers a request: `{"outcome": "done" | "refused", "note"}`; an access request answered
/// `done` carries everything held about the subject, with their access log.
#[utoipa::path(post, path = "/v1/subject-requests/{id}/answer", security(("bearer" = [])), params(RequestPath),
    request_body(content = crate::schema::SubjectAnswerGiven, content_type = "application/json"),
    responses(
        (status = 200, description = "answered", body = crate::schema::SubjectRequestView),
        (status = 400, description = "malformed, an unknown request, or answered already: the message names the field", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not answer requests", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn answer_subject_request(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(id): Segment,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: AnswerBody = serde_json::from_slice(&body).map_err(|e| invalid("body", e))?;
    Ok(Answer::sent(state.app.answer_subject_request(&actor, &id, &body.outcome, &body.note).await?)
        .into_response())
}

/// An agreement as recorded.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgreementBody {
    partner: String,
    reference: String,
    purposes: Vec<String>,
    categories: Vec<String>,
    #[serde(default)]
    substations: Vec<String>,
    from: String,
    to: String,
}

/// Records a research partner's agreement: `{"partner", "reference", "purposes",
/// "categories", "substations"?, "from", "to"}`.
#[utoipa::path(post, path = "/v1/research/agreements", security(("bearer" = [])),
    request_body(content = crate::schema::AgreementGiven, content_type = "application/json"),
    responses(
        (status = 201, description = "recorded", body = crate::schema::StoredAgreement),
        (status = 400, description = "malformed, or refused by a rule: the message names the field", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role keeps no agreements", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn record_agreement(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: AgreementBody = serde_json::from_slice(&body).map_err(|e| invalid("body", e))?;
    let agreement = Agreement {
        partner: body.partner.parse().map_err(|e| invalid("partner", e))?,
        reference: body.reference,
        purposes: body.purposes,
        categories: categories(&body.categories)?,
        substations: body
            .substations
            .iter()
            .map(|s| s.parse().map_err(|e| invalid("substations", e)))
            .collect::<Result<Vec<_>, _>>()?,
        from: parse_day("from", &body.from)?,
        to: parse_day("to", &body.to)?,
    };
    Ok(Answer::sent(state.app.record_agreement(&actor, agreement).await?).with_status(StatusCode::CREATED))
}

/// An extract asked for.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtractBody {
    agreement: String,
    purpose: String,
    category: String,
}

/// Makes an extract under an agreement: `{"agreement", "purpose", "category"}`; only
/// participants consenting now, under pseudonyms of the partner's own.
#[utoipa::path(post, path = "/v1/research/extracts", security(("bearer" = [])),
    request_body(content = crate::schema::ExtractAsked, content_type = "application/json"),
    responses(
        (status = 201, description = "made", body = crate::schema::ExtractMeta),
        (status = 400, description = "malformed, or refused by a rule (no such agreement, a purpose or category it does not allow): the message names the field", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role makes no extracts", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn make_extract(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: ExtractBody = serde_json::from_slice(&body).map_err(|e| invalid("body", e))?;
    let sent = state.app.make_extract(&actor, &body.agreement, &body.purpose, &body.category).await?;
    Ok(Answer::sent(sent).with_status(StatusCode::CREATED))
}

/// The extracts: all of them for the office, a research partner's own for a researcher.
#[utoipa::path(get, path = "/v1/research/extracts", security(("bearer" = [])),
    responses(
        (status = 200, description = "the extracts", body = Vec<crate::schema::ExtractMeta>),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role reads no extracts", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn list_extracts(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.extracts(&actor).await?).into_response())
}

/// An extract's id in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct ExtractPath {
    /// The extract's id.
    #[param(pattern = "^ext_[0-9a-f]{16}$")]
    #[allow(dead_code)]
    id: String,
}

/// One extract with its CSV: a research partner's own; 404 for anyone else, as for none.
#[utoipa::path(get, path = "/v1/research/extracts/{id}", security(("bearer" = [])), params(ExtractPath),
    responses(
        (status = 200, description = "the extract", body = crate::schema::ExtractView),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 404, description = "no extract visible to the caller with this id", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn show_extract(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(id): Segment,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.extract(&actor, &id).await?).into_response())
}

/// The level and granularity of an aggregate in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct AggregatePath {
    /// `substation` or `municipality`.
    #[param(pattern = "^(substation|municipality)$")]
    #[allow(dead_code)]
    level: String,
    /// `month`, `day` or `hour`.
    #[param(pattern = "^(month|day|hour)$")]
    #[allow(dead_code)]
    granularity: String,
}

/// The days and the disclosure rules of an aggregate.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AggregateQueryParams {
    /// The first local day, YYYY-MM-DD.
    #[param(format = Date)]
    from: String,
    /// The last local day, YYYY-MM-DD (inclusive); at most 31 days by hour, 366 by day.
    #[param(format = Date)]
    to: String,
    /// The fewest access points a published cell sums (default 15).
    #[param(minimum = 1)]
    min_points: Option<u32>,
    /// The largest share of one point in a published cell, percent (default 15).
    #[param(minimum = 1, maximum = 100)]
    max_share: Option<u32>,
    /// Applies the p% rule with this p (off by default).
    #[param(minimum = 1, maximum = 100)]
    p_percent: Option<u32>,
}

/// Consumption per substation or municipality, per month, day or hour, with disclosure
/// control: a cell with too few points or one dominant point is withheld, and so is any cell
/// that would let it be recomputed from the totals. Open to every role: no personal data.
#[utoipa::path(get, path = "/v1/aggregates/{level}/{granularity}", security(("bearer" = [])),
    params(AggregatePath, AggregateQueryParams),
    responses(
        (status = 200, description = "the protected table", body = crate::schema::AggregateTable),
        (status = 400, description = "a level, granularity or period that does not exist, or rules out of bounds: the message names it", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn aggregates(
    State(state): State<AppState>,
    Caller(actor): Caller,
    path: Result<axum::extract::Path<(String, String)>, axum::extract::rejection::PathRejection>,
    Params(q): Params<AggregateQueryParams>,
) -> Result<Response, ApiError> {
    // axum's own rejection is plain text; every answer of this API is JSON.
    let axum::extract::Path((level, granularity)) = path
        .map_err(|e| ApiError::invalid("invalid_path", format!("level or granularity: {}", e.body_text())))?;
    let from = parse_day("from", &q.from)?;
    let to = parse_day("to", &q.to)?;
    let query =
        app::AggregateQuery::new(&level, &granularity, from, to, q.min_points, q.max_share, q.p_percent)?;
    Ok(Answer::sent(state.app.aggregates(&actor, &query).await?).into_response())
}
