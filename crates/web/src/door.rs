//! What every page handler starts from: the reader's language, their session if they have
//! one, and the page frame (navigation, language switch, sign-out, the answer's label).
//!
//! A session cookie that fails its MAC, has expired, or names a token no longer valid is
//! refused here, before any handler runs: the refusal is journaled with its reason and the
//! browser is sent to the sign-in page with the cookie cleared.

use std::collections::HashMap;

use app::{Actor, AppError, Role};
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use rand::RngCore;

use crate::i18n::{Locale, Texts};
use crate::render::esc;
use crate::session::{self, LANG_COOKIE, SESSION_COOKIE};
use crate::{HTMX_INTEGRITY, Web};

/// A signed-in reader.
pub struct Session {
    /// Who acts, as the gate sees them.
    pub actor: Actor,
    /// The CSRF token their forms carry.
    pub csrf: String,
}

/// The reader of one request.
pub struct Door {
    /// Their language.
    pub t: Texts,
    /// Their session, if signed in.
    pub session: Option<Session>,
    /// The path and query asked for, for the language switch and the way back after sign-in.
    pub here: String,
}

/// A fresh id for one request: the journal groups what the request did under it.
pub fn request_id() -> String {
    let mut id = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut id);
    hex::encode(id)
}

impl FromRequestParts<Web> for Door {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Door, Response> {
        let cookies = parts.headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let accept = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        let locale = Locale::negotiate(session::cookie(cookies, LANG_COOKIE), accept);
        let t = Texts::new(locale, web.catalogues.clone());
        let here = parts.uri.path_and_query().map_or_else(|| "/ui".to_owned(), |p| p.as_str().to_owned());
        let Some(value) = session::cookie(cookies, SESSION_COOKIE) else {
            return Ok(Door { t, session: None, here });
        };
        let refused = match web.keys.open(value, Timestamp::now()) {
            Err(refused) => refused.reason(),
            Ok(cookie) => match web.app.authenticate(&cookie.secret, &request_id()).await {
                Ok(Some(actor)) => {
                    let csrf = web.keys.csrf(&cookie.secret);
                    return Ok(Door { t, session: Some(Session { actor, csrf }), here });
                }
                // Revoked (signed out elsewhere) or expired in the table: the session is over.
                Ok(None) => "expired_session",
                Err(e) => return Err(Door { t, session: None, here }.failure(e, web)),
            },
        };
        if let Err(e) = web.app.record_refused_session(&request_id(), refused).await {
            tracing::error!(error = %e, "a refused session could not be journaled");
            return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
        let notice = if refused == "bad_cookie" { "tampered" } else { "expired" };
        let mut response = Redirect::to(&format!("/ui/login?notice={notice}")).into_response();
        set_cookie(&mut response, &session::set_cookie(SESSION_COOKIE, "", 0, web.config.secure_cookies));
        Err(response)
    }
}

/// Adds a `Set-Cookie` header.
pub fn set_cookie(response: &mut Response, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// One link of the navigation.
pub struct Link {
    /// Where.
    pub href: String,
    /// Its text.
    pub text: String,
    /// Whether it is the page shown.
    pub current: bool,
}

/// One language of the switch.
pub struct Language {
    href: String,
    lang: &'static str,
    text: &'static str,
    current: bool,
}

/// Who is signed in, for the header.
pub struct Who {
    text: String,
    csrf: String,
}

#[derive(Template)]
#[template(path = "page.html")]
struct Page<'a> {
    t: &'a Texts,
    title: &'a str,
    nav: Vec<Link>,
    languages: Vec<Language>,
    who: Option<Who>,
    notice: Option<String>,
    label: Option<String>,
    body: &'a str,
    htmx_integrity: &'static str,
}

/// The pages of each role, in menu order: a convenience only, since the gate decides every
/// page whatever the menu shows.
pub fn menu(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::Customer => &[("/ui", "nav-home"), ("/ui/me/access-log", "nav-access-log")],
        Role::Supplier => {
            &[("/ui", "nav-home"), ("/ui/access-points", "nav-lookup"), ("/ui/messages", "nav-messages")]
        }
        Role::RegisterStaff => &[
            ("/ui", "nav-home"),
            ("/ui/access-points", "nav-lookup"),
            ("/ui/access-requests", "nav-access-requests"),
            ("/ui/mandates", "nav-mandates"),
        ],
        Role::MeteringStaff => {
            &[("/ui", "nav-home"), ("/ui/access-points", "nav-lookup"), ("/ui/validation", "nav-validation")]
        }
        Role::Auditor => &[
            ("/ui", "nav-home"),
            ("/ui/journal", "nav-journal"),
            ("/ui/journal/head", "nav-head"),
            ("/ui/journal/proof", "nav-proof"),
            ("/ui/health", "nav-health"),
        ],
        Role::Support => &[("/ui", "nav-home"), ("/ui/health", "nav-health")],
        Role::CallCenter => &[
            ("/ui", "nav-home"),
            ("/ui/access-points", "nav-lookup"),
            ("/ui/contact", "nav-contact"),
            ("/ui/contact/report", "nav-contact-report"),
        ],
        _ => &[("/ui", "nav-home"), ("/ui/access-points", "nav-lookup")],
    }
}

impl Door {
    /// The signed-in reader, or the way to the sign-in page and back here.
    pub fn signed(&self) -> Result<&Session, Response> {
        self.session.as_ref().ok_or_else(|| {
            let next: String = self.here.chars().filter(|c| !c.is_control()).collect();
            Redirect::to(&format!("/ui/login?next={}", percent(&next))).into_response()
        })
    }

    /// A page with `body` (HTML already escaped) under `title`.
    pub fn page(&self, title: &str, body: &str) -> PageOut {
        PageOut { status: StatusCode::OK, html: self.frame(title, body, None, None) }
    }

    /// A page that shows an answer of the gate, with its label (R8).
    pub fn answer_page(&self, title: &str, body: &str, label: Option<domain::label::Label>) -> PageOut {
        PageOut { status: StatusCode::OK, html: self.frame(title, body, None, label.map(|l| l.to_string())) }
    }

    /// A page with a notice above its body.
    pub fn noticed(&self, title: &str, body: &str, notice: String, status: StatusCode) -> PageOut {
        PageOut { status, html: self.frame(title, body, Some(notice), None) }
    }

    fn frame(&self, title: &str, body: &str, notice: Option<String>, label: Option<String>) -> String {
        let path = self.here.split('?').next().unwrap_or("/ui");
        let nav = self
            .session
            .as_ref()
            .map(|s| {
                menu(s.actor.role)
                    .iter()
                    .map(|(href, id)| Link {
                        href: (*href).to_owned(),
                        text: self.t.get(id),
                        current: path == *href,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let languages = Locale::ALL
            .iter()
            .map(|l| Language {
                href: format!("/ui/lang/{}?back={}", l.tag(), percent(&self.here)),
                lang: l.tag(),
                text: match l {
                    Locale::Fr => "Français",
                    Locale::En => "English",
                },
                current: *l == self.t.locale(),
            })
            .collect();
        let who = self.session.as_ref().map(|s| Who {
            text: self.t.with(
                "signed-in-as",
                &[
                    ("party", s.actor.party.to_string()),
                    ("role", self.t.get(&format!("role-{}", s.actor.role.as_str()))),
                ],
            ),
            csrf: s.csrf.clone(),
        });
        let page = Page {
            t: &self.t,
            title,
            nav,
            languages,
            who,
            notice,
            label,
            body,
            htmx_integrity: HTMX_INTEGRITY,
        };
        page.render().unwrap_or_else(|e| {
            tracing::error!(error = %e, "a page did not render");
            "<!doctype html><title>Cloison</title><p>error</p>".to_owned()
        })
    }

    /// The page for a use case's refusal or failure: what may not be seen and what does not
    /// exist are one page (I5); input errors name the field; our failures are logged, not shown.
    pub fn failure(&self, e: AppError, _web: &Web) -> Response {
        let (status, id) = match &e {
            AppError::NotVisible
            | AppError::UnknownAccessPoint(_)
            | AppError::NoSuchEntry(_)
            | AppError::NoSuch(_) => (StatusCode::NOT_FOUND, "error-not-visible"),
            AppError::Forbidden => (StatusCode::FORBIDDEN, "error-forbidden"),
            AppError::Invalid(_) | AppError::BadLines(_) | AppError::KeyReused => {
                (StatusCode::BAD_REQUEST, "error-invalid")
            }
            _ => {
                tracing::error!(error = %e, "a page's use case failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
            }
        };
        let detail = match &e {
            AppError::Invalid(_) | AppError::BadLines(_) => {
                format!("<p class=\"error\">{}</p>", esc(&e.to_string()))
            }
            _ => String::new(),
        };
        let title = self.t.get(id);
        PageOut { status, html: self.frame(&title, &detail, None, None) }.into_response()
    }

    /// Checks a form's CSRF token against the session's; a mismatch is journaled and refused.
    pub async fn check_csrf(&self, web: &Web, form: &HashMap<String, String>) -> Result<&Session, Response> {
        let session = self.signed()?;
        let sent = form.get("csrf").map(String::as_str).unwrap_or("");
        if session::constant_eq(sent, &session.csrf) {
            return Ok(session);
        }
        Err(self.forged(web).await)
    }

    /// The answer to a form whose CSRF token is wrong: journaled, 403, nothing done.
    pub async fn forged(&self, web: &Web) -> Response {
        if let Err(e) = web.app.record_refused_session(&request_id(), "csrf").await {
            tracing::error!(error = %e, "a forged form could not be journaled");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        let title = self.t.get("error-csrf");
        self.noticed(&title, "", self.t.get("error-csrf-detail"), StatusCode::FORBIDDEN).into_response()
    }
}

/// A rendered page and its status.
pub struct PageOut {
    status: StatusCode,
    html: String,
}

impl PageOut {
    /// The same page with another status.
    pub fn status(self, status: StatusCode) -> PageOut {
        PageOut { status, ..self }
    }
}

impl IntoResponse for PageOut {
    fn into_response(self) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        // Pages hold confidential answers: never cached, never framed, scripts only our own.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                 form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'",
            ),
        );
        (self.status, headers, self.html).into_response()
    }
}

/// Percent-encodes a query value (everything but unreserved characters and `/`).
pub fn percent(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A path to go back to after sign-in or a language change: only a path of these pages, so
/// the parameter cannot send the reader to another site (an open redirect).
pub fn back_to(next: Option<&str>) -> String {
    match next {
        Some(n)
            if (n == "/ui" || n.starts_with("/ui/") || n.starts_with("/ui?"))
                && !n.contains('\\')
                && !n.contains("://") =>
        {
            n.to_owned()
        }
        _ => "/ui".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_these_pages_are_ways_back() {
        assert_eq!(back_to(Some("/ui/journal?subject=x")), "/ui/journal?subject=x");
        for bad in [
            "https://evil.example/ui",
            "//evil.example",
            "/uix/../..",
            "/api",
            "/ui/\\evil",
            "/ui/x?u=https://e",
        ] {
            assert_eq!(back_to(Some(bad)), "/ui", "{bad}");
        }
        assert_eq!(back_to(None), "/ui");
        assert_eq!(percent("/ui/a?b=c d"), "/ui/a%3Fb%3Dc%20d");
    }
}
