//! Sessions and forms: the cookie that carries a signed-in party's bearer token, and the CSRF
//! token every form carries.
//!
//! A session is a bearer token of the `tokens` table, made at sign-in: the same gate decides
//! for it and the same journal records it, and signing out revokes it. The cookie carries the
//! token's secret with its expiry and a MAC under a key derived from the installation's key,
//! so the door tells a tampered cookie (the MAC fails), an expired one (the MAC holds, the time
//! has passed) and a revoked one (the token is no longer valid) apart, and journals each
//! refusal. The cookie is `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's
//! page sends it), `Secure` when the server speaks TLS, and scoped to `/ui`.
//!
//! CSRF: every form carries a token that is a MAC of the session's secret (the synchroniser
//! pattern without server state); the sign-in form, before any session, one of a random nonce
//! kept in its own short-lived cookie (double submit). A POST whose token does not match is
//! refused and journaled.

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use rand::RngCore;
use sha2::Sha256;

/// The cookie that holds a session.
pub const SESSION_COOKIE: &str = "cloison_session";
/// The cookie of the sign-in form's nonce.
pub const LOGIN_COOKIE: &str = "cloison_login";
/// The cookie of the chosen language.
pub const LANG_COOKIE: &str = "cloison_lang";

/// What a session cookie says, once its MAC holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    /// The bearer token's secret.
    pub secret: String,
    /// When the session ends.
    pub expires: Timestamp,
}

/// Why a session cookie was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not in the form the door writes, or its MAC fails: forged or altered.
    Tampered,
    /// Its time has passed.
    Expired,
}

impl Refused {
    /// The reason as the journal records it.
    pub fn reason(self) -> &'static str {
        match self {
            Refused::Tampered => "bad_cookie",
            Refused::Expired => "expired_session",
        }
    }
}

/// The door's key for its cookies and forms.
#[derive(Clone)]
pub struct Keys {
    key: [u8; 32],
}

impl Keys {
    /// The keys from a secret derived for the web door alone.
    pub fn new(key: [u8; 32]) -> Keys {
        Keys { key }
    }

    fn mac(&self, parts: &[&str]) -> String {
        // A key of 32 bytes always fits HMAC-SHA-256; the error case cannot occur.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).unwrap_or_else(|_| {
            <Hmac<Sha256> as Mac>::new_from_slice(&[0u8; 32]).expect("a 32-byte key always fits")
        });
        for part in parts {
            mac.update(part.as_bytes());
            mac.update(b"\x1f");
        }
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// The cookie's value for a session.
    pub fn seal(&self, cookie: &Cookie) -> String {
        let expires = cookie.expires.as_second().to_string();
        format!("{}.{expires}.{}", cookie.secret, self.mac(&["session", &cookie.secret, &expires]))
    }

    /// The session a cookie's value holds, checked at `now`.
    pub fn open(&self, value: &str, now: Timestamp) -> Result<Cookie, Refused> {
        let mut parts = value.split('.');
        let (Some(secret), Some(expires), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Refused::Tampered);
        };
        if !constant_eq(mac, &self.mac(&["session", secret, expires])) {
            return Err(Refused::Tampered);
        }
        let expires = expires
            .parse::<i64>()
            .ok()
            .and_then(|s| Timestamp::from_second(s).ok())
            .ok_or(Refused::Tampered)?;
        if expires <= now {
            return Err(Refused::Expired);
        }
        Ok(Cookie { secret: secret.to_owned(), expires })
    }

    /// The CSRF token of a session's forms.
    pub fn csrf(&self, secret: &str) -> String {
        self.mac(&["csrf", secret])
    }

    /// The CSRF token of the sign-in form with nonce `nonce`.
    pub fn login_csrf(&self, nonce: &str) -> String {
        self.mac(&["login", nonce])
    }
}

/// A fresh nonce for the sign-in form's cookie.
pub fn nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Compares two tokens without stopping at the first difference, so the time taken says
/// nothing of how much of a guess was right.
pub fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then_some(value)
    })
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, path `/ui`, `Secure` over TLS;
/// `max_age` in seconds, 0 to delete.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/ui; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::new([7u8; 32])
    }

    fn now() -> Timestamp {
        "2026-12-07T12:00:00Z".parse().expect("instant")
    }

    #[test]
    fn a_sealed_cookie_opens_until_it_expires() {
        let cookie =
            Cookie { secret: "clo_ab12".into(), expires: now() + jiff::SignedDuration::from_hours(8) };
        let value = keys().seal(&cookie);
        assert_eq!(keys().open(&value, now()), Ok(cookie.clone()));
        assert_eq!(keys().open(&value, cookie.expires), Err(Refused::Expired));
    }

    #[test]
    fn any_change_to_a_cookie_is_tampering() {
        let cookie =
            Cookie { secret: "clo_ab12".into(), expires: now() + jiff::SignedDuration::from_hours(8) };
        let value = keys().seal(&cookie);
        // Each byte changed, the expiry pushed later, another key, extra or missing parts.
        for i in 0..value.len() {
            let mut bytes = value.clone().into_bytes();
            bytes[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
            let altered = String::from_utf8(bytes).expect("ascii");
            assert_eq!(keys().open(&altered, now()), Err(Refused::Tampered), "byte {i}: {altered}");
        }
        let later = value.replacen(&cookie.expires.as_second().to_string(), "99999999999", 1);
        assert_eq!(keys().open(&later, now()), Err(Refused::Tampered));
        assert_eq!(Keys::new([8u8; 32]).open(&value, now()), Err(Refused::Tampered));
        assert_eq!(keys().open(&format!("{value}.x"), now()), Err(Refused::Tampered));
        assert_eq!(keys().open("clo_ab12", now()), Err(Refused::Tampered));
        assert_eq!(keys().open("", now()), Err(Refused::Tampered));
    }

    #[test]
    fn csrf_tokens_belong_to_one_session_and_differ_from_the_sign_in_forms() {
        let k = keys();
        assert_eq!(k.csrf("clo_a"), k.csrf("clo_a"));
        assert_ne!(k.csrf("clo_a"), k.csrf("clo_b"));
        assert_ne!(k.csrf("n1"), k.login_csrf("n1"));
        assert_ne!(k.csrf("clo_a"), Keys::new([9u8; 32]).csrf("clo_a"));
    }

    #[test]
    fn cookies_are_read_by_exact_name() {
        let header = "a=1; cloison_session=x.y.z; cloison_sessionx=bad";
        assert_eq!(cookie(header, SESSION_COOKIE), Some("x.y.z"));
        assert_eq!(cookie(header, "b"), None);
        assert!(constant_eq("abc", "abc") && !constant_eq("abc", "abd") && !constant_eq("ab", "abc"));
        let set = set_cookie(SESSION_COOKIE, "v", 60, true);
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.ends_with("Secure"),
            "{set}"
        );
        assert!(!set_cookie(SESSION_COOKIE, "v", 60, false).contains("Secure"));
    }
}
