//! Signing in and out, the language switch, and the register's pages: the caller's own access
//! points, an access point at an instant, its history, its consumption, and a customer's
//! access log.

use std::collections::HashMap;

use app::{AccessLogQuery, Resolution, Role};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::Ean;
use jiff::Timestamp;
use jiff::civil::Date;

use crate::Web;
use crate::chart::{self, Bar};
use crate::door::{Door, back_to, menu, request_id, set_cookie};
use crate::i18n::{Locale, Texts, brussels};
use crate::render::{self, esc};
use crate::session::{self, Cookie, LANG_COOKIE, LOGIN_COOKIE, SESSION_COOKIE};

/// What a handler answers: a page, or a redirect or refusal decided on the way.
pub type Answer = Result<Response, Response>;

/// One field of a form.
pub struct Field {
    /// Its name.
    pub name: &'static str,
    /// Its label, in the reader's language.
    pub label: String,
    /// The input type.
    pub kind: &'static str,
    /// The value to show back.
    pub value: String,
    /// A hint of the form expected.
    pub hint: Option<String>,
    /// Its error, in the reader's language.
    pub error: Option<String>,
    /// For a choice: (value, text) pairs.
    pub options: Vec<(String, String)>,
}

impl Field {
    /// A text field.
    pub fn text(t: &Texts, name: &'static str, value: &str) -> Field {
        Field {
            name,
            label: render::label(t, name),
            kind: "text",
            value: value.to_owned(),
            hint: None,
            error: None,
            options: Vec::new(),
        }
    }

    /// The same field with another input type.
    pub fn kind(self, kind: &'static str) -> Field {
        Field { kind, ..self }
    }

    /// The same field with a hint.
    pub fn hint(self, hint: String) -> Field {
        Field { hint: Some(hint), ..self }
    }
}

/// A form of fields.
#[derive(Template)]
#[template(path = "fields.html")]
pub struct Fields<'a> {
    /// `get` or `post`.
    pub method: &'a str,
    /// Where it goes.
    pub action: &'a str,
    /// The session's CSRF token, for a POST.
    pub csrf: Option<&'a str>,
    /// Its fields.
    pub fields: Vec<Field>,
    /// The button's text.
    pub submit: String,
}

/// One button that posts an action.
#[derive(Template)]
#[template(path = "action.html")]
pub struct Action<'a> {
    /// Where it posts.
    pub action: &'a str,
    /// The session's CSRF token.
    pub csrf: &'a str,
    /// Extra hidden fields.
    pub hidden: Vec<(&'a str, &'a str)>,
    /// The button's text.
    pub text: &'a str,
    /// The button's accessible name when its text alone is ambiguous in a list.
    pub aria_label: Option<String>,
}

/// Renders a template into a page body; a template that fails to render is our defect,
/// logged, and shows as an empty body rather than a half page.
pub fn html(template: &impl Template) -> String {
    template.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "a form did not render");
        String::new()
    })
}

#[derive(Template)]
#[template(path = "login.html")]
struct Login<'a> {
    t: &'a Texts,
    csrf: &'a str,
    next: &'a str,
    party: &'a str,
    error: Option<String>,
}

/// The home page: the caller's own access points for customers and suppliers, else the
/// pages of their role.
pub async fn home(State(web): State<Web>, door: Door) -> Answer {
    let session = door.signed()?;
    let t = &door.t;
    let role = session.actor.role;
    let mut body = String::new();
    if matches!(role, Role::Customer | Role::Supplier) {
        let me = web.app.me(&session.actor).await.map_err(|e| door.failure(e, &web))?;
        body.push_str(&format!("<h2>{}</h2>", esc(&t.get("home-points"))));
        if me.view().access_points.is_empty() {
            body.push_str(&format!("<p>{}</p>", esc(&t.get("answer-none"))));
        }
        body.push_str("<ul class=\"points\">");
        for ean in &me.view().access_points {
            body.push_str(&format!(
                "<li><a href=\"/ui/access-points?ean={ean}\">{ean}</a> · <a href=\"/ui/access-points/{ean}/history\">{}</a>",
                esc(&t.get("nav-history"))
            ));
            if role == Role::Customer {
                body.push_str(&format!(
                    " · <a href=\"/ui/access-points/{ean}/consumption\">{}</a>",
                    esc(&t.get("nav-consumption"))
                ));
            }
            body.push_str("</li>");
        }
        body.push_str("</ul>");
        let title = t.get("home-title");
        return Ok(door.answer_page(&title, &body, me.label()).into_response());
    }
    body.push_str("<ul class=\"menu\">");
    for (href, id) in menu(role).iter().skip(1) {
        body.push_str(&format!("<li><a href=\"{href}\">{}</a></li>", esc(&t.get(id))));
    }
    body.push_str("</ul>");
    Ok(door.page(&t.get("home-title"), &body).into_response())
}

/// Sets the language cookie and goes back.
pub async fn language(
    State(web): State<Web>,
    Path(tag): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let back = back_to(q.get("back").map(String::as_str));
    let mut response = Redirect::to(&back).into_response();
    if let Some(locale) = Locale::from_tag(&tag) {
        // A year: a language choice is no secret and outlives sessions.
        let value = session::set_cookie(LANG_COOKIE, locale.tag(), 365 * 86_400, web.config.secure_cookies);
        set_cookie(&mut response, &value);
    }
    response
}

/// The sign-in form, with a fresh nonce for its CSRF token.
pub async fn login_form(
    State(web): State<Web>,
    door: Door,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let notice = match q.get("notice").map(String::as_str) {
        Some("expired") => Some(door.t.get("notice-expired")),
        Some("tampered") => Some(door.t.get("notice-tampered")),
        Some("signed-out") => Some(door.t.get("notice-signed-out")),
        _ => None,
    };
    let next = back_to(q.get("next").map(String::as_str));
    sign_in_page(&web, &door, &next, "", None, notice, StatusCode::OK)
}

fn sign_in_page(
    web: &Web,
    door: &Door,
    next: &str,
    party: &str,
    error: Option<String>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let nonce = session::nonce();
    let csrf = web.keys.login_csrf(&nonce);
    let body = html(&Login { t: &door.t, csrf: &csrf, next, party, error });
    let title = door.t.get("login-title");
    let page = match notice {
        Some(notice) => door.noticed(&title, &body, notice, status),
        None => door.page(&title, &body).status(status),
    };
    let mut response = page.into_response();
    // Ten minutes to fill the form in.
    set_cookie(&mut response, &session::set_cookie(LOGIN_COOKIE, &nonce, 600, web.config.secure_cookies));
    response
}

/// Signs in: checks the form's token, then the password through `app`, which journals every
/// attempt and locks an account after repeated failures.
pub async fn login(
    State(web): State<Web>,
    door: Door,
    headers: axum::http::HeaderMap,
    form: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Answer {
    let Ok(Form(form)) = form else {
        return Ok(sign_in_page(
            &web,
            &door,
            "/ui",
            "",
            Some(door.t.get("error-form")),
            None,
            StatusCode::BAD_REQUEST,
        ));
    };
    let cookies = headers.get(axum::http::header::COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let nonce = session::cookie(cookies, LOGIN_COOKIE).unwrap_or("");
    let sent = form.get("csrf").map(String::as_str).unwrap_or("");
    if nonce.is_empty() || !session::constant_eq(sent, &web.keys.login_csrf(nonce)) {
        return Err(door.forged(&web).await);
    }
    let next = back_to(form.get("next").map(String::as_str));
    let party = form.get("party").map(|p| p.trim()).unwrap_or("");
    let password = form.get("password").map(String::as_str).unwrap_or("");
    let missing = if party.is_empty() {
        Some("error-party-missing")
    } else if password.is_empty() {
        Some("error-password-missing")
    } else {
        None
    };
    if let Some(id) = missing {
        return Ok(sign_in_page(
            &web,
            &door,
            &next,
            party,
            Some(door.t.get(id)),
            None,
            StatusCode::BAD_REQUEST,
        ));
    }
    match web.app.sign_in(party, password, &request_id(), web.config.session_lifetime).await {
        Ok(signed) => {
            let cookie = web.keys.seal(&Cookie { secret: signed.secret, expires: signed.expires });
            let max_age = (signed.expires.as_second() - Timestamp::now().as_second()).max(0);
            let mut response = Redirect::to(&next).into_response();
            set_cookie(
                &mut response,
                &session::set_cookie(SESSION_COOKIE, &cookie, max_age, web.config.secure_cookies),
            );
            set_cookie(&mut response, &session::set_cookie(LOGIN_COOKIE, "", 0, web.config.secure_cookies));
            Ok(response)
        }
        Err(app::AppError::Invalid(app::StoreError::Refused { field: "credentials", code, .. })) => {
            let id = if code == "locked" { "error-locked" } else { "error-credentials" };
            Ok(sign_in_page(&web, &door, &next, party, Some(door.t.get(id)), None, StatusCode::UNAUTHORIZED))
        }
        Err(e) => Err(door.failure(e, &web)),
    }
}

/// Signs out: revokes the session's token, journaled, and clears the cookie.
pub async fn logout(
    State(web): State<Web>,
    door: Door,
    form: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Answer {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let session = door.check_csrf(&web, &form).await?;
    web.app.sign_out(&session.actor).await.map_err(|e| door.failure(e, &web))?;
    let mut response = Redirect::to("/ui/login?notice=signed-out").into_response();
    set_cookie(&mut response, &session::set_cookie(SESSION_COOKIE, "", 0, web.config.secure_cookies));
    Ok(response)
}

/// Any other path under `/ui`.
pub async fn not_found(door: Door) -> Response {
    let title = door.t.get("error-no-page");
    door.page(&title, "").status(StatusCode::NOT_FOUND).into_response()
}

fn parse_ean(t: &Texts, text: &str) -> Result<Ean, String> {
    text.trim().parse::<Ean>().map_err(|_| t.get("error-ean"))
}

/// An instant from a `datetime-local` field (Brussels wall-clock time) or RFC 3339.
fn parse_at(t: &Texts, text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(at) = domain::instant::parse_rfc3339(text) {
        return Ok(at);
    }
    text.parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|local| local.to_zoned(brussels()).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| t.get("error-at"))
}

fn today() -> Date {
    Timestamp::now().to_zoned(brussels()).date()
}

/// An access point at an instant, as the caller may see it (R1, R4, R6, I3): the look-up form,
/// then the answer.
pub async fn access_point(
    State(web): State<Web>,
    door: Door,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let session = door.signed()?;
    let t = &door.t;
    let ean_text = q.get("ean").map(String::as_str).unwrap_or("");
    let at_text = q.get("at").map(String::as_str).unwrap_or("");
    let mut ean_field = Field::text(t, "ean", ean_text).hint(t.get("hint-ean"));
    let mut at_field = Field::text(t, "at", at_text).kind("datetime-local");
    let title = t.get("lookup-title");
    let form = |fields| {
        html(&Fields {
            method: "get",
            action: "/ui/access-points",
            csrf: None,
            fields,
            submit: t.get("lookup-submit"),
        })
    };
    if ean_text.is_empty() {
        return Ok(door.page(&title, &form(vec![ean_field, at_field])).into_response());
    }
    let ean = parse_ean(t, ean_text);
    let at = if at_text.is_empty() { Ok(Timestamp::now()) } else { parse_at(t, at_text) };
    let (ean, at) = match (ean, at) {
        (Ok(ean), Ok(at)) => (ean, at),
        (ean, at) => {
            ean_field.error = ean.err();
            at_field.error = at.err();
            let body = form(vec![ean_field, at_field]);
            return Ok(door
                .noticed(&title, &body, t.get("error-fix-fields"), StatusCode::BAD_REQUEST)
                .into_response());
        }
    };
    let body_form = form(vec![ean_field, at_field]);
    match web.app.access_point_at(&session.actor, ean, at).await {
        Ok(sent) => {
            let value: serde_json::Value = serde_json::from_slice(sent.json()).unwrap_or_default();
            let mut body = body_form;
            body.push_str(&format!("<h2>{}</h2>", esc(&t.with("lookup-at", &[("at", t.instant(at))]))));
            body.push_str(&render::answer(t, &value));
            body.push_str(&format!(
                "<p><a href=\"/ui/access-points/{ean}/history\">{}</a></p>",
                esc(&t.get("nav-history"))
            ));
            Ok(door.answer_page(&title, &body, sent.label()).into_response())
        }
        Err(app::AppError::NotVisible | app::AppError::UnknownAccessPoint(_)) => {
            // One page for a point that does not exist and one the caller may not see (R2, I5).
            let body = format!(
                "{body_form}<p class=\"notice\" role=\"status\">{}</p>",
                esc(&t.get("error-not-visible"))
            );
            Ok(door.page(&title, &body).status(StatusCode::NOT_FOUND).into_response())
        }
        Err(e) => Err(door.failure(e, &web)),
    }
}

/// The history of an access point, each record clipped to what the caller may see.
pub async fn history(State(web): State<Web>, door: Door, Path(ean): Path<String>) -> Answer {
    let session = door.signed()?;
    let t = &door.t;
    let ean = parse_ean(t, &ean).map_err(|_| door.failure(app::AppError::NotVisible, &web))?;
    let sent = web.app.access_point_history(&session.actor, ean).await.map_err(|e| door.failure(e, &web))?;
    let value: serde_json::Value = serde_json::from_slice(sent.json()).unwrap_or_default();
    let title = t.with("history-title", &[("ean", ean.to_string())]);
    Ok(door.answer_page(&title, &render::answer(t, &value), sent.label()).into_response())
}

/// The consumption of an access point as a chart and a table, clipped as the API clips it.
pub async fn consumption(
    State(web): State<Web>,
    door: Door,
    Path(ean): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let session = door.signed()?;
    let t = &door.t;
    let ean = parse_ean(t, &ean).map_err(|_| door.failure(app::AppError::NotVisible, &web))?;
    let to_default = today().tomorrow().unwrap_or(today());
    let from_default = to_default.checked_sub(jiff::Span::new().days(31)).unwrap_or(to_default);
    let from_text = q.get("from").cloned().unwrap_or_else(|| from_default.to_string());
    let to_text = q.get("to").cloned().unwrap_or_else(|| to_default.to_string());
    let resolution_text = q.get("resolution").cloned().unwrap_or_else(|| "day".to_owned());
    let mut from_field = Field::text(t, "from", &from_text).kind("date");
    let mut to_field = Field::text(t, "to", &to_text).kind("date");
    let resolutions = [
        ("15m", Resolution::Interval),
        ("1h", Resolution::Hour),
        ("day", Resolution::Day),
        ("month", Resolution::Month),
    ];
    let resolution_field = Field {
        options: resolutions
            .iter()
            .map(|(v, _)| ((*v).to_owned(), t.get(&format!("resolution-{v}"))))
            .collect(),
        ..Field::text(t, "resolution", &resolution_text)
    };
    let from = from_text.parse::<Date>().map_err(|_| t.get("error-day"));
    let to = to_text.parse::<Date>().map_err(|_| t.get("error-day"));
    let resolution = resolutions.iter().find(|(v, _)| *v == resolution_text).map(|(_, r)| *r);
    let title = t.with("consumption-title", &[("ean", ean.to_string())]);
    let action = format!("/ui/access-points/{ean}/consumption");
    let form = |fields| {
        html(&Fields {
            method: "get",
            action: &action,
            csrf: None,
            fields,
            submit: t.get("consumption-submit"),
        })
    };
    let (from, to, resolution) = match (from, to, resolution) {
        (Ok(from), Ok(to), Some(resolution)) => (from, to, resolution),
        (from, to, _) => {
            from_field.error = from.err();
            to_field.error = to.err();
            let body = form(vec![from_field, to_field, resolution_field]);
            return Ok(door
                .noticed(&title, &body, t.get("error-fix-fields"), StatusCode::BAD_REQUEST)
                .into_response());
        }
    };
    let mut body = form(vec![from_field, to_field, resolution_field]);
    let sent = match web.app.consumption(&session.actor, ean, from, to, resolution).await {
        Ok(sent) => sent,
        Err(app::AppError::Invalid(e)) => {
            body.push_str(&format!("<p class=\"error\" role=\"alert\">{}</p>", esc(&e.to_string())));
            return Ok(door
                .noticed(&title, &body, t.get("error-fix-fields"), StatusCode::BAD_REQUEST)
                .into_response());
        }
        Err(e) => return Err(door.failure(e, &web)),
    };
    let view = sent.view();
    if view.channels.is_empty() {
        body.push_str(&format!("<p>{}</p>", esc(&t.get("consumption-none"))));
    }
    for series in &view.channels {
        let channel = serde_json::to_value(series.channel)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let when = |start: &str| match start.parse::<Timestamp>() {
            Ok(at) if matches!(resolution, Resolution::Day | Resolution::Month) => {
                t.date(at.to_zoned(brussels()).date())
            }
            Ok(at) => t.instant(at),
            Err(_) => start.to_owned(),
        };
        let bars: Vec<Bar> = series.values.iter().map(|v| Bar { label: when(&v.start), wh: v.wh }).collect();
        let heading = t.with("consumption-channel", &[("channel", render::channel(t, &channel))]);
        body.push_str(&format!("<h2>{}</h2>", esc(&heading)));
        body.push_str(&chart::bars(&heading, "kWh", &bars, |wh| t.kwh(wh)));
        body.push_str(&format!(
            "<details><summary>{}</summary><div class=\"scroll\"><table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
            esc(&t.get("consumption-table")),
            esc(&heading),
            esc(&t.get("field-start")),
            esc(&t.get("field-energy")),
            esc(&t.get("field-quality")),
        ));
        for (bar, value) in bars.iter().zip(&series.values) {
            let quality = serde_json::to_value(value.quality)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&bar.label),
                value.wh.map_or_else(|| "—".to_owned(), |wh| esc(&t.kwh(wh))),
                esc(&t.get(&format!("quality-{quality}"))),
            ));
        }
        body.push_str("</tbody></table></div></details>");
    }
    Ok(door.answer_page(&title, &body, sent.label()).into_response())
}

/// A customer's access log: who accessed their data, when and why (R4, R7).
pub async fn access_log(
    State(web): State<Web>,
    door: Door,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let session = door.signed()?;
    let t = &door.t;
    let after = match q.get("after").map(|a| a.parse::<u64>()) {
        None => None,
        Some(Ok(after)) => Some(after),
        Some(Err(_)) => return Err(door.failure(app::AppError::NotVisible, &web)),
    };
    let query = AccessLogQuery::new(None, None, after, 100).map_err(|e| door.failure(e, &web))?;
    let sent = web.app.access_log(&session.actor, &query).await.map_err(|e| door.failure(e, &web))?;
    let value: serde_json::Value = serde_json::from_slice(sent.json()).unwrap_or_default();
    let mut body = format!("<p>{}</p>", esc(&t.get("access-log-intro")));
    body.push_str(&render::answer(t, value.get("entries").unwrap_or(&serde_json::Value::Null)));
    if let Some(next) = sent.view().next {
        body.push_str(&format!(
            "<p><a href=\"/ui/me/access-log?after={next}\">{}</a></p>",
            esc(&t.get("next-page"))
        ));
    }
    Ok(door.answer_page(&t.get("access-log-title"), &body, sent.label()).into_response())
}
