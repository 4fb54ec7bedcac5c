//! One error type for the API, mapped from one table to a status and a stable code.

use app::AppError;
use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An API error: the status, the stable `code` clients branch on, and a message for people.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// Whole seconds for `Retry-After`, on a 429.
    retry_after: Option<u64>,
}

impl ApiError {
    /// No valid bearer token.
    pub fn unauthenticated() -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthenticated",
            message: "a valid bearer token is required".into(),
            retry_after: None,
        }
    }

    /// The same answer for "does not exist" and "not yours" (I5).
    pub fn not_found() -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: "no access point visible to you at this EAN".into(),
            retry_after: None,
        }
    }

    /// No route matches the path: an endpoint that does not exist, not data that is hidden,
    /// so it has its own code.
    pub fn no_route() -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "no_route",
            message: "no such endpoint; the endpoints are listed at /openapi.json".into(),
            retry_after: None,
        }
    }

    /// The role may not use this endpoint at all (not about any one access point).
    pub fn forbidden() -> ApiError {
        ApiError {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            message: "your role may not do this".into(),
            retry_after: None,
        }
    }

    /// A malformed parameter: which one and why.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::BAD_REQUEST, code, message: message.into(), retry_after: None }
    }

    /// An error whose status is not one of the common ones above (a 422 of the market).
    pub fn with_status(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), retry_after: None }
    }

    /// A path segment that cannot be read (not UTF-8 once percent-decoded): `name` is the
    /// parameter, so the caller learns which part of the path is at fault.
    pub fn invalid_path(name: &str) -> ApiError {
        ApiError::invalid(
            "invalid_path",
            format!("{name}: the path segment is not valid UTF-8 once percent-decoded"),
        )
    }

    /// The answer for an error status that the framework, a layer or hyper's limits chose
    /// before any handler ran (a wrong method, a body over the limit, a handler over its
    /// time): the same JSON as every other error, with a code of its own. This is the one
    /// table of those codes; statuses it does not name fall back to a generic code of their
    /// class, so no error ever leaves without the documented body.
    pub fn for_status(status: StatusCode) -> ApiError {
        let (code, message) = match status {
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                "this path does not accept this method; the Allow header lists those it does".to_owned(),
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "body_too_large",
                format!("the request body is over the limit of {} bytes", crate::MAX_BODY_BYTES),
            ),
            StatusCode::URI_TOO_LONG => (
                "uri_too_long",
                format!("the path and query are over the limit of {} bytes", crate::MAX_URI_BYTES),
            ),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => (
                "headers_too_large",
                format!(
                    "the request headers are over the limit of {} fields or {} bytes",
                    crate::MAX_HEADER_COUNT,
                    crate::MAX_HEADER_BYTES
                ),
            ),
            StatusCode::REQUEST_TIMEOUT => {
                ("timeout", "the answer took too long and was abandoned".to_owned())
            }
            status if status.is_server_error() => {
                tracing::error!(%status, "a layer answered an error without the JSON body");
                ("internal", "internal error".to_owned())
            }
            _ => ("invalid_request", "the request is malformed".to_owned()),
        };
        ApiError { status, code, message, retry_after: None }
    }

    /// Our failure: logged in full, answered without detail.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(%cause, "request failed");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "internal error".into(),
            retry_after: None,
        }
    }

    /// The caller's token is over its request budget; `wait` is until the next request is
    /// allowed, sent as whole seconds (at least one) in `Retry-After`. It depends on that
    /// token's own requests only, so it tells nothing of anyone else (I5).
    pub fn rate_limited(wait: std::time::Duration) -> ApiError {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let seconds = seconds.max(1);
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "rate_limited",
            message: format!("too many requests with this token; retry in {seconds} s"),
            retry_after: Some(seconds),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        match e {
            AppError::NotVisible | AppError::UnknownAccessPoint(_) | AppError::NoSuchEntry(_) => {
                ApiError::not_found()
            }
            AppError::NoSuch(what) => ApiError {
                status: StatusCode::NOT_FOUND,
                code: "not_found",
                message: format!("no {what} visible to you with this id"),
                retry_after: None,
            },
            AppError::Forbidden => ApiError::forbidden(),
            AppError::KeyReused => ApiError::with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "Idempotency-Key: this key was used before for another request",
            ),
            AppError::Invalid(e) => ApiError::invalid("invalid_input", e.to_string()),
            AppError::BadLines(lines) => ApiError::invalid(
                "invalid_input",
                lines.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
            ),
            AppError::Internal(e) => ApiError::internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response =
            (self.status, Json(json!({ "code": self.code, "message": self.message }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Middleware: any error answer that is not already our JSON (made by axum's method router,
/// the body limit, the timeout) is replaced by the body [`ApiError::for_status`] gives its
/// status. Its headers are kept, so a 405 still says `Allow`. Handlers' own errors pass
/// through unchanged; they are JSON already.
pub async fn uniform(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(response.headers()) {
        return response;
    }
    let (parts, _) = response.into_parts();
    let mut replaced = ApiError::for_status(status).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replaced.headers_mut().append(name, value.clone());
        }
    }
    replaced
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Middleware: a request whose path and query or whose headers are over the limits is
/// refused here, as JSON, rather than by hyper with an empty body. Hyper's own limits are set
/// above these (see `serve`), so it refuses only heads far beyond them.
pub async fn head_limits(request: Request, next: Next) -> Response {
    let uri = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri > crate::MAX_URI_BYTES {
        return ApiError::for_status(StatusCode::URI_TOO_LONG).into_response();
    }
    let headers = request.headers();
    // Each field as it was sent: name, ": ", value, CRLF.
    let bytes: usize = headers.iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    if headers.len() > crate::MAX_HEADER_COUNT || bytes > crate::MAX_HEADER_BYTES {
        return ApiError::for_status(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_made_outside_the_handlers_has_a_code_and_json() {
        for (status, code) in [
            (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            (StatusCode::URI_TOO_LONG, "uri_too_long"),
            (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large"),
            (StatusCode::REQUEST_TIMEOUT, "timeout"),
            (StatusCode::BAD_REQUEST, "invalid_request"),
            (StatusCode::BAD_GATEWAY, "internal"),
        ] {
            let e = ApiError::for_status(status);
            assert_eq!((e.status, e.code), (status, code));
            assert!(!e.message.is_empty());
        }
    }
}
