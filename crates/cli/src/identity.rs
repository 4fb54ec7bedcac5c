//! Who the command line acts as: a configured operator identity, decided by the same policies
//! as any caller of the API.
//!
//! Every command that reads or writes data acts as one party in one role, named by `--as
//! PARTY:ROLE`, else `CLOISON_AS`, else the settings file's `operator`, else `system:system`
//! (the console's own identity, which the policies let keep the register, hand out tokens and
//! settings, and read the journal: it holds the database and its keys anyway, and through the
//! door its reading is journaled). Nothing is guessed from the environment: the journal names
//! whom the operator said they were, and the policies decide what that identity may do.

use std::path::Path;
use std::sync::OnceLock;

use anyhow::Result;
use app::{Actor, AppError, Role};
use domain::PartyId;

use crate::Failure;
use crate::config::Config;

/// The identity when nothing names one.
pub const DEFAULT: &str = "system:system";

/// The `--as` flag, set once by `main` before any command runs.
static FLAG: OnceLock<Option<String>> = OnceLock::new();

/// Records the `--as` flag (or `CLOISON_AS`, which clap reads into it).
pub fn set_flag(value: Option<String>) {
    let _ = FLAG.set(value);
}

/// Parses `PARTY:ROLE`, naming what is wrong and where it came from.
pub fn parse(text: &str, source: &str) -> Result<(PartyId, Role), Failure> {
    let (party, role) = text
        .split_once(':')
        .ok_or_else(|| Failure::Invalid(format!("{source}: must be PARTY:ROLE, found {text:?}")))?;
    let party: PartyId = party.parse().map_err(|e| Failure::Invalid(format!("{source}: {e}")))?;
    let role = Role::parse(role).map_err(|e| Failure::Invalid(format!("{source}: {e}")))?;
    Ok((party, role))
}

/// The actor of this command, in a session of its own so the journal groups what one run did.
pub fn operator(config_file: Option<&Path>) -> Result<Actor> {
    let flag = FLAG.get().cloned().flatten();
    let (text, source) = match flag {
        Some(text) => (text, "--as"),
        None => match Config::operator(config_file)? {
            Some(text) => (text, "operator"),
            None => (DEFAULT.to_owned(), "--as"),
        },
    };
    let (party, role) = parse(&text, source)?;
    Ok(Actor { party, role, session: format!("cli-{}", std::process::id()) })
}

/// How a use case's refusal reaches the shell: which exit code, and a message that says what
/// to do. `actor` is named in a policy refusal, since the identity is what decided it.
pub fn refusal(error: AppError, actor: &Actor) -> anyhow::Error {
    match error {
        AppError::Invalid(e) => Failure::Invalid(e.to_string()).into(),
        AppError::BadLines(lines) => Failure::Invalid(format!(
            "{} line(s) refused, nothing was changed:\n{}",
            lines.len(),
            lines.iter().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
        ))
        .into(),
        AppError::UnknownAccessPoint(ean) => {
            Failure::NotFound(format!("access point {ean} is not in the register (the EAN itself is valid)"))
                .into()
        }
        AppError::NotVisible => Failure::NotFound(format!(
            "no access point visible to {}:{} at this EAN",
            actor.party,
            actor.role.as_str()
        ))
        .into(),
        AppError::NoSuchEntry(index) => Failure::NotFound(format!("the journal has no entry {index}")).into(),
        AppError::NoSuch(what) => Failure::NotFound(format!(
            "no {what} visible to {}:{} with this id",
            actor.party,
            actor.role.as_str()
        ))
        .into(),
        AppError::Forbidden => Failure::Forbidden(format!(
            "forbidden: {}:{} may not do this under the policies; the refusal is journaled \
             (act as another identity with --as PARTY:ROLE)",
            actor.party,
            actor.role.as_str()
        ))
        .into(),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_is_a_party_and_a_known_role() {
        let (party, role) = parse("alice:auditor", "--as").expect("valid");
        assert_eq!((party.as_str(), role), ("alice", Role::Auditor));
        let e = parse("alice", "--as").expect_err("no role").to_string();
        assert!(e.contains("--as") && e.contains("PARTY:ROLE"), "{e}");
        let e = parse("alice:boss", "--as").expect_err("no such role").to_string();
        assert!(e.contains("\"boss\"") && e.contains("register_staff"), "{e}");
        let e = parse("Alice Smith:auditor", "operator").expect_err("not a party id").to_string();
        assert!(e.starts_with("operator:"), "{e}");
        assert_eq!(parse(DEFAULT, "--as").expect("the default parses").1, Role::System);
    }
}
