//! Signing in to the web interface with a password, and what its door journals.
//!
//! A session is a bearer token like the API's: a sign-in opens one in the `tokens` table, so
//! [`Cloison::authenticate`] resolves the session cookie's secret to an actor and every page
//! passes the same gate and lands in the same journal as an API call. What is new here is the
//! password (argon2id, its PHC string kept, set by an administrator) and the limits on
//! guessing it: five failures within fifteen minutes lock the party out for fifteen minutes
//! after the last one, even against the right password (`domain::sign_in`).
//!
//! I5: an attempt tells the caller nothing it did not know. A wrong password and a party that
//! does not exist (or has no password) get one and the same refusal, take the same time (a
//! dummy hash is verified for the party that does not exist), and lock the same way: the
//! failures of names the register does not hold are counted in memory, since there is no party
//! to bind a row to, so trying a made-up name six times answers `locked` as a real one would.
//!
//! Each attempt is journaled. An attempt for a party with a password is that party's own act,
//! in the role its password signs in as, decided by the `SignIn` action (which every role may
//! take: the administrator chose the role when setting the password). An attempt naming no
//! such party is the door's act ([`WEB_DOOR`], acting as `system`), without the name typed:
//! a name that is no party's is as likely a password typed in the wrong field. The alternative,
//! journaling refusals without a decision as `authenticate` does for a bad bearer token, was
//! rejected: a bearer token is 256 random bits that nobody guesses, a password is not, and the
//! ethics committee should see the guessing.

use std::collections::HashMap;
use std::sync::{OnceLock, PoisonError};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use domain::sign_in::{LOCKOUT_WINDOW, check_password, locked_until};
use domain::{PartyId, Role};
use jiff::{SignedDuration, Timestamp};
use journal::Entry;
use policy::{Action, Resource};
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::journal::{Command, Done};
use store::{NewToken, StoreError, WriteTx};

use crate::gate::Ask;
use crate::write::{refused, token_done};
use crate::{Actor, AppError, Cloison};

/// The party the web door journals its own acts as: a sign-in attempt naming no party with a
/// password, and a request it refused before any session ([`Cloison::record_refused_session`]).
pub const WEB_DOOR: &str = "web-door";

/// Why the web door refused a request before it reached a use case, as
/// [`Cloison::record_refused_session`] journals it: a form whose CSRF token did not match, a
/// session cookie whose token has expired or been revoked, a cookie that does not decode.
pub const REFUSED_SESSION_REASONS: [&str; 3] = ["csrf", "expired_session", "bad_cookie"];

/// How the journal names the purpose of the door's acts.
const PURPOSE: &str = "web sign-in";

/// A session just opened: the secret for the session cookie (shown once, never stored), the
/// token's public id, when it ends, and the actor it stands for.
#[derive(Clone)]
pub struct SignedIn {
    /// The bearer secret: what the session cookie carries.
    pub secret: String,
    /// The token's public id, for signing out and for the journal.
    pub token_id: String,
    /// When the session ends by itself.
    pub expires: Timestamp,
    /// The actor the session stands for, as [`Cloison::authenticate`] will resolve it.
    pub actor: Actor,
}

/// Without the secret: a session written to a log must not be usable.
impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("token_id", &self.token_id)
            .field("expires", &self.expires)
            .field("actor", &self.actor)
            .finish_non_exhaustive()
    }
}

/// The one refusal of a wrong password and of a party that cannot sign in (I5).
fn bad_credentials() -> StoreError {
    StoreError::Refused {
        field: "credentials",
        code: "bad_credentials",
        reason: "the party or the password is not right".into(),
    }
}

/// The refusal of any attempt while locked out, the right password included.
fn locked() -> StoreError {
    StoreError::Refused {
        field: "credentials",
        code: "locked",
        reason: format!(
            "too many failed sign-ins: the account is locked for a while ({} minutes after the last \
             failed attempt); try again later",
            LOCKOUT_WINDOW.as_mins()
        ),
    }
}

/// The failed attempts of names that are no party with a password, in memory: no row can be
/// bound to a party that does not exist, yet such a name must lock like a real one (I5). Keyed
/// by a digest of the name, so what was typed (perhaps a password) is not kept.
#[derive(Debug, Default)]
pub(crate) struct DoorFailures {
    by_name: HashMap<[u8; 32], Vec<Timestamp>>,
}

/// Names tracked at most. Past it, names whose failures are too old to matter are forgotten;
/// if all are recent (a flood of made-up names) the map starts over: such names then lock
/// later than real ones would, which a flood makes hard to tell anyway.
const MAX_DOOR_NAMES: usize = 16_384;

impl DoorFailures {
    fn key(name: &str) -> [u8; 32] {
        Sha256::digest(name.as_bytes()).into()
    }

    /// Until when `name` is locked out at `now`.
    fn locked_until(&self, name: &str, now: Timestamp) -> Option<Timestamp> {
        self.by_name.get(&Self::key(name)).and_then(|failures| locked_until(failures, now))
    }

    /// Counts a failure of `name` at `now`.
    fn fail(&mut self, name: &str, now: Timestamp) {
        let key = Self::key(name);
        if !self.by_name.contains_key(&key) && self.by_name.len() >= MAX_DOOR_NAMES {
            self.by_name
                .retain(|_, failures| failures.iter().any(|t| now.duration_since(*t) < LOCKOUT_WINDOW));
            if self.by_name.len() >= MAX_DOOR_NAMES {
                self.by_name.clear();
            }
        }
        let failures = self.by_name.entry(key).or_default();
        failures.push(now);
        // The rule looks at the last five only.
        if failures.len() > domain::sign_in::LOCKOUT_FAILURES {
            failures.remove(0);
        }
    }
}

/// An argon2id PHC string for no password anyone has, verified against for a party that
/// cannot sign in, so that answer takes as long as a wrong password's.
fn dummy_phc() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::encode_b64(b"cloison-no-party").expect("16 bytes make a valid salt");
        Argon2::default()
            .hash_password(b"no party signs in with this password", &salt)
            .map(|hash| hash.to_string())
            .expect("hashing a fixed password with the default parameters cannot fail")
    })
}

/// How many passwords are hashed or verified at once. Each argon2id run holds 19 MiB for tens
/// of milliseconds; without a bound, a flood of sign-in attempts would start one per blocking
/// thread (512) and exhaust memory rather than wait. Two cores are kept busy by four.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Hashes `password` off the async runtime: argon2id is slow on purpose.
async fn hash(password: &str) -> Result<String, AppError> {
    let _permit = HASHING.acquire().await.map_err(|e| internal(format!("password hashing: {e}")))?;
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| internal(format!("password hashing stopped: {e}")))?
    .map_err(|e| internal(format!("password hashing failed: {e}")))
}

/// Whether `password` matches `phc`, verified off the async runtime; against the dummy hash
/// (and `false`) when there is none. A stored hash that does not parse matches nothing, and is
/// logged: fail closed.
async fn verify(password: &str, phc: Option<String>) -> Result<bool, AppError> {
    let _permit = HASHING.acquire().await.map_err(|e| internal(format!("password verification: {e}")))?;
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let argon = Argon2::default();
        let (text, real) = match &phc {
            Some(phc) => (phc.as_str(), true),
            None => (dummy_phc(), false),
        };
        match PasswordHash::new(text) {
            Ok(parsed) => argon.verify_password(password.as_bytes(), &parsed).is_ok() && real,
            Err(e) => {
                tracing::error!("a stored password hash does not parse: {e}");
                false
            }
        }
    })
    .await
    .map_err(|e| internal(format!("password verification stopped: {e}")))
}

fn internal(reason: String) -> AppError {
    AppError::Internal(StoreError::Journal(reason))
}

/// The party and the password's role, when `party` names a party with a password whose role
/// still parses; with the failures that count towards its lockout.
struct Known {
    party: PartyId,
    role: Role,
    phc: String,
    failures: Vec<Timestamp>,
}

impl Cloison {
    /// Sets `party`'s sign-in password, for the web interface, in `role` (the role its
    /// sessions will act in); journaled as `actor`'s act under the same permission as creating
    /// a token (`ManageTokens`), since a password is a way to get one. The password must have
    /// at least 12 characters (refused naming `password`, before anything is asked or
    /// written); the party must exist and fit the role, as for a token. Only the argon2id PHC
    /// string is stored, and the journal names the party alone: neither the password nor its
    /// hash appears in an entry.
    pub async fn set_password(
        &self,
        actor: &Actor,
        party: &str,
        role: Role,
        password: &str,
    ) -> Result<(), AppError> {
        check_password(password).map_err(|e| {
            AppError::Invalid(StoreError::Refused { field: "password", code: e.code, reason: e.reason })
        })?;
        let ask = Ask::function(
            Action::ManageTokens,
            Resource::Installation,
            "admin.password.set",
            "access management",
        )
        .about(vec![party.to_owned()]);
        self.write(actor, vec![ask], |template| async move {
            // Hashed once the gate said yes: a refused caller costs no hash.
            let phc = hash(password).await?;
            let command = SetPassword { template, party: party.to_owned(), role, phc };
            Ok(self.store.submit(command).await?.wait().await?.output?)
        })
        .await
    }

    /// Signs `party` in with `password`, opening a session of `lifetime` for request
    /// `request`: a bearer token in the password's role, which [`Cloison::authenticate`]
    /// resolves like any other. Journaled as the party's own act (`web.sign_in`, outcome
    /// `ok`), with the token and the success bound to the entry.
    ///
    /// Refused with one error for a wrong password, an unknown party and a party without a
    /// password (`credentials: bad_credentials: …`, journaled `refused:bad_credentials`),
    /// counting a failure; and, once five failures fall within fifteen minutes with no success
    /// between, with `credentials: locked: …` (journaled `refused:locked`) for every attempt
    /// until fifteen minutes after the last failure, the right password included. The
    /// password is verified off the async runtime.
    pub async fn sign_in(
        &self,
        party: &str,
        password: &str,
        request: &str,
        lifetime: SignedDuration,
    ) -> Result<SignedIn, AppError> {
        if lifetime <= SignedDuration::ZERO {
            return Err(AppError::Invalid(StoreError::Config {
                field: "lifetime",
                reason: format!("must be positive, found {lifetime:#}"),
            }));
        }
        let now = Timestamp::now();
        let expires = now.checked_add(lifetime).map_err(|e| {
            AppError::Invalid(StoreError::Config { field: "lifetime", reason: e.to_string() })
        })?;
        let Some(known) = self.known(party).await? else {
            return self.door_refusal(party, password, request, now).await;
        };
        let actor = Actor { party: known.party.clone(), role: known.role, session: request.to_owned() };
        if locked_until(&known.failures, now).is_some() {
            return Err(self.refuse_attempt(&actor, locked(), now).await);
        }
        if !verify(password, Some(known.phc)).await? {
            return Err(self.refuse_attempt(&actor, bad_credentials(), now).await);
        }
        let token = NewToken::generate(expires);
        let actor = Actor { session: format!("{}/{request}", token.token_id), ..actor };
        let ask = Ask::function(Action::SignIn, Resource::Installation, "web.sign_in", PURPOSE);
        let opened = self
            .write(&actor, vec![ask], |template| async {
                let command = OpenSession {
                    template,
                    token,
                    party: actor.party.to_string(),
                    role: actor.role,
                    at: now,
                };
                Ok(self.store.submit(command).await?.wait().await?.output?)
            })
            .await?;
        Ok(SignedIn { secret: opened.secret, token_id: opened.token_id, expires: opened.expires, actor })
    }

    /// Signs the actor out: revokes the token its session was opened with (the id before the
    /// `/` of [`Actor::session`], as [`Cloison::authenticate`] builds it), so its secret stops
    /// working at once. One's own session needs no `ManageTokens`: the `SignIn` action, which
    /// every role takes, decides it, and the store revokes only a token of the actor's own
    /// party. Journaled as the actor's act (`web.sign_out`).
    pub async fn sign_out(&self, actor: &Actor) -> Result<(), AppError> {
        let token_id =
            actor.session.split('/').next().filter(|id| id.starts_with("tok_")).ok_or_else(|| {
                AppError::Invalid(StoreError::Refused {
                    field: "session",
                    code: "no_session",
                    reason: "this actor did not sign in with a token, so there is no session to end".into(),
                })
            })?;
        let ask = Ask::function(Action::SignIn, Resource::Installation, "web.sign_out", PURPOSE)
            .about(vec![token_id.to_owned()]);
        self.write(actor, vec![ask], |template| async move {
            let command =
                CloseSession { template, token_id: token_id.to_owned(), party: actor.party.to_string() };
            Ok(self.store.submit(command).await?.wait().await?.output?)
        })
        .await
    }

    /// Journals that the web door refused request `request` before it reached a use case:
    /// `reason` is one of [`REFUSED_SESSION_REASONS`] (a forged CSRF token, an expired
    /// session, a tampered cookie), journaled as the door's note with outcome
    /// `refused:{reason}` and no subjects, so the ethics committee sees the attempts, and
    /// nothing the request claimed is taken as true.
    pub async fn record_refused_session(&self, request: &str, reason: &str) -> Result<(), AppError> {
        let Some(reason) = REFUSED_SESSION_REASONS.into_iter().find(|r| *r == reason) else {
            return Err(AppError::Invalid(StoreError::Refused {
                field: "reason",
                code: "unknown_reason",
                reason: format!("must be one of {}, found {reason:?}", REFUSED_SESSION_REASONS.join(", ")),
            }));
        };
        let ask = Ask::function(Action::WriteJournalNote, Resource::Journal, "web.session.refused", PURPOSE);
        self.note_outcome(&door(request)?, ask, format!("refused:{reason}")).await?;
        Ok(())
    }

    /// The party `party` names, when it has a password whose role a token may carry.
    async fn known(&self, party: &str) -> Result<Option<Known>, AppError> {
        let Ok(id) = party.parse::<PartyId>() else { return Ok(None) };
        let state = self.store.sign_in_state(id.as_str()).await?;
        let Some(password) = state.password else { return Ok(None) };
        let Ok(role) = Role::parse(&password.role).and_then(Role::for_token) else {
            return Ok(None);
        };
        Ok(Some(Known { party: id, role, phc: password.phc, failures: state.failures }))
    }

    /// Refuses an attempt for a known party with `refusal`, journaled as the party's act with
    /// a failure row for a wrong password (not for an attempt refused by the lock, which would
    /// otherwise keep anyone locked out for as long as someone kept trying). Answers the
    /// refusal even where the policy denies the role a sign-in, which would otherwise say that
    /// the party has a password.
    async fn refuse_attempt(&self, actor: &Actor, refusal: StoreError, now: Timestamp) -> AppError {
        let ask = Ask::function(Action::SignIn, Resource::Installation, "web.sign_in", PURPOSE);
        let count = refusal.code() == "bad_credentials";
        let written = self
            .write(actor, vec![ask], |template| async move {
                let command =
                    RefuseAttempt { template, party: actor.party.to_string(), refusal, count, at: now };
                Ok(self.store.submit(command).await?.wait().await?.output?)
            })
            .await;
        match written {
            Err(AppError::Forbidden) => AppError::Invalid(bad_credentials()),
            Err(e) => e,
            // The command always answers its refusal.
            Ok(()) => AppError::Invalid(bad_credentials()),
        }
    }

    /// Refuses an attempt naming no party with a password: the dummy hash verified, the
    /// failure counted in memory, journaled as the door's act without the name.
    async fn door_refusal(
        &self,
        party: &str,
        password: &str,
        request: &str,
        now: Timestamp,
    ) -> Result<SignedIn, AppError> {
        let is_locked =
            self.door.lock().unwrap_or_else(PoisonError::into_inner).locked_until(party, now).is_some();
        let refusal = if is_locked {
            locked()
        } else {
            verify(password, None).await?;
            self.door.lock().unwrap_or_else(PoisonError::into_inner).fail(party, now);
            bad_credentials()
        };
        let ask = Ask::function(Action::SignIn, Resource::Installation, "web.sign_in", PURPOSE);
        match self.note_outcome(&door(request)?, ask, refused(&refusal)).await {
            Ok(_) | Err(AppError::Forbidden) => Err(AppError::Invalid(refusal)),
            Err(e) => Err(e),
        }
    }
}

/// The web door as an actor, in request `request`.
fn door(request: &str) -> Result<Actor, AppError> {
    let party = WEB_DOOR.parse().map_err(|e: domain::PartyError| internal(e.to_string()))?;
    Ok(Actor { party, role: Role::System, session: request.to_owned() })
}

/// A new version of a party's password, journaled about the party alone.
struct SetPassword {
    template: Entry,
    party: String,
    role: Role,
    phc: String,
}

impl Command for SetPassword {
    type Output = Result<(), StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let written = tx.put_password(&self.party, self.role, &self.phc, Timestamp::now()).await;
        token_done(tx, self.template, vec![self.party], written.map(|_| ()))
    }
}

/// A session opened: its token and the success, journaled about the party and the token's
/// public id.
struct OpenSession {
    template: Entry,
    token: NewToken,
    party: String,
    role: Role,
    at: Timestamp,
}

impl Command for OpenSession {
    type Output = Result<NewToken, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        // The token's checks (the party, the role, a staff member's grant in force) come before
        // its write; the success is written after it, and can fail only as the database does.
        let written = match tx.create_token(&self.token, &self.party, self.role, self.at).await {
            Ok(_) => tx.record_sign_in(&self.token.token_id, &self.party, self.at).await,
            Err(e) => Err(e),
        };
        let subjects = vec![self.party, self.token.token_id.clone()];
        token_done(tx, self.template, subjects, written.map(|()| self.token))
    }
}

/// A refused attempt of a known party: its failure row when it counts, and its entry.
struct RefuseAttempt {
    template: Entry,
    party: String,
    refusal: StoreError,
    count: bool,
    at: Timestamp,
}

impl Command for RefuseAttempt {
    type Output = Result<(), StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        if self.count {
            tx.record_sign_in_failure(&self.party, self.at).await?;
        }
        let entry = tx.slot().fill(Entry {
            subjects: vec![self.party],
            outcome: refused(&self.refusal),
            ..self.template
        });
        Ok(Done { output: Err(self.refusal), entries: vec![entry] })
    }
}

/// A party's own session ended.
struct CloseSession {
    template: Entry,
    token_id: String,
    party: String,
}

impl Command for CloseSession {
    type Output = Result<(), StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let written = tx.revoke_own_token(&self.token_id, &self.party, Timestamp::now()).await;
        token_done(tx, self.template, vec![self.token_id], written.map(|_| ()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_second(1_767_225_600 + minutes * 60).expect("in range")
    }

    #[test]
    fn a_made_up_name_locks_like_a_party() {
        let mut door = DoorFailures::default();
        for minute in 0..5 {
            assert_eq!(door.locked_until("nobody", at(minute)), None);
            door.fail("nobody", at(minute));
        }
        assert_eq!(door.locked_until("nobody", at(5)), Some(at(19)));
        assert_eq!(door.locked_until("someone-else", at(5)), None);
        assert_eq!(door.locked_until("nobody", at(19)), None);
        assert_eq!(door.by_name.values().map(Vec::len).max(), Some(5), "the last five only");
    }

    #[test]
    fn the_two_refusals_name_no_party_and_differ_only_by_the_lock() {
        let (bad, lock) = (bad_credentials().to_string(), locked().to_string());
        assert_eq!(bad, "credentials: bad_credentials: the party or the password is not right");
        assert!(lock.starts_with("credentials: locked: ") && lock.contains("locked for a while"), "{lock}");
        assert_eq!(refused(&bad_credentials()), "refused:bad_credentials");
        assert_eq!(refused(&locked()), "refused:locked");
    }

    #[test]
    fn a_session_in_a_log_shows_no_secret() {
        let signed = SignedIn {
            secret: "clo_secret".into(),
            token_id: "tok_1".into(),
            expires: at(0),
            actor: Actor {
                party: "nu-1".parse().expect("id"),
                role: Role::Customer,
                session: "tok_1/r".into(),
            },
        };
        let shown = format!("{signed:?}");
        assert!(shown.contains("tok_1") && !shown.contains("clo_secret"), "{shown}");
    }

    #[test]
    fn the_dummy_hash_is_an_argon2id_hash_nothing_matches() {
        let parsed = PasswordHash::new(dummy_phc()).expect("parses");
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert!(Argon2::default().verify_password(b"", &parsed).is_err());
    }
}
