//! The contact center's pure rules (R12): one shared infrastructure serving several
//! principals — the DSO and suppliers — each sealed off from the others.
//!
//! A principal owns its entry points (the numbers, mailboxes and chat ids customers reach it
//! by), its queues, its routing rules, its operators and its procedures. Sealing is decided
//! here, once, so the store, the gate and the telephony adapter cannot each get it slightly
//! wrong:
//!
//! - [`config`] reads the whole configuration and refuses it, all or nothing, when an entry
//!   point belongs to two principals, a rule routes into another principal's queue, or an
//!   operator would hold incompatible skills (DSO and supplier skills never sit on the same
//!   operator);
//! - [`router`] picks the principal from the entry point alone and then looks only at that
//!   principal's rules, queues and operators, so no attribute of an interaction can steer it
//!   elsewhere;
//! - [`kpi`] and [`erlang`] compute each principal's reporting and staffing from interaction
//!   records that hold references (ids, times), never customer data;
//! - [`simulate`] produces a deterministic day of traffic for the demo and the benchmarks.
//!
//! Nothing here reads a clock, does I/O or draws OS randomness: the simulator takes a seed.

pub mod config;
pub mod erlang;
pub mod kpi;
pub mod number;
pub mod router;
pub mod rule;
pub mod simulate;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use config::{
    ContactConfig, EntryPoint, Operator, Principal, PrincipalKind, Procedure, Queue, RoutingRule,
};
pub use number::E164;
pub use router::{Assignment, Interaction, Router, Routing, RoutingStep};

/// Every refusal of this module. `position` is a 1-based (line, column) in the text that was
/// parsed when there is one.
///
/// One error type for the whole contact center, rather than one per submodule, because a
/// configuration error wraps the errors of numbers and expressions with the field path of the
/// value at fault, and the API maps every `code` through one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactError {
    /// Where the fault is: a field name, or a path such as `principal[1].rule[0].when`.
    pub field: String,
    /// The stable code of the rule that refused.
    pub code: &'static str,
    /// A sentence saying what was wrong, naming the principals, rules and skills involved.
    pub reason: String,
    /// The 1-based (line, column) in the text that was parsed, when the fault has one.
    pub position: Option<(usize, usize)>,
}

impl ContactError {
    /// A refusal without a position.
    pub fn new(field: impl Into<String>, code: &'static str, reason: impl Into<String>) -> ContactError {
        ContactError { field: field.into(), code, reason: reason.into(), position: None }
    }

    /// The same refusal at (`line`, `column`), both 1-based.
    pub fn at(mut self, line: usize, column: usize) -> ContactError {
        self.position = Some((line, column));
        self
    }

    /// The same refusal with `field` replaced, so a value's error names where it sat in the
    /// configuration; the position (inside the value's text) is kept.
    pub fn in_field(mut self, field: impl Into<String>) -> ContactError {
        self.field = field.into();
        self
    }
}

impl fmt::Display for ContactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)?;
        if let Some((line, column)) = self.position {
            write!(f, " (line {line}, column {column})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ContactError {}

/// The channels an interaction comes by.
///
/// Each channel has its own address form (see [`EntryPoint`]), and reporting is split by
/// channel, so it is a closed set rather than free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A telephone call to a direct-dial number.
    Call,
    /// An e-mail to a mailbox.
    Mail,
    /// A text message to a number.
    Sms,
    /// A web chat on a chat id.
    Chat,
}

impl Channel {
    /// Every channel, in the order of their codes' stability (never reordered).
    pub const ALL: [Channel; 4] = [Channel::Call, Channel::Mail, Channel::Sms, Channel::Chat];

    /// The stable text form, as in the configuration and in entry-point keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Call => "call",
            Channel::Mail => "mail",
            Channel::Sms => "sms",
            Channel::Chat => "chat",
        }
    }

    /// The channel named `text`, or a refusal naming the channels there are.
    pub fn parse(text: &str) -> Result<Channel, ContactError> {
        Channel::ALL.into_iter().find(|c| c.as_str() == text).ok_or_else(|| {
            ContactError::new(
                "channel",
                "unknown_channel",
                format!("{text:?} is not a channel: {}", Channel::ALL.map(Channel::as_str).join(", ")),
            )
        })
    }

    /// A dense index 0..4, for per-channel tables.
    pub(crate) fn index(self) -> usize {
        match self {
            Channel::Call => 0,
            Channel::Mail => 1,
            Channel::Sms => 2,
            Channel::Chat => 3,
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The 1-based (line, column) of byte `offset` in `text`, columns counted in characters.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_adds_the_position_when_there_is_one() {
        let e = ContactError::new("number", "not_e164", "expected '+'");
        assert_eq!(e.to_string(), "number: expected '+'");
        assert_eq!(e.at(1, 3).to_string(), "number: expected '+' (line 1, column 3)");
    }

    #[test]
    fn channels_round_trip_through_their_codes() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Ok(c));
            assert_eq!(Channel::ALL[c.index()], c);
        }
        assert_eq!(Channel::parse("fax").map_err(|e| e.code), Err("unknown_channel"));
    }

    #[test]
    fn line_column_counts_characters_from_one() {
        let text = "ab\ncé\nx";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        assert_eq!(line_column(text, 6), (2, 3));
        assert_eq!(line_column(text, 7), (3, 1));
    }
}
