//! The work pages: a supplier's message queue and scenarios, the validators' work queue, the
//! access requests and mandates of register staff, and system health for support.
//!
//! Each action is a form posted with the session's CSRF token; after it the browser is sent
//! back to the list (post, redirect, get), so a reload never posts twice.

use std::collections::HashMap;

use app::Verdict;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use crate::Web;
use crate::door::Door;
use crate::pages::{Action, Answer, html};
use crate::render::{self, esc};

type Posted = Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>;

fn posted(form: Posted) -> HashMap<String, String> {
    form.map(|Form(f)| f).unwrap_or_default()
}

/// The caller's market messages, oldest first, each with its acknowledgement button.
pub async fn messages(State(web): State<Web>, door: Door) -> Answer {
    let session = door.signed()?;
    let t = &door.t;
    let sent = web.app.market_peek(&session.actor, None, 50).await.map_err(|e| door.failure(e, &web))?;
    let mut body = String::new();
    if sent.view().messages.is_empty() {
        body.push_str(&format!("<p>{}</p>", esc(&t.get("messages-none"))));
    }
    for m in &sent.view().messages {
        body.push_str(&format!(
            "<section class=\"card\" aria-labelledby=\"m-{id}\"><h2 id=\"m-{id}\">{}</h2><p>{}</p><pre>{}</pre>",
            esc(&m.kind),
            render::inline(t, &serde_json::Value::String(m.created.to_string())),
            esc(&m.body),
            id = esc(&m.id),
        ));
        let action = format!("/ui/messages/{}/ack", m.id);
        body.push_str(&html(&Action {
            action: &action,
            csrf: &session.csrf,
            hidden: Vec::new(),
            text: &t.get("messages-ack"),
            aria_label: Some(t.with("messages-ack-one", &[("kind", m.kind.clone()), ("id", m.id.clone())])),
        }));
        body.push_str("</section>");
    }
    Ok(door.answer_page(&t.get("messages-title"), &body, sent.label()).into_response())
}

/// Acknowledges one message, then back to the queue.
pub async fn acknowledge(State(web): State<Web>, door: Door, Path(id): Path<String>, form: Posted) -> Answer {
    let session = door.check_csrf(&web, &posted(form)).await?;
    web.app.market_acknowledge(&session.actor, None, &id).await.map_err(|e| door.failure(e, &web))?;
    Ok(Redirect::to("/ui/messages").into_response())
}

/// One scenario, with the cancellation its initiator may ask for.
pub async fn scenario(State(web): State<Web>, door: Door, Path(id): Path<String>) -> Answer {
    let session = door.signed()?;
    let t = &door.t;
    let sent = web.app.market_scenario(&session.actor, &id).await.map_err(|e| door.failure(e, &web))?;
    let value: serde_json::Value = serde_json::from_slice(sent.json()).unwrap_or_default();
    let mut body = render::answer(t, &value);
    let action = format!("/ui/scenarios/{id}/cancel");
    body.push_str(&html(&Action {
        action: &action,
        csrf: &session.csrf,
        hidden: Vec::new(),
        text: &t.get("scenario-cancel"),
        aria_label: None,
    }));
    Ok(door.answer_page(&t.get("scenario-title"), &body, sent.label()).into_response())
}

/// Cancels a scenario and shows the market's answer (a refusal names its code).
pub async fn cancel(State(web): State<Web>, door: Door, Path(id): Path<String>, form: Posted) -> Answer {
    let session = door.check_csrf(&web, &posted(form)).await?;
    let t = &door.t;
    let sent = web
        .app
        .market_cancel(&session.actor, &id, app::market_today())
        .await
        .map_err(|e| door.failure(e, &web))?;
    let value: serde_json::Value = serde_json::from_slice(sent.json()).unwrap_or_default();
    Ok(door.answer_page(&t.get("scenario-title"), &render::answer(t, &value), sent.label()).into_response())
}

/// The validators' work queue: each open finding with its decision form.
pub async fn validation(State(web): State<Web>, door: Door) -> Answer {
    let session = door.signed()?;
    let t = &door.t;
    let sent = web.app.validation_queue(&session.actor, 100).await.map_err(|e| door.failure(e, &web))?;
    let mut body = String::new();
    if sent.view().is_empty() {
        body.push_str(&format!("<p>{}</p>", esc(&t.get("answer-none"))));
    } else {
        body.push_str(&format!(
            "<div class=\"scroll\"><table><thead><tr>{}<th scope=\"col\">{}</th></tr></thead><tbody>",
            ["ean", "day", "rule", "reason"]
                .iter()
                .map(|f| format!("<th scope=\"col\">{}</th>", esc(&render::label(t, f))))
                .collect::<String>(),
            esc(&t.get("validation-decide")),
        ));
        for f in sent.view() {
            let ean = f.ean.to_string();
            body.push_str(&format!(
                "<tr><td><a href=\"/ui/access-points/{ean}/consumption?from={day}&amp;to={next}&amp;resolution=15m\">{ean}</a></td><td>{}</td><td>{}</td><td>{}</td><td>",
                render::inline(t, &serde_json::Value::String(f.day.to_string())),
                esc(&f.rule),
                esc(&f.reason),
                day = f.day,
                next = f.day.tomorrow().unwrap_or(f.day),
            ));
            body.push_str(&format!(
                "<form method=\"post\" action=\"/ui/validation/{id}\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <label for=\"v-{id}\">{label}</label><select id=\"v-{id}\" name=\"verdict\">\
                 <option value=\"accept\">{accept}</option><option value=\"reject\">{reject}</option><option value=\"estimate\">{estimate}</option>\
                 </select> <button type=\"submit\">{submit}</button></form></td></tr>",
                id = esc(&f.id),
                csrf = esc(&session.csrf),
                label = esc(&t.get("validation-verdict")),
                accept = esc(&t.get("verdict-accept")),
                reject = esc(&t.get("verdict-reject")),
                estimate = esc(&t.get("verdict-estimate")),
                submit = esc(&t.get("validation-decide")),
            ));
        }
        body.push_str("</tbody></table></div>");
    }
    Ok(door.answer_page(&t.get("validation-title"), &body, sent.label()).into_response())
}

/// Decides one finding, then back to the queue.
pub async fn decide(State(web): State<Web>, door: Door, Path(id): Path<String>, form: Posted) -> Answer {
    let form = posted(form);
    let session = door.check_csrf(&web, &form).await?;
    let verdict = match form.get("verdict").map(String::as_str) {
        Some("accept") => Verdict::Accept,
        Some("reject") => Verdict::Reject,
        Some("estimate") => Verdict::Estimate,
        _ => {
            let title = door.t.get("validation-title");
            return Ok(door
                .noticed(&title, "", door.t.get("error-verdict"), StatusCode::BAD_REQUEST)
                .into_response());
        }
    };
    web.app.validation_decide(&session.actor, &id, verdict).await.map_err(|e| door.failure(e, &web))?;
    Ok(Redirect::to("/ui/validation").into_response())
}

/// Access requests, each pending one with its approve and refuse buttons.
pub async fn access_requests(State(web): State<Web>, door: Door) -> Answer {
    let session = door.signed()?;
    let t = &door.t;
    let sent = web.app.access_requests(&session.actor).await.map_err(|e| door.failure(e, &web))?;
    let value: serde_json::Value = serde_json::from_slice(sent.json()).unwrap_or_default();
    let mut body = render::answer(t, &value);
    for r in sent.view().iter().filter(|r| r.status == "pending") {
        let action = format!("/ui/access-requests/{}", r.request);
        body.push_str(&format!("<p>{} ", esc(&r.request)));
        for (approve, id) in [("yes", "access-approve"), ("no", "access-refuse")] {
            body.push_str(&html(&Action {
                action: &action,
                csrf: &session.csrf,
                hidden: vec![("approve", approve)],
                text: &t.get(id),
                aria_label: Some(format!("{} {}", t.get(id), r.request)),
            }));
            body.push(' ');
        }
        body.push_str("</p>");
    }
    Ok(door.answer_page(&t.get("access-requests-title"), &body, sent.label()).into_response())
}

/// Approves or refuses one access request, then back to the list.
pub async fn decide_access(
    State(web): State<Web>,
    door: Door,
    Path(id): Path<String>,
    form: Posted,
) -> Answer {
    let form = posted(form);
    let session = door.check_csrf(&web, &form).await?;
    let approve = form.get("approve").map(String::as_str) == Some("yes");
    web.app
        .decide_access_request(&session.actor, &id, approve, app::market_today())
        .await
        .map_err(|e| door.failure(e, &web))?;
    Ok(Redirect::to("/ui/access-requests").into_response())
}

/// The mandates on record.
pub async fn mandates(State(web): State<Web>, door: Door) -> Answer {
    let session = door.signed()?;
    let t = &door.t;
    let sent = web.app.mandates(&session.actor).await.map_err(|e| door.failure(e, &web))?;
    let value: serde_json::Value = serde_json::from_slice(sent.json()).unwrap_or_default();
    Ok(door.answer_page(&t.get("mandates-title"), &render::answer(t, &value), sent.label()).into_response())
}

/// System health: counts only, no personal data.
pub async fn health(State(web): State<Web>, door: Door) -> Answer {
    let session = door.signed()?;
    let t = &door.t;
    let sent = web.app.system_health(&session.actor).await.map_err(|e| door.failure(e, &web))?;
    let value: serde_json::Value = serde_json::from_slice(sent.json()).unwrap_or_default();
    Ok(door.answer_page(&t.get("health-title"), &render::answer(t, &value), sent.label()).into_response())
}
