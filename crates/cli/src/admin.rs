//! `cloison admin`: access management (tokens).

use std::path::Path;

use anyhow::Result;
use app::Role;
use clap::Subcommand;
use serde_json::json;

use crate::Failure;
use crate::identity::{operator, refusal};
use crate::output::outln;

/// Administration commands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

/// Token commands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a bearer token for one party in one role; the secret is printed once.
    Create {
        /// The party the token belongs to (a staff member for staff roles: no shared accounts).
        #[arg(long)]
        party: String,
        /// supplier, customer, third_party, researcher, register_staff, metering_staff,
        /// call_center, auditor or support.
        #[arg(long)]
        role: String,
        /// How long it is valid, e.g. 90d, 12h, 1 week.
        #[arg(long, default_value = "90d")]
        expires: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id (tok_…); it stops working at the next request.
    Revoke {
        /// The token's public id.
        token_id: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
}

/// Runs an administration command.
pub async fn run(config_file: Option<&Path>, command: AdminCommand) -> Result<()> {
    match command {
        AdminCommand::Token(TokenCommand::Create { party, role, expires, db, json }) => {
            let role: Role = role.parse().map_err(|e: domain::RoleError| Failure::Invalid(e.to_string()))?;
            let expires_text = expires.clone();
            let span: jiff::Span = expires.parse().map_err(|e| {
                Failure::Invalid(format!("--expires: {expires:?} is not a duration such as 90d or 12h: {e}"))
            })?;
            let now = jiff::Timestamp::now();
            let expires = now
                .to_zoned(domain::period::brussels())
                .checked_add(span)
                .map_err(|e| Failure::Invalid(format!("--expires: {e}")))?
                .timestamp();
            // Checked here too, before the database is opened: the store refuses it anyway
            // (and journals the refusal), but a typo need not touch the database at all.
            if expires <= now {
                return Err(Failure::Invalid(format!(
                    "--expires: {expires_text:?} must be a positive duration: the token would be \
                     expired when created"
                ))
                .into());
            }
            let actor = operator(config_file)?;
            let app = crate::register::open(config_file, db.as_deref()).await?;
            let token = app.create_token(&actor, &party, role, expires).await;
            app.close().await;
            let token = token.map_err(|e| refusal(e, &actor))?;
            if json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "token": token.secret, "token_id": token.token_id, "party": party,
                        "role": role.as_str(), "expires": token.expires.to_string(),
                    }))?
                )?;
            } else {
                outln!("{}", token.secret)?;
                eprintln!(
                    "token {} for {party} as {} until {} (shown once)",
                    token.token_id,
                    role.as_str(),
                    token.expires
                );
            }
        }
        AdminCommand::Token(TokenCommand::Revoke { token_id, db }) => {
            let actor = operator(config_file)?;
            let app = crate::register::open(config_file, db.as_deref()).await?;
            let result = app.revoke_token(&actor, &token_id).await;
            app.close().await;
            result.map_err(|e| refusal(e, &actor))?;
            outln!("token {token_id} revoked")?;
        }
    }
    Ok(())
}
