//! The use cases of Cloison: the one door through which data enters and leaves (I1).
//!
//! The CLI and the HTTP server hold a [`Cloison`] and nothing else of the data layer: every
//! read and write is a method here that takes the acting party, so authorisation, clipping
//! and journaling have one place to live. Answers are views built for the caller, not store
//! rows, so what leaves is decided here and nowhere else.
#![warn(missing_docs)]

pub mod demo;
mod register;

pub use register::{
    Command, HistoryView, Holder, PartyRef, RecordView, RegisterBatch, RegisterView, Written,
};
pub use store::{Backend, Counts, MasterKey, Store, StoreError, sqlite_url};

use domain::PartyId;

/// Who is acting: a party in a role, within a session. Every use case takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The party acting.
    pub party: PartyId,
    /// The role it acts in.
    pub role: Role,
    /// The request or session, so the journal can group what one sitting did.
    pub session: String,
}

/// The roles of DESIGN.md's actor table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// The stable text form, as tokens, the journal and the policies name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Supplier => "supplier",
            Role::Customer => "customer",
            Role::ThirdParty => "third_party",
            Role::RegisterStaff => "register_staff",
            Role::MeteringStaff => "metering_staff",
            Role::CallCenter => "call_center",
            Role::Auditor => "auditor",
            Role::Support => "support",
            Role::Researcher => "researcher",
            Role::System => "system",
        }
    }
}

/// Why a use case did not answer.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The register does not know this access point.
    #[error("ean: access point {0} is not in the register")]
    UnknownAccessPoint(domain::Ean),
    /// The input broke a rule; nothing was changed.
    #[error(transparent)]
    Invalid(StoreError),
    /// Our side failed; the cause is logged, not shown.
    #[error("internal error: {0}")]
    Internal(StoreError),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        if e.is_input() { AppError::Invalid(e) } else { AppError::Internal(e) }
    }
}

/// The application: the store behind the one door.
#[derive(Clone)]
pub struct Cloison {
    store: Store,
}

impl Cloison {
    /// Opens the store at `url` with the seal key.
    pub async fn open(url: &str, key: &MasterKey) -> Result<Cloison, AppError> {
        Ok(Cloison { store: Store::open(url, key).await.map_err(AppError::Internal)? })
    }

    /// Which backend runs underneath, for the start-up banner.
    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    /// Closes the store cleanly.
    pub async fn close(&self) {
        self.store.close().await;
    }
}
