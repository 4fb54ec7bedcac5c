//! Bearer tokens: who is calling, in which role, until when.
//!
//! A token is 256 random bits shown once at creation; the store keeps its SHA-256 only, so a
//! copy of the database lets nobody call the API. Tokens belong to one party in one role
//! (staff tokens to one person: R6, no shared accounts) and carry an expiry; revocation takes
//! effect on the next request. Creating and revoking tokens are persistence primitives of the
//! writer's [`WriteTx`]: the command that calls them (the application's) journals them in the
//! same transaction. Which role a party may hold is the domain's rule ([`Role::fits`]).

use domain::{PartyId, Role};
use jiff::Timestamp;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::bound::{TOKEN_REVOCATIONS, TOKENS};
use crate::local::Columns;
use crate::register::kind_from;
use crate::{Store, StoreError, WriteTx, Written};

/// A caller identified by a valid token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bearer {
    /// The token's public id (for revocation and the journal), not the secret.
    pub token_id: String,
    /// The party it belongs to.
    pub party: String,
    /// The role it grants.
    pub role: String,
    /// When it stops working.
    pub expires: Timestamp,
}

/// A token just created: the secret is shown once and never stored.
#[derive(Debug, Clone, Serialize)]
pub struct NewToken {
    /// The bearer secret to give to the caller.
    pub secret: String,
    /// The public id.
    pub token_id: String,
    /// When it expires.
    pub expires: Timestamp,
}

impl NewToken {
    /// A fresh secret (256 random bits) and public id, valid until `expires` once stored
    /// with [`WriteTx::create_token`]. Drawn before the writer's transaction, so the
    /// transaction holds no lock while the system's random source is read.
    pub fn generate(expires: Timestamp) -> NewToken {
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let mut id = [0u8; 8];
        rand::rngs::OsRng.fill_bytes(&mut id);
        NewToken {
            secret: format!("clo_{}", hex::encode(secret)),
            token_id: format!("tok_{}", hex::encode(id)),
            expires,
        }
    }
}

pub(crate) fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

impl WriteTx {
    /// Stores `token` for `party` in `role`, created at `at`. Refused, before anything is
    /// written, when it would be born expired, the party is unknown, the role is one no token
    /// carries (`system`) or does not fit the party's kind.
    pub async fn create_token(
        &mut self,
        token: &NewToken,
        party: &str,
        role: Role,
        at: Timestamp,
    ) -> Result<Written, StoreError> {
        // A token born expired would be printed, handed out and refused at its first use: a
        // mistake (a negative or zero duration) to be told at once.
        if token.expires <= at {
            return Err(StoreError::Config {
                field: "expires",
                reason: format!("must be in the future, found {} (now {at})", token.expires),
            });
        }
        let role = self.token_holder(party, role).await?;
        if self.staff_grant(party, role, at).await? == Some(false) {
            return Err(StoreError::Refused {
                field: "role",
                code: "role_not_granted",
                reason: format!(
                    "{party} comes from the HR extracts and holds no grant of {role} now: roles follow the job \
                     (iam sync) or an approved exception (iam grant)"
                ),
            });
        }
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO tokens (token_hash, token_id, party_id, role, created_us, expires_us, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {}",
            TOKENS.column_list()
        ))
        .bind(hash_secret(&token.secret))
        .bind(token.token_id.clone())
        .bind(party.to_owned())
        .bind(role.as_str())
        .bind(at.as_microsecond())
        .bind(token.expires.as_microsecond())
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&TOKENS, &row)?;
        Ok(Written::Token)
    }

    /// `role`, when `party` exists, a token may carry the role and the party's kind fits it:
    /// what a token and a sign-in password are both refused without, before anything is
    /// written.
    pub(crate) async fn token_holder(&mut self, party: &str, role: Role) -> Result<Role, StoreError> {
        let unknown = || StoreError::UnknownParty { field: "party", id: party.to_owned() };
        let id: PartyId = party.parse().map_err(|_| unknown())?;
        let row = sqlx::query("SELECT kind, gln FROM parties WHERE party_id = $1")
            .bind(party)
            .fetch_optional(self.conn())
            .await?
            .ok_or_else(unknown)?;
        let kind = kind_from(
            &id,
            &sqlx::Row::try_get::<String, _>(&row, "kind")?,
            sqlx::Row::try_get(&row, "gln")?,
        )?;
        let role = role.for_token().map_err(|e| StoreError::Config { field: "role", reason: e.reason() })?;
        if !role.fits(&kind) {
            return Err(StoreError::WrongPartyKind {
                field: "party",
                id: party.to_owned(),
                found: kind.as_str().to_owned(),
                expected: "a party whose kind fits the role (staff roles need a staff member)",
            });
        }
        Ok(role)
    }

    /// Revokes the active token `token_id` at `at`; refused if no active token has that id.
    pub async fn revoke_token(&mut self, token_id: &str, at: Timestamp) -> Result<Written, StoreError> {
        self.revoke(token_id, None, at).await
    }

    /// Revokes the active token `token_id` of `party` at `at`: a party signing itself out.
    /// Another party's token is refused like one that does not exist, so a token id is no
    /// oracle (I5).
    pub async fn revoke_own_token(
        &mut self,
        token_id: &str,
        party: &str,
        at: Timestamp,
    ) -> Result<Written, StoreError> {
        self.revoke(token_id, Some(party), at).await
    }

    /// Revokes `token_id`, when it is active and, if `owner` is given, that party's.
    async fn revoke(
        &mut self,
        token_id: &str,
        owner: Option<&str>,
        at: Timestamp,
    ) -> Result<Written, StoreError> {
        // A token that exists and is not yet revoked; the revocation is a row of its own, so
        // tokens stay append-only and each row is bound to the one entry that wrote it.
        let active: Option<String> = sqlx::query_scalar(
            "SELECT t.party_id FROM tokens t WHERE t.token_id = $1 \
             AND NOT EXISTS (SELECT 1 FROM token_revocations r WHERE r.token_id = t.token_id)",
        )
        .bind(token_id.to_owned())
        .fetch_optional(self.conn())
        .await?;
        let owned = match (&active, owner) {
            (Some(holder), Some(owner)) => holder == owner,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if !owned {
            return Err(StoreError::UnknownToken { token_id: token_id.to_owned() });
        }
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO token_revocations (token_id, revoked_us, journal_seq) VALUES ($1, $2, $3) RETURNING {}",
            TOKEN_REVOCATIONS.column_list()
        ))
        .bind(token_id.to_owned())
        .bind(at.as_microsecond())
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&TOKEN_REVOCATIONS, &row)?;
        Ok(Written::Token)
    }
}

impl Store {
    /// The caller a secret identifies, if the token exists, is not revoked and has not expired.
    pub async fn authenticate(&self, secret: &str, now: Timestamp) -> Result<Option<Bearer>, StoreError> {
        let hash = hash_secret(secret);
        if let Some(local) = &self.local {
            return local.with(|conn| {
                let mut statement = conn.prepare_cached(AUTHENTICATE_SQL)?;
                let mut rows = statement.query(rusqlite::params![hash, now.as_microsecond()])?;
                rows.next()?.map(bearer_from).transpose()
            });
        }
        let row = sqlx::query(AUTHENTICATE_SQL)
            .bind(hash)
            .bind(now.as_microsecond())
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(bearer_from).transpose()
    }
}

/// A token works while it exists, has not expired and is not revoked; and, for a party that
/// came from the HR extracts, while the party holds a grant of the token's role in force
/// (`staff.rs`'s `IN_FORCE`, with `$1` there being `$2` here): fail closed on a leaver, a
/// mover's old role or an expired exception, whatever happened to the token itself.
pub(crate) const AUTHENTICATE_SQL: &str = "SELECT t.token_id, t.party_id, t.role, t.expires_us FROM tokens t \
     WHERE t.token_hash = $1 AND t.expires_us > $2 \
     AND NOT EXISTS (SELECT 1 FROM token_revocations r WHERE r.token_id = t.token_id) \
     AND (NOT EXISTS (SELECT 1 FROM staff_records s WHERE s.party_id = t.party_id) \
          OR EXISTS (SELECT 1 FROM role_grants g WHERE g.party_id = t.party_id AND g.role = t.role \
                     AND (g.expires_us IS NULL OR g.expires_us > $2) \
                     AND NOT EXISTS (SELECT 1 FROM role_revocations v WHERE v.grant_id = g.grant_id)))";

pub(crate) fn bearer_from(row: &impl Columns) -> Result<Bearer, StoreError> {
    let expires = row.int("expires_us")?;
    Ok(Bearer {
        token_id: row.text("token_id")?,
        party: row.text("party_id")?,
        role: row.text("role")?,
        expires: Timestamp::from_microsecond(expires)
            .map_err(|e| crate::corrupt(format!("token expiry: {e}")))?,
    })
}
