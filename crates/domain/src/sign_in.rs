//! The rules of signing in with a password: how long a password must be, and when repeated
//! failures lock a party out.
//!
//! The web interface signs people in with a password where the API takes a bearer token; a
//! password can be guessed where a 256-bit token cannot, so the guesses are limited. The rule
//! is a lockout per party rather than a delay per request: a delay per request is defeated by
//! sending many at once, a lockout is not. It is decided here, from the instants of the
//! failures the store kept, so the application and its tests agree on one reading of "five
//! failures within fifteen minutes". Pure: the instants come in as arguments.

use jiff::{SignedDuration, Timestamp};

/// The fewest characters a password may have. Length is what makes a password hard to
/// guess; rules on character classes only make people write them down, and are not asked.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The most bytes a password may have: hashing a megabyte on every attempt would let anyone
/// keep the server busy, and no one types more than this.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// How many failures, with no success between them, lock a party out.
pub const LOCKOUT_FAILURES: usize = 5;

/// Within how long those failures must fall, and how long the lock lasts after the last one.
pub const LOCKOUT_WINDOW: SignedDuration = SignedDuration::from_mins(15);

/// A password refused when it is set, with the rule's stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("password: {code}: {reason}")]
pub struct PasswordError {
    /// The rule's stable code: `password_too_short` or `password_too_long`.
    pub code: &'static str,
    /// What is wrong, for a person; never the password itself.
    pub reason: String,
}

/// Checks a password that is about to be set: at least [`MIN_PASSWORD_CHARS`] characters
/// (characters, not bytes, so an accented letter counts once) and at most
/// [`MAX_PASSWORD_BYTES`] bytes.
pub fn check_password(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordError {
            code: "password_too_short",
            reason: format!("must have at least {MIN_PASSWORD_CHARS} characters, found {chars}"),
        });
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError {
            code: "password_too_long",
            reason: format!("must have at most {MAX_PASSWORD_BYTES} bytes, found {}", password.len()),
        });
    }
    Ok(())
}

/// Until when a party is locked out at `now`, given the instants of its failed sign-ins since
/// its last success (in any order): locked when its last [`LOCKOUT_FAILURES`] failures fall
/// within [`LOCKOUT_WINDOW`], until that long after the last of them; `None` when not locked.
///
/// An attempt refused because of the lock is not a failure: counting it would keep a party
/// locked for as long as someone kept trying, which hands anyone a way to lock anyone out for
/// good.
pub fn locked_until(failures: &[Timestamp], now: Timestamp) -> Option<Timestamp> {
    if failures.len() < LOCKOUT_FAILURES {
        return None;
    }
    let mut sorted = failures.to_vec();
    sorted.sort_unstable();
    let last = &sorted[sorted.len() - LOCKOUT_FAILURES..];
    let (first, latest) = (last[0], last[LOCKOUT_FAILURES - 1]);
    if latest.duration_since(first) > LOCKOUT_WINDOW {
        return None;
    }
    let until = latest.checked_add(LOCKOUT_WINDOW).ok()?;
    (now < until).then_some(until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_second(1_767_225_600 + minutes * 60).expect("in range")
    }

    #[test]
    fn a_password_needs_twelve_characters_not_bytes() {
        let short = check_password("elevenchars").expect_err("11 characters");
        assert_eq!(short.code, "password_too_short");
        assert!(short.to_string().starts_with("password: "), "{short}");
        assert!(!short.to_string().contains("elevenchars"), "never the password itself: {short}");
        assert!(check_password("twelve chars").is_ok());
        // Eleven letters, five of them two bytes long: still too short.
        assert!(check_password("éééééabcdef").is_err());
        assert!(check_password(&"x".repeat(MAX_PASSWORD_BYTES)).is_ok());
        assert_eq!(
            check_password(&"x".repeat(MAX_PASSWORD_BYTES + 1)).expect_err("too long").code,
            "password_too_long"
        );
    }

    #[test]
    fn five_failures_within_fifteen_minutes_lock_until_fifteen_after_the_last() {
        let failures: Vec<Timestamp> = (0..5).map(|m| at(m * 3)).collect();
        assert_eq!(locked_until(&failures[..4], at(12)), None, "four are not enough");
        assert_eq!(locked_until(&failures, at(12)), Some(at(27)));
        assert_eq!(locked_until(&failures, at(26)), Some(at(27)));
        assert_eq!(locked_until(&failures, at(27)), None, "the lock ends 15 minutes after the last");
        let spread: Vec<Timestamp> = (0..5).map(|m| at(m * 4)).collect();
        assert_eq!(locked_until(&spread, at(16)), None, "16 minutes from first to fifth");
        let mut later = spread.clone();
        later.push(at(18));
        assert_eq!(locked_until(&later, at(18)), Some(at(33)), "the last five decide");
    }

    proptest! {
        /// The lock holds exactly when some five of the failures fall within the window and
        /// `now` is before the window's end after the last failure: a plain scan agrees.
        #[test]
        fn the_lock_agrees_with_a_scan(
            minutes in proptest::collection::vec(0i64..120, 0..9),
            now in 0i64..160,
        ) {
            let failures: Vec<Timestamp> = minutes.iter().map(|m| at(*m)).collect();
            let mut sorted = minutes.clone();
            sorted.sort_unstable();
            let scan = sorted.len() >= LOCKOUT_FAILURES && {
                let last = &sorted[sorted.len() - LOCKOUT_FAILURES..];
                last[LOCKOUT_FAILURES - 1] - last[0] <= 15 && now < last[LOCKOUT_FAILURES - 1] + 15
            };
            prop_assert_eq!(locked_until(&failures, at(now)).is_some(), scan);
            if let Some(until) = locked_until(&failures, at(now)) {
                prop_assert!(until > at(now));
                prop_assert_eq!(until, at(sorted[sorted.len() - 1] + 15));
            }
        }
    }
}
