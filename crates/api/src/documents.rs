//! Documents over HTTP (R4, R8): a network user's consumption history, typeset, labelled and
//! journaled by the application; here only asked for and sent back as a file.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::answer::{JOURNAL_INDEX_HEADER, LABEL_HEADER};
use crate::extract::{Caller, Params, Segment};
use crate::metering::parse_day;
use crate::{ApiError, State as AppState};

/// Which file of the history to send back.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DocumentQuery {
    /// `pdf` (the document a person reads) or `csv` (the same figures for a program); `pdf`
    /// when absent. Both are issued and journaled together, whichever is sent.
    #[param(inline, pattern = "^(pdf|csv)$")]
    format: Option<String>,
}

/// What is asked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryBody {
    from: String,
    to: String,
    #[serde(default)]
    customer: Option<String>,
}

/// Issues the consumption history of an access point over local days `[from, to)`:
/// `{"from", "to", "customer"?}`. A customer gets their own, over their occupancies only;
/// staff ask on behalf of a named `customer`; a party the customer mandated for their
/// consumption names that customer and gets what the mandate covers (R5). The file carries
/// its label where a person sees it (the PDF's footer, the CSV's first line) and in the
/// `Cloison-Label` and `Cloison-Journal-Index` headers; the journal entry at that index holds
/// the digests of both files.
#[utoipa::path(post, path = "/v1/access-points/{ean}/consumption-history", security(("bearer" = [])),
    params(crate::extract::EanPath, DocumentQuery),
    request_body(content = crate::schema::HistoryRequestBody, content_type = "application/json"),
    responses(
        (status = 201, description = "the document, labelled", content(
            (Vec<u8> = "application/pdf"),
            (String = "text/csv"))),
        (status = 400, description = "malformed, or a customer not named where one must be: the message names the field", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 404, description = "not there, or nothing of it visible to the caller: one answer for both (I5)", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn consumption_history(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(ean): Segment,
    Params(q): Params<DocumentQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let ean = ean.parse().map_err(|e| ApiError::invalid("invalid_ean", format!("ean: {e}")))?;
    let pdf = match q.format.as_deref() {
        None | Some("pdf") => true,
        Some("csv") => false,
        Some(other) => {
            return Err(ApiError::invalid("invalid_query", format!("format: {other:?} is not pdf or csv")));
        }
    };
    let body: HistoryBody =
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid("invalid_body", format!("body: {e}")))?;
    let from = parse_day("from", &body.from)?;
    let to = parse_day("to", &body.to)?;
    let customer = body
        .customer
        .map(|c| c.parse().map_err(|e| ApiError::invalid("invalid_body", format!("customer: {e}"))))
        .transpose()?;
    let issued = state.app.consumption_history(&actor, ean, from, to, customer).await?;
    let (content_type, extension, bytes) = if pdf {
        ("application/pdf", "pdf", issued.pdf)
    } else {
        ("text/csv; charset=utf-8", "csv", issued.csv.into_bytes())
    };
    let disposition = format!("attachment; filename=\"history-{ean}-{}.{extension}\"", issued.journal_index);
    let mut response = (StatusCode::CREATED, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers
        .insert(header::CONTENT_DISPOSITION, HeaderValue::try_from(disposition).map_err(ApiError::internal)?);
    headers.insert(LABEL_HEADER, HeaderValue::from_static(issued.confidentiality.as_str()));
    headers.insert(JOURNAL_INDEX_HEADER, HeaderValue::from(issued.journal_index));
    Ok(response)
}
