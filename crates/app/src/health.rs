//! The system's health for those who run it (R10): how big the journal is and when its head
//! was last signed, and how much work waits (market messages, validation findings, access
//! requests). Counts only: the support team runs the system without seeing whom the work is
//! about, so no EAN, name or address is in the answer, and it is labelled Internal.

use jiff::Timestamp;
use policy::{Action, Resource};
use serde::Serialize;

use crate::gate::{Ask, Sent};
use crate::{Actor, AppError, Cloison, StoreError};

/// The health page's figures: counts and one instant, nothing about anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SystemHealth {
    /// Entries in the journal, as of its latest signed head.
    pub journal_entries: u64,
    /// When that head was signed: a journal whose head stops moving is a writer in trouble.
    pub journal_signed_at: Timestamp,
    /// Distinct access points in the register.
    pub access_points: u64,
    /// Market messages queued and not yet acknowledged, across every queue: a supplier that
    /// stopped reading its queue shows here first.
    pub messages_waiting: u64,
    /// Validation findings no validator has decided yet.
    pub open_findings: u64,
    /// Access requests no service manager has answered yet (R6).
    pub unanswered_access_requests: u64,
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

impl Cloison {
    /// The system's health, through the gate as a journaled read (`health.show`): for the
    /// support team and the ethics committee only (`ReadSystemHealth`), refused as forbidden
    /// to every other role.
    pub async fn system_health(&self, actor: &Actor) -> Result<Sent<SystemHealth>, AppError> {
        let ask = Ask::function(
            Action::ReadSystemHealth,
            Resource::Installation,
            "health.show",
            "running the system (R10)",
        );
        self.read(actor, ask, |_| async move {
            let head = self.store.journal_head().await?;
            let counts = self.store.health_counts().await?;
            let journal_signed_at = Timestamp::from_microsecond(head.head.time_micros).map_err(|e| {
                AppError::Internal(StoreError::Corrupt { what: format!("the signed head's time: {e}") })
            })?;
            Ok(SystemHealth {
                journal_entries: head.head.size,
                journal_signed_at,
                access_points: count(counts.access_points),
                messages_waiting: count(counts.messages_waiting),
                open_findings: count(counts.open_findings),
                unanswered_access_requests: count(counts.unanswered_access_requests),
            })
        })
        .await
    }
}
