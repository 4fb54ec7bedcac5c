//! Sign-in passwords and the record of attempts, for the web interface's lockout.
//!
//! A password is kept as the argon2id PHC string the application computed (salt and
//! parameters inside it); the store never sees the password and does not hash: hashing is
//! slow on purpose and belongs off the writer's transaction. Each set is a new version of the
//! party's row (I4), the latest one counting. Failures and successes are rows of their own,
//! so the lockout is decided from what the journal binds rather than from a counter a DBA
//! could reset. Writing them are persistence primitives of the writer's [`WriteTx`]; the
//! application's commands journal them in the same transaction.

use domain::Role;
use jiff::Timestamp;
use sqlx::Row;

use crate::bound::{PASSWORDS, SIGN_IN_FAILURES, SIGN_INS};
use crate::register::instant;
use crate::{Store, StoreError, WriteTx};

/// The password a party signs in with now: its latest version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPassword {
    /// The role the party signs in as.
    pub role: String,
    /// The argon2id PHC string.
    pub phc: String,
    /// When it was set.
    pub set_at: Timestamp,
    /// Its version, counting from 1.
    pub version: i64,
}

/// What a sign-in attempt is judged by: the party's password, if it has one, and its latest
/// failures since its last success or its last password set, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignInState {
    /// The latest password, if any.
    pub password: Option<StoredPassword>,
    /// The instants of the latest failures that count, at most
    /// [`domain::sign_in::LOCKOUT_FAILURES`] of them: the lockout rule looks at no more.
    pub failures: Vec<Timestamp>,
}

impl WriteTx {
    /// Stores a new version of `party`'s password for `role`, set at `at`. Refused, before
    /// anything is written, for an unknown party or a role that no token carries or that does
    /// not fit the party's kind: the same rules as a token's, since a sign-in opens one.
    /// Returns the version written.
    pub async fn put_password(
        &mut self,
        party: &str,
        role: Role,
        phc: &str,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        let role = self.token_holder(party, role).await?;
        let version: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM passwords WHERE party_id = $1")
                .bind(party.to_owned())
                .fetch_one(self.conn())
                .await?;
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO passwords (party_id, version, role, phc, set_at, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {}",
            PASSWORDS.column_list()
        ))
        .bind(party.to_owned())
        .bind(version)
        .bind(role.as_str())
        .bind(phc.to_owned())
        .bind(at.as_microsecond())
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&PASSWORDS, &row)?;
        Ok(version)
    }

    /// Records a wrong password given for `party` at `at`.
    pub async fn record_sign_in_failure(&mut self, party: &str, at: Timestamp) -> Result<(), StoreError> {
        let n: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(n), 0) + 1 FROM sign_in_failures WHERE party_id = $1")
                .bind(party.to_owned())
                .fetch_one(self.conn())
                .await?;
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO sign_in_failures (party_id, n, at_us, journal_seq) VALUES ($1, $2, $3, $4) RETURNING {}",
            SIGN_IN_FAILURES.column_list()
        ))
        .bind(party.to_owned())
        .bind(n)
        .bind(at.as_microsecond())
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&SIGN_IN_FAILURES, &row)
    }

    /// Records that `party` signed in at `at`, opening token `token_id` (written just before
    /// in the same transaction with [`WriteTx::create_token`]).
    pub async fn record_sign_in(
        &mut self,
        token_id: &str,
        party: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO sign_ins (token_id, party_id, at_us, journal_seq) VALUES ($1, $2, $3, $4) RETURNING {}",
            SIGN_INS.column_list()
        ))
        .bind(token_id.to_owned())
        .bind(party.to_owned())
        .bind(at.as_microsecond())
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&SIGN_INS, &row)
    }
}

impl Store {
    /// What a sign-in attempt by `party` is judged by. The failures counted start after the
    /// party's last success or its last password set, whichever is later: an administrator
    /// setting a new password is how a locked-out person gets back in before the lock ends.
    pub async fn sign_in_state(&self, party: &str) -> Result<SignInState, StoreError> {
        let row = sqlx::query(
            "SELECT role, phc, set_at, version FROM passwords WHERE party_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(party.to_owned())
        .fetch_optional(&self.read)
        .await?;
        let password = match row {
            Some(row) => Some(StoredPassword {
                role: row.try_get("role")?,
                phc: row.try_get("phc")?,
                set_at: instant(row.try_get("set_at")?)?,
                version: row.try_get("version")?,
            }),
            None => None,
        };
        let last_success: Option<i64> =
            sqlx::query_scalar("SELECT MAX(at_us) FROM sign_ins WHERE party_id = $1")
                .bind(party.to_owned())
                .fetch_one(&self.read)
                .await?;
        let since = last_success
            .into_iter()
            .chain(password.as_ref().map(|p| p.set_at.as_microsecond()))
            .max()
            .unwrap_or(i64::MIN);
        let failures: Vec<i64> = sqlx::query_scalar(
            "SELECT at_us FROM sign_in_failures WHERE party_id = $1 AND at_us > $2 ORDER BY at_us DESC LIMIT $3",
        )
        .bind(party.to_owned())
        .bind(since)
        .bind(domain::sign_in::LOCKOUT_FAILURES as i64)
        .fetch_all(&self.read)
        .await?;
        let failures = failures.into_iter().map(instant).collect::<Result<Vec<_>, _>>()?;
        Ok(SignInState { password, failures })
    }
}

/// Counts for the support team's health page: how much work waits, and nothing about whom
/// (R10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HealthCounts {
    /// Distinct access points in the register.
    pub access_points: i64,
    /// Market messages queued and not acknowledged, across every queue.
    pub messages_waiting: i64,
    /// Validation findings no validator has decided yet.
    pub open_findings: i64,
    /// Access requests no manager has answered yet.
    pub unanswered_access_requests: i64,
}

impl Store {
    /// The counts of the health page, in one statement so they are of one instant.
    pub async fn health_counts(&self) -> Result<HealthCounts, StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(DISTINCT ean) FROM access_points) AS access_points, \
                    (SELECT COUNT(*) FROM messages m \
                     WHERE NOT EXISTS (SELECT 1 FROM message_acks a WHERE a.message_id = m.id)) AS messages_waiting, \
                    (SELECT COUNT(*) FROM validation_findings f \
                     WHERE NOT EXISTS (SELECT 1 FROM validation_decisions d WHERE d.finding_id = f.finding_id)) \
                     AS open_findings, \
                    (SELECT COUNT(*) FROM access_requests r \
                     WHERE NOT EXISTS (SELECT 1 FROM access_request_decisions d WHERE d.request_id = r.request_id)) \
                     AS unanswered_access_requests",
        )
        .fetch_one(&self.read)
        .await?;
        Ok(HealthCounts {
            access_points: row.try_get("access_points")?,
            messages_waiting: row.try_get("messages_waiting")?,
            open_findings: row.try_get("open_findings")?,
            unanswered_access_requests: row.try_get("unanswered_access_requests")?,
        })
    }
}
