//! The producer connection queues over HTTP (R15): the connections team's commands and daily
//! run, the queues for the team and the ethics committee, a producer's own requests, and the
//! audit that rebuilds the queues from the journal.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use domain::SubstationId;
use domain::producer::{Command, parse_kw};
use jiff::civil::Date;
use serde_json::{Map, Value};
use utoipa::IntoParams;

use crate::answer::Answer;
use crate::extract::{Caller, Segment};
use crate::{ApiError, State as AppState};

fn invalid(field: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::invalid("invalid_body", format!("{field}: {e}"))
}

/// The fields each command takes besides `command` and `day`.
fn fields_of(command: &str) -> Option<&'static [&'static str]> {
    Some(match command {
        "set_capacity" => &["kw"],
        "acknowledge" => &["producer", "kw", "transmission_study"],
        "pay_orientation" | "pay_detailed_study" | "send_offer" | "sign" | "order_works" | "withdraw" => {
            &["request"]
        }
        "extend" => &["request", "working_days"],
        "extend_works" => &["request", "until", "permit"],
        "remove" => &["request", "reason"],
        _ => return None,
    })
}

/// A command from its JSON object, each field checked and named when wrong: a capacity that is
/// negative, fractional or not a number is refused here with the rule, not as a JSON error.
fn command(body: &[u8], today: Date) -> Result<Command, ApiError> {
    let object: Map<String, Value> = serde_json::from_slice(body).map_err(|e| invalid("body", e))?;
    let name = object
        .get("command")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("command", "required, one of the queue's commands"))?;
    let Some(fields) = fields_of(name) else {
        return Err(invalid("command", format!("{name:?} is not a command of the queue")));
    };
    if let Some(extra) =
        object.keys().find(|k| !["command", "day"].contains(&k.as_str()) && !fields.contains(&k.as_str()))
    {
        return Err(invalid(extra, format!("not a field of {name}")));
    }
    let text = |field: &str| -> Result<String, ApiError> {
        object
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| invalid(field, "required, a string"))
    };
    let date = |field: &str, text: &str| -> Result<Date, ApiError> {
        text.parse().map_err(|_| invalid(field, format!("a day is written YYYY-MM-DD, found {text:?}")))
    };
    let day = match object.get("day") {
        None | Some(Value::Null) => today,
        Some(Value::String(d)) => date("day", d)?,
        Some(other) => return Err(invalid("day", format!("a day is written YYYY-MM-DD, found {other}"))),
    };
    let kw = || -> Result<u32, ApiError> {
        let raw = match object.get("kw") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => return Err(invalid("kw", "required, a whole number of kW")),
        };
        parse_kw("kw", &raw).map_err(|e| invalid("kw", format!("{}: {}", e.code, e.reason)))
    };
    Ok(match name {
        "set_capacity" => Command::SetCapacity { kw: kw()?, day },
        "acknowledge" => Command::Acknowledge {
            producer: text("producer")?.parse().map_err(|e| invalid("producer", e))?,
            kw: kw()?,
            transmission_study: match object.get("transmission_study") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(invalid("transmission_study", "true or false")),
            },
            day,
        },
        "pay_orientation" => Command::PayOrientation { request: text("request")?, day },
        "pay_detailed_study" => Command::PayDetailedStudy { request: text("request")?, day },
        "send_offer" => Command::SendOffer { request: text("request")?, day },
        "sign" => Command::Sign { request: text("request")?, day },
        "order_works" => Command::OrderWorks { request: text("request")?, day },
        "withdraw" => Command::Withdraw { request: text("request")?, day },
        "extend" => Command::Extend {
            request: text("request")?,
            working_days: object
                .get("working_days")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| invalid("working_days", "required, a whole number of working days"))?,
            day,
        },
        "extend_works" => Command::ExtendWorks {
            request: text("request")?,
            until: date("until", &text("until")?)?,
            permit: text("permit")?,
            day,
        },
        _ => Command::Remove { request: text("request")?, reason: text("reason")?, day },
    })
}

/// A substation in the path.
#[derive(serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct SubstationPath {
    /// The substation, as the register names it.
    #[param(pattern = "^[A-Z0-9-]{1,32}$")]
    #[allow(dead_code)]
    substation: String,
}

/// Applies one command to a substation's queue: `{"command": "set_capacity" | "acknowledge" |
/// "pay_orientation" | "pay_detailed_study" | "send_offer" | "extend" | "sign" |
/// "extend_works" | "order_works" | "withdraw" | "remove", "day"?: "YYYY-MM-DD", …}`. Answers
/// what happened, request by request, and the queue's figures.
#[utoipa::path(post, path = "/v1/producers/queues/{substation}", security(("bearer" = [])), params(SubstationPath),
    request_body(content = crate::schema::ConnectionCommand, content_type = "application/json"),
    responses(
        (status = 200, description = "applied", body = crate::schema::ConnectionOutcome),
        (status = 400, description = "malformed, or refused by a rule of the procedure: the message names the field and the rule; nothing changed", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not run the queue", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn connection_command(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Segment(substation): Segment,
    body: Bytes,
) -> Result<Response, ApiError> {
    let substation: SubstationId = substation.parse().map_err(|_| ApiError::invalid_path("substation"))?;
    let command = command(&body, app::market_today())?;
    Ok(Answer::sent(state.app.connection_command(&actor, substation, command).await?).into_response())
}

/// Every queue with every request in rank order and every deadline: for the connections team
/// and the ethics committee.
#[utoipa::path(get, path = "/v1/producers/queues", security(("bearer" = [])),
    responses(
        (status = 200, description = "the queues", body = Vec<crate::schema::ConnectionQueue>),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not review the queues", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn connection_queues(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.connection_queues(&actor).await?).into_response())
}

/// The daily run: `{"day"?: "YYYY-MM-DD"}` (default today). Reminders, caducities (the
/// regulator told), re-offers; idempotent.
#[utoipa::path(post, path = "/v1/producers/daily", security(("bearer" = [])),
    request_body(content = crate::schema::DailyRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "what the run did", body = crate::schema::DailyReport),
        (status = 400, description = "a malformed day, or one after today", body = crate::schema::Error),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not run the queue", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn connections_daily(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let object: Map<String, Value> = if body.is_empty() {
        Map::new()
    } else {
        serde_json::from_slice(&body).map_err(|e| invalid("body", e))?
    };
    if let Some(extra) = object.keys().find(|k| k.as_str() != "day") {
        return Err(invalid(extra, "not a field of the daily run"));
    }
    let day = match object.get("day") {
        None | Some(Value::Null) => app::market_today(),
        Some(Value::String(d)) => {
            d.parse().map_err(|_| invalid("day", format!("a day is written YYYY-MM-DD, found {d:?}")))?
        }
        Some(other) => return Err(invalid("day", format!("a day is written YYYY-MM-DD, found {other}"))),
    };
    Ok(Answer::sent(state.app.connections_daily(&actor, day).await?).into_response())
}

/// The caller's own connection requests, each with its position and its queue's figures;
/// nobody else's.
#[utoipa::path(get, path = "/v1/producers/own", security(("bearer" = [])),
    responses(
        (status = 200, description = "the caller's requests", body = Vec<crate::schema::OwnConnection>),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role files no requests", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn own_connections(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.own_connections(&actor).await?).into_response())
}

/// The queues rebuilt from their journaled commands and compared with the stored ones: the
/// first difference is named, or none.
#[utoipa::path(get, path = "/v1/producers/audit", security(("bearer" = [])),
    responses(
        (status = 200, description = "the audit", body = crate::schema::ConnectionAudit),
        (status = 401, description = "no valid bearer token", body = crate::schema::Error),
        (status = 403, description = "the role does not review the queues", body = crate::schema::Error),
        (status = 429, description = "too many requests", body = crate::schema::Error),
        (status = 500, description = "our failure; logged, not detailed", body = crate::schema::Error)))]
pub(crate) async fn connections_audit(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Response, ApiError> {
    Ok(Answer::sent(state.app.connections_audit(&actor).await?).into_response())
}
