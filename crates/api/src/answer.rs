//! What the API sends back for a use case: the exact bytes the gate serialised and the journal
//! digested, with their label (R8) beside them.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::ApiError;

/// A JSON answer serialized once, straight from the view: going through a `Value` first
/// built a tree of the whole answer on every request only to write it out again. A view that
/// cannot be serialized is our failure, answered as one (500 with the stable error body).
pub(crate) struct Answer {
    json: Vec<u8>,
    label: Option<domain::label::Label>,
}

impl Answer {
    /// The bytes the gate serialised and digested: what the journal says was sent is what is
    /// sent, with its label.
    pub(crate) fn sent<T>(sent: app::Sent<T>) -> Answer {
        let label = sent.label();
        Answer { json: sent.into_json(), label }
    }

    /// A public answer that passes no gate (the journal's hashes), serialised once.
    pub(crate) fn of<T: serde::Serialize>(view: &T) -> Result<Answer, ApiError> {
        serde_json::to_vec(view).map(|json| Answer { json, label: None }).map_err(ApiError::internal)
    }

    /// The answer with another status than 200.
    pub(crate) fn with_status(self, status: StatusCode) -> Response {
        let mut response = self.into_response();
        *response.status_mut() = status;
        response
    }
}

/// The header that carries an answer's confidentiality (R8), as the documents print it.
pub(crate) const LABEL_HEADER: &str = "cloison-label";
/// The header that carries the journal index of the entry recording that the answer was
/// sent (R8): the entry's data digest is the SHA-256 of the body.
pub(crate) const JOURNAL_INDEX_HEADER: &str = "cloison-journal-index";

impl IntoResponse for Answer {
    fn into_response(self) -> axum::response::Response {
        let mut response =
            ([(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"))], self.json)
                .into_response();
        if let Some(label) = self.label {
            let headers = response.headers_mut();
            headers.insert(LABEL_HEADER, header::HeaderValue::from_static(label.confidentiality.as_str()));
            headers.insert(JOURNAL_INDEX_HEADER, header::HeaderValue::from(label.journal_index));
        }
        response
    }
}
