//! The contact center's operator screens (R12): the screen pop for the entry point an
//! interaction came by, and a principal's report for its supervisors. The principal is the
//! entry point's, never one the operator picks: an operator of another principal is refused,
//! and a look-up searches that principal's directory only.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::Web;
use crate::door::Door;
use crate::pages::{Answer, Field, Fields, html};
use crate::render::{self, esc};

fn param<'a>(q: &'a HashMap<String, String>, name: &str) -> &'a str {
    q.get(name).map(String::as_str).unwrap_or("").trim()
}

/// The screen pop: the channel and entry point of the interaction, the caller's number or
/// the identifier the IVR captured; the matching customers of that principal's directory
/// and their open cases.
pub async fn screen(State(web): State<Web>, door: Door, Query(q): Query<HashMap<String, String>>) -> Answer {
    let session = door.signed()?;
    let t = &door.t;
    let (channel, entry, caller, identifier) =
        (param(&q, "channel"), param(&q, "entry"), param(&q, "caller"), param(&q, "identifier"));
    let channel = if channel.is_empty() { "call" } else { channel };
    let mut channel_field = Field::text(t, "channel", channel);
    channel_field.options = ["call", "mail", "sms", "chat"]
        .iter()
        .map(|c| ((*c).to_owned(), t.get(&format!("contact-channel-{c}"))))
        .collect();
    let fields = vec![
        channel_field,
        Field::text(t, "entry", entry).hint(t.get("hint-entry")),
        Field::text(t, "caller", caller).kind("tel").hint(t.get("hint-caller")),
        Field::text(t, "identifier", identifier),
    ];
    let form = html(&Fields {
        method: "get",
        action: "/ui/contact",
        csrf: None,
        fields,
        submit: t.get("contact-submit"),
    });
    let title = t.get("contact-title");
    if entry.is_empty() {
        return Ok(door.page(&title, &form).into_response());
    }
    let caller = (!caller.is_empty()).then_some(caller);
    let identifier = (!identifier.is_empty()).then_some(identifier);
    match web.app.screen_pop(&session.actor, channel, entry, caller, identifier).await {
        Ok(sent) => {
            let value: serde_json::Value = serde_json::from_slice(sent.json()).unwrap_or_default();
            let mut body = form;
            body.push_str(&format!(
                "<h2>{}</h2>",
                esc(&t.with("contact-for", &[("principal", sent.view().principal_name.clone())]))
            ));
            if sent.view().customers.is_empty() {
                body.push_str(&format!("<p role=\"status\">{}</p>", esc(&t.get("contact-unknown-caller"))));
            } else {
                body.push_str(&render::answer(t, &value["customers"]));
            }
            Ok(door.answer_page(&title, &body, sent.label()).into_response())
        }
        Err(app::AppError::Invalid(e)) => {
            let body = format!("{form}<p class=\"error\">{}</p>", esc(&e.to_string()));
            Ok(door
                .noticed(&title, &body, t.get("error-fix-fields"), StatusCode::BAD_REQUEST)
                .into_response())
        }
        Err(e) => Err(door.failure(e, &web)),
    }
}

/// A principal's report for its supervisors: KPIs, volumes per entry point, operators'
/// activity and what is going on now, over the last `days` days (7 by default).
pub async fn report(State(web): State<Web>, door: Door, Query(q): Query<HashMap<String, String>>) -> Answer {
    let session = door.signed()?;
    let t = &door.t;
    let principal = param(&q, "principal");
    let days = param(&q, "days");
    let fields = vec![Field::text(t, "principal", principal), Field::text(t, "days", days).kind("number")];
    let form = html(&Fields {
        method: "get",
        action: "/ui/contact/report",
        csrf: None,
        fields,
        submit: t.get("contact-report-submit"),
    });
    let title = t.get("contact-report-title");
    if principal.is_empty() {
        return Ok(door.page(&title, &form).into_response());
    }
    let days: i64 = match days {
        "" => 7,
        text => match text.parse::<i64>() {
            Ok(d) if (1..=366).contains(&d) => d,
            _ => {
                let body = format!("{form}<p class=\"error\">{}</p>", esc(&t.get("contact-days-error")));
                return Ok(door
                    .noticed(&title, &body, t.get("error-fix-fields"), StatusCode::BAD_REQUEST)
                    .into_response());
            }
        },
    };
    let until = jiff::Timestamp::now().as_second() + 1;
    let from = until - days * 86_400;
    let sent = web
        .app
        .contact_report(&session.actor, principal, from, until)
        .await
        .map_err(|e| door.failure(e, &web))?;
    let value: serde_json::Value = serde_json::from_slice(sent.json()).unwrap_or_default();
    let mut body = form;
    body.push_str(&render::answer(t, &value));
    Ok(door.answer_page(&title, &body, sent.label()).into_response())
}
