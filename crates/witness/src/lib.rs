//! Witnessing Cloison's journal (c2sp.org/tlog-witness): the witness service an outside party
//! runs, and the client `cloison serve` uses to ask witnesses to cosign each new checkpoint.
//!
//! The journal proves on its own that no entry was altered, but not that the log shows the
//! same history to everyone: whoever holds the journal key can sign a rolled-back copy or a
//! fork, and that copy verifies. A witness keeps, per log, the latest checkpoint it cosigned,
//! and cosigns a new one only with a consistency proof from it; a reader who requires its
//! cosignature cannot be shown a history that does not extend what the witness saw.
//!
//! The protocol itself (request, decision, cosignature) is pure and lives in the `journal`
//! crate; this crate adds what needs the network and the disk: the HTTP service (`server`),
//! the durable state file (`state`) and the log's client (`submit`). It speaks HTTP with axum
//! and reqwest directly rather than through `api`, whose routes are the data API's (bearer
//! tokens, JSON errors), none of which applies to a plain-text protocol defined elsewhere.
#![warn(missing_docs)]

pub mod server;
pub mod state;
pub mod submit;

pub use server::{Failure, Witness, router, serve};
pub use state::{StateError, StateFile};
pub use submit::{Target, TargetError, run as submit};
