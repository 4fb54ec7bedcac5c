//! The metering routes: consumption read clipped to the caller's periods (R1, R4), readings
//! posted by the metering team's systems, and the validators' queue and decisions.
//!
//! A posted batch is judged row by row with the same parser as `cloison import readings`
//! (`domain::metering::ReadingRow`), so a row is refused over HTTP with the code a file's line
//! gets; the good rows land, the refused ones come back with their position, field and
//! reason. Posting the same rows again writes nothing.

use app::{Batch, ImportMode, PlacedRow, RefusedRow, Resolution, Verdict};
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use domain::metering::ReadingRow;
use jiff::civil::Date;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use crate::answer::Answer;
use crate::extract::{Caller, Params, Segment};
use crate::{ApiError, State as AppState};

/// The most rows one request may post: a hundred rows fit the API's 16 KiB body limit, which
/// keeps every route from buffering large bodies; a bulk load goes through
/// `cloison import readings`, which streams a file of any size.
pub(crate) const MAX_POSTED_ROWS: usize = 100;

fn json<T>(sent: app::Sent<T>) -> Response {
    Answer::sent(sent).into_response()
}

/// The span and the resolution of a consumption read.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ConsumptionQuery {
    /// The first Europe/Brussels local day, YYYY-MM-DD.
    #[param(format = Date)]
    from: String,
    /// The local day after the last one, YYYY-MM-DD; at most 366 days after `from`.
    #[param(format = Date)]
    to: String,
    /// `15m` (each interval as stored: quarter-hours for electricity, hours for gas), `1h`,
    /// `day` or `month`; `day` when absent.
    #[param(inline, pattern = "^(15m|1h|day|month)$")]
    resolution: Option<String>,
}

pub(crate) fn parse_day(name: &str, text: &str) -> Result<Date, ApiError> {
    let day: Date = text.parse().map_err(|_| {
        ApiError::invalid("invalid_day", format!("{name}: a calendar day is written YYYY-MM-DD"))
    })?;
    if !(1900..=2999).contains(&day.year()) {
        return Err(ApiError::invalid("invalid_day", format!("{name}: the year is outside 1900–2999")));
    }
    Ok(day)
}

/// An access point's consumption over local days, clipped to what the caller may see: a
/// supplier its registrations (R1), a customer their occupancies (R4); an interval outside
/// them is left out, not shown as a gap. Each value carries its local start and end with the
/// offset (the two 02:00 of October differ), its quality and how many intervals it sums.
#[utoipa::path(get, path = "/v1/access-points/{ean}/consumption", security(("bearer" = [])),
    params(crate::extract::EanPath, ConsumptionQuery),
    responses(
        (status = 200, description = "the clipped consumption", body = crate::schema::Consumption),
        (status = 400, description = "a parameter is malformed; the message names it", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 404, description = "not there, or not visible to the caller: one answer for both (I5)", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn consumption(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(ean): Segment,
    Params(q): Params<ConsumptionQuery>,
) -> Result<Response, ApiError> {
    let ean = ean.parse().map_err(|e| ApiError::invalid("invalid_ean", format!("ean: {e}")))?;
    let from = parse_day("from", &q.from)?;
    let to = parse_day("to", &q.to)?;
    let resolution = Resolution::parse(q.resolution.as_deref().unwrap_or("day"))
        .map_err(|e| ApiError::invalid("invalid_query", e.to_string()))?;
    Ok(json(state.app.consumption(&actor, ean, from, to, resolution).await?))
}

/// A posted batch of rows.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadingsBody {
    rows: Vec<Value>,
}

/// One field of a posted row as the row parser takes it: a string as is, a number in its
/// decimal form, absent or null as empty.
fn field(row: &serde_json::Map<String, Value>, name: &str) -> Result<String, String> {
    match row.get(name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(Value::Number(n)) if name == "value" => Ok(n.to_string()),
        Some(_) => Err(format!("{name} must be a string")),
    }
}

/// One posted row, judged: its six fields through the row parser, or the refusal.
fn posted_row(position: u64, value: &Value) -> Result<PlacedRow, RefusedRow> {
    let refuse = |field: &str, code: &str, reason: String| RefusedRow {
        line: position,
        field: field.into(),
        code: code.into(),
        reason,
    };
    let Value::Object(row) = value else {
        return Err(refuse("row", "not_an_object", "each row is an object".into()));
    };
    if let Some(unknown) = row.keys().find(|k| !domain::metering::ROW_FIELDS.contains(&k.as_str())) {
        let known = domain::metering::ROW_FIELDS.join(", ");
        return Err(refuse("row", "unknown_field", format!("{unknown:?} is not a field; a row has {known}")));
    }
    let fields = domain::metering::ROW_FIELDS
        .map(|name| field(row, name).map_err(|reason| refuse(name, "not_a_string", reason)));
    let mut texts: [String; 6] = Default::default();
    for (slot, result) in texts.iter_mut().zip(fields) {
        *slot = result?;
    }
    let [ean, channel, start, value, unit, quality] = &texts;
    ReadingRow::parse([ean, channel, start, value, unit, quality])
        .map(|row| PlacedRow { line: position, row })
        .map_err(|e| RefusedRow::of(position, &e))
}

/// Interval values from the metering team's systems: `{"rows": [{"ean", "channel", "start",
/// "value", "unit", "quality"}, …]}`, at most 100 rows, the fields as a CSV line of
/// `cloison import readings` has them. Each row is placed or refused on its own; the answer
/// reports both, a refused row by its position (1-based), field, code and reason. Posting the
/// same rows again writes nothing (`days_unchanged`); a changed value is a new version of its
/// day, the old one kept.
#[utoipa::path(post, path = "/v1/readings", security(("bearer" = [])),
    request_body(content = crate::schema::ReadingsRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "what was written and what was refused", body = crate::schema::ImportReport),
        (status = 400, description = "the body is malformed or over 100 rows; the message names the field", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not write readings", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn post_readings(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: ReadingsBody =
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid("invalid_body", format!("body: {e}")))?;
    if body.rows.len() > MAX_POSTED_ROWS {
        return Err(ApiError::invalid(
            "invalid_body",
            format!("rows: at most {MAX_POSTED_ROWS} a request, found {}", body.rows.len()),
        ));
    }
    let mut batch = Batch { rows: Vec::with_capacity(body.rows.len()), refused: Vec::new() };
    for (i, value) in body.rows.iter().enumerate() {
        match posted_row(i as u64 + 1, value) {
            Ok(row) => batch.rows.push(row),
            Err(refusal) => batch.refused.push(refusal),
        }
    }
    Ok(json(state.app.readings_import(&actor, batch, ImportMode::Write).await?))
}

/// How many findings.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct QueueQuery {
    /// 1 to 1000; 50 when absent.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// The validators' queue: the oldest findings of the day rules no one has decided yet, each
/// with its access point, day, version, rule, intervals and reason. For the metering team.
#[utoipa::path(get, path = "/v1/validation/findings", security(("bearer" = [])), params(QueueQuery),
    responses(
        (status = 200, description = "the open findings, oldest first", body = Vec<crate::schema::Finding>),
        (status = 400, description = "a parameter is malformed; the message names it", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not validate readings", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn validation_queue(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Params(q): Params<QueueQuery>,
) -> Result<Response, ApiError> {
    Ok(json(state.app.validation_queue(&actor, q.limit.unwrap_or(50)).await?))
}

/// A finding's id in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct FindingPath {
    /// The finding's id, as the queue gives it.
    #[param(pattern = "^[0-9a-f]{32}$")]
    #[allow(dead_code)]
    finding: String,
}

/// A validator's decision on a finding: `accept` (the values stand), `reject` (they stop
/// counting), `estimate` (interpolated over a short gap) or `correct` with `values`, pairs of
/// interval number and Wh. The day's next version is written, the previous one kept, and the
/// decision is taken once: a second is refused (`already_decided`). An id no finding has is 404.
#[utoipa::path(post, path = "/v1/validation/findings/{finding}/decision", security(("bearer" = [])), params(FindingPath),
    request_body(content = crate::schema::DecisionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "decided: the version of the day written, if any", body = crate::schema::Decision),
        (status = 400, description = "the body is malformed, or the decision is refused (decided already, an interval the day does not have, nothing to estimate); the message names why", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not validate readings", body = crate::schema::Error),
        (status = 404, description = "no finding with this id", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn decide_finding(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(finding): Segment,
    body: Bytes,
) -> Result<Response, ApiError> {
    let verdict: Verdict =
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid("invalid_body", format!("body: {e}")))?;
    Ok(json(state.app.validation_decide(&actor, &finding, verdict).await?))
}

/// The span of an index-readings read.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct IndexQuery {
    /// The first Europe/Brussels local day, YYYY-MM-DD.
    #[param(format = Date)]
    from: String,
    /// The local day after the last one, YYYY-MM-DD; at most 3,660 days after `from`.
    #[param(format = Date)]
    to: String,
}

/// An access point's index readings, clipped to what the caller may see: a reading shows when
/// the instant it was read is inside the caller's periods (R1, R4). Each with its register,
/// local day and time, the dial's figures and unit, quality, kind of source and version; the
/// reader who took it is never named.
#[utoipa::path(get, path = "/v1/access-points/{ean}/readings", security(("bearer" = [])),
    params(crate::extract::EanPath, IndexQuery),
    responses(
        (status = 200, description = "the clipped index readings", body = crate::schema::IndexReadings),
        (status = 400, description = "a parameter is malformed; the message names it", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 404, description = "not there, or not visible to the caller: one answer for both (I5)", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn index_readings(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(ean): Segment,
    Params(q): Params<IndexQuery>,
) -> Result<Response, ApiError> {
    let ean = ean.parse().map_err(|e| ApiError::invalid("invalid_ean", format!("ean: {e}")))?;
    let from = parse_day("from", &q.from)?;
    let to = parse_day("to", &q.to)?;
    Ok(json(state.app.index_readings(&actor, ean, from, to).await?))
}

/// The most index readings one request may post, inside the API's 16 KiB body limit.
pub(crate) const MAX_POSTED_INDEX: usize = 50;

/// A posted batch of index readings.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexBody {
    readings: Vec<Value>,
}

/// Index readings from the metering team's systems: `{"readings": [{"ean", "register",
/// "value", "at", "source", "reader"?, "calorific_value"?}, …]}`, at most 50. Each is judged,
/// placed and compared with the register's previous reading on its own; a refused one comes
/// back with its position, field, code and reason. Posting the same reading again writes
/// nothing (`unchanged`); another value for a register on a day that has one is refused
/// (`conflicting_reading`): a correction is a validator's decision.
#[utoipa::path(post, path = "/v1/index-readings", security(("bearer" = [])),
    request_body(content = crate::schema::IndexReadingsRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "what was written and what was refused", body = crate::schema::IndexReport),
        (status = 400, description = "the body is malformed or over 50 readings; the message names the field", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not write readings", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn post_index_readings(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: IndexBody =
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid("invalid_body", format!("body: {e}")))?;
    if body.readings.len() > MAX_POSTED_INDEX {
        return Err(ApiError::invalid(
            "invalid_body",
            format!("readings: at most {MAX_POSTED_INDEX} a request, found {}", body.readings.len()),
        ));
    }
    let posts = body
        .readings
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            serde_json::from_value::<app::IndexPost>(value)
                .map_err(|e| ApiError::invalid("invalid_body", format!("readings[{i}]: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json(state.app.index_post(&actor, posts).await?))
}

/// The caller's route today (R9): the access points a meter reader is to read in the current
/// reading window, with their addresses and windows, and nothing of their consumption.
#[utoipa::path(get, path = "/v1/route", security(("bearer" = [])),
    responses(
        (status = 200, description = "the route", body = crate::schema::Route),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role has no route", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn route(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Response, ApiError> {
    Ok(json(state.app.route_today(&actor).await?))
}

/// A reading from a meter reader's field device (R9), one at a time: taken only for an access
/// point of the reader's route in the current window, read today; the source is the reader's
/// visit whatever the body says. Any other point is refused (403, the same whether the EAN
/// exists or not), and the refusal journaled.
#[utoipa::path(post, path = "/v1/route/readings", security(("bearer" = [])),
    request_body(content = crate::schema::IndexReadingRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "written, held already, or refused by the register's rules", body = crate::schema::IndexReport),
        (status = 400, description = "the body is malformed; the message names the field", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "not a point of the caller's route today", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn post_route_reading(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let post: app::IndexPost =
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid("invalid_body", format!("body: {e}")))?;
    Ok(json(state.app.route_post(&actor, post).await?))
}

/// An assignment of access points to a reader's route.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    reader: String,
    from: String,
    to: String,
    eans: Vec<String>,
}

/// Puts access points on a reader's route for a reading window (`from` to `to`, both
/// included): the metering team's planning. A stop the route has already for that window is
/// counted `unchanged`; an EAN the register does not know comes back in `unknown`.
#[utoipa::path(post, path = "/v1/routes", security(("bearer" = [])),
    request_body(content = crate::schema::RouteAssignRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "what was assigned", body = crate::schema::AssignReport),
        (status = 400, description = "the body is malformed; the message names the field", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not plan routes", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn assign_route(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: AssignBody =
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid("invalid_body", format!("body: {e}")))?;
    let reader =
        body.reader.parse().map_err(|e| ApiError::invalid("invalid_body", format!("reader: {e}")))?;
    let from = parse_day("from", &body.from)?;
    let to = parse_day("to", &body.to)?;
    let eans = body
        .eans
        .iter()
        .map(|text| text.parse().map_err(|e| ApiError::invalid("invalid_ean", format!("eans: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json(state.app.route_assign(&actor, reader, from, to, eans).await?))
}
