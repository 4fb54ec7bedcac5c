//! The roles of DESIGN.md's actor table, defined once.
//!
//! A role is what an actor acts as: it picks the policies that apply, it is written in every
//! journal entry and in every token. Its text form is spelt here and nowhere else, so the
//! application, the store, the policies (whose schema is checked against [`Role::ALL`] at
//! load) and the API cannot drift apart on one spelling.
//!
//! Two parsers, on purpose: [`Role::parse`] accepts every role, `system` included, for what
//! names an actor; [`FromStr`] accepts only the roles a token may carry
//! ([`Role::holds_tokens`]), since `system` is Cloison acting for an operator at the console
//! and must never arrive with a bearer token.

use std::fmt;
use std::str::FromStr;

use crate::party::PartyKind;

/// The roles of DESIGN.md's actor table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// An energy supplier's system.
    Supplier,
    /// A network user looking at their own access points.
    Customer,
    /// A third party acting under a written mandate.
    ThirdParty,
    /// The DSO's access-register team.
    RegisterStaff,
    /// The DSO's metering team.
    MeteringStaff,
    /// A meter reader on their round, with a field device: sees only the access points of
    /// their route for the current reading window, and posts index readings for them (R9).
    MeterReader,
    /// The DSO's connections team: producers' connection requests and the hosting
    /// capacity they queue for (R15).
    ConnectionStaff,
    /// The DSO's customer works team: connection and meter work requests (R13).
    WorksStaff,
    /// The DSO's data protection office: consents, research agreements and extracts,
    /// warehouse exports and the data subjects' requests (R14).
    PrivacyStaff,
    /// A call-center operator (read-only).
    CallCenter,
    /// The ethics committee: reads everything and the journal, changes nothing.
    Auditor,
    /// Support and administration: runs the system, sees no personal or commercial data.
    Support,
    /// A researcher of a consent-based study.
    Researcher,
    /// Cloison itself, for batch work started by an operator (demo build, imports).
    System,
}

impl Role {
    /// Every role, in the order of the actor table; the policy schema's `Cloison::Role` enum
    /// must list exactly these.
    pub const ALL: [Role; 14] = [
        Role::Supplier,
        Role::Customer,
        Role::ThirdParty,
        Role::RegisterStaff,
        Role::MeteringStaff,
        Role::MeterReader,
        Role::ConnectionStaff,
        Role::WorksStaff,
        Role::PrivacyStaff,
        Role::CallCenter,
        Role::Auditor,
        Role::Support,
        Role::Researcher,
        Role::System,
    ];

    /// The stable text form, as tokens, the journal and the policies name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Supplier => "supplier",
            Role::Customer => "customer",
            Role::ThirdParty => "third_party",
            Role::RegisterStaff => "register_staff",
            Role::MeteringStaff => "metering_staff",
            Role::MeterReader => "meter_reader",
            Role::ConnectionStaff => "connection_staff",
            Role::WorksStaff => "works_staff",
            Role::PrivacyStaff => "privacy_staff",
            Role::CallCenter => "call_center",
            Role::Auditor => "auditor",
            Role::Support => "support",
            Role::Researcher => "researcher",
            Role::System => "system",
        }
    }

    /// Any role by its text form, `system` included: what names an actor (a setting, a
    /// journal entry) rather than what a token carries.
    pub fn parse(text: &str) -> Result<Role, RoleError> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| RoleError { found: text.to_owned(), tokens_only: false })
    }

    /// Whether a bearer token may carry this role: every role but `system`, which is Cloison
    /// itself acting for an operator at the console, never a caller from outside.
    pub fn holds_tokens(self) -> bool {
        self != Role::System
    }

    /// This role, if a token may carry it; otherwise the error [`FromStr`] gives.
    pub fn for_token(self) -> Result<Role, RoleError> {
        if self.holds_tokens() {
            Ok(self)
        } else {
            Err(RoleError { found: self.as_str().to_owned(), tokens_only: true })
        }
    }

    /// Whether a party of `kind` may act in this role: a supplier as a supplier, a network
    /// user (person or company) as a customer, staff roles only for a staff member (R6: an
    /// individual, no shared accounts), and nobody as `system`.
    pub fn fits(self, kind: &PartyKind) -> bool {
        match self {
            Role::Supplier => matches!(kind, PartyKind::Supplier { .. }),
            Role::Customer => kind.is_network_user(),
            Role::ThirdParty => matches!(kind, PartyKind::ThirdParty),
            Role::Researcher => matches!(kind, PartyKind::Researcher),
            Role::RegisterStaff
            | Role::MeteringStaff
            | Role::MeterReader
            | Role::ConnectionStaff
            | Role::WorksStaff
            | Role::PrivacyStaff
            | Role::CallCenter
            | Role::Auditor
            | Role::Support => {
                matches!(kind, PartyKind::Staff)
            }
            Role::System => false,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role travels in reports and answers by its text form, as the journal spells it.
impl serde::Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The roles a token may carry; `system` is refused (see [`Role::holds_tokens`]).
impl FromStr for Role {
    type Err = RoleError;

    fn from_str(text: &str) -> Result<Role, RoleError> {
        match Role::parse(text) {
            Ok(role) if role.holds_tokens() => Ok(role),
            _ => Err(RoleError { found: text.to_owned(), tokens_only: true }),
        }
    }
}

/// A text that names no role (or, for a token, no role a token may carry).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("role {}", self.reason())]
pub struct RoleError {
    /// The text received.
    pub found: String,
    /// Whether only the roles a token may carry were accepted.
    pub tokens_only: bool,
}

impl RoleError {
    /// What was expected and what was found, without the field's name: for an error type
    /// that names the field itself.
    pub fn reason(&self) -> String {
        let accepted: Vec<&str> = Role::ALL
            .into_iter()
            .filter(|r| !self.tokens_only || r.holds_tokens())
            .map(Role::as_str)
            .collect();
        format!("must be one of {}, found {:?}", accepted.join(", "), self.found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Gln;

    #[test]
    fn every_role_reads_back_from_its_text() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
            assert_eq!(role.as_str().parse::<Role>().is_ok(), role.holds_tokens(), "{role}");
        }
    }

    #[test]
    fn system_is_an_actor_but_never_a_token() {
        assert_eq!(Role::parse("system"), Ok(Role::System));
        let e = "system".parse::<Role>().expect_err("no token carries system").to_string();
        assert!(e.starts_with("role must be one of supplier, customer"), "{e}");
        assert!(!e.contains("system,") && !e.ends_with("system"), "system is not offered: {e}");
        assert!(Role::System.for_token().is_err());
    }

    #[test]
    fn an_unknown_role_names_the_field_and_lists_the_roles_plainly() {
        let e = Role::parse("boss").expect_err("not a role").to_string();
        assert!(e.starts_with("role must be one of supplier"), "{e}");
        assert!(e.contains("researcher, system") && e.ends_with("found \"boss\""), "{e}");
        assert!(!e.contains('['), "{e}");
    }

    #[test]
    fn staff_roles_need_a_staff_member_and_system_fits_nobody() {
        let supplier = PartyKind::Supplier { gln: Gln::from_body(541_449_000_000).expect("12 digits") };
        let kinds = [
            PartyKind::Person,
            PartyKind::Company,
            supplier,
            PartyKind::Staff,
            PartyKind::ThirdParty,
            PartyKind::Researcher,
        ];
        for role in Role::ALL {
            let fitting: Vec<&str> = kinds.iter().filter(|k| role.fits(k)).map(|k| k.as_str()).collect();
            let expected: &[&str] = match role {
                Role::Supplier => &["supplier"],
                Role::Customer => &["person", "company"],
                Role::ThirdParty => &["third_party"],
                Role::Researcher => &["researcher"],
                Role::System => &[],
                _ => &["staff"],
            };
            assert_eq!(fitting, expected, "{role}");
        }
    }
}
