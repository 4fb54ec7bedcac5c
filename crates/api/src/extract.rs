//! What handlers take from a request: the authenticated caller, the bearer secret, query
//! parameters and path segments, each refused as the API's JSON error naming what is wrong
//! (axum's own rejections are plain text, which no client of this API expects).

use app::Actor;
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::header;
use axum::http::request::Parts;
use rand::RngCore;

use crate::{ApiError, State as AppState};

/// The authenticated caller of a request.
pub struct Caller(pub(crate) Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Secret(secret) = Secret::from_request_parts(parts, state).await?;
        Secret::authenticate(&secret, state).await.map(Caller)
    }
}

/// The bearer secret of a request, not yet checked: for a route that checks it together with
/// its data (`access_point`). A request without one is refused as unauthenticated, as
/// [`Caller`] refuses it.
pub struct Secret(pub(crate) String);

impl Secret {
    /// The actor the secret stands for, or the unauthenticated refusal.
    pub(crate) async fn authenticate(secret: &str, state: &AppState) -> Result<Actor, ApiError> {
        match state.app.authenticate(secret, &request_id()).await {
            Ok(Some(actor)) => Ok(actor),
            Ok(None) => Err(ApiError::unauthenticated()),
            Err(e) => Err(e.into()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Secret {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Secret(s.to_owned()))
            .ok_or_else(ApiError::unauthenticated)
    }
}

/// A fresh id for one request: the journal groups what the request did under it.
pub(crate) fn request_id() -> String {
    let mut id = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut id);
    hex::encode(id)
}

/// Query parameters, refused as a JSON error naming the parameter (axum's own rejection is
/// plain text, which no client of this API expects).
pub struct Params<T>(pub(crate) T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Params(value)),
            Err(rejection) => Err(ApiError::invalid("invalid_query", rejection.body_text())),
        }
    }
}

/// One path parameter as text, refused as a JSON error naming it when it cannot be decoded
/// (axum's own rejection of, say, `%FF%FE` is plain text).
pub struct Segment(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for Segment {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(text)) => Ok(Segment(text)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => match e.into_kind() {
                ErrorKind::InvalidUtf8InPathParam { key } => Err(ApiError::invalid_path(&key)),
                // Any other kind means the route and its extractor disagree: our mistake.
                other => Err(ApiError::internal(format!("path parameter: {other}"))),
            },
            Err(other) => Err(ApiError::internal(format!("path parameter: {}", other.body_text()))),
        }
    }
}

/// The access point of a path, as the OpenAPI document describes it; the handlers read it as
/// a [`Segment`], so a malformed EAN is refused with the API's own error.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct EanPath {
    /// 18-digit GS1 GSRN of the access point.
    #[param(pattern = "^[0-9]{18}$")]
    #[allow(dead_code)]
    ean: String,
}
