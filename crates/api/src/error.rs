//! One error type for the API, mapped from one table to a status and a stable code.

use app::AppError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
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
            AppError::NotVisible | AppError::UnknownAccessPoint(_) => ApiError::not_found(),
            AppError::Forbidden => ApiError::forbidden(),
            AppError::Invalid(e) => ApiError::invalid("invalid_input", e.to_string()),
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
