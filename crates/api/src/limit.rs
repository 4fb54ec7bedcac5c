//! A request budget per bearer token, so one caller's runaway loop cannot starve the others.
//!
//! The budget is a GCRA bucket (the `governor` crate) keyed by the SHA-256 of the bearer
//! secret: the limiter holds no secret a memory dump could replay, and the key is the same
//! digest whatever the request path, so every authenticated route draws on one budget. It is
//! checked before authentication, so a throttled request costs no database look-up and no
//! journal entry, and a valid and an invalid token are throttled alike.
//!
//! No oracle (I5): a 429 and its `Retry-After` depend only on how many requests bore that same
//! secret, which only its holder can send. They say nothing of an access point, another party
//! or whether the token is valid.
//!
//! Requests without a bearer token (`/healthz`, `/metrics`, the journal head and proofs, or an
//! authenticated route about to answer 401) are not limited here. A per-IP limit in the
//! process would be wrong behind a reverse proxy, where every client shares the proxy's
//! address, and those routes reveal nothing personal: the proxy in front, which sees the real
//! client addresses, is the place for a per-IP limit.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};
use sha2::{Digest, Sha256};

use crate::ApiError;

/// How many requests one bearer token may make.
///
/// No `Default`: the binary's configuration names the numbers (with
/// [`RateLimit::SUPPLIER_SYSTEM`] as its default), so what a server enforces is never implicit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per second, per token.
    pub per_second: NonZeroU32,
    /// Requests a token may make at once after being idle, before the sustained rate applies.
    pub burst: NonZeroU32,
}

const fn nonzero(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(n) => n,
        None => panic!("a rate limit is never zero"),
    }
}

impl RateLimit {
    /// 50 requests per second per token, bursts of 100.
    ///
    /// Sized for a supplier's back office, the heaviest legitimate caller: a nightly
    /// reconciliation of a 500,000-access-point portfolio takes under three hours at 50/s,
    /// and a burst of 100 lets a portal page's fan-out or a reconnect after a network blip
    /// through. Forty suppliers all at their limit make 2,000 requests per second, a fifth
    /// of the API's 10,000/s target, so staff and customers keep the rest; a loop gone wrong
    /// is throttled within two seconds.
    pub const SUPPLIER_SYSTEM: RateLimit = RateLimit { per_second: nonzero(50), burst: nonzero(100) };
}

/// Sweep the buckets of idle tokens once per this many limited requests, so tokens that come
/// and go (or invalid ones) do not grow the map without bound.
const SWEEP_EVERY: u64 = 4096;

/// The per-token buckets of one server.
pub struct Limiter {
    buckets: DefaultKeyedRateLimiter<[u8; 32]>,
    checked: AtomicU64,
}

impl Limiter {
    /// Buckets for `limit`.
    pub fn new(limit: RateLimit) -> Limiter {
        let quota = Quota::per_second(limit.per_second).allow_burst(limit.burst);
        Limiter { buckets: DefaultKeyedRateLimiter::keyed(quota), checked: AtomicU64::new(0) }
    }

    /// Takes one request from the bucket of `secret`; on refusal, how long until one is free.
    fn check(&self, secret: &str) -> Result<(), Duration> {
        let key: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        if self.checked.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            // A bucket that has refilled is the same as no bucket: dropping it changes nothing.
            self.buckets.retain_recent();
            self.buckets.shrink_to_fit();
        }
        self.buckets.check_key(&key).map_err(|not_until| not_until.wait_time_from(self.buckets.clock().now()))
    }
}

/// The bearer secret as the authentication extractor reads it: the same prefix, trimmed, so
/// spellings of one token that authenticate alike (extra spaces) share one bucket.
fn bearer(request: &Request) -> Option<&str> {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Middleware: 429 with `Retry-After` when the caller's token is over its budget.
pub async fn per_token(State(state): State<crate::State>, request: Request, next: Next) -> Response {
    if let Some(secret) = bearer(&request) {
        if let Err(wait) = state.limiter.check(secret) {
            return ApiError::rate_limited(wait).into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_second: u32, burst: u32) -> Limiter {
        Limiter::new(RateLimit { per_second: nonzero(per_second), burst: nonzero(burst) })
    }

    #[test]
    fn a_token_gets_its_burst_then_waits_and_others_are_unaffected() {
        let limiter = limiter(1, 3);
        for _ in 0..3 {
            assert_eq!(limiter.check("alpha"), Ok(()));
        }
        let wait = limiter.check("alpha").expect_err("over the burst");
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1), "{wait:?}");
        assert_eq!(limiter.check("beta"), Ok(()), "another token has its own bucket");
    }

    #[test]
    fn sweeping_keeps_a_bucket_that_has_not_refilled() {
        let limiter = limiter(1, 1);
        assert_eq!(limiter.check("alpha"), Ok(()));
        assert!(limiter.check("alpha").is_err());
        assert_eq!(limiter.buckets.len(), 1);
        limiter.buckets.retain_recent();
        assert!(limiter.check("alpha").is_err());
    }

    #[test]
    fn spellings_that_authenticate_alike_share_a_bucket() {
        let request = |value: &str| {
            axum::http::Request::builder()
                .header(header::AUTHORIZATION, value)
                .body(axum::body::Body::empty())
                .expect("request")
        };
        for value in ["Bearer abc", "Bearer   abc", "Bearer abc  "] {
            assert_eq!(bearer(&request(value)), Some("abc"), "{value:?}");
        }
        for value in ["bearer abc", "Bearer ", "Basic abc"] {
            assert_eq!(bearer(&request(value)), None, "{value:?}");
        }
    }
}
