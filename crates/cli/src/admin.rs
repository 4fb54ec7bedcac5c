//! `cloison admin`: access management (tokens, and the web interface's sign-in passwords).

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
    /// Sign-in passwords for the web interface.
    #[command(subcommand)]
    Password(PasswordCommand),
}

/// Password commands.
#[derive(Debug, Subcommand)]
pub enum PasswordCommand {
    /// Set a party's password for the web interface, read from standard input (one line, at
    /// least 12 characters); the party then signs in as ROLE. A new password replaces the old
    /// one and lifts a lockout.
    Set {
        /// The party who signs in (a staff member for staff roles: no shared accounts).
        #[arg(long)]
        party: String,
        /// The role its sessions act in: supplier, customer, third_party, researcher,
        /// register_staff, metering_staff, call_center, auditor, support…
        #[arg(long)]
        role: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
    },
}

/// The password on standard input: its first line, without the line ending. Read from a pipe
/// rather than an argument, so it lands in no shell history nor process list.
fn read_password() -> Result<String> {
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("password (one line, at least 12 characters; it is echoed):");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::Invalid(format!("standard input: cannot read the password: {e}")))?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        return Err(Failure::Invalid(
            "standard input: the password is empty: give it on the first line, e.g. \
             `printf '%s\\n' \"$PASSWORD\" | cloison admin password set …`"
                .into(),
        )
        .into());
    }
    Ok(password.to_owned())
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
        AdminCommand::Password(PasswordCommand::Set { party, role, db }) => {
            let role: Role = role.parse().map_err(|e: domain::RoleError| Failure::Invalid(e.to_string()))?;
            // Read before the database is opened: a missing password need not touch it.
            let password = read_password()?;
            let actor = operator(config_file)?;
            let app = crate::register::open(config_file, db.as_deref()).await?;
            let result = app.set_password(&actor, &party, role, &password).await;
            app.close().await;
            result.map_err(|e| refusal(e, &actor))?;
            outln!("password set for {party} as {}", role.as_str())?;
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
