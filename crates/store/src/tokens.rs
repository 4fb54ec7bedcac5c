//! Bearer tokens: who is calling, in which role, until when.
//!
//! A token is 256 random bits shown once at creation; the store keeps its SHA-256 only, so a
//! copy of the database lets nobody call the API. Tokens belong to one party in one role
//! (staff tokens to one person: R6, no shared accounts) and carry an expiry; revocation takes
//! effect on the next request. Creating and revoking tokens go through the journal writer,
//! in the same transaction as their journal entry.

use jiff::Timestamp;
use journal::Entry;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::journal::Work;
use crate::local::Columns;
use crate::{Store, StoreError, WriteTx, Written};

/// Which roles a kind of party may hold a token for.
fn role_fits(kind: &str, role: &str) -> bool {
    match role {
        "supplier" => kind == "supplier",
        "customer" => matches!(kind, "person" | "company"),
        "third_party" => kind == "third_party",
        "researcher" => kind == "researcher",
        "register_staff" | "metering_staff" | "call_center" | "auditor" | "support" => kind == "staff",
        _ => false,
    }
}

/// The roles a token can carry.
pub const ROLES: [&str; 9] = [
    "supplier",
    "customer",
    "third_party",
    "researcher",
    "register_staff",
    "metering_staff",
    "call_center",
    "auditor",
    "support",
];

/// A token operation, applied by the writer with its journal entry.
pub(crate) enum TokenOp {
    Create { hash: Vec<u8>, token_id: String, party: String, role: String, expires: Timestamp },
    Revoke { token_id: String },
}

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

fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

impl WriteTx {
    pub(crate) async fn token_op(&mut self, op: &TokenOp, at: Timestamp) -> Result<Written, StoreError> {
        match op {
            TokenOp::Create { hash, token_id, party, role, expires } => {
                // A token born expired would be printed, handed out and refused at its first
                // use: a mistake (a negative or zero duration) to be told at once.
                if *expires <= at {
                    return Err(StoreError::Config {
                        field: "expires",
                        reason: format!("must be in the future, found {expires} (now {at})"),
                    });
                }
                let kind: Option<String> = sqlx::query_scalar("SELECT kind FROM parties WHERE party_id = $1")
                    .bind(party)
                    .fetch_optional(self.conn())
                    .await?;
                let kind =
                    kind.ok_or_else(|| StoreError::UnknownParty { field: "party", id: party.clone() })?;
                if !ROLES.contains(&role.as_str()) {
                    return Err(StoreError::Config {
                        field: "role",
                        reason: format!("must be one of {ROLES:?}"),
                    });
                }
                if !role_fits(&kind, role) {
                    return Err(StoreError::WrongPartyKind {
                        field: "party",
                        id: party.clone(),
                        found: kind,
                        expected: "a party whose kind fits the role (staff roles need a staff member)",
                    });
                }
                sqlx::query(
                    "INSERT INTO tokens (token_hash, token_id, party_id, role, created_us, expires_us) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(hash.clone())
                .bind(token_id.clone())
                .bind(party.clone())
                .bind(role.clone())
                .bind(at.as_microsecond())
                .bind(expires.as_microsecond())
                .execute(self.conn())
                .await?;
                Ok(Written::Token)
            }
            TokenOp::Revoke { token_id } => {
                let done = sqlx::query(
                    "UPDATE tokens SET revoked_us = $1 WHERE token_id = $2 AND revoked_us IS NULL",
                )
                .bind(at.as_microsecond())
                .bind(token_id.clone())
                .execute(self.conn())
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::UnknownToken { token_id: token_id.clone() });
                }
                Ok(Written::Token)
            }
        }
    }
}

impl Store {
    /// Creates a token for `party` in `role` until `expires`; journaled with `template`.
    pub async fn create_token(
        &self,
        template: Entry,
        party: &str,
        role: &str,
        expires: Timestamp,
    ) -> Result<NewToken, StoreError> {
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let secret = format!("clo_{}", hex::encode(secret));
        let mut id = [0u8; 8];
        rand::rngs::OsRng.fill_bytes(&mut id);
        let token_id = format!("tok_{}", hex::encode(id));
        let op = TokenOp::Create {
            hash: hash_secret(&secret),
            token_id: token_id.clone(),
            party: party.to_owned(),
            role: role.to_owned(),
            expires,
        };
        let subjects = vec![party.to_owned(), token_id.clone()];
        let committed =
            self.submit(Work::Token { template: Box::new(template), op, subjects }).await?.wait().await?;
        committed.written?;
        Ok(NewToken { secret, token_id, expires })
    }

    /// Revokes a token by its public id; journaled with `template`.
    pub async fn revoke_token(&self, template: Entry, token_id: &str) -> Result<(), StoreError> {
        let op = TokenOp::Revoke { token_id: token_id.to_owned() };
        let subjects = vec![token_id.to_owned()];
        let committed =
            self.submit(Work::Token { template: Box::new(template), op, subjects }).await?.wait().await?;
        committed.written.map(|_| ())
    }

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

const AUTHENTICATE_SQL: &str = "SELECT token_id, party_id, role, expires_us FROM tokens \
     WHERE token_hash = $1 AND revoked_us IS NULL AND expires_us > $2";

fn bearer_from(row: &impl Columns) -> Result<Bearer, StoreError> {
    let expires = row.int("expires_us")?;
    Ok(Bearer {
        token_id: row.text("token_id")?,
        party: row.text("party_id")?,
        role: row.text("role")?,
        expires: Timestamp::from_microsecond(expires)
            .map_err(|e| crate::corrupt(format!("token expiry: {e}")))?,
    })
}
